//! The one dispatcher: `call(practice, session, "domain.verb", json)`.
//!
//! The desktop shell, the local HTTP server and `chartkeep call` all come through here, so
//! every command is checked against the caller's role, every chart read is written to the
//! access log, and every error reaches the user as `{code, message}`.

mod commands;
mod conflicts;
mod docs;
mod session;

pub use commands::{command_names, describe, CommandDoc};
pub use docs::markdown as docs_markdown;
pub use session::{login, Session};

use serde::Serialize;
use serde_json::Value as Json;

use crate::access::AccessError;
use crate::chart::ChartError;
use crate::ledger::LedgerError;
use crate::practice::{Practice, PracticeError};

/// What every caller sees of an error: a stable code to branch on, and a message that
/// says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

macro_rules! from_engine_error {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> ApiError {
                let code = e.code();
                if code == "storage_error" {
                    tracing::error!(error = %e, "storage error");
                }
                ApiError::new(code, e.to_string())
            }
        }
    )*};
}
from_engine_error!(
    AccessError,
    ChartError,
    LedgerError,
    PracticeError,
    crate::vault::VaultError
);

/// Runs one command as the session's user.
pub fn call(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: Json,
) -> Result<Json, ApiError> {
    session.touch(practice.clock.now_ms())?;
    commands::dispatch(practice, session, command, &args)
}
