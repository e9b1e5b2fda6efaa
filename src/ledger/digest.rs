//! A content digest of what the ledger projects, to compare workstations.
//!
//! Two workstations that hold the same commits must show the same chart, whatever order
//! the commits reached them in: the same rows with the same values, the same competing
//! values of every field, the same open conflicts and duplicates. [`digest`] hashes all of
//! that (SHA-256) so that "converged" can be checked by comparing 32 bytes
//! (`chartkeep verify --digest`), and so that one value, one conflict or one retraction
//! that differs changes it.
//!
//! Every table of the chart database is either hashed ([`DIGESTED`] and the catalogue's
//! entity tables) or named in [`LEFT_OUT`] with why: what depends on arrival order (the
//! `ord` of commits) or on the workstation itself (its identity, its sync bookkeeping).
//! Rows are read in primary-key order, columns in name order, and every value is written
//! with its SQLite type and its length, so no two different contents hash alike.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::schema::Catalogue;
use super::LedgerError;

/// The first bytes hashed: which encoding this is, so a future change of layout can never
/// produce a digest equal to an old one by accident.
const LAYOUT: &[u8] = b"chartkeep projection digest 1\0";

/// A table hashed besides the entity tables: the columns its rows are ordered by (its
/// primary key) and the columns left out.
#[derive(Debug)]
pub struct Digested {
    pub table: &'static str,
    pub order_by: &'static [&'static str],
    pub skip: &'static [&'static str],
}

/// The ledger's own derived tables that are the same on converged workstations.
pub const DIGESTED: &[Digested] = &[
    // The competing values of every edited field: what a conflict shows.
    Digested {
        table: "ledger_field_head",
        order_by: &["row", "field", "change"],
        skip: &[],
    },
    Digested {
        table: "ledger_conflict",
        order_by: &["row", "field"],
        skip: &[],
    },
    Digested {
        table: "ledger_duplicate",
        order_by: &["entity", "field", "row"],
        skip: &[],
    },
    Digested {
        table: "amendment",
        order_by: &["id"],
        skip: &[],
    },
    // The end of every device's chain: which commits this workstation holds (each chain
    // is hash-linked, so equal heads mean equal commits).
    Digested {
        table: "ledger_head",
        order_by: &["device"],
        skip: &[],
    },
    // Held commits, without the order they arrived in or the wording of why they wait.
    Digested {
        table: "ledger_quarantine",
        order_by: &["device", "seq"],
        skip: &["ord", "reason"],
    },
    // The search index's content (its rowids are arrival order, and not a column here).
    Digested {
        table: "patient_fts",
        order_by: &["patient", "terms"],
        skip: &[],
    },
];

/// Tables of the chart database the digest leaves out, and why.
pub const LEFT_OUT: &[(&str, &str)] = &[
    (
        "ledger_commit",
        "the commits in this workstation's arrival order (ord); which ones it holds is in ledger_head",
    ),
    (
        "ledger_change",
        "an index of the commit bodies, keyed to the arrival order (commit_ord)",
    ),
    ("practice_meta", "this workstation's own settings"),
    ("workstation_identity", "this workstation's identities"),
    ("restore_identity", "only ever filled in a backup's copy"),
    ("schema_migration", "when this file was migrated"),
    ("sqlite_sequence", "SQLite's own bookkeeping"),
    ("sqlite_stat1", "SQLite's own bookkeeping"),
    ("patient_fts_data", "the search index's internal storage"),
    ("patient_fts_idx", "the search index's internal storage"),
    ("patient_fts_content", "the search index's internal storage"),
    ("patient_fts_docsize", "the search index's internal storage"),
    ("patient_fts_config", "the search index's internal storage"),
    ("sync_invite", "this workstation's sync bookkeeping"),
    ("sync_peer", "this workstation's sync bookkeeping"),
    ("sync_address", "this workstation's sync bookkeeping"),
    ("sync_rejected", "this workstation's sync bookkeeping"),
    ("sync_listen", "this workstation's sync bookkeeping"),
];

