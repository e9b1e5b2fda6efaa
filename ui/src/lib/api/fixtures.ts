import type {
  AllergyRecord,
  AppStatus,
  CheckAnswer,
  DueListAnswer,
  DuePanel,
  Evaluation,
  Measure,
  MeasureInfo,
  Member,
  RegistryAnswer,
  RuleStatus,
  ShownAlert,
  VaccineLine,
  ImportReport,
  ImportedResourceRecord,
  PatientView,
  SessionStatus,
  Summary,
  Waiting,
} from './types.gen';

/** Small made-up answers for unit tests (no real patient). */
export function session(over: Partial<SessionStatus> = {}): SessionStatus {
  return {
    user: 'drlee',
    display_name: 'Dr Lee',
    role: 'clinician',
    workstation: 'ws1',
    idle_lock_minutes: 10,
    permissions: ['demographics', 'edit_demographics', 'read_chart', 'write_chart', 'sign'],
    locked: false,
    ...over,
  };
}

export function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    folder: '/data',
    state: 'open',
    key_mode: 'passphrase',
    keychain_available: false,
    practice_id: 'pr1',
    version: '0.0.0',
    session: null,
    ...over,
  };
}

const meta = {
  created_at: 0,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 0,
  updated_by: 'u1',
  retracted: false,
};

export function patientView(over: Partial<PatientView> = {}): PatientView {
  return {
    ...meta,
    id: 'p1',
    name: 'Testperson, Ann',
    family: 'Testperson',
    given: ['Ann'],
    birth_date: '1980-05-01',
    sex: 'female',
    mrn: '0000001',
    ...over,
  };
}

export function allergy(over: Partial<AllergyRecord> = {}): AllergyRecord {
  return { ...meta, id: 'a1', patient: 'p1', substance: 'Penicillin', severity: 'severe', ...over };
}

export function summary(over: Partial<Summary> = {}): Summary {
  return {
    allergies: [],
    coverages: [],
    encounters: [],
    family_history: [],
    hospitalizations: [],
    immunizations: [],
    labs: [],
    medications: [],
    no_known_allergies: false,
    notes: [],
    open_conflicts: 0,
    orders: [],
    patient: patientView(),
    problems: [],
    social_history: [],
    surgical_history: [],
    vitals: [],
    ...over,
  };
}

/** What `import.fhir` answers for a file that wrote nothing. */
export function importReport(over: Partial<ImportReport> = {}): ImportReport {
  return {
    complete: true,
    files: 1,
    notes: [],
    patients: [],
    problems: [],
    resources: 0,
    types: {},
    unchanged: 0,
    waiting: [],
    ...over,
  };
}

/** An imported patient who may be Ann Testperson (p1). */
export function waiting(over: Partial<Waiting> = {}): Waiting {
  return {
    file: 'Patient.ndjson',
    source: 'Patient/imp-1',
    name: 'Testperson, Ann',
    birth_date: '1980-05-01',
    resources: 3,
    candidates: [
      {
        patient: 'p1',
        name: 'Testperson, Ann',
        birth_date: '1980-05-01',
        mrn: '0000001',
        reason: 'same name and birth date',
      },
    ],
    ...over,
  };
}

export function importedRecord(over: Partial<ImportedResourceRecord> = {}): ImportedResourceRecord {
  return {
    ...meta,
    id: 'ir1',
    patient: 'p1',
    resource_type: 'Claim',
    source: 'Claim/c1',
    date: '2025-03-04',
    summary: 'Claim for an office visit',
    resource: { resourceType: 'Claim', id: 'c1', status: 'active' },
    ...over,
  };
}

/** An interaction alert: ibuprofen being added while warfarin is active (interruptive). */
export function shownAlert(over: Partial<ShownAlert> = {}): ShownAlert {
  return {
    key: 'interaction.warfarin-nsaids|interruptive|m1|ibuprofen',
    kind: 'interaction',
    severity: 'interruptive',
    rule: 'interaction.hl7_pddi.hl7-warfarin-nsaids',
    why: 'ibuprofen with warfarin: bleeding risk.',
    data: ['assets/interactions.tsv line 2507: warfarin + ibuprofen'],
    citations: [{ key: 'hl7-pddi', text: 'HL7 PDDI CDS Implementation Guide 1.0.0' }],
    subject: { matched: 'ibuprofen', matched_by: 'name', role: 'candidate', text: 'Ibuprofen' },
    other: {
      id: 'm1',
      matched: 'warfarin',
      matched_by: 'rxcui',
      role: 'active_medication',
      text: 'Warfarin 5 mg',
    },
    ...over,
  };
}

