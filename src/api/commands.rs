//! Every command: its permission, its typed request and response, what it logs, and its
//! handler.
//!
//! The JSON a caller sends is parsed once into the command's request type; a handler
//! takes that type and returns its response type, which is serialized once on the way
//! out. The same types give `docs/api.md` and `docs/api.schema.json` (see `docs.rs`), so
//! the published shapes are the ones the handlers use.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::care::*;
use super::types::*;
use super::{ApiError, ErrorCode, Session};
use crate::access::audit::{Access, Entry};
use crate::access::users::{SettingInfo, UserInfo, UserUpdate};
use crate::access::{self, Permission};
use crate::care::measures::value_sets::{self as value_sets, ValueSetImport};
use crate::care::measures::{self as measures, Evaluation, Measure};
use crate::chart::conflicts::{self, Choice, Conflict, Duplicate};
use crate::chart::documents::Content;
use crate::chart::entities::{
    self, AllergyRecord, ImportedResourceRecord, ObservationRecord, PatientFields, PatientRecord,
};
use crate::chart::notes::NoteView;
use crate::chart::patient::PatientView;
use crate::chart::search::Hit;
use crate::chart::shape::{self, RecordUpdate, SchemaFn};
use crate::chart::summary::Summary;
use crate::chart::timeline::{Event, Point};
use crate::chart::vitals::{LabsForm, VitalsForm};
use crate::chart::{self, record, ChartError, HistoryEntry};
use crate::interop::fhir::import::ImportReport;
use crate::interop::hl7v2::codes::{CodeMapSet, CodeMapping};
use crate::interop::hl7v2::entities::{Hl7MessageRecord, HL7_CODE_MAP, HL7_MESSAGE};
use crate::interop::hl7v2::queue::HeldMessage;
use crate::interop::hl7v2::receive;
use crate::ledger::schema::EntityDef;
use crate::ledger::Change;
use crate::practice::Practice;
use crate::sync::status::{DeviceInfo, SyncStatus};

/// A command as the reference and the schema describe it.
pub struct CommandSpec {
    pub name: String,
    /// Any one of these lets a role run the command.
    pub permissions: Vec<Permission>,
    pub summary: String,
    /// The codes this command's own logic may answer, beyond [`COMMON_ERRORS`].
    pub errors: Vec<ErrorCode>,
    pub request: SchemaFn,
    pub response: SchemaFn,
}

/// Codes every command may answer: the session checks, the permission check, a request
/// that does not fit its type, and a failing database.
pub const COMMON_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidInput,
    ErrorCode::Forbidden,
    ErrorCode::SessionLocked,
    ErrorCode::AccountDisabled,
    ErrorCode::StorageError,
    ErrorCode::InternalError,
];

/// The verbs every patient-scoped kind of record answers.
pub const RECORD_VERBS: &[&str] = &["add", "update", "retract", "get", "list", "history"];

type Handler = fn(&mut Practice, &mut Session, Json) -> Result<Json, ApiError>;

struct Fixed {
    name: &'static str,
    permission: Permission,
    summary: &'static str,
    errors: &'static [ErrorCode],
    request: SchemaFn,
    response: SchemaFn,
    run: Handler,
}

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Parses the request into `Q` once, runs the handler, serializes its `R`.
fn run<Q: shape::Request, R: Serialize>(
    args: Json,
    handler: impl FnOnce(Q) -> Result<R, ApiError>,
) -> Result<Json, ApiError> {
    let request = Q::from_json(args)?;
    let response = handler(request)?;
    serde_json::to_value(response)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("answer not JSON: {e}")))
}

/// Declares the fixed commands: `name => handler(Request) -> Response`, the permission,
/// the error codes its logic may answer, and the one-line summary.
macro_rules! fixed_commands {
    ($($name:literal => $handler:ident($req:ty) -> $resp:ty, $perm:ident, [$($err:ident),*], $summary:literal;)*) => {
        const FIXED: &[Fixed] = &[$(
            Fixed {
                name: $name,
                permission: Permission::$perm,
                summary: $summary,
                errors: &[$(ErrorCode::$err),*],
                request: schema_of::<$req>,
                response: schema_of::<$resp>,
                run: {
                    fn go(p: &mut Practice, s: &mut Session, args: Json) -> Result<Json, ApiError> {
                        run::<$req, $resp>(args, |q| $handler(p, s, q))
                    }
                    go
                },
            },
        )*];
    };
}

