//! Replaying the ledger into empty projections and comparing with the live tables.
//!
//! This is the test that projection code is right: the live tables must equal what the
//! ledger alone produces. The replay writes into a scratch database (its own encrypted
//! file beside the practice, no secondary indexes, never synced or committed) rather than
//! into the live tables: a replay of millions of changes in the live database spilled
//! gigabytes into its WAL only to roll them back, and `--check` now never writes to the
//! live tables at all. While one thread replays, another reads the live tables.
//!
//! Tables are compared by digest rather than by copying them: every row is hashed (64
//! bits, 8 bytes a row), so a practice of millions of rows is compared in one streaming
//! pass with little memory. Only when digests differ are the differing rows looked up
//! again to name their keys. A real rebuild then replaces just the tables that differ.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, TransactionBehavior};

use super::schema::Catalogue;
use super::{encoding, project, LedgerError};
use crate::vault::db::Gate;

/// Ledger-derived tables that are not entity tables.
const LEDGER_DERIVED: &[&str] = &["ledger_field_head", "ledger_conflict", "amendment"];

#[derive(Debug, Clone, serde::Serialize)]
pub struct Difference {
    pub table: String,
    /// `missing` = in the live table but not produced by replay; `extra` = produced by
    /// replay but absent or different in the live table.
    pub kind: &'static str,
    pub key: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub commits: u64,
    pub changes: u64,
    pub differences: Vec<Difference>,
    /// Whether the live tables now equal the replay (the differing ones were replaced).
    pub replaced: bool,
}

/// At most this many differences are named in a report.
const MAX_REPORTED: usize = 1000;

fn tables(cat: &Catalogue) -> Vec<&'static str> {
    let mut t: Vec<&'static str> = cat.entities.iter().map(|e| e.table).collect();
    t.extend_from_slice(LEDGER_DERIVED);
    t.extend_from_slice(cat.derived_tables);
    t
}

/// The connections a rebuild works with.
pub struct Connections<'a> {
    /// The practice's write connection. It reads the ledger, holds the write lock for the
    /// whole rebuild so that nothing moves while the other connections read, and (with
    /// `replace`) takes the replayed tables.
    pub write: &'a mut Connection,
    /// A second connection to the practice database (the read connection): it digests
    /// the live tables on another thread while the replay runs.
    pub live: &'a mut Connection,
    /// A connection to an empty scratch database that receives the replay.
    pub scratch: &'a mut Connection,
}

/// Replays every commit into the scratch database and compares the result with the live
/// projections. With `replace`, every live table that differs is replaced by its replay.
pub fn rebuild(
    c: Connections<'_>,
    gate: &Gate,
    cat: &Catalogue,
    replace: bool,
) -> Result<Report, LedgerError> {
    let tx = c
        .write
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Phases are logged without durations (the engine reads no clock of its own); the
    // subscriber's timestamps show how long each took.
    tracing::debug!("rebuild started");
    let shapes = shapes(&tx, &tables(cat))?;
    for s in &shapes {
        c.scratch.execute_batch(&s.create)?;
    }
    // The replay is never committed: it is read back inside its own transaction and then
    // rolled back, so its pages reach the scratch file only when the cache overflows.
    let scratch_tx = c.scratch.transaction()?;
    let scratch: &Connection = &scratch_tx;
    let (before, replayed) = std::thread::scope(|threads| {
        let (live, shapes) = (&mut *c.live, &shapes);
        let digests = threads.spawn(move || {
            shapes
                .iter()
                .map(|s| digest(live, s))
                .collect::<Result<Vec<Digest>, LedgerError>>()
                .inspect(|_| tracing::debug!("live tables digested"))
        });
        let replayed = replay(&tx, scratch, cat);
        tracing::debug!("ledger replayed");
        let before = digests
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (before, replayed)
    });
    let (before, (commits, changes)) = (before?, replayed?);
    let mut report = Report {
        commits,
        changes,
        differences: Vec::new(),
        replaced: false,
    };
    let mut differing = Vec::new();
    for (s, before) in shapes.iter().zip(&before) {
        let after = digest(scratch, s)?;
        let extra = only_in(&after, before);
        let gone = only_in(before, &after);
        if extra.is_empty() && gone.is_empty() {
            continue;
        }
        differing.push(s);
        for (kind, conn, keys) in [("extra", scratch, &extra), ("missing", &*c.live, &gone)] {
            if keys.is_empty() {
                continue;
            }
            for key in keys_for(conn, s, keys)? {
                report.differences.push(Difference {
                    table: s.name.to_string(),
                    kind,
                    key,
                });
            }
        }
    }
    tracing::debug!("replay compared");
    report.differences.truncate(MAX_REPORTED);
    if replace {
        let open = gate.open();
        let copied = differing
            .iter()
            .try_for_each(|s| replace_table(&tx, scratch, s));
        drop(open);
        copied?;
        tx.commit()?;
        report.replaced = true;
    } else {
        tx.rollback()?;
    }
    Ok(report)
}

/// What the rebuild needs to know of one projection table.
struct Shape {
    name: &'static str,
    /// Its `CREATE` statement, as the live database has it.
    create: String,
    /// Whether rows are compared with their rowid: the search index points at patients
    /// by rowid, so its rowids are part of what must match.
    rowid: bool,
    /// Whether the table has rowids at all (not `WITHOUT ROWID`). A replaced table keeps
    /// the replay's rowids, so the search index and the patients it points at agree.
    has_rowid: bool,
}

