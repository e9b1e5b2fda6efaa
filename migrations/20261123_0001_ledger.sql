-- The ledger: signed commits are the source of truth; every other table is derived.

CREATE TABLE practice_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- This workstation's signing key seed. Local only, never replicated.
CREATE TABLE device_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seed BLOB NOT NULL,
    device BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per commit, in the order this workstation applied them (ord).
CREATE TABLE ledger_commit (
    ord INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    device BLOB NOT NULL,
    seq INTEGER NOT NULL,
    hlc INTEGER NOT NULL,
    author TEXT NOT NULL,
    body BLOB NOT NULL,
    signature BLOB NOT NULL,
    UNIQUE (device, seq)
);

-- An index of the changes inside commit bodies, for per-row history and base checks.
CREATE TABLE ledger_change (
    id TEXT PRIMARY KEY NOT NULL,
    commit_ord INTEGER NOT NULL REFERENCES ledger_commit(ord),
    idx INTEGER NOT NULL,
    entity TEXT NOT NULL,
    row TEXT NOT NULL,
    op TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_change_row ON ledger_change(row, commit_ord);

-- The newest commit of every device this workstation holds: the end of each chain.
CREATE TABLE ledger_head (
    device BLOB PRIMARY KEY NOT NULL,
    public_key BLOB NOT NULL,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);

-- Current competing values of a field that has been edited after creation. One row per
-- head; more than one row for a field means concurrent edits (a conflict).
CREATE TABLE ledger_field_head (
    row TEXT NOT NULL,
    field TEXT NOT NULL,
    change TEXT NOT NULL,
    hlc INTEGER NOT NULL,
    device BLOB NOT NULL,
    author TEXT NOT NULL,
    value,
    PRIMARY KEY (row, field, change)
) WITHOUT ROWID;

-- Fields with more than one head right now: open conflicts. Derived from the heads, so it
-- is the same on every workstation whatever order changes arrived in; the history of a
-- conflict (both edits, the resolution) is in the ledger itself.
CREATE TABLE ledger_conflict (
    row TEXT NOT NULL,
    field TEXT NOT NULL,
    entity TEXT NOT NULL,
    PRIMARY KEY (row, field)
) WITHOUT ROWID;

-- Amendments and addenda appended to immutable rows (signed notes).
CREATE TABLE amendment (
    id TEXT PRIMARY KEY NOT NULL,
    entity TEXT NOT NULL,
    row TEXT NOT NULL,
    fields TEXT NOT NULL,
    author TEXT NOT NULL,
    hlc INTEGER NOT NULL
);
CREATE INDEX amendment_row ON amendment(row);

-- The ledger is append-only.
CREATE TRIGGER ledger_commit_no_update BEFORE UPDATE ON ledger_commit
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_commit_no_delete BEFORE DELETE ON ledger_commit
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_change_no_update BEFORE UPDATE ON ledger_change
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_change_no_delete BEFORE DELETE ON ledger_change
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_commit_gate BEFORE INSERT ON ledger_commit WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'commits are written only through the ledger'); END;
CREATE TRIGGER ledger_change_gate BEFORE INSERT ON ledger_change WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'commits are written only through the ledger'); END;
CREATE TRIGGER ledger_field_head_gate_insert BEFORE INSERT ON ledger_field_head WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_field_head_gate_update BEFORE UPDATE ON ledger_field_head WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_field_head_gate_delete BEFORE DELETE ON ledger_field_head WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_conflict_gate_insert BEFORE INSERT ON ledger_conflict WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_conflict_gate_update BEFORE UPDATE ON ledger_conflict WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_conflict_gate_delete BEFORE DELETE ON ledger_conflict WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER amendment_gate_insert BEFORE INSERT ON amendment WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER amendment_gate_update BEFORE UPDATE ON amendment WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER amendment_gate_delete BEFORE DELETE ON amendment WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_head_gate_insert BEFORE INSERT ON ledger_head WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_head_gate_update BEFORE UPDATE ON ledger_head WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER device_identity_no_update BEFORE UPDATE ON device_identity
BEGIN SELECT RAISE(ABORT, 'a workstation keeps its identity'); END;
CREATE TRIGGER device_identity_no_delete BEFORE DELETE ON device_identity
BEGIN SELECT RAISE(ABORT, 'a workstation keeps its identity'); END;
