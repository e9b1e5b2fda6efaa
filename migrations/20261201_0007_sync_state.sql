-- This workstation's own sync bookkeeping: never replicated, never part of the signed
-- record, written outside the ledger (like practice_meta). Losing it loses nothing clinical:
-- peers are re-learned from the ledger's members and typed addresses.

-- Pairing codes an administrator made here. Only the newest unspent one is accepted (a PAKE
-- answers for one password at a time); three wrong tries spend it.
CREATE TABLE sync_invite (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries_left INTEGER NOT NULL,
    spent_at INTEGER,
    joined_device TEXT
);

-- Workstations this one has talked to or paired with: where to reach them and what they
-- held at the last contact (their version vector, to count what is pending each way).
CREATE TABLE sync_peer (
    device BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    address TEXT,
    paired_at INTEGER,
    last_contact INTEGER,
    last_attempt INTEGER,
    last_error TEXT,
    their_vector BLOB
);

-- Addresses an administrator typed ("host:port"), tried besides what mDNS finds.
CREATE TABLE sync_address (
    address TEXT PRIMARY KEY NOT NULL,
    added_at INTEGER NOT NULL
);

-- Commits a peer sent that this workstation refused (a bad signature, a broken chain, a
-- removed device...): kept so that a hole is reported, never hidden.
CREATE TABLE sync_rejected (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    peer BLOB NOT NULL,
    device BLOB NOT NULL,
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX sync_rejected_device ON sync_rejected(device, seq);

-- Where this workstation's sync listener is (for `sync invite` to print), set by the
-- running listener.
CREATE TABLE sync_listen (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    address TEXT NOT NULL,
    since INTEGER NOT NULL,
    pid INTEGER NOT NULL
);
