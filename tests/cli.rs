//! The `chartkeep` command line, driven as a script would: secrets from the environment,
//! never a prompt (stdin is not a terminal), a fresh data folder and `HOME` per test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{json, Value as Json};
use tempfile::TempDir;

const PASSPHRASE: &str = "a long passphrase";
const ADMIN_PASSWORD: &str = "admin-password-1";
const CLINICIAN_PASSWORD: &str = "clinician-pass-1";
const DESK_PASSWORD: &str = "front-desk-pass-1";

/// A data folder and a `HOME` of its own; the practice is created by [`Cli::init`].
struct Cli {
    root: TempDir,
    data: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        let data = root.path().join("practice");
        Cli { root, data }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// `chartkeep --data DATA`, with nothing inherited from the environment but what is
    /// set here.
    fn cmd(&self, data: &Path) -> Command {
        let mut c = Command::cargo_bin("chartkeep").expect("the chartkeep binary");
        c.env_clear()
            .env("HOME", self.path("home"))
            .env("CHARTKEEP_PASSPHRASE", PASSPHRASE)
            .arg("--data")
            .arg(data)
            .timeout(Duration::from_secs(120));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(&self.data).args(args).output().unwrap()
    }

    /// `init --no-keychain --admin admin`; returns the recovery code it printed.
    fn init(&self) -> String {
        let out = self
            .cmd(&self.data)
            .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
            .args(["init", "--no-keychain", "--admin", "admin"])
            .output()
            .unwrap();
        assert_success(&out, "init");
        recovery_code(&text(&out.stdout)).expect("init prints a recovery code")
    }

    fn call_as(&self, user: &str, password: &str, command: &str, args: &str) -> Output {
        self.cmd(&self.data)
            .env("CHARTKEEP_USER", user)
            .env("CHARTKEEP_PASSWORD", password)
            .args(["call", command, args])
            .output()
            .unwrap()
    }

    /// A call that must succeed; its JSON result.
    fn call_ok(&self, user: &str, password: &str, command: &str, args: Json) -> Json {
        let out = self.call_as(user, password, command, &args.to_string());
        assert_success(&out, &format!("call {command} {args}"));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{command}: stdout is not JSON ({e}): {}", text(&out.stdout))
        })
    }

    /// Creates the usual staff: a clinician and a front-desk clerk.
    fn staff(&self) {
        for (name, role, password) in [
            ("drlee", "clinician", CLINICIAN_PASSWORD),
            ("desk", "front_desk", DESK_PASSWORD),
        ] {
            let user = self.call_ok(
                "admin",
                ADMIN_PASSWORD,
                "user.create",
                json!({"name": name, "role": role, "password": password}),
            );
            assert_eq!(user["name"], name, "{user}");
        }
    }

    fn create_patient(&self, family: &str, given: &str) -> String {
        let p = self.call_ok(
            "drlee",
            CLINICIAN_PASSWORD,
            "patient.create",
            json!({"family": family, "given": [given], "birth_date": "1984-03-07", "sex": "female"}),
        );
        p["id"]
            .as_str()
            .unwrap_or_else(|| panic!("patient.create returns an id: {p}"))
            .to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn assert_success(out: &Output, what: &str) {
    assert!(out.status.success(), "{what} failed: {}", describe(out));
}

fn assert_failure(out: &Output, what: &str) {
    assert!(
        !out.status.success(),
        "{what} should fail: {}",
        describe(out)
    );
}

/// The error JSON a failed `call` writes to stderr (`{"code": …, "message": …}`).
fn error_json(out: &Output) -> Json {
    text(&out.stderr)
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str::<Json>(l.trim())
                .ok()
                .filter(|j| j.get("code").is_some())
        })
        .unwrap_or_else(|| panic!("no error JSON on stderr: {}", describe(out)))
}