fixed_commands! {
    "patient.create" => patient_create(PatientFields) -> PatientView, EditDemographics, [],
        "Register a patient; an MRN is assigned when none is given.";
    "patient.update" => patient_update(RecordUpdate<PatientFields>) -> PatientView, EditDemographics, [NotFound, RecordImmutable],
        "Change demographics. `version` (from your read) is required, so that concurrent edits are kept and flagged.";
    "patient.retract" => patient_retract(RecordRetract) -> PatientView, EditDemographics, [NotFound],
        "Mark a patient record entered in error (kept, never deleted).";
    "patient.get" => patient_get(RecordId) -> PatientView, Demographics, [NotFound],
        "One patient's demographics.";
    "patient.search" => patient_search(PatientSearch) -> Vec<Hit>, Demographics, [],
        "Find patients by name parts in any order, prefixes, MRN, birth date (1984-03-07, 03/07/1984, 7.3.1984) or phone digits.";
    "patient.history" => patient_history(RecordId) -> Vec<HistoryEntry>, Demographics, [NotFound],
        "Every change to a patient's demographics, with who, when and where.";
    "chart.summary" => chart_summary(PatientArg) -> Summary, ReadChart, [NotFound],
        "What a clinician needs on opening a chart: allergies, problems, medications, latest vitals and labs, recent visits and notes.";
    "chart.timeline" => chart_timeline(Timeline) -> Vec<Event>, ReadChart, [NotFound],
        "Everything in the chart in date order, newest first.";
    "observation.series" => observation_series(Series) -> Vec<Point>, ReadChart, [NotFound],
        "One LOINC code over time, for trends.";
    "vitals.record" => vitals_record(VitalsForm) -> Vec<ObservationRecord>, WriteChart, [NotFound],
        "Save a vitals form as one commit; BMI is computed from height and weight.";
    "labs.record" => labs_record(LabsForm) -> Vec<ObservationRecord>, WriteChart, [NotFound, InvalidCode],
        "Save lab results (a panel or single tests) as one commit; flags come from the reference range when not given.";
    "order.result" => order_result(OrderResult) -> OrderResulted, WriteChart, [NotFound, InvalidCode, RecordImmutable],
        "Attach results to an order and complete it, in one commit.";
    "allergy.none" => allergy_none(PatientArg) -> AllergyRecord, WriteChart, [NotFound],
        "Record that the patient has no known allergies.";
    "note.sign" => note_sign(NoteSign) -> NoteView, Sign, [NotFound, RecordImmutable],
        "Sign a draft note as you read it (`version`); it is immutable from then on, on every workstation.";
    "note.amend" => note_amend(NoteAppend) -> NoteView, Sign, [NotFound],
        "Amend a signed note (a correction, with a reason).";
    "note.addendum" => note_addendum(NoteAppend) -> NoteView, Sign, [NotFound],
        "Add an addendum to a signed note.";
    "imported.list" => imported_list(PatientArg) -> Vec<ImportedResourceRecord>, ReadChart, [NotFound],
        "The records an import kept verbatim for this patient (a Claim, a CarePlan, an ImagingStudy), newest first, each with its resource as it arrived. Logged as a chart read.";
    "document.content" => document_content(RecordId) -> Content, ReadChart, [NotFound],
        "A document's bytes (base64) and media type.";
    "conflict.list" => conflict_list(ConflictList) -> Vec<Conflict>, Demographics, [],
        "Fields edited concurrently on two workstations: every competing value, and the one shown, on the kinds of record your role may read (password hashes never shown).";
    "duplicate.list" => duplicate_list(NoArgs) -> Vec<Duplicate>, Demographics, [],
        "Values that must be unique but were given twice on workstations that were apart (an MRN, a user name), each with the records sharing it; change all but one (patient.update, user.update by id with new_name) to settle it. Only kinds of record your role may read.";
    "conflict.resolve" => conflict_resolve(ConflictResolve) -> ResolvedRecord, ResolveConflicts, [NotFound, RecordImmutable, InvalidCode],
        "Settle a conflict with one of the competing values (by change id) or a new value; needs the permission an edit of that record needs, and the value passes the same checks. On a signed note only the signed value can be kept.";
    "code.search" => code_search(CodeSearch) -> Vec<CodeHit>, Demographics, [],
        "Search the shipped code sets: icd10 (ICD-10-CM), cvx, loinc.";
    "user.create" => user_create(UserCreate) -> UserInfo, Administer, [],
        "Create a staff account.";
    "user.list" => user_list(NoArgs) -> Vec<UserInfo>, Administer, [],
        "Staff accounts, each with its version.";
    "user.update" => user_update(UserUpdate) -> UserInfo, Administer, [NotFound],
        "Change a user's role, display name, active flag or password; `version` from user.list is required.";
    "setting.list" => setting_list(NoArgs) -> Vec<SettingInfo>, Administer, [],
        "Practice settings, each with its version.";
    "setting.set" => setting_set(SettingSet) -> SettingSaved, Administer, [],
        "Set a practice setting, e.g. idle_lock_minutes; changing one that exists needs its `version` from setting.list.";
    "audit.report" => audit_report(AuditReport) -> Vec<Entry>, Administer, [],
        "Access log entries between two dates, optionally for one user, patient or action.";
    "audit.export" => audit_export(AuditReport) -> AuditExport, Administer, [],
        "The same entries as CSV, to save outside the practice; the export is itself logged.";
    "export.fhir_patient" => export_fhir_patient(PatientArg) -> FhirExport, ReadChart, [NotFound],
        "A patient's whole chart as one FHIR R4 Bundle: every record, retracted ones as entered-in-error, signed notes with their amendments, and a Provenance for each. Logged as an export.";
    "export.ips" => export_ips(PatientArg) -> IpsExport, ReadChart, [NotFound],
        "The patient's International Patient Summary (IPS 2.0): a FHIR document Bundle with problems, medications, allergies and, where the chart has them, immunizations, results, vital signs and procedures; for the patient to take along. Logged as an export.";
    "import.fhir" => import_fhir(FhirImport) -> ImportReport, WriteChart, [],
        "Import FHIR R4 records (a Bundle of any kind that carries records, a resource, or NDJSON; a C-CDA document is read too, see `import.ccda`): one commit per patient, mapped onto the chart where it has a place and kept verbatim where not; the same data imported again writes nothing twice; a patient who may already be here waits in `waiting` for a decision (`decisions`, or `on_match`). Needs write_chart, edit_demographics and sign (imported final notes stay signed). Logged.";
    "import.ccda" => import_ccda(FhirImport) -> ImportReport, WriteChart, [InvalidInput],
        "Import a C-CDA R2.1 document a patient brought (a CCD, a referral, a discharge summary): the patient, and every entry of its problem, allergy, medication, immunization, result, vital sign, procedure and smoking status sections, through the same matching, review and one-commit-per-patient rules as `import.fhir`; the document itself is kept among the chart's documents (text/xml). Content that is not a CDA document is refused. Needs write_chart, edit_demographics and sign. Logged.";
    "audit.verify" => audit_verify(NoArgs) -> AuditVerified, Administer, [AccessLogDamaged],
        "Check the access log's hash chain.";
    "session.info" => session_info(NoArgs) -> SessionInfo, Demographics, [],
        "Who is logged in, with what role.";
    "sync.status" => sync_status(NoArgs) -> SyncStatus, Demographics, [],
        "This workstation's sync state: peers, last contact, commits pending each way, open conflicts and refused commits.";
    "device.list" => device_list(NoArgs) -> Vec<DeviceInfo>, Demographics, [],
        "The practice's member workstations, removed ones included.";
    "device.remove" => device_remove(DeviceArg) -> DeviceInfo, Administer, [NotFound, LedgerNotAdministrator],
        "Removes a workstation (a lost laptop): every peer that learns of it refuses its key; its past commits stay valid.";
    "sync.invite" => sync_invite(NoArgs) -> Invite, Administer, [],
        "Makes a one-time pairing code (10 minutes, three tries) for a new workstation; it replaces any earlier code.";
    "sync.add_peer" => sync_add_peer(PeerAddress) -> PeerAddresses, Administer, [],
        "Keeps an address (`host:port`) to dial besides what mDNS finds.";
    "hl7.receive" => hl7_receive(Hl7Receive) -> Hl7Received, WriteChart, [],
        "Take one HL7 v2 ORU^R01 (2.3 to 2.5.1) lab message: its results are filed in the chart PID-3 (MRN or an identifier) or else PID-5 and PID-7 together name, in one commit, completing the order OBR-2 names; a message that matches no patient or several, or has a local code without a LOINC mapping, waits in the unmatched queue. The answer carries the ACK (AA, AE or AR with the reason); the same MSH-10 from the same lab twice is applied once.";
    "hl7.import" => hl7_import(Hl7Import) -> Hl7Imported, WriteChart, [],
        "Take every HL7 v2 message of a file (one after another, in a batch envelope FHS/BHS, or MLLP-framed), each as `hl7.receive` takes one and in its own commit: what the app's Import page sends for a lab's file, as `chartkeep import hl7v2` does.";
    "hl7.unmatched" => hl7_unmatched(NoArgs) -> Vec<HeldMessage>, ReadChart, [],
        "The unmatched results queue: HL7 v2 messages waiting for a person, each with why, what its PID says of the patient, and its results in short.";
    "hl7.assign" => hl7_assign(Hl7Assign) -> Hl7Assigned, WriteChart, [NotFound, InvalidCode],
        "File a held HL7 v2 message's results in the chart of the patient you name, in one commit; the message is marked assigned.";
    "hl7.refuse" => hl7_refuse(Hl7Refuse) -> Hl7MessageRecord, WriteChart, [NotFound],
        "Refuse a held HL7 v2 message with a reason: it is filed in no chart and stays on record.";
    "hl7.code_map_list" => hl7_code_map_list(NoArgs) -> Vec<CodeMapping>, ReadChart, [],
        "The practice's table of labs' local test codes and the LOINC each one is filed under.";
    "hl7.code_map_set" => hl7_code_map_set(CodeMapSet) -> CodeMapping, WriteChart, [InvalidCode],
        "Map a lab's local test code (OBX-3, for the sending facility in MSH-4) to a LOINC code; changing an existing mapping needs its version.";
    "cds.check" => cds_check(CdsCheck) -> CheckAnswer, ReadChart, [NotFound],
        "Check a medication (added, or its name, code or dose changed) or an allergy being added against the patient's active medications and allergies: interaction, allergy and cross-reactivity alerts with why, the data used and citations; items that could not be checked; alerts answered before. An interruptive alert must be answered (`alert_overrides`) for the save to go on.";
    "cds.due" => cds_due(DueRequest) -> DuePanel, ReadChart, [NotFound],
        "What a patient is due for on a day: every preventive rule's status (due, due soon, overdue, satisfied, not applicable, declined) with why and its USPSTF citation, the immunization forecast, and the registries the patient is on.";
    "cds.rules" => cds_rules(NoArgs) -> RulesAnswer, ReadChart, [],
        "The preventive rule table with its citations and the practice's switches (setting `preventive_rules`), and every registry (setting `registries` adds the practice's own).";
    "cds.due_list" => cds_due_list(DueListRequest) -> DueListAnswer, ReadChart, [],
        "Practice-wide: the patients due or overdue for each preventive rule in a period (this month by default), with counts, a recall list with phones, and with `csv` both as CSV; `limit` and `offset` page the rows and the recall list (the counts and the totals always cover everyone).";
    "registry.list" => registry_list(RegistryRequest) -> RegistryAnswer, ReadChart, [],
        "Practice-wide monitoring registries on a day: the patients not meeting each registry's parameters, with why, and as CSV.";
    "immunization.forecast" => immunization_forecast(ForecastRequest) -> Forecast, ReadChart, [NotFound, CdsiAssessmentBeforeBirth, CdsiDoseBeforeBirth, CdsiSupportingData],
        "A patient's immunizations evaluated and forecast to CDC's CDSi logic (4.6, data 4.64): each dose valid or not with the reason, and each vaccine group overdue, due now, due soon, later, complete or not recommended, with dates.";
    "immunization.evaluate" => immunization_evaluate(EvaluateRequest) -> Report, ReadChart, [CdsiAssessmentBeforeBirth, CdsiDoseBeforeBirth, CdsiSupportingData],
        "Evaluate and forecast an immunization history given in the request (birth date, sex, doses, CDSi observations) without a chart.";
    "immunization.observations" => immunization_observations(NoArgs) -> Vec<ObservationCode>, ReadChart, [CdsiSupportingData],
        "The CDSi observation codes (conditions such as pregnancy or asplenia) a chart can record as a problem with code_system \"cdsi\" to adjust the forecast.";
    "valueset.import" => valueset_import(ValueSetImportRequest) -> ValueSetImport, Administer, [],
        "Import value sets (FHIR ValueSet resources with their expansions, as a VSAC export gives them; a file may hold one or a Bundle of them) for the quality measures, in one commit; the same version again writes nothing, a new one replaces the codes. As `chartkeep import valuesets DIR` does.";
    "visit.kinds" => visit_kinds(NoArgs) -> Vec<VisitKindInfo>, ReadChart, [],
        "The coded kinds of visit the visit form offers, so that a visit counts for the quality measures: the shipped SNOMED CT kinds, then the CPT and HCPCS codes of the imported visit value sets; each with the imported value sets that hold it.";
    "measure.list" => measure_list(NoArgs) -> Vec<MeasureInfo>, ReadChart, [],
        "The quality measures Chartkeep computes (CMS122, CMS165, CMS125, CMS130, CMS138, 2025 performance period), each with whether the value sets it needs are imported.";
    "measure.evaluate" => measure_evaluate(MeasureEvaluate) -> Evaluation, ReadChart, [ValueSetsMissing],
        "One measure for a measurement period (`from`, `to`, both included), for the practice or one `patient`: per population group the initial population, denominator, exclusions, exceptions and numerator, each with its count and its patients (id, MRN, name, and the event that put them there), the performance rate, and the gaps (in the denominator, not the numerator). Logged as a read of every chart it lists.";
}

