//! Checking that the stored ledger is exactly what was signed: no commit or change edited,
//! deleted, inserted, reordered or cut off, and no index or amendment row saying anything
//! else than the signed bodies.

use std::collections::HashMap;

use rusqlite::Connection;

use super::commit::{device_id, Commit, Op};
use super::{encoding, LedgerError};

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub commits: u64,
    pub changes: u64,
    pub devices: u64,
    /// Commits waiting in quarantine for a newer binary (see `quarantine::list`).
    pub quarantined: u64,
    /// Empty when the ledger is intact; otherwise one sentence per problem found.
    pub problems: Vec<String>,
}

struct Chain {
    seq: u64,
    hash: [u8; 32],
}

/// What the change index must say of one signed change.
struct Indexed {
    at: (i64, i64),
    entity: String,
    row: String,
    op: &'static str,
}

/// What the amendment table must hold of one signed amendment.
#[derive(PartialEq)]
struct Amendment {
    entity: String,
    row: String,
    fields: String,
    author: String,
    hlc: i64,
}

/// The practice's members as the ledger's own commits make them, replayed in order: the
/// check that every commit's device was a member when it was applied, without trusting
/// the projected `ledger_device` table (which a writer holding the key could edit).
#[derive(Default)]
struct Members {
    /// Member row → (device hex, removed, last valid seq when removed).
    rows: HashMap<uuid::Uuid, (String, bool, Option<u64>)>,
}

impl Members {
    fn admits(&self, device: &[u8; 32], body: &super::CommitBody) -> bool {
        let hex = hex::encode(device);
        let member = self.rows.values().any(|(d, removed, after)| {
            *d == hex && (!removed || after.is_some_and(|a| body.seq <= a))
        });
        let founding = self.rows.is_empty()
            && body.seq == 1
            && body.changes.iter().any(|c| {
                c.entity == super::member::DEVICE.name
                    && c.op == Op::Create
                    && c.field("device").and_then(|v| v.as_str()) == Some(hex.as_str())
            });
        let vouched = super::member::vouched_by(body).is_some_and(|by| {
            let by = hex::encode(by);
            self.rows
                .values()
                .any(|(d, removed, _)| *d == by && !removed)
        });
        member || founding || vouched
    }

    fn apply(&mut self, body: &super::CommitBody) {
        for c in body
            .changes
            .iter()
            .filter(|c| c.entity == super::member::DEVICE.name)
        {
            match c.op {
                Op::Create => {
                    let device = c.field("device").and_then(|v| v.as_str()).unwrap_or("");
                    self.rows.insert(c.row, (device.to_string(), false, None));
                }
                Op::Retract => {
                    self.rows.remove(&c.row);
                }
                _ => {
                    if let Some(m) = self.rows.get_mut(&c.row) {
                        if let Some(v) = c.field("removed") {
                            m.1 = *v == super::Value::Bool(true);
                        }
                        if let Some(v) = c.field("removed_after").and_then(|v| v.as_i64()) {
                            m.2 = Some(v as u64);
                        }
                    }
                }
            }
        }
    }
}

