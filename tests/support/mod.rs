//! Shared helpers for the engine's integration tests: making practices, logging in,
//! calling commands, counting commits, raw database access and two-device exchange.
//!
//! Each test binary compiles its own copy of this module and uses only part of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use base64::Engine as _;
use chartkeep::api::{self, ApiError, Session};
use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::db::{Access, Gate};
use chartkeep::vault::{self, KeyPlan};
use rusqlite::Connection;
use serde_json::{json, Value as Json};
use tempfile::TempDir;

pub const START: &str = "2026-11-01T12:00:00Z";
pub const TODAY: &str = "2026-11-01";
pub const ADMIN: &str = "admin";
pub const ADMIN_PW: &str = "admin-password-1";
pub const CLINICIAN: &str = "drlee";
pub const CLINICIAN_PW: &str = "clinician-pass-1";
pub const MINUTE_MS: i64 = 60_000;

/// A practice in its own temporary folder, with the clock the test can move.
/// Fields drop in order: the practice (its connections) before the folder.
pub struct Env {
    pub practice: Practice,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

/// A fresh practice whose first administrator is `admin_name` (password [`ADMIN_PW`]).
pub fn practice_with_admin(seed: u64, admin_name: &str) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::at(START));
    let (practice, _recovery) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("test passphrase".into()),
        Admin {
            name: admin_name,
            password: ADMIN_PW,
        },
        clock.clone(),
        Arc::new(SeededIds::new(seed)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("practice init");
    Env {
        practice,
        clock,
        dir,
    }
}

pub fn practice(seed: u64) -> Env {
    practice_with_admin(seed, ADMIN)
}

pub fn login(p: &mut Practice, name: &str, password: &str) -> Session {
    api::login(p, name, password)
        .unwrap_or_else(|e| panic!("login {name}: {} {}", e.code, e.message))
}

/// Runs a command that must succeed.
pub fn call(p: &mut Practice, s: &mut Session, command: &str, args: Json) -> Json {
    api::call(p, s, command, args.clone())
        .unwrap_or_else(|e| panic!("{command} {args} failed: {} — {}", e.code, e.message))
}

/// Runs a command that must fail, returning its error.
pub fn call_err(p: &mut Practice, s: &mut Session, command: &str, args: Json) -> ApiError {
    match api::call(p, s, command, args.clone()) {
        Ok(v) => panic!("{command} {args} should have failed but returned {v}"),
        Err(e) => e,
    }
}

/// Creates a staff account as `admin` (must be an administrator's session).
pub fn create_user(
    p: &mut Practice,
    admin: &mut Session,
    name: &str,
    role: &str,
    password: &str,
) -> Json {
    call(
        p,
        admin,
        "user.create",
        json!({"name": name, "role": role, "password": password}),
    )
}

/// A practice with an administrator and a clinician, both logged in.
pub struct Clinic {
    pub env: Env,
    pub admin: Session,
    pub doc: Session,
}

impl Clinic {
    pub fn p(&mut self) -> &mut Practice {
        &mut self.env.practice
    }

    /// Runs a command as the clinician; it must succeed.
    pub fn doc(&mut self, command: &str, args: Json) -> Json {
        call(&mut self.env.practice, &mut self.doc, command, args)
    }

    /// Runs a command as the clinician, whatever the outcome.
    pub fn try_doc(&mut self, command: &str, args: Json) -> Result<Json, ApiError> {
        api::call(&mut self.env.practice, &mut self.doc, command, args)
    }

    /// Runs a command as the clinician; it must fail.
    pub fn doc_err(&mut self, command: &str, args: Json) -> ApiError {
        call_err(&mut self.env.practice, &mut self.doc, command, args)
    }

    pub fn admin(&mut self, command: &str, args: Json) -> Json {
        call(&mut self.env.practice, &mut self.admin, command, args)
    }

    pub fn admin_err(&mut self, command: &str, args: Json) -> ApiError {
        call_err(&mut self.env.practice, &mut self.admin, command, args)
    }

    pub fn commits(&self) -> i64 {
        commits(&self.env.practice)
    }

    /// Registers a patient as the clinician and returns its id.
    pub fn patient(&mut self, family: &str, given: &[&str], birth_date: &str) -> String {
        let p = self.doc(
            "patient.create",
            json!({"family": family, "given": given, "birth_date": birth_date, "sex": "female"}),
        );
        id(&p)
    }
}

pub fn clinic(seed: u64) -> Clinic {
    let mut env = practice(seed);
    let mut admin = login(&mut env.practice, ADMIN, ADMIN_PW);
    create_user(
        &mut env.practice,
        &mut admin,
        CLINICIAN,
        "clinician",
        CLINICIAN_PW,
    );
    let doc = login(&mut env.practice, CLINICIAN, CLINICIAN_PW);
    Clinic { env, admin, doc }
}

/// One clinic per test binary, shared by the tests that do not need a practice of their
/// own (password hashing makes each practice and login cost a fifth of a second). Tests
/// take the lock for their whole run, so counts taken before and after are exact.
pub fn shared() -> MutexGuard<'static, Clinic> {
    static CLINIC: OnceLock<Mutex<Clinic>> = OnceLock::new();
    CLINIC
        .get_or_init(|| Mutex::new(clinic(7)))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A fresh id-source seed for every practice made or copied in this process.
