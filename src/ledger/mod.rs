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

pub mod anchor;
pub mod commit;
pub mod device;
pub mod digest;
pub mod encoding;
pub mod history;
pub mod hlc;
pub mod member;
pub mod project;
pub mod quarantine;
pub mod rebuild;
pub mod schema;
pub mod signature;
pub mod unique;
pub mod value;
pub mod verify;

use std::fmt::Write as _;

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

pub use commit::{Change, Commit, CommitBody, Op};
pub use device::DeviceKey;
pub use schema::Catalogue;
pub use value::Value;

use crate::vault::db::Gate;
use project::Origin;

/// How far ahead of this workstation's clock a peer's commit may be dated. A commit dated
/// further ahead is refused: its clock would otherwise drag every later local timestamp
/// into the future.
pub const MAX_CLOCK_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;

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
    #[error("device {device} has two different commits at seq {seq} (this workstation holds {ours}, the peer sent {theirs}): its history was rewritten or its key copied; stop syncing with it and tell the administrator")]
    Fork {
        device: String,
        seq: u64,
        ours: String,
        theirs: String,
    },
    #[error("commit signature is not valid; the commit was altered or is not from that device")]
    BadSignature,
    #[error("commit depends on change {0}, which this workstation does not have yet; fetch it (sync again) first")]
    MissingDependency(Uuid),
    #[error("commit belongs to practice {got}, not this practice ({expected}); it cannot be applied here")]
    WrongPractice { expected: Uuid, got: String },
    #[error("device {0} is not a member of this practice; an administrator must add it before its changes are accepted")]
    NotMember(String),
    #[error("user {0} is not an administrator, and only an administrator can add or remove a workstation")]
    NotAdministrator(Uuid),
    #[error("commit from device {device} is dated {ahead_ms} ms ahead of this workstation's clock (more than a day); check the clocks of both workstations")]
    ClockAhead { device: String, ahead_ms: i64 },
    #[error(transparent)]
    Encode(#[from] encoding::EncodeError),
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
            LedgerError::Invalid(_) | LedgerError::Encode(_) => "invalid_input",
            LedgerError::NotFound(_) => "not_found",
            LedgerError::OutOfOrder { .. } => "ledger_out_of_order",
            LedgerError::BrokenChain(_) => "ledger_broken_chain",
            LedgerError::Fork { .. } => "ledger_fork",
            LedgerError::BadSignature => "ledger_bad_signature",
            LedgerError::MissingDependency(_) => "ledger_missing_dependency",
            LedgerError::WrongPractice { .. } => "ledger_wrong_practice",
            LedgerError::NotMember(_) => "ledger_not_member",
            LedgerError::NotAdministrator(_) => "ledger_not_administrator",
            LedgerError::ClockAhead { .. } => "ledger_clock_ahead",
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
    /// Checked and kept in quarantine until this binary can project it (the reason).
    Quarantined(String),
}

/// This workstation's writer: its signing key and the end of its own chain.
#[derive(Debug)]
pub struct Ledger {
    catalogue: &'static Catalogue,
    key: DeviceKey,
    /// The practice every commit is bound to (`practice_meta.practice_id`).
    practice: Uuid,
    seq: u64,
    prev: [u8; 32],
    /// The greatest HLC seen in any commit, local or remote.
    hlc_seen: u64,
    /// The greatest Lamport counter seen in any commit, local or remote.
    lamport_seen: u64,
}

/// Runs `f` inside one transaction with the projection gate open; the gate closes and the
/// transaction rolls back on any error, so nothing is half-written. Inside a transaction the
/// caller holds (an import's batch, `Practice::batch`) it writes into that transaction, and
/// on error the caller must roll the transaction back.
pub fn with_write<T>(
    conn: &mut Connection,
    gate: &Gate,
    f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    if !conn.is_autocommit() {
        // No savepoint: SQLite's cost of one grows with the transaction, and a batch holds
        // many commits. A failure here leaves the caller's transaction holding part of this
        // commit; the caller rolls it back (see `Practice::commit`).
        let open = gate.open();
        let out = f(conn);
        drop(open);
        return out;
    }
    let tx = conn.transaction()?;
    let open = gate.open();
    let out = f(&tx);
    drop(open);
    let out = out?;
    tx.commit()?;
    Ok(out)
}

