import type { FieldSpec } from './description';

/** What a form control holds: text for inputs and selects, a flag for checkboxes. */
export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

/** A value typed into a form that the engine would refuse, caught before sending. */
export class FormProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * An RFC 3339 time as a `datetime-local` control shows it, in the user's time zone (the
 * engine would read a bare local time as UTC, so the form converts both ways).
 */
export function toLocalInput(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (the user's time zone) as RFC 3339 UTC. */
export function fromLocalInput(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new FormProblem('', `${value} is not a date and time`);
  return d.toISOString();
}

/** Now, as a date or a `datetime-local` control shows it. */
function nowFor(f: FieldSpec): string {
  const local = toLocalInput(new Date().toISOString());
  return f.type === 'date' ? local.slice(0, 10) : local;
}

/** The form's starting values: the record's, or empty (and each select's first choice). */
export function initialValues(
  fields: readonly FieldSpec[],
  record?: Record<string, unknown>,
): FormValues {
  const values: FormValues = {};
  for (const f of fields) {
    const v = record?.[f.key];
    if (f.type === 'checkbox') values[f.key] = v === true;
    else if (!record && f.startsAt === 'now') values[f.key] = nowFor(f);
    else if (v === null || v === undefined)
      values[f.key] = f.type === 'select' && f.required ? (f.options?.[0]?.value ?? '') : '';
    else if (f.type === 'datetime') values[f.key] = toLocalInput(String(v));
    else if (f.type === 'list')
      values[f.key] = Array.isArray(v) ? v.map(String).join(', ') : String(v);
    else values[f.key] = String(v);
  }
  return values;
}

/** One field's typed value in the engine's shape (`null` for empty). */
export function engineValue(f: FieldSpec, value: FormValue | undefined): unknown {
  if (f.type === 'checkbox') return value === true;
  const s = typeof value === 'string' ? value.trim() : '';
  if (s === '') {
    if (f.required) throw new FormProblem(f.key, `${f.label} is required.`);
    return null;
  }
  switch (f.type) {
    case 'number': {
      const n = Number(s.replace(',', '.'));
      if (!Number.isFinite(n)) throw new FormProblem(f.key, `${f.label}: "${s}" is not a number.`);
      if (f.integer && !Number.isInteger(n))
        throw new FormProblem(f.key, `${f.label}: give a whole number.`);
      return n;
    }
    case 'datetime':
      try {
        return fromLocalInput(s);
      } catch {
        throw new FormProblem(f.key, `${f.label}: "${s}" is not a date and time.`);
      }
    case 'list':
      return s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    default:
      return s;
  }
}

/** Every field for an add request. */
export function addRequest(
  fields: readonly FieldSpec[],
  values: FormValues,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = engineValue(f, values[f.key]);
    // An unticked box on a new record says nothing, rather than "false".
    if (f.type === 'checkbox' && v === false) continue;
    if (v !== null) out[f.key] = v;
  }
  return out;
}

/**
 * Only the fields the user changed, for an update: the engine records each field written
 * as a change, so unchanged fields are left out of the history (and out of conflicts).
 */
export function changedFields(
  fields: readonly FieldSpec[],
  record: Record<string, unknown>,
  values: FormValues,
): Record<string, unknown> {
  const before = initialValues(fields, record);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (values[f.key] === before[f.key]) continue;
    out[f.key] = engineValue(f, values[f.key]);
  }
  return out;
}
