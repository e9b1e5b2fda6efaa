//! The one dispatcher: `call(practice, session, "domain.verb", json)`.
//!
//! The desktop shell, the local HTTP server and `chartkeep call` all come through here, so
//! every command is checked against the caller's role, every chart read is written to the
//! access log, and every error reaches the user as `{code, message}`.

mod care;
mod commands;
mod docs;
mod error;
mod session;
pub mod types;
mod typescript;

pub use commands::{command_names, commands, CommandSpec, COMMON_ERRORS};
pub use docs::{markdown as docs_markdown, schema as docs_schema, schema_text as docs_schema_text};
pub use error::ErrorCode;
pub use session::{login, Session};
pub use typescript::module as typescript_module;

use serde::Serialize;
use serde_json::Value as Json;

use crate::access::AccessError;
use crate::chart::ChartError;
use crate::ledger::LedgerError;
use crate::practice::{Practice, PracticeError};

/// What every caller sees of an error: a stable code to branch on, and a message that
/// says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// An engine error's code looked up in the table; one missing from it is a bug, and
    /// is reported as such rather than passed on as free text.
    fn from_engine(code: &str, message: String) -> ApiError {
        let known = ErrorCode::parse(code);
        if known.is_none() {
            tracing::error!(code, "engine error code missing from api::ErrorCode");
        }
        ApiError::new(known.unwrap_or(ErrorCode::InternalError), message)
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
                ApiError::from_engine(code, e.to_string())
            }
        }
    )*};
}
from_engine_error!(
    AccessError,
    ChartError,
    LedgerError,
    PracticeError,
    crate::vault::VaultError,
    crate::sync::SyncError,
    crate::interop::InteropError,
    crate::care::immunization::CdsiError,
    crate::care::definitions::DefinitionError,
    crate::care::measures::MeasureError
);

/// Runs one command as the session's user.
pub fn call(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: Json,
) -> Result<Json, ApiError> {
    let out = session
        .touch(practice.clock.now_ms())
        .and_then(|()| session.refresh(practice))
        .and_then(|()| commands::dispatch(practice, session, command, &args));
    if let Err(e) = &out {
        log_refusal(practice, session, command, &args, e);
    }
    out
}

/// Runs a practice-wide action that only an administrator may take (it discloses every
/// chart), through the same session checks as a command; logs it as an export with
/// `detail`, or logs the refusal.
fn as_administrator<T>(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    what: &str,
    detail: &str,
    action: impl FnOnce(&mut Practice) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let out = session
        .touch(practice.clock.now_ms())
        .and_then(|()| session.refresh(practice))
        .and_then(|()| {
            if session.user.role.may(crate::access::Permission::Administer) {
                Ok(())
            } else {
                Err(AccessError::Forbidden {
                    role: session.user.role.name().to_string(),
                    what: format!("{what}; ask the practice administrator"),
                }
                .into())
            }
        })
        .and_then(|()| action(practice));
    match &out {
        Ok(_) => commands::log(practice, session, None, "export", "practice", detail)?,
        Err(e) => log_refusal(practice, session, command, &serde_json::json!({}), e),
    }
    out
}

/// Writes a backup of the whole practice: every chart leaves in one file, so only an
/// administrator may, and the access log says who did, when and where to.
pub fn backup(
    practice: &mut Practice,
    session: &mut Session,
    file: &std::path::Path,
    rng: &dyn ring::rand::SecureRandom,
) -> Result<u64, ApiError> {
    let detail = format!("backup to {}", file.display());
    as_administrator(
        practice,
        session,
        "practice.backup",
        "back up the practice",
        &detail,
        |p| Ok(p.backup(file, rng)?),
    )
}

/// Every chart in the practice as FHIR R4 NDJSON under `dir`, with a manifest: the
/// practice's way out to another system, so only an administrator may; logged.
pub fn export_fhir_all(
    practice: &mut Practice,
    session: &mut Session,
    dir: &std::path::Path,
) -> Result<crate::interop::fhir::bulk::BulkExport, ApiError> {
    let detail = format!("FHIR R4 NDJSON of every patient to {}", dir.display());
    as_administrator(
        practice,
        session,
        "export.fhir_all",
        "export every chart",
        &detail,
        |p| {
            let now = p.clock.now_ms();
            Ok(crate::interop::fhir::bulk::practice_ndjson(
                p.reader(),
                dir,
                now,
            )?)
        },
    )
}

/// Imports FHIR R4 files or bytes (see [`crate::interop::fhir::import`]) as the session's
/// user, who needs to write charts, register patients and sign (imported final notes stay
/// signed, vouched for by the importer). Logged with what was imported; the report says
/// what became of every resource.
pub fn import_fhir(
    practice: &mut Practice,
    session: &mut Session,
    inputs: Vec<crate::interop::fhir::import::Input>,
    on_match: crate::interop::fhir::import::OnMatch,
    decisions: &[types::ImportDecision],
    progress: &mut dyn FnMut(&crate::interop::fhir::import::Progress),
) -> Result<crate::interop::fhir::import::ImportReport, ApiError> {
    use crate::access::Permission::{EditDemographics, Sign, WriteChart};
    session.touch(practice.clock.now_ms())?;
    session.refresh(practice)?;
    if let Some(missing) = [WriteChart, EditDemographics, Sign]
        .into_iter()
        .find(|p| !session.user.role.may(*p))
    {
        let e: ApiError = AccessError::Forbidden {
            role: session.user.role.name().to_string(),
            what: format!(
                "import charts (it needs the {} permission); ask a clinician",
                missing.name()
            ),
        }
        .into();
        log_refusal(practice, session, "import.fhir", &serde_json::json!({}), &e);
        return Err(e);
    }
    let files: Vec<String> = inputs
        .iter()
        .map(|i| match i {
            crate::interop::fhir::import::Input::Path(p) => p.display().to_string(),
            crate::interop::fhir::import::Input::Bytes { name, .. } => name.clone(),
        })
        .collect();
    let opts = crate::interop::fhir::import::Options {
        on_match,
        decisions: decisions
            .iter()
            .map(|d| (d.source.clone(), d.decision()))
            .collect(),
        ..Default::default()
    };
    let author = session.user.id;
    let report = crate::interop::fhir::import::run(practice, author, inputs, &opts, progress);
    for p in &report.patients {
        commands::log(
            practice,
            session,
            Some(&p.patient.to_string()),
            "import",
            "chart",
            &format!("FHIR import: {} records", p.records),
        )?;
    }
    let detail = match files.as_slice() {
        [one] => format!("FHIR import of {one}"),
        many => format!("FHIR import of {} files", many.len()),
    };
    commands::log(practice, session, None, "import", "practice", &detail)?;
    Ok(report)
}