/// A recovery code (8 groups of 4 Crockford base32 characters) in `s`.
fn recovery_code(s: &str) -> Option<String> {
    s.split_whitespace()
        .find(|w| {
            let groups: Vec<&str> = w.split('-').collect();
            groups.len() == 8
                && groups.iter().all(|g| {
                    g.len() == 4
                        && g.chars().all(|c| {
                            c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))
                        })
                })
        })
        .map(String::from)
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn init_prints_the_recovery_code_and_never_overwrites_a_practice() {
    let cli = Cli::new();
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args(["init", "--no-keychain", "--admin", "admin"])
        .output()
        .unwrap();
    assert_success(&out, "init");
    let stdout = text(&out.stdout);
    let code =
        recovery_code(&stdout).unwrap_or_else(|| panic!("no recovery code: {}", describe(&out)));
    assert_eq!(
        stdout.matches(&code).count(),
        1,
        "the code is shown once: {stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("protected by a passphrase"),
        "init says plainly which key mode the practice is in: {stderr}"
    );
    assert!(!stderr.contains(PASSPHRASE) && !stdout.contains(PASSPHRASE));
    assert!(!stderr.contains(ADMIN_PASSWORD) && !stdout.contains(ADMIN_PASSWORD));

    let status = cli.run(&["status"]);
    assert_success(&status, "status");
    let s: Json = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["mode"], "passphrase", "{s}");

    let before = snapshot(&cli.data);
    assert!(before.contains_key("chartkeep.db") && before.contains_key("chartkeep.header"));
    let again = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_PASSWORD", "another-password-1")
        .env("CHARTKEEP_PASSPHRASE", "another passphrase")
        .args(["init", "--no-keychain", "--admin", "other"])
        .output()
        .unwrap();
    assert_failure(&again, "a second init");
    let stderr = text(&again.stderr);
    assert!(stderr.contains("a practice already exists"), "{stderr}");
    assert!(stderr.contains("practice_exists"), "{stderr}");
    assert!(recovery_code(&text(&again.stdout)).is_none());
    assert_eq!(
        snapshot(&cli.data),
        before,
        "the existing practice's files are unchanged"
    );
}

