import type { ObservationRecord, ObservationUpdate } from '../../../lib/api/types.gen';
import { dateTimeLabel } from '../../../lib/dates';
import { choices, joined, type FieldsOf, type KindDescription } from '../records/description';

export const flags = [
  { value: 'N', label: 'Normal' },
  { value: 'H', label: 'High' },
  { value: 'L', label: 'Low' },
  { value: 'HH', label: 'Critically high' },
  { value: 'LL', label: 'Critically low' },
  { value: 'A', label: 'Abnormal' },
];
export const observationStatus = choices('final', 'preliminary', 'amended', 'cancelled');

/** An observation's value with its unit: "128 mm[Hg]". */
export function observationValue(
  r: Pick<ObservationRecord, 'value_num' | 'value_text' | 'value_code' | 'unit'>,
): string {
  return joined(' ', r.value_num ?? r.value_text ?? r.value_code, r.unit);
}

/** A reference range as read: "4–5.6", "< 200", "> 60", or nothing. */
export function rangeLabel(
  low: number | null | undefined,
  high: number | null | undefined,
): string {
  const lo = low ?? null;
  const hi = high ?? null;
  if (lo !== null && hi !== null) return `${lo}–${hi}`;
  if (hi !== null) return `< ${hi}`;
  if (lo !== null) return `> ${lo}`;
  return '';
}

export function flagLabel(flag: string | null | undefined): string {
  if (!flag || flag === 'N') return '';
  return flags.find((f) => f.value === flag)?.label ?? flag;
}

/** A result's status when it is not final: "Preliminary", "Amended", "Cancelled". */
export function statusLabel(status: string | null | undefined): string {
  if (!status || status === 'final') return '';
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** Correcting one saved measure: its value, unit, flag and status (the code stays). */
const correction: KindDescription<ObservationRecord, FieldsOf<ObservationUpdate>>['fields'] = [
  { key: 'value_num', label: 'Value', type: 'number' },
  { key: 'value_text', label: 'Value as text', type: 'text' },
  { key: 'unit', label: 'Unit', type: 'text' },
  { key: 'flag', label: 'Flag', type: 'select', options: flags },
  { key: 'status', label: 'Status', type: 'select', options: observationStatus, required: true },
  { key: 'effective', label: 'Measured at', type: 'datetime', required: true },
];

function observationKind(
  category: 'vital' | 'lab',
  title: string,
): KindDescription<ObservationRecord, FieldsOf<ObservationUpdate>> {
  return {
    kind: 'observation',
    title,
    singular: category === 'vital' ? 'measurement' : 'result',
    empty: category === 'vital' ? 'No vitals recorded.' : 'No lab results recorded.',
    readCommand: 'observation.list',
    writeCommand: 'observation.update',
    addable: false,
    newestBy: (r) => r.effective ?? '',
    filter: (r) => r.category === category,
    name: (r) =>
      `${r.display ?? r.code ?? 'observation'} ${r.effective ? r.effective.slice(0, 10) : ''}`.trim(),
    columns: [
      { label: 'Measured', nowrap: true, value: (r) => dateTimeLabel(r.effective) },
      { label: category === 'vital' ? 'Measure' : 'Test', value: (r) => r.display ?? r.code ?? '' },
      { label: 'Value', value: observationValue },
      { label: 'Flag', value: (r) => flagLabel(r.flag) },
      {
        label: 'Reference',
        nowrap: true,
        value: (r) => r.ref_text ?? rangeLabel(r.ref_low, r.ref_high),
      },
      { label: 'LOINC', nowrap: true, value: (r) => r.code ?? '' },
      // A lab's preliminary or corrected result says so; a final one needs no word.
      ...(category === 'lab'
        ? [
            {
              label: 'Status',
              nowrap: true,
              value: (r: ObservationRecord) => statusLabel(r.status),
            },
          ]
        : []),
    ],
    fields: correction,
  };
}

export const vitalsKind = observationKind('vital', 'Recorded vitals');
export const labsKind = observationKind('lab', 'Lab results');
