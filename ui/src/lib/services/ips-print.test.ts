import { describe, expect, it } from 'vitest';
import { ipsBundle } from '../api/ips-fixtures';
import { formatFhirDate, ipsPage, IpsError, readIps, type IpsPageSection } from './ips-print';

function section(sections: IpsPageSection[], code: string): IpsPageSection {
  const s = sections.find((x) => x.code === code);
  if (!s) throw new Error(`no section ${code}`);
  return s;
}

/** A section's rows as objects by column head, so a test says which column it means. */
function rowsOf(s: IpsPageSection): Record<string, string>[] {
  return s.rows.map((r) => Object.fromEntries(s.columns.map((head, i) => [head, r[i] ?? ''])));
}

describe('reading an IPS Bundle', () => {
  it('takes the patient, the author and date, and every section in the Composition order', () => {
    const ips = readIps(ipsBundle());
    expect(ips.patient).toEqual({
      name: 'Quintero, Lucía María (Lucy)',
      birthDate: '1961-02-03',
      sex: 'female',
      identifiers: [
        { mrn: true, kind: null, value: '0004821' },
        { mrn: false, kind: 'previous-mrn', value: 'A-1177' },
      ],
      language: 'es-MX',
    });
    expect(ips.author).toBe('Valley Family Clinic');
    expect(ips.date).toBe('2026-12-02T15:04:05.000Z');
    expect(ips.sections.map((s) => s.code)).toEqual([
      '11450-4',
      '10160-0',
      '48765-2',
      '11369-6',
      '30954-2',
      '8716-3',
      '47519-4',
    ]);
  });

  it('leaves out entries entered in error', () => {
    const problems = readIps(ipsBundle()).sections[0]!;
    expect(problems.entries.map((e) => (e.kind === 'problem' ? e.name : e.kind))).toEqual([
      'Type 2 diabetes mellitus without complications',
      'Acute bronchitis',
    ]);
  });

  it('reads the "no known allergy" code as a statement, not as an allergy', () => {
    const allergies = readIps(ipsBundle({ allergies: 'none-known' })).sections[2]!;
    expect(allergies.entries).toEqual([]);
    expect(allergies.noKnown).toBe('all');
  });

  it('builds rows from the structured resources, never from the narrative', () => {
    const bundle = ipsBundle({ allergies: 'penicillin' });
    const composition = (
      bundle.entry as { resource: { section: { text: { div: string } }[] } }[]
    )[0]!.resource;
    for (const s of composition.section) {
      s.text.div = '<div xmlns="http://www.w3.org/1999/xhtml"><script>NARRATIVE</script></div>';
    }
    const page = ipsPage(readIps(bundle), 'en');
    expect(JSON.stringify(page.sections)).not.toContain('NARRATIVE');
    expect(rowsOf(section(page.sections, '48765-2'))).toEqual([
      {
        Substance: 'Penicillin G',
        Reactions: 'Hives, Wheezing',
        Severity: 'Severe',
        Criticality: 'High',
        Status: 'Active',
      },
    ]);
  });

  it('refuses what is not a document with a Composition first', () => {
    expect(() => readIps({ resourceType: 'Bundle', type: 'collection', entry: [] })).toThrow(
      IpsError,
    );
    expect(() => readIps(null)).toThrow(IpsError);
  });
});

