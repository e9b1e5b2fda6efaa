import { ipsLabels, type IpsLabels, type IpsLanguage } from '../i18n/ips-labels';

/**
 * The International Patient Summary (the engine's `export.ips` Bundle) read for a printed
 * page: the patient, who prepared it and when, and each Composition section in order with
 * its entries as rows of plain text, built from the structured resources the entries point
 * at (never from the narrative XHTML, which is not shown). Two steps: `readIps` takes what
 * the Bundle says, codes and all; `ipsPage` words it in one language's labels and dates.
 * Entries entered in error or refuted never appear.
 */

type Json = Record<string, unknown>;

const SNOMED = 'http://snomed.info/sct';

/** Why a Bundle cannot be printed as a summary. */
export class IpsError extends Error {}

/** An identifier of the patient: the practice's MRN, or another with its kind as recorded. */
export interface IpsIdentifier {
  mrn: boolean;
  /** The identifier's kind as the Bundle names it (type text or display), if it does. */
  kind: string | null;
  value: string;
}

export interface IpsPatient {
  name: string;
  /** FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
  birthDate: string | null;
  /** FHIR administrative gender code. */
  sex: string | null;
  identifiers: IpsIdentifier[];
  /** The preferred language of communication as recorded (a BCP 47 tag). */
  language: string | null;
}

/** What kind of rows a section has, from its LOINC code. */
export type IpsSectionKind =
  | 'problems'
  | 'medications'
  | 'allergies'
  | 'immunizations'
  | 'results'
  | 'vitals'
  | 'procedures'
  | 'other';

const kindByCode: Record<string, IpsSectionKind> = {
  '11450-4': 'problems',
  '10160-0': 'medications',
  '48765-2': 'allergies',
  '11369-6': 'immunizations',
  '30954-2': 'results',
  '8716-3': 'vitals',
  '47519-4': 'procedures',
};

/** The SNOMED CT codes that say no allergy is known, and which kind. */
const noKnownCodes: Record<string, NoKnown> = {
  '716186003': 'all',
  '409137002': 'drug',
  '429625007': 'food',
  '428607008': 'environment',
};
type NoKnown = 'all' | 'drug' | 'food' | 'environment';

/** One entry as the resource records it: dates as FHIR dates, statuses as codes. */
export type IpsEntry =
  | { kind: 'problem'; name: string; onset: string | null; status: string | null }
  | { kind: 'medication'; name: string; dosage: string; status: string | null }
  | {
      kind: 'allergy';
      substance: string;
      reactions: string[];
      severity: string | null;
      criticality: string | null;
      status: string | null;
    }
  | { kind: 'immunization'; vaccine: string; date: string | null; status: string | null }
  | {
      kind: 'observation';
      name: string;
      value: string;
      /** Interpretation: the HL7 code (H, L, …) and the Bundle's words for it. */
      flag: { code: string | null; text: string | null } | null;
      date: string | null;
    }
  | { kind: 'procedure'; name: string; date: string | null; status: string | null }
  | { kind: 'other'; name: string; date: string | null; status: string | null };

export interface IpsSection {
  /** LOINC code of the section, if it has one. */
  code: string | null;
  /** The section's own title, for sections without one of ours. */
  title: string;
  kind: IpsSectionKind;
  entries: IpsEntry[];
  /** The allergy section's "no known allergies" statement, when that is all it holds. */
  noKnown: NoKnown | null;
}

export interface IpsSummary {
  patient: IpsPatient;
  /** Who prepared it: the practice (the Composition's author). */
  author: string | null;
  /** The Composition's date (FHIR dateTime). */
  date: string | null;
  sections: IpsSection[];
}

/** `table[key]` when the table has that key of its own (never one of Object's). */
function lookup<T>(table: Record<string, T>, key: string | null | undefined): T | undefined {
  return key != null && Object.hasOwn(table, key) ? table[key] : undefined;
}

function obj(v: unknown): Json | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t ? t : null;
}

