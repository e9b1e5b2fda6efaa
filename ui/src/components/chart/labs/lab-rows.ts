import type { LabsForm, ObservationFields } from '../../../lib/api/types.gen';
import { parseMeasure } from '../../../lib/units';

/** One result row of the labs form, as typed. */
export interface LabRow {
  key: number;
  code: string;
  value: string;
  unit: string;
  refLow: string;
  refHigh: string;
}

let next = 1;
export function emptyRow(): LabRow {
  return { key: next++, code: '', value: '', unit: '', refLow: '', refHigh: '' };
}

/** A row's problem, in words, or null; an entirely empty row is skipped, not a problem. */
export function rowProblem(row: LabRow, index: number): string | null {
  const n = index + 1;
  const blank = !row.code.trim() && !row.value.trim();
  if (blank) return null;
  if (!row.code.trim()) return `Result ${n}: pick the test (LOINC code).`;
  if (!row.value.trim()) return `Result ${n}: give a value.`;
  for (const [label, text] of [
    ['low', row.refLow],
    ['high', row.refHigh],
  ] as const) {
    const v = parseMeasure(text);
    if (v !== null && Number.isNaN(v))
      return `Result ${n}: the reference ${label} is not a number.`;
  }
  const lo = parseMeasure(row.refLow);
  const hi = parseMeasure(row.refHigh);
  if (lo !== null && hi !== null && lo > hi)
    return `Result ${n}: the reference low is above the high.`;
  return null;
}

/** A row as the engine takes it: a number when the value is one, else text. */
export function rowFields(row: LabRow): ObservationFields {
  const v = parseMeasure(row.value);
  const out: ObservationFields = { code: row.code.trim() };
  if (v !== null && !Number.isNaN(v)) out.value_num = v;
  else out.value_text = row.value.trim();
  if (row.unit.trim()) out.unit = row.unit.trim();
  const lo = parseMeasure(row.refLow);
  const hi = parseMeasure(row.refHigh);
  if (lo !== null && !Number.isNaN(lo)) out.ref_low = lo;
  if (hi !== null && !Number.isNaN(hi)) out.ref_high = hi;
  return out;
}

/** The `labs.record` request from the filled rows; throws the first row problem in words. */
export function labsRequest(
  patient: string,
  rows: readonly LabRow[],
  panel: string,
  effective?: string,
): LabsForm {
  const problems = rows.map(rowProblem).filter((p): p is string => p !== null);
  if (problems.length) throw new Error(problems[0]);
  const filled = rows.filter((r) => r.code.trim() || r.value.trim());
  if (filled.length === 0) throw new Error('Give at least one result.');
  return {
    patient,
    results: filled.map(rowFields),
    ...(panel.trim() ? { panel: panel.trim() } : {}),
    ...(effective ? { effective } : {}),
  };
}
