//! The app host that the desktop shell and `chartkeep serve` both carry: first run,
//! unlock, login with its growing wait, lock and resume, switch user, and its refusals.

use std::path::Path;
use std::sync::Arc;

use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::host::{Host, KeychainSource};
use chartkeep::vault::keychain::{KeyStore, KeychainError};
use serde_json::{json, Value};

/// A machine without an OS keychain (a headless box): create must ask for a passphrase.
struct NoKeychain;
impl KeychainSource for NoKeychain {
    fn open(&self) -> Result<Box<dyn KeyStore>, KeychainError> {
        Err(KeychainError::Unavailable(
            "no Secret Service in this test".into(),
        ))
    }
}

const PASSPHRASE: &str = "correct horse battery";
const PASSWORD: &str = "admin password 1";

fn host(dir: &Path, clock: &Arc<ManualClock>) -> Host {
    Host::new(
        dir.to_path_buf(),
        clock.clone(),
        Arc::new(SeededIds::new(7)),
        Box::new(NoKeychain),
    )
}

fn code(r: Result<Value, chartkeep::api::ApiError>) -> String {
    r.expect_err("should be refused").code.to_string()
}

fn created(dir: &Path, clock: &Arc<ManualClock>) -> Host {
    let mut h = host(dir, clock);
    let made = h
        .call(
            "app.create",
            json!({"admin_name": "admin", "admin_password": PASSWORD, "passphrase": PASSPHRASE}),
        )
        .unwrap();
    assert_eq!(made["key_mode"], "passphrase");
    assert!(made["recovery_code"].as_str().unwrap().len() > 20);
    h
}

