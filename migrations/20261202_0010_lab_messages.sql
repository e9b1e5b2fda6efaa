-- HL7 v2 lab results received (src/interop/hl7v2/receive.rs): every message that could be
-- read is kept with its raw text, whether its results were filed (applied), wait for a
-- person in the "Unmatched results" queue (unmatched), were filed by a person from the
-- queue (assigned) or were refused by one (refused). The same sending facility and MSH-10
-- twice is applied once: hl7_message_control finds the first.
-- And the practice's table of a lab's local test codes and the LOINC each one means.
-- Both are ledger projections, written only through it (guard triggers).
-- Version 9 is kept free for the FHIR import branch.

CREATE TABLE hl7_message (
    id TEXT PRIMARY KEY NOT NULL,
    control_id TEXT,
    sending_application TEXT,
    sending_facility TEXT,
    received_at TEXT,
    state TEXT,
    patient TEXT,
    reason TEXT,
    results TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT,
    -- Last: the raw text is the one large value, and a query that reads the columns before
    -- it (the resend check, the corrections' look-up) never reads its overflow pages.
    message TEXT
);

CREATE INDEX hl7_message_control ON hl7_message(sending_facility, control_id);
CREATE INDEX hl7_message_state ON hl7_message(state);
CREATE INDEX hl7_message_patient ON hl7_message(patient);

CREATE TABLE hl7_code_map (
    id TEXT PRIMARY KEY NOT NULL,
    lab TEXT,
    local_code TEXT,
    loinc TEXT,
    display TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX hl7_code_map_code ON hl7_code_map(lab, local_code);

CREATE TRIGGER hl7_message_guard_insert BEFORE INSERT ON hl7_message WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hl7_message_guard_update BEFORE UPDATE ON hl7_message WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hl7_message_guard_delete BEFORE DELETE ON hl7_message WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hl7_code_map_guard_insert BEFORE INSERT ON hl7_code_map WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hl7_code_map_guard_update BEFORE UPDATE ON hl7_code_map WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER hl7_code_map_guard_delete BEFORE DELETE ON hl7_code_map WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
