//! Replaying the ledger into empty projections and comparing with the live tables.
//!
//! This is the test that projection code is right: the live tables must equal what the
//! ledger alone produces. It runs inside one transaction, so `--check` leaves the live
//! tables untouched and a real rebuild replaces them whole.
//!
//! Tables are compared by digest rather than by copying them: every row is hashed before
//! and after the replay (64-bit key and row hashes, 16 bytes a row), so a practice of
//! millions of rows is compared in one streaming pass with little memory. Only when digests
//! differ are the differing keys looked up. Secondary indexes are dropped during the replay
//! and built again after it, which is much faster than maintaining them row by row.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::types::ValueRef;
use rusqlite::Connection;

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
    /// Whether the replayed projections replaced the live ones.
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

/// Replays every commit. With `replace`, the result becomes the live projection; without,
/// everything is rolled back and only the differences are reported.
///
/// `live` is a second connection to the same database (the practice's read connection):
/// it still sees the tables as they were, so the keys of rows the replay did not produce
/// can be named without keeping a copy of the tables.
pub fn rebuild(
    conn: &mut Connection,
    live: &Connection,
    gate: &Gate,
    cat: &Catalogue,
    replace: bool,
) -> Result<Report, LedgerError> {
    // `live` cannot see this transaction's writes until it commits, so it keeps showing
    // the tables as they were.
    // A large page cache for the replay: it touches every page of every projection.
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA cache_size = -524288;")?;
    let tx = conn.transaction()?;
    gate.open();
    let result = replay_and_compare(&tx, live, cat);
    gate.close();
    let outcome = result.and_then(|mut report| {
        if replace {
            tx.commit()?;
            report.replaced = true;
        } else {
            tx.rollback()?;
        }
        Ok(report)
    });
    conn.execute_batch(&format!("PRAGMA cache_size = {cache};"))?;
    outcome
}

type Digest = Vec<(u64, u64)>;

fn hash_value(h: &mut DefaultHasher, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => 0u8.hash(h),
        ValueRef::Integer(i) => (1u8, i).hash(h),
        ValueRef::Real(f) => (2u8, f.to_bits()).hash(h),
        ValueRef::Text(t) => (3u8, t).hash(h),
        ValueRef::Blob(b) => (4u8, b).hash(h),
    }
}

/// (hash of the first column, hash of the whole row) for every row, sorted.
fn digest(tx: &Connection, table: &str) -> Result<Digest, LedgerError> {
    let mut stmt = tx.prepare(&format!("SELECT * FROM main.\"{table}\""))?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut key = DefaultHasher::new();
        hash_value(&mut key, r.get_ref(0)?);
        let mut all = DefaultHasher::new();
        for i in 0..n {
            hash_value(&mut all, r.get_ref(i)?);
        }
        out.push((key.finish(), all.finish()));
    }
    out.sort_unstable();
    Ok(out)
}

/// Rows of `a` that are not in `b` (both sorted), as key hashes.
fn only_in(a: &Digest, b: &Digest) -> HashSet<u64> {
    let (mut i, mut j) = (0, 0);
    let mut out = HashSet::new();
    while i < a.len() {
        if j >= b.len() || a[i] < b[j] {
            out.insert(a[i].0);
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

/// The first-column values of the rows whose key hashes are in `wanted`.
fn keys_for(
    conn: &Connection,
    table: &str,
    wanted: &HashSet<u64>,
) -> Result<Vec<String>, LedgerError> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM main.\"{table}\""))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let v = r.get_ref(0)?;
        let mut h = DefaultHasher::new();
        hash_value(&mut h, v);
        if wanted.contains(&h.finish()) {
            out.push(match v {
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

/// Secondary indexes and guard triggers of the projection tables: (type, name, CREATE
/// statement). The replay runs without them and puts them back before it commits: one
/// index build beats a million index updates, and without per-row triggers `DELETE` can
/// drop a table's pages whole. The gate is open for the whole rebuild anyway.
fn secondary_indexes(
    tx: &Connection,
    tables: &[&str],
) -> Result<Vec<(String, String, String)>, LedgerError> {
    let mut stmt = tx.prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ?1 AND sql IS NOT NULL",
    )?;
    let mut out = Vec::new();
    for t in tables {
        let rows = stmt.query_map([t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        for r in rows {
            out.push(r?);
        }
    }
    Ok(out)
}

/// Empties the projections and replays the ledger into them.
fn clear_and_replay(
    tx: &Connection,
    cat: &Catalogue,
    tables: &[&str],
) -> Result<(u64, u64), LedgerError> {
    let indexes = secondary_indexes(tx, tables)?;
    for (kind, name, _) in &indexes {
        tx.execute_batch(&format!("DROP {kind} main.\"{name}\";"))?;
    }
    for t in tables {
        tx.execute_batch(&format!("DELETE FROM main.\"{t}\";"))?;
    }
    let counts = replay(tx, cat)?;
    for (_, _, sql) in &indexes {
        tx.execute_batch(sql)?;
    }
    Ok(counts)
}

fn replay_and_compare(
    tx: &Connection,
    live: &Connection,
    cat: &Catalogue,
) -> Result<Report, LedgerError> {
    let tables = tables(cat);
    let before: Vec<Digest> = tables
        .iter()
        .map(|t| digest(tx, t))
        .collect::<Result<_, _>>()?;
    let (commits, changes) = clear_and_replay(tx, cat, &tables)?;
    let mut differences = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let after = digest(tx, t)?;
        let extra = only_in(&after, &before[i]);
        if !extra.is_empty() {
            for key in keys_for(tx, t, &extra)? {
                differences.push(Difference {
                    table: t.to_string(),
                    kind: "extra",
                    key,
                });
            }
        }
        let gone = only_in(&before[i], &after);
        if !gone.is_empty() {
            for key in keys_for(live, t, &gone)? {
                differences.push(Difference {
                    table: t.to_string(),
                    kind: "missing",
                    key,
                });
            }
        }
    }
    differences.truncate(MAX_REPORTED);
    Ok(Report {
        commits,
        changes,
        differences,
        replaced: false,
    })
}

/// Projects every stored commit, in the order this workstation applied them.
fn replay(tx: &Connection, cat: &Catalogue) -> Result<(u64, u64), LedgerError> {
    let mut stmt = tx.prepare("SELECT body FROM ledger_commit ORDER BY ord")?;
    let mut rows = stmt.query([])?;
    let (mut commits, mut changes) = (0u64, 0u64);
    while let Some(r) = rows.next()? {
        let body = encoding::decode(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?)?;
        let origin = project::Origin {
            hlc: body.hlc,
            device: super::commit::device_id(&body.device_key),
            author: body.author,
        };
        for c in &body.changes {
            let def = cat.entity(&c.entity).ok_or_else(|| {
                LedgerError::Invalid(format!("unknown kind of record '{}'", c.entity))
            })?;
            project::apply_change(tx, cat, def, c, &origin)?;
            changes += 1;
        }
        commits += 1;
    }
    Ok((commits, changes))
}
