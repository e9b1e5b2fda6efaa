import type { VitalsForm } from '../../../lib/api/types.gen';
import {
  bmi,
  fromCelsius,
  fromKg,
  parseMeasure,
  round,
  toCelsius,
  toCm,
  toKg,
  type LengthUnit,
  type TemperatureUnit,
  type WeightUnit,
} from '../../../lib/units';

/** The vitals form as typed: text per measure, and the unit chosen for each that has one. */
export interface VitalsDraft {
  systolic: string;
  diastolic: string;
  heart_rate: string;
  resp_rate: string;
  temperature: string;
  spo2: string;
  weight: string;
  height: string;
  head_circumference: string;
  pain: string;
  weightUnit: WeightUnit;
  heightUnit: LengthUnit;
  headUnit: LengthUnit;
  temperatureUnit: TemperatureUnit;
}

export type Measure = Exclude<keyof VitalsDraft, `${string}Unit`>;

export function emptyDraft(): VitalsDraft {
  return {
    systolic: '',
    diastolic: '',
    heart_rate: '',
    resp_rate: '',
    temperature: '',
    spo2: '',
    weight: '',
    height: '',
    head_circumference: '',
    pain: '',
    weightUnit: 'kg',
    heightUnit: 'cm',
    headUnit: 'cm',
    temperatureUnit: 'C',
  };
}

/** The measures in canonical units (kg, cm, °C, mm[Hg], /min, %); null when left empty. */
export type Canonical = Record<Measure, number | null>;

/**
 * What is typed, converted to the units the engine stores. A measure that is not a number
 * stays NaN, which `checkVitals` reports.
 */
export function canonical(d: VitalsDraft): Canonical {
  const n = (s: string) => parseMeasure(s);
  const conv = (s: string, f: (v: number) => number) => {
    const v = n(s);
    return v === null || Number.isNaN(v) ? v : f(v);
  };
  return {
    systolic: n(d.systolic),
    diastolic: n(d.diastolic),
    heart_rate: n(d.heart_rate),
    resp_rate: n(d.resp_rate),
    spo2: n(d.spo2),
    pain: n(d.pain),
    temperature: conv(d.temperature, (v) => round(toCelsius(v, d.temperatureUnit), 2)),
    weight: conv(d.weight, (v) => round(toKg(v, d.weightUnit), 3)),
    height: conv(d.height, (v) => round(toCm(v, d.heightUnit), 2)),
    head_circumference: conv(d.head_circumference, (v) => round(toCm(v, d.headUnit), 2)),
  };
}

/** The live BMI the form shows as height and weight are typed. */
export function liveBmi(d: VitalsDraft): number | null {
  const c = canonical(d);
  if (c.weight === null || c.height === null || Number.isNaN(c.weight) || Number.isNaN(c.height))
    return null;
  const v = bmi(c.weight, c.height);
  return v === null ? null : round(v, 1);
}

/**
 * One finding about the form. An `error` is a value the engine refuses (outside the range
 * docs/api.md gives, or systolic not above diastolic): it must be fixed. A `warning` is a
 * value the engine takes but that is rarely real (a typo, the wrong unit): the user confirms
 * it or fixes it before the form is saved.
 */
export interface Finding {
  measure: Measure | 'bmi';
  level: 'error' | 'warning';
  message: string;
}

const labels: Record<Measure, string> = {
  systolic: 'Systolic',
  diastolic: 'Diastolic',
  heart_rate: 'Heart rate',
  resp_rate: 'Respiratory rate',
  temperature: 'Temperature',
  spo2: 'SpO₂',
  weight: 'Weight',
  height: 'Height',
  head_circumference: 'Head circumference',
  pain: 'Pain',
};

/** The engine's accepted ranges, in canonical units (docs/api.md `VitalsForm`). */
export const ENGINE_RANGES: Record<Measure, [number, number]> = {
  systolic: [40, 300],
  diastolic: [20, 200],
  heart_rate: [20, 300],
  resp_rate: [4, 80],
  temperature: [30, 45],
  spo2: [50, 100],
  weight: [0.3, 400],
  height: [20, 250],
  head_circumference: [20, 70],
  pain: [0, 10],
};

/** Values inside the engine's range but seldom real; outside these, the form asks. */
export const PLAUSIBLE: Partial<Record<Measure, [number, number]>> = {
  systolic: [70, 230],
  diastolic: [35, 140],
  heart_rate: [35, 200],
  resp_rate: [8, 40],
  temperature: [34, 41.5],
  spo2: [80, 100],
  weight: [1, 250],
  height: [40, 215],
};

