import type { ObservationRecord, Point } from '../../../lib/api/types.gen';

/** A reference range; one side may be open (LDL below 100, eGFR above 60). */
export interface Range {
  low: number | null;
  high: number | null;
}

/** One line of a plot: a LOINC code and how the legend names it. */
export interface TrendLine {
  code: string;
  label: string;
  /** The usual range of this line when the plot's lines differ (systolic, diastolic). */
  defaultRange?: Range;
}

/** One plot: its lines (BP has two), unit, and the range shaded when the data has none. */
export interface TrendSpec {
  id: string;
  title: string;
  unit: string;
  lines: TrendLine[];
  category: 'vital' | 'lab';
  defaultRange?: Range;
  /** Shown first (the known plots); the other labs are picked from a list. */
  featured?: boolean;
  /** Decimals shown in the table and legend (vitals come converted, 81.647 kg). */
  decimals?: number;
}

/**
 * The plots shown first, in this order, when the chart has values for them; any other lab
 * with numeric values gets its own plot after these. Vitals carry usual adult ranges (the
 * engine stores no range for vitals); labs take the range saved with the latest result.
 */
const vital = { category: 'vital', decimals: 1 } as const;

export const KNOWN_TRENDS: TrendSpec[] = [
  {
    id: 'bp',
    title: 'Blood pressure',
    unit: 'mm[Hg]',
    ...vital,
    lines: [
      { code: '8480-6', label: 'Systolic', defaultRange: { low: 90, high: 130 } },
      { code: '8462-4', label: 'Diastolic', defaultRange: { low: 60, high: 85 } },
    ],
  },
  {
    id: 'weight',
    title: 'Weight',
    unit: 'kg',
    ...vital,
    lines: [{ code: '29463-7', label: 'Weight' }],
  },
  {
    id: 'bmi',
    title: 'BMI',
    unit: 'kg/m2',
    ...vital,
    lines: [{ code: '39156-5', label: 'BMI' }],
    defaultRange: { low: 18.5, high: 25 },
  },
  {
    id: 'hr',
    title: 'Heart rate',
    unit: '/min',
    ...vital,
    lines: [{ code: '8867-4', label: 'Heart rate' }],
    defaultRange: { low: 60, high: 100 },
  },
  {
    id: 'temp',
    title: 'Temperature',
    unit: 'Cel',
    ...vital,
    lines: [{ code: '8310-5', label: 'Temperature' }],
    defaultRange: { low: 36.1, high: 37.8 },
  },
  {
    id: 'spo2',
    title: 'SpO₂',
    unit: '%',
    ...vital,
    lines: [{ code: '59408-5', label: 'SpO₂' }],
    defaultRange: { low: 95, high: 100 },
  },
  {
    id: 'rr',
    title: 'Respiratory rate',
    unit: '/min',
    ...vital,
    lines: [{ code: '9279-1', label: 'Respiratory rate' }],
    defaultRange: { low: 12, high: 20 },
  },
  {
    id: 'hba1c',
    title: 'HbA1c',
    unit: '%',
    category: 'lab',
    lines: [{ code: '4548-4', label: 'HbA1c' }],
  },
  {
    id: 'ldl',
    title: 'LDL cholesterol',
    unit: 'mg/dL',
    category: 'lab',
    lines: [{ code: '18262-6', label: 'LDL' }],
  },
  {
    id: 'egfr',
    title: 'eGFR',
    unit: 'mL/min/1.73m2',
    category: 'lab',
    lines: [{ code: '98979-8', label: 'eGFR' }],
  },
];

const SKIP = new Set(['8302-2', '9843-4', '72514-3']);

/**
 * Which plots this chart can show, from its (not retracted) numeric observations: the known
 * ones that have data first, then one per other lab code, named as the engine names it.
 */
export function availableTrends(observations: readonly ObservationRecord[]): TrendSpec[] {
  const numeric = observations.filter(
    (o) => !o.retracted && o.code && o.value_num !== null && o.value_num !== undefined,
  );
  const codes = new Set(numeric.map((o) => o.code as string));
  const known = KNOWN_TRENDS.filter((t) => t.lines.some((l) => codes.has(l.code))).map((t) => ({
    ...t,
    featured: true,
  }));
  const taken = new Set(KNOWN_TRENDS.flatMap((t) => t.lines.map((l) => l.code)));
  const others = new Map<string, TrendSpec>();
  for (const o of numeric) {
    const code = o.code as string;
    if (taken.has(code) || SKIP.has(code) || others.has(code) || o.category !== 'lab') continue;
    const title = o.display ?? code;
    others.set(code, {
      id: `lab-${code}`,
      title,
      unit: o.unit ?? '',
      category: 'lab',
      lines: [{ code, label: title }],
    });
  }
  return [...known, ...[...others.values()].sort((a, b) => a.title.localeCompare(b.title))];
}

/**
 * Each line's range: the one saved with the line's latest result, else the line's or the
 * plot's usual range, else none.
 */
export function rangesFor(
  spec: TrendSpec,
  observations: readonly ObservationRecord[],
): (Range | null)[] {
  return spec.lines.map((line) => {
    const latest = observations
      .filter(
        (o) => !o.retracted && o.code === line.code && (o.ref_low != null || o.ref_high != null),
      )
      .sort((a, b) => ((a.effective ?? '') < (b.effective ?? '') ? 1 : -1))[0];
    if (latest) return { low: latest.ref_low ?? null, high: latest.ref_high ?? null };
    return line.defaultRange ?? spec.defaultRange ?? null;
  });
}

/** Whether a point is outside its range: the engine's flag when set, else the range. */
export function isAbnormal(point: Point, range: Range | null): boolean {
  if (point.flag && point.flag !== 'N') return true;
  if (point.flag === 'N') return false;
  const v = point.value_num;
  if (v === null || v === undefined || !range) return false;
  return (range.low !== null && v < range.low) || (range.high !== null && v > range.high);
}

/** One row of the table beside a plot (what a screen reader reads instead of the canvas). */
export interface TrendRow {
  at: string;
  values: (number | null)[];
  abnormal: boolean[];
}

/**
 * The lines' points aligned on their times, oldest first: uPlot's data (seconds, then one
 * array per line, null where a line has no value) and the same as table rows.
 */
export function alignSeries(
  series: readonly (readonly Point[])[],
  ranges: readonly (Range | null)[],
): { times: number[]; values: (number | null)[][]; abnormal: boolean[][]; rows: TrendRow[] } {
  const byTime = new Map<string, { values: (number | null)[]; abnormal: boolean[] }>();
  series.forEach((points, line) => {
    for (const p of points) {
      if (p.value_num === null || p.value_num === undefined) continue;
      let row = byTime.get(p.effective);
      if (!row) {
        row = { values: series.map(() => null), abnormal: series.map(() => false) };
        byTime.set(p.effective, row);
      }
      row.values[line] = p.value_num;
      row.abnormal[line] = isAbnormal(p, ranges[line] ?? null);
    }
  });
  const ordered = [...byTime.entries()]
    .map(([at, r]) => ({ at, t: Date.parse(at) / 1000, ...r }))
    .filter((r) => Number.isFinite(r.t))
    .sort((a, b) => a.t - b.t);
  return {
    times: ordered.map((r) => r.t),
    values: series.map((_, line) => ordered.map((r) => r.values[line] ?? null)),
    abnormal: series.map((_, line) => ordered.map((r) => r.abnormal[line] ?? false)),
    rows: ordered.map((r) => ({ at: r.at, values: r.values, abnormal: r.abnormal })),
  };
}
