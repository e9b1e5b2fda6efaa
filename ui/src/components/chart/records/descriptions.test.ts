import { describe, expect, it } from 'vitest';
import { coverageKind } from '../coverage/description';
import { demographicsFields, demographicsRows } from '../demographics/description';
import { encounterKind } from '../encounters/description';
import { familyHistoryKind } from '../family-history/description';
import { hospitalizationKind } from '../hospitalizations/description';
import { immunizationKind } from '../immunizations/description';
import { medicationKind } from '../medications/description';
import { orderKind } from '../orders/description';
import { problemKind } from '../problems/description';
import { procedureKind } from '../procedures/description';
import { socialHistoryKind } from '../social-history/description';
import { labsKind, rangeLabel, vitalsKind } from '../vitals/description';
import { patientView } from '../../../lib/api/fixtures';
import { COMMAND_PERMISSIONS } from '../../../lib/api/types.gen';
import { newestFirst, type KindDescription } from './description';
import { addRequest, initialValues } from './form-values';

const kinds: KindDescription<never>[] = [
  problemKind,
  medicationKind,
  immunizationKind,
  encounterKind,
  orderKind,
  procedureKind,
  hospitalizationKind,
  familyHistoryKind,
  socialHistoryKind,
  coverageKind,
  vitalsKind,
  labsKind,
] as unknown as KindDescription<never>[];

const blank = {
  id: 'r1',
  created_at: 0,
  created_by: 'u',
  created_change: 'c',
  updated_at: 0,
  updated_by: 'u',
  retracted: false,
} as never;

/** What the engine requires of each kind on add (docs/api.md "Required"). */
const required: Record<string, string[]> = {
  medication: ['name'],
  immunization: ['date'],
  encounter: ['start'],
  order: ['description', 'kind'],
  hospitalization: ['admit_date'],
  family_history: ['relative', 'condition'],
  coverage: ['payer', 'member_id'],
  observation: ['effective'],
};

describe('per-kind descriptions', () => {
  it.each(kinds.map((k) => [k.title, k] as const))(
    '%s: commands exist and names are its kind',
    (_t, k) => {
      expect(COMMAND_PERMISSIONS[k.readCommand]).toBeDefined();
      expect(COMMAND_PERMISSIONS[k.writeCommand]).toBeDefined();
      expect(k.readCommand.split('.')[0]).toBe(k.kind);
      expect(k.writeCommand.split('.')[0]).toBe(k.kind);
    },
  );

  it.each(kinds.map((k) => [k.title, k] as const))(
    '%s: unique fields, cells of an empty record are empty',
    (_t, k) => {
      const keys = k.fields.map((f) => f.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(k.columns.map((c) => c.label)).size).toBe(k.columns.length);
      for (const c of k.columns) expect(c.value(blank)).toBe('');
      expect(k.name(blank)).not.toBe('');
      for (const f of k.fields) {
        if (f.type === 'select') expect(f.options?.length).toBeGreaterThan(0);
        if (f.type === 'code') expect(f.system).toBeTruthy();
        if (f.fills) expect(keys).toContain(f.fills);
      }
    },
  );

  it('marks the engine-required fields required, so the form says so before sending', () => {
    for (const k of kinds) {
      const want = required[k.kind] ?? [];
      for (const key of want) expect(k.fields.find((f) => f.key === key)?.required, key).toBe(true);
      // A typed field marked required that the engine does not require would block a save.
      const typed = k.fields.filter((f) => f.required && f.type !== 'select').map((f) => f.key);
      for (const key of typed) expect(want, `${k.kind}.${key}`).toContain(key);
      // An empty new form cannot be sent unless its required fields start filled (now).
      const blankRequired = want.filter((key) => !k.fields.find((f) => f.key === key)?.startsAt);
      if (blankRequired.length)
        expect(() => addRequest(k.fields, initialValues(k.fields))).toThrow();
      else expect(() => addRequest(k.fields, initialValues(k.fields))).not.toThrow();
    }
  });

  it('only problems take an ICD-10-CM code, immunizations CVX, as the pickers search', () => {
    expect(problemKind.fields.find((f) => f.key === 'code')?.system).toBe('icd10');
    expect(immunizationKind.fields.find((f) => f.key === 'cvx')?.system).toBe('cvx');
    expect(familyHistoryKind.fields.find((f) => f.key === 'code')?.system).toBe('icd10');
  });

  it('labs and vitals split the observations by category and are added by their own forms', () => {
    const vital = { ...(blank as object), category: 'vital' } as never;
    const lab = { ...(blank as object), category: 'lab' } as never;
    expect(vitalsKind.filter?.(vital)).toBe(true);
    expect(vitalsKind.filter?.(lab)).toBe(false);
    expect(labsKind.filter?.(lab)).toBe(true);
    expect(vitalsKind.addable).toBe(false);
  });

  it('demographics: the form edits names, birth date, sex and contacts; the rows read them', () => {
    expect(demographicsFields.filter((f) => f.required).map((f) => f.key)).toEqual([
      'family',
      'birth_date',
      'sex',
      'status',
    ]);
    const rows = demographicsRows(
      patientView({
        sex: 'female',
        phones: ['555-0100', '555-0101'],
        address: { line: ['1 Main St'], city: 'Springfield' },
      }),
    );
    expect(rows.find((r) => r.label === 'Sex')?.value).toBe('Female');
    expect(rows.find((r) => r.label === 'Phones')?.value).toBe('555-0100, 555-0101');
    expect(rows.find((r) => r.label === 'Address')?.value).toBe('1 Main St, Springfield');
  });

  it('reads reference ranges with an open side as a bound', () => {
    expect(rangeLabel(4, 5.6)).toBe('4–5.6');
    expect(rangeLabel(null, 200)).toBe('< 200');
    expect(rangeLabel(60, undefined)).toBe('> 60');
    expect(rangeLabel(null, null)).toBe('');
  });

  it('lists by date newest first, undated last, ties in the order entered', () => {
    const list = [
      { id: 'a', date: '2020-01-01' },
      { id: 'b', date: '' },
      { id: 'c', date: '2026-10-01' },
      { id: 'd', date: '2020-01-01' },
    ];
    expect(newestFirst(list, (r) => r.date).map((r) => r.id)).toEqual(['c', 'a', 'd', 'b']);
  });
});