/// How [`Ledger::apply_in`] undoes a commit that fails halfway through its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Care {
    /// In a savepoint of its own, so the commit can still go to quarantine.
    Savepoint,
    /// Not at all: the caller rolls back the whole transaction on any error.
    Whole,
}

/// What applying one commit changed of a device's chain, for the in-memory state once the
/// transaction is durable.
#[derive(Debug, Clone, Copy)]
struct Landed {
    device: [u8; 32],
    seq: u64,
    hash: [u8; 32],
    hlc: u64,
    lamport: u64,
}

impl Ledger {
    /// Records a signing identity of this workstation (at init, join, or when a restored
    /// backup becomes a new workstation). The seed itself is kept outside the database
    /// (`vault::device_key`); the database keeps which device it is.
    pub fn record_identity(
        conn: &mut Connection,
        gate: &Gate,
        device: [u8; 32],
        origin: &str,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        with_write(conn, gate, |tx| {
            tx.execute(
                "INSERT INTO workstation_identity (device, created_at, origin) VALUES (?1, ?2, ?3)",
                params![device.as_slice(), now_ms, origin],
            )?;
            Ok(())
        })
    }

    /// The device this database was last given as its identity.
    pub fn identity(conn: &Connection) -> Result<Option<[u8; 32]>, LedgerError> {
        let device: Option<Vec<u8>> = conn
            .query_row(
                "SELECT device FROM workstation_identity ORDER BY ord DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(device.and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok()))
    }

    /// This workstation's writer, signing with `key`, which must be the identity the
    /// database records.
    pub fn load(
        conn: &Connection,
        catalogue: &'static Catalogue,
        key: DeviceKey,
    ) -> Result<Ledger, LedgerError> {
        if Self::identity(conn)? != Some(key.id()) {
            return Err(LedgerError::NoIdentity);
        }
        let practice: String = conn
            .query_row(
                "SELECT value FROM practice_meta WHERE key = 'practice_id'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(LedgerError::NoIdentity)?;
        let practice = Uuid::parse_str(&practice).map_err(|_| LedgerError::NoIdentity)?;
        let (seq, prev) = conn
            .query_row(
                "SELECT seq, hash FROM ledger_head WHERE device = ?1",
                [key.id().as_slice()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        let (hlc_seen, lamport_seen): (i64, i64) = conn.query_row(
            "SELECT coalesce(max(hlc), 0), coalesce(max(lamport), 0) FROM ledger_commit",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Ledger {
            catalogue,
            key,
            practice,
            seq,
            prev: prev.try_into().map_err(|_| LedgerError::NoIdentity)?,
            hlc_seen: hlc_seen as u64,
            lamport_seen: lamport_seen as u64,
        })
    }

    /// This workstation's signing key, for what else it signs (access-log entries).
    pub(crate) fn key(&self) -> &DeviceKey {
        &self.key
    }

    pub fn device(&self) -> [u8; 32] {
        self.key.id()
    }

    pub fn device_hex(&self) -> String {
        hex::encode(self.key.id())
    }

    /// This workstation's public key: what an administrator adds to make it a member.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.public_key()
    }

    pub fn practice(&self) -> Uuid {
        self.practice
    }

    /// The last seq of this workstation's own chain, as the next append continues it.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }

    /// Signs `changes` as one commit by `author` and writes it with its projections.
    ///
    /// Each change gets its dependencies (the creating changes of the rows it needs) before
    /// signing. The signed bytes are decoded back and compared with what was meant, so a
    /// body that would not round-trip (a NaN, fields out of order) is refused here rather
    /// than signed and then refused by every peer.
    pub fn append(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        author: Uuid,
        mut changes: Vec<Change>,
        now_ms: i64,
    ) -> Result<Commit, LedgerError> {
        if changes.is_empty() {
            return Err(LedgerError::Invalid("nothing to save".into()));
        }
        self.catch_up(conn)?;
        add_dependencies(conn, self.catalogue, &mut changes)?;
        let body = CommitBody {
            layout: encoding::LAYOUT,
            practice: self.practice,
            schema: self.catalogue.schema_version,
            device_key: self.key.public_key(),
            seq: self.seq + 1,
            hlc: hlc::next(self.hlc_seen, now_ms),
            lamport: self.lamport_seen + 1,
            author,
            prev: self.prev,
            changes,
        };
        let encoded = encoding::encode(&body)?;
        if encoding::decode(&encoded).as_ref() != Ok(&body) {
            return Err(LedgerError::Invalid(
                "these changes do not survive encoding unchanged (a field name or value the ledger cannot hold exactly); nothing was saved".into(),
            ));
        }
        let signature = self.key.sign(&encoded);
        let commit = Commit {
            body,
            encoded,
            signature,
        };
        let cat = self.catalogue;
        with_write(conn, gate, |tx| {
            if !member::admits(tx, &commit.body)? {
                return Err(LedgerError::NotMember(hex::encode(&commit.device()[..8])));
            }
            store(tx, cat, &commit)
        })?;
        self.landed(Landed {
            device: commit.device(),
            seq: commit.body.seq,
            hash: commit.hash(),
            hlc: commit.body.hlc,
            lamport: commit.body.lamport,
        });
        Ok(commit)
    }

    /// Applies a commit made on another workstation (or relayed by one, or one of this
    /// workstation's own coming back). Idempotent. `now_ms` is this workstation's clock,
    /// against which a commit dated too far ahead is refused.
    pub fn apply(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        encoded: &[u8],
        signature: [u8; 64],
        now_ms: i64,
    ) -> Result<Applied, LedgerError> {
        let commit = decoded(encoded.to_vec(), signature)?;
        let signed = commit.signature_valid();
        let (applied, landed) = with_write(conn, gate, |tx| {
            self.apply_in(tx, &commit, signed, now_ms, Care::Savepoint)
        })?;
        if let Some(l) = landed {
            self.landed(l);
        }
        Ok(applied)
    }

    /// Applies a batch of peers' commits in one transaction (one fsync). Each commit still
    /// applies whole or not at all: it runs in its own savepoint, and one that fails is
    /// rolled back alone and reported in its place while the others stay. The outer error
    /// is for the batch's transaction itself.
    ///
    /// A savepoint copies every page a commit touches into a sub-journal first, which was a
    /// fifth of the time a new workstation spent receiving the practice. So the batch is
    /// first tried whole with no savepoints, which is all-or-nothing anyway; only a batch
    /// in which some commit fails (or must wait in quarantine for a change it names) is
    /// rolled back and applied again commit by commit, as above.
    pub fn apply_batch(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        commits: &[Signed],
        now_ms: i64,
    ) -> Result<Vec<Result<Applied, LedgerError>>, LedgerError> {
        self.apply_checked(conn, gate, Checked::new(commits.to_vec()), now_ms)
    }

    /// [`Ledger::apply_batch`] for a batch already decoded and its signatures checked.
    pub fn apply_checked(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        checked: Checked,
        now_ms: i64,
    ) -> Result<Vec<Result<Applied, LedgerError>>, LedgerError> {
        let (decoded, signed): (Vec<_>, Vec<_>) = checked.items.into_iter().unzip();
        let whole = with_write(conn, gate, |tx| {
            // The first error ends the try; returning it rolls the transaction back.
            decoded
                .iter()
                .zip(&signed)
                .map(|(c, &ok)| match c {
                    Ok(c) => self.apply_in(tx, c, ok, now_ms, Care::Whole),
                    Err(e) => Err(LedgerError::Invalid(e.to_string())),
                })
                .collect::<Result<Vec<_>, _>>()
        });
        // Otherwise which commit failed, and why, the careful pass below finds out and
        // reports; a transaction that could not commit at all (a full disk) fails there too.
        if let Ok(done) = whole {
            let mut results = Vec::with_capacity(done.len());
            for (applied, l) in done {
                if let Some(l) = l {
                    self.landed(l);
                }
                results.push(Ok(applied));
            }
            return Ok(results);
        }
        let mut landed = Vec::new();
        let results = with_write(conn, gate, |tx| {
            let mut out = Vec::with_capacity(decoded.len());
            for (c, ok) in decoded.into_iter().zip(signed) {
                let c = match c {
                    Ok(c) => c,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                };
                tx.execute_batch("SAVEPOINT ledger_apply")?;
                match self.apply_in(tx, &c, ok, now_ms, Care::Savepoint) {
                    Ok((applied, l)) => {
                        tx.execute_batch("RELEASE ledger_apply")?;
                        landed.extend(l);
                        out.push(Ok(applied));
                    }
                    Err(e) => {
                        tx.execute_batch("ROLLBACK TO ledger_apply; RELEASE ledger_apply")?;
                        out.push(Err(e));
                    }
                }
            }
            Ok(out)
        })?;
        for l in landed {
            self.landed(l);
        }
        Ok(results)
    }

    /// Retries every quarantined commit, in order, after an upgrade (or once the commit it
    /// waited for arrived). Returns how many applied.
    pub fn retry_quarantined(
        &mut self,
        conn: &mut Connection,
        gate: &Gate,
        now_ms: i64,
    ) -> Result<usize, LedgerError> {
        let mut applied = 0;
        loop {
            let mut progress = false;
            // A device whose commit stays in quarantine keeps its later ones there too, so
            // they are not even tried in this pass.
            let mut stuck: std::collections::HashSet<[u8; 32]> = Default::default();
            for quarantine::Pending {
                hash,
                body,
                signature,
            } in quarantine::pending(conn)?
            {
                let commit = decoded(body, signature)?;
                let device = commit.device();
                if stuck.contains(&device)
                    || quarantine::needs_newer_binary(self.catalogue, &commit.body).is_some()
                {
                    stuck.insert(device);
                    continue;
                }
                let tx = conn.transaction()?;
                let open = gate.open();
                let out = quarantine::release(&tx, &hash).and_then(|()| {
                    let signed = commit.signature_valid();
                    self.apply_in(&tx, &commit, signed, now_ms, Care::Savepoint)
                });
                drop(open);
                match out {
                    Ok((Applied::New, landed)) => {
                        tx.commit()?;
                        if let Some(l) = landed {
                            self.landed(l);
                        }
                        applied += 1;
                        progress = true;
                    }
                    // Still waiting (or refused now): it stays where it was.
                    _ => {
                        tx.rollback()?;
                        stuck.insert(device);
                    }
                }
            }
            if !progress {
                return Ok(applied);
            }
        }
    }

    /// Keeps the in-memory chain end and clocks in step with a commit made durable: an
    /// own commit coming back (from a peer or a backup) moves this device's chain on.
    /// Another process on this folder (a `chartkeep call` beside a running `sync run`) may
    /// have committed or applied since this writer last looked: continue from what the
    /// database holds, so this commit follows the chain instead of colliding with it.
    fn catch_up(&mut self, conn: &Connection) -> Result<(), LedgerError> {
        let device = self.key.id();
        let head: Option<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT seq, hash FROM ledger_head WHERE device = ?1")?
            .query_row([device.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((seq, hash)) = head else {
            return Ok(());
        };
        if seq as u64 <= self.seq {
            return Ok(());
        }
        let (hlc, lamport): (i64, i64) = conn
            .prepare_cached(
                "SELECT hlc, lamport FROM ledger_commit WHERE device = ?1 AND seq = ?2",
            )?
            .query_row(params![device.as_slice(), seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if let Ok(h) = <[u8; 32]>::try_from(hash.as_slice()) {
            self.landed(Landed {
                device,
                seq: seq as u64,
                hash: h,
                hlc: hlc as u64,
                lamport: lamport as u64,
            });
        }
        Ok(())
    }

    /// Forgets commits that did not become durable (a caller's batch rolled back): the
    /// next commit follows the head the database holds, so the chain has no gap.
    pub fn rewind(&mut self, conn: &Connection) -> Result<(), LedgerError> {
        let (seq, prev) = conn
            .query_row(
                "SELECT seq, hash FROM ledger_head WHERE device = ?1",
                [self.key.id().as_slice()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        self.seq = seq;
        self.prev = <[u8; 32]>::try_from(prev.as_slice()).unwrap_or([0; 32]);
        Ok(())
    }

    fn landed(&mut self, l: Landed) {
        if l.device == self.key.id() && l.seq > self.seq {
            self.seq = l.seq;
            self.prev = l.hash;
        }
        self.hlc_seen = self.hlc_seen.max(l.hlc);
        self.lamport_seen = self.lamport_seen.max(l.lamport);
    }

    /// Checks and applies (or quarantines) one commit inside the caller's transaction.
    /// `signed` says whether the caller found its signature valid (many are checked at
    /// once, before the transaction: see `signature.rs`).
    fn apply_in(
        &self,
        tx: &Connection,
        commit: &Commit,
        signed: bool,
        now_ms: i64,
        care: Care,
    ) -> Result<(Applied, Option<Landed>), LedgerError> {
        if !signed {
            return Err(LedgerError::BadSignature);
        }
        let hash = commit.hash();
        let have: bool = tx
            .prepare_cached("SELECT count(*) FROM ledger_commit WHERE hash = ?1")?
            .query_row([hash.as_slice()], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)?;
        if have {
            return Ok((Applied::AlreadyHad, None));
        }
        if let Some(reason) = quarantine::reason_of(tx, &hash)? {
            return Ok((Applied::Quarantined(reason), None));
        }
        let b = &commit.body;
        if b.layout < 2 || b.practice != self.practice {
            return Err(LedgerError::WrongPractice {
                expected: self.practice,
                got: if b.layout < 2 {
                    "none (an old commit layout that names no practice)".into()
                } else {
                    b.practice.to_string()
                },
            });
        }
        let device = commit.device();
        let short = hex::encode(&device[..8]);
        let ahead_ms = hlc::millis(b.hlc).saturating_sub(now_ms);
        if ahead_ms > MAX_CLOCK_AHEAD_MS {
            return Err(LedgerError::ClockAhead {
                device: short,
                ahead_ms,
            });
        }
        let (seq, prev) = tx
            .prepare_cached("SELECT seq, hash FROM ledger_head WHERE device = ?1")?
            .query_row([device.as_slice()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        if let Some(ours) = stored_hash_at(tx, &device, b.seq)? {
            // Another commit (not this one: its hash was looked up above) holds that seq.
            return Err(LedgerError::Fork {
                device: short,
                seq: b.seq,
                ours: hex::encode(ours),
                theirs: hex::encode(hash),
            });
        }
        let held = quarantine::last_before(tx, &device, b.seq)?;
        let (seq, prev) = match held {
            Some((s, h)) if s >= seq => (s, h.to_vec()),
            _ => (seq, prev),
        };
        if b.seq != seq + 1 {
            return Err(LedgerError::OutOfOrder {
                device: short,
                expected: seq + 1,
                got: b.seq,
            });
        }
        if b.prev.as_slice() != prev.as_slice() {
            if seq == 0 {
                return Err(LedgerError::BrokenChain(short));
            }
            // The commit continues another commit at seq - 1 than the one held here.
            return Err(LedgerError::Fork {
                device: short,
                seq,
                ours: hex::encode(&prev),
                theirs: hex::encode(b.prev),
            });
        }
        if !member::admits(tx, b)? {
            return Err(LedgerError::NotMember(short));
        }
        let cat = self.catalogue;
        let reason = match held {
            Some((s, _)) => Some(format!(
                "waits for this device's quarantined commit seq {s}"
            )),
            None => quarantine::needs_newer_binary(cat, b),
        };
        if let Some(reason) = reason {
            quarantine::hold(tx, commit, &reason)?;
            return Ok((Applied::Quarantined(reason), None));
        }
        let stored = match care {
            // In a savepoint of its own: a commit that turns out to wait in quarantine must
            // leave nothing of its half-done store behind.
            Care::Savepoint => {
                tx.execute_batch("SAVEPOINT ledger_store")?;
                let stored = store(tx, cat, commit);
                tx.execute_batch(if stored.is_ok() {
                    "RELEASE ledger_store"
                } else {
                    "ROLLBACK TO ledger_store; RELEASE ledger_store"
                })?;
                stored
            }
            // The caller rolls back everything on any error, so there is nothing to undo.
            Care::Whole => store(tx, cat, commit),
        };
        match stored {
            Ok(()) => {}
            Err(LedgerError::MissingDependency(id)) if care == Care::Savepoint => {
                // A change this commit needs may itself be waiting in quarantine: then this
                // commit waits too, instead of failing at every sync.
                let Some((d, s)) = quarantine::holding(tx, &id)? else {
                    return Err(LedgerError::MissingDependency(id));
                };
                let reason =
                    format!("depends on change {id}, in device {d}'s quarantined commit seq {s}");
                quarantine::hold(tx, commit, &reason)?;
                return Ok((Applied::Quarantined(reason), None));
            }
            Err(e) => return Err(e),
        }
        Ok((
            Applied::New,
            Some(Landed {
                device,
                seq: b.seq,
                hash,
                hlc: b.hlc,
                lamport: b.lamport,
            }),
        ))
    }
}

/// A peer's commit as received: its bytes decoded, not yet checked.
fn decoded(encoded: Vec<u8>, signature: [u8; 64]) -> Result<Commit, LedgerError> {
    Ok(Commit {
        body: encoding::decode(&encoded)?,
        encoded,
        signature,
    })
}

/// A peer's batch decoded and its signatures checked: the part of applying it that needs
/// no database and no ledger state, about a tenth of the time applying takes. A receiver
/// does it for the next batch on another core while the last one is written.
#[derive(Debug, Default)]
pub struct Checked {
    /// Each commit in the order received, decoded (or why not), and whether its signature
    /// is valid.
    items: Vec<(Result<Commit, LedgerError>, bool)>,
    /// The commits' encoded size.
    bytes: usize,
}

impl Checked {
    pub fn new(commits: Vec<Signed>) -> Checked {
        let bytes = commits.iter().map(|c| c.encoded.len()).sum();
        let decoded: Vec<Result<Commit, LedgerError>> = commits
            .into_iter()
            .map(|c| decoded(c.encoded, c.signature))
            .collect();
        // Every signature of the batch in one check (`signature.rs`).
        let items: Vec<signature::Item<'_>> = decoded
            .iter()
            .flatten()
            .map(Commit::signature_item)
            .collect();
        let mut valid = signature::each_valid(&items).into_iter();
        let signed: Vec<bool> = decoded
            .iter()
            .map(|c| c.is_ok() && valid.next().unwrap_or(false))
            .collect();
        drop(items);
        Checked {
            items: decoded.into_iter().zip(signed).collect(),
            bytes,
        }
    }

    /// The commits' encoded size, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Puts `later` after this batch's commits, to apply both in one transaction.
    pub fn append(&mut self, later: Checked) {
        self.items.extend(later.items);
        self.bytes += later.bytes;
    }

    /// The device and seq of each commit, in order, where it decoded: what a refusal is
    /// reported under.
    pub fn origins(&self) -> Vec<Option<([u8; 32], u64)>> {
        self.items
            .iter()
            .map(|(c, _)| c.as_ref().ok().map(|c| (c.device(), c.body.seq)))
            .collect()
    }
}

fn stored_hash_at(
    tx: &Connection,
    device: &[u8; 32],
    seq: u64,
) -> Result<Option<Vec<u8>>, LedgerError> {
    let applied: Option<Vec<u8>> = tx
        .prepare_cached("SELECT hash FROM ledger_commit WHERE device = ?1 AND seq = ?2")?
        .query_row(params![device.as_slice(), seq as i64], |r| r.get(0))
        .optional()?;
    if applied.is_some() {
        return Ok(applied);
    }
    Ok(tx
        .prepare_cached("SELECT hash FROM ledger_quarantine WHERE device = ?1 AND seq = ?2")?
        .query_row(params![device.as_slice(), seq as i64], |r| r.get(0))
        .optional()?)
}

/// The change that created `row`, if this workstation holds it.
fn creating_change(conn: &Connection, row: &str) -> Result<Option<Uuid>, LedgerError> {
    let id: Option<String> = conn
        .prepare_cached("SELECT id FROM ledger_change WHERE row = ?1 AND op = 'create' LIMIT 1")?
        .query_row([row], |r| r.get(0))
        .optional()?;
    Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// Fills in every change's dependencies: the creating change of the row it edits (unless
/// it creates it) and of every row its reference fields name. Rows created earlier in the
/// same commit need no dependency: the commit applies whole.
fn add_dependencies(
    conn: &Connection,
    cat: &Catalogue,
    changes: &mut [Change],
) -> Result<(), LedgerError> {
    let mut created_here: Vec<Uuid> = Vec::new();
    // A form's changes mostly name the same rows (seven observations, one patient): look
    // each up once.
    let mut known: std::collections::HashMap<String, Option<Uuid>> = Default::default();
    for c in changes.iter_mut() {
        let mut rows: Vec<String> = Vec::new();
        if c.op != Op::Create {
            rows.push(c.row.to_string());
        }
        if let Some(def) = cat.entity(&c.entity) {
            for (name, v) in c.fields.iter() {
                let is_ref = def
                    .field(name)
                    .is_some_and(|f| f.kind == schema::FieldKind::Ref);
                if let (true, Some(text)) = (is_ref, v.as_str()) {
                    rows.push(text.to_string());
                }
            }
        }
        for row in rows {
            if Uuid::parse_str(&row).is_ok_and(|r| created_here.contains(&r)) {
                continue;
            }
            let dep = match known.get(&row) {
                Some(d) => *d,
                None => {
                    let d = creating_change(conn, &row)?;
                    known.insert(row, d);
                    d
                }
            };
            if let Some(dep) = dep {
                c.deps.push(dep);
            }
        }
        // Only the dependencies are put in order: fields out of order are the caller's
        // mistake, which encoding refuses.
        c.deps.sort();
        c.deps.dedup();
        if c.op == Op::Create {
            created_here.push(c.row);
        }
    }
    Ok(())
}

/// Checks and writes one commit: the ledger rows, the device head and the projections.
/// The caller's transaction makes it all-or-nothing.
fn store(tx: &Connection, cat: &Catalogue, commit: &Commit) -> Result<(), LedgerError> {
    let hash = commit.hash();
    let device = commit.device();
    let b = &commit.body;
    tx.prepare_cached(
        "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature, lamport) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        hash.as_slice(),
        device.as_slice(),
        b.seq as i64,
        b.hlc as i64,
        b.author.to_string(),
        commit.encoded,
        commit.signature.as_slice(),
        b.lamport as i64
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
        lamport: b.lamport,
        device,
        author: b.author,
    };
    // A form's changes mostly depend on the same rows (seven observations, one patient):
    // look each dependency up once per commit.
    let mut found: Vec<Uuid> = Vec::new();
    // Creates alike (a form's results) waiting to be written in one statement; anything
    // else that reads the tables writes them first.
    let mut pending: Vec<&Change> = Vec::new();
    let mut pending_def: Option<&'static schema::EntityDef> = None;
    for (i, c) in b.changes.iter().enumerate() {
        for dep in c.deps.iter().chain(&c.base) {
            if found.contains(dep) || b.changes[..i].iter().any(|e| e.id == *dep) {
                continue;
            }
            let known: bool = tx
                .prepare_cached("SELECT count(*) FROM ledger_change WHERE id = ?1")?
                .query_row([dep.to_string()], |r| r.get::<_, i64>(0))
                .map(|n| n > 0)?;
            if !known {
                return Err(LedgerError::MissingDependency(*dep));
            }
            found.push(*dep);
        }
        let joins = c.op == Op::Create
            && pending
                .first()
                .is_some_and(|f| project::creates_alike(f, c));
        if !joins {
            if let Some(def) = pending_def.take() {
                project::create_all(tx, cat, def, &pending, &origin)?;
                pending.clear();
            }
        }
        if c.entity == member::DEVICE.name {
            // Membership is decided by the author's role as of this point of the ledger.
            let admin = match cat.member_admin {
                Some(check) => check(tx, &b.author)?,
                None => false,
            };
            if !admin {
                return Err(LedgerError::NotAdministrator(b.author));
            }
        }
        let def = project::check(tx, cat, c)?;
        if c.op == Op::Create {
            pending.push(c);
            pending_def = Some(def);
        } else {
            project::apply_change(tx, cat, def, c, &origin, true)?;
        }
    }
    if let Some(def) = pending_def {
        project::create_all(tx, cat, def, &pending, &origin)?;
    }
    index_changes(tx, ord, &b.changes)
}

/// At most this many changes go into one insert of `ledger_change`.
const CHANGES_PER_INSERT: usize = 64;

/// Records a commit's changes in `ledger_change`, many to a statement (as
/// [`project::create_all`] does for rows, and for the same reason).
fn index_changes(tx: &Connection, ord: i64, changes: &[Change]) -> Result<(), LedgerError> {
    for (g, group) in changes.chunks(CHANGES_PER_INSERT).enumerate() {
        let ids: Vec<(String, String)> = group
            .iter()
            .map(|c| {
                (
                    c.id.hyphenated().to_string(),
                    c.row.hyphenated().to_string(),
                )
            })
            .collect();
        let idx: Vec<(i64, &str)> = group
            .iter()
            .enumerate()
            .map(|(i, c)| ((g * CHANGES_PER_INSERT + i) as i64, c.op.name()))
            .collect();
        let mut sql = String::from(
            "INSERT INTO ledger_change (id, commit_ord, idx, entity, row, op) VALUES ",
        );
        let mut vals: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(6 * group.len());
        for (n, ((c, (id, row)), (i, op))) in group.iter().zip(&ids).zip(&idx).enumerate() {
            let k = 6 * n;
            // Writing into a String cannot fail.
            let _ = write!(
                sql,
                "{}(?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
                if n == 0 { "" } else { ", " },
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5,
                k + 6
            );
            vals.extend([id as &dyn rusqlite::ToSql, &ord, i, &c.entity, row, op]);
        }
        tx.prepare_cached(&sql)?.execute(vals.as_slice())?;
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

/// At most `limit` commits of `device` after `after_seq`, in seq order, read through the
/// `(device, seq)` index: a peer fetches a device's chain page by page.
pub fn commits_after(
    conn: &Connection,
    device: &[u8; 32],
    after_seq: u64,
    limit: usize,
) -> Result<Vec<Signed>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT body, signature FROM ledger_commit WHERE device = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![device.as_slice(), after_seq as i64, limit as i64],
        |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
    )?;
    let mut out = Vec::new();
    for r in rows {
        let (encoded, sig) = r?;
        out.push(Signed {
            encoded,
            signature: sig.try_into().map_err(|_| LedgerError::BadSignature)?,
        });
    }
    Ok(out)
}

/// The commits a peer with version vector `have` lacks, in the order this workstation
/// applied them (which respects every commit's dependencies). Only the missing ranges are
/// read, through the `(device, seq)` index.
pub fn missing_for(
    conn: &Connection,
    have: &std::collections::BTreeMap<[u8; 32], u64>,
) -> Result<Vec<Signed>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT ord, body, signature FROM ledger_commit WHERE device = ?1 AND seq > ?2",
    )?;
    let mut found: Vec<(i64, Signed)> = Vec::new();
    for (device, held) in version_vector(conn)? {
        let known = have.get(&device).copied().unwrap_or(0);
        if held <= known {
            continue;
        }
        let mut rows = stmt.query(params![device.as_slice(), known as i64])?;
        while let Some(r) = rows.next()? {
            let sig: Vec<u8> = r.get(2)?;
            found.push((
                r.get(0)?,
                Signed {
                    encoded: r.get(1)?,
                    signature: sig.try_into().map_err(|_| LedgerError::BadSignature)?,
                },
            ));
        }
    }
    found.sort_by_key(|(ord, _)| *ord);
    Ok(found.into_iter().map(|(_, s)| s).collect())
}
