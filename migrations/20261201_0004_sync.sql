-- What sync needs of the ledger: the Lamport counter of every commit (conflict winners
-- never depend on wall time), the member devices as ledger data, and a quarantine for
-- commits a newer binary could apply. Version 3 is kept free for the chart branch.

ALTER TABLE ledger_commit ADD COLUMN lamport INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_field_head ADD COLUMN lamport INTEGER NOT NULL DEFAULT 0;

-- The workstations of the practice, projected from 'device' changes. A device's commits
-- are accepted while a row with its id is not removed, and once removed, those up to the
-- seq the removing administrator had seen ('removed_after').
CREATE TABLE ledger_device (
    id TEXT PRIMARY KEY NOT NULL,
    device TEXT,
    public_key BLOB,
    name TEXT,
    added_by TEXT,
    removed INTEGER,
    removed_after INTEGER,
    created_change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    retract_reason TEXT
);
CREATE INDEX ledger_device_device ON ledger_device(device);

CREATE TRIGGER ledger_device_gate_insert BEFORE INSERT ON ledger_device WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_device_gate_update BEFORE UPDATE ON ledger_device WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_device_gate_delete BEFORE DELETE ON ledger_device WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;

-- Signed commits this binary cannot project yet (a record kind, a field or a schema
-- version it does not know), kept verbatim after their signature and chain position were
-- checked, and retried at open. 'ord' keeps the order they arrived in.
CREATE TABLE ledger_quarantine (
    ord INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    device BLOB NOT NULL,
    seq INTEGER NOT NULL,
    schema INTEGER NOT NULL,
    body BLOB NOT NULL,
    signature BLOB NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (device, seq)
);

CREATE TRIGGER ledger_quarantine_gate_insert BEFORE INSERT ON ledger_quarantine WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_quarantine_gate_update BEFORE UPDATE ON ledger_quarantine WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_quarantine_gate_delete BEFORE DELETE ON ledger_quarantine WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
