import type { MedicationAdd, MedicationRecord } from '../../../lib/api/types.gen';
import {
  choiceLabel,
  choices,
  joined,
  type FieldsOf,
  type KindDescription,
} from '../records/description';

const status = choices('active', 'on-hold', 'stopped', 'completed');

/** Medications the patient takes or took: name, dose, route, frequency, dates. */
export const medicationKind: KindDescription<MedicationRecord, FieldsOf<MedicationAdd>> = {
  kind: 'medication',
  title: 'Medications',
  singular: 'medication',
  empty: 'No medications recorded.',
  readCommand: 'medication.list',
  writeCommand: 'medication.add',
  name: (r) => r.name ?? 'medication',
  columns: [
    { label: 'Medication', value: (r) => r.name ?? '' },
    { label: 'Dose and route', value: (r) => joined(' ', r.dose, r.route, r.frequency) },
    { label: 'Reason', value: (r) => r.reason ?? '' },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'Started', nowrap: true, value: (r) => r.start_date ?? '' },
    { label: 'Stopped', nowrap: true, value: (r) => r.stop_date ?? '' },
  ],
  fields: [
    { key: 'name', label: 'Medication name', type: 'text', required: true, wide: true },
    { key: 'rxnorm', label: 'RxNorm code', type: 'text' },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'dose', label: 'Dose', type: 'text', hint: 'e.g. 500 mg' },
    { key: 'route', label: 'Route', type: 'text', hint: 'e.g. oral' },
    { key: 'frequency', label: 'Frequency', type: 'text', hint: 'e.g. twice daily' },
    { key: 'reason', label: 'Reason', type: 'text' },
    { key: 'start_date', label: 'Start date', type: 'date' },
    { key: 'stop_date', label: 'Stop date', type: 'date' },
  ],
};