#[test]
fn call_runs_commands_with_roles_errors_and_the_access_log() {
    let cli = Cli::new();
    cli.init();
    cli.staff();
    let id = cli.create_patient("Garcia", "Ana");

    let found = cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "patient.search",
        json!({"query": "garc ana"}),
    );
    let found = found.as_array().expect("a list");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], id.as_str());
    assert!(
        found[0]["name"].as_str().unwrap().contains("Garcia"),
        "{}",
        found[0]
    );

    let problem = cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "problem.add",
        json!({"patient": id, "code": "E11.9"}),
    );
    assert_eq!(problem["code"], "E11.9", "{problem}");
    assert!(
        problem["display"]
            .as_str()
            .is_some_and(|d| d.to_lowercase().contains("diabetes")),
        "{problem}"
    );

    let summary = cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "chart.summary",
        json!({"patient": id}),
    );
    assert!(
        summary.to_string().contains("E11.9"),
        "the summary lists the problem: {summary}"
    );

    // An unknown ICD-10 code: refused, with a stable code, and nothing written.
    let out = cli.call_as(
        "drlee",
        CLINICIAN_PASSWORD,
        "problem.add",
        &json!({"patient": id, "code": "E11.999X"}).to_string(),
    );
    assert_failure(&out, "an unknown ICD-10 code");
    let e = error_json(&out);
    assert_eq!(e["code"], "invalid_code", "{e}");
    assert!(e["message"].as_str().unwrap().contains("E11.999X"), "{e}");
    let problems = cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "problem.list",
        json!({"patient": id}),
    );
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");

    // Malformed JSON.
    let out = cli.call_as(
        "drlee",
        CLINICIAN_PASSWORD,
        "patient.search",
        "{\"query\": ",
    );
    assert_failure(&out, "malformed JSON");
    assert_eq!(error_json(&out)["code"], "malformed_json");

    // JSON from stdin.
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "drlee")
        .env("CHARTKEEP_PASSWORD", CLINICIAN_PASSWORD)
        .args(["call", "patient.get"])
        .write_stdin(json!({ "id": id }).to_string())
        .output()
        .unwrap();
    assert_success(&out, "call with JSON on stdin");
    let p: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["family"], "Garcia", "{p}");

    // The front desk may find patients but not read charts.
    let found = cli.call_ok(
        "desk",
        DESK_PASSWORD,
        "patient.search",
        json!({"query": "garcia"}),
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    let out = cli.call_as(
        "desk",
        DESK_PASSWORD,
        "chart.summary",
        &json!({"patient": id}).to_string(),
    );
    assert_failure(&out, "chart.summary as front desk");
    assert_eq!(error_json(&out)["code"], "forbidden");

    // A wrong user password.
    let out = cli.call_as(
        "drlee",
        "not-the-password",
        "patient.search",
        r#"{"query": "garcia"}"#,
    );
    assert_failure(&out, "a wrong user password");
    assert_eq!(error_json(&out)["code"], "wrong_password");
    assert_ne!(
        out.status.code(),
        Some(3),
        "a user's password is not the practice's secret"
    );

    // The access log shows who searched and who opened the chart.
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "admin")
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args([
            "audit",
            "report",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
        ])
        .output()
        .unwrap();
    assert_success(&out, "audit report");
    let entries: Json = serde_json::from_slice(&out.stdout).unwrap();
    let entries = entries.as_array().expect("a list of entries");
    let has = |user: &str, action: &str, detail: &str, patient: Option<&str>| {
        entries.iter().any(|e| {
            e["user"] == user
                && e["action"] == action
                && e["detail"].as_str().is_some_and(|d| d.contains(detail))
                && patient.is_none_or(|p| e["patient"] == p)
        })
    };
    assert!(
        has("drlee", "search", "", None),
        "drlee's search: {entries:#?}"
    );
    assert!(
        has("desk", "search", "", None),
        "the front desk's search: {entries:#?}"
    );
    assert!(
        has("drlee", "read", "summary", Some(&id)),
        "drlee read the summary: {entries:#?}"
    );
    assert!(
        !has("desk", "read", "summary", Some(&id)),
        "a refused read is not a read"
    );
    assert!(
        has("drlee", "login_failed", "wrong_password", None)
            || has("drlee", "login_failed", "", None)
    );

    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "admin")
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_success(&out, "audit verify");
    let v: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["entries"].as_u64().unwrap() >= 10, "{v}");

    // An anchor, kept outside the practice, against which verify checks later.
    let anchor = cli.path("anchor.json");
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "admin")
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args(["audit", "anchor"])
        .arg(&anchor)
        .output()
        .unwrap();
    assert_success(&out, "audit anchor");
    cli.create_patient("After", "Anchor");
    let out = cli
        .cmd(&cli.data)
        .args(["verify", "--against"])
        .arg(&anchor)
        .output()
        .unwrap();
    assert_success(&out, "verify --against the anchor");
    assert!(
        text(&out.stderr).contains("nothing the anchor"),
        "{}",
        describe(&out)
    );
    // An edited anchor fails verify.
    let edited =
        std::fs::read_to_string(&anchor)
            .unwrap()
            .replacen("\"at\": \"20", "\"at\": \"19", 1);
    assert!(edited.contains("\"at\": \"19"), "{edited}");
    std::fs::write(&anchor, edited).unwrap();
    let out = cli
        .cmd(&cli.data)
        .args(["verify", "--against"])
        .arg(&anchor)
        .output()
        .unwrap();
    assert_failure(&out, "verify against an edited anchor");
}