function codings(concept: unknown): Json[] {
  return arr(obj(concept)?.coding)
    .map(obj)
    .filter((c): c is Json => c !== null);
}

/** The first code of a CodeableConcept (optionally of one system). */
function codeOf(concept: unknown, system?: string): string | null {
  for (const c of codings(concept)) {
    if (!system || str(c.system) === system) {
      const code = str(c.code);
      if (code) return code;
    }
  }
  return null;
}

/** A CodeableConcept as words: its text, else a coding's display, else a code. */
function conceptText(concept: unknown): string | null {
  const o = obj(concept);
  if (!o) return null;
  const text = str(o.text);
  if (text) return text;
  const cs = codings(o);
  for (const c of cs) {
    const display = str(c.display);
    if (display) return display;
  }
  for (const c of cs) {
    const code = str(c.code);
    if (code) return code;
  }
  return null;
}

/** The first of the concepts in a list with words. */
function firstText(list: unknown): string | null {
  for (const c of arr(list)) {
    const t = conceptText(c);
    if (t) return t;
  }
  return null;
}

function periodStart(v: unknown): string | null {
  return str(obj(v)?.start);
}

function quantityText(q: unknown): string | null {
  const o = obj(q);
  if (!o) return null;
  const value = str(o.value);
  if (value === null) return null;
  const comparator = str(o.comparator) ?? '';
  const unit = str(o.unit) ?? str(o.code);
  return `${comparator}${value}${unit ? ` ${unit}` : ''}`;
}

/** An observation's (or component's) value[x] as text, as recorded. */
function valueText(o: Json): string | null {
  const q = quantityText(o.valueQuantity);
  if (q) return q;
  const concept = conceptText(o.valueCodeableConcept);
  if (concept) return concept;
  for (const key of ['valueString', 'valueInteger', 'valueDateTime', 'valueTime']) {
    const v = str(o[key]);
    if (v) return v;
  }
  if (typeof o.valueBoolean === 'boolean') return o.valueBoolean ? 'true' : 'false';
  const range = obj(o.valueRange);
  if (range) {
    const low = quantityText(range.low);
    const high = quantityText(range.high);
    if (low || high) return `${low ?? ''}–${high ?? ''}`;
  }
  const ratio = obj(o.valueRatio);
  if (ratio) {
    const n = quantityText(ratio.numerator);
    const d = quantityText(ratio.denominator);
    if (n && d) return `${n}/${d}`;
  }
  return null;
}

/** A resource's status code: clinicalStatus where it has one, else status. */
function statusOf(r: Json): string | null {
  return codeOf(r.clinicalStatus) ?? str(r.status);
}

/** Entries that say they are not (or no longer) true: entered in error, refuted. */
function withdrawn(r: Json): boolean {
  if (str(r.status) === 'entered-in-error') return true;
  const verification = codeOf(r.verificationStatus);
  return verification === 'entered-in-error' || verification === 'refuted';
}

function humanName(n: Json): string | null {
  const text = str(n.text);
  if (text) return text;
  const family = str(n.family);
  const given = arr(n.given).map(str).filter(Boolean).join(' ');
  if (family && given) return `${family}, ${given}`;
  return family ?? (given || null);
}

function patientOf(p: Json): IpsPatient {
  const names = arr(p.name)
    .map(obj)
    .filter((n): n is Json => n !== null);
  const official = names.find((n) => n.use === 'official') ?? names[0];
  let name = (official && humanName(official)) ?? '';
  const usual = names.find((n) => n !== official && n.use === 'usual');
  const preferred = usual ? arr(usual.given).map(str).filter(Boolean).join(' ') : '';
  if (preferred && !name.includes(preferred)) name = `${name} (${preferred})`;

  const identifiers: IpsIdentifier[] = [];
  for (const i of arr(p.identifier)) {
    const id = obj(i);
    const value = id && str(id.value);
    if (!id || !value) continue;
    const mrn = codeOf(id.type) === 'MR';
    identifiers.push({ mrn, kind: mrn ? null : conceptText(id.type), value });
  }

  const communication = arr(p.communication)
    .map(obj)
    .filter((c): c is Json => c !== null);
  const preferredLanguage = communication.find((c) => c.preferred === true) ?? communication[0];
  const language = preferredLanguage
    ? (codeOf(preferredLanguage.language) ?? str(obj(preferredLanguage.language)?.text))
    : null;

  return {
    name,
    birthDate: str(p.birthDate),
    sex: str(p.gender),
    identifiers,
    language,
  };
}

