import type { ProcedureAdd, ProcedureRecord } from '../../../lib/api/types.gen';
import { choiceLabel, choices, type FieldsOf, type KindDescription } from '../records/description';

const status = choices('completed', 'planned', 'not-done');

/** Procedures; those marked surgical make the summary's surgical history. */
export const procedureKind: KindDescription<ProcedureRecord, FieldsOf<ProcedureAdd>> = {
  kind: 'procedure',
  title: 'Procedures and surgical history',
  singular: 'procedure',
  empty: 'No procedures recorded.',
  newestBy: (r) => r.date ?? '',
  readCommand: 'procedure.list',
  writeCommand: 'procedure.add',
  name: (r) => r.description ?? r.code ?? 'procedure',
  columns: [
    { label: 'Procedure', value: (r) => r.description ?? '' },
    { label: 'Code', value: (r) => [r.code_system, r.code].filter(Boolean).join(' ') },
    { label: 'Date', nowrap: true, value: (r) => r.date ?? '' },
    { label: 'Surgical', value: (r) => (r.surgical ? 'Surgical' : '') },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'Performer', value: (r) => r.performer ?? '' },
  ],
  fields: [
    {
      key: 'description',
      label: 'Procedure',
      type: 'text',
      wide: true,
      hint: 'Required when there is no code',
    },
    { key: 'date', label: 'Date', type: 'date' },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'code', label: 'Code', type: 'text' },
    { key: 'code_system', label: 'Code system', type: 'text', hint: 'e.g. CPT or SNOMED CT' },
    { key: 'performer', label: 'Performed by', type: 'text' },
    { key: 'surgical', label: 'Surgical (shown in surgical history)', type: 'checkbox' },
    { key: 'note', label: 'Note', type: 'text', wide: true },
  ],
};
