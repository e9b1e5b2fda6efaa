//! Schema migrations: SQL files in `migrations/`, applied in order, never edited once landed.
//!
//! Two databases, two lists: the chart database (`migrations/*.sql`) and the access log
//! (`migrations/access/*.sql`), each with its own `schema_migration` table.

use rusqlite::Connection;

use super::VaultError;

/// One migration: its version, name and SQL.
pub type Migration = (i64, &'static str, &'static str);

/// The chart database's migrations, oldest first. Append only.
pub const MIGRATIONS: &[Migration] = &[
    (
        1,
        "20261123_0001_ledger",
        include_str!("../../migrations/20261123_0001_ledger.sql"),
    ),
    (
        2,
        "20261123_0002_chart",
        include_str!("../../migrations/20261123_0002_chart.sql"),
    ),
    (
        3,
        "20261201_0003_signed_notes",
        include_str!("../../migrations/20261201_0003_signed_notes.sql"),
    ),
    (
        4,
        "20261201_0004_sync",
        include_str!("../../migrations/20261201_0004_sync.sql"),
    ),
    (
        5,
        "20261201_0005_device_key_file",
        include_str!("../../migrations/20261201_0005_device_key_file.sql"),
    ),
    (
        6,
        "20261201_0006_duplicates",
        include_str!("../../migrations/20261201_0006_duplicates.sql"),
    ),
    (
        7,
        "20261201_0007_sync_state",
        include_str!("../../migrations/20261201_0007_sync_state.sql"),
    ),
    (
        8,
        "20261201_0008_mrn_block",
        include_str!("../../migrations/20261201_0008_mrn_block.sql"),
    ),
    (
        9,
        "20261202_0009_fhir_import",
        include_str!("../../migrations/20261202_0009_fhir_import.sql"),
    ),
    (
        10,
        "20261202_0010_lab_messages",
        include_str!("../../migrations/20261202_0010_lab_messages.sql"),
    ),
    (
        11,
        "20261203_0011_decision_support",
        include_str!("../../migrations/20261203_0011_decision_support.sql"),
    ),
    (
        12,
        "20261203_0012_value_sets",
        include_str!("../../migrations/20261203_0012_value_sets.sql"),
    ),
    (
        13,
        "20261203_0013_observation_by_code",
        include_str!("../../migrations/20261203_0013_observation_by_code.sql"),
    ),
    (
        14,
        "20261204_0014_visit_codes",
        include_str!("../../migrations/20261204_0014_visit_codes.sql"),
    ),
];

/// The chart schema version this binary writes, as signed into every commit. Equal to
/// the last entry of [`MIGRATIONS`] (a test checks it).
pub const SCHEMA_VERSION: u32 = 14;

/// The access log database's migrations, oldest first. Append only.
pub const ACCESS_MIGRATIONS: &[Migration] = &[
    (
        1,
        "20261123_0001_access_log",
        include_str!("../../migrations/access/20261123_0001_access_log.sql"),
    ),
    (
        2,
        "20261201_0002_signed_entries",
        include_str!("../../migrations/access/20261201_0002_signed_entries.sql"),
    ),
    (
        3,
        "20261201_0003_log_copies",
        include_str!("../../migrations/access/20261201_0003_log_copies.sql"),
    ),
];

pub fn latest(list: &[Migration]) -> i64 {
    list.last().map(|m| m.0).unwrap_or(0)
}

/// The schema version of an open database (0 for a new one), read without writing.
pub fn current(conn: &Connection) -> Result<i64, VaultError> {
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'schema_migration'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !has_table {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM main.schema_migration",
        [],
        |r| r.get(0),
    )?)
}

/// Refuses a database written by a newer Chartkeep before anything is written to it.
pub fn check_not_newer(conn: &Connection, list: &[Migration]) -> Result<i64, VaultError> {
    let v = current(conn)?;
    if v > latest(list) {
        return Err(VaultError::DatabaseTooNew {
            found: v,
            supported: latest(list),
        });
    }
    Ok(v)
}

/// Applies the missing migrations, each in its own transaction with its record. A listed
/// version lower than the database's latest that was never applied (a gap filled by a
/// later merge) is applied too, so versions need not arrive in order.
pub fn migrate(
    conn: &mut Connection,
    list: &[Migration],
    applied_at: &str,
) -> Result<(), VaultError> {
    let v = check_not_newer(conn, list)?;
    if v == 0 {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS main.schema_migration (
                version INTEGER PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            );",
        )?;
    }
    let applied: std::collections::HashSet<i64> = {
        let mut stmt = conn.prepare("SELECT version FROM main.schema_migration")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for (version, name, sql) in list.iter().filter(|m| !applied.contains(&m.0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| VaultError::Migration(name.to_string(), e.to_string()))?;
        tx.execute(
            "INSERT INTO main.schema_migration (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, applied_at],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_version_is_the_last_migration() {
        assert_eq!(SCHEMA_VERSION as i64, latest(MIGRATIONS));
    }

    #[test]
    fn a_gap_filled_later_is_still_applied() {
        const A: Migration = (1, "a", "CREATE TABLE a (x);");
        const C: Migration = (4, "c", "CREATE TABLE c (x);");
        const B: Migration = (3, "b", "CREATE TABLE b (x);");
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[A, C], "t").unwrap();
        migrate(&mut conn, &[A, B, C], "t").unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM schema_migration", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
        conn.execute("INSERT INTO b VALUES (1)", []).unwrap();
    }
}
