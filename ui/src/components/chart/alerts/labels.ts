import type { ShownAlert } from '../../../lib/api/types.gen';

const kinds: Record<ShownAlert['kind'], string> = {
  interaction: 'Interaction',
  allergy: 'Allergy',
  cross_reactivity: 'Possible cross-reactivity',
};

/** "Interaction: Ibuprofen 400 mg with Warfarin 5 mg tablet". */
export function alertTitle(a: ShownAlert): string {
  const other = a.other.role === 'allergy' ? `allergy to ${a.other.text}` : a.other.text;
  return `${kinds[a.kind]}: ${a.subject.text} with ${other}`;
}
