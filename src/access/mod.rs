//! Access: staff accounts, roles and what each may do, login sessions that lock when idle,
//! and the access log of every chart read, search and export.

pub mod audit;
pub mod entities;
pub mod password;
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
            AccessError::LogDamaged(..) => "access_log_damaged",
            AccessError::Storage(_) => "storage_error",
        }
    }
}
