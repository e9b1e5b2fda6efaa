//! TEMPORARY stand-in for `chartkeep::host::Host`, which the lead is writing on main.
//! Same signatures as the contract (briefs/common.md); deleted when main is merged.

use chartkeep::api::{ApiError, ErrorCode};
use serde_json::{json, Value};
use std::path::PathBuf;

pub struct Host {
    folder: PathBuf,
}

impl Host {
    pub fn new(folder: PathBuf) -> Host {
        Host { folder }
    }

    pub fn call(&mut self, command: &str, _args: Value) -> Result<Value, ApiError> {
        match command {
            "app.status" => {
                let header = chartkeep::vault::header::read(&self.folder).ok();
                Ok(json!({
                    "folder": self.folder,
                    "state": if header.is_some() { "locked" } else { "none" },
                    "key_mode": header.map(|h| h.mode),
                    "keychain_available": false,
                    "practice_id": null,
                    "version": env!("CARGO_PKG_VERSION"),
                    "session": null,
                }))
            }
            c if c.starts_with("app.") => Err(ApiError::new(
                ErrorCode::InternalError,
                format!("{c} is not in the stand-in host"),
            )),
            c => Err(ApiError::new(
                ErrorCode::UnknownCommand,
                format!("{c}: the stand-in host has no session"),
            )),
        }
    }
}
