import type { FamilyHistoryAdd, FamilyHistoryRecord } from '../../../lib/api/types.gen';
import { text, type FieldsOf, type KindDescription } from '../records/description';

/** Conditions of relatives, optionally ICD-10-CM coded. */
export const familyHistoryKind: KindDescription<FamilyHistoryRecord, FieldsOf<FamilyHistoryAdd>> = {
  kind: 'family_history',
  title: 'Family history',
  singular: 'family history entry',
  empty: 'No family history recorded.',
  readCommand: 'family_history.list',
  writeCommand: 'family_history.add',
  name: (r) => [r.relative, r.condition].filter(Boolean).join(': ') || 'family history entry',
  columns: [
    { label: 'Relative', value: (r) => r.relative ?? '' },
    { label: 'Condition', value: (r) => r.condition ?? '' },
    { label: 'ICD-10-CM', nowrap: true, value: (r) => r.code ?? '' },
    { label: 'Age at onset', value: (r) => text(r.onset_age) },
    { label: 'Deceased', value: (r) => (r.deceased ? 'Deceased' : '') },
    { label: 'Note', value: (r) => r.note ?? '' },
  ],
  fields: [
    { key: 'relative', label: 'Relative', type: 'text', required: true, hint: 'e.g. mother' },
    { key: 'onset_age', label: 'Age at onset', type: 'number', integer: true },
    {
      key: 'code',
      label: 'ICD-10-CM code',
      type: 'code',
      system: 'icd10',
      fills: 'condition',
      wide: true,
    },
    { key: 'condition', label: 'Condition', type: 'text', required: true, wide: true },
    { key: 'deceased', label: 'Relative is deceased', type: 'checkbox' },
    { key: 'note', label: 'Note', type: 'text', wide: true },
  ],
};
