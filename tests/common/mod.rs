//! Helpers shared by the library-level integration tests (`tests/vault.rs`,
//! `tests/crash.rs`): a practice in a temporary folder, opened and called the way the
//! desktop app and the CLI do it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chartkeep::api::{self, ApiError, Session};
use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::practice::{Admin, Practice, PracticeError};
use chartkeep::vault::header::Header;
use chartkeep::vault::keys::{DbKey, RecoveryCode};
use chartkeep::vault::{self, KeyPlan, Secret};
use serde_json::{json, Value as Json};

pub const PASSPHRASE: &str = "a long passphrase";
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const NOW: &str = "2026-11-01T12:00:00Z";

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(NOW))
}

/// A fresh id source for every open: the same seed twice would hand out the same ids
/// again after a reopen at the same (manual) time.
pub fn ids() -> Arc<SeededIds> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let salt = u64::from(std::process::id()) << 32;
    Arc::new(SeededIds::new(salt | NEXT.fetch_add(1, Ordering::SeqCst)))
}

/// A new passphrase-mode practice in `dir` with the standard administrator.
pub fn init(dir: &Path) -> (Practice, RecoveryCode) {
    Practice::init(
        dir,
        KeyPlan::Passphrase(PASSPHRASE.into()),
        Admin {
            name: ADMIN,
            password: ADMIN_PASSWORD,
        },
        clock(),
        ids(),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init a practice")
}

/// Unlocks the practice in `dir` with `secret` and opens it.
pub fn try_open(dir: &Path, secret: Secret<'_>) -> Result<Practice, PracticeError> {
    let (key, header) = vault::unlock(dir, secret)?;
    open_with(dir, key, header)
}

pub fn open_with(dir: &Path, key: DbKey, header: Header) -> Result<Practice, PracticeError> {
    Practice::open(dir, key, header, clock(), ids())
}

pub fn open(dir: &Path) -> Practice {
    try_open(dir, Secret::Passphrase(PASSPHRASE)).expect("open the practice with its passphrase")
}

pub fn login(practice: &mut Practice, user: &str, password: &str) -> Session {
    api::login(practice, user, password).unwrap_or_else(|e| panic!("login as {user}: {e:?}"))
}

pub fn admin(practice: &mut Practice) -> Session {
    login(practice, ADMIN, ADMIN_PASSWORD)
}

pub fn try_call(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: Json,
) -> Result<Json, ApiError> {
    api::call(practice, session, command, args)
}

pub fn call(practice: &mut Practice, session: &mut Session, command: &str, args: Json) -> Json {
    api::call(practice, session, command, args.clone())
        .unwrap_or_else(|e| panic!("{command} {args}: {e:?}"))
}

/// Registers a patient and returns its id.
pub fn create_patient(
    practice: &mut Practice,
    session: &mut Session,
    family: &str,
    given: &str,
) -> String {
    let p = call(
        practice,
        session,
        "patient.create",
        json!({"family": family, "given": [given], "birth_date": "1980-02-03", "sex": "female"}),
    );
    p["id"]
        .as_str()
        .expect("patient.create returns an id")
        .to_string()
}

/// The families of the patients a search finds.
pub fn search_families(practice: &mut Practice, session: &mut Session, query: &str) -> Vec<String> {
    let found = call(
        practice,
        session,
        "patient.search",
        json!({ "query": query }),
    );
    found
        .as_array()
        .expect("patient.search returns a list")
        .iter()
        .map(|p| p["family"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every file under `dir` (recursively), by relative path, with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("read a folder entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// The stable code of an error from opening a practice.
pub fn code_of(r: Result<Practice, PracticeError>) -> (String, String) {
    match r {
        Ok(_) => panic!("expected an error, but the practice opened"),
        Err(e) => (e.code().to_string(), e.to_string()),
    }
}