/// A signed anchor of the ledger's and the access log's heads, for an administrator to
/// keep outside the practice (`chartkeep audit anchor FILE`); logged.
pub fn anchor(
    practice: &mut Practice,
    session: &mut Session,
) -> Result<crate::ledger::anchor::Anchor, ApiError> {
    as_administrator(
        practice,
        session,
        "audit.anchor",
        "anchor the ledger",
        "anchor",
        |p| Ok(p.anchor()?),
    )
}

/// The whole practice checked, as `chartkeep verify` does (integrity, every commit's
/// signature and chain, the tables against a replay, signed notes, the access log), for an
/// administrator; logged. It reads every commit, so it takes a while on a large practice.
pub fn verify(
    practice: &mut Practice,
    session: &mut Session,
) -> Result<crate::practice::VerifyReport, ApiError> {
    as_administrator(
        practice,
        session,
        "practice.verify",
        "verify the practice",
        "verify",
        |p| Ok(p.verify()?),
    )
}

/// A backup by whoever holds the recovery code (which opens every chart anyway), logged
/// as such.
pub fn backup_with_recovery_code(
    practice: &mut Practice,
    file: &std::path::Path,
    rng: &dyn ring::rand::SecureRandom,
) -> Result<u64, ApiError> {
    let n = practice.backup(file, rng)?;
    let at = crate::clock::rfc3339(practice.clock.now_ms());
    let workstation = practice.workstation();
    practice.log_access(&crate::access::audit::Access {
        at: &at,
        user_id: "",
        user_name: "recovery code",
        patient: None,
        action: "export",
        category: "practice",
        workstation: &workstation,
        detail: &format!("backup to {}", file.display()),
    })?;
    Ok(n)
}

/// One HL7 v2 message from a lab interface (`chartkeep hl7 listen`), as `hl7.receive` takes
/// it, for a session that stays open as long as the interface runs.
///
/// The account is checked at every message (its role must still write the chart, and a
/// disabled account stops the interface), but the idle lock is not applied: it guards a
/// screen left unattended, and an interface has no screen, only messages that may be hours
/// apart.
pub fn receive_hl7(
    practice: &mut Practice,
    session: &mut Session,
    text: &str,
) -> Result<types::Hl7Received, ApiError> {
    let out = session
        .refresh(practice)
        .and_then(|()| {
            commands::require(
                session,
                &[crate::access::Permission::WriteChart],
                "hl7.receive",
            )
        })
        .and_then(|()| commands::receive_hl7(practice, session, text));
    if let Err(e) = &out {
        log_refusal(practice, session, "hl7.receive", &serde_json::json!({}), e);
    }
    out
}

/// Denied and failed attempts go to the access log too (ASTM E2147, ONC 170.315(d)(2)):
/// who tried what, on which chart, and the error code. A log that cannot be written does
/// not hide the original error.
fn log_refusal(practice: &Practice, session: &Session, command: &str, args: &Json, e: &ApiError) {
    let action = if e.code == ErrorCode::Forbidden {
        "denied"
    } else {
        "failed"
    };
    let patient = commands::patient_in(practice, command, args);
    let detail = format!("{command}: {}", e.code);
    if let Err(log_error) = commands::log(
        practice,
        session,
        patient.as_deref(),
        action,
        "command",
        &detail,
    ) {
        tracing::error!(code = %log_error.code, "could not log a refused command");
    }
}

/// Writes value sets read from files (see [`crate::care::measures::value_sets`]) as the
/// session's administrator, in one commit; `report` already holds the files skipped.
pub fn import_value_sets(
    practice: &mut Practice,
    session: &mut Session,
    sets: &[crate::care::measures::value_sets::ValueSetFile],
    mut report: crate::care::measures::value_sets::ValueSetImport,
) -> Result<crate::care::measures::value_sets::ValueSetImport, ApiError> {
    session.touch(practice.clock.now_ms())?;
    session.refresh(practice)?;
    commands::require(
        session,
        &[crate::access::Permission::Administer],
        "valueset.import",
    )?;
    let changes = {
        let ctx = practice.chart_ctx();
        crate::care::measures::value_sets::changes(&ctx, sets, &mut report)?
    };
    if !changes.is_empty() {
        practice.commit(session.user.id, changes)?;
    }
    commands::log(
        practice,
        session,
        None,
        "import",
        "settings",
        &format!(
            "value sets: {} added, {} updated, {} unchanged",
            report.added, report.updated, report.unchanged
        ),
    )?;
    Ok(report)
}
