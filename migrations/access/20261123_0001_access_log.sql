-- Lives in its own file, chartkeep-access.db (same key), attached as `access`: logging
-- a read then never changes the chart database, so reading a chart keeps its page cache.
-- Who read, searched or exported which chart (ASTM E2147 fields). Append-only and
-- hash-chained: each row's hash covers the previous row's hash and its own fields.
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    patient TEXT,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    workstation TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev BLOB NOT NULL,
    hash BLOB NOT NULL
);
-- No secondary indexes: every chart read appends here, and each index would add a page
-- to encrypt and write per read. Entries are in time order by seq; reports scan.

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