fn record_permission(def: &EntityDef, verb: &str) -> &'static [Permission] {
    let write = matches!(verb, "add" | "update" | "retract");
    match (def.name, write) {
        // An administrator may retract a signed note on a documented reason; whether the
        // caller may retract this note is decided once the note is read.
        ("note", true) if verb == "retract" => &[Permission::WriteChart, Permission::Administer],
        ("coverage", true) => &[Permission::EditDemographics, Permission::Billing],
        ("coverage", false) => &[Permission::Demographics, Permission::Billing],
        ("encounter" | "problem", false) => &[Permission::ReadChart, Permission::Billing],
        (_, true) => &[Permission::WriteChart],
        (_, false) => &[Permission::ReadChart],
    }
}

pub fn command_names() -> Vec<String> {
    commands().into_iter().map(|d| d.name).collect()
}

/// Validation of a kind's fields may refuse a code that is not in the shipped code set.
fn checks_codes(def: &EntityDef) -> bool {
    matches!(def.name, "problem" | "observation" | "immunization")
}

/// All commands with their types, generic record commands included, sorted by name.
pub fn commands() -> Vec<CommandSpec> {
    let mut out: Vec<CommandSpec> = FIXED
        .iter()
        .map(|f| CommandSpec {
            name: f.name.to_string(),
            permissions: vec![f.permission],
            summary: f.summary.to_string(),
            errors: f.errors.to_vec(),
            request: f.request,
            response: f.response,
        })
        .collect();
    for shape in chart::RECORD_SHAPES {
        let def = shape.def;
        let noun = def.name.replace('_', " ");
        let a = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let code = if checks_codes(def) {
            vec![ErrorCode::InvalidCode]
        } else {
            vec![]
        };
        let too_large = if def.name == "document" {
            vec![ErrorCode::TooLarge]
        } else {
            vec![]
        };
        let one = if def.name == "note" {
            schema_of::<NoteView>
        } else {
            shape.record_schema
        };
        for verb in RECORD_VERBS {
            let (summary, errors, request, response): (String, Vec<ErrorCode>, SchemaFn, SchemaFn) = match *verb {
                "add" => (
                    format!("Add {a} {noun} to a patient's chart."),
                    [vec![ErrorCode::NotFound], code.clone(), too_large.clone()].concat(),
                    shape.add_schema,
                    shape.record_schema,
                ),
                "update" => (
                    format!("Change fields of {a} {noun}; `version` from your read is required, so that concurrent edits are kept and flagged."),
                    [vec![ErrorCode::NotFound, ErrorCode::RecordImmutable], code.clone(), too_large.clone()].concat(),
                    shape.update_schema,
                    shape.record_schema,
                ),
                "retract" => (
                    format!("Mark {a} {noun} entered in error, with a reason (never deleted)."),
                    vec![ErrorCode::NotFound],
                    schema_of::<RecordRetract>,
                    shape.record_schema,
                ),
                "get" => (
                    format!("One {noun}."),
                    vec![ErrorCode::NotFound],
                    schema_of::<RecordId>,
                    one,
                ),
                "list" => (
                    format!("A patient's {noun} entries, oldest first."),
                    vec![ErrorCode::NotFound],
                    schema_of::<RecordList>,
                    shape.list_schema,
                ),
                _ => (
                    format!("Every change to {a} {noun}, with who, when and where."),
                    vec![ErrorCode::NotFound],
                    schema_of::<RecordId>,
                    schema_of::<Vec<HistoryEntry>>,
                ),
            };
            out.push(CommandSpec {
                name: format!("{}.{verb}", def.name),
                permissions: record_permission(def, verb).to_vec(),
                summary,
                errors,
                request,
                response,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// What a role needs to read records of a kind (for lists that span kinds).
fn read_permission(def: &EntityDef) -> &'static [Permission] {
    match def.name {
        "user" | "setting" => &[Permission::Administer],
        "patient" => &[Permission::Demographics],
        _ => record_permission(def, "get"),
    }
}

/// What a role needs to edit records of a kind; settling a conflict on one is such an edit.
fn edit_permission(def: &EntityDef) -> &'static [Permission] {
    match def.name {
        "user" | "setting" => &[Permission::Administer],
        "patient" => &[Permission::EditDemographics],
        _ => record_permission(def, "update"),
    }
}

pub(super) fn require(
    session: &Session,
    any_of: &[Permission],
    command: &str,
) -> Result<(), ApiError> {
    if any_of.iter().any(|p| session.user.role.may(*p)) {
        Ok(())
    } else {
        Err(access::AccessError::Forbidden {
            role: session.user.role.name().to_string(),
            what: format!("run {command}"),
        }
        .into())
    }
}

pub(super) fn log(
    practice: &Practice,
    session: &Session,
    patient: Option<&str>,
    action: &str,
    category: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let at = crate::clock::rfc3339(practice.clock.now_ms());
    practice.log_access(&Access {
        at: &at,
        user_id: &session.user.id.to_string(),
        user_name: &session.user.name,
        patient,
        action,
        category,
        workstation: &session.workstation,
        detail,
    })?;
    Ok(())
}

/// The chart a request is about, if it names one: its `patient`, a patient's `id`, or the
/// patient of the record its `id` names. Read from the raw JSON, since a refused request
/// may not fit its type and is still logged against its chart.
pub(super) fn patient_in(practice: &Practice, command: &str, args: &Json) -> Option<String> {
    let id = |k: &str| {
        args.get(k)
            .and_then(Json::as_str)
            .and_then(|v| Uuid::parse_str(v).ok())
    };
    if let Some(p) = id("patient") {
        return Some(p.to_string());
    }
    let (domain, _) = command.split_once('.')?;
    let row = id("id")?;
    match domain {
        "patient" => Some(row.to_string()),
        "document" => patient_of(practice, &entities::DOCUMENT, &row),
        "order" => patient_of(practice, &entities::ORDER, &row),
        _ => patient_of(practice, chart::kind(domain)?, &row),
    }
}

fn patient_of(practice: &Practice, def: &EntityDef, id: &Uuid) -> Option<String> {
    practice
        .reader()
        .query_row(
            &format!("SELECT patient FROM \"{}\" WHERE id = ?1", def.table),
            [id.to_string()],
            |r| r.get(0),
        )
        .ok()
}

fn commit(
    practice: &mut Practice,
    session: &Session,
    changes: Vec<Change>,
) -> Result<(), ApiError> {
    practice.commit(session.user.id, changes)?;
    Ok(())
}

/// A row read back through its typed answer.
fn typed_row<T: DeserializeOwned>(
    practice: &Practice,
    def: &EntityDef,
    id: &Uuid,
) -> Result<T, ApiError> {
    Ok(shape::answer(chart::load(practice.reader(), def, id)?)?)
}

fn patient_view(practice: &Practice, id: &Uuid) -> Result<PatientView, ApiError> {
    Ok(chart::patient::view(chart::load(
        practice.reader(),
        &entities::PATIENT,
        id,
    )?)?)
}

/// Text that counts only when not blank.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn required<'a>(s: &'a str, key: &str) -> Result<&'a str, ChartError> {
    Some(s)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ChartError::invalid(key, "is required"))
}

/// A `limit`, `default` when absent, kept between 1 and `max`.
fn limit(v: Option<u64>, default: u64, max: u64) -> usize {
    v.unwrap_or(default).clamp(1, max) as usize
}

pub fn dispatch(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: &Json,
) -> Result<Json, ApiError> {
    if !args.is_object() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "the request must be a JSON object, e.g. {\"patient\": \"…\"}",
        ));
    }
    let (domain, verb) = command.split_once('.').ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownCommand,
            format!("'{command}' is not a command; commands look like patient.search"),
        )
    })?;
    if let Some(f) = FIXED.iter().find(|c| c.name == command) {
        require(session, &[f.permission], command)?;
        return (f.run)(practice, session, args.clone());
    }
    if let (Some(shape), true) = (chart::shape(domain), RECORD_VERBS.contains(&verb)) {
        require(session, record_permission(shape.def, verb), command)?;
        return generic(practice, session, shape, verb, args.clone());
    }
    Err(ApiError::new(
        ErrorCode::UnknownCommand,
        format!("'{command}' is not a command; see docs/api.md or `chartkeep call --list`"),
    ))
}

