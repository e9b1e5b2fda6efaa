//! Chartkeep's engine: an offline-first, encrypted electronic medical record.
//!
//! The practice's charts live in one SQLCipher file per workstation ([`vault`]). Every
//! write is a signed commit in the [`ledger`], which updates typed projection tables in the
//! same transaction; the clinical record ([`chart`]) validates input and queries those
//! tables; [`access`] holds users, roles, sessions and the access log; [`api`] is the one
//! dispatcher the CLI, the desktop app and the local HTTP server all call.
//!
//! ```no_run
//! use chartkeep::{api, practice::Practice};
//! # fn demo(practice: &mut Practice, session: &mut api::Session) -> Result<(), api::ApiError> {
//! let found = api::call(practice, session, "patient.search", serde_json::json!({"query": "garcia 1984"}))?;
//! # Ok(()) }
//! ```

pub mod access;
pub mod api;
pub mod care;
pub mod chart;
pub mod clock;
pub mod codes;
pub mod demo;
pub mod host;
pub mod interop;
pub mod ledger;
pub mod practice;
pub mod sync;
pub mod vault;
