//! Joining a practice from a member's pairing code, end to end: pairing, creating this
//! workstation's own practice folder, and the first sync. Shared by `chartkeep sync join`
//! and the desktop app's first-run screen (`app.join`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::frame::Limits;
use super::replica::Replica;
use super::{exchange, pairing, SyncError};
use crate::clock::{Clock, IdSource};
use crate::practice::Practice;
use crate::vault::keys::RecoveryCode;
use crate::vault::{self, KeyPlan};

pub struct Joined {
    pub practice: Practice,
    pub recovery: RecoveryCode,
    pub paired: pairing::Joined,
    /// Commits received in the first sync.
    pub received: u64,
    /// Why the first sync failed, if it did; the background sync retries it.
    pub sync_error: Option<String>,
}

fn remove_practice_files(dir: &Path) {
    for f in vault::db::PRACTICE_FILES
        .iter()
        .chain([vault::header::HEADER_FILE].iter())
    {
        let _ = std::fs::remove_file(dir.join(f));
    }
}

/// Pairs with the member at `address` using `code`, creates this workstation in `dir`
/// (which must hold no practice) and runs the first sync. Blocks; call it off any async
/// runtime's worker threads. If pairing fails after the folder was created, the folder
/// is emptied again, so the join can simply be retried.
#[allow(clippy::too_many_arguments)]
pub fn join(
    dir: &Path,
    code: &str,
    address: &str,
    plan: KeyPlan<'_>,
    name: &str,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    rng: &(dyn ring::rand::SecureRandom + Sync),
) -> Result<Joined, SyncError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut created: Option<(Practice, RecoveryCode)> = None;
    let mut plan = Some(plan);
    let paired = rt.block_on(async {
        let mut tcp = exchange::dial_tcp(address).await?;
        pairing::join(&mut tcp, code, rng, |practice_id| {
            let plan = plan.take().ok_or(SyncError::NotOpen)?;
            let (p, recovery) = Practice::join(dir, practice_id, plan, clock, ids, rng)?;
            let key = p.public_key();
            created = Some((p, recovery));
            Ok((key, name.to_string()))
        })
        .await
    });
    let paired = match paired {
        Ok(j) => j,
        Err(e) => {
            if let Some((p, _)) = created.take() {
                drop(p);
                remove_practice_files(dir);
            }
            return Err(e);
        }
    };
    let (practice, recovery) = created.ok_or_else(|| {
        SyncError::Malformed("the pairing ended before this workstation was created".into())
    })?;
    let now = practice.clock.now_ms();
    practice.sync_state().peer_paired(
        &paired.member_device,
        &paired.member_name,
        Some(address),
        now,
    )?;
    let cell = Arc::new(Mutex::new(practice));
    let replica = Replica::new(cell.clone());
    let first = rt.block_on(async {
        let local = replica.local()?;
        exchange::connect(
            address,
            replica.clone(),
            &local,
            Some(paired.member_device),
            0,
            Limits::default(),
        )
        .await
    });
    drop(replica);
    drop(rt);
    let practice = Arc::try_unwrap(cell)
        .map_err(|_| SyncError::Malformed("the first sync still holds the practice".into()))?
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let (received, sync_error) = match first {
        Ok(r) => (r.received.new as u64, None),
        Err(e) => (0, Some(e.to_string())),
    };
    Ok(Joined {
        practice,
        recovery,
        paired,
        received,
        sync_error,
    })
}
