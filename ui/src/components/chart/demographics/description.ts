import type { PatientUpdate, PatientView } from '../../../lib/api/types.gen';
import { choiceLabel, choices, text, type FieldSpec, type FieldsOf } from '../records/description';

export const sexChoices = choices('female', 'male', 'other', 'unknown');
export const statusChoices = choices('active', 'inactive', 'deceased');

/** The demographics form (`patient.update`); front desk edits it, as clinicians do. */
export const demographicsFields: FieldSpec<FieldsOf<PatientUpdate>>[] = [
  { key: 'family', label: 'Family name', type: 'text', required: true },
  { key: 'given', label: 'Given names', type: 'list', hint: 'In order, separated by commas' },
  { key: 'preferred', label: 'Preferred name', type: 'text' },
  { key: 'birth_date', label: 'Birth date', type: 'date', required: true },
  { key: 'sex', label: 'Sex', type: 'select', options: sexChoices, required: true },
  { key: 'gender_identity', label: 'Gender identity', type: 'text' },
  { key: 'mrn', label: 'MRN', type: 'text' },
  { key: 'language', label: 'Language', type: 'text' },
  {
    key: 'phones',
    label: 'Phones',
    type: 'list',
    wide: true,
    hint: 'Separate several with commas',
  },
  { key: 'email', label: 'Email', type: 'text', wide: true },
  { key: 'status', label: 'Status', type: 'select', options: statusChoices, required: true },
  { key: 'deceased_date', label: 'Deceased on', type: 'date', hint: 'Required when deceased' },
];

/** The read-only rows: label and text, in the form's order. */
export function demographicsRows(p: PatientView): { label: string; value: string }[] {
  return [
    { label: 'Name', value: p.name },
    { label: 'Birth date', value: p.birth_date ?? '' },
    { label: 'Sex', value: choiceLabel(sexChoices, p.sex) },
    { label: 'Gender identity', value: p.gender_identity ?? '' },
    { label: 'MRN', value: p.mrn ?? '' },
    { label: 'Language', value: p.language ?? '' },
    { label: 'Phones', value: text(p.phones) },
    { label: 'Email', value: p.email ?? '' },
    { label: 'Address', value: addressLabel(p.address) },
    { label: 'Status', value: choiceLabel(statusChoices, p.status ?? 'active') },
    { label: 'Deceased on', value: p.deceased_date ?? '' },
  ].filter((r) => r.value !== '' || r.label === 'Phones');
}

/** An address object (street, city, ...) on one line. */
export function addressLabel(address: unknown): string {
  if (!address || typeof address !== 'object') return text(address);
  if (Array.isArray(address)) return text(address);
  return Object.values(address as Record<string, unknown>)
    .map(text)
    .filter(Boolean)
    .join(', ');
}