#[test]
fn first_run_creates_a_practice_then_staff_log_in() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("practice");
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    let mut h = host(&dir, &clock);
    let s = h.call("app.status", json!({})).unwrap();
    assert_eq!(s["state"], "none");
    assert_eq!(s["keychain_available"], false);
    assert_eq!(
        code(h.call("patient.search", json!({"query": "a"}))),
        "practice_missing"
    );
    // Without a keychain, a passphrase is needed; nothing is created.
    assert_eq!(
        code(h.call(
            "app.create",
            json!({"admin_name": "admin", "admin_password": PASSWORD, "passphrase": null})
        )),
        "keychain_unavailable"
    );
    assert_eq!(
        code(h.call(
            "app.create",
            json!({"admin_name": "admin", "admin_password": PASSWORD, "passphrase": "short"})
        )),
        "invalid_input"
    );
    assert_eq!(h.call("app.status", json!({})).unwrap()["state"], "none");
    drop(h);
    let mut h = created(&dir, &clock);
    let s = h.call("app.status", json!({})).unwrap();
    assert_eq!(s["state"], "open");
    assert!(s["session"].is_null());
    assert_eq!(code(h.call("session.info", json!({}))), "not_logged_in");
    let who = h
        .call("app.login", json!({"user": "admin", "password": PASSWORD}))
        .unwrap();
    assert_eq!(who["role"], "administrator");
    assert!(who["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("administer")));
    assert!(!who["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("read_chart")));
    assert_eq!(h.call("session.info", json!({})).unwrap()["user"], "admin");
    assert!(h.call("app.status", json!({})).unwrap()["practice_name"].is_null());
    h.call(
        "setting.set",
        json!({"name": "practice_name", "value": "Riverside Family Practice"}),
    )
    .unwrap();
    assert_eq!(
        h.call("app.status", json!({})).unwrap()["practice_name"],
        "Riverside Family Practice",
        "printouts carry the practice's name"
    );
    // Host commands do not pass through the API entry the shells use for everything else.
    assert_eq!(code(h.api("app.status", json!({}))), "unknown_command");
}

#[test]
fn a_second_launch_unlocks_with_the_passphrase_and_says_so_when_it_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("practice");
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    drop(created(&dir, &clock));
    let mut h = host(&dir, &clock);
    let s = h.call("app.status", json!({})).unwrap();
    assert_eq!(s["state"], "locked");
    assert_eq!(s["key_mode"], "passphrase");
    assert_eq!(
        code(h.call("app.login", json!({"user": "admin", "password": PASSWORD}))),
        "practice_locked"
    );
    assert_eq!(
        code(h.call("app.unlock", json!({"passphrase": null}))),
        "passphrase_needed"
    );
    assert_eq!(
        code(h.call("app.unlock", json!({"passphrase": "not the passphrase"}))),
        "wrong_secret"
    );
    let s = h
        .call("app.unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    assert_eq!(s["state"], "open");
    assert_eq!(
        code(h.call(
            "app.create",
            json!({"admin_name": "x", "admin_password": PASSWORD, "passphrase": PASSPHRASE})
        )),
        "practice_open"
    );
    assert_eq!(
        code(h.call("app.open_folder", json!({"folder": "/tmp"}))),
        "practice_open"
    );
}

#[test]
fn after_five_failed_logins_each_attempt_waits_longer_and_a_success_clears_it() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    let mut h = created(&tmp.path().join("p"), &clock);
    let wrong = json!({"user": "admin", "password": "guess"});
    for _ in 0..5 {
        assert_eq!(code(h.call("app.login", wrong.clone())), "wrong_password");
    }
    // Even the right password waits now.
    let right = json!({"user": "admin", "password": PASSWORD});
    let e = h.call("app.login", right.clone()).unwrap_err();
    assert_eq!(e.code.to_string(), "login_throttled");
    assert!(e.message.contains("15 seconds"), "{}", e.message);
    clock.advance_ms(15_000);
    assert_eq!(code(h.call("app.login", wrong.clone())), "wrong_password");
    clock.advance_ms(15_000);
    let e = h.call("app.login", right.clone()).unwrap_err();
    assert!(
        e.message.contains("15 seconds"),
        "the wait doubled to 30 s: {}",
        e.message
    );
    clock.advance_ms(15_000);
    h.call("app.login", right.clone()).unwrap();
    h.call("app.logout", json!({})).unwrap();
    assert_eq!(code(h.call("app.login", wrong.clone())), "wrong_password");
}

#[test]
fn a_locked_session_answers_nothing_until_the_same_users_password_and_switch_user_ends_it() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    let mut h = created(&tmp.path().join("p"), &clock);
    h.call("app.login", json!({"user": "admin", "password": PASSWORD}))
        .unwrap();
    h.call(
        "user.create",
        json!({"name": "nurse.kim", "role": "nurse", "password": "nurse password 1"}),
    )
    .unwrap();
    h.call("app.lock", json!({})).unwrap();
    assert_eq!(
        h.call("app.status", json!({})).unwrap()["session"]["locked"],
        true
    );
    assert_eq!(code(h.call("user.list", json!({}))), "session_locked");
    assert_eq!(
        code(h.call("app.resume", json!({"password": "nurse password 1"}))),
        "wrong_password"
    );
    let back = h.call("app.resume", json!({"password": PASSWORD})).unwrap();
    assert_eq!(back["user"], "admin");
    assert_eq!(back["locked"], false);
    h.call("user.list", json!({})).unwrap();
    // Idle past the limit: the status says locked before any command is tried.
    clock.advance_ms(11 * 60_000);
    assert_eq!(
        h.call("app.status", json!({})).unwrap()["session"]["locked"],
        true
    );
    h.call("app.logout", json!({})).unwrap();
    assert!(h.call("app.status", json!({})).unwrap()["session"].is_null());
    assert_eq!(
        code(h.call("app.resume", json!({"password": PASSWORD}))),
        "not_logged_in"
    );
    let nurse = h
        .call(
            "app.login",
            json!({"user": "nurse.kim", "password": "nurse password 1"}),
        )
        .unwrap();
    assert_eq!(nurse["role"], "nurse");
    assert_eq!(code(h.call("user.list", json!({}))), "forbidden");
    assert_eq!(
        code(h.call("app.verify", json!({}))),
        "forbidden",
        "administrators only"
    );
}

#[test]
fn a_backup_restores_into_an_empty_folder_through_the_host() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    let mut h = host(&tmp.path().join("p"), &clock);
    let code_text = h
        .call(
            "app.create",
            json!({"admin_name": "admin", "admin_password": PASSWORD, "passphrase": PASSPHRASE}),
        )
        .unwrap()["recovery_code"]
        .as_str()
        .unwrap()
        .to_string();
    h.call("app.login", json!({"user": "admin", "password": PASSWORD}))
        .unwrap();
    let checked = h.call("app.verify", json!({})).unwrap();
    assert_eq!(checked["ok"], true, "{checked}");
    assert!(checked["commits"].as_u64().unwrap() >= 1);
    let file = tmp.path().join("practice.ckbackup");
    let written = h
        .call("app.backup", json!({"file": file.display().to_string()}))
        .unwrap();
    assert!(written["bytes"].as_u64().unwrap() > 0);
    let mut other = host(&tmp.path().join("restored"), &clock);
    assert_eq!(
        code(other.call("app.restore", json!({"backup_file": file.display().to_string(), "recovery_code": "AAAA-BBBB", "passphrase": "new passphrase 1"}))),
        "malformed_recovery_code"
    );
    let s = other
        .call(
            "app.restore",
            json!({"backup_file": file.display().to_string(), "recovery_code": code_text, "passphrase": "new passphrase 1"}),
        )
        .unwrap();
    assert_eq!(s["state"], "open");
    assert_eq!(s["key_mode"], "passphrase");
    other
        .call("app.login", json!({"user": "admin", "password": PASSWORD}))
        .unwrap();
}

