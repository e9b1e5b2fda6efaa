import { describe, expect, it } from 'vitest';
import {
  bmi,
  bmiBand,
  fromCelsius,
  fromKg,
  parseMeasure,
  round,
  toCelsius,
  toCm,
  toKg,
} from './units';

describe('units', () => {
  it('converts pounds, inches and Fahrenheit to the canonical kg, cm and °C', () => {
    expect(round(toKg(160, 'lb'), 2)).toBe(72.57);
    expect(toKg(72.5, 'kg')).toBe(72.5);
    expect(toCm(70, 'in')).toBe(177.8);
    expect(round(toCelsius(98.6, 'F'), 2)).toBe(37);
    expect(toCelsius(37.2, 'C')).toBe(37.2);
  });

  it('converts back for display, round-tripping', () => {
    expect(round(fromKg(toKg(200, 'lb'), 'lb'), 6)).toBe(200);
    expect(fromCelsius(100, 'F')).toBe(212);
    expect(fromCelsius(-40, 'F')).toBe(-40);
  });

  it('computes BMI from kg and cm, and nothing without both', () => {
    expect(round(bmi(70, 175)!, 1)).toBe(22.9);
    expect(round(bmi(toKg(200, 'lb'), toCm(69, 'in'))!, 1)).toBe(29.5);
    expect(bmi(70, null)).toBeNull();
    expect(bmi(null, 175)).toBeNull();
    expect(bmi(70, 0)).toBeNull();
  });

  it('bands BMI as WHO does', () => {
    expect(bmiBand(18.4)).toBe('underweight');
    expect(bmiBand(18.5)).toBe('normal');
    expect(bmiBand(25)).toBe('overweight');
    expect(bmiBand(30)).toBe('obese');
  });

  it('reads numbers as typed, with a decimal comma, and flags what is not a number', () => {
    expect(parseMeasure(' 72,5 ')).toBe(72.5);
    expect(parseMeasure('')).toBeNull();
    expect(parseMeasure('12a')).toBeNaN();
    expect(parseMeasure('1.2.3')).toBeNaN();
  });
});
