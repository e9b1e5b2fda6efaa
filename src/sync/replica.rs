//! What a sync connection needs of an open practice.
//!
//! The CLI holds one practice; the desktop app holds a host whose practice may be locked
//! or closed at any moment. Both give the sync code a [`PracticeAccess`], and the
//! [`Replica`] over it runs each step as one short call under their lock, so the UI is
//! never held up for longer than one batch takes to apply.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rusqlite::params;
use uuid::Uuid;

use super::identity::{self, Roster, TlsIdentity};
use super::message::Vector;
use super::state::Rejected;
use super::SyncError;
use crate::ledger::{self, Applied, Signed};
use crate::practice::Practice;

/// Runs a closure on the open practice, if one is open.
pub trait PracticeAccess: Send + Sync + 'static {
    /// `false` when no practice is open (locked, or not created yet).
    fn with_practice(&self, f: &mut dyn FnMut(&mut Practice)) -> bool;
}

impl PracticeAccess for Mutex<Practice> {
    fn with_practice(&self, f: &mut dyn FnMut(&mut Practice)) -> bool {
        let mut p = self.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut p);
        true
    }
}

/// This workstation as a sync peer sees it, with its TLS settings (kept for the process,
/// so sessions resume) and the roster they check peers against.
#[derive(Clone)]
pub struct Local {
    pub practice: Uuid,
    pub device: [u8; 32],
    pub name: String,
    pub identity: Arc<TlsIdentity>,
    pub roster: Roster,
    pub client: Arc<rustls::ClientConfig>,
    pub server: Arc<rustls::ServerConfig>,
}

/// What applying one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub new: usize,
    pub already: usize,
    pub quarantined: usize,
    pub refused: usize,
}

/// Where a peer's missing commits continue from: the next `ord` to read.
pub type Cursor = i64;

#[derive(Clone)]
pub struct Replica {
    access: Arc<dyn PracticeAccess>,
}

impl Replica {
    pub fn new(access: Arc<dyn PracticeAccess>) -> Replica {
        Replica { access }
    }

    /// Runs `f` on the open practice.
    pub fn run<T>(
        &self,
        f: impl FnOnce(&mut Practice) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let mut f = Some(f);
        let mut out = None;
        let open = self.access.with_practice(&mut |p| {
            if let Some(f) = f.take() {
                out = Some(f(p));
            }
        });
        match (open, out) {
            (true, Some(r)) => r,
            _ => Err(SyncError::NotOpen),
        }
    }

    pub fn local(&self) -> Result<Local, SyncError> {
        let roster = Roster::default();
        roster.set(self.roster()?);
        self.run(|p| {
            let identity = Arc::new(p.tls_identity()?);
            Ok(Local {
                practice: p.practice_id(),
                device: p.device_id(),
                // The name its membership record gives it, as the other side shows it.
                name: p
                    .members()?
                    .into_iter()
                    .find(|m| m.device == hex::encode(p.device_id()) && !m.name.is_empty())
                    .map(|m| m.name)
                    .unwrap_or_else(|| p.workstation()),
                client: Arc::new(identity::client_config(&identity, roster.clone())?),
                server: Arc::new(identity::server_config(&identity, roster.clone())?),
                identity,
                roster,
            })
        })
    }

    /// Reads the roster afresh (before every connection: a removal counts at once).
    pub fn refresh(&self, local: &Local) -> Result<(), SyncError> {
        local.roster.set(self.roster()?);
        Ok(())
    }

    /// The devices to accept right now: members not removed, and workstations paired
    /// with here that the ledger does not (yet) list as removed.
    pub fn roster(&self) -> Result<HashSet<[u8; 32]>, SyncError> {
        self.run(|p| {
            let mut ok = HashSet::new();
            let mut removed = HashSet::new();
            for m in p.members()? {
                let Ok(d) = <[u8; 32]>::try_from(hex::decode(&m.device).unwrap_or_default()) else {
                    continue;
                };
                if m.removed {
                    removed.insert(d);
                } else {
                    ok.insert(d);
                }
            }
            for peer in p.sync_state().peers()? {
                if peer.paired_at.is_some() && !removed.contains(&peer.device) {
                    ok.insert(peer.device);
                }
            }
            // A device removed by one administrator and re-added by another stays out:
            // removal wins, as it does for a lost laptop.
            for d in &removed {
                ok.remove(d);
            }
            ok.remove(&p.device_id());
            Ok(ok)
        })
    }

    /// What this workstation holds: commits, and access log entries, per device.
    pub fn vectors(&self) -> Result<(Vector, Vector), SyncError> {
        self.run(|p| Ok((p.version_vector()?, p.access_log_vector()?)))
    }

