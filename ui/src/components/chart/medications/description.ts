import type { CheckItem, MedicationAdd, MedicationRecord } from '../../../lib/api/types.gen';
import { overrideNotes } from '../alerts/overrides';
import {
  choiceLabel,
  choices,
  joined,
  type FieldsOf,
  type KindDescription,
} from '../records/description';

const status = choices('active', 'on-hold', 'stopped', 'completed');

/** Stopped or completed: saving it as active or on hold again is a restart. */
const ended = (s: unknown) => s === 'stopped' || s === 'completed';

/**
 * The medication the safety check looks at: on add, always; on an edit, when its name,
 * RxNorm code or dose changes, or a stopped one is restarted (what the engine checks too).
 */
export function medicationCheckItem(
  fields: Record<string, unknown>,
  before?: MedicationRecord,
): CheckItem | null {
  const pick = (k: 'name' | 'rxnorm' | 'dose'): string | null => {
    const v = k in fields ? fields[k] : before?.[k];
    return typeof v === 'string' && v.trim() ? v.trim() : null;
  };
  if (before) {
    const changed = ['name', 'rxnorm', 'dose'].some((k) => k in fields);
    const restarted = 'status' in fields && ended(before.status) && !ended(fields.status);
    if (!changed && !restarted) return null;
  }
  const name = pick('name');
  if (!name) return null;
  return {
    type: 'medication',
    id: before?.id ?? null,
    name,
    rxnorm: pick('rxnorm'),
    dose: pick('dose'),
  };
}

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
  safetyItem: medicationCheckItem,
  notes: (r) => overrideNotes(r.alert_overrides),
};