/** Who a reference (author, custodian) points at, by name. */
function nameOf(r: Json | null, display: string | null): string | null {
  if (!r) return display;
  if (str(r.name)) return str(r.name);
  const names = arr(r.name)
    .map(obj)
    .filter((n): n is Json => n !== null);
  return (names[0] && humanName(names[0])) ?? display;
}

function problem(r: Json): IpsEntry {
  return {
    kind: 'problem',
    name: conceptText(r.code) ?? '',
    onset: str(r.onsetDateTime) ?? periodStart(r.onsetPeriod) ?? str(r.onsetString),
    status: statusOf(r),
  };
}

function dosageText(d: Json): string | null {
  const text = str(d.text);
  if (text) return text;
  const dose = arr(d.doseAndRate)
    .map((x) => quantityText(obj(x)?.doseQuantity))
    .find(Boolean);
  const parts = [dose, conceptText(d.route), conceptText(obj(d.timing)?.code)];
  const joined = parts.filter(Boolean).join(' ');
  return joined || null;
}

function medication(r: Json, resolve: (ref: unknown) => Json | null): IpsEntry {
  const medicine = resolve(r.medicationReference);
  const name =
    conceptText(r.medicationCodeableConcept) ??
    (medicine && conceptText(medicine.code)) ??
    str(obj(r.medicationReference)?.display) ??
    '';
  const dosage = arr(r.dosage ?? r.dosageInstruction)
    .map(obj)
    .filter((d): d is Json => d !== null)
    .map(dosageText)
    .filter(Boolean)
    .join('; ');
  return { kind: 'medication', name, dosage, status: str(r.status) };
}

const severityRank: Record<string, number> = { mild: 1, moderate: 2, severe: 3 };

function allergy(r: Json): IpsEntry {
  const reactions: string[] = [];
  let severity: string | null = null;
  for (const x of arr(r.reaction)) {
    const reaction = obj(x);
    if (!reaction) continue;
    for (const m of arr(reaction.manifestation)) {
      const t = conceptText(m);
      if (t && !reactions.includes(t)) reactions.push(t);
    }
    const s = str(reaction.severity);
    // The most severe of the reactions stands for the allergy.
    if (s && (lookup(severityRank, s) ?? 0) > (lookup(severityRank, severity) ?? -1)) severity = s;
  }
  return {
    kind: 'allergy',
    substance: conceptText(r.code) ?? '',
    reactions,
    severity,
    criticality: str(r.criticality),
    status: statusOf(r),
  };
}

function immunization(r: Json): IpsEntry {
  return {
    kind: 'immunization',
    vaccine: conceptText(r.vaccineCode) ?? '',
    date: str(r.occurrenceDateTime) ?? str(r.occurrenceString),
    status: str(r.status),
  };
}

function components(r: Json): string | null {
  const parts = arr(r.component)
    .map(obj)
    .filter((c): c is Json => c !== null)
    .map((c) => {
      const value = valueText(c);
      return value ? `${conceptText(c.code) ?? ''} ${value}`.trim() : null;
    })
    .filter(Boolean);
  return parts.length ? parts.join('; ') : null;
}

function observation(r: Json): IpsEntry {
  const interpretation = arr(r.interpretation)[0];
  const flagCode = codeOf(interpretation);
  const flagText = conceptText(interpretation);
  return {
    kind: 'observation',
    name: conceptText(r.code) ?? '',
    value: valueText(r) ?? components(r) ?? conceptText(r.dataAbsentReason) ?? '',
    flag: flagCode || flagText ? { code: flagCode, text: flagText } : null,
    date: str(r.effectiveDateTime) ?? periodStart(r.effectivePeriod) ?? str(r.issued),
  };
}

