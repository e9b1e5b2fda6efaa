import { describe, expect, it } from 'vitest';
import { exportFileName } from './chart-export';

describe('exportFileName', () => {
  const day = new Date('2026-12-01T15:00:00Z');
  it('names the file by MRN, kind and date, never by the patient name', () => {
    expect(exportFileName('0000059', 'ips', day)).toBe('0000059-patient-summary-2026-12-01.json');
    expect(exportFileName('0000059', 'fhir', day)).toBe('0000059-fhir-record-2026-12-01.json');
  });
  it('keeps only safe characters and falls back when there is no MRN', () => {
    expect(exportFileName('A/../12 3', 'fhir', day)).toBe('A123-fhir-record-2026-12-01.json');
    expect(exportFileName(null, 'ips', day)).toBe('patient-patient-summary-2026-12-01.json');
  });
});