#[test]
fn wrong_secrets_exit_with_status_3() {
    let cli = Cli::new();
    let code = cli.init();

    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_PASSPHRASE", "a wrong passphrase")
        .env("CHARTKEEP_USER", "admin")
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args(["call", "session.info", "{}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("passphrase"), "{stderr}");
    assert!(!stderr.contains("not a database"), "{stderr}");
    assert!(stderr.contains("wrong_secret"), "{stderr}");

    let out = cli.run(&["verify"]);
    assert_success(&out, "verify with the right passphrase");

    // `recover` with the wrong recovery code.
    let out = cli
        .cmd(&cli.data)
        .env(
            "CHARTKEEP_RECOVERY_CODE",
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYZ",
        )
        .env("CHARTKEEP_NEW_PASSPHRASE", "a brand new passphrase")
        .args(["recover", "--no-keychain"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("recovery code"),
        "{}",
        describe(&out)
    );

    // Something that is not a recovery code at all says so, and is not "wrong".
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_RECOVERY_CODE", "my dog's name")
        .env("CHARTKEEP_NEW_PASSPHRASE", "a brand new passphrase")
        .args(["recover", "--no-keychain"])
        .output()
        .unwrap();
    assert_failure(&out, "recover with a malformed code");
    assert_ne!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("malformed_recovery_code"),
        "{}",
        describe(&out)
    );

    // The right code sets a new passphrase; the old one stops working.
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_RECOVERY_CODE", code.to_lowercase())
        .env("CHARTKEEP_NEW_PASSPHRASE", "a brand new passphrase")
        .args(["recover", "--no-keychain"])
        .output()
        .unwrap();
    assert_success(&out, "recover with the right code");
    let out = cli.run(&["verify"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the old passphrase: {}",
        describe(&out)
    );
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_PASSPHRASE", "a brand new passphrase")
        .arg("verify")
        .output()
        .unwrap();
    assert_success(&out, "verify with the new passphrase");
}

#[test]
fn backup_restore_verify_rebuild_and_rekey() {
    let cli = Cli::new();
    let code = cli.init();
    cli.staff();
    let id = cli.create_patient("Okonkwo", "Chidi");

    let out = cli.run(&["verify"]);
    assert_success(&out, "verify");
    assert!(text(&out.stderr).contains("OK"), "{}", describe(&out));
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sqlite_integrity"], "ok", "{report}");
    let out = cli.run(&["rebuild", "--check"]);
    assert_success(&out, "rebuild --check");

    let file = cli.path("practice.ckbackup");
    // Every chart leaves in a backup: no login, or a clinician's, is refused.
    let out = cli
        .cmd(&cli.data)
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert_failure(&out, "a backup with no login");
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "drlee")
        .env("CHARTKEEP_PASSWORD", CLINICIAN_PASSWORD)
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert_failure(&out, "a backup by a clinician");
    assert!(!file.exists());
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_USER", "admin")
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert_success(&out, "backup");
    assert!(file.exists());
    // A second backup to the same file is refused and leaves the first alone; the
    // recovery code also lets a backup be made.
    let first = std::fs::read(&file).unwrap();
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_RECOVERY_CODE", &code)
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert_failure(&out, "a backup over an existing file");
    assert_eq!(std::fs::read(&file).unwrap(), first);

    // Restore on "another machine": a new folder, the recovery code, a new passphrase.
    let restored = cli.path("restored");
    let out = cli
        .cmd(&restored)
        .env("CHARTKEEP_RECOVERY_CODE", &code)
        .env("CHARTKEEP_PASSPHRASE", "the new machine's passphrase")
        .args(["restore", "--no-keychain"])
        .arg(&file)
        .output()
        .unwrap();
    assert_success(&out, "restore");
    let on_restored = |args: &[&str]| {
        cli.cmd(&restored)
            .env("CHARTKEEP_PASSPHRASE", "the new machine's passphrase")
            .env("CHARTKEEP_USER", "drlee")
            .env("CHARTKEEP_PASSWORD", CLINICIAN_PASSWORD)
            .args(args)
            .output()
            .unwrap()
    };
    let out = on_restored(&["verify"]);
    assert_success(&out, "verify the restored practice");
    let out = on_restored(&["call", "patient.search", r#"{"query": "okonkwo"}"#]);
    assert_success(&out, "search the restored practice");
    let found: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found[0]["id"], id.as_str(), "{found}");

    // Restoring over a practice is refused.
    let out = cli
        .cmd(&cli.data)
        .env("CHARTKEEP_RECOVERY_CODE", &code)
        .args(["restore", "--no-keychain"])
        .arg(&file)
        .output()
        .unwrap();
    assert_failure(&out, "restore into a folder that holds a practice");
    assert!(
        text(&out.stderr).contains("folder_not_empty"),
        "{}",
        describe(&out)
    );

    // Rotate the key: a new code, the old one stops working, the data stays.
    let out = cli.run(&["rekey"]);
    assert_success(&out, "rekey");
    let new_code =
        recovery_code(&text(&out.stdout)).unwrap_or_else(|| panic!("{}", describe(&out)));
    assert_ne!(new_code, code);
    let recover = |code: &str| {
        cli.cmd(&cli.data)
            .env("CHARTKEEP_RECOVERY_CODE", code)
            .args(["recover", "--no-keychain"])
            .output()
            .unwrap()
    };
    let out = recover(&code);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the old code after rekey: {}",
        describe(&out)
    );
    let out = recover(&new_code);
    assert_success(&out, "recover with the new code");
    let out = cli.run(&["verify"]);
    assert_success(&out, "verify after rekey");
    // Backups made before the rekey still open with the old code.
    let again = cli.path("restored-again");
    let out = cli
        .cmd(&again)
        .env("CHARTKEEP_RECOVERY_CODE", &code)
        .args(["restore", "--no-keychain"])
        .arg(&file)
        .output()
        .unwrap();
    assert_success(&out, "restore an old backup with the old code");
}

#[test]
fn api_docs_match_the_committed_reference() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md");
    let Ok(expected) = std::fs::read_to_string(&committed) else {
        eprintln!("skipped: {} does not exist", committed.display());
        return;
    };
    let cli = Cli::new();
    let out = cli.run(&["api-docs"]);
    assert_success(&out, "api-docs");
    let actual = text(&out.stdout);
    assert!(
        actual == expected,
        "docs/api.md is out of date: run `chartkeep api-docs > docs/api.md` (first difference at line {})",
        actual
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| actual.lines().count().min(expected.lines().count()) + 1, |i| i + 1)
    );
}

