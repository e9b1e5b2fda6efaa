//! Values that must be unique across the practice, kept so without coordination.
//!
//! Two workstations that cannot see each other can give the same MRN to two patients, or
//! make two accounts with the same user name. No peer can refuse the second: each was
//! valid where it was made, and refusing a signed commit would block its device. Instead
//! every workstation derives the same list of duplicates from the same records
//! (`ledger_duplicate`), shows them for a person to settle, and treats the value as
//! untrustworthy meanwhile (login refuses a duplicated user name). Changing one of the
//! values settles it, everywhere.

use rusqlite::{params, Connection, OptionalExtension};

use super::schema::EntityDef;
use super::LedgerError;

/// A field whose value must be unique among a kind's live (not retracted) records.
#[derive(Debug)]
pub struct Unique {
    pub entity: &'static str,
    pub field: &'static str,
}

/// Brings the duplicates of `row`'s unique field up to date after a change to the row.
pub fn settle(
    conn: &Connection,
    def: &EntityDef,
    u: &Unique,
    row: &str,
) -> Result<(), LedgerError> {
    let table = def.table;
    let field = u.field;
    // The group the row was in before, if it was a duplicate.
    let old: Option<String> = conn
        .prepare_cached(
            "SELECT value FROM ledger_duplicate WHERE entity = ?1 AND field = ?2 AND row = ?3",
        )?
        .query_row(params![u.entity, field, row], |r| r.get(0))
        .optional()?;
    conn.prepare_cached(
        "DELETE FROM ledger_duplicate WHERE entity = ?1 AND field = ?2 AND row = ?3",
    )?
    .execute(params![u.entity, field, row])?;
    if let Some(old) = &old {
        let left: Vec<String> = conn
            .prepare_cached(
                "SELECT row FROM ledger_duplicate WHERE entity = ?1 AND field = ?2 AND value = ?3",
            )?
            .query_map(params![u.entity, field, old], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if left.len() == 1 {
            conn.prepare_cached(
                "DELETE FROM ledger_duplicate WHERE entity = ?1 AND field = ?2 AND value = ?3",
            )?
            .execute(params![u.entity, field, old])?;
        }
    }
    let value: Option<String> = conn
        .prepare_cached(&format!(
            "SELECT \"{field}\" FROM \"{table}\" WHERE id = ?1 AND retracted = 0"
        ))?
        .query_row([row], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten()
        .filter(|v| !v.is_empty());
    let Some(value) = value else {
        return Ok(());
    };
    let others: Vec<String> = conn
        .prepare_cached(&format!(
            "SELECT id FROM \"{table}\" WHERE \"{field}\" = ?1 AND retracted = 0 AND id <> ?2"
        ))?
        .query_map(params![value, row], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if others.is_empty() {
        return Ok(());
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO ledger_duplicate (entity, field, value, row) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in others.iter().map(String::as_str).chain([row]) {
        insert.execute(params![u.entity, field, value, r])?;
    }
    Ok(())
}

/// Derives every duplicate from the tables as they stand, in one pass per unique field:
/// what the row-by-row upkeep in [`settle`] arrives at, for a replay.
pub fn derive_all(conn: &Connection, cat: &super::Catalogue) -> Result<(), LedgerError> {
    for u in cat.unique {
        let Some(def) = cat.entity(u.entity) else {
            continue;
        };
        conn.execute(
            "DELETE FROM ledger_duplicate WHERE entity = ?1 AND field = ?2",
            params![u.entity, u.field],
        )?;
        conn.execute(
            &format!(
                "INSERT INTO ledger_duplicate (entity, field, value, row)
                 SELECT ?1, ?2, t.\"{f}\", t.id FROM \"{table}\" t
                 WHERE t.retracted = 0 AND t.\"{f}\" IS NOT NULL AND t.\"{f}\" <> ''
                   AND t.\"{f}\" IN (SELECT \"{f}\" FROM \"{table}\" WHERE retracted = 0
                                    GROUP BY \"{f}\" HAVING count(*) > 1)",
                f = u.field,
                table = def.table
            ),
            params![u.entity, u.field],
        )?;
    }
    Ok(())
}

/// The other live records sharing `row`'s value of a unique field (empty when unique).
pub fn duplicates_of(
    conn: &Connection,
    entity: &str,
    field: &str,
    row: &str,
) -> Result<Vec<String>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.row FROM ledger_duplicate d JOIN ledger_duplicate me
           ON me.entity = d.entity AND me.field = d.field AND me.value = d.value
         WHERE me.entity = ?1 AND me.field = ?2 AND me.row = ?3 AND d.row <> ?3 ORDER BY d.row",
    )?;
    let rows = stmt.query_map(params![entity, field, row], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One open duplicate: entity, field, the shared value, and the rows sharing it.
pub type Group = (String, String, String, Vec<String>);

/// Every open duplicate, by kind, field and value.
pub fn list(conn: &Connection) -> Result<Vec<Group>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT entity, field, value, group_concat(row, ' ') FROM ledger_duplicate
         GROUP BY entity, field, value ORDER BY entity, field, value",
    )?;
    let rows = stmt.query_map([], |r| {
        let rows: String = r.get(3)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            rows.split(' ').map(String::from).collect(),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