export function checkAnswer(over: Partial<CheckAnswer> = {}): CheckAnswer {
  const alerts = over.alerts ?? [];
  return {
    alerts,
    needs_override: alerts.some((a) => a.severity === 'interruptive'),
    suppressed: [],
    unchecked: [],
    ...over,
  };
}

const citation = {
  statement: 'Colorectal Cancer: Screening',
  grade: 'A/B',
  date: '2021-05-18',
  text: 'US Preventive Services Task Force. Colorectal Cancer: Screening. JAMA. 2021.',
};

/** A preventive rule's status for Ann (overdue colorectal screening unless told). */
export function ruleStatus(over: Partial<RuleStatus> = {}): RuleStatus {
  return {
    rule: 'colorectal_cancer_screening',
    title: 'Colorectal cancer screening',
    status: { status: 'overdue', days_overdue: 30 },
    due: '2026-11-01',
    pending_orders: [],
    explanation: {
      why: 'overdue by 30 days: due 2026-11-01 (none on record)',
      data: ['age 46 on 2026-12-01'],
      rules_version: '2025.1',
      citation,
    },
    ...over,
  };
}

export function vaccineLine(over: Partial<VaccineLine> = {}): VaccineLine {
  return {
    vaccine_group: 'Influenza',
    due: 'due_now',
    kind: 'standard',
    status: 'Not Complete',
    dose_number: 1,
    earliest_date: '2026-09-01',
    recommended_date: '2026-09-01',
    past_due_date: null,
    recommended_cvx: [],
    reasons: [],
    ...over,
  };
}

export function duePanel(over: Partial<DuePanel> = {}): DuePanel {
  return {
    on: '2026-12-01',
    rules_version: '2025.1',
    preventive: [ruleStatus()],
    immunizations: {
      assessment_date: '2026-12-01',
      lines: [vaccineLine()],
      observations: [],
      report: { assessment_date: '2026-12-01', doses: [], vaccine_groups: [] },
      source: 'CDSi logic 4.6, supporting data 4.64',
    },
    registries: [],
    ...over,
  };
}

const ann = { id: 'p1', mrn: '0000001', name: 'Testperson, Ann', phone: '555-0101' };
const bob = { id: 'p2', mrn: '0000002', name: 'Sample, Bob', phone: null };

/** Two patients due: Ann for colorectal screening, Bob for a depression screening. */
export function dueListAnswer(over: Partial<DueListAnswer> = {}): DueListAnswer {
  return {
    list: {
      from: '2026-12-01',
      to: '2026-12-31',
      rules_version: '2025.1',
      counts: [
        {
          rule: 'colorectal_cancer_screening',
          title: 'Colorectal cancer screening',
          due: 0,
          overdue: 1,
          due_in_period: 0,
          eligible: 2,
        },
        {
          rule: 'depression_screening_adults',
          title: 'Depression screening',
          due: 1,
          overdue: 0,
          due_in_period: 0,
          eligible: 2,
        },
      ],
      rows: [
        {
          patient: ann,
          rule: 'colorectal_cancer_screening',
          title: 'Colorectal cancer screening',
          kind: 'overdue',
          due: '2026-11-01',
          why: 'overdue by 30 days',
        },
        {
          patient: bob,
          rule: 'depression_screening_adults',
          title: 'Depression screening',
          kind: 'due',
          due: '2026-12-01',
          why: 'due: none on record',
        },
      ],
    },
    recall: [
      { patient: ann, due: ['Colorectal cancer screening (overdue since 2026-11-01)'] },
      { patient: bob, due: ['Depression screening (due 2026-12-01)'] },
    ],
    csv: 'rule,mrn\ncolorectal_cancer_screening,0000001\n',
    recall_csv: 'mrn,phone\n0000001,555-0101\n',
    rows_total: 2,
    recall_total: 2,
    patients: 2,
    ...over,
  };
}

