//! What one running app holds: the data folder, the practice once it is unlocked, and the
//! logged-in session.
//!
//! The desktop shell and `chartkeep serve` each keep one [`Host`] and pass every request
//! to [`Host::call`]; neither holds any state or logic of its own, so the two apps
//! behave alike and everything here is testable without a window or a socket. The host
//! answers its own `app.*` commands (open, unlock, create, restore, log in, lock, resume,
//! log out, back up) and hands every other command to [`crate::api::call`] with the
//! current session. It knows nothing of Tauri or HTTP.

pub mod background;
mod throttle;
pub mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;

use crate::api::{self, ApiError, CommandSpec, ErrorCode, Session};
use crate::chart::shape::{self, SchemaFn};
use crate::clock::{Clock, IdSource};
use crate::practice::{Admin, Practice};
use crate::vault::backup;
use crate::vault::header::{self, KeyMode};
use crate::vault::keychain::{KeyStore, KeychainError, OsKeychain};
use crate::vault::{self, KeyPlan, Secret};
pub use throttle::Throttle;
use types::*;

/// Where the host gets an OS keychain from (tests give a stand-in; the apps the real one).
pub trait KeychainSource: Send {
    fn open(&self) -> Result<Box<dyn KeyStore>, KeychainError>;
}

/// The platform's keychain (Secret Service, macOS Keychain, Windows Credential Manager).
pub struct OsKeychains;

impl KeychainSource for OsKeychains {
    fn open(&self) -> Result<Box<dyn KeyStore>, KeychainError> {
        Ok(Box::new(OsKeychain::probe()?))
    }
}

/// The shortest passphrase accepted for a practice's key.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

pub struct Host {
    folder: PathBuf,
    practice: Option<Practice>,
    session: Option<Session>,
    throttle: Throttle,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    keychains: Box<dyn KeychainSource>,
    keychain_available: Option<bool>,
    rng: ring::rand::SystemRandom,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("folder", &self.folder)
            .field("open", &self.practice.is_some())
            .finish_non_exhaustive()
    }
}

type HostHandler = fn(&mut Host, Json) -> Result<Json, ApiError>;

struct HostCommand {
    name: &'static str,
    summary: &'static str,
    errors: &'static [ErrorCode],
    request: SchemaFn,
    response: SchemaFn,
    run: HostHandler,
}

fn schema_of<T: schemars::JsonSchema>(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

fn answer<R: Serialize>(r: R) -> Result<Json, ApiError> {
    serde_json::to_value(r)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("answer not JSON: {e}")))
}

macro_rules! host_commands {
    ($($name:literal => $method:ident($req:ty) -> $resp:ty, [$($err:ident),*], $summary:literal;)*) => {
        const HOST_COMMANDS: &[HostCommand] = &[$(
            HostCommand {
                name: $name,
                summary: $summary,
                errors: &[$(ErrorCode::$err),*],
                request: schema_of::<$req>,
                response: schema_of::<$resp>,
                run: {
                    fn go(h: &mut Host, args: Json) -> Result<Json, ApiError> {
                        let request: $req = shape::parse(args)?;
                        answer(h.$method(request)?)
                    }
                    go
                },
            },
        )*];
    };
}

