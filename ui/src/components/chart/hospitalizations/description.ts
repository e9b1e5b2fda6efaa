import type { HospitalizationAdd, HospitalizationRecord } from '../../../lib/api/types.gen';
import type { FieldsOf, KindDescription } from '../records/description';

/** Hospital stays: admitted, discharged, where and why. */
export const hospitalizationKind: KindDescription<
  HospitalizationRecord,
  FieldsOf<HospitalizationAdd>
> = {
  kind: 'hospitalization',
  title: 'Hospitalizations',
  singular: 'hospitalization',
  empty: 'No hospitalizations recorded.',
  newestBy: (r) => r.admit_date ?? '',
  readCommand: 'hospitalization.list',
  writeCommand: 'hospitalization.add',
  name: (r) => [r.reason ?? 'hospitalization', r.admit_date ?? ''].filter(Boolean).join(' '),
  columns: [
    { label: 'Admitted', nowrap: true, value: (r) => r.admit_date ?? '' },
    { label: 'Discharged', nowrap: true, value: (r) => r.discharge_date ?? '' },
    { label: 'Facility', value: (r) => r.facility ?? '' },
    { label: 'Reason', value: (r) => r.reason ?? '' },
    { label: 'Note', value: (r) => r.note ?? '' },
  ],
  fields: [
    { key: 'admit_date', label: 'Admission date', type: 'date', required: true },
    { key: 'discharge_date', label: 'Discharge date', type: 'date' },
    { key: 'facility', label: 'Facility', type: 'text', wide: true },
    { key: 'reason', label: 'Reason', type: 'text', wide: true },
    { key: 'note', label: 'Note', type: 'text', wide: true },
  ],
};