function procedure(r: Json): IpsEntry {
  return {
    kind: 'procedure',
    name: conceptText(r.code) ?? '',
    date: str(r.performedDateTime) ?? periodStart(r.performedPeriod) ?? str(r.performedString),
    status: str(r.status),
  };
}

/** Any other resource (a device use, a care plan…): its name, a date and a status. */
function other(r: Json, resolve: (ref: unknown) => Json | null): IpsEntry {
  const device = resolve(r.device);
  const deviceName =
    device &&
    (conceptText(device.type) ??
      arr(device.deviceName)
        .map((n) => str(obj(n)?.name))
        .find(Boolean));
  const name =
    conceptText(r.code) ??
    conceptText(obj(arr(r.condition)[0])?.code) ??
    conceptText(r.medicationCodeableConcept) ??
    conceptText(r.vaccineCode) ??
    deviceName ??
    str(r.title) ??
    str(r.description) ??
    firstText(r.category) ??
    str(r.resourceType) ??
    '';
  const date =
    str(r.effectiveDateTime) ??
    str(r.onsetDateTime) ??
    str(r.performedDateTime) ??
    str(r.occurrenceDateTime) ??
    str(r.recordedOn) ??
    str(r.date) ??
    periodStart(r.period) ??
    periodStart(r.timingPeriod) ??
    str(r.timingDateTime);
  return { kind: 'other', name, date, status: statusOf(r) };
}

function entryOf(
  kind: IpsSectionKind,
  r: Json,
  resolve: (ref: unknown) => Json | null,
): IpsEntry[] {
  const type = str(r.resourceType);
  if (type === 'DiagnosticReport' && (kind === 'results' || kind === 'vitals')) {
    // A report stands for its results: each one is a row.
    const results = arr(r.result)
      .map(resolve)
      .filter((o): o is Json => o !== null && !withdrawn(o));
    if (results.length) return results.map(observation);
  }
  switch (kind) {
    case 'problems':
      return [type === 'Condition' ? problem(r) : other(r, resolve)];
    case 'medications':
      return [
        type === 'MedicationStatement' || type === 'MedicationRequest'
          ? medication(r, resolve)
          : other(r, resolve),
      ];
    case 'allergies':
      return [type === 'AllergyIntolerance' ? allergy(r) : other(r, resolve)];
    case 'immunizations':
      return [type === 'Immunization' ? immunization(r) : other(r, resolve)];
    case 'results':
    case 'vitals':
      return [type === 'Observation' ? observation(r) : other(r, resolve)];
    case 'procedures':
      return [type === 'Procedure' ? procedure(r) : other(r, resolve)];
    default:
      return [other(r, resolve)];
  }
}

/**
 * Reads an IPS document Bundle. Throws `IpsError` when it is not one (no Composition
 * first); anything missing inside is left empty rather than refused.
 */