host_commands! {
    "app.status" => status(crate::api::types::NoArgs) -> AppStatus, [],
        "What the app shows first: is there a practice in the folder, is it unlocked, how is its key kept, who is logged in.";
    "app.open_folder" => open_folder(OpenFolder) -> AppStatus, [PracticeOpen],
        "Work on another data folder; only while no practice is unlocked.";
    "app.create" => create(CreatePractice) -> PracticeCreated, [PracticeExists, KeychainUnavailable, PracticeOpen],
        "Create a practice in the folder with its first administrator; answers the recovery code, shown once.";
    "app.join" => join(JoinPractice) -> PracticeJoined, [PracticeExists, KeychainUnavailable, PracticeOpen, PairingCodeWrong, PairingNoInvite, PairingCodeExpired, SyncUnreachable],
        "Make this folder a new workstation of a practice with a member's pairing code, and receive the practice; answers this workstation's recovery code, shown once.";
    "app.unlock" => unlock(Unlock) -> AppStatus, [PracticeMissing, WrongSecret, PassphraseNeeded, KeyNotInKeychain, KeychainUnavailable, DeviceKeyMissing, DatabaseWrongKeyOrDamaged],
        "Unlock the practice: from the OS keychain (no passphrase) or with its passphrase.";
    "app.restore" => restore(Restore) -> AppStatus, [FolderNotEmpty, BackupDamaged, WrongSecret, MalformedRecoveryCode, PassphraseNeeded, KeychainUnavailable, PracticeOpen],
        "Restore a backup into the (empty) folder, with its recovery code or passphrase; it must verify.";
    "app.login" => login(Login) -> SessionStatus, [PracticeLocked, WrongPassword, AccountDisabled, LoginThrottled],
        "Log in a staff member; after five failures in a row each attempt waits, longer each time.";
    "app.lock" => lock(crate::api::types::NoArgs) -> Done, [],
        "Lock the session (idle or by hand): nothing more is answered until app.resume.";
    "app.resume" => resume(Resume) -> SessionStatus, [NotLoggedIn, WrongPassword, LoginThrottled],
        "Unlock a locked session with the same user's password.";
    "app.logout" => logout(crate::api::types::NoArgs) -> Done, [],
        "End the session (switch user on a shared machine).";
    "app.backup" => backup(BackupTo) -> BackupWritten, [NotLoggedIn, FileExists, IoError],
        "Write a backup of the whole practice to a file (administrators); logged.";
    "app.save_export" => save_export(SaveExport) -> ExportWritten, [NotLoggedIn, NotFound, FileExists, IoError],
        "Save a patient's chart to a file on this computer, as a full FHIR R4 record (`fhir`) or an International Patient Summary (`ips`); never over an existing file; logged.";
    "app.save_list" => save_list(SaveList) -> ListWritten, [NotLoggedIn, FileExists, IoError],
        "Save a practice-wide list (the due list, the recall list or the registries) as CSV to a new file on this computer; never over an existing file.";
    "app.verify" => verify(crate::api::types::NoArgs) -> PracticeVerified, [NotLoggedIn],
        "Check the whole practice as `chartkeep verify` does (administrators; it reads every commit, so it takes a while); logged.";
}

/// The host's commands as the reference and the UI's generated types describe them.
pub fn commands() -> Vec<CommandSpec> {
    HOST_COMMANDS
        .iter()
        .map(|c| CommandSpec {
            name: c.name.to_string(),
            permissions: Vec::new(),
            summary: c.summary.to_string(),
            errors: c.errors.to_vec(),
            request: c.request,
            response: c.response,
        })
        .collect()
}

