//! Anchors: signed statements of the ledger's heads (and the access log's) at a time,
//! exported to a file kept outside the practice folder.
//!
//! Whoever holds a workstation's keys can rewrite its history and re-sign it; signatures
//! alone cannot show that. An anchor written earlier can: `chartkeep verify --against
//! FILE` checks that every commit the anchor names is still there with the same hash, so
//! nothing before the anchor was changed, removed or re-signed. The anchor is signed by
//! the workstation that made it, so the file itself cannot be edited unnoticed either.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{DeviceKey, LedgerError};

/// The format tag of anchors this binary writes and reads.
pub const FORMAT: &str = "chartkeep-anchor-1";

/// One device's last commit, as the anchor saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Device id, hex.
    pub device: String,
    pub seq: u64,
    /// Hash of the commit at `seq`, hex.
    pub hash: String,
}

/// The access log's last entry, as the anchor saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    pub seq: i64,
    pub hash: String,
}

/// What an anchor states. Its JSON (fields in this order, heads sorted by device) is what
/// is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub format: String,
    pub practice_id: String,
    pub at: String,
    /// The signing workstation's public key, hex.
    pub signer: String,
    pub heads: Vec<Head>,
    pub access_log: Option<LogHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    #[serde(flatten)]
    pub statement: Statement,
    /// Ed25519 signature of the statement's JSON, hex.
    pub signature: String,
}

fn signed_bytes(s: &Statement) -> Vec<u8> {
    // Serializing a struct of strings, numbers and lists cannot fail.
    serde_json::to_vec(s).unwrap_or_default()
}

/// Every device's head in this ledger, sorted by device.
pub fn heads(conn: &Connection) -> Result<Vec<Head>, LedgerError> {
    let mut stmt = conn.prepare("SELECT device, seq, hash FROM ledger_head ORDER BY device")?;
    let rows = stmt.query_map([], |r| {
        Ok(Head {
            device: hex::encode(r.get::<_, Vec<u8>>(0)?),
            seq: r.get::<_, i64>(1)? as u64,
            hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Signs a statement with this workstation's key.
pub fn sign(
    key: &DeviceKey,
    practice_id: &str,
    at: &str,
    heads: Vec<Head>,
    access_log: Option<LogHead>,
) -> Anchor {
    let statement = Statement {
        format: FORMAT.to_string(),
        practice_id: practice_id.to_string(),
        at: at.to_string(),
        signer: hex::encode(key.public_key()),
        heads,
        access_log,
    };
    let signature = hex::encode(key.sign(&signed_bytes(&statement)));
    Anchor {
        statement,
        signature,
    }
}

/// What in this ledger contradicts the anchor, one sentence each (empty: nothing before
/// the anchor changed). The access log's entry is checked by the caller, which holds it.
pub fn check(conn: &Connection, practice_id: &str, a: &Anchor) -> Result<Vec<String>, LedgerError> {
    let s = &a.statement;
    let mut problems = Vec::new();
    if s.format != FORMAT {
        problems.push(format!(
            "the anchor is in format '{}', which this version of Chartkeep does not read",
            s.format
        ));
        return Ok(problems);
    }
    let signed = hex::decode(&s.signer)
        .ok()
        .zip(hex::decode(&a.signature).ok());
    let valid = signed.is_some_and(|(key, sig)| {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
            .verify(&signed_bytes(s), &sig)
            .is_ok()
    });
    if !valid {
        problems
            .push("the anchor's signature does not match its contents: the file was edited".into());
    }
    if s.practice_id != practice_id {
        problems.push(format!(
            "the anchor is of practice {}, not this one ({practice_id})",
            s.practice_id
        ));
        return Ok(problems);
    }
    let mut stmt =
        conn.prepare_cached("SELECT hash FROM ledger_commit WHERE device = ?1 AND seq = ?2")?;
    for h in &s.heads {
        let short = &h.device[..h.device.len().min(16)];
        let Ok(device) = hex::decode(&h.device) else {
            problems.push(format!("the anchor names a malformed device id {short}"));
            continue;
        };
        let here: Option<Vec<u8>> = stmt
            .query_row(params![device, h.seq as i64], |r| r.get(0))
            .optional()?;
        match here {
            None => problems.push(format!(
                "device {short}: its commit {} in the anchor of {} is missing here (history removed)",
                h.seq, s.at
            )),
            Some(hash) if hex::encode(&hash) != h.hash => problems.push(format!(
                "device {short}: its commit {} differs from the anchor of {} (history rewritten)",
                h.seq, s.at
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}