pub fn verify(conn: &Connection) -> Result<Report, LedgerError> {
    let mut report = Report::default();
    let mut chains: HashMap<[u8; 32], Chain> = HashMap::new();
    let mut seen_changes: HashMap<String, Indexed> = HashMap::new();
    let mut amendments: HashMap<String, Amendment> = HashMap::new();
    let mut members = Members::default();
    let mut stmt = conn.prepare(
        "SELECT ord, hash, device, seq, hlc, author, body, signature, lamport FROM ledger_commit ORDER BY ord",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        report.commits += 1;
        let ord: i64 = r.get(0)?;
        let stored_hash: Vec<u8> = r.get(1)?;
        let stored_device: Vec<u8> = r.get(2)?;
        let stored_seq: i64 = r.get(3)?;
        let stored_hlc: i64 = r.get(4)?;
        let stored_author: String = r.get(5)?;
        let body_bytes: Vec<u8> = r.get(6)?;
        let sig: Vec<u8> = r.get(7)?;
        let stored_lamport: i64 = r.get(8)?;
        let problem = |p: String| format!("commit #{ord}: {p}");
        let body = match encoding::decode(&body_bytes) {
            Ok(b) => b,
            Err(e) => {
                report.problems.push(problem(e.to_string()));
                continue;
            }
        };
        let Ok(signature) = <[u8; 64]>::try_from(sig.as_slice()) else {
            report
                .problems
                .push(problem("signature has the wrong length".into()));
            continue;
        };
        let commit = Commit {
            body,
            encoded: body_bytes,
            signature,
        };
        if !commit.signature_valid() {
            report.problems.push(problem(
                "signature does not match its contents (edited)".into(),
            ));
        }
        let hash = commit.hash();
        if stored_hash != hash {
            report
                .problems
                .push(problem("stored hash differs from its contents".into()));
        }
        let device = device_id(&commit.body.device_key);
        if stored_device != device
            || stored_seq as u64 != commit.body.seq
            || stored_hlc as u64 != commit.body.hlc
            || stored_author != commit.body.author.to_string()
            || stored_lamport as u64 != commit.body.lamport
        {
            report.problems.push(problem(
                "index columns differ from the signed contents".into(),
            ));
        }
        let chain = chains.entry(device).or_insert(Chain {
            seq: 0,
            hash: [0; 32],
        });
        if commit.body.seq != chain.seq + 1 {
            report.problems.push(problem(format!(
                "device {} jumps from seq {} to {} (a commit was deleted, inserted or reordered)",
                hex::encode(&device[..8]),
                chain.seq,
                commit.body.seq
            )));
        }
        if commit.body.prev != chain.hash {
            report.problems.push(problem(format!(
                "does not follow device {}'s previous commit (chain broken)",
                hex::encode(&device[..8])
            )));
        }
        chain.seq = commit.body.seq;
        chain.hash = hash;
        if !members.admits(&device, &commit.body) {
            report.problems.push(problem(format!(
                "device {} was not a member of the practice when it wrote this (a forged or removed workstation)",
                hex::encode(&device[..8])
            )));
        }
        members.apply(&commit.body);
        for (i, c) in commit.body.changes.iter().enumerate() {
            report.changes += 1;
            for b in c.base.iter().chain(&c.deps) {
                if !seen_changes.contains_key(&b.to_string()) {
                    report.problems.push(problem(format!(
                        "change {} is based on {}, which comes later or not at all (reordered or deleted)",
                        c.id, b
                    )));
                }
            }
            if c.op == Op::Amend {
                let fields: serde_json::Map<String, serde_json::Value> = c
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                amendments.insert(
                    c.id.to_string(),
                    Amendment {
                        entity: c.entity.clone(),
                        row: c.row.to_string(),
                        fields: serde_json::Value::Object(fields).to_string(),
                        author: commit.body.author.to_string(),
                        hlc: commit.body.hlc as i64,
                    },
                );
            }
            seen_changes.insert(
                c.id.to_string(),
                Indexed {
                    at: (ord, i as i64),
                    entity: c.entity.clone(),
                    row: c.row.to_string(),
                    op: c.op.name(),
                },
            );
        }
    }
    drop(rows);
    drop(stmt);

    // The change index must say exactly what the signed bodies say.
    let mut stmt =
        conn.prepare("SELECT id, commit_ord, idx, entity, row, op FROM ledger_change")?;
    let mut rows = stmt.query([])?;
    let mut indexed = 0u64;
    while let Some(r) = rows.next()? {
        indexed += 1;
        let id: String = r.get(0)?;
        let at = (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?);
        let (entity, row, op): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
        match seen_changes.get(&id) {
            Some(s) if s.at != at => report.problems.push(format!(
                "change {id}: its index entry points at the wrong commit"
            )),
            Some(s) if s.entity != entity || s.row != row || s.op != op => {
                report.problems.push(format!(
                    "change {id}: its index entry says {op} of {entity} {row}, but the signed change is {} of {} {} (edited)",
                    s.op, s.entity, s.row
                ))
            }
            Some(_) => {}
            None => report.problems.push(format!(
                "change {id}: indexed but in no signed commit (inserted)"
            )),
        }
    }
    if indexed < report.changes {
        report.problems.push(format!(
            "{} signed changes are missing from the change index (deleted)",
            report.changes - indexed
        ));
    }
    drop(rows);
    drop(stmt);

    // Every amendment row must be a signed amendment, saying what it says.
    let mut stmt = conn.prepare("SELECT id, entity, row, fields, author, hlc FROM amendment")?;
    let mut rows = stmt.query([])?;
    let mut amended = 0usize;
    while let Some(r) = rows.next()? {
        amended += 1;
        let id: String = r.get(0)?;
        let found = Amendment {
            entity: r.get(1)?,
            row: r.get(2)?,
            fields: r.get(3)?,
            author: r.get(4)?,
            hlc: r.get(5)?,
        };
        match amendments.get(&id) {
            Some(a) if *a == found => {}
            Some(a) => report.problems.push(format!(
                "amendment {id}: stored on {} {}, but the signed amendment is on {} {} or says otherwise (edited)",
                found.entity, found.row, a.entity, a.row
            )),
            None => report.problems.push(format!(
                "amendment {id}: in no signed commit (inserted)"
            )),
        }
    }
    if amended < amendments.len() {
        report.problems.push(format!(
            "{} signed amendments are missing from the amendment table (deleted)",
            amendments.len() - amended
        ));
    }
    drop(rows);
    drop(stmt);

    report.quarantined = quarantined(conn, &mut report.problems)?;

    // Every chain must end where the head table says: a cut-off tail shows here.
    let mut stmt = conn.prepare("SELECT device, seq, hash FROM ledger_head")?;
    let heads: Vec<(Vec<u8>, i64, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (device, seq, hash) in &heads {
        let d: [u8; 32] = device.as_slice().try_into().unwrap_or([0; 32]);
        match chains.get(&d) {
            Some(c) if c.seq == *seq as u64 && c.hash.as_slice() == hash.as_slice() => {}
            Some(c) => report.problems.push(format!(
                "device {}: ledger ends at seq {} but its head is seq {} (truncated)",
                hex::encode(&d[..8]),
                c.seq,
                seq
            )),
            None => report.problems.push(format!(
                "device {}: head at seq {} but no commits (truncated)",
                hex::encode(&d[..8]),
                seq
            )),
        }
    }
    if heads.len() != chains.len() {
        report
            .problems
            .push("the device head table does not match the commits".into());
    }
    report.devices = chains.len() as u64;
    Ok(report)
}

/// Counts the quarantined commits, checking that each is still what its device signed.
fn quarantined(conn: &Connection, problems: &mut Vec<String>) -> Result<u64, LedgerError> {
    let mut n = 0;
    for super::quarantine::Pending {
        hash,
        body,
        signature,
    } in super::quarantine::pending(conn)?
    {
        n += 1;
        let ok = encoding::decode(&body).is_ok_and(|b| {
            let c = Commit {
                body: b,
                encoded: body.clone(),
                signature,
            };
            c.signature_valid() && c.hash() == hash
        });
        if !ok {
            problems.push(format!(
                "quarantined commit {}: does not match its signature (edited)",
                hex::encode(&hash[..8])
            ));
        }
    }
    Ok(n)
}