export function readIps(bundle: unknown): IpsSummary {
  const b = obj(bundle);
  const entries = arr(b?.entry)
    .map(obj)
    .filter((e): e is Json => e !== null);
  const composition = obj(entries[0]?.resource);
  if (!b || b.resourceType !== 'Bundle' || composition?.resourceType !== 'Composition') {
    throw new IpsError('This is not an International Patient Summary (no Composition).');
  }
  const byUrl = new Map<string, Json>();
  for (const e of entries) {
    const r = obj(e.resource);
    if (!r) continue;
    const url = str(e.fullUrl);
    if (url) byUrl.set(url, r);
    const type = str(r.resourceType);
    const id = str(r.id);
    if (type && id) byUrl.set(`${type}/${id}`, r);
  }
  const resolve = (ref: unknown): Json | null => {
    const url = str(obj(ref)?.reference);
    return url ? (byUrl.get(url) ?? null) : null;
  };

  const subject = resolve(composition.subject);
  const patient = subject
    ? patientOf(subject)
    : {
        name: str(obj(composition.subject)?.display) ?? '',
        birthDate: null,
        sex: null,
        identifiers: [],
        language: null,
      };
  const authorRef = arr(composition.author)[0] ?? composition.custodian;
  const author = nameOf(resolve(authorRef), str(obj(authorRef)?.display));

  const sections: IpsSection[] = arr(composition.section)
    .map(obj)
    .filter((s): s is Json => s !== null)
    .map((s) => {
      const code = codeOf(s.code, 'http://loinc.org') ?? codeOf(s.code);
      const kind = lookup(kindByCode, code) ?? 'other';
      const resources = arr(s.entry)
        .map(resolve)
        .filter((r): r is Json => r !== null && !withdrawn(r));
      let noKnown: NoKnown | null = null;
      const listed: Json[] = [];
      for (const r of resources) {
        const statement =
          kind === 'allergies' ? lookup(noKnownCodes, codeOf(r.code, SNOMED)) : undefined;
        if (statement) noKnown ??= statement;
        else listed.push(r);
      }
      return {
        code,
        title: str(s.title) ?? conceptText(s.code) ?? '',
        kind,
        entries: listed.flatMap((r) => entryOf(kind, r, resolve)),
        // Allergies recorded beside a "no known allergy" statement are what prints.
        noKnown: listed.length ? null : noKnown,
      };
    });

  return {
    patient,
    author,
    date: str(composition.date),
    sections,
  };
}

/** The page in one language: every string as it prints. */
export interface IpsPage {
  lang: IpsLanguage;
  dir: 'ltr' | 'rtl';
  labels: IpsLabels;
  title: string;
  patient: {
    name: string;
    born: string;
    sex: string | null;
    mrn: string | null;
    /** Every identifier with its label, the MRN first. */
    identifiers: { label: string; value: string }[];
  };
  preparedBy: string | null;
  date: string | null;
  sections: IpsPageSection[];
  /** Formats a moment (the time printed) in this page's locale. */
  formatMoment: (at: Date) => string;
}

export interface IpsPageSection {
  code: string | null;
  title: string;
  /** Column heads; a column nothing in the section fills is left out. */
  columns: string[];
  rows: string[][];
  /** What an empty section says instead of rows. */
  empty: string | null;
}

/**
 * A FHIR date or dateTime in `locale`: a calendar date as that day wherever it is read (no
 * time zone shift); a partial date as much as is given; a moment as the local day.
 */
export function formatFhirDate(value: string | null, locale: string): string {
  if (!value) return '';
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(value);
  try {
    if (m) {
      const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
      const day = new Date(Date.UTC(y, mo - 1, d));
      const options: Intl.DateTimeFormatOptions = m[3]
        ? { dateStyle: 'medium', timeZone: 'UTC' }
        : m[2]
          ? { year: 'numeric', month: 'short', timeZone: 'UTC' }
          : { year: 'numeric', timeZone: 'UTC' };
      return new Intl.DateTimeFormat(locale, options).format(day);
    }
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) return value;
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(at);
  } catch {
    return value;
  }
}

function word(table: Record<string, string>, code: string | null): string {
  if (!code) return '';
  return lookup(table, code) ?? code;
}

/** A status of a resource of no kind here, in the words of the kinds that have it. */
function anyStatus(labels: IpsLabels, code: string | null): string {
  if (!code) return '';
  const tables: Record<string, string>[] = [
    labels.procedureStatus,
    labels.medicationStatus,
    labels.problemStatus,
  ];
  for (const t of tables) {
    const w = lookup(t, code);
    if (w) return w;
  }
  return code;
}

function flagWord(labels: IpsLabels, flag: { code: string | null; text: string | null } | null) {
  if (!flag) return '';
  // A normal result needs no flag beside it.
  if (flag.code === 'N') return '';
  return lookup<string>(labels.flags, flag.code) ?? flag.text ?? flag.code ?? '';
}