pub fn next_seed() -> u64 {
    static SEED: AtomicU64 = AtomicU64::new(10_000);
    SEED.fetch_add(1, Ordering::SeqCst)
}

/// Rows in `ledger_commit`.
pub fn commits(p: &Practice) -> i64 {
    count(p.reader(), "SELECT count(*) FROM ledger_commit")
}

pub fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A second connection to the practice's database, opened with its key, for tampering.
/// It has its own (closed) ledger gate, so guard triggers still apply unless dropped.
pub fn raw(p: &Practice) -> Connection {
    let conn = vault::db::open(
        &vault::db_path(p.dir()),
        p.key(),
        Access::Write { create: false },
        &Gate::default(),
    )
    .expect("raw connection");
    vault::db::attach_access_log(&conn, p.dir(), p.key()).expect("attach the access log");
    conn
}

pub fn s(v: &Json, key: &str) -> String {
    v.get(key)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no text '{key}' in {v}"))
        .to_string()
}

pub fn id(v: &Json) -> String {
    s(v, "id")
}

pub fn arr(v: &Json) -> &Vec<Json> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
}

/// Asserts an error's code and that its message is non-empty and names `field`.
pub fn assert_error(e: &ApiError, code: &str, field: &str) {
    assert_eq!(e.code, code, "wrong code for error: {}", e.message);
    assert!(!e.message.trim().is_empty(), "empty message for {code}");
    assert!(
        e.message.contains(field),
        "message for {code} should name '{field}': {}",
        e.message
    );
}

/// A tiny valid PNG (1×1, transparent).
pub fn png_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .expect("png")
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Sends `to` every commit `from` holds that `to` lacks, in `from`'s order. Returns how
/// many were new to `to`.
pub fn send(from: &Practice, to: &mut Practice) -> usize {
    let have = to.version_vector().expect("version vector");
    let mut n = 0;
    for c in from.missing_for(&have).expect("missing_for") {
        if to.apply(&c.encoded, c.signature).expect("apply") == chartkeep::ledger::Applied::New {
            n += 1;
        }
    }
    n
}

/// The id of the user called `name`.
pub fn user_id(p: &Practice, name: &str) -> uuid::Uuid {
    let id: String = p
        .reader()
        .query_row("SELECT id FROM app_user WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("user {name}: {e}"));
    uuid::Uuid::parse_str(&id).expect("user id")
}

/// A new workstation of `of`'s practice, not yet a member and holding nothing.
pub fn joined(of: &Practice) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::at(START));
    let (practice, _recovery) = Practice::join(
        dir.path(),
        of.practice_id(),
        KeyPlan::Passphrase("test passphrase".into()),
        clock.clone(),
        Arc::new(SeededIds::new(next_seed())),
        &ring::rand::SystemRandom::new(),
    )
    .expect("join practice");
    Env {
        practice,
        clock,
        dir,
    }
}

/// A new workstation of `of`'s practice, made a member by `of`'s administrator
/// `admin_name`, with everything `of` holds.
pub fn join(of: &mut Practice, admin_name: &str) -> Env {
    let mut env = joined(of);
    let admin = user_id(of, admin_name);
    of.add_member(admin, env.practice.public_key(), "joined workstation")
        .expect("add member");
    send(of, &mut env.practice);
    env
}

/// Brings two practices up to date with each other.
pub fn exchange(a: &mut Practice, b: &mut Practice) {
    send(a, b);
    send(b, a);
}

/// Closes a practice and copies its folder, so the copy can be opened as an independent
/// practice with [`reopen`].
pub struct Template {
    pub dir: TempDir,
    pub key: chartkeep::vault::keys::DbKey,
    pub header: chartkeep::vault::header::Header,
}

pub fn template(env: Env) -> Template {
    let key = env.practice.key().clone();
    let header = env.practice.header().clone();
    let Env { practice, dir, .. } = env;
    drop(practice);
    Template { dir, key, header }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// An independent copy of the template, opened with a fresh clock at [`START`] and a fresh
/// id source (so new ids never collide with the template's).
pub fn reopen(t: &Template) -> Env {
    reopen_seeded(t, next_seed())
}

/// Like [`reopen`], with the id source seeded by `seed`: two copies opened with the same
/// seed make the same ids for the same actions.
pub fn reopen_seeded(t: &Template, seed: u64) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(t.dir.path(), dir.path());
    let clock = Arc::new(ManualClock::at(START));
    let practice = Practice::open(
        dir.path(),
        t.key.clone(),
        t.header.clone(),
        clock.clone(),
        Arc::new(SeededIds::new(seed)),
    )
    .expect("reopen practice");
    Env {
        practice,
        clock,
        dir,
    }
}

/// Every row of a table as text, sorted, with the named columns left out.
pub fn dump(conn: &Connection, table: &str, skip: &[&str]) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .unwrap_or_else(|e| panic!("{table}: {e}"));
    let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let mut rows = stmt.query([]).expect("query");
    let mut out = Vec::new();
    while let Some(r) = rows.next().expect("row") {
        let mut parts = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if skip.contains(&name.as_str()) {
                continue;
            }
            let v = match r.get_ref(i).expect("column") {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(b) => format!("x'{}'", hex::encode(b)),
            };
            parts.push(format!("{name}={v}"));
        }
        out.push(parts.join(" "));
    }
    out.sort();
    out
}
