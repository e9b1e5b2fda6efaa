//! Sync between the practice's workstations.
//!
//! Layers, bottom up (the wire format is in `docs/sync.md`):
//! - [`identity`]: each workstation's TLS certificate, made from its ledger signing key, and
//!   the verifiers that pin a peer by device id (SHA-256 of its public key) against the
//!   practice's current members.
//! - [`frame`]: length-prefixed frames with a size limit and deadlines, so a peer that
//!   sends too much or too slowly is cut off.
//! - [`message`]: the typed messages in a frame, versioned, decoded without trusting a byte.
//! - [`pairing`]: a new workstation joins with a one-time code through SPAKE2 (the code is
//!   never a key), both sides confirming each other's device id under the derived key.
//! - [`exchange`]: one replication round over a TLS stream: version vectors, then what the
//!   other side lacks in batches, every commit verified by the ledger before it applies.
//! - [`replica`]: what the exchange needs of an open practice, behind one trait so the CLI
//!   (one practice) and the desktop app (a host that may be locked) share the code.
//! - [`state`]: this workstation's local sync bookkeeping (peers, invites, refused commits).
//! - [`runner`]: the background task: a listener, a dialer that syncs soon after every
//!   local commit, when a peer appears and every minute, with backoff, and a clean stop.
//! - [`discovery`]: mDNS on the LAN; what it finds is untrusted until TLS proves a member.

pub mod discovery;
pub mod exchange;
pub mod frame;
pub mod identity;
pub mod join;
pub mod message;
pub mod pairing;
pub mod replica;
pub mod runner;
pub mod state;
pub mod status;

/// Why a sync connection or a pairing failed. Codes are stable; messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("could not reach {address}: {reason}. Check that Chartkeep is running there and that the address is right")]
    Unreachable { address: String, reason: String },
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the secure connection failed: {0}")]
    Tls(String),
    #[error("the peer sent a frame of {got} bytes; the limit is {limit}")]
    FrameTooLarge { got: usize, limit: usize },
    #[error("the peer took too long ({0} s) to send a whole message; the connection was closed")]
    TooSlow(u64),
    #[error("the peer sent a message this workstation cannot read: {0}")]
    Malformed(String),
    #[error("the peer speaks sync protocol {theirs}; this workstation speaks {ours}. Update Chartkeep on the older workstation")]
    Protocol { ours: u16, theirs: u16 },
    #[error("the peer belongs to another practice ({0}); it cannot sync with this one")]
    OtherPractice(String),
    #[error("the peer refused: {message}")]
    Refused { code: String, message: String },
    #[error("the pairing code is wrong{}", tries_note(*tries_left))]
    WrongCode { tries_left: u32 },
    #[error("there is no pairing code to answer: ask an administrator on a member workstation to make one (chartkeep sync invite, or Sync → Add workstation)")]
    NoInvite,
    #[error("the pairing code has expired; ask for a new one")]
    InviteExpired,
    #[error("the workstation at the other end is not the one that was paired: {0}")]
    PeerMismatch(String),
    #[error("no practice is open on this workstation")]
    NotOpen,
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Practice(#[from] crate::practice::PracticeError),
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

fn tries_note(left: u32) -> String {
    match left {
        0 => "; it is now spent, so ask for a new one".into(),
        1 => " (1 try left)".into(),
        n => format!(" ({n} tries left)"),
    }
}

impl SyncError {
    pub fn code(&self) -> &str {
        match self {
            SyncError::Unreachable { .. } => "sync_unreachable",
            SyncError::Io(_) => "sync_connection",
            SyncError::Tls(_) => "sync_tls",
            SyncError::FrameTooLarge { .. } => "sync_frame_too_large",
            SyncError::TooSlow(_) => "sync_too_slow",
            SyncError::Malformed(_) => "sync_malformed",
            SyncError::Protocol { .. } => "sync_protocol",
            SyncError::OtherPractice(_) => "sync_other_practice",
            SyncError::Refused { code, .. } => code,
            SyncError::WrongCode { .. } => "pairing_code_wrong",
            SyncError::NoInvite => "pairing_no_invite",
            SyncError::InviteExpired => "pairing_code_expired",
            SyncError::PeerMismatch(_) => "sync_peer_mismatch",
            SyncError::NotOpen => "practice_locked",
            SyncError::Ledger(e) => e.code(),
            SyncError::Practice(e) => e.code(),
            SyncError::Access(e) => e.code(),
            SyncError::Storage(_) => "storage_error",
        }
    }
}

/// A device id in the grouped form people compare: 16 groups of four hex digits.
pub fn grouped(device: &[u8; 32]) -> String {
    let h = hex::encode(device);
    h.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
}