fn generic(
    practice: &mut Practice,
    session: &Session,
    shape: &shape::Shape,
    verb: &str,
    args: Json,
) -> Result<Json, ApiError> {
    let def = shape.def;
    let answer = |practice: &Practice, id: &Uuid| -> Result<Json, ApiError> {
        Ok((shape.answer)(chart::load(practice.reader(), def, id)?)?)
    };
    match verb {
        "add" => {
            let mut r = (shape.parse_add)(args)?;
            guard_save(
                practice,
                session,
                def.name,
                &r.patient,
                None,
                None,
                &mut r.fields,
            )?;
            let (id, change) = chart::add(&practice.chart_ctx(), def, &r.patient, r.fields)?;
            commit(practice, session, vec![change])?;
            answer(practice, &id)
        }
        "update" => {
            let mut r = (shape.parse_update)(args)?;
            if matches!(def.name, "medication" | "allergy") {
                let current = chart::load(practice.reader(), def, &r.id)?;
                let patient = current
                    .get("patient")
                    .and_then(Json::as_str)
                    .and_then(|p| Uuid::parse_str(p).ok())
                    .unwrap_or_default();
                let id = r.id;
                guard_save(
                    practice,
                    session,
                    def.name,
                    &patient,
                    Some(&id),
                    Some(&current),
                    &mut r.fields,
                )?;
            }
            let (id, change) =
                chart::update(&practice.chart_ctx(), def, r.id, &r.version, r.fields)?;
            commit(practice, session, vec![change])?;
            answer(practice, &id)
        }
        "retract" => {
            let r: RecordRetract = shape::parse(args)?;
            if def.name == "note" {
                chart::notes::may_retract(
                    practice.reader(),
                    &r.id,
                    &session.user.id,
                    session.user.role,
                )?;
            }
            let (id, change) =
                chart::retract(&practice.chart_ctx(), def, r.id, &r.version, &r.reason)?;
            commit(practice, session, vec![change])?;
            answer(practice, &id)
        }
        "get" => {
            let RecordId { id } = shape::parse(args)?;
            let row = if def.name == "note" {
                to_json(chart::notes::with_amendments(practice.reader(), &id)?)?
            } else {
                answer(practice, &id)?
            };
            let patient = row.get("patient").and_then(Json::as_str).map(String::from);
            log(
                practice,
                session,
                patient.as_deref(),
                "read",
                def.name,
                &id.to_string(),
            )?;
            Ok(row)
        }
        "list" => {
            let RecordList {
                patient,
                include_retracted: all,
            } = shape::parse(args)?;
            chart::load(practice.reader(), &entities::PATIENT, &patient)?;
            let mut rows = record::list_for_patient(
                practice.reader(),
                def,
                &patient,
                all || def.name == "note",
            )?;
            if def.name == "note" && !all {
                // A signed note is the legal record: retracted, it stays in the list,
                // marked entered in error with the reason. Retracted drafts drop out.
                rows.retain(|n| {
                    n.get("retracted") != Some(&Json::Bool(true))
                        || n.get("status").and_then(Json::as_str) == Some("signed")
                });
            }
            let rows = rows
                .into_iter()
                .map(|r| match r {
                    Json::Object(m) => (shape.answer)(m),
                    other => Ok(other),
                })
                .collect::<Result<Vec<_>, _>>()?;
            log(
                practice,
                session,
                Some(&patient.to_string()),
                "read",
                def.name,
                "list",
            )?;
            Ok(Json::Array(rows))
        }
        _ => {
            let RecordId { id } = shape::parse(args)?;
            let patient = patient_of(practice, def, &id)
                .ok_or_else(|| ChartError::NotFound(format!("{} {id}", def.name)))?;
            let h = chart::history(practice.reader(), &id)?;
            log(
                practice,
                session,
                Some(&patient),
                "read",
                def.name,
                "history",
            )?;
            to_json(h)
        }
    }
}

fn to_json<T: Serialize>(v: T) -> Result<Json, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("answer not JSON: {e}")))
}

fn patient_create(
    practice: &mut Practice,
    session: &mut Session,
    req: PatientFields,
) -> Result<PatientView, ApiError> {
    use crate::chart::shape::RecordFields as _;
    let (id, change) = chart::patient::create(&practice.chart_ctx(), req.into_values()?)?;
    commit(practice, session, vec![change])?;
    patient_view(practice, &id)
}

fn patient_update(
    practice: &mut Practice,
    session: &mut Session,
    req: RecordUpdate<PatientFields>,
) -> Result<PatientView, ApiError> {
    use crate::chart::shape::RecordFields as _;
    let (id, change) = chart::patient::update(
        &practice.chart_ctx(),
        req.id,
        &req.version,
        req.fields.into_values()?,
    )?;
    commit(practice, session, vec![change])?;
    patient_view(practice, &id)
}

