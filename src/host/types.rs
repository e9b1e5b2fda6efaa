//! Requests and answers of the host's own `app.*` commands, described by the same JSON
//! Schema machinery as the API's, so the desktop UI's generated types cover them too.
//!
//! Secrets (passwords, passphrases, recovery codes) travel in these requests; their
//! `Debug` is written by hand so that no log or panic message can print one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::types::SessionInfo;

/// Whether the data folder holds a practice, and whether it is unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PracticeState {
    /// No practice in the folder: create one, open another folder, or restore a backup.
    None,
    /// A practice whose key is not unlocked yet.
    Locked,
    /// Unlocked: staff may log in.
    Open,
}

/// How the practice's database key is kept day to day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyModeName {
    Keychain,
    Passphrase,
}

impl From<crate::vault::header::KeyMode> for KeyModeName {
    fn from(m: crate::vault::header::KeyMode) -> KeyModeName {
        match m {
            crate::vault::header::KeyMode::Keychain => KeyModeName::Keychain,
            crate::vault::header::KeyMode::Passphrase => KeyModeName::Passphrase,
        }
    }
}

/// The logged-in user, and whether the session is locked (idle or by hand).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionStatus {
    #[serde(flatten)]
    pub info: SessionInfo,
    /// Locked sessions show no patient data until the same user's password is given.
    pub locked: bool,
}

/// `app.status`: what the app should show first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AppStatus {
    /// The data folder this app works on.
    pub folder: String,
    pub state: PracticeState,
    /// Known once a practice is in the folder.
    pub key_mode: Option<KeyModeName>,
    /// Whether an OS keychain answered on this machine (create offers it when it did).
    pub keychain_available: bool,
    pub practice_id: Option<String>,
    /// The practice's name for printouts (the `practice_name` setting), once unlocked.
    pub practice_name: Option<String>,
    /// This build's version.
    pub version: String,
    pub session: Option<SessionStatus>,
}

/// `app.create`: a new practice in the folder, with its first administrator.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePractice {
    pub admin_name: String,
    pub admin_password: String,
    /// Protect the key with this passphrase; `null` keeps it in the OS keychain.
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// The practice was made; the recovery code is shown once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PracticeCreated {
    pub recovery_code: String,
    pub key_mode: KeyModeName,
}

/// `app.unlock`: the passphrase in passphrase mode; `null` in keychain mode.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unlock {
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// `app.restore`: a backup file into the (empty) folder.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    pub backup_file: String,
    /// The backed-up practice's recovery code; or leave it out and give the backup's passphrase.
    #[serde(default)]
    pub recovery_code: Option<String>,
    /// A passphrase to keep the restored key under (and to open a passphrase backup when no
    /// recovery code is given); `null` keeps the key in the OS keychain.
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// `app.open_folder`: work on another data folder (only while no practice is unlocked).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenFolder {
    pub folder: String,
}

/// `app.login`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub user: String,
    pub password: String,
}

/// `app.resume`: the locked session's own user's password.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    pub password: String,
}

/// `app.backup`: write a backup of the whole practice to `file` (administrators).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupTo {
    pub file: String,
}

/// The standard a chart is saved in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The whole chart as a FHIR R4 Bundle, for another system.
    Fhir,
    /// An International Patient Summary, for the patient to take along.
    Ips,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SaveExport {
    pub patient: uuid::Uuid,
    pub format: ExportFormat,
    /// A new file on this computer.
    pub file: String,
}

/// Which practice-wide list `app.save_list` saves.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// `cds.due_list`'s rows: who is due for what in the period.
    Due,
    /// `cds.due_list`'s recall list: who to call, with their phone.
    Recall,
    /// `registry.list`: each registry's patients and why.
    Registries,
    /// A quality measure's report as the Population screen shows it, its CSV in `text`
    /// (the screen made it from `measure.evaluate`; the desktop has no download).
    Measure,
}

/// `app.save_list`: a practice-wide list as CSV in a new file on this computer (the desktop
/// has no browser download); the CSV is the one `cds.due_list` or `registry.list` answers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveList {
    pub list: ListKind,
    /// A new file on this computer.
    pub file: String,
    /// The due list's period (this month when left out).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Only these preventive rules (due and recall); all when empty.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Only these registries; all when empty.
    #[serde(default)]
    pub registries: Vec<String>,
    /// The CSV of a `measure` list.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ListWritten {
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExportWritten {
    pub file: String,
    /// Resources in the saved Bundle.
    pub resources: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BackupWritten {
    pub file: String,
    pub bytes: u64,
}

/// `app.verify`: what a check of the whole practice found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PracticeVerified {
    /// Nothing wrong was found.
    pub ok: bool,
    pub commits: u64,
    pub changes: u64,
    pub workstations: u64,
    pub access_log_entries: Option<u64>,
    /// One sentence per problem; empty when `ok`.
    pub problems: Vec<String>,
}

impl From<crate::practice::VerifyReport> for PracticeVerified {
    fn from(r: crate::practice::VerifyReport) -> PracticeVerified {
        let mut problems = Vec::new();
        if r.sqlite_integrity != "ok" {
            problems.push(format!("SQLite integrity check: {}", r.sqlite_integrity));
        }
        problems.extend(
            r.cipher_integrity
                .iter()
                .map(|c| format!("SQLCipher page check: {c}")),
        );
        problems.extend(r.ledger.problems.iter().cloned());
        if !r.projections.differences.is_empty() {
            problems.push(format!(
                "{} rows of the chart tables differ from a replay of the ledger; run 'chartkeep rebuild'",
                r.projections.differences.len()
            ));
        }
        problems.extend(
            r.access_log_problem
                .iter()
                .map(|p| format!("Access log: {p}")),
        );
        problems.extend(
            r.signed_notes
                .iter()
                .map(|n| format!("Signed note {n} differs from what was signed")),
        );
        PracticeVerified {
            ok: problems.is_empty(),
            commits: r.ledger.commits,
            changes: r.ledger.changes,
            workstations: r.ledger.devices,
            access_log_entries: r.access_log_entries,
            problems,
        }
    }
}

/// An answer with nothing to say.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Done {}

macro_rules! secret_debug {
    ($($t:ty => [$($shown:ident),*];)*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($shown), &self.$shown))*
                    .finish_non_exhaustive()
            }
        }
    )*};
}
secret_debug! {
    CreatePractice => [admin_name];
    Unlock => [];
    Restore => [backup_file];
    Login => [user];
    Resume => [];
}

/// `app.join`: make this folder a new workstation of a practice, with a pairing code from
/// a member workstation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JoinPractice {
    /// The eight-digit code the member workstation shows (`1234-5678`).
    pub code: String,
    /// The member workstation's sync address, `host:port`.
    pub address: String,
    /// Protect this workstation's key with this passphrase; `null` keeps it in the OS
    /// keychain.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// This workstation's name on the Sync screen.
    #[serde(default)]
    pub name: Option<String>,
}

/// The workstation joined; its own recovery code is shown once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PracticeJoined {
    pub recovery_code: String,
    pub key_mode: KeyModeName,
    pub practice_id: String,
    /// Commits received in the first sync (users and roles among them).
    pub received: u64,
    /// Why the first sync failed, if it did (it is retried in the background).
    pub sync_error: Option<String>,
}
