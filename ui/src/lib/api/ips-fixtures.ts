/**
 * An International Patient Summary as the engine's `export.ips` answers it
 * (src/interop/fhir/ips.rs and resources.rs), for unit tests: a made-up patient. Each
 * section's narrative is the engine's one line per entry; the print never reads it.
 */

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const THO = 'http://terminology.hl7.org/CodeSystem/';

const patientId = '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e01';
const subject = { reference: `urn:uuid:${patientId}` };

type Resource = Record<string, unknown> & { id: string };

function coding(system: string, code: string, display?: string) {
  return display ? { system, code, display } : { system, code };
}

function narrative(lines: string[]) {
  return {
    status: 'generated',
    div: `<div xmlns="http://www.w3.org/1999/xhtml"><ul>${lines.map((l) => `<li>${l}</li>`).join('')}</ul></div>`,
  };
}

const problems: Resource[] = [
  {
    resourceType: 'Condition',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e11',
    clinicalStatus: { coding: [coding(`${THO}condition-clinical`, 'active')] },
    verificationStatus: { coding: [coding(`${THO}condition-ver-status`, 'confirmed')] },
    category: [
      {
        coding: [coding(`${THO}condition-category`, 'problem-list-item', 'Problem List Item')],
      },
    ],
    code: {
      coding: [
        coding(
          'http://hl7.org/fhir/sid/icd-10-cm',
          'E11.9',
          'Type 2 diabetes mellitus without complications',
        ),
      ],
      text: 'Type 2 diabetes mellitus without complications',
    },
    subject,
    onsetDateTime: '2019-04-02',
    recordedDate: '2024-01-10T15:00:00.000Z',
  },
  {
    resourceType: 'Condition',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e12',
    clinicalStatus: { coding: [coding(`${THO}condition-clinical`, 'resolved')] },
    verificationStatus: { coding: [coding(`${THO}condition-ver-status`, 'confirmed')] },
    code: { text: 'Acute bronchitis' },
    subject,
    onsetDateTime: '2025-02',
    abatementDateTime: '2025-03-01',
    recordedDate: '2025-02-14T15:00:00.000Z',
  },
  {
    // Another system's IPS may keep one entered in error: it never prints.
    resourceType: 'Condition',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e13',
    verificationStatus: { coding: [coding(`${THO}condition-ver-status`, 'entered-in-error')] },
    code: { text: 'Asthma (wrong chart)' },
    subject,
  },
];

const medications: Resource[] = [
  {
    resourceType: 'MedicationStatement',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e21',
    status: 'active',
    medicationCodeableConcept: {
      coding: [coding('http://www.nlm.nih.gov/research/umls/rxnorm', '860975', 'Metformin 500 mg')],
      text: 'Metformin 500 mg',
    },
    subject,
    effectivePeriod: { start: '2019-04-02' },
    dateAsserted: '2024-01-10T15:00:00.000Z',
    dosage: [
      {
        text: '500 mg oral twice daily',
        timing: { code: { text: 'twice daily' } },
        route: { text: 'oral' },
        doseAndRate: [{ doseQuantity: { value: 500, unit: 'mg' } }],
      },
    ],
  },
  {
    resourceType: 'MedicationStatement',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e22',
    status: 'on-hold',
    medicationCodeableConcept: { text: 'Lisinopril 10 mg' },
    subject,
    dosage: [{ text: '10 mg oral daily' }],
  },
];

const noKnownAllergy: Resource = {
  resourceType: 'AllergyIntolerance',
  id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e31',
  clinicalStatus: { coding: [coding(`${THO}allergyintolerance-clinical`, 'active')] },
  verificationStatus: {
    coding: [coding(`${THO}allergyintolerance-verification`, 'confirmed')],
  },
  code: {
    coding: [coding(SNOMED, '716186003', 'No known allergy')],
    text: 'No known allergies',
  },
  patient: subject,
  recordedDate: '2024-01-10T15:00:00.000Z',
};