fn patient_retract(
    practice: &mut Practice,
    session: &mut Session,
    req: RecordRetract,
) -> Result<PatientView, ApiError> {
    let (id, change) = chart::retract(
        &practice.chart_ctx(),
        &entities::PATIENT,
        req.id,
        &req.version,
        &req.reason,
    )?;
    commit(practice, session, vec![change])?;
    patient_view(practice, &id)
}

fn patient_get(
    practice: &mut Practice,
    session: &mut Session,
    RecordId { id }: RecordId,
) -> Result<PatientView, ApiError> {
    let view = patient_view(practice, &id)?;
    log(
        practice,
        session,
        Some(&id.to_string()),
        "read",
        "demographics",
        "",
    )?;
    Ok(view)
}

fn patient_search(
    practice: &mut Practice,
    session: &mut Session,
    req: PatientSearch,
) -> Result<Vec<Hit>, ApiError> {
    let q = required(&req.query, "query")?;
    let found = chart::search::search(practice.reader(), q, limit(req.limit, 25, 200))?;
    // A search discloses the demographics of every chart it shows: name them all.
    let shown: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
    log(
        practice,
        session,
        None,
        "search",
        "demographics",
        &Json::from(shown).to_string(),
    )?;
    Ok(found)
}

fn patient_history(
    practice: &mut Practice,
    session: &mut Session,
    RecordId { id }: RecordId,
) -> Result<Vec<HistoryEntry>, ApiError> {
    chart::load(practice.reader(), &entities::PATIENT, &id)?;
    let h = chart::history(practice.reader(), &id)?;
    log(
        practice,
        session,
        Some(&id.to_string()),
        "read",
        "demographics",
        "history",
    )?;
    Ok(h)
}

fn chart_summary(
    practice: &mut Practice,
    session: &mut Session,
    PatientArg { patient }: PatientArg,
) -> Result<Summary, ApiError> {
    let s = chart::summary::summary(practice.reader(), &patient)?;
    log(
        practice,
        session,
        Some(&patient.to_string()),
        "read",
        "chart",
        "summary",
    )?;
    Ok(s)
}

fn chart_timeline(
    practice: &mut Practice,
    session: &mut Session,
    req: Timeline,
) -> Result<Vec<Event>, ApiError> {
    chart::load(practice.reader(), &entities::PATIENT, &req.patient)?;
    let f = chart::timeline::Filter {
        kinds: req.kinds.clone(),
        from: given(&req.from).map(String::from),
        to: given(&req.to).map(String::from),
        limit: limit(req.limit, 200, 5000),
    };
    let t = chart::timeline::timeline(practice.reader(), &req.patient, &f)?;
    log(
        practice,
        session,
        Some(&req.patient.to_string()),
        "read",
        "chart",
        "timeline",
    )?;
    Ok(t)
}

fn observation_series(
    practice: &mut Practice,
    session: &mut Session,
    req: Series,
) -> Result<Vec<Point>, ApiError> {
    chart::load(practice.reader(), &entities::PATIENT, &req.patient)?;
    let code = Some(req.code.as_str())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ChartError::invalid("code", "is required (a LOINC code)"))?;
    let s = chart::timeline::series(
        practice.reader(),
        &req.patient,
        code,
        given(&req.from),
        given(&req.to),
    )?;
    log(
        practice,
        session,
        Some(&req.patient.to_string()),
        "read",
        "observation",
        code,
    )?;
    Ok(s)
}

/// The saved observations, as the commit wrote them: reading them back would cost a
/// query per row on a cache the write just invalidated.
fn save_observations(
    practice: &mut Practice,
    session: &Session,
    changes: Vec<Change>,
) -> Result<Vec<ObservationRecord>, ApiError> {
    let saved: Vec<Map<String, Json>> = changes.iter().map(record::created_row).collect();
    let commit = practice.commit(session.user.id, changes)?;
    let at = crate::ledger::hlc::millis(commit.body.hlc);
    let by = session.user.id.to_string();
    saved
        .into_iter()
        .map(|mut row| {
            row.insert("created_at".into(), Json::from(at));
            row.insert("updated_at".into(), Json::from(at));
            row.insert("created_by".into(), Json::from(by.clone()));
            row.insert("updated_by".into(), Json::from(by.clone()));
            Ok(shape::answer(row)?)
        })
        .collect()
}

fn vitals_record(
    practice: &mut Practice,
    session: &mut Session,
    form: VitalsForm,
) -> Result<Vec<ObservationRecord>, ApiError> {
    let changes = chart::vitals::record(&practice.chart_ctx(), &form)?;
    save_observations(practice, session, changes)
}

fn labs_record(
    practice: &mut Practice,
    session: &mut Session,
    form: LabsForm,
) -> Result<Vec<ObservationRecord>, ApiError> {
    let changes = chart::vitals::labs(&practice.chart_ctx(), &form, None)?;
    save_observations(practice, session, changes)
}

fn order_result(
    practice: &mut Practice,
    session: &mut Session,
    req: OrderResult,
) -> Result<OrderResulted, ApiError> {
    let id = req.id;
    let mut changes = chart::vitals::order_result(
        &practice.chart_ctx(),
        id,
        &req.version,
        req.effective.as_ref(),
        given(&req.summary),
        &req.results,
    )?;
    let obs: Vec<Uuid> = changes
        .iter()
        .filter(|c| c.entity == "observation")
        .map(|c| c.row)
        .collect();
    changes.sort_by_key(|c| c.entity != "observation");
    commit(practice, session, changes)?;
    let results = obs
        .iter()
        .map(|i| typed_row(practice, &entities::OBSERVATION, i))
        .collect::<Result<Vec<ObservationRecord>, ApiError>>()?;
    Ok(OrderResulted {
        order: typed_row(practice, &entities::ORDER, &id)?,
        results,
    })
}

fn allergy_none(
    practice: &mut Practice,
    session: &mut Session,
    PatientArg { patient }: PatientArg,
) -> Result<AllergyRecord, ApiError> {
    let (id, change) = chart::allergy_none(&practice.chart_ctx(), &patient)?;
    commit(practice, session, vec![change])?;
    typed_row(practice, &entities::ALLERGY, &id)
}

fn note_sign(
    practice: &mut Practice,
    session: &mut Session,
    req: NoteSign,
) -> Result<NoteView, ApiError> {
    let (id, change) = chart::notes::sign(
        &practice.chart_ctx(),
        req.id,
        &req.version,
        &session.user.id,
    )?;
    commit(practice, session, vec![change])?;
    Ok(chart::notes::with_amendments(practice.reader(), &id)?)
}

fn note_append(
    practice: &mut Practice,
    session: &mut Session,
    req: NoteAppend,
    kind: &str,
) -> Result<NoteView, ApiError> {
    let (id, change) = chart::notes::append(
        &practice.chart_ctx(),
        req.id,
        kind,
        &req.text,
        req.reason.as_deref(),
    )?;
    commit(practice, session, vec![change])?;
    Ok(chart::notes::with_amendments(practice.reader(), &id)?)
}

fn note_amend(
    practice: &mut Practice,
    session: &mut Session,
    req: NoteAppend,
) -> Result<NoteView, ApiError> {
    note_append(practice, session, req, "amendment")
}

fn note_addendum(
    practice: &mut Practice,
    session: &mut Session,
    req: NoteAppend,
) -> Result<NoteView, ApiError> {
    note_append(practice, session, req, "addendum")
}

fn imported_list(
    practice: &mut Practice,
    session: &mut Session,
    PatientArg { patient }: PatientArg,
) -> Result<Vec<ImportedResourceRecord>, ApiError> {
    chart::load(practice.reader(), &entities::PATIENT, &patient)?;
    let mut rows = record::list_for_patient(
        practice.reader(),
        &entities::IMPORTED_RESOURCE,
        &patient,
        false,
    )?;
    rows.sort_by(|a, b| {
        let d = |r: &Json| r["date"].as_str().unwrap_or("").to_string();
        d(b).cmp(&d(a))
    });
    log(
        practice,
        session,
        Some(&patient.to_string()),
        "read",
        "chart",
        "imported records",
    )?;
    rows.into_iter()
        .map(|r| match r {
            Json::Object(m) => Ok(shape::answer(m)?),
            _ => Err(ChartError::Shape("an imported record is not an object".into()).into()),
        })
        .collect()
}

