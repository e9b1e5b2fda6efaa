//! Commits this binary cannot project yet, kept until an upgrade can.
//!
//! A peer with a newer Chartkeep may send a commit naming a kind of record or a field this
//! binary does not know, or written at a newer schema version. Refusing it would block every
//! later commit of that device forever (commits apply in seq order), and dropping it would
//! lose a clinician's entry. So it is stored verbatim here, after its signature, practice,
//! membership and chain position were checked, and retried at every open.
//!
//! Policy: once a device has a quarantined commit, every later commit of that device waits
//! here too, in seq order, until the blocker applies; a commit of another device that
//! depends on a change inside a quarantined commit waits as well (and so the rest of that
//! device's chain). This over-waits (a later commit touching unrelated rows also waits) but
//! is simple and never applies a change before one it may depend on. The retry applies
//! them in order.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::commit::{Commit, CommitBody, Op};
use super::schema::{Catalogue, RETRACT_FIELDS};
use super::{encoding, LedgerError};

/// One quarantined commit, as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    /// Hex device id.
    pub device: String,
    pub seq: u64,
    /// Hex commit hash.
    pub hash: String,
    /// The schema version that wrote it.
    pub schema: u32,
    /// Why it waits, in words.
    pub reason: String,
}

/// Why this binary cannot project `body`, if a newer binary might: a newer schema version,
/// a kind of record or a field it does not know. `None` when it can try.
pub fn needs_newer_binary(cat: &Catalogue, body: &CommitBody) -> Option<String> {
    if body.schema > cat.schema_version {
        return Some(format!(
            "written at schema version {}; this Chartkeep has {}: upgrade it",
            body.schema, cat.schema_version
        ));
    }
    for c in &body.changes {
        let Some(def) = cat.entity(&c.entity) else {
            return Some(format!(
                "change {} is of a kind of record this Chartkeep does not know ('{}'): upgrade it",
                c.id, c.entity
            ));
        };
        if c.op == Op::Amend {
            continue;
        }
        for (name, _) in &c.fields {
            let known = def.field(name).is_some()
                || (c.op == Op::Retract && RETRACT_FIELDS.contains(&name.as_str()));
            if !known {
                return Some(format!(
                    "change {} sets '{}.{}', a field this Chartkeep does not know: upgrade it",
                    c.id, c.entity, name
                ));
            }
        }
    }
    None
}

/// The quarantined commit of `device` just before `seq`, if any: `(seq, hash)`.
pub fn last_before(
    conn: &Connection,
    device: &[u8; 32],
    seq: u64,
) -> Result<Option<(u64, [u8; 32])>, LedgerError> {
    let row = conn
        .prepare_cached(
            "SELECT seq, hash FROM ledger_quarantine WHERE device = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![device.as_slice(), seq as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(s, h)| <[u8; 32]>::try_from(h.as_slice()).ok().map(|h| (s, h))))
}

/// The reason a commit with `hash` waits, if it does.
pub fn reason_of(conn: &Connection, hash: &[u8; 32]) -> Result<Option<String>, LedgerError> {
    Ok(conn
        .prepare_cached("SELECT reason FROM ledger_quarantine WHERE hash = ?1")?
        .query_row([hash.as_slice()], |r| r.get(0))
        .optional()?)
}

/// The quarantined commit that holds change `id`, if one does: `(device, seq)`.
pub fn holding(conn: &Connection, id: &Uuid) -> Result<Option<(String, u64)>, LedgerError> {
    let mut stmt = conn.prepare_cached("SELECT device, seq, body FROM ledger_quarantine")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let body = encoding::decode(&r.get::<_, Vec<u8>>(2)?)?;
        if body.changes.iter().any(|c| c.id == *id) {
            let device: Vec<u8> = r.get(0)?;
            return Ok(Some((
                hex::encode(&device[..8.min(device.len())]),
                r.get::<_, i64>(1)? as u64,
            )));
        }
    }
    Ok(None)
}

/// Stores a checked commit in quarantine with its reason.
pub fn hold(conn: &Connection, commit: &Commit, reason: &str) -> Result<(), LedgerError> {
    conn.prepare_cached(
        "INSERT INTO ledger_quarantine (hash, device, seq, schema, body, signature, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        commit.hash().as_slice(),
        commit.device().as_slice(),
        commit.body.seq as i64,
        commit.body.schema as i64,
        commit.encoded,
        commit.signature.as_slice(),
        reason
    ])?;
    Ok(())
}

/// Takes a commit out of quarantine (it is being retried).
pub fn release(conn: &Connection, hash: &[u8; 32]) -> Result<(), LedgerError> {
    conn.prepare_cached("DELETE FROM ledger_quarantine WHERE hash = ?1")?
        .execute([hash.as_slice()])?;
    Ok(())
}

/// Every quarantined commit with its reason, by device and seq.
pub fn list(conn: &Connection) -> Result<Vec<Held>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT device, seq, hash, schema, reason FROM ledger_quarantine ORDER BY device, seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Held {
            device: hex::encode(r.get::<_, Vec<u8>>(0)?),
            seq: r.get::<_, i64>(1)? as u64,
            hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
            schema: r.get::<_, i64>(3)? as u32,
            reason: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A quarantined commit as stored: its hash, signed bytes and signature.
pub struct Pending {
    pub hash: [u8; 32],
    pub body: Vec<u8>,
    pub signature: [u8; 64],
}

/// The quarantined commits, in the order a retry applies them: by device and seq.
pub fn pending(conn: &Connection) -> Result<Vec<Pending>, LedgerError> {
    let mut stmt =
        conn.prepare("SELECT hash, body, signature FROM ledger_quarantine ORDER BY device, seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (h, body, s) = r?;
        let (Ok(hash), Ok(signature)) = (
            <[u8; 32]>::try_from(h.as_slice()),
            <[u8; 64]>::try_from(s.as_slice()),
        ) else {
            return Err(LedgerError::BadSignature);
        };
        out.push(Pending {
            hash,
            body,
            signature,
        });
    }
    Ok(out)
}
