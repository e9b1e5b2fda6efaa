-- Decision support (src/care): what the clinician answered, kept with the chart.
--
-- alert_overrides: on a medication or an allergy, the interruptive medication safety
-- alerts that were shown when it was saved, the reason given to go on, who and when
-- (JSON, see src/care/overrides.rs). An alert answered once is not shown again while
-- the same rule, the same pair and the same dose stand.
--
-- care_decline: a preventive service the patient declined (a rule of
-- assets/preventive_rules.json), with the date and the reason, so that the patient is
-- not called for it again at once. Never deleted; retracted when entered in error.

ALTER TABLE medication ADD COLUMN alert_overrides TEXT;
ALTER TABLE allergy ADD COLUMN alert_overrides TEXT;

CREATE TABLE care_decline (
    id TEXT PRIMARY KEY NOT NULL,
    patient TEXT NOT NULL,
    rule TEXT,
    date TEXT,
    reason TEXT,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);

CREATE INDEX care_decline_patient ON care_decline(patient);

CREATE TRIGGER care_decline_guard_insert BEFORE INSERT ON care_decline WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER care_decline_guard_update BEFORE UPDATE ON care_decline WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;

CREATE TRIGGER care_decline_guard_delete BEFORE DELETE ON care_decline WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'chart tables are written only through the ledger'); END;
