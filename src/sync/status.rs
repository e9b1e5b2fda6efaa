//! What the Sync screen, the status bar and `chartkeep sync status` show.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::message::Vector;
use super::{grouped, SyncError};
use crate::practice::Practice;

/// A peer counts as connected when an exchange with it ended this recently.
pub const CONNECTED_WITHIN_MS: i64 = 150_000;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    /// Every peer was reached lately and holds what this workstation holds.
    Synced,
    /// A peer was reached lately but commits are pending one way or the other.
    Syncing,
    /// No peer was reached lately.
    Offline,
    /// The practice has no other workstation.
    Alone,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PeerStatus {
    /// Hex device id.
    pub device: String,
    /// The device id in groups of four, for comparing by eye.
    pub device_grouped: String,
    pub name: String,
    pub address: Option<String>,
    pub connected: bool,
    /// RFC 3339.
    pub last_contact: Option<String>,
    pub last_error: Option<String>,
    /// Commits the peer held at the last contact that this workstation lacks.
    pub pending_in: u64,
    /// Commits this workstation holds that the peer lacked at the last contact.
    pub pending_out: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RejectedCommit {
    pub at: String,
    /// The device whose commit was refused (hex).
    pub device: String,
    pub seq: u64,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncStatus {
    /// This workstation's device id (hex).
    pub device: String,
    pub device_grouped: String,
    pub name: String,
    /// Where this workstation's sync listener is, if one runs.
    pub listening: Option<String>,
    pub state: SyncState,
    /// RFC 3339: the last contact with any peer, when offline.
    pub offline_since: Option<String>,
    pub last_sync: Option<String>,
    pub peers: Vec<PeerStatus>,
    pub open_conflicts: u64,
    pub duplicates: u64,
    /// Commits peers sent that were refused and are still missing here.
    pub rejected: Vec<RejectedCommit>,
}

/// One member workstation, for the device list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeviceInfo {
    /// The member row's id.
    pub id: String,
    pub device: String,
    pub device_grouped: String,
    pub name: String,
    /// The administrator who added it (user id).
    pub added_by: String,
    /// Their user name, for people to read.
    pub added_by_name: String,
    pub removed: bool,
    pub this_workstation: bool,
}

fn pending(from: &Vector, to: &Vector) -> u64 {
    from.iter()
        .map(|(d, s)| s.saturating_sub(to.get(d).copied().unwrap_or(0)))
        .sum()
}

fn device_bytes(hex_id: &str) -> Option<[u8; 32]> {
    hex::decode(hex_id).ok()?.try_into().ok()
}

/// The member workstations, removed ones included.
pub fn devices(p: &Practice) -> Result<Vec<DeviceInfo>, SyncError> {
    let me = hex::encode(p.device_id());
    let names = crate::access::users::names(p.reader())?;
    Ok(p.members()?
        .into_iter()
        .map(|m| DeviceInfo {
            added_by_name: names.get(&m.added_by).cloned().unwrap_or_default(),
            id: m.id.to_string(),
            device_grouped: device_bytes(&m.device)
                .map(|d| grouped(&d))
                .unwrap_or_default(),
            this_workstation: m.device == me,
            device: m.device,
            name: m.name,
            added_by: m.added_by,
            removed: m.removed,
        })
        .collect())
}

pub fn status(p: &Practice) -> Result<SyncStatus, SyncError> {
    let now = p.clock.now_ms();
    let me = p.device_id();
    let ours = p.version_vector()?;
    let state = p.sync_state();
    let members = p.members()?;
    let active: Vec<[u8; 32]> = members
        .iter()
        .filter(|m| !m.removed)
        .filter_map(|m| device_bytes(&m.device))
        .filter(|d| *d != me)
        .collect();
    let removed: Vec<[u8; 32]> = members
        .iter()
        .filter(|m| m.removed)
        .filter_map(|m| device_bytes(&m.device))
        .collect();
    let name_of = |d: &[u8; 32]| {
        members
            .iter()
            .find(|m| m.device == hex::encode(d) && !m.name.is_empty())
            .map(|m| m.name.clone())
    };
    let mut peers = Vec::new();
    let mut last_sync: Option<i64> = None;
    let mut any_connected = false;
    let mut all_even = true;
    for peer in state.peers()? {
        if peer.device == me || removed.contains(&peer.device) {
            continue;
        }
        let theirs = peer.their_vector.clone().unwrap_or_default();
        let connected = peer
            .last_contact
            .is_some_and(|t| now - t <= CONNECTED_WITHIN_MS);
        let (pending_in, pending_out) = if peer.their_vector.is_some() {
            (pending(&theirs, &ours), pending(&ours, &theirs))
        } else {
            (0, ours.values().sum())
        };
        if let Some(t) = peer.last_contact {
            last_sync = Some(last_sync.map_or(t, |l| l.max(t)));
        }
        any_connected |= connected;
        all_even &= pending_in == 0 && pending_out == 0;
        peers.push(PeerStatus {
            device: hex::encode(peer.device),
            device_grouped: grouped(&peer.device),
            name: name_of(&peer.device).unwrap_or(peer.name),
            address: peer.address,
            connected,
            last_contact: peer.last_contact.map(crate::clock::rfc3339),
            last_error: peer.last_error,
            pending_in,
            pending_out,
        });
    }
    let sync_state = if active.is_empty() && peers.is_empty() {
        SyncState::Alone
    } else if !any_connected {
        SyncState::Offline
    } else if all_even {
        SyncState::Synced
    } else {
        SyncState::Syncing
    };
    let conflicts: i64 = p
        .reader()
        .query_row("SELECT count(*) FROM ledger_conflict", [], |r| r.get(0))?;
    let duplicates: i64 = p
        .reader()
        .query_row("SELECT count(*) FROM ledger_duplicate", [], |r| r.get(0))
        .unwrap_or(0);
    let listening = state.listen()?.map(|(a, _)| a);
    Ok(SyncStatus {
        device: hex::encode(me),
        device_grouped: grouped(&me),
        name: name_of(&me).unwrap_or_else(|| p.workstation()),
        listening,
        offline_since: match sync_state {
            SyncState::Offline => last_sync.map(crate::clock::rfc3339),
            _ => None,
        },
        state: sync_state,
        last_sync: last_sync.map(crate::clock::rfc3339),
        peers,
        open_conflicts: conflicts as u64,
        duplicates: duplicates as u64,
        rejected: state
            .rejected(50)?
            .into_iter()
            .map(|r| RejectedCommit {
                at: crate::clock::rfc3339(r.at),
                device: hex::encode(r.device),
                seq: r.seq,
                code: r.code,
                message: r.message,
            })
            .collect(),
    })
}