/// With a real Secret Service (gnome-keyring in a private D-Bus session, as
/// `scripts/test-all.sh` runs it), `init` keeps the key in the keychain, says so, and
/// later commands open the practice with no passphrase at all. Skipped unless
/// `CHARTKEEP_TEST_KEYCHAIN=1`; with it set, a missing keychain fails the test.
#[test]
fn keychain_mode_opens_without_a_passphrase() {
    if std::env::var("CHARTKEEP_TEST_KEYCHAIN").as_deref() != Ok("1") {
        eprintln!("skipped: set CHARTKEEP_TEST_KEYCHAIN=1 inside a D-Bus session with an unlocked keyring");
        return;
    }
    let bus =
        std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a D-Bus session for the keychain test");
    let cli = Cli::new();
    let cmd = |args: &[&str]| {
        let mut c = Command::cargo_bin("chartkeep").unwrap();
        c.env_clear()
            .env("HOME", cli.path("home"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
            .arg("--data")
            .arg(&cli.data)
            .args(args)
            .timeout(Duration::from_secs(120));
        c.output().unwrap()
    };
    let out = cmd(&["init", "--admin", "admin"]);
    assert_success(&out, "init with the keychain");
    assert!(
        text(&out.stderr).contains("kept in the OS keychain"),
        "{}",
        text(&out.stderr)
    );
    let header = std::fs::read_to_string(cli.data.join("chartkeep.header")).unwrap();
    assert!(
        header.contains("\"mode\": \"keychain\"") || header.contains("\"mode\":\"keychain\""),
        "{header}"
    );
    let out = cmd(&["call", "session.info", "--user", "admin"]);
    assert_success(&out, "a call with the key from the keychain");
    let info: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["role"], "administrator");
}

/// The hex digest `verify --digest` prints on its last stdout line, after checking that
/// verify succeeded.
fn verified_digest(cli: &Cli, data: &Path) -> String {
    let out = cli.cmd(data).args(["verify", "--digest"]).output().unwrap();
    assert_success(&out, "verify --digest");
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let hex = last
        .strip_prefix("digest: ")
        .unwrap_or_else(|| panic!("the last line is not `digest: HEX`: {}", describe(&out)));
    assert!(
        hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "not a SHA-256 in hex: {last}"
    );
    hex.to_string()
}

#[test]
fn verify_digest_prints_the_same_digest_for_the_same_chart() {
    let cli = Cli::new();
    cli.init();
    cli.staff();
    let id = cli.create_patient("Okonkwo", "Chidi");
    let first = verified_digest(&cli, &cli.data);
    // Reading a chart writes the access log, not the chart: the digest stays.
    cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "patient.get",
        json!({ "id": id }),
    );
    assert_eq!(verified_digest(&cli, &cli.data), first);

    // A copy of the folder holds the same commits, so it shows the same digest, until
    // one of them gets a commit the other lacks.
    let copy = cli.path("copy");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&cli.data).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    assert_eq!(verified_digest(&cli, &copy), first);
    let out = cli
        .cmd(&copy)
        .env("CHARTKEEP_USER", "drlee")
        .env("CHARTKEEP_PASSWORD", CLINICIAN_PASSWORD)
        .args([
            "call",
            "problem.add",
            &json!({"patient": id, "code": "I10"}).to_string(),
        ])
        .output()
        .unwrap();
    assert_success(&out, "problem.add on the copy");
    assert_ne!(verified_digest(&cli, &copy), first);
    assert_eq!(verified_digest(&cli, &cli.data), first);

    // Plain verify prints no digest.
    let out = cli.run(&["verify"]);
    assert_success(&out, "verify");
    assert!(!text(&out.stdout).contains("digest:"), "{}", describe(&out));
}

