import { describe, expect, it } from 'vitest';
import { CdaError, readCda, tsDate } from './cda';
// HL7's own example CCD (tests/data/ccda/README.md says where it comes from).
import ccd from '../../../../tests/data/ccda/ccd-1.xml?raw';

describe('readCda', () => {
  it('reads the header and every section of a CCD, in order', () => {
    const doc = readCda(ccd);
    expect(doc.title).toBe('Patient Chart Summary');
    expect(doc.patient).toBe('Eve Betterhalf');
    expect(doc.date).toBe('2013-08-15');
    expect(doc.author).toBe('Patricia Primary M.D.');
    const titles = doc.sections.map((s) => s.title);
    expect(titles).toHaveLength(15);
    expect(titles.slice(0, 3)).toEqual([
      'ADVANCE DIRECTIVES',
      'ALLERGIES AND ADVERSE REACTIONS',
      'ENCOUNTERS',
    ]);
    expect(titles.at(-1)).toBe('VITAL SIGNS');
  });

  it('keeps a narrative table as a table, with its header and every row', () => {
    const doc = readCda(ccd);
    const allergies = doc.sections.find((s) => s.title === 'ALLERGIES AND ADVERSE REACTIONS');
    const t = allergies?.blocks.find((b) => b.kind === 'table');
    expect(t?.kind).toBe('table');
    if (t?.kind !== 'table') return;
    expect(t.head.length).toBeGreaterThan(1);
    expect(t.rows.length).toBeGreaterThan(0);
    expect(t.rows.flat().join(' ')).toMatch(/Penicillin/i);
  });

  it('shows markup inside a narrative as text, never as elements', () => {
    const xml = `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>T</title><component><structuredBody>
      <component><section><title>Notes</title><text><paragraph>a <script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script> b</paragraph></text></section></component>
    </structuredBody></component></ClinicalDocument>`;
    const doc = readCda(xml);
    expect(doc.sections[0]?.blocks).toEqual([{ kind: 'paragraph', text: 'a alert(1) b' }]);
  });

  it('refuses what is not a CDA document, saying so', () => {
    expect(() => readCda('<Bundle xmlns="http://hl7.org/fhir"/>')).toThrow(CdaError);
    expect(() => readCda('<ClinicalDocument xmlns="urn:hl7-org:v3">')).toThrow(/well-formed/);
  });

  it('turns HL7 time stamps into dates to the precision given', () => {
    expect(tsDate('201308151030-0800')).toBe('2013-08-15');
    expect(tsDate('199911')).toBe('1999-11');
    expect(tsDate('junk')).toBeNull();
  });
});
