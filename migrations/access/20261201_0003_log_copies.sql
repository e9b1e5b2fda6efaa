-- Read-only copies of the other workstations' access logs, so an audit report on any
-- workstation covers the whole practice. Each row is one signed (layout 2) entry exactly
-- as its workstation wrote it, with everything needed to check it again here: its chain
-- position (device, seq, prev), its hash and its signature. Entries are only ever added,
-- each continuing its device's chain (src/access/replica.rs); like the log itself, the
-- copies refuse updates and deletes.
CREATE TABLE access_log_copy (
    device BLOB NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    patient TEXT,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    workstation TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev BLOB NOT NULL,
    hash BLOB NOT NULL,
    layout INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
-- No secondary indexes, as for access_log: reports scan, and copies arrive in batches.

CREATE TRIGGER access_log_copy_no_update BEFORE UPDATE ON access_log_copy
BEGIN SELECT RAISE(ABORT, 'the copies of other workstations'' access logs are append-only'); END;
CREATE TRIGGER access_log_copy_no_delete BEFORE DELETE ON access_log_copy
BEGIN SELECT RAISE(ABORT, 'the copies of other workstations'' access logs are append-only'); END;