describe('the printed page', () => {
  it('in English: titles by LOINC code, rows with dates, statuses and flags', () => {
    const page = ipsPage(readIps(ipsBundle({ language: null })), 'en');
    expect(page.title).toBe('International Patient Summary');
    expect(page.dir).toBe('ltr');
    expect(page.sections.map((s) => s.title)).toEqual([
      'Problems',
      'Medications',
      'Allergies and intolerances',
      'Immunizations',
      'Results',
      'Vital signs',
      'Procedures',
    ]);
    expect(page.patient).toEqual({
      name: 'Quintero, Lucía María (Lucy)',
      born: 'Feb 3, 1961',
      sex: 'Female',
      mrn: '0004821',
      identifiers: [
        { label: 'MRN', value: '0004821' },
        { label: 'previous-mrn', value: 'A-1177' },
      ],
    });
    expect(page.preparedBy).toBe('Valley Family Clinic');

    expect(rowsOf(section(page.sections, '11450-4'))).toEqual([
      {
        Problem: 'Type 2 diabetes mellitus without complications',
        Onset: 'Apr 2, 2019',
        Status: 'Active',
      },
      { Problem: 'Acute bronchitis', Onset: 'Feb 2025', Status: 'Resolved' },
    ]);
    expect(rowsOf(section(page.sections, '10160-0'))).toEqual([
      { Medication: 'Metformin 500 mg', Dosage: '500 mg oral twice daily', Status: 'Active' },
      { Medication: 'Lisinopril 10 mg', Dosage: '10 mg oral daily', Status: 'On hold' },
    ]);
    expect(rowsOf(section(page.sections, '11369-6'))).toEqual([
      { Vaccine: 'Influenza, injectable, quadrivalent', Date: 'Oct 1, 2025', Status: 'Given' },
    ]);
    // A high result is flagged; a normal one needs no word beside it.
    const results = rowsOf(section(page.sections, '30954-2'));
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      Test: 'Hemoglobin A1c/Hemoglobin.total in Blood',
      Result: '7.9 %',
      Flag: 'High',
    });
    expect(results[0]!.Date).toMatch(/2026/);
    expect(results[1]).toMatchObject({ Result: '98 mg/dL', Flag: '' });
    // No vital sign is flagged, so the column is left out.
    expect(section(page.sections, '8716-3').columns).toEqual(['Measurement', 'Result', 'Date']);
    expect(rowsOf(section(page.sections, '47519-4'))).toEqual([
      { Procedure: 'Appendectomy', Date: 'Jun 15, 2008', Status: 'Completed' },
    ]);
    expect(page.labels.fhirNote).toMatch(/FHIR/);
  });

  it('says what an empty section holds: no known allergies, or none recorded', () => {
    const page = ipsPage(readIps(ipsBundle({ noMedications: true })), 'en');
    const allergies = section(page.sections, '48765-2');
    expect(allergies.empty).toBe('No known allergies');
    expect(allergies.rows).toEqual([]);
    expect(section(page.sections, '10160-0').empty).toBe('None recorded');

    const none = ipsPage(readIps(ipsBundle({ allergies: 'empty' })), 'en');
    expect(section(none.sections, '48765-2').empty).toBe('None recorded');
  });

  it('tells the kinds of "no known allergy" apart', () => {
    const bundle = ipsBundle();
    const entries = bundle.entry as { resource: { resourceType: string; code: unknown } }[];
    const nka = entries.find((e) => e.resource.resourceType === 'AllergyIntolerance')!;
    nka.resource.code = {
      coding: [{ system: 'http://snomed.info/sct', code: '409137002' }],
    };
    const page = ipsPage(readIps(bundle), 'en');
    expect(section(page.sections, '48765-2').empty).toBe('No known drug allergies');
  });

  it('in Spanish: the labels, statuses, flags and dates in Spanish; the clinical text as recorded', () => {
    const page = ipsPage(readIps(ipsBundle({ noMedications: true })), 'es', 'es-MX');
    expect(page.title).toBe('Resumen Internacional del Paciente');
    expect(page.sections.map((s) => s.title)).toEqual([
      'Problemas de salud',
      'Medicación',
      'Alergias e intolerancias',
      'Vacunas',
      'Resultados',
      'Signos vitales',
      'Procedimientos',
    ]);
    expect(page.patient.sex).toBe('Femenino');
    expect(page.patient.born).toBe('3 feb 1961');
    expect(section(page.sections, '48765-2').empty).toBe('Sin alergias conocidas');
    expect(section(page.sections, '10160-0').empty).toBe('Sin información registrada');
    const problems = rowsOf(section(page.sections, '11450-4'));
    expect(problems[0]).toEqual({
      Problema: 'Type 2 diabetes mellitus without complications',
      Inicio: '2 abr 2019',
      Estado: 'Activo',
    });
    expect(rowsOf(section(page.sections, '30954-2'))[0]).toMatchObject({
      Resultado: '7.9 %',
      Interpretación: 'Alto',
    });
    expect(rowsOf(section(page.sections, '11369-6'))[0]).toMatchObject({
      Estado: 'Administrada',
    });
  });

  it('in Arabic: right to left, dates in the digits the values use', () => {
    const page = ipsPage(readIps(ipsBundle()), 'ar');
    expect(page.dir).toBe('rtl');
    expect(page.lang).toBe('ar');
    expect(page.title).toBe('الملخص الدولي للمريض');
    expect(page.patient.born).toMatch(/1961/);
    expect(section(page.sections, '11450-4').title).toBe('المشكلات الصحية');
  });

  it('a section added later prints with its title here, or its own, and generic rows', () => {
    const page = ipsPage(
      readIps(
        ipsBundle({
          extraSections: [
            {
              code: '46264-8',
              title: 'History of medical device use',
              resources: [
                {
                  resourceType: 'DeviceUseStatement',
                  id: 'dus-1',
                  status: 'active',
                  subject: { reference: 'urn:uuid:x' },
                  device: { reference: 'urn:uuid:dev-1' },
                  timingDateTime: '2020-05-01',
                },
              ],
              also: [
                {
                  resourceType: 'Device',
                  id: 'dev-1',
                  deviceName: [{ name: 'Cardiac pacemaker', type: 'user-friendly-name' }],
                },
              ],
            },
            {
              code: '10157-6',
              title: 'History of family member diseases',
              resources: [
                {
                  resourceType: 'FamilyMemberHistory',
                  id: 'fmh-1',
                  status: 'completed',
                  relationship: { text: 'mother' },
                  condition: [{ code: { text: 'Breast cancer' } }],
                  date: '2024-02-01',
                },
              ],
            },
          ],
        }),
      ),
      'fr',
    );
    const devices = section(page.sections, '46264-8');
    expect(devices.title).toBe('Dispositifs médicaux');
    expect(devices.rows).toEqual([['Cardiac pacemaker', '1 mai 2020', 'En cours']]);
    const family = section(page.sections, '10157-6');
    expect(family.title).toBe('History of family member diseases');
    expect(family.columns[0]).toBe('Élément');
    expect(family.rows).toEqual([['Breast cancer', '1 févr. 2024', 'Réalisé']]);
  });
});

describe('FHIR dates', () => {
  it('writes a calendar date as that day, and a partial date as far as it goes', () => {
    expect(formatFhirDate('1961-02-03', 'en')).toBe('Feb 3, 1961');
    expect(formatFhirDate('1961-02-03', 'de')).toBe('03.02.1961');
    expect(formatFhirDate('2025-02', 'es')).toBe('feb 2025');
    expect(formatFhirDate('2025', 'fr')).toBe('2025');
    expect(formatFhirDate('not a date', 'en')).toBe('not a date');
    expect(formatFhirDate(null, 'en')).toBe('');
  });
});