export function registryAnswer(over: Partial<RegistryAnswer> = {}): RegistryAnswer {
  return {
    on: '2026-12-01',
    version: '1',
    patients: 2,
    csv: 'registry,mrn\nwarfarin_inr,0000001\n',
    lists: [
      {
        registry: 'warfarin_inr',
        title: 'Warfarin: no INR in 6 weeks',
        count: 1,
        rows: [
          {
            patient: ann,
            why: {
              registry: 'warfarin_inr',
              title: 'Warfarin: no INR in 6 weeks',
              because: ['active medication "Warfarin 5 mg"'],
              flags: ['no INR on record'],
            },
          },
        ],
      },
      { registry: 'diabetes_a1c', title: 'Diabetes: HbA1c > 9%', count: 0, rows: [] },
    ],
    ...over,
  };
}

const measureTitles: Record<Measure, string> = {
  CMS122: 'Diabetes: Glycemic Status Assessment Greater Than 9%',
  CMS165: 'Controlling High Blood Pressure',
  CMS125: 'Breast Cancer Screening',
  CMS130: 'Colorectal Cancer Screening',
  CMS138: 'Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention',
};

export function measureInfo(measure: Measure, over: Partial<MeasureInfo> = {}): MeasureInfo {
  return {
    measure,
    title: measureTitles[measure],
    description: `${measure} in a sentence.`,
    version: '0.1.000',
    groups: measure === 'CMS138' ? 3 : 1,
    value_sets_imported: true,
    missing_value_sets: [],
    ...over,
  };
}

/** The five measures; those in `missing` lack two value sets. */
export function measureInfos(missing: Measure[] = []): MeasureInfo[] {
  return (['CMS122', 'CMS165', 'CMS125', 'CMS130', 'CMS138'] as const).map((m) =>
    missing.includes(m)
      ? measureInfo(m, {
          value_sets_imported: false,
          missing_value_sets: [
            '2.16.840.1.113883.3.464.1003.103.12.1001',
            '2.16.840.1.113883.3.464.1003.198.12.1013',
          ],
        })
      : measureInfo(m),
  );
}

function member(p: { id: string; mrn: string; name: string }, because: string): Member {
  return { id: p.id, mrn: p.mrn, name: p.name, because };
}
const cy = { id: 'p3', mrn: '0000003', name: 'Example, Cy' };
const pop = (...patients: Member[]) => ({ count: patients.length, patients });

/**
 * CMS122 (inverse) for 2025: Ann has no HbA1c (numerator: poor control), Bob is in control
 * (the engine's "gaps"), Cy is in hospice (excluded). Rate 1 of 2.
 */
export function cms122Evaluation(over: Partial<Evaluation> = {}): Evaluation {
  const inDenominator = [
    member(ann, 'aged 60, office visit on 2025-03-01, diabetes from 2019-01-01'),
    member(bob, 'aged 55, office visit on 2025-04-01, diabetes from 2020-01-01'),
    member(cy, 'aged 70, office visit on 2025-05-01, diabetes from 2018-01-01'),
  ];
  return {
    measure: 'CMS122',
    title: measureTitles.CMS122,
    version: '0.1.002',
    from: '2025-01-01',
    to: '2025-12-31',
    higher_is_better: false,
    patients_evaluated: 10,
    groups: [
      {
        group: 1,
        initial_population: pop(...inDenominator),
        denominator: pop(...inDenominator),
        denominator_exclusion: pop(member(cy, "hospice care assessment 'yes' on 2025-06-01")),
        denominator_exception: pop(),
        numerator: pop(member(ann, 'no HbA1c or GMI in the period')),
        performance_rate: 0.5,
        gaps: [inDenominator[1]!],
      },
    ],
    ...over,
  };
}

/** CMS165 for 2025: Ann's last BP is high (a gap), Bob's is controlled. Rate 1 of 2. */
export function cms165Evaluation(over: Partial<Evaluation> = {}): Evaluation {
  const inDenominator = [
    member(ann, 'aged 60, office visit on 2025-03-01, essential hypertension from 2019-01-01'),
    member(bob, 'aged 55, office visit on 2025-04-01, essential hypertension from 2020-01-01'),
  ];
  return {
    measure: 'CMS165',
    title: measureTitles.CMS165,
    version: '0.1.000',
    from: '2025-01-01',
    to: '2025-12-31',
    higher_is_better: true,
    patients_evaluated: 10,
    groups: [
      {
        group: 1,
        initial_population: pop(...inDenominator),
        denominator: pop(...inDenominator),
        denominator_exclusion: pop(),
        denominator_exception: pop(),
        numerator: pop(member(bob, 'last blood pressure 128/82 on 2025-10-01')),
        performance_rate: 0.5,
        gaps: [inDenominator[0]!],
      },
    ],
    ...over,
  };
}
