-- Projection tables of the clinical record and of practice users. Written only by the
-- ledger (guard triggers), rebuilt from it by 'chartkeep rebuild'. (WITHOUT ROWID was
-- measured: slower chart reads and rebuilds, no faster writes.)

CREATE TABLE app_user (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT,
    display_name TEXT,
    role TEXT,
    password_hash TEXT,
    active INTEGER,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE TABLE setting (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT,
    value TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE TABLE patient (
    id TEXT PRIMARY KEY NOT NULL,
    family TEXT,
    given TEXT,
    preferred TEXT,
    birth_date TEXT,
    sex TEXT,
    gender_identity TEXT,
    mrn TEXT,
    identifiers TEXT,
    phones TEXT,
    email TEXT,
    address TEXT,
    language TEXT,
    emergency_contact TEXT,
    status TEXT,
    deceased_date TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE TABLE coverage (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    payer TEXT,
    member_id TEXT,
    group_number TEXT,
    subscriber TEXT,
    relation TEXT,
    priority INTEGER,
    start_date TEXT,
    end_date TEXT,
    status TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX coverage_patient ON coverage(patient);

CREATE TABLE problem (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    code TEXT,
    display TEXT,
    onset_date TEXT,
    resolved_date TEXT,
    status TEXT,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX problem_patient ON problem(patient);

CREATE TABLE medication (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    name TEXT,
    rxnorm TEXT,
    dose TEXT,
    route TEXT,
    frequency TEXT,
    start_date TEXT,
    stop_date TEXT,
    status TEXT,
    reason TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX medication_patient ON medication(patient);

CREATE TABLE allergy (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    substance TEXT,
    code TEXT,
    category TEXT,
    reactions TEXT,
    severity TEXT,
    criticality TEXT,
    status TEXT,
    no_known INTEGER,
    onset_date TEXT,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX allergy_patient ON allergy(patient);

CREATE TABLE immunization (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    cvx TEXT,
    vaccine TEXT,
    date TEXT,
    dose_number INTEGER,
    lot TEXT,
    site TEXT,
    route TEXT,
    status TEXT,
    reason TEXT,
    performer TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX immunization_patient ON immunization(patient);

CREATE TABLE encounter (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    start TEXT,
    "end" TEXT,
    type TEXT,
    reason TEXT,
    provider TEXT,
    location TEXT,
    status TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);


CREATE TABLE observation (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    encounter TEXT,
    order_ref TEXT,
    panel TEXT,
    panel_id TEXT,
    code TEXT,
    display TEXT,
    category TEXT,
    value_num REAL,
    value_text TEXT,
    value_code TEXT,
    unit TEXT,
    ref_low REAL,
    ref_high REAL,
    ref_text TEXT,
    flag TEXT,
    effective TEXT,
    status TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);


CREATE TABLE note (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    encounter TEXT,
    kind TEXT,
    title TEXT,
    subjective TEXT,
    objective TEXT,
    assessment TEXT,
    plan TEXT,
    text TEXT,
    status TEXT,
    signed_at TEXT,
    signed_by TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX note_patient ON note(patient);

CREATE TABLE clinical_order (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    encounter TEXT,
    kind TEXT,
    code TEXT,
    description TEXT,
    reason TEXT,
    status TEXT,
    ordered_at TEXT,
    ordered_by TEXT,
    result_summary TEXT,
    result_at TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX clinical_order_patient ON clinical_order(patient);

CREATE TABLE clinical_procedure (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    code TEXT,
    code_system TEXT,
    description TEXT,
    date TEXT,
    surgical INTEGER,
    status TEXT,
    performer TEXT,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX clinical_procedure_patient ON clinical_procedure(patient);

CREATE TABLE hospitalization (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    admit_date TEXT,
    discharge_date TEXT,
    facility TEXT,
    reason TEXT,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX hospitalization_patient ON hospitalization(patient);

CREATE TABLE family_history (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    relative TEXT,
    condition TEXT,
    code TEXT,
    onset_age INTEGER,
    deceased INTEGER,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX family_history_patient ON family_history(patient);

CREATE TABLE social_history (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    tobacco_status TEXT,
    tobacco_detail TEXT,
    alcohol_status TEXT,
    alcohol_drinks_per_week REAL,
    recorded_date TEXT,
    note TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX social_history_patient ON social_history(patient);

CREATE TABLE document (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    encounter TEXT,
    title TEXT,
    kind TEXT,
    mime TEXT,
    size INTEGER,
    sha256 TEXT,
    content BLOB,
    date TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX document_patient ON document(patient);

-- These two also serve look-ups by patient alone (their first column), so observation
-- and encounter have no separate patient index: one fewer tree to update per write.
CREATE INDEX observation_series ON observation(patient, code, effective);

CREATE INDEX encounter_start ON encounter(patient, start);

CREATE INDEX patient_mrn ON patient(mrn);

CREATE INDEX app_user_name ON app_user(name);

CREATE TRIGGER app_user_guard_insert BEFORE INSERT ON app_user WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER app_user_guard_update BEFORE UPDATE ON app_user WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER app_user_guard_delete BEFORE DELETE ON app_user WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER setting_guard_insert BEFORE INSERT ON setting WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER setting_guard_update BEFORE UPDATE ON setting WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER setting_guard_delete BEFORE DELETE ON setting WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER patient_guard_insert BEFORE INSERT ON patient WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER patient_guard_update BEFORE UPDATE ON patient WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER patient_guard_delete BEFORE DELETE ON patient WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER coverage_guard_insert BEFORE INSERT ON coverage WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER coverage_guard_update BEFORE UPDATE ON coverage WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER coverage_guard_delete BEFORE DELETE ON coverage WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER problem_guard_insert BEFORE INSERT ON problem WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER problem_guard_update BEFORE UPDATE ON problem WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER problem_guard_delete BEFORE DELETE ON problem WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER medication_guard_insert BEFORE INSERT ON medication WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER medication_guard_update BEFORE UPDATE ON medication WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER medication_guard_delete BEFORE DELETE ON medication WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER allergy_guard_insert BEFORE INSERT ON allergy WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER allergy_guard_update BEFORE UPDATE ON allergy WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER allergy_guard_delete BEFORE DELETE ON allergy WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER immunization_guard_insert BEFORE INSERT ON immunization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER immunization_guard_update BEFORE UPDATE ON immunization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER immunization_guard_delete BEFORE DELETE ON immunization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER encounter_guard_insert BEFORE INSERT ON encounter WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER encounter_guard_update BEFORE UPDATE ON encounter WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER encounter_guard_delete BEFORE DELETE ON encounter WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER observation_guard_insert BEFORE INSERT ON observation WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER observation_guard_update BEFORE UPDATE ON observation WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER observation_guard_delete BEFORE DELETE ON observation WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER note_guard_insert BEFORE INSERT ON note WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER note_guard_update BEFORE UPDATE ON note WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER note_guard_delete BEFORE DELETE ON note WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_order_guard_insert BEFORE INSERT ON clinical_order WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_order_guard_update BEFORE UPDATE ON clinical_order WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_order_guard_delete BEFORE DELETE ON clinical_order WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_procedure_guard_insert BEFORE INSERT ON clinical_procedure WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_procedure_guard_update BEFORE UPDATE ON clinical_procedure WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER clinical_procedure_guard_delete BEFORE DELETE ON clinical_procedure WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hospitalization_guard_insert BEFORE INSERT ON hospitalization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hospitalization_guard_update BEFORE UPDATE ON hospitalization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hospitalization_guard_delete BEFORE DELETE ON hospitalization WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER family_history_guard_insert BEFORE INSERT ON family_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER family_history_guard_update BEFORE UPDATE ON family_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER family_history_guard_delete BEFORE DELETE ON family_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER social_history_guard_insert BEFORE INSERT ON social_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER social_history_guard_update BEFORE UPDATE ON social_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER social_history_guard_delete BEFORE DELETE ON social_history WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER document_guard_insert BEFORE INSERT ON document WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER document_guard_update BEFORE UPDATE ON document WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER document_guard_delete BEFORE DELETE ON document WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

-- Patient search: names, MRN, birth date and phone digits, kept by the ledger's row hook.
CREATE VIRTUAL TABLE patient_fts USING fts5(
    patient UNINDEXED,
    terms,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3'
);
