//! Access: staff accounts, roles and what each may do, login sessions that lock when idle,
//! and the access log of every chart read, search and export.

pub mod audit;
pub mod entities;
pub mod password;
pub mod replica;
pub mod roles;
pub mod users;

pub use roles::{Permission, Role};

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("wrong user name or password for '{0}'; try again, or ask the practice administrator to reset it")]
    WrongPassword(String),
    #[error("the account '{0}' is disabled; ask the practice administrator")]
    Disabled(String),
    #[error("{0}")]
    Invalid(String),
    #[error("two accounts named '{0}' were made on two workstations while they were apart; an administrator must rename one (user.update with its id and new_name) before either can log in")]
    DuplicateName(String),
    #[error("your session locked after {0} minutes without activity; log in again")]
    Locked(i64),
    #[error("the role '{role}' may not {what}; ask the practice administrator if you need it")]
    Forbidden { role: String, what: String },
    #[error("the access log is damaged at entry {0}: {1}")]
    LogDamaged(i64, String),
    #[error("the copy of workstation {workstation}'s access log is damaged at entry {seq}: {why}")]
    CopyDamaged {
        workstation: String,
        seq: u64,
        why: String,
    },
    #[error("access log entry {seq} of workstation {device} does not continue the copy held here (held up to entry {held}); sync again to receive the entries before it")]
    LogGap { device: String, seq: u64, held: u64 },
    #[error("access log entry {seq} of workstation {device} does not follow the entry before it: that workstation's log was rewritten or started anew")]
    LogChainBroken { device: String, seq: u64 },
    #[error("access log entry {seq} of workstation {device} does not match its hash: it was altered after it was written")]
    LogEntryAltered { device: String, seq: u64 },
    #[error("access log entry {seq} of workstation {device} does not carry that workstation's valid signature: it was altered or forged")]
    LogBadSignature { device: String, seq: u64 },
    #[error("access log entry {seq} comes from workstation {device}, which this workstation's ledger does not know; it is accepted once the ledger has that workstation's membership (sync again)")]
    LogUnknownDevice { device: String, seq: u64 },
    #[error("two different access log entries {seq} of workstation {device} exist: that workstation's log was rewritten or started anew; keep both copies and ask the practice administrator")]
    LogFork { device: String, seq: u64 },
    #[error("malformed access log entry: {0}")]
    LogEntryMalformed(String),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl AccessError {
    pub fn code(&self) -> &'static str {
        match self {
            AccessError::WrongPassword(_) => "wrong_password",
            AccessError::Disabled(_) => "account_disabled",
            AccessError::Invalid(_) => "invalid_input",
            AccessError::DuplicateName(_) => "duplicate_user_name",
            AccessError::Locked(_) => "session_locked",
            AccessError::Forbidden { .. } => "forbidden",
            AccessError::LogDamaged(..) | AccessError::CopyDamaged { .. } => "access_log_damaged",
            AccessError::LogGap { .. } => "access_log_gap",
            AccessError::LogChainBroken { .. } => "access_log_broken_chain",
            AccessError::LogEntryAltered { .. } => "access_log_entry_altered",
            AccessError::LogBadSignature { .. } => "access_log_bad_signature",
            AccessError::LogUnknownDevice { .. } => "access_log_unknown_device",
            AccessError::LogFork { .. } => "access_log_fork",
            AccessError::LogEntryMalformed(_) => "access_log_entry_malformed",
            AccessError::Storage(_) => "storage_error",
        }
    }
}
