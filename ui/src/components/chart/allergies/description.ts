import type { AllergyAdd } from '../../../lib/api/types.gen';
import { choices, type FieldSpec, type FieldsOf } from '../records/description';

/**
 * An allergy's fields in words, as the allergy form labels them. The form itself is its
 * own component (it handles "no known allergies"); the conflict review reads these.
 */
export const allergyFields: FieldSpec<FieldsOf<AllergyAdd>>[] = [
  { key: 'substance', label: 'Substance', type: 'text', wide: true },
  { key: 'code', label: 'Substance code', type: 'text' },
  {
    key: 'reactions',
    label: 'Reactions',
    type: 'list',
    wide: true,
    hint: 'Separate several with commas',
  },
  {
    key: 'severity',
    label: 'Severity',
    type: 'select',
    options: choices('mild', 'moderate', 'severe'),
  },
  {
    key: 'criticality',
    label: 'Criticality',
    type: 'select',
    options: choices('low', 'high', 'unable-to-assess'),
  },
  {
    key: 'category',
    label: 'Category',
    type: 'select',
    options: choices('medication', 'food', 'environment', 'biologic'),
  },
  {
    key: 'status',
    label: 'Status',
    type: 'select',
    options: choices('active', 'inactive', 'resolved'),
    required: true,
  },
  { key: 'no_known', label: 'No known allergies', type: 'checkbox' },
  { key: 'onset_date', label: 'Onset date', type: 'date' },
  { key: 'note', label: 'Note', type: 'text', wide: true },
];