fn document_content(
    practice: &mut Practice,
    session: &mut Session,
    RecordId { id }: RecordId,
) -> Result<Content, ApiError> {
    let doc = chart::documents::content(practice.reader(), &id)?;
    let patient = patient_of(practice, &entities::DOCUMENT, &id);
    log(
        practice,
        session,
        patient.as_deref(),
        "read",
        "document",
        &id.to_string(),
    )?;
    Ok(doc)
}

fn conflict_list(
    practice: &mut Practice,
    session: &mut Session,
    req: ConflictList,
) -> Result<Vec<Conflict>, ApiError> {
    let role = session.user.role;
    let list = conflicts::list(practice.reader(), req.patient.as_ref(), |def| {
        read_permission(def).iter().any(|p| role.may(*p))
    })?;
    // Every chart whose data the list shows is named in the access log.
    let mut shown: Vec<&str> = list.iter().filter_map(|c| c.patient.as_deref()).collect();
    shown.sort_unstable();
    shown.dedup();
    if shown.is_empty() {
        log(practice, session, None, "read", "conflicts", "")?;
    }
    for p in shown {
        log(practice, session, Some(p), "read", "conflicts", "")?;
    }
    Ok(list)
}

fn duplicate_list(
    practice: &mut Practice,
    session: &mut Session,
    _: NoArgs,
) -> Result<Vec<Duplicate>, ApiError> {
    let role = session.user.role;
    let list = conflicts::duplicates(practice.reader(), |def| {
        read_permission(def).iter().any(|p| role.may(*p))
    })?;
    // Every chart whose MRN the list shows is named in the access log.
    for d in list.iter().filter(|d| d.entity == "patient") {
        for p in &d.rows {
            log(practice, session, Some(p), "read", "duplicates", "")?;
        }
    }
    Ok(list)
}

fn conflict_resolve(
    practice: &mut Practice,
    session: &mut Session,
    req: ConflictResolve,
) -> Result<ResolvedRecord, ApiError> {
    let field = required(&req.field, "field")?;
    let def = conflicts::entity_of(practice.reader(), &req.row, field)?;
    require(
        session,
        edit_permission(def),
        &format!("conflict.resolve on {}", def.name.replace('_', " ")),
    )?;
    let choice = match (req.choose.as_deref(), req.value.as_ref()) {
        (Some(c), _) => Some(Choice::Change(c)),
        (None, Some(v)) if !v.is_null() => Some(Choice::Value(v)),
        _ => None,
    };
    let (def, id, change) = conflicts::resolve(&practice.chart_ctx(), req.row, field, choice)?;
    commit(practice, session, vec![change])?;
    let record = match def.name {
        "user" => to_json(
            access::users::list(practice.reader())?
                .into_iter()
                .find(|u| u.id == id)
                .ok_or_else(|| ChartError::NotFound(format!("user {id}")))?,
        )?,
        "setting" => to_json(
            access::users::settings(practice.reader())?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| ChartError::NotFound(format!("setting {id}")))?,
        )?,
        "patient" => to_json(typed_row::<PatientRecord>(practice, def, &id)?)?,
        name => {
            let shape = chart::shape(name)
                .ok_or_else(|| ChartError::NotFound(format!("kind of record {name}")))?;
            (shape.answer)(chart::load(practice.reader(), def, &id)?)?
        }
    };
    Ok(ResolvedRecord(record))
}

fn code_search(
    practice: &mut Practice,
    _session: &mut Session,
    req: CodeSearch,
) -> Result<Vec<CodeHit>, ApiError> {
    let q = required(&req.query, "query")?;
    let limit = limit(req.limit, 20, 200);
    let hit = |code: &str, display: &str| CodeHit {
        code: code.to_string(),
        display: display.to_string(),
        billable: None,
        status: None,
        unit: None,
        category: None,
    };
    Ok(match given(&req.system).unwrap_or("icd10") {
        "icd10" => crate::codes::icd10::search(q, limit)
            .into_iter()
            .map(|c| CodeHit {
                billable: Some(c.billable),
                ..hit(c.code, c.display)
            })
            .collect(),
        "cvx" => {
            let ql = q.to_lowercase();
            crate::codes::cvx::all()
                .iter()
                .filter(|c| {
                    c.code == q
                        || c.short_name.to_lowercase().contains(&ql)
                        || c.full_name.to_lowercase().contains(&ql)
                })
                .take(limit)
                .map(|c| CodeHit {
                    status: Some(c.status.to_string()),
                    ..hit(c.code, c.short_name)
                })
                .collect()
        }
        "loinc" => {
            let ql = q.to_lowercase();
            crate::codes::loinc::all()
                .iter()
                .filter(|c| c.code == q || c.display.to_lowercase().contains(&ql))
                .take(limit)
                .map(|c| CodeHit {
                    unit: Some(c.unit.to_string()),
                    category: Some(c.category.to_string()),
                    ..hit(c.code, c.display)
                })
                .collect()
        }
        // The kinds of `visit.kinds`, by code, words or value set; imported CPT and HCPCS
        // codes also by prefix (their descriptions are not shipped).
        "visit" => {
            let ql = q.to_lowercase();
            let has = |text: &str| text.to_lowercase().contains(&ql);
            visit_kind_list(practice.reader())?
                .into_iter()
                .filter(|k| {
                    k.code == q
                        || (!k.system.is_empty() && k.code.starts_with(q))
                        || has(&k.display)
                        || has(&k.group)
                        || k.value_sets.iter().any(|n| has(n))
                })
                .take(limit)
                .map(|k| {
                    let display = if k.display.is_empty() {
                        format!("{} ({})", k.group, k.system)
                    } else {
                        k.display
                    };
                    CodeHit {
                        category: Some(k.group),
                        ..hit(&k.code, &display)
                    }
                })
                .collect()
        }
        other => {
            return Err(ChartError::invalid(
                "system",
                &format!("'{other}' is not one of: icd10, cvx, loinc, visit"),
            )
            .into())
        }
    })
}

fn user_named(practice: &Practice, name: &str) -> Result<UserInfo, ApiError> {
    access::users::list(practice.reader())?
        .into_iter()
        .find(|u| u.name == name)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no user named '{name}'")))
}

fn user_create(
    practice: &mut Practice,
    session: &mut Session,
    req: UserCreate,
) -> Result<UserInfo, ApiError> {
    let name = required(&req.name, "name")?;
    let (_, change) = access::users::create(
        practice.reader(),
        practice.ids.as_ref(),
        practice.clock.as_ref(),
        name,
        given(&req.display_name),
        required(&req.role, "role")?,
        required(&req.password, "password")?,
    )?;
    commit(practice, session, vec![change])?;
    user_named(practice, name)
}