fn err(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

impl Host {
    pub fn new(
        folder: PathBuf,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        keychains: Box<dyn KeychainSource>,
    ) -> Host {
        Host {
            folder,
            practice: None,
            session: None,
            throttle: Throttle::default(),
            clock,
            ids,
            keychains,
            keychain_available: None,
            rng: ring::rand::SystemRandom::new(),
        }
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The unlocked practice, for shells that show facts about it (Help → About).
    pub fn practice(&self) -> Option<&Practice> {
        self.practice.as_ref()
    }

    /// Runs any command: the host's own `app.*`, or an API command as the session's user.
    pub fn call(&mut self, command: &str, args: Json) -> Result<Json, ApiError> {
        match HOST_COMMANDS.iter().find(|c| c.name == command) {
            Some(c) => (c.run)(self, args),
            None => self.api(command, args),
        }
    }

    /// Runs an API command (never an `app.*` one) as the session's user.
    pub fn api(&mut self, command: &str, args: Json) -> Result<Json, ApiError> {
        if command.starts_with("app.") {
            return Err(err(
                ErrorCode::UnknownCommand,
                format!("'{command}' is not an API command; host commands have their own entry"),
            ));
        }
        let (practice, session) =
            self.signed_in("Nobody is logged in on this workstation; log in first.")?;
        api::call(practice, session, command, args)
    }

    /// The open practice and the logged-in session, or why there are none.
    fn signed_in(&mut self, nobody: &str) -> Result<(&mut Practice, &mut Session), ApiError> {
        let practice = self
            .practice
            .as_mut()
            .ok_or_else(|| not_open(&self.folder))?;
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| err(ErrorCode::NotLoggedIn, nobody))?;
        Ok((practice, session))
    }

    fn keychain_available(&mut self) -> bool {
        if self.keychain_available.is_none() {
            self.keychain_available = Some(self.keychains.open().is_ok());
        }
        self.keychain_available.unwrap_or(false)
    }

    fn status(&mut self, _: api::types::NoArgs) -> Result<AppStatus, ApiError> {
        let keychain_available = self.keychain_available();
        let now = self.clock.now_ms();
        let (state, key_mode, practice_id) = match &self.practice {
            Some(p) => (
                PracticeState::Open,
                Some(p.header().mode.into()),
                Some(p.practice_id().to_string()),
            ),
            None => match header::read(&self.folder) {
                Ok(h) => (
                    PracticeState::Locked,
                    Some(h.mode.into()),
                    Some(h.practice_id.clone()),
                ),
                Err(_) => (PracticeState::None, None, None),
            },
        };
        let practice_name = self.practice.as_ref().and_then(|p| {
            crate::access::users::setting(p.reader(), "practice_name")
                .ok()
                .flatten()
                .filter(|n| !n.trim().is_empty())
        });
        Ok(AppStatus {
            folder: self.folder.display().to_string(),
            state,
            key_mode,
            keychain_available,
            practice_id,
            practice_name,
            version: env!("CARGO_PKG_VERSION").to_string(),
            session: self.session.as_ref().map(|s| SessionStatus {
                info: s.info(),
                locked: s.is_locked() || s.is_idle(now),
            }),
        })
    }

    fn open_folder(&mut self, r: OpenFolder) -> Result<AppStatus, ApiError> {
        if self.practice.is_some() {
            return Err(practice_open());
        }
        let folder = PathBuf::from(r.folder.trim());
        if folder.as_os_str().is_empty() {
            return Err(err(
                ErrorCode::InvalidInput,
                "folder: give the practice's data folder",
            ));
        }
        self.folder = folder;
        self.status(api::types::NoArgs {})
    }

    /// The OS keychain for a new practice's key, when it is to be kept there.
    fn new_key_store(&self, keychain: bool) -> Result<Option<Box<dyn KeyStore>>, ApiError> {
        if !keychain {
            return Ok(None);
        }
        self.keychains.open().map(Some).map_err(|e| {
            err(
                ErrorCode::KeychainUnavailable,
                format!("{e}. Protect the key with a passphrase instead; nothing was created."),
            )
        })
    }

    fn join(&mut self, r: JoinPractice) -> Result<PracticeJoined, ApiError> {
        if self.practice.is_some() {
            return Err(practice_open());
        }
        if header::path_in(&self.folder).exists() || vault::db_path(&self.folder).exists() {
            return Err(err(
                ErrorCode::PracticeExists,
                format!(
                    "{} already holds a practice; choose an empty folder to join from",
                    self.folder.display()
                ),
            ));
        }
        let store = self.new_key_store(r.passphrase.is_none())?;
        let plan = key_plan(r.passphrase, store.as_deref())?;
        vault::make_private_dir(&self.folder)?;
        let joined = crate::sync::join::join(
            &self.folder,
            &r.code,
            &r.address,
            plan,
            r.name.as_deref().unwrap_or("workstation"),
            self.clock.clone(),
            self.ids.clone(),
            &self.rng,
        )?;
        let key_mode = joined.practice.header().mode.into();
        let practice_id = joined.practice.practice_id().to_string();
        self.practice = Some(joined.practice);
        self.session = None;
        Ok(PracticeJoined {
            recovery_code: joined.recovery.as_str().to_string(),
            key_mode,
            practice_id,
            received: joined.received,
            sync_error: joined.sync_error,
        })
    }

    fn create(&mut self, r: CreatePractice) -> Result<PracticeCreated, ApiError> {
        if self.practice.is_some() {
            return Err(practice_open());
        }
        let admin_name = r.admin_name.trim();
        if admin_name.is_empty() {
            return Err(err(
                ErrorCode::InvalidInput,
                "admin_name: give the administrator's user name",
            ));
        }
        let store = self.new_key_store(r.passphrase.is_none())?;
        let plan = key_plan(r.passphrase, store.as_deref())?;
        vault::make_private_dir(&self.folder)?;
        let (practice, recovery) = Practice::init(
            &self.folder,
            plan,
            Admin {
                name: admin_name,
                password: &r.admin_password,
            },
            self.clock.clone(),
            self.ids.clone(),
            &self.rng,
        )?;
        let key_mode = practice.header().mode.into();
        self.practice = Some(practice);
        self.session = None;
        Ok(PracticeCreated {
            recovery_code: recovery.as_str().to_string(),
            key_mode,
        })
    }

    fn unlock(&mut self, r: Unlock) -> Result<AppStatus, ApiError> {
        if self.practice.is_none() {
            backup::finish_interrupted_rekey(&self.folder)?;
            let h = header::read(&self.folder).map_err(|_| not_open(&self.folder))?;
            let (key, h) = match (h.mode, r.passphrase.as_deref()) {
                (KeyMode::Passphrase, Some(p)) => {
                    vault::unlock(&self.folder, Secret::Passphrase(p))?
                }
                (KeyMode::Passphrase, None) => {
                    return Err(err(
                        ErrorCode::PassphraseNeeded,
                        "This practice's key is protected by a passphrase; type it to unlock.",
                    ))
                }
                (KeyMode::Keychain, _) => {
                    let store = self.keychains.open().map_err(|e| {
                        keychain_refused(&e, "This practice keeps its key in the OS keychain: unlock the keychain, or open the practice with its recovery code (chartkeep recover).")
                    })?;
                    vault::unlock(&self.folder, Secret::Keychain(store.as_ref()))?
                }
            };
            let practice =
                Practice::open(&self.folder, key, h, self.clock.clone(), self.ids.clone())?;
            self.practice = Some(practice);
        }
        self.status(api::types::NoArgs {})
    }

    fn restore(&mut self, r: Restore) -> Result<AppStatus, ApiError> {
        if self.practice.is_some() {
            return Err(practice_open());
        }
        let file = PathBuf::from(r.backup_file.trim());
        let contents = backup::read_backup(&file)?;
        let code = r
            .recovery_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let key = match (code, r.passphrase.as_deref()) {
            (Some(code), _) => backup::unlock_backup(&contents, Some(code), None)?,
            (None, Some(p)) => backup::unlock_backup(&contents, None, Some(p))?,
            (None, None) => {
                return Err(err(
                    ErrorCode::PassphraseNeeded,
                    "Give the backed-up practice's recovery code (or its passphrase).",
                ))
            }
        };
        // Decide where the key will be kept before anything is written.
        let store = match &r.passphrase {
            Some(p) if p.chars().count() < MIN_PASSPHRASE_CHARS => {
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("passphrase: use at least {MIN_PASSPHRASE_CHARS} characters; nothing was restored"),
                ))
            }
            Some(_) => None,
            None => Some(self.keychains.open().map_err(|e| {
                keychain_refused(&e, "Give a passphrase to protect the restored practice's key; nothing was restored.")
            })?),
        };
        backup::restore_into(&contents, &key, &self.folder)?;
        let plan = match (&store, r.passphrase) {
            (Some(s), _) => KeyPlan::Keychain(s.as_ref()),
            (None, Some(p)) => KeyPlan::Passphrase(p),
            (None, None) => unreachable!("a keychain or a passphrase was settled above"),
        };
        let h = vault::store_key(&self.folder, &key, plan, code, &self.rng)?;
        let mut practice =
            Practice::open(&self.folder, key, h, self.clock.clone(), self.ids.clone())?;
        let report = practice.verify()?;
        if !report.ok() {
            return Err(err(
                ErrorCode::DatabaseDamaged,
                "The restored practice did not verify. Keep the backup file and run 'chartkeep verify' for the details.",
            ));
        }
        self.practice = Some(practice);
        self.session = None;
        self.status(api::types::NoArgs {})
    }

    fn throttled(&self) -> Result<(), ApiError> {
        match self.throttle.wait_ms(self.clock.now_ms()) {
            None => Ok(()),
            Some(ms) => Err(err(
                ErrorCode::LoginThrottled,
                format!(
                    "Too many failed logins on this workstation. Wait {} seconds, then try again.",
                    (ms + 999) / 1000
                ),
            )),
        }
    }

    fn count(&mut self, out: &Result<Session, ApiError>) {
        match out {
            Ok(_) => self.throttle.succeeded(),
            Err(e) if e.code == ErrorCode::WrongPassword => {
                self.throttle.failed(self.clock.now_ms())
            }
            Err(_) => {}
        }
    }

    fn login(&mut self, r: Login) -> Result<SessionStatus, ApiError> {
        self.sign_in(r.user.trim().to_string(), &r.password)
    }

    /// Checks a password (after any wait the throttle asks for) and makes the session.
    fn sign_in(&mut self, user: String, password: &str) -> Result<SessionStatus, ApiError> {
        self.throttled()?;
        let practice = self
            .practice
            .as_mut()
            .ok_or_else(|| not_open(&self.folder))?;
        let out = api::login(practice, &user, password);
        self.count(&out);
        let session = out?;
        let info = session.info();
        self.session = Some(session);
        Ok(SessionStatus {
            info,
            locked: false,
        })
    }

    fn lock(&mut self, _: api::types::NoArgs) -> Result<Done, ApiError> {
        if let Some(s) = self.session.as_mut() {
            s.lock();
        }
        Ok(Done {})
    }

    fn resume(&mut self, r: Resume) -> Result<SessionStatus, ApiError> {
        let name = match &self.session {
            Some(s) => s.user.name.clone(),
            None => return Err(err(ErrorCode::NotLoggedIn, "No session to resume; log in.")),
        };
        self.sign_in(name, &r.password)
    }

    fn logout(&mut self, _: api::types::NoArgs) -> Result<Done, ApiError> {
        if let (Some(p), Some(s)) = (self.practice.as_ref(), self.session.take()) {
            let at = crate::clock::rfc3339(p.clock.now_ms());
            p.log_access(&crate::access::audit::Access {
                at: &at,
                user_id: &s.user.id.to_string(),
                user_name: &s.user.name,
                patient: None,
                action: "logout",
                category: "session",
                workstation: &s.workstation,
                detail: "",
            })?;
        }
        Ok(Done {})
    }

    fn verify(&mut self, _: api::types::NoArgs) -> Result<PracticeVerified, ApiError> {
        let (practice, session) = self.signed_in("Log in as an administrator to verify.")?;
        Ok(api::verify(practice, session)?.into())
    }

    fn save_export(&mut self, r: SaveExport) -> Result<ExportWritten, ApiError> {
        let file = PathBuf::from(r.file.trim());
        if file.as_os_str().is_empty() {
            return Err(err(ErrorCode::InvalidInput, "Choose a file to save to."));
        }
        // Checked before the export too, so a clash costs no work and no access-log entry.
        if file.exists() {
            return Err(crate::interop::InteropError::Exists(file).into());
        }
        let (practice, session) = self.signed_in("Log in to export a chart.")?;
        let command = match r.format {
            ExportFormat::Fhir => "export.fhir_patient",
            ExportFormat::Ips => "export.ips",
        };
        let out = api::call(
            practice,
            session,
            command,
            serde_json::json!({ "patient": r.patient }),
        )?;
        let bundle = &out["bundle"];
        let text = serde_json::to_string_pretty(bundle)
            .map_err(|e| err(ErrorCode::InternalError, e.to_string()))?;
        crate::interop::write_new_file(&file, text.as_bytes())?;
        Ok(ExportWritten {
            file: file.display().to_string(),
            resources: bundle["entry"].as_array().map_or(0, Vec::len) as u64,
        })
    }

    fn save_list(&mut self, r: SaveList) -> Result<ListWritten, ApiError> {
        let file = PathBuf::from(r.file.trim());
        if file.as_os_str().is_empty() {
            return Err(err(ErrorCode::InvalidInput, "Choose a file to save to."));
        }
        if file.exists() {
            return Err(crate::interop::InteropError::Exists(file).into());
        }
        let (practice, session) = self.signed_in("Log in to save a list.")?;
        let (command, args, field) = match r.list {
            ListKind::Due | ListKind::Recall => (
                "cds.due_list",
                serde_json::json!({ "from": r.from, "to": r.to, "rules": r.rules, "csv": true, "limit": 0 }),
                if r.list == ListKind::Due {
                    "csv"
                } else {
                    "recall_csv"
                },
            ),
            ListKind::Registries => (
                "registry.list",
                serde_json::json!({ "registries": r.registries }),
                "csv",
            ),
            // Made by the screen from `measure.evaluate`; written as given.
            ListKind::Measure => {
                let text = r.text.unwrap_or_default();
                if text.trim().is_empty() {
                    return Err(err(
                        ErrorCode::InvalidInput,
                        "text: give the measure's CSV (choose a measure first).",
                    ));
                }
                crate::interop::write_new_file(&file, text.as_bytes())?;
                return Ok(ListWritten {
                    file: file.display().to_string(),
                    bytes: text.len() as u64,
                });
            }
        };
        let out = api::call(practice, session, command, args)?;
        let text = out[field].as_str().unwrap_or_default();
        crate::interop::write_new_file(&file, text.as_bytes())?;
        Ok(ListWritten {
            file: file.display().to_string(),
            bytes: text.len() as u64,
        })
    }

    fn backup(&mut self, r: BackupTo) -> Result<BackupWritten, ApiError> {
        let practice = self
            .practice
            .as_mut()
            .ok_or_else(|| not_open(&self.folder))?;
        let session = self.session.as_mut().ok_or_else(|| {
            err(
                ErrorCode::NotLoggedIn,
                "Log in as an administrator to back up.",
            )
        })?;
        let file = PathBuf::from(r.file.trim());
        let bytes = api::backup(practice, session, &file, &self.rng)?;
        Ok(BackupWritten {
            file: file.display().to_string(),
            bytes,
        })
    }
}