function sectionPage(s: IpsSection, labels: IpsLabels, locale: string): IpsPageSection {
  const c = labels.columns;
  const date = (d: string | null) => formatFhirDate(d, locale);
  let columns: string[];
  let rows: string[][];
  switch (s.kind) {
    case 'problems':
      columns = [c.problem, c.onset, c.status];
      break;
    case 'medications':
      columns = [c.medication, c.dosage, c.status];
      break;
    case 'allergies':
      columns = [c.substance, c.reactions, c.severity, c.criticality, c.status];
      break;
    case 'immunizations':
      columns = [c.vaccine, c.date, c.status];
      break;
    case 'results':
      columns = [c.test, c.result, c.flag, c.date];
      break;
    case 'vitals':
      columns = [c.measurement, c.result, c.flag, c.date];
      break;
    case 'procedures':
      columns = [c.procedure, c.date, c.status];
      break;
    default:
      columns = [c.item, c.date, c.status];
  }
  rows = s.entries.map((e): string[] => {
    switch (e.kind) {
      case 'problem':
        return [e.name, date(e.onset), word(labels.problemStatus, e.status)];
      case 'medication':
        return [e.name, e.dosage, word(labels.medicationStatus, e.status)];
      case 'allergy':
        return [
          e.substance,
          e.reactions.join(', '),
          word(labels.severities, e.severity),
          word(labels.criticalities, e.criticality),
          word(labels.allergyStatus, e.status),
        ];
      case 'immunization':
        return [e.vaccine, date(e.date), word(labels.immunizationStatus, e.status)];
      case 'observation':
        return [e.name, e.value, flagWord(labels, e.flag), date(e.date)];
      case 'procedure':
        return [e.name, date(e.date), word(labels.procedureStatus, e.status)];
      case 'other':
        // A resource of another type than the section's (or any, in a section of no kind
        // here) fills the name, date and status columns the section has.
        return columns.map((head, i) =>
          i === 0
            ? e.name
            : head === c.date || head === c.onset
              ? date(e.date)
              : head === c.status
                ? anyStatus(labels, e.status)
                : '',
        );
    }
  });
  // Leave out the columns (but the first) that no row fills.
  const keep = columns.map((_, i) => i === 0 || rows.some((r) => (r[i] ?? '') !== ''));
  columns = columns.filter((_, i) => keep[i]);
  rows = rows.map((r) => r.filter((_, i) => keep[i]));

  const title = lookup<string>(labels.sections, s.code) || s.title || labels.columns.item;
  const empty =
    rows.length > 0 ? null : s.noKnown ? labels.noKnown[s.noKnown] : labels.noneRecorded;
  return { code: s.code, title, columns: rows.length ? columns : [], rows, empty };
}

/** The summary worded in `language`, its dates written in `locale` (see `ipsLocale`). */
export function ipsPage(
  summary: IpsSummary,
  language: IpsLanguage,
  locale: string = ipsLabels[language].locale,
): IpsPage {
  const labels = ipsLabels[language];
  const p = summary.patient;
  const mrn = p.identifiers.find((i) => i.mrn)?.value ?? null;
  const identifiers = [
    ...p.identifiers.filter((i) => i.mrn).map((i) => ({ label: labels.mrn, value: i.value })),
    ...p.identifiers
      .filter((i) => !i.mrn)
      .map((i) => ({ label: i.kind ?? labels.identifier, value: i.value })),
  ];
  const sex = p.sex ? (lookup<string>(labels.sexes, p.sex) ?? p.sex) : null;
  return {
    lang: language,
    dir: labels.dir,
    labels,
    title: labels.title,
    patient: {
      name: p.name,
      born: p.birthDate ? formatFhirDate(p.birthDate, locale) : labels.unknown,
      sex,
      mrn,
      identifiers,
    },
    preparedBy: summary.author,
    date: summary.date ? formatFhirDate(summary.date, locale) : null,
    sections: summary.sections.map((s) => sectionPage(s, labels, locale)),
    formatMoment: (at: Date) => {
      try {
        return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(
          at,
        );
      } catch {
        return at.toISOString();
      }
    },
  };
}
