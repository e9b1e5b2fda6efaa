import { describe, expect, it } from 'vitest';
import { importReport, waiting } from '../api/fixtures';
import {
  afterDecision,
  candidateLabel,
  combineReports,
  isHl7,
  isPatientNdjson,
  labMessageLine,
  orderFiles,
  totals,
} from './fhir-import';

describe('orderFiles', () => {
  it('sends a bulk export’s Patient NDJSON first and keeps the others in the order chosen', () => {
    const names = ['Observation.ndjson', 'Claim.ndjson', 'Patient.ndjson', 'bundle.json'];
    expect(orderFiles(names.map((name) => ({ name }))).map((f) => f.name)).toEqual([
      'Patient.ndjson',
      'Observation.ndjson',
      'Claim.ndjson',
      'bundle.json',
    ]);
  });
  it('counts Patient-1.ndjson and any case as patient files, not Patient.json', () => {
    expect(isPatientNdjson('Patient-1.ndjson')).toBe(true);
    expect(isPatientNdjson('patient.NDJSON')).toBe(true);
    expect(isPatientNdjson('Patient.json')).toBe(false);
    expect(isPatientNdjson('MyPatient.ndjson')).toBe(false);
  });
});

describe('reports', () => {
  const counts = { mapped: 0, verbatim: 0, duplicate: 0, refused: 0, skipped: 0 };

  it('adds the files’ reports up, a patient written by two files counted once', () => {
    const a = importReport({
      resources: 4,
      types: { Patient: { ...counts, mapped: 1 }, Condition: { ...counts, mapped: 3 } },
      patients: [{ patient: 'p9', name: 'Sample, Bob', new: true, records: 4 }],
    });
    const b = importReport({
      resources: 2,
      types: { Condition: { ...counts, mapped: 1, duplicate: 1 } },
      patients: [{ patient: 'p9', name: 'Sample, Bob', new: false, records: 1 }],
      complete: false,
      waiting: [waiting()],
    });
    const all = combineReports([a, b]);
    expect(all.files).toBe(2);
    expect(all.resources).toBe(6);
    expect(all.types['Condition']).toEqual({ ...counts, mapped: 4, duplicate: 1 });
    expect(all.patients).toEqual([{ patient: 'p9', name: 'Sample, Bob', new: true, records: 5 }]);
    expect(all.complete).toBe(false);
    expect(totals(all)).toEqual({ registered: 1, added: 0, unchanged: 0, waiting: 1, problems: 0 });
  });

  it('after a decision, what it let in moves from refused to mapped and the patient is added', () => {
    const before = importReport({
      resources: 3,
      complete: false,
      types: { Patient: { ...counts, refused: 1 }, Condition: { ...counts, refused: 2 } },
      waiting: [waiting()],
    });
    const after = importReport({
      resources: 3,
      types: { Patient: { ...counts, mapped: 1 }, Condition: { ...counts, mapped: 2 } },
      patients: [{ patient: 'p1', name: 'Testperson, Ann', new: false, records: 2 }],
    });
    const r = afterDecision(before, after);
    expect(r.types['Condition']).toEqual({ ...counts, mapped: 2 });
    expect(r.types['Patient']).toEqual({ ...counts, mapped: 1 });
    expect(r.patients).toHaveLength(1);
    expect(r.waiting).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r.resources).toBe(3);
  });

  it('labels a candidate by name, birth date and MRN', () => {
    expect(candidateLabel(waiting().candidates[0]!)).toBe(
      'Testperson, Ann, born 1980-05-01, MRN 0000001',
    );
    expect(candidateLabel({ name: 'Sample, Bob' })).toBe('Sample, Bob');
  });
});

describe('lab files', () => {
  it('tells an HL7 v2 file by its first segment, through a BOM or an MLLP frame byte', () => {
    expect(isHl7('MSH|^~\\&|LAB')).toBe(true);
    expect(isHl7('\uFEFF\u000bFHS|^~\\&')).toBe(true);
    expect(isHl7('{"resourceType":"Bundle"}')).toBe(false);
    expect(isHl7('MSHX')).toBe(false);
  });

  it('says in a line what became of a message', () => {
    const base = { ack: '', ack_code: 'AA', control_id: 'LAB-1', orders: [], text: '' };
    expect(
      labMessageLine({ ...base, outcome: 'applied', mrn: '0000042', observations: ['a', 'b'] }),
    ).toBe('LAB-1: filed in chart 0000042, 2 results');
    expect(
      labMessageLine({ ...base, outcome: 'held', observations: [], text: 'no patient matches' }),
    ).toBe('LAB-1: waiting in Unmatched results (no patient matches)');
    expect(
      labMessageLine({
        ...base,
        outcome: 'refused',
        ack_code: 'AR',
        observations: [],
        text: 'not ORU',
      }),
    ).toBe('LAB-1: refused (AR): not ORU');
  });
});
