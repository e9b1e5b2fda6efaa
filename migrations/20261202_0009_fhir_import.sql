-- FHIR import (issue 9).
--
-- A problem may carry a code from a system other than ICD-10-CM (SNOMED CT from another
-- EHR): the system is kept beside the code, and only ICD-10-CM codes are checked against
-- the shipped code set. NULL means ICD-10-CM, as every problem written before this.
ALTER TABLE problem ADD COLUMN code_system TEXT;

-- Resources an import could not map onto the chart (a Claim, an ImagingStudy, a CarePlan),
-- kept verbatim with their patient so that nothing is dropped and an export gives them
-- back unchanged.
CREATE TABLE imported_resource (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    resource_type TEXT,
    source TEXT,
    date TEXT,
    summary TEXT,
    resource TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);
CREATE INDEX imported_resource_patient ON imported_resource(patient);

-- One import of one patient's records: from which file, in which format, and which record
-- each source resource became (`sources`: source key → record id), so importing the same
-- data again writes nothing twice. Who imported and when are the commit's.
CREATE TABLE import_batch (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    file TEXT,
    format TEXT,
    patient_source TEXT,
    sources TEXT,
    counts TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);
CREATE INDEX import_batch_patient ON import_batch(patient);
CREATE INDEX import_batch_patient_source ON import_batch(patient_source);

CREATE TRIGGER imported_resource_guard_insert BEFORE INSERT ON imported_resource WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER imported_resource_guard_update BEFORE UPDATE ON imported_resource WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER imported_resource_guard_delete BEFORE DELETE ON imported_resource WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_batch_guard_insert BEFORE INSERT ON import_batch WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_batch_guard_update BEFORE UPDATE ON import_batch WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_batch_guard_delete BEFORE DELETE ON import_batch WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