#[test]
fn the_desktop_saves_the_due_list_the_recall_list_and_the_registries_as_csv_never_over_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at("2026-12-01T09:00:00Z"));
    let mut h = created(&tmp.path().join("p"), &clock);
    h.call("app.login", json!({"user": "admin", "password": PASSWORD}))
        .unwrap();
    h.call(
        "user.create",
        json!({"name": "drlee", "password": "clinician password 1", "role": "clinician"}),
    )
    .unwrap();
    h.call("app.logout", json!({})).unwrap();
    h.call(
        "app.login",
        json!({"user": "drlee", "password": "clinician password 1"}),
    )
    .unwrap();
    for (list, header) in [
        ("due", "rule"),
        ("recall", "mrn"),
        ("registries", "registry"),
    ] {
        let file = tmp.path().join(format!("{list}.csv"));
        let args = json!({"list": list, "file": file.display().to_string(), "from": "2026-12-01", "to": "2026-12-31"});
        let written = h.call("app.save_list", args.clone()).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(written["bytes"].as_u64().unwrap(), text.len() as u64);
        assert!(
            text.lines().next().unwrap_or_default().contains(header),
            "{list}: {text}"
        );
        assert_eq!(code(h.call("app.save_list", args)), "file_exists");
    }
    // A measure's report: the CSV the screen made, written as given, never over a file.
    let file = tmp.path().join("measure.csv");
    let text = "measure,period,group,population\r\nCMS122,2025-01-01..2025-12-31,1,Numerator\r\n";
    let args = json!({"list": "measure", "file": file.display().to_string(), "text": text});
    h.call("app.save_list", args.clone()).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    assert_eq!(code(h.call("app.save_list", args)), "file_exists");
    let empty =
        json!({"list": "measure", "file": tmp.path().join("empty.csv").display().to_string()});
    assert_eq!(code(h.call("app.save_list", empty)), "invalid_input");
    assert!(!tmp.path().join("empty.csv").exists(), "nothing written");
}
