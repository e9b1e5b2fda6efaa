/**
 * Unit conversions for the vitals form. The engine stores each vital in one canonical unit
 * (kg, cm, Cel; docs/api.md `VitalsForm`), so the form converts what is typed in lb, in or
 * °F before sending, and the plots convert back when the user reads in those units.
 */
export type WeightUnit = 'kg' | 'lb';
export type LengthUnit = 'cm' | 'in';
export type TemperatureUnit = 'C' | 'F';

/** Exactly, by the international pound and inch. */
export const KG_PER_LB = 0.45359237;
export const CM_PER_IN = 2.54;

/** Rounds to `places` decimals without binary noise (72.57 not 72.56999…). */
export function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round((value + Number.EPSILON) * f) / f;
}

export function toKg(value: number, unit: WeightUnit): number {
  return unit === 'kg' ? value : value * KG_PER_LB;
}

export function fromKg(kg: number, unit: WeightUnit): number {
  return unit === 'kg' ? kg : kg / KG_PER_LB;
}

export function toCm(value: number, unit: LengthUnit): number {
  return unit === 'cm' ? value : value * CM_PER_IN;
}

export function fromCm(cm: number, unit: LengthUnit): number {
  return unit === 'cm' ? cm : cm / CM_PER_IN;
}

export function toCelsius(value: number, unit: TemperatureUnit): number {
  return unit === 'C' ? value : ((value - 32) * 5) / 9;
}

export function fromCelsius(c: number, unit: TemperatureUnit): number {
  return unit === 'C' ? c : (c * 9) / 5 + 32;
}

/** Body mass index, kg/m², from canonical weight and height; null when either is missing. */
export function bmi(weightKg: number | null, heightCm: number | null): number | null {
  if (weightKg === null || heightCm === null || weightKg <= 0 || heightCm <= 0) return null;
  const m = heightCm / 100;
  return weightKg / (m * m);
}

/** Adult BMI band (WHO), for the hint beside the live BMI. */
export function bmiBand(value: number): string {
  if (value < 18.5) return 'underweight';
  if (value < 25) return 'normal';
  if (value < 30) return 'overweight';
  return 'obese';
}

/**
 * A number as typed ("72,5" in locales with a decimal comma); null when empty, NaN when
 * not a number (the form says so).
 */
export function parseMeasure(text: string): number | null {
  const s = text.trim().replace(',', '.');
  if (s === '') return null;
  return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
}