fn shapes(conn: &Connection, tables: &[&'static str]) -> Result<Vec<Shape>, LedgerError> {
    let mut stmt =
        conn.prepare("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?1")?;
    tables
        .iter()
        .map(|&name| {
            let create: String = stmt.query_row([name], |r| r.get(0))?;
            let upper = create.to_ascii_uppercase();
            Ok(Shape {
                name,
                rowid: upper.starts_with("CREATE VIRTUAL TABLE"),
                has_rowid: !upper.contains("WITHOUT ROWID"),
                create,
            })
        })
        .collect()
}

fn select_all(s: &Shape) -> String {
    let rowid = if s.rowid { "rowid, " } else { "" };
    format!("SELECT {rowid}* FROM main.\"{}\"", s.name)
}

/// Replaces a live table by its replay, rowids included (`rowid` is named as a column). Rows are copied through this
/// process: the scratch database cannot be attached to the write connection while that
/// connection holds the write lock, as it does for the whole rebuild.
fn replace_table(tx: &Connection, scratch: &Connection, s: &Shape) -> Result<(), LedgerError> {
    let rowid = if s.has_rowid { "rowid, " } else { "" };
    let mut read = scratch.prepare(&format!("SELECT {rowid}* FROM main.\"{}\"", s.name))?;
    let names: Vec<String> = read
        .column_names()
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    tx.execute_batch(&format!("DELETE FROM main.\"{}\";", s.name))?;
    let mut write = tx.prepare(&format!(
        "INSERT INTO main.\"{}\" ({}) VALUES ({})",
        s.name,
        names.join(", "),
        marks.join(", ")
    ))?;
    let n = names.len();
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let values: Vec<rusqlite::types::Value> =
            (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        write.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

/// The hash of every row (all columns, the key included), sorted: 8 bytes a row.
type Digest = Vec<u64>;

fn hash_value(h: &mut DefaultHasher, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => 0u8.hash(h),
        ValueRef::Integer(i) => (1u8, i).hash(h),
        ValueRef::Real(f) => (2u8, f.to_bits()).hash(h),
        ValueRef::Text(t) => (3u8, t).hash(h),
        ValueRef::Blob(b) => (4u8, b).hash(h),
    }
}

fn hash_row(r: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<u64> {
    let mut h = DefaultHasher::new();
    for i in 0..columns {
        hash_value(&mut h, r.get_ref(i)?);
    }
    Ok(h.finish())
}

fn digest(conn: &Connection, s: &Shape) -> Result<Digest, LedgerError> {
    let mut stmt = conn.prepare(&select_all(s))?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(hash_row(r, n)?);
    }
    out.sort_unstable();
    Ok(out)
}

/// Row hashes of `a` that are not in `b` (both sorted).
fn only_in(a: &Digest, b: &Digest) -> HashSet<u64> {
    let (mut i, mut j) = (0, 0);
    let mut out = HashSet::new();
    while i < a.len() {
        if j >= b.len() || a[i] < b[j] {
            out.insert(a[i]);
            i += 1;
        } else if a[i] == b[j] {
            i += 1;
            j += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The first-column values (rowids for the search index) of the rows whose hashes are in
/// `wanted`.
fn keys_for(
    conn: &Connection,
    s: &Shape,
    wanted: &HashSet<u64>,
) -> Result<Vec<String>, LedgerError> {
    let mut stmt = conn.prepare(&select_all(s))?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if wanted.contains(&hash_row(r, n)?) {
            out.push(match r.get_ref(0)? {
                ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                ValueRef::Integer(i) => i.to_string(),
                other => format!("{other:?}"),
            });
            if out.len() >= MAX_REPORTED {
                break;
            }
        }
    }
    Ok(out)
}

/// Projects every stored commit, in the order this workstation applied them, into `out`.
fn replay(
    ledger: &Connection,
    out: &Connection,
    cat: &Catalogue,
) -> Result<(u64, u64), LedgerError> {
    let mut stmt = ledger.prepare("SELECT body FROM ledger_commit ORDER BY ord")?;
    let mut rows = stmt.query([])?;
    let (mut commits, mut changes) = (0u64, 0u64);
    let mut device: Option<([u8; 32], [u8; 32])> = None;
    while let Some(r) = rows.next()? {
        let body = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
        encoding::decode_each(body, |head, c| {
            // A device id is a hash of its key; consecutive commits mostly share one.
            let id = match device {
                Some((key, id)) if key == head.device_key => id,
                _ => {
                    let id = super::commit::device_id(&head.device_key);
                    device = Some((head.device_key, id));
                    id
                }
            };
            let origin = project::Origin {
                hlc: head.hlc,
                lamport: head.lamport,
                device: id,
                author: head.author,
            };
            let def = cat.entity(&c.entity).ok_or_else(|| {
                LedgerError::Invalid(format!("unknown kind of record '{}'", c.entity))
            })?;
            project::apply_change(out, cat, def, &c, &origin, false)?;
            changes += 1;
            Ok::<(), LedgerError>(())
        })?;
        commits += 1;
    }
    super::unique::derive_all(out, cat)?;
    Ok((commits, changes))
}