const units: Partial<Record<Measure, string>> = {
  systolic: 'mm Hg',
  diastolic: 'mm Hg',
  heart_rate: '/min',
  resp_rate: '/min',
  temperature: '°C',
  spo2: '%',
  weight: 'kg',
  height: 'cm',
  head_circumference: 'cm',
};

function shown(v: number, m: Measure): string {
  return `${round(v, 1)}${units[m] ? ' ' + units[m] : ''}`;
}

/** Every error and warning for the form as typed. */
export function checkVitals(d: VitalsDraft): Finding[] {
  const c = canonical(d);
  const out: Finding[] = [];
  for (const m of Object.keys(labels) as Measure[]) {
    const v = c[m];
    if (v === null) continue;
    if (Number.isNaN(v)) {
      out.push({
        measure: m,
        level: 'error',
        message: `${labels[m]}: "${d[m].trim()}" is not a number.`,
      });
      continue;
    }
    const [lo, hi] = ENGINE_RANGES[m];
    if (v < lo || v > hi) {
      out.push({
        measure: m,
        level: 'error',
        message: `${labels[m]} of ${shown(v, m)} cannot be right: it must be between ${lo} and ${hi}${units[m] ? ' ' + units[m] : ''}.${unitHint(m, d)}`,
      });
      continue;
    }
    if (m === 'pain' && !Number.isInteger(v))
      out.push({ measure: m, level: 'error', message: 'Pain is a whole number from 0 to 10.' });
    const p = PLAUSIBLE[m];
    if (p && (v < p[0] || v > p[1]))
      out.push({
        measure: m,
        level: 'warning',
        message: `${labels[m]} of ${shown(v, m)} is unusual; check it.${unitHint(m, d)}`,
      });
  }
  const { systolic: s, diastolic: di } = c;
  if (s !== null && di !== null && !Number.isNaN(s) && !Number.isNaN(di) && s <= di)
    out.push({
      measure: 'diastolic',
      level: 'error',
      message: `Systolic (${s}) must be higher than diastolic (${di}); are they swapped?`,
    });
  const b = liveBmi(d);
  if (
    b !== null &&
    (b < 12 || b > 70) &&
    !out.some((f) => f.measure === 'weight' || f.measure === 'height')
  )
    out.push({
      measure: 'bmi',
      level: 'warning',
      message: `BMI of ${b} is unusual; check the weight and height and their units.`,
    });
  return out;
}

/** When the other unit would make the typed value plausible, says so. */
function unitHint(m: Measure, d: VitalsDraft): string {
  const typed = parseMeasure(d[m]);
  if (typed === null || Number.isNaN(typed)) return '';
  const ok = (v: number) => {
    const p = PLAUSIBLE[m] ?? ENGINE_RANGES[m];
    return v >= p[0] && v <= p[1];
  };
  if (m === 'weight' && d.weightUnit === 'kg' && ok(toKg(typed, 'lb'))) return ' Was it in lb?';
  if (m === 'weight' && d.weightUnit === 'lb' && ok(typed)) return ' Was it in kg?';
  if (m === 'height' && d.heightUnit === 'cm' && ok(toCm(typed, 'in'))) return ' Was it in inches?';
  if (m === 'temperature' && d.temperatureUnit === 'C' && ok(toCelsius(typed, 'F')))
    return ' Was it in °F?';
  if (m === 'temperature' && d.temperatureUnit === 'F' && ok(typed)) return ' Was it in °C?';
  return '';
}

/** The `vitals.record` request: only the measures given, in canonical units. */
export function vitalsRequest(patient: string, d: VitalsDraft, effective?: string): VitalsForm {
  const c = canonical(d);
  const form: VitalsForm = { patient };
  for (const m of Object.keys(c) as Measure[]) {
    const v = c[m];
    if (v !== null && !Number.isNaN(v)) form[m] = v;
  }
  if (effective) form.effective = effective;
  return form;
}

/** Whether anything was typed at all. */
export function hasAnyMeasure(d: VitalsDraft): boolean {
  return Object.values(canonical(d)).some((v) => v !== null);
}

/** A canonical value back in a chosen unit, for the plot's table. */
export function displayWeight(kg: number, unit: WeightUnit): number {
  return round(fromKg(kg, unit), 1);
}

export function displayTemperature(c: number, unit: TemperatureUnit): number {
  return round(fromCelsius(c, unit), 1);
}
