//! The ledger: the one write path for practice data.
//!
//! Every user action becomes one signed [`Commit`] of [`Change`]s. [`Ledger::append`]
//! (local) and [`Ledger::apply`] (from a peer) store the commit and update the projection
//! tables in one SQLite transaction, so a saved form is never half there. Projection tables
//! refuse writes from anywhere else (guard triggers), and `rebuild` replays the ledger into
//! fresh projections to prove the projection code right.
//!
//! ```no_run
//! # use chartkeep::ledger::*;
//! # fn demo(ledger: &mut Ledger, conn: &mut rusqlite::Connection, gate: &chartkeep::vault::db::Gate, author: uuid::Uuid, id: uuid::Uuid, row: uuid::Uuid) -> Result<(), LedgerError> {
//! let change = Change::new(id, "problem", row, Op::Set, vec![("status".into(), Value::from("resolved"))], vec![]);
//! ledger.append(conn, gate, author, vec![change], 1_700_000_000_000)?;
//! # Ok(()) }
//! ```

pub mod commit;
pub mod device;
pub mod encoding;
pub mod history;
pub mod hlc;
pub mod project;
pub mod rebuild;
pub mod schema;
pub mod value;
pub mod verify;

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

pub use commit::{Change, Commit, CommitBody, Op};
pub use device::DeviceKey;
pub use schema::Catalogue;
pub use value::Value;

use crate::vault::db::Gate;
use project::Origin;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("commit from device {device} has seq {got}, expected {expected}; fetch the missing commits first")]
    OutOfOrder {
        device: String,
        expected: u64,
        got: u64,
    },
    #[error(
        "commit from device {0} does not continue that device's chain (previous hash differs)"
    )]
    BrokenChain(String),
    #[error("commit signature is not valid; the commit was altered or is not from that device")]
    BadSignature,
    #[error("commit depends on change {0}, which this workstation does not have yet; sync again")]
    MissingDependency(Uuid),
    #[error(transparent)]
    Decode(#[from] encoding::DecodeError),
    #[error("this workstation has no signing identity; the practice was not initialised properly")]
    NoIdentity,
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl LedgerError {
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Invalid(_) => "invalid_input",
            LedgerError::NotFound(_) => "not_found",
            LedgerError::OutOfOrder { .. } => "ledger_out_of_order",
            LedgerError::BrokenChain(_) => "ledger_broken_chain",
            LedgerError::BadSignature => "ledger_bad_signature",
            LedgerError::MissingDependency(_) => "ledger_missing_dependency",
            LedgerError::Decode(_) => "ledger_damaged",
            LedgerError::NoIdentity => "no_device_identity",
            LedgerError::Storage(_) => "storage_error",
        }
    }
}

/// What `apply` did with a peer's commit.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    New,
    AlreadyHad,
}

/// This workstation's writer: its signing key and the end of its own chain.
#[derive(Debug)]
pub struct Ledger {
    catalogue: &'static Catalogue,
    key: DeviceKey,
    seq: u64,
    prev: [u8; 32],
    /// The greatest HLC seen in any commit, local or remote.
    hlc_seen: u64,
}

/// Runs `f` inside one transaction with the projection gate open; the gate closes and the
/// transaction rolls back on any error, so nothing is half-written.
pub fn with_write<T>(
    conn: &mut Connection,
    gate: &Gate,
    f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    let tx = conn.transaction()?;
    gate.open();
    let out = f(&tx);
    gate.close();
    let out = out?;
    tx.commit()?;
    Ok(out)
}

impl Ledger {
    /// Creates this workstation's signing identity at `init`.
    pub fn create_identity(
        conn: &mut Connection,
        gate: &Gate,
        seed: [u8; 32],
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        let key = DeviceKey::from_seed(seed).map_err(|_| LedgerError::NoIdentity)?;
        with_write(conn, gate, |tx| {
            tx.execute(
                "INSERT INTO device_identity (id, seed, device, created_at) VALUES (1, ?1, ?2, ?3)",
                params![key.seed().as_slice(), key.id().as_slice(), now_ms],
            )?;
            Ok(())
        })
    }

