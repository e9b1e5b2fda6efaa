import { describe, expect, it } from 'vitest';
import { cms122Evaluation, cms165Evaluation } from './api/fixtures';
import type { Evaluation } from './api/types.gen';
import {
  closeHint,
  csvCell,
  groupName,
  openOn,
  rateLabel,
  toClose,
  yearOf,
} from './quality-measures';

describe('quality measure reports', () => {
  it('takes the calendar year as the period', () => {
    expect(yearOf('2026-12-03')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(yearOf('2026-01-01', -1)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('quotes and defuses CSV cells as the engine does', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('Testperson, Ann')).toBe('"Testperson, Ann"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('@SUM')).toBe("'@SUM");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-5')).toBe('-5');
    expect(csvCell('+1 (555) 010-2000')).toBe('+1 (555) 010-2000');
  });

  it('prints the rate, or a dash when the measure has no eligible patient', () => {
    expect(rateLabel(1 / 3)).toBe('33.3%');
    expect(rateLabel(null)).toBe('—');
  });

  it('leaves an excluded patient off an inverse measure’s gaps', () => {
    const e = cms122Evaluation();
    const g = e.groups[0]!;
    const stray = { id: 'p3', mrn: '0000003', name: 'Example, Cy', because: 'no HbA1c' };
    const withStray = { ...g, numerator: { count: 2, patients: [...g.numerator.patients, stray] } };
    expect(toClose(e, withStray).map((m) => m.id)).toEqual(['p1']);
    expect(toClose(cms165Evaluation(), cms165Evaluation().groups[0]!).map((m) => m.id)).toEqual([
      'p1',
    ]);
  });

  it('names CMS138’s groups and says what closes each', () => {
    const base = cms165Evaluation().groups[0]!;
    const e: Evaluation = {
      ...cms165Evaluation(),
      measure: 'CMS138',
      title: 'Tobacco',
      groups: [1, 2, 3].map((group) => ({ ...base, group })),
    };
    expect(openOn(e, 'p1').map((o) => [o.group, o.groupName, o.hint])).toEqual([
      [1, 'Screened for tobacco use', 'Tobacco use screening in the period'],
      [2, 'Tobacco users given cessation help', closeHint('CMS138', 2)],
      [3, 'Screened, and helped if a user', 'Tobacco screening, and cessation help for users'],
    ]);
    expect(openOn(e, 'p2')).toEqual([]);
    expect(groupName('CMS122', 1)).toBeNull();
  });
});