fn not_open(folder: &Path) -> ApiError {
    if header::path_in(folder).exists() {
        err(
            ErrorCode::PracticeLocked,
            "The practice is not unlocked yet; unlock it first.",
        )
    } else {
        err(
            ErrorCode::PracticeMissing,
            format!(
                "No practice in {}: create one, open another folder, or restore a backup.",
                folder.display()
            ),
        )
    }
}

/// A keychain that did not answer, said for the app rather than the command line.
fn keychain_refused(e: &KeychainError, what_to_do: &str) -> ApiError {
    let what = match e {
        KeychainError::Unavailable(_) => "No OS keychain answered on this computer.".to_string(),
        other => format!("{other}."),
    };
    let code = ErrorCode::parse(e.code()).unwrap_or(ErrorCode::KeychainUnavailable);
    err(code, format!("{what} {what_to_do}"))
}

/// How a new practice's key is kept: the passphrase given (long enough), or the keychain.
fn key_plan(
    passphrase: Option<String>,
    store: Option<&dyn KeyStore>,
) -> Result<KeyPlan<'_>, ApiError> {
    match (passphrase, store) {
        (Some(p), _) if p.chars().count() < MIN_PASSPHRASE_CHARS => Err(err(
            ErrorCode::InvalidInput,
            format!(
                "passphrase: use at least {MIN_PASSPHRASE_CHARS} characters; nothing was created"
            ),
        )),
        (Some(p), _) => Ok(KeyPlan::Passphrase(p)),
        (None, Some(k)) => Ok(KeyPlan::Keychain(k)),
        (None, None) => Err(err(
            ErrorCode::KeychainUnavailable,
            "no keychain was opened for this key; protect it with a passphrase instead",
        )),
    }
}

fn practice_open() -> ApiError {
    err(
        ErrorCode::PracticeOpen,
        "A practice is already open in this app; quit and start again to work on another.",
    )
}