const penicillin: Resource = {
  resourceType: 'AllergyIntolerance',
  id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e32',
  clinicalStatus: { coding: [coding(`${THO}allergyintolerance-clinical`, 'active')] },
  verificationStatus: {
    coding: [coding(`${THO}allergyintolerance-verification`, 'confirmed')],
  },
  category: ['medication'],
  criticality: 'high',
  code: {
    coding: [coding('http://www.nlm.nih.gov/research/umls/rxnorm', '7980', 'Penicillin G')],
    text: 'Penicillin G',
  },
  patient: subject,
  recordedDate: '2024-01-10T15:00:00.000Z',
  reaction: [{ manifestation: [{ text: 'Hives' }, { text: 'Wheezing' }], severity: 'severe' }],
};

const immunizations: Resource[] = [
  {
    resourceType: 'Immunization',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e41',
    status: 'completed',
    vaccineCode: {
      coding: [coding('http://hl7.org/fhir/sid/cvx', '150', 'Influenza, injectable, quadrivalent')],
      text: 'Influenza, injectable, quadrivalent',
    },
    patient: subject,
    occurrenceDateTime: '2025-10-01',
    recorded: '2025-10-01T16:00:00.000Z',
    primarySource: true,
  },
];

function observation(
  id: string,
  category: 'vital-signs' | 'laboratory',
  code: string,
  display: string,
  value: number,
  unit: string,
  effective: string,
  flag?: [string, string],
): Resource {
  const r: Resource = {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [
      {
        coding: [
          coding(
            `${THO}observation-category`,
            category,
            category === 'laboratory' ? 'Laboratory' : 'Vital Signs',
          ),
        ],
      },
    ],
    code: { coding: [coding(LOINC, code, display)], text: display },
    subject,
    effectiveDateTime: effective,
    issued: effective,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
  if (flag) {
    r.interpretation = [
      { coding: [coding(`${THO}v3-ObservationInterpretation`, flag[0], flag[1])] },
    ];
  }
  return r;
}

const results: Resource[] = [
  observation(
    '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e51',
    'laboratory',
    '4548-4',
    'Hemoglobin A1c/Hemoglobin.total in Blood',
    7.9,
    '%',
    '2026-11-20T09:00:00Z',
    ['H', 'High'],
  ),
  observation(
    '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e52',
    'laboratory',
    '2345-7',
    'Glucose [Mass/volume] in Serum or Plasma',
    98,
    'mg/dL',
    '2026-11-20T09:00:00Z',
    ['N', 'Normal'],
  ),
];

const vitals: Resource[] = [
  observation(
    '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e61',
    'vital-signs',
    '8480-6',
    'Systolic blood pressure',
    128,
    'mm[Hg]',
    '2026-11-20T08:40:00Z',
  ),
];

const procedures: Resource[] = [
  {
    resourceType: 'Procedure',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e71',
    status: 'completed',
    code: {
      coding: [coding(SNOMED, '80146002', 'Appendectomy')],
      text: 'Appendectomy',
    },
    subject,
    performedDateTime: '2008-06-15',
  },
];

export interface IpsFixture {
  /** The patient's language as the chart records it (Patient.communication). */
  language?: string | null;
  /** The allergy section: a "no known allergies" statement, a drug allergy, or nothing. */
  allergies?: 'none-known' | 'penicillin' | 'empty';
  /** Leave the medication section empty (the engine's emptyReason). */
  noMedications?: boolean;
  /** Sections after the engine's seven, as another system (or a later engine) adds them. */
  extraSections?: { code: string; title: string; resources: Resource[]; also?: Resource[] }[];
}

/** The engine's IPS Bundle for a made-up patient: a fresh copy, for a test to change. */
export function ipsBundle(over: IpsFixture = {}): Record<string, unknown> {
  const { language = 'es-MX', allergies = 'none-known', noMedications = false } = over;
  const sections: { code: string; title: string; resources: Resource[]; lines: string[] }[] = [
    {
      code: '11450-4',
      title: 'Problem list',
      // The engine leaves entries in error out; this one shows the print does too.
      resources: problems,
      lines: [
        'Type 2 diabetes mellitus without complications (active), since 2019-04-02',
        'Acute bronchitis (resolved), since 2025-02',
      ],
    },
    {
      code: '10160-0',
      title: 'Medication summary',
      resources: noMedications ? [] : medications,
      lines: ['Metformin 500 mg 500 mg oral twice daily (active)'],
    },
    {
      code: '48765-2',
      title: 'Allergies and intolerances',
      resources:
        allergies === 'none-known'
          ? [noKnownAllergy]
          : allergies === 'penicillin'
            ? [penicillin]
            : [],
      lines: ['No known allergies'],
    },
    {
      code: '11369-6',
      title: 'History of immunizations',
      resources: immunizations,
      lines: ['Influenza, injectable, quadrivalent on 2025-10-01 (completed)'],
    },
    { code: '30954-2', title: 'Results', resources: results, lines: ['HbA1c: 7.9 %'] },
    { code: '8716-3', title: 'Vital signs', resources: vitals, lines: ['Systolic: 128 mm[Hg]'] },
    {
      code: '47519-4',
      title: 'History of procedures',
      resources: procedures,
      lines: ['Appendectomy on 2008-06-15'],
    },
    ...(over.extraSections ?? []).map((s) => ({ ...s, lines: [] })),
  ];
  const org = '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e02';
  const composition = {
    resourceType: 'Composition',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e03',
    status: 'final',
    type: { coding: [coding(LOINC, '60591-5', 'Patient summary Document')] },
    subject,
    date: '2026-12-02T15:04:05.000Z',
    author: [{ reference: `urn:uuid:${org}` }],
    title: 'Patient summary of Quintero, Lucía',
    custodian: { reference: `urn:uuid:${org}` },
    section: sections.map((s) => {
      const section: Record<string, unknown> = {
        title: s.title,
        code: { coding: [coding(LOINC, s.code, s.title)] },
      };
      if (s.resources.length === 0) {
        section.text = {
          status: 'generated',
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>No information recorded.</p></div>',
        };
        section.emptyReason = {
          coding: [coding(`${THO}list-empty-reason`, 'unavailable', 'Unavailable')],
        };
      } else {
        section.text = narrative(s.lines);
        section.entry = s.resources.map((r) => ({ reference: `urn:uuid:${r.id}` }));
      }
      return section;
    }),
  };
  const patient = {
    resourceType: 'Patient',
    id: patientId,
    identifier: [
      {
        use: 'usual',
        type: { coding: [coding(`${THO}v2-0203`, 'MR', 'Medical record number')] },
        system: 'urn:chartkeep:mrn',
        value: '0004821',
      },
      { type: { text: 'previous-mrn' }, value: 'A-1177' },
    ],
    active: true,
    name: [
      { use: 'official', family: 'Quintero', given: ['Lucía', 'María'] },
      { use: 'usual', given: ['Lucy'] },
    ],
    gender: 'female',
    birthDate: '1961-02-03',
    ...(language
      ? {
          communication: [
            {
              language: { coding: [{ system: 'urn:ietf:bcp:47', code: language }] },
              preferred: true,
            },
          ],
        }
      : {}),
  };
  const resources = [
    ...sections.flatMap((s) => s.resources),
    ...(over.extraSections ?? []).flatMap((s) => s.also ?? []),
  ];
  return structuredClone({
    resourceType: 'Bundle',
    id: '0b9e6f3c-52d1-4c1e-9a3f-1a2b3c4d5e04',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${composition.id}` },
    type: 'document',
    timestamp: '2026-12-02T15:04:05.000Z',
    entry: [
      { fullUrl: `urn:uuid:${composition.id}`, resource: composition },
      { fullUrl: subject.reference, resource: patient },
      {
        fullUrl: `urn:uuid:${org}`,
        resource: { resourceType: 'Organization', id: org, name: 'Valley Family Clinic' },
      },
      ...resources.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r })),
    ],
  });
}
