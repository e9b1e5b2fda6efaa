-- Quality measures (issue 11).
--
-- Value sets a practice imports from a VSAC export (FHIR ValueSet resources with their
-- expansions): the codes a measure's criteria test membership in. They are practice data,
-- written through the ledger like every other record, because they carry licensed codes
-- (AMA CPT) that Chartkeep cannot ship. `codes` is the expansion as a JSON list of
-- [system, code] pairs; `url` (the canonical, ending in the OID) is the key measures use.
CREATE TABLE value_set (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT,
    oid TEXT,
    name TEXT,
    version TEXT,
    codes TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);
CREATE INDEX value_set_url ON value_set(url);

-- The FHIR resource an imported chart record was made from, as it arrived. The chart's
-- columns hold what a clinician reads (a visit's kind as text, a problem's one code); the
-- source keeps the coded detail they cannot (every coding of an encounter's type, the
-- discharge disposition, a condition's verification status, a medication's supply), which
-- quality measures test. One row per mapped resource, beside its first record.
CREATE TABLE import_source (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    record TEXT,
    kind TEXT,
    resource_type TEXT,
    resource TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);
CREATE INDEX import_source_patient ON import_source(patient);

CREATE TRIGGER value_set_guard_insert BEFORE INSERT ON value_set WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER value_set_guard_update BEFORE UPDATE ON value_set WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER value_set_guard_delete BEFORE DELETE ON value_set WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_source_guard_insert BEFORE INSERT ON import_source WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_source_guard_update BEFORE UPDATE ON import_source WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
CREATE TRIGGER import_source_guard_delete BEFORE DELETE ON import_source WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
