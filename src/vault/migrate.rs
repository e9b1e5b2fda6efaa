//! Schema migrations: SQL files in `migrations/`, applied in order, never edited once landed.

use rusqlite::Connection;

use super::VaultError;

/// Every migration this binary knows, oldest first. Append only.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
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
        "20261123_0003_access_log",
        include_str!("../../migrations/20261123_0003_access_log.sql"),
    ),
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// The schema version of an open database (0 for a new one), read without writing.
pub fn current(conn: &Connection) -> Result<i64, VaultError> {
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migration'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !has_table {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migration",
        [],
        |r| r.get(0),
    )?)
}

/// Refuses a database written by a newer Chartkeep before anything is written to it.
pub fn check_not_newer(conn: &Connection) -> Result<i64, VaultError> {
    let v = current(conn)?;
    if v > latest() {
        return Err(VaultError::DatabaseTooNew {
            found: v,
            supported: latest(),
        });
    }
    Ok(v)
}

/// Applies the missing migrations, each in its own transaction with its record.
pub fn migrate(conn: &mut Connection, applied_at: &str) -> Result<(), VaultError> {
    let v = check_not_newer(conn)?;
    if v == 0 {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migration (
                version INTEGER PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            );",
        )?;
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > v) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| VaultError::Migration(name.to_string(), e.to_string()))?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, applied_at],
        )?;
        tx.commit()?;
    }
    Ok(())
}
