import type { Hit, PatientView } from '../../lib/api/types.gen';

/** How a patient's sex reads in lists and the banner. */
export function sexLabel(sex: Hit['sex']): string {
  switch (sex) {
    case 'female':
      return 'Female';
    case 'male':
      return 'Male';
    case 'other':
      return 'Other';
    case 'unknown':
      return 'Unknown';
    default:
      return '';
  }
}

/** The phone numbers as one line ("" when none). */
export function phonesLabel(p: Pick<Hit | PatientView, 'phones'>): string {
  return Array.isArray(p.phones) ? p.phones.map(String).join(', ') : '';
}
