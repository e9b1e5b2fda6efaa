//! Replaying the ledger into empty projections and comparing with the live tables.
//!
//! This is the test that projection code is right: the live tables must equal what the
//! ledger alone produces. It runs inside one transaction, so `--check` leaves the live
//! tables untouched and a real rebuild replaces them whole.

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

fn tables(cat: &Catalogue) -> Vec<&'static str> {
    let mut t: Vec<&'static str> = cat.entities.iter().map(|e| e.table).collect();
    t.extend_from_slice(LEDGER_DERIVED);
    t.extend_from_slice(cat.derived_tables);
    t
}

/// Replays every commit. With `replace`, the result becomes the live projection; without,
/// everything is rolled back and only the differences are reported.
pub fn rebuild(
    conn: &mut Connection,
    gate: &Gate,
    cat: &Catalogue,
    replace: bool,
) -> Result<Report, LedgerError> {
    let tx = conn.transaction()?;
    gate.open();
    let result = replay_and_compare(&tx, cat);
    gate.close();
    let mut report = result?;
    if replace {
        tx.commit()?;
        report.replaced = true;
    } else {
        tx.rollback()?;
    }
    Ok(report)
}

fn replay_and_compare(tx: &Connection, cat: &Catalogue) -> Result<Report, LedgerError> {
    let tables = tables(cat);
    for t in &tables {
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.\"snap_{t}\";
             CREATE TEMP TABLE \"snap_{t}\" AS SELECT * FROM main.\"{t}\";
             DELETE FROM main.\"{t}\";"
        ))?;
    }
    let (commits, changes) = replay(tx, cat)?;
    let mut differences = Vec::new();
    for t in &tables {
        for (kind, a, b) in [
            ("missing", "temp.\"snap_", "main.\""),
            ("extra", "main.\"", "temp.\"snap_"),
        ] {
            let sql = format!(
                "SELECT * FROM (SELECT * FROM {a}{t}\" EXCEPT SELECT * FROM {b}{t}\") LIMIT 1000"
            );
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let key: String = match r.get_ref(0)? {
                    rusqlite::types::ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    other => format!("{other:?}"),
                };
                differences.push(Difference {
                    table: t.to_string(),
                    kind,
                    key,
                });
            }
        }
        tx.execute_batch(&format!("DROP TABLE temp.\"snap_{t}\";"))?;
    }
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

/// Convenience for callers that hold a gate and want the whole thing in one call.
pub fn check(conn: &mut Connection, gate: &Gate, cat: &Catalogue) -> Result<Report, LedgerError> {
    rebuild(conn, gate, cat, false)
}
