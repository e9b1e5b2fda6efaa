import type { Evaluation, Group, Measure, Member } from './api/types.gen';

/**
 * Quality measures as the screens read the engine's evaluation: the measurement period,
 * the populations in the order a measure report lists them, who is still open on a
 * measure and what would close it, and the CSV of one evaluation.
 */

/** A population of a group, as the engine names it. */
export type PopulationKey =
  | 'initial_population'
  | 'denominator'
  | 'denominator_exclusion'
  | 'denominator_exception'
  | 'numerator';

/** What a count in the report opens: a population, or the gaps to close. */
export type ListKey = PopulationKey | 'gaps';

export const populations: readonly { key: PopulationKey; label: string }[] = [
  { key: 'initial_population', label: 'Initial population' },
  { key: 'denominator', label: 'Denominator' },
  { key: 'denominator_exclusion', label: 'Denominator exclusions' },
  { key: 'denominator_exception', label: 'Denominator exceptions' },
  { key: 'numerator', label: 'Numerator' },
];

/** A list's name in a heading, a button and the CSV. */
export function listLabel(key: ListKey): string {
  return key === 'gaps' ? 'Gaps to close' : populations.find((p) => p.key === key)!.label;
}

/** The calendar year `day` (YYYY-MM-DD) falls in, `offset` years on: a measurement period. */
export function yearOf(day: string, offset = 0): { from: string; to: string } {
  const y = Number(day.slice(0, 4)) + offset;
  return { from: `${y}-01-01`, to: `${y}-12-31` };
}

/**
 * What a CMS138 group counts: its three groups share one initial population, so the report
 * must say which is which. The other measures have one group and need no name.
 */
const groupNames: Partial<Record<Measure, readonly string[]>> = {
  CMS138: [
    'Screened for tobacco use',
    'Tobacco users given cessation help',
    'Screened, and helped if a user',
  ],
};

export function groupName(measure: Measure, group: number): string | null {
  return groupNames[measure]?.[group - 1] ?? null;
}

/**
 * What would take a patient off the gaps list, in the words of each measure's numerator
 * (CMS122 is inverse: its numerator is poor control, so what closes it is a recent result
 * at or below 9%). Short on purpose: the engine's `because` says the rest.
 */
const hints: Record<Measure, readonly string[]> = {
  CMS122: ['An HbA1c (or GMI) in the period, the last one at or below 9%'],
  CMS165: ['The last blood pressure of the period below 140/90'],
  CMS125: ['A mammogram from October 1 two years before the period to its end (27 months)'],
  CMS130: [
    'Colonoscopy (10 years), CT colonography or flexible sigmoidoscopy (5 years), FIT-DNA (3 years) or FIT/FOBT (the period)',
  ],
  CMS138: [
    'Tobacco use screening in the period',
    'Cessation counselling or medication, from 6 months before the period to its end',
    'Tobacco screening, and cessation help for users',
  ],
};

export function closeHint(measure: Measure, group: number): string {
  const h = hints[measure];
  return h[group - 1] ?? h[0]!;
}

/**
 * The patients a clinician can still act on in one group. For a measure where higher is
 * better these are the engine's `gaps` (in the denominator, neither excluded nor excepted,
 * not in the numerator). For an inverse measure (CMS122) the engine's gaps are the
 * patients in control, and the ones to act on are the numerator (poor control or no test),
 * of whom none is excluded or excepted.
 */
export function toClose(e: Pick<Evaluation, 'higher_is_better'>, g: Group): Member[] {
  if (e.higher_is_better) return g.gaps;
  const out = new Set([
    ...g.denominator_exclusion.patients.map((m) => m.id),
    ...g.denominator_exception.patients.map((m) => m.id),
  ]);
  return g.numerator.patients.filter((m) => !out.has(m.id));
}

/** A group's patients behind one count of the report. */
export function membersOf(e: Evaluation, g: Group, key: ListKey): Member[] {
  return key === 'gaps' ? toClose(e, g) : g[key].patients;
}

/** The performance rate as the report prints it, "33.3%", or a dash when none. */
export function rateLabel(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** One measure one patient is open on, and what would close it. */
export interface OpenMeasure {
  measure: Measure;
  title: string;
  group: number;
  groupName: string | null;
  /** The engine's reason: the event that put the patient where they are. */
  because: string;
  hint: string;
}

/** Where one patient's evaluation leaves them open (one line per group). */
export function openOn(e: Evaluation, patient: string): OpenMeasure[] {
  return e.groups.flatMap((g) =>
    toClose(e, g)
      .filter((m) => m.id === patient)
      .map((m) => ({
        measure: e.measure,
        title: e.title,
        group: g.group,
        groupName: groupName(e.measure, g.group),
        because: m.because,
        hint: closeHint(e.measure, g.group),
      })),
  );
}

/**
 * A cell as a spreadsheet may open it: RFC 4180 quoting, and a cell it would run as a
 * formula (`=`, `@`, or `+`/`-` not followed by a number) defused with a leading
 * apostrophe, as the engine does for its own lists, since names are typed by people.
 */
export function csvCell(field: string): string {
  const first = field.charAt(0);
  const formula =
    first === '=' ||
    first === '@' ||
    first === '\t' ||
    first === '\r' ||
    ((first === '+' || first === '-') && !/^[0-9 ().-]*$/.test(field.slice(1)));
  const f = formula ? `'${field}` : field;
  return /[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
}

/**
 * The evaluation as CSV: one row per patient and population (the gaps to close included),
 * with the measure, the period and the group, CRLF line ends. The period is one cell,
 * `from..to`, so a row read alone still says which year it counts.
 */
export function measureCsv(e: Evaluation): string {
  const rows: string[][] = [
    ['measure', 'period', 'group', 'population', 'patient_id', 'mrn', 'name', 'because'],
  ];
  const period = `${e.from}..${e.to}`;
  for (const g of e.groups) {
    for (const key of [...populations.map((p) => p.key), 'gaps'] as ListKey[]) {
      for (const m of membersOf(e, g, key)) {
        rows.push([
          e.measure,
          period,
          String(g.group),
          listLabel(key),
          m.id,
          m.mrn,
          m.name,
          m.because,
        ]);
      }
    }
  }
  return rows.map((r) => r.map(csvCell).join(',') + '\r\n').join('');
}

/** The CSV's file name: the measure and the period, never a patient's name. */
export function measureCsvName(e: Evaluation): string {
  return `measure-${e.measure}-${e.from}-to-${e.to}.csv`;
}
