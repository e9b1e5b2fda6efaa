import { describe, expect, it } from 'vitest';
import { ageLabel, ageOn } from './dates';

describe('ages', () => {
  const today = new Date(2026, 2, 7); // 7 March 2026, local

  it('counts a birthday only once it is reached', () => {
    expect(ageOn('1984-03-07', today)).toBe(42);
    expect(ageOn('1984-03-08', today)).toBe(41);
  });

  it('shows months for a child under two', () => {
    expect(ageLabel('2025-08-07', today)).toBe('7 mo');
    expect(ageLabel('2020-01-01', today)).toBe('6 y');
  });

  it('shows nothing for a missing or bad date', () => {
    expect(ageLabel(null, today)).toBe('');
    expect(ageLabel('soon', today)).toBe('');
  });
});