/// The digest of every projection `cat` describes and of the ledger's derived tables, as
/// `conn` (a read connection; one read transaction) sees them.
pub fn digest(conn: &Connection, cat: &Catalogue) -> Result<[u8; 32], LedgerError> {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    h.update(LAYOUT);
    // One read transaction, so a commit landing meanwhile cannot split the picture.
    conn.execute_batch("BEGIN")?;
    let out = (|| {
        let mut entities: Vec<&str> = cat.entities.iter().map(|e| e.table).collect();
        entities.sort_unstable();
        for table in entities {
            table_into(&mut h, conn, table, &["id"], &[])?;
        }
        for d in DIGESTED {
            table_into(&mut h, conn, d.table, d.order_by, d.skip)?;
        }
        Ok::<(), LedgerError>(())
    })();
    conn.execute_batch("COMMIT")?;
    out?;
    let mut digest = [0u8; 32];
    digest.copy_from_slice(h.finish().as_ref());
    Ok(digest)
}

fn bytes_into(h: &mut ring::digest::Context, b: &[u8]) {
    h.update(&(b.len() as u64).to_be_bytes());
    h.update(b);
}

/// Hashes one table: its name and columns, then every row in `order_by` order, then how
/// many rows there were.
fn table_into(
    h: &mut ring::digest::Context,
    conn: &Connection,
    table: &str,
    order_by: &[&str],
    skip: &[&str],
) -> Result<(), LedgerError> {
    let mut columns: Vec<String> = conn
        .prepare_cached("SELECT name FROM pragma_table_info(?1)")?
        .query_map([table], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if columns.is_empty() {
        return Err(LedgerError::Invalid(format!(
            "the digest expects a table '{table}', which this database does not have"
        )));
    }
    columns.retain(|c| !skip.contains(&c.as_str()));
    columns.sort_unstable();
    h.update(b"T");
    bytes_into(h, table.as_bytes());
    h.update(&(columns.len() as u64).to_be_bytes());
    for c in &columns {
        bytes_into(h, c.as_bytes());
    }
    let quoted = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        quoted(table),
        order_by
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut n: u64 = 0;
    while let Some(r) = rows.next()? {
        h.update(b"R");
        for i in 0..columns.len() {
            match r.get_ref(i)? {
                ValueRef::Null => h.update(&[0]),
                ValueRef::Integer(v) => {
                    h.update(&[1]);
                    h.update(&v.to_be_bytes());
                }
                ValueRef::Real(v) => {
                    h.update(&[2]);
                    h.update(&v.to_bits().to_be_bytes());
                }
                ValueRef::Text(t) => {
                    h.update(&[3]);
                    bytes_into(h, t);
                }
                ValueRef::Blob(b) => {
                    h.update(&[4]);
                    bytes_into(h, b);
                }
            }
        }
        n += 1;
    }
    h.update(b"E");
    h.update(&n.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practice::CATALOGUE;
    use crate::vault::migrate;

    /// Every table the migrations make is either hashed or left out on purpose: a new
    /// projection table that nobody added here would make workstations that disagree
    /// look converged.
    #[test]
    fn every_table_is_digested_or_left_out_with_a_reason() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        migrate::migrate(&mut conn, migrate::MIGRATIONS, "2026-01-01T00:00:00Z")
            .expect("migrations apply");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("tables")
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("tables");
        let unaccounted: Vec<&String> = tables
            .iter()
            .filter(|t| {
                !CATALOGUE.entities.iter().any(|e| e.table == t.as_str())
                    && !DIGESTED.iter().any(|d| d.table == t.as_str())
                    && !LEFT_OUT.iter().any(|(name, _)| name == t)
            })
            .collect();
        assert!(
            unaccounted.is_empty(),
            "tables neither in the digest nor in LEFT_OUT: {unaccounted:?}"
        );
    }
}
