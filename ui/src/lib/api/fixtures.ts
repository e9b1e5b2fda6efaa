import type {
  AllergyRecord,
  AppStatus,
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
