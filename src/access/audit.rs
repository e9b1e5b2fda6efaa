//! The access log: who read, searched or exported which chart, when and from where
//! (ASTM E2147's fields). Append-only (triggers refuse updates and deletes) and
//! hash-chained, so a removed or altered entry is detected by `verify`.
//!
//! Each entry (layout 2) is signed by the workstation that wrote it, with its ledger key,
//! over an encoding that names the entry's seq and device and tells an absent patient from
//! an empty one: a log copied to another workstation can be checked there against the
//! public keys the ledger holds, and someone holding only the database key cannot forge
//! an entry. Entries written before signing (layout 1) keep their plain hash chain.

use rusqlite::{params, Connection, OptionalExtension};

use super::AccessError;
use crate::ledger::DeviceKey;

/// The encoding of signed entries.
const LAYOUT: i64 = 2;

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

/// The signed bytes of a layout-2 entry: a domain tag, the previous entry's hash, the
/// entry's seq and signing device, then each field length-prefixed, the patient with a
/// presence byte first. Hashed with SHA-256; the hash is what the device signs.
pub(super) fn signed_hash(prev: &[u8], seq: i64, device: &[u8], a: &Access) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"chartkeep access log entry v2\0");
    let field = |ctx: &mut ring::digest::Context, bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_be_bytes());
        ctx.update(bytes);
    };
    field(&mut ctx, prev);
    ctx.update(&seq.to_be_bytes());
    field(&mut ctx, device);
    for part in [a.at, a.user_id, a.user_name] {
        field(&mut ctx, part.as_bytes());
    }
    match a.patient {
        None => ctx.update(&[0]),
        Some(p) => {
            ctx.update(&[1]);
            field(&mut ctx, p.as_bytes());
        }
    }
    for part in [a.action, a.category, a.workstation, a.detail] {
        field(&mut ctx, part.as_bytes());
    }
    ctx.finish().as_ref().to_vec()
}

/// Appends one entry, chained to the previous one and signed by this workstation.
pub fn record(conn: &Connection, signer: &DeviceKey, a: &Access) -> Result<(), AccessError> {
    let (last, prev): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_else(|| (0, vec![0; 32]));
    let seq = last + 1;
    let device = signer.id();
    let hash = signed_hash(&prev, seq, &device, a);
    let signature = signer.sign(&hash);
    conn.prepare_cached(
        "INSERT INTO access_log (seq, at, user_id, user_name, patient, action, category, workstation, detail, prev, hash, layout, device, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        seq,
        a.at,
        a.user_id,
        a.user_name,
        a.patient,
        a.action,
        a.category,
        a.workstation,
        a.detail,
        prev,
        hash,
        LAYOUT,
        device.as_slice(),
        signature.as_slice()
    ])?;
    Ok(())
}

/// The public key of a workstation the ledger knows: a member (added, even if since
/// removed: its old entries stay valid), or one whose commits it holds.
pub(super) fn public_key(conn: &Connection, device: &[u8]) -> Result<Option<Vec<u8>>, AccessError> {
    Ok(conn
        .prepare_cached(
            "SELECT public_key FROM main.ledger_device WHERE device = ?1 AND retracted = 0
             UNION ALL SELECT public_key FROM main.ledger_head WHERE device = ?2 LIMIT 1",
        )?
        .query_row(params![hex::encode(device), device], |r| r.get(0))
        .optional()?)
}

/// Checks this workstation's whole chain, then the copies of the other workstations'
/// logs ([`super::replica::verify_copies`]); returns the number of entries, own and copied.
pub fn verify(conn: &Connection) -> Result<u64, AccessError> {
    let own = verify_own(conn)?;
    Ok(own + super::replica::verify_copies(conn)?)
}

