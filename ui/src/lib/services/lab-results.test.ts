import { describe, expect, it } from 'vitest';
import { flagLabel, resultStatusLabel } from './lab-results';

describe('HL7 v2 codes as people read them', () => {
  it('spells out result statuses and keeps an unknown code as sent', () => {
    expect(resultStatusLabel('F')).toBe('final');
    expect(resultStatusLabel('c')).toBe('corrected');
    expect(resultStatusLabel('Z')).toBe('Z');
  });

  it('spells out abnormal flags, an empty one staying empty', () => {
    expect(flagLabel('HH')).toBe('critically high');
    expect(flagLabel('')).toBe('');
  });
});
