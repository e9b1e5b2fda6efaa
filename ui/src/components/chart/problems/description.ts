import type { ProblemAdd, ProblemRecord } from '../../../lib/api/types.gen';
import { choiceLabel, choices, type FieldsOf, type KindDescription } from '../records/description';

const status = choices('active', 'inactive', 'resolved', 'remission');

/** Problems: ICD-10-CM coded (picked over `code.search`), or free text when no code fits. */
export const problemKind: KindDescription<ProblemRecord, FieldsOf<ProblemAdd>> = {
  kind: 'problem',
  title: 'Problems',
  singular: 'problem',
  empty: 'No problems recorded.',
  readCommand: 'problem.list',
  writeCommand: 'problem.add',
  name: (r) => r.display ?? r.code ?? 'problem',
  columns: [
    { label: 'Problem', value: (r) => r.display ?? '' },
    { label: 'ICD-10-CM', nowrap: true, value: (r) => r.code ?? '' },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'Onset', nowrap: true, value: (r) => r.onset_date ?? '' },
    { label: 'Resolved', nowrap: true, value: (r) => r.resolved_date ?? '' },
    { label: 'Note', value: (r) => r.note ?? '' },
  ],
  fields: [
    {
      key: 'code',
      label: 'ICD-10-CM code',
      type: 'code',
      system: 'icd10',
      fills: 'display',
      wide: true,
      hint: 'Type a code or words (diabetes, E11) and pick one',
    },
    {
      key: 'display',
      label: 'Problem',
      type: 'text',
      wide: true,
      hint: 'Required when there is no code',
    },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'onset_date', label: 'Onset date', type: 'date' },
    { key: 'resolved_date', label: 'Resolved date', type: 'date' },
    { key: 'note', label: 'Note', type: 'text', wide: true },
  ],
};