    pub fn load(conn: &Connection, catalogue: &'static Catalogue) -> Result<Ledger, LedgerError> {
        let seed: Vec<u8> = conn
            .query_row("SELECT seed FROM device_identity WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(LedgerError::NoIdentity)?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| LedgerError::NoIdentity)?;
        let key = DeviceKey::from_seed(seed).map_err(|_| LedgerError::NoIdentity)?;
        let (seq, prev) = conn
            .query_row(
                "SELECT seq, hash FROM ledger_head WHERE device = ?1",
                [key.id().as_slice()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        let hlc_seen: i64 =
            conn.query_row("SELECT coalesce(max(hlc), 0) FROM ledger_commit", [], |r| {
                r.get(0)
            })?;
        Ok(Ledger {
            catalogue,
            key,
            seq,
            prev: prev.try_into().map_err(|_| LedgerError::NoIdentity)?,
            hlc_seen: hlc_seen as u64,
        })
    }

    pub fn device(&self) -> [u8; 32] {
        self.key.id()
    }

    pub fn device_hex(&self) -> String {
        hex::encode(self.key.id())
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }

    /// Signs `changes` as one commit by `author` and writes it with its projections.
    pub fn append(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        author: Uuid,
        changes: Vec<Change>,
        now_ms: i64,
    ) -> Result<Commit, LedgerError> {
        if changes.is_empty() {
            return Err(LedgerError::Invalid("nothing to save".into()));
        }
        let body = CommitBody {
            device_key: self.key.public_key(),
            seq: self.seq + 1,
            hlc: hlc::next(self.hlc_seen, now_ms),
            author,
            prev: self.prev,
            changes,
        };
        let encoded = encoding::encode(&body);
        let signature = self.key.sign(&encoded);
        let commit = Commit {
            body,
            encoded,
            signature,
        };
        let cat = self.catalogue;
        with_write(conn, gate, |tx| store(tx, cat, &commit))?;
        self.seq = commit.body.seq;
        self.prev = commit.hash();
        self.hlc_seen = commit.body.hlc;
        Ok(commit)
    }

    /// Applies a commit made on another workstation (or relayed by one). Idempotent.
    pub fn apply(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        encoded: &[u8],
        signature: [u8; 64],
    ) -> Result<Applied, LedgerError> {
        let body = encoding::decode(encoded)?;
        let commit = Commit {
            body,
            encoded: encoded.to_vec(),
            signature,
        };
        if !commit.signature_valid() {
            return Err(LedgerError::BadSignature);
        }
        let hash = commit.hash();
        let have: bool = conn
            .query_row(
                "SELECT count(*) FROM ledger_commit WHERE hash = ?1",
                [hash.as_slice()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if have {
            return Ok(Applied::AlreadyHad);
        }
        let device = commit.device();
        let (seq, prev) = conn
            .query_row(
                "SELECT seq, hash FROM ledger_head WHERE device = ?1",
                [device.as_slice()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        if commit.body.seq != seq + 1 {
            return Err(LedgerError::OutOfOrder {
                device: hex::encode(&device[..8]),
                expected: seq + 1,
                got: commit.body.seq,
            });
        }
        if commit.body.prev.as_slice() != prev.as_slice() {
            return Err(LedgerError::BrokenChain(hex::encode(&device[..8])));
        }
        let cat = self.catalogue;
        with_write(conn, gate, |tx| store(tx, cat, &commit))?;
        self.hlc_seen = self.hlc_seen.max(commit.body.hlc);
        Ok(Applied::New)
    }
}

/// Checks and writes one commit: the ledger rows, the device head and the projections.
/// The caller's transaction makes it all-or-nothing.
fn store(tx: &Connection, cat: &Catalogue, commit: &Commit) -> Result<(), LedgerError> {
    let hash = commit.hash();
    let device = commit.device();
    let b = &commit.body;
    tx.prepare_cached(
        "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        hash.as_slice(),
        device.as_slice(),
        b.seq as i64,
        b.hlc as i64,
        b.author.to_string(),
        commit.encoded,
        commit.signature.as_slice()
    ])?;
    let ord = tx.last_insert_rowid();
    tx.prepare_cached(
        "INSERT INTO ledger_head (device, public_key, seq, hash) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![
        device.as_slice(),
        b.device_key.as_slice(),
        b.seq as i64,
        hash.as_slice()
    ])?;
    let origin = Origin {
        hlc: b.hlc,
        device,
        author: b.author,
    };
    for (i, c) in b.changes.iter().enumerate() {
        for base in &c.base {
            let known: bool = tx
                .prepare_cached("SELECT count(*) FROM ledger_change WHERE id = ?1")?
                .query_row([base.to_string()], |r| r.get::<_, i64>(0))
                .map(|n| n > 0)?;
            if !known {
                return Err(LedgerError::MissingDependency(*base));
            }
        }
        let def = project::check(tx, cat, c)?;
        tx.prepare_cached(
            "INSERT INTO ledger_change (id, commit_ord, idx, entity, row, op) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            c.id.to_string(),
            ord,
            i as i64,
            c.entity,
            c.row.to_string(),
            c.op.name()
        ])?;
        project::apply_change(tx, cat, def, c, &origin)?;
    }
    Ok(())
}

/// The current version of a row: the changes an edit made now would be based on.
pub fn row_version(
    conn: &Connection,
    def: &schema::EntityDef,
    row: &Uuid,
) -> Result<Vec<Uuid>, LedgerError> {
    let mut out: Vec<Uuid> = Vec::new();
    let created: Option<String> = conn
        .prepare_cached(&format!(
            "SELECT created_change FROM \"{}\" WHERE id = ?1",
            def.table
        ))?
        .query_row([row.to_string()], |r| r.get(0))
        .optional()?;
    let Some(created) = created else {
        return Err(LedgerError::NotFound(format!("{} {}", def.name, row)));
    };
    out.push(Uuid::parse_str(&created).map_err(|e| LedgerError::Invalid(e.to_string()))?);
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT change FROM ledger_field_head WHERE row = ?1")?;
    let heads = stmt.query_map([row.to_string()], |r| r.get::<_, String>(0))?;
    for h in heads {
        if let Ok(u) = Uuid::parse_str(&h?) {
            out.push(u);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A stored commit as it travels between workstations: the signed bytes and the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub encoded: Vec<u8>,
    pub signature: [u8; 64],
}

/// For every device this workstation holds commits of: the highest seq held (commits are
/// stored gapless per device, so that is "everything up to seq").
pub fn version_vector(
    conn: &Connection,
) -> Result<std::collections::BTreeMap<[u8; 32], u64>, LedgerError> {
    let mut stmt = conn.prepare_cached("SELECT device, seq FROM ledger_head")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        let (d, s) = r?;
        if let Ok(d) = <[u8; 32]>::try_from(d.as_slice()) {
            out.insert(d, s as u64);
        }
    }
    Ok(out)
}

/// The commits a peer with version vector `have` lacks, in the order this workstation
/// applied them (which respects every commit's dependencies).
pub fn missing_for(
    conn: &Connection,
    have: &std::collections::BTreeMap<[u8; 32], u64>,
) -> Result<Vec<Signed>, LedgerError> {
    let mut stmt =
        conn.prepare_cached("SELECT device, seq, body, signature FROM ledger_commit ORDER BY ord")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let device: Vec<u8> = r.get(0)?;
        let seq = r.get::<_, i64>(1)? as u64;
        let known = <[u8; 32]>::try_from(device.as_slice())
            .ok()
            .and_then(|d| have.get(&d).copied())
            .unwrap_or(0);
        if seq > known {
            let sig: Vec<u8> = r.get(3)?;
            out.push(Signed {
                encoded: r.get(2)?,
                signature: sig.try_into().map_err(|_| LedgerError::BadSignature)?,
            });
        }
    }
    Ok(out)
}