/// Checks this workstation's own chain; returns its number of entries.
fn verify_own(conn: &Connection) -> Result<u64, AccessError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_id, user_name, patient, action, category, workstation, detail, prev, hash, layout, device, signature FROM access_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = vec![0u8; 32];
    let mut last_seq = 0i64;
    let mut n = 0u64;
    let mut signed_seen = false;
    let mut keys: std::collections::HashMap<Vec<u8>, Option<Vec<u8>>> = Default::default();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let strings: Vec<Option<String>> = (1..9).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        let stored_prev: Vec<u8> = r.get(9)?;
        let stored_hash: Vec<u8> = r.get(10)?;
        let layout: i64 = r.get(11)?;
        let device: Option<Vec<u8>> = r.get(12)?;
        let signature: Option<Vec<u8>> = r.get(13)?;
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
        match layout {
            1 if signed_seen => {
                return Err(AccessError::LogDamaged(
                    seq,
                    "an unsigned entry follows signed ones".into(),
                ))
            }
            1 => {
                if entry_hash(&prev, &a) != stored_hash {
                    return Err(AccessError::LogDamaged(
                        seq,
                        "its contents were altered".into(),
                    ));
                }
            }
            LAYOUT => {
                signed_seen = true;
                let device = device.unwrap_or_default();
                if signed_hash(&prev, seq, &device, &a) != stored_hash {
                    return Err(AccessError::LogDamaged(
                        seq,
                        "its contents were altered".into(),
                    ));
                }
                if !keys.contains_key(&device) {
                    let key = public_key(conn, &device)?;
                    keys.insert(device.clone(), key);
                }
                let key = keys.get(&device).cloned().flatten().ok_or_else(|| {
                    AccessError::LogDamaged(
                        seq,
                        "it is signed by a workstation the ledger does not know".into(),
                    )
                })?;
                let ok = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
                    .verify(&stored_hash, &signature.unwrap_or_default())
                    .is_ok();
                if !ok {
                    return Err(AccessError::LogDamaged(
                        seq,
                        "its signature is not valid; it was altered or forged".into(),
                    ));
                }
            }
            other => {
                return Err(AccessError::LogDamaged(
                    seq,
                    format!("it has layout {other}, which this version of Chartkeep does not know"),
                ))
            }
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
    /// Position in the hash chain of the log it was recorded in (the workstation's).
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

/// Entries as CSV for a spreadsheet: RFC 4180 quoting, and a leading apostrophe on any
/// cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`), since user names and
/// details come from people.
pub fn to_csv(entries: &[Entry]) -> String {
    fn cell(v: &str) -> String {
        let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{v}")
        } else {
            v.to_string()
        };
        if v.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
        }
    }
    let mut out = String::from("seq,at,user,patient,action,category,workstation,detail\r\n");
    for e in entries {
        let row = [
            e.seq.to_string(),
            e.at.clone(),
            e.user.clone(),
            e.patient.clone().unwrap_or_default(),
            e.action.clone(),
            e.category.clone(),
            e.workstation.clone(),
            e.detail.clone(),
        ];
        out.push_str(&row.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Entries between two dates (inclusive, `YYYY-MM-DD`), optionally for one user or patient:
/// this workstation's own and the copies of the other workstations' logs, in time order
/// (the `workstation` column says where each access happened).
pub fn report(
    conn: &Connection,
    from: &str,
    to: &str,
    user: Option<&str>,
    patient: Option<&str>,
) -> Result<Vec<Entry>, AccessError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_name, patient, action, category, workstation, detail FROM (
             SELECT seq, at, user_name, patient, action, category, workstation, detail FROM access_log
             UNION ALL
             SELECT seq, at, user_name, patient, action, category, workstation, detail FROM access_log_copy
         )
         WHERE at >= ?1 AND substr(at, 1, 10) <= ?2
           AND (?3 IS NULL OR user_name = ?3)
           AND (?4 IS NULL OR patient = ?4 OR (action = 'search' AND instr(detail, ?4) > 0))
         ORDER BY at, workstation, seq",
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

#[cfg(test)]
mod csv_tests {
    use super::*;

    fn entry(user: &str, detail: &str) -> Entry {
        Entry {
            seq: 1,
            at: "2026-12-01T09:00:00Z".into(),
            user: user.into(),
            patient: None,
            action: "read".into(),
            category: "chart".into(),
            workstation: "ab12".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn csv_quotes_separators_and_defuses_formulas() {
        let csv = to_csv(&[entry("=HYPERLINK(\"x\")", "a, \"b\"\nc")]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "seq,at,user,patient,action,category,workstation,detail"
        );
        assert!(lines[1].starts_with("1,2026-12-01T09:00:00Z,\"'=HYPERLINK(\"\"x\"\")\",,read,chart,ab12,\"a, \"\"b\"\"\nc\""), "{}", lines[1]);
    }
}
