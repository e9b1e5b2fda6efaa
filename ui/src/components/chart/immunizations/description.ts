import type { ImmunizationAdd, ImmunizationRecord } from '../../../lib/api/types.gen';
import {
  choiceLabel,
  choices,
  text,
  type FieldsOf,
  type KindDescription,
} from '../records/description';

const status = choices('completed', 'historical', 'refused', 'not-done');

/** Immunizations, CVX coded over `code.search` (the vaccine name fills from the code). */
export const immunizationKind: KindDescription<ImmunizationRecord, FieldsOf<ImmunizationAdd>> = {
  kind: 'immunization',
  title: 'Immunizations',
  singular: 'immunization',
  empty: 'No immunizations recorded.',
  newestBy: (r) => r.date ?? '',
  readCommand: 'immunization.list',
  writeCommand: 'immunization.add',
  name: (r) => r.vaccine ?? r.cvx ?? 'immunization',
  columns: [
    { label: 'Vaccine', value: (r) => r.vaccine ?? '' },
    { label: 'CVX', nowrap: true, value: (r) => r.cvx ?? '' },
    { label: 'Date', nowrap: true, value: (r) => r.date ?? '' },
    { label: 'Dose', value: (r) => text(r.dose_number) },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'Lot', value: (r) => r.lot ?? '' },
    { label: 'Reason', value: (r) => r.reason ?? '' },
  ],
  fields: [
    {
      key: 'cvx',
      label: 'CVX code',
      type: 'code',
      system: 'cvx',
      fills: 'vaccine',
      wide: true,
      hint: 'Type a vaccine name or code and pick one',
    },
    { key: 'vaccine', label: 'Vaccine', type: 'text', wide: true },
    { key: 'date', label: 'Date given', type: 'date', required: true, startsAt: 'now' },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'dose_number', label: 'Dose number', type: 'number', integer: true },
    { key: 'lot', label: 'Lot', type: 'text' },
    { key: 'route', label: 'Route', type: 'text' },
    { key: 'site', label: 'Site', type: 'text' },
    { key: 'performer', label: 'Given by', type: 'text' },
    { key: 'reason', label: 'Reason', type: 'text', hint: 'Required when refused' },
  ],
};