#[test]
fn export_fhir_writes_a_patients_bundle_by_mrn_or_id_and_never_overwrites() {
    let cli = Cli::new();
    cli.init();
    cli.staff();
    let id = cli.create_patient("Garcia", "Ana");
    cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "problem.add",
        json!({"patient": id, "code": "E11.9"}),
    );
    let patient = cli.call_ok(
        "drlee",
        CLINICIAN_PASSWORD,
        "patient.get",
        json!({"id": id}),
    );
    let mrn = patient["mrn"].as_str().expect("an MRN").to_string();
    let export = |who: &str, password: &str, patient: &str, out: &Path| {
        cli.cmd(&cli.data)
            .env("CHARTKEEP_USER", who)
            .env("CHARTKEEP_PASSWORD", password)
            .args(["export", "fhir", "--patient", patient, "--out"])
            .arg(out)
            .output()
            .unwrap()
    };

    let file = cli.path("garcia.json");
    let out = export("drlee", CLINICIAN_PASSWORD, &mrn, &file);
    assert_success(&out, "export fhir by MRN");
    let bundle: Json = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    let kinds: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .collect();
    assert!(
        kinds.contains(&"Patient") && kinds.contains(&"Condition"),
        "{kinds:?}"
    );
    let said: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(said["resources"].as_u64().unwrap() as usize, kinds.len());

    // The same file again is refused and left as it was; by id it works elsewhere.
    let before = std::fs::read(&file).unwrap();
    let out = export("drlee", CLINICIAN_PASSWORD, &id, &file);
    assert_failure(&out, "export onto an existing file");
    assert!(text(&out.stderr).contains("exists"), "{}", describe(&out));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let by_id = cli.path("by-id.json");
    assert_success(&export("drlee", CLINICIAN_PASSWORD, &id, &by_id), "by id");

    // Front desk staff may not export a chart; an unknown MRN says how to find one.
    let desk = cli.path("desk.json");
    let out = export("desk", DESK_PASSWORD, &id, &desk);
    assert_failure(&out, "front desk export");
    assert!(!desk.exists());
    let out = export(
        "drlee",
        CLINICIAN_PASSWORD,
        "9999999",
        &cli.path("none.json"),
    );
    assert_failure(&out, "unknown MRN");
    assert!(
        text(&out.stderr).contains("patient.search"),
        "{}",
        describe(&out)
    );
}
