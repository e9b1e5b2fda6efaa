import { describe, expect, it } from 'vitest';
import { entityLabel, fieldLabel, mergeEditor } from './fields';
import { valueText } from './values';

describe('conflict fields in words', () => {
  it('labels fields as the chart’s forms do, and names unknown ones from the field name', () => {
    expect(entityLabel('allergy')).toBe('Allergy');
    expect(fieldLabel('allergy', 'severity')).toBe('Severity');
    expect(fieldLabel('problem', 'onset_date')).toBe('Onset date');
    expect(fieldLabel('patient', 'mrn')).toBe('MRN');
    expect(fieldLabel('observation', 'ref_low')).toBe('Ref low');
    expect(entityLabel('family_history')).toBe('Family history');
  });

  it('shows values as the form would: choice labels, lists, yes/no, empty, hidden', () => {
    expect(valueText('allergy', 'severity', 'moderate')).toBe('Moderate');
    expect(valueText('allergy', 'reactions', ['hives', 'rash'])).toBe('hives, rash');
    expect(valueText('procedure', 'surgical', true)).toBe('Yes');
    expect(valueText('problem', 'note', null)).toBe('(empty)');
    expect(valueText('user', 'password_hash', null, true)).toBe('A password (not shown)');
    expect(valueText('patient', 'address', { street: '1 Main St', city: 'Springfield' })).toBe(
      '1 Main St, Springfield',
    );
  });

  it('edits a merged value with the field’s own control, or JSON for a structured value', () => {
    expect(mergeEditor('allergy', 'severity', ['severe', 'mild']).spec.type).toBe('select');
    expect(mergeEditor('problem', 'onset_date', ['2020-01-01']).spec.type).toBe('date');
    // A code picker needs its code set; the merged code is typed and checked by the engine.
    expect(mergeEditor('problem', 'code', ['E11.9', 'E11.8']).spec.type).toBe('text');
    expect(mergeEditor('observation', 'ref_low', [3.5, 4]).spec.type).toBe('number');
    expect(mergeEditor('patient', 'address', [{ city: 'A' }, { city: 'B' }]).json).toBe(true);
    expect(mergeEditor('thing', 'tags', [['a'], ['b']]).spec.type).toBe('list');
  });
});