fn user_list(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<UserInfo>, ApiError> {
    Ok(access::users::list(practice.reader())?)
}

fn user_update(
    practice: &mut Practice,
    session: &mut Session,
    req: UserUpdate,
) -> Result<UserInfo, ApiError> {
    let (id, change) = access::users::update(
        practice.reader(),
        practice.ids.as_ref(),
        practice.clock.as_ref(),
        &req,
    )?;
    commit(practice, session, vec![change])?;
    access::users::list(practice.reader())?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no user with id '{id}'")))
}

fn setting_list(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<SettingInfo>, ApiError> {
    Ok(access::users::settings(practice.reader())?)
}

fn setting_set(
    practice: &mut Practice,
    session: &mut Session,
    req: SettingSet,
) -> Result<SettingSaved, ApiError> {
    let name = required(&req.name, "name")?.to_string();
    let value = match req.value {
        SettingValue::Text(s) => s,
        SettingValue::Number(n) => n.to_string(),
    };
    check_setting(&name, &value)?;
    let change = access::users::set_setting(
        practice.reader(),
        practice.ids.as_ref(),
        practice.clock.as_ref(),
        &name,
        &value,
        &req.version,
    )?;
    commit(practice, session, vec![change])?;
    Ok(SettingSaved { name, value })
}

fn audit_report(
    practice: &mut Practice,
    _session: &mut Session,
    req: AuditReport,
) -> Result<Vec<Entry>, ApiError> {
    for (k, v) in [("from", &req.from), ("to", &req.to)] {
        record::parse_date(v).map_err(|m| ChartError::invalid(k, &m))?;
    }
    let mut entries = access::audit::report(
        practice.reader(),
        &req.from,
        &req.to,
        given(&req.user),
        given(&req.patient),
    )?;
    if let Some(action) = given(&req.action) {
        entries.retain(|e| e.action == action);
    }
    Ok(entries)
}

fn audit_export(
    practice: &mut Practice,
    session: &mut Session,
    req: AuditReport,
) -> Result<AuditExport, ApiError> {
    let detail = format!(
        "access log {}..{}{}{}{}",
        req.from,
        req.to,
        given(&req.user)
            .map(|u| format!(" user {u}"))
            .unwrap_or_default(),
        given(&req.patient)
            .map(|p| format!(" patient {p}"))
            .unwrap_or_default(),
        given(&req.action)
            .map(|a| format!(" action {a}"))
            .unwrap_or_default(),
    );
    let entries = audit_report(practice, session, req)?;
    let csv = access::audit::to_csv(&entries);
    log(practice, session, None, "export", "access_log", &detail)?;
    Ok(AuditExport {
        rows: entries.len() as u64,
        csv,
    })
}

fn export_fhir_patient(
    practice: &mut Practice,
    session: &mut Session,
    PatientArg { patient }: PatientArg,
) -> Result<FhirExport, ApiError> {
    let now = practice.clock.now_ms();
    let out = crate::interop::fhir::export::patient_bundle(practice.reader(), &patient, now)?;
    log(
        practice,
        session,
        Some(&patient.to_string()),
        "export",
        "chart",
        &format!("FHIR R4 Bundle, {} resources", out.resources),
    )?;
    Ok(FhirExport {
        resources: out.resources as u64,
        bundle: out.bundle,
    })
}

fn export_ips(
    practice: &mut Practice,
    session: &mut Session,
    PatientArg { patient }: PatientArg,
) -> Result<IpsExport, ApiError> {
    let now = practice.clock.now_ms();
    let name = access::users::setting(practice.reader(), "practice_name")
        .map_err(crate::chart::ChartError::from)?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "The practice".to_string());
    let bundle =
        crate::interop::fhir::ips::patient_summary(practice.reader(), &patient, &name, now)?;
    log(
        practice,
        session,
        Some(&patient.to_string()),
        "export",
        "chart",
        "International Patient Summary",
    )?;
    Ok(IpsExport { bundle })
}

fn import_fhir(
    practice: &mut Practice,
    session: &mut Session,
    req: FhirImport,
) -> Result<ImportReport, ApiError> {
    let FhirImport {
        file,
        content,
        on_match,
        decisions,
    } = req;
    super::import_fhir(
        practice,
        session,
        vec![crate::interop::fhir::import::Input::Bytes {
            name: file,
            bytes: content.into_bytes(),
        }],
        on_match,
        &decisions,
        &mut |_| {},
    )
}

fn import_ccda(
    practice: &mut Practice,
    session: &mut Session,
    req: FhirImport,
) -> Result<ImportReport, ApiError> {
    if !crate::interop::ccda::is_document(&req.content) {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!(
                "content: {} is not a CDA document (XML with a ClinicalDocument root); FHIR goes to import.fhir",
                req.file
            ),
        ));
    }
    import_fhir(practice, session, req)
}

fn audit_verify(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<AuditVerified, ApiError> {
    let entries = access::audit::verify(practice.reader())?;
    Ok(AuditVerified { entries, ok: true })
}

fn sync_status(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<SyncStatus, ApiError> {
    Ok(crate::sync::status::status(practice)?)
}

fn device_list(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<DeviceInfo>, ApiError> {
    Ok(crate::sync::status::devices(practice)?)
}

fn device_remove(
    practice: &mut Practice,
    session: &mut Session,
    req: DeviceArg,
) -> Result<DeviceInfo, ApiError> {
    let wanted = req.device.replace(' ', "").to_ascii_lowercase();
    let member = practice
        .members()?
        .into_iter()
        .find(|m| m.device == wanted)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("no member workstation has device id {}", req.device),
            )
        })?;
    if member.device == hex::encode(practice.device_id()) {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "this is the workstation you are using; remove it from another one",
        ));
    }
    let key: [u8; 32] =
        member.public_key.as_slice().try_into().map_err(|_| {
            ApiError::new(ErrorCode::InternalError, "a member without a public key")
        })?;
    practice.remove_member(session.user.id, key)?;
    crate::sync::status::devices(practice)?
        .into_iter()
        .find(|d| d.device == wanted)
        .ok_or_else(|| ApiError::new(ErrorCode::InternalError, "the removed workstation vanished"))
}

fn sync_invite(
    practice: &mut Practice,
    session: &mut Session,
    _: NoArgs,
) -> Result<Invite, ApiError> {
    let code = crate::sync::pairing::new_code(practice.ids.as_ref());
    let now = practice.clock.now_ms();
    let expires = now + crate::sync::pairing::CODE_MINUTES * 60_000;
    practice
        .sync_state()
        .invite_create(&code, &session.user.id.to_string(), now, expires)
        .map_err(crate::sync::SyncError::from)?;
    let addresses = practice
        .sync_state()
        .listen()
        .map_err(crate::sync::SyncError::from)?
        .map(|(a, _)| vec![a])
        .unwrap_or_default();
    Ok(Invite {
        code,
        expires_at: crate::clock::rfc3339(expires),
        addresses,
    })
}

fn sync_add_peer(
    practice: &mut Practice,
    _session: &mut Session,
    req: PeerAddress,
) -> Result<PeerAddresses, ApiError> {
    let a = req.address.trim();
    let ok = a
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !ok {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("address: '{a}' is not host:port (for example 192.168.1.20:8421)"),
        ));
    }
    let now = practice.clock.now_ms();
    let state = practice.sync_state();
    state
        .add_address(a, now)
        .map_err(crate::sync::SyncError::from)?;
    Ok(PeerAddresses {
        addresses: state.addresses().map_err(crate::sync::SyncError::from)?,
    })
}

fn session_info(
    _practice: &mut Practice,
    session: &mut Session,
    _: NoArgs,
) -> Result<SessionInfo, ApiError> {
    Ok(session.info())
}

fn hl7_receive(
    practice: &mut Practice,
    session: &mut Session,
    req: Hl7Receive,
) -> Result<Hl7Received, ApiError> {
    receive_hl7(practice, session, &req.message)
}

fn hl7_import(
    practice: &mut Practice,
    session: &mut Session,
    req: Hl7Import,
) -> Result<Hl7Imported, ApiError> {
    let mut messages = Vec::new();
    for m in crate::interop::hl7v2::batch::split(&req.content) {
        messages.push(receive_hl7(practice, session, &m)?);
    }
    Ok(Hl7Imported {
        file: req.file,
        messages,
    })
}

