//! The access log: who read, searched or exported which chart, when and from where
//! (ASTM E2147's fields). Append-only (triggers refuse updates and deletes) and
//! hash-chained, so a removed or altered entry is detected by `verify`.

use rusqlite::{params, Connection, OptionalExtension};

use super::AccessError;

/// The detail of the first entry of a log started because the previous one was missing.
pub const PREVIOUS_LOG_MISSING: &str = "previous access log missing";

/// One access, as the API records it.
pub struct Access<'a> {
    pub at: &'a str,
    pub user_id: &'a str,
    pub user_name: &'a str,
    pub patient: Option<&'a str>,
    /// read, search, export, login, login_failed, print...
    pub action: &'a str,
    /// What kind of data: demographics, problems, notes, documents, chart...
    pub category: &'a str,
    pub workstation: &'a str,
    pub detail: &'a str,
}

fn entry_hash(prev: &[u8], a: &Access) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(prev);
    for part in [
        a.at,
        a.user_id,
        a.user_name,
        a.patient.unwrap_or(""),
        a.action,
        a.category,
        a.workstation,
        a.detail,
    ] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    ctx.finish().as_ref().to_vec()
}

/// Appends one entry, chained to the previous one.
pub fn record(conn: &Connection, a: &Access) -> Result<(), AccessError> {
    let prev: Vec<u8> = conn
        .prepare_cached("SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| vec![0; 32]);
    let hash = entry_hash(&prev, a);
    conn.prepare_cached(
        "INSERT INTO access_log (at, user_id, user_name, patient, action, category, workstation, detail, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.at, a.user_id, a.user_name, a.patient, a.action, a.category, a.workstation, a.detail, prev, hash
    ])?;
    Ok(())
}

/// Checks the whole chain; returns the number of entries.
pub fn verify(conn: &Connection) -> Result<u64, AccessError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_id, user_name, patient, action, category, workstation, detail, prev, hash FROM access_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = vec![0u8; 32];
    let mut last_seq = 0i64;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let strings: Vec<Option<String>> = (1..9).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        let stored_prev: Vec<u8> = r.get(9)?;
        let stored_hash: Vec<u8> = r.get(10)?;
        if seq != last_seq + 1 {
            return Err(AccessError::LogDamaged(
                seq,
                format!("entries {} to {} are missing", last_seq + 1, seq - 1),
            ));
        }
        if stored_prev != prev {
            return Err(AccessError::LogDamaged(
                seq,
                "does not follow the previous entry".into(),
            ));
        }
        let s = |i: usize| strings[i].as_deref().unwrap_or("");
        let a = Access {
            at: s(0),
            user_id: s(1),
            user_name: s(2),
            patient: strings[3].as_deref(),
            action: s(4),
            category: s(5),
            workstation: s(6),
            detail: s(7),
        };
        if entry_hash(&prev, &a) != stored_hash {
            return Err(AccessError::LogDamaged(
                seq,
                "its contents were altered".into(),
            ));
        }
        if a.detail == PREVIOUS_LOG_MISSING && a.action == "log_started" {
            return Err(AccessError::LogDamaged(
                seq,
                format!(
                    "the access log was started anew at {} because the previous log file was missing; restore it from a backup",
                    a.at
                ),
            ));
        }
        prev = stored_hash;
        last_seq = seq;
        n += 1;
    }
    Ok(n)
}

/// One access log entry as `audit.report` shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Entry {
    /// Position in the hash chain.
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    /// The user name.
    pub user: String,
    pub patient: Option<String>,
    /// read, search, export, login, login_failed, denied, failed…
    pub action: String,
    pub category: String,
    pub workstation: String,
    pub detail: String,
}

/// Entries between two dates (inclusive, `YYYY-MM-DD`), optionally for one user or patient.
pub fn report(
    conn: &Connection,
    from: &str,
    to: &str,
    user: Option<&str>,
    patient: Option<&str>,
) -> Result<Vec<Entry>, AccessError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_name, patient, action, category, workstation, detail FROM access_log
         WHERE at >= ?1 AND substr(at, 1, 10) <= ?2
           AND (?3 IS NULL OR user_name = ?3)
           AND (?4 IS NULL OR patient = ?4 OR (action = 'search' AND instr(detail, ?4) > 0))
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![from, to, user, patient], |r| {
        Ok(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            user: r.get(2)?,
            patient: r.get(3)?,
            action: r.get(4)?,
            category: r.get(5)?,
            workstation: r.get(6)?,
            detail: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