    /// Up to `limit` access log entries of `device` after `after`, encoded, with their seq.
    pub fn log_page(
        &self,
        device: &[u8; 32],
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, SyncError> {
        self.run(|p| {
            Ok(p.access_entries_after(device, after, limit)?
                .into_iter()
                .map(|e| (e.seq, e.to_bytes()))
                .collect())
        })
    }

    /// Keeps a peer's access log entries as read-only copies; each is checked against its
    /// device's key and chain, and one refused (an unknown device, a gap) is asked for again
    /// next time. Returns how many were new.
    pub fn apply_log(&self, entries: &[Vec<u8>]) -> Result<usize, SyncError> {
        let mut decoded = Vec::with_capacity(entries.len());
        for e in entries {
            decoded.push(
                crate::access::replica::LogEntry::from_bytes(e)
                    .map_err(|e| SyncError::Malformed(e.to_string()))?,
            );
        }
        self.run(|p| {
            let mut new = 0;
            for r in p.apply_access_copies(&decoded)? {
                match r {
                    Ok(true) => new += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::info!(code = e.code(), "an access log entry was not kept: {e}")
                    }
                }
            }
            Ok(new)
        })
    }

    /// Where the commits a peer holding `have` lacks start: `None` when it lacks nothing.
    pub fn first_missing(&self, have: &Vector) -> Result<Option<Cursor>, SyncError> {
        self.run(|p| {
            let conn = p.reader();
            let mut first: Option<i64> = None;
            let mut stmt = conn
                .prepare_cached("SELECT ord FROM ledger_commit WHERE device = ?1 AND seq = ?2")?;
            for (device, held) in p.version_vector()? {
                let known = have.get(&device).copied().unwrap_or(0);
                if held <= known {
                    continue;
                }
                let ord: Option<i64> = stmt
                    .query_row(params![device.as_slice(), (known + 1) as i64], |r| r.get(0))
                    .ok();
                if let Some(o) = ord {
                    first = Some(first.map_or(o, |f| f.min(o)));
                }
            }
            Ok(first)
        })
    }

    /// The next commits a peer holding `have` lacks, from `cursor` on in the order this
    /// workstation applied them (which respects every dependency), up to about
    /// `max_bytes`. Returns them and the cursor to continue from (`None`: done).
    pub fn missing_page(
        &self,
        have: &Vector,
        cursor: Cursor,
        max_bytes: usize,
    ) -> Result<(Vec<Signed>, Option<Cursor>), SyncError> {
        self.run(|p| {
            let conn = p.reader();
            let mut stmt = conn.prepare_cached(
                "SELECT ord, device, seq, body, signature FROM ledger_commit WHERE ord >= ?1 ORDER BY ord LIMIT 512",
            )?;
            let mut out = Vec::new();
            let mut bytes = 0usize;
            let mut next = cursor;
            loop {
                let mut rows = stmt.query([next])?;
                let mut any = false;
                while let Some(r) = rows.next()? {
                    any = true;
                    let ord: i64 = r.get(0)?;
                    next = ord + 1;
                    let device: Vec<u8> = r.get(1)?;
                    let seq = r.get::<_, i64>(2)? as u64;
                    let known = <[u8; 32]>::try_from(device.as_slice())
                        .ok()
                        .and_then(|d| have.get(&d).copied())
                        .unwrap_or(0);
                    if seq <= known {
                        continue;
                    }
                    let encoded: Vec<u8> = r.get(3)?;
                    let sig: Vec<u8> = r.get(4)?;
                    bytes += encoded.len() + 64;
                    out.push(Signed {
                        encoded,
                        signature: sig.try_into().map_err(|_| ledger::LedgerError::BadSignature)?,
                    });
                    if bytes >= max_bytes {
                        return Ok((out, Some(next)));
                    }
                }
                if !any {
                    return Ok((out, None));
                }
            }
        })
    }

    /// Applies a peer's batch in one transaction of whole commits; refused commits are
    /// recorded (a hole is reported, never hidden) and the rest go on.
    pub fn apply(&self, peer: &[u8; 32], batch: &[Signed]) -> Result<Outcome, SyncError> {
        self.apply_checked(peer, ledger::Checked::new(batch.to_vec()))
    }

    /// [`Replica::apply`] for a batch already decoded and its signatures checked, as the
    /// exchange does on another core while the previous batch is written.
    pub fn apply_checked(
        &self,
        peer: &[u8; 32],
        checked: ledger::Checked,
    ) -> Result<Outcome, SyncError> {
        let origins = checked.origins();
        self.run(|p| {
            let results = p.apply_checked(checked)?;
            let now = p.clock.now_ms();
            let mut o = Outcome::default();
            for (origin, r) in origins.iter().zip(results) {
                match r {
                    Ok(Applied::New) => o.new += 1,
                    Ok(Applied::AlreadyHad) => o.already += 1,
                    Ok(Applied::Quarantined(_)) => o.quarantined += 1,
                    Err(e) => {
                        o.refused += 1;
                        let (device, seq) = origin.unwrap_or(([0; 32], 0));
                        tracing::warn!(
                            code = e.code(),
                            device = %hex::encode(&device[..8]),
                            seq,
                            "refused a commit from a peer"
                        );
                        p.sync_state().reject(&Rejected {
                            at: now,
                            peer: *peer,
                            device,
                            seq,
                            code: e.code().to_string(),
                            message: e.to_string(),
                        })?;
                    }
                }
            }
            Ok(o)
        })
    }
}