/// One message filed (or held, or refused) and committed, and its ACK. The ACK's own
/// control id comes from the practice's id source, its time from the practice's clock.
pub(super) fn receive_hl7(
    practice: &mut Practice,
    session: &Session,
    text: &str,
) -> Result<Hl7Received, ApiError> {
    let mut receipt = receive::receive(&practice.chart_ctx(), text)?;
    let changes = std::mem::take(&mut receipt.changes);
    if !changes.is_empty() {
        commit(practice, session, changes)?;
    }
    let ack_id = practice.chart_ctx().new_id().simple().to_string();
    // MSH-10 is at most 20 characters before 2.5; a UUIDv7's first 20 hex digits are its
    // time and 28 random bits.
    let ack = receipt.ack(&ack_id[..20], practice.clock.now_ms());
    let mrn = match receipt.patient {
        Some(p) => practice
            .reader()
            .query_row(
                "SELECT mrn FROM patient WHERE id = ?1",
                [p.to_string()],
                |r| r.get::<_, Option<String>>(0),
            )
            .map_err(ChartError::from)?,
        None => None,
    };
    if let (receive::Outcome::Applied, Some(p)) = (receipt.outcome, receipt.patient) {
        log(
            practice,
            session,
            Some(&p.to_string()),
            "import",
            "lab_results",
            &format!("HL7 v2 message {}", receipt.control_id),
        )?;
    }
    Ok(Hl7Received {
        control_id: receipt.control_id,
        outcome: receipt.outcome,
        ack_code: receipt.ack_code.as_str().to_string(),
        text: receipt.text,
        error_code: receipt.error.as_ref().map(|e| e.code().to_string()),
        message: receipt.message,
        patient: receipt.patient,
        mrn,
        observations: receipt.observations,
        orders: receipt.orders,
        ack,
    })
}

fn hl7_unmatched(
    practice: &mut Practice,
    session: &mut Session,
    _: NoArgs,
) -> Result<Vec<HeldMessage>, ApiError> {
    let held = crate::interop::hl7v2::queue::unmatched(practice.reader())?;
    // What the queue discloses is what each message says of a patient, not a chart.
    let shown: Vec<String> = held.iter().map(|h| h.id.to_string()).collect();
    log(
        practice,
        session,
        None,
        "read",
        "lab_results_unmatched",
        &Json::from(shown).to_string(),
    )?;
    Ok(held)
}

fn hl7_assign(
    practice: &mut Practice,
    session: &mut Session,
    req: Hl7Assign,
) -> Result<Hl7Assigned, ApiError> {
    let (changes, observations) =
        receive::assign(&practice.chart_ctx(), req.id, &req.version, req.patient)?;
    commit(practice, session, changes)?;
    let results = observations
        .iter()
        .map(|i| typed_row(practice, &entities::OBSERVATION, i))
        .collect::<Result<Vec<ObservationRecord>, ApiError>>()?;
    Ok(Hl7Assigned {
        message: typed_row(practice, &HL7_MESSAGE, &req.id)?,
        results,
    })
}

fn hl7_refuse(
    practice: &mut Practice,
    session: &mut Session,
    req: Hl7Refuse,
) -> Result<Hl7MessageRecord, ApiError> {
    let change = receive::refuse(&practice.chart_ctx(), req.id, &req.version, &req.reason)?;
    commit(practice, session, vec![change])?;
    typed_row(practice, &HL7_MESSAGE, &req.id)
}

fn hl7_code_map_list(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<CodeMapping>, ApiError> {
    Ok(crate::interop::hl7v2::codes::list(practice.reader())?)
}

fn hl7_code_map_set(
    practice: &mut Practice,
    session: &mut Session,
    req: CodeMapSet,
) -> Result<CodeMapping, ApiError> {
    let (id, change) = crate::interop::hl7v2::codes::set(&practice.chart_ctx(), &req)?;
    commit(practice, session, vec![change])?;
    crate::interop::hl7v2::codes::list(practice.reader())?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ChartError::NotFound(format!("{} {id}", HL7_CODE_MAP.name)).into())
}

fn valueset_import(
    practice: &mut Practice,
    session: &mut Session,
    req: ValueSetImportRequest,
) -> Result<ValueSetImport, ApiError> {
    let mut sets = Vec::new();
    let mut report = ValueSetImport::default();
    for f in &req.files {
        let j: Json = serde_json::from_str(&f.content).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("files: {} is not JSON ({e})", f.name),
            )
        })?;
        let list: Vec<&Json> = if j["resourceType"] == "Bundle" {
            j["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| &e["resource"])
                .collect()
        } else {
            vec![&j]
        };
        for r in list {
            match value_sets::read_value_set(r) {
                Ok(v) => sets.push(v),
                Err(why) => report.skipped.push(format!("{}: {why}", f.name)),
            }
        }
    }
    super::import_value_sets(practice, session, &sets, report)
}

fn visit_kinds(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<VisitKindInfo>, ApiError> {
    visit_kind_list(practice.reader())
}

/// The shipped SNOMED CT visit kinds, then the CPT and HCPCS codes of the imported visit
/// value sets (each once, grouped under the first set that holds it); each with the names
/// of the imported visit value sets that hold it.
fn visit_kind_list(conn: &rusqlite::Connection) -> Result<Vec<VisitKindInfo>, ApiError> {
    use crate::codes::visit_kinds;
    let sets = value_sets::stored(conn, measures::VISIT_VALUE_SETS)?;
    let holding = |system: &str, code: &str| -> Vec<String> {
        sets.iter()
            .filter(|v| v.codes.iter().any(|(s, c)| s == system && c == code))
            .map(|v| v.name.clone())
            .collect()
    };
    let mut out: Vec<VisitKindInfo> = visit_kinds::all()
        .iter()
        .map(|k| VisitKindInfo {
            system: String::new(),
            code: k.code.to_string(),
            display: k.display.to_string(),
            group: k.value_set.to_string(),
            value_sets: holding(visit_kinds::system_uri(""), k.code),
        })
        .collect();
    for stored in ["CPT", "HCPCS"] {
        let uri = visit_kinds::system_uri(stored);
        let mut seen = std::collections::BTreeSet::new();
        for set in &sets {
            for (_, code) in set.codes.iter().filter(|(s, _)| s == uri) {
                if seen.insert(code.clone()) {
                    out.push(VisitKindInfo {
                        system: stored.to_string(),
                        code: code.clone(),
                        display: String::new(),
                        group: set.name.clone(),
                        value_sets: holding(uri, code),
                    });
                }
            }
        }
    }
    Ok(out)
}

fn measure_list(
    practice: &mut Practice,
    _session: &mut Session,
    _: NoArgs,
) -> Result<Vec<MeasureInfo>, ApiError> {
    let vs = value_sets::ValueSets::load(practice.reader())?;
    Ok(Measure::ALL
        .into_iter()
        .map(|m| {
            let missing: Vec<String> = measures::missing(m, &vs)
                .into_iter()
                .map(str::to_string)
                .collect();
            MeasureInfo {
                measure: m,
                title: m.title().to_string(),
                version: m.version().to_string(),
                description: m.description().to_string(),
                groups: m.groups(),
                value_sets_imported: missing.is_empty(),
                missing_value_sets: missing,
            }
        })
        .collect())
}

fn measure_evaluate(
    practice: &mut Practice,
    session: &mut Session,
    req: MeasureEvaluate,
) -> Result<Evaluation, ApiError> {
    let measure = Measure::parse(&req.measure)?;
    let period = measures::period(req.from, req.to)?;
    if let Some(p) = req.patient {
        chart::load(practice.reader(), &entities::PATIENT, &p)?;
    }
    let out = measures::evaluate(practice.reader(), measure, period, req.patient)?;
    let detail = format!("quality measure {} {}..{}", measure.id(), req.from, req.to);
    let mut listed: Vec<Uuid> = out
        .groups
        .iter()
        .flat_map(|g| g.initial_population.patients.iter().map(|m| m.id))
        .collect();
    listed.sort();
    listed.dedup();
    if listed.is_empty() {
        log(practice, session, None, "read", "chart", &detail)?;
    }
    for id in listed {
        log(
            practice,
            session,
            Some(&id.to_string()),
            "read",
            "chart",
            &detail,
        )?;
    }
    Ok(out)
}
