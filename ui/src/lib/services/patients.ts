import type { Hit, PatientFields, PatientView } from '../api/types.gen';
import type { ServiceContext } from './context';

export type Sex = NonNullable<PatientFields['sex']>;

/** Finds patients by name parts, MRN, birth date or phone digits. */
export function searchPatients(ctx: ServiceContext, query: string, limit = 200): Promise<Hit[]> {
  return ctx.backend.call('patient.search', { query, limit });
}

export function getPatient(ctx: ServiceContext, id: string): Promise<PatientView> {
  return ctx.backend.call('patient.get', { id });
}

/** Registers a patient and announces it, so lists that show patients refresh. */
export async function registerPatient(
  ctx: ServiceContext,
  fields: PatientFields,
): Promise<PatientView> {
  const view = await ctx.backend.call('patient.create', fields);
  ctx.events.emit('patient-saved', { patient: view.id });
  return view;
}

/** The facts a new registration is compared on. */
export interface RegistrationDraft {
  family: string;
  given: string[];
  birth_date: string;
  phone: string;
}

/** Why an existing patient may be the one being registered again. */
export interface PossibleDuplicate {
  hit: Hit;
  reasons: ('same name and birth date' | 'same phone')[];
}

function digits(s: string): string {
  return s.replace(/\D/g, '');
}

function phonesOf(hit: Hit): string[] {
  return Array.isArray(hit.phones) ? hit.phones.map((p) => digits(String(p))) : [];
}

function givenOf(hit: Hit): string[] {
  return Array.isArray(hit.given) ? hit.given.map((g) => String(g).toLowerCase()) : [];
}

/**
 * Looks for patients who may already be registered: the same family name, first given name
 * and birth date, or the same phone number. Uses `patient.search`, which finds by birth date
 * and by phone digits, then keeps only real matches.
 */
export async function findPossibleDuplicates(
  ctx: ServiceContext,
  draft: RegistrationDraft,
): Promise<PossibleDuplicate[]> {
  const found = new Map<string, PossibleDuplicate>();
  const note = (hit: Hit, reason: PossibleDuplicate['reasons'][number]) => {
    const entry = found.get(hit.id) ?? { hit, reasons: [] };
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    found.set(hit.id, entry);
  };
  const family = draft.family.trim().toLowerCase();
  const first = draft.given[0]?.toLowerCase() ?? '';
  const phone = digits(draft.phone);
  const searches: Promise<void>[] = [];
  if (family && draft.birth_date) {
    searches.push(
      searchPatients(ctx, draft.birth_date).then((hits) => {
        for (const hit of hits) {
          const sameName =
            (hit.family ?? '').toLowerCase() === family && (!first || givenOf(hit)[0] === first);
          if (sameName && hit.birth_date === draft.birth_date)
            note(hit, 'same name and birth date');
        }
      }),
    );
  }
  if (phone.length >= 7) {
    searches.push(
      searchPatients(ctx, phone).then((hits) => {
        for (const hit of hits) if (phonesOf(hit).includes(phone)) note(hit, 'same phone');
      }),
    );
  }
  await Promise.all(searches);
  return [...found.values()];
}
