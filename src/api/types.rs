//! Request and response types of the commands that are not a domain type themselves.
//!
//! Each request is parsed from the caller's JSON once (`chart::shape::parse`), so a
//! handler never looks a key up by name; each response is what the handler returns, and
//! its JSON Schema is what `docs/api.schema.json` publishes for the desktop UI and sync.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::chart::entities::{ObservationFields, ObservationRecord, OrderRecord};
use crate::chart::shape::DateTime;

/// A command that takes no arguments (`{}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct NoArgs {}

/// One record by id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RecordId {
    pub id: Uuid,
}

/// A patient's records of one kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RecordList {
    pub patient: Uuid,
    /// Include records marked entered in error (signed notes are always listed).
    #[serde(default)]
    pub include_retracted: bool,
}

/// Mark a record entered in error.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RecordRetract {
    pub id: Uuid,
    /// The `version` from your read.
    #[serde(default)]
    pub version: Vec<Uuid>,
    /// Why the record was entered in error.
    pub reason: String,
}

/// The chart a command reads.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PatientArg {
    pub patient: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PatientSearch {
    /// Name parts in any order, prefixes, MRN, birth date or phone digits.
    pub query: String,
    /// 1–200; 25 when left out.
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Timeline {
    pub patient: Uuid,
    /// Only these kinds of event.
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    /// Inclusive: a date or an RFC 3339 time.
    #[serde(default)]
    pub from: Option<String>,
    /// Inclusive: a date (the whole day) or an RFC 3339 time.
    #[serde(default)]
    pub to: Option<String>,
    /// 1–5000; 200 when left out.
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Series {
    pub patient: Uuid,
    /// A LOINC code.
    pub code: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// Results for an order, which completes it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OrderResult {
    /// The order.
    pub id: Uuid,
    /// The order's `version` from your read.
    #[serde(default)]
    pub version: Vec<Uuid>,
    /// When resulted; now when left out.
    #[serde(default)]
    pub effective: Option<DateTime>,
    /// A summary of the result; needed when there are no results.
    #[serde(default)]
    pub summary: Option<String>,
    /// Observations, each with a LOINC `code` and a value.
    #[serde(default)]
    pub results: Vec<ObservationFields>,
}

/// The completed order and the observations saved with it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OrderResulted {
    pub order: OrderRecord,
    pub results: Vec<ObservationRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NoteSign {
    pub id: Uuid,
    /// The `version` of the note as you read it: you sign what you saw.
    #[serde(default)]
    pub version: Vec<Uuid>,
}

/// An amendment (needs a reason) or an addendum.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NoteAppend {
    pub id: Uuid,
    pub text: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConflictList {
    /// Only this chart's conflicts.
    #[serde(default)]
    pub patient: Option<Uuid>,
}

/// Settle a conflict: give `choose` or `value`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConflictResolve {
    /// The record with the conflict.
    pub row: Uuid,
    pub field: String,
    /// The change id of the competing value to keep.
    #[serde(default)]
    pub choose: Option<String>,
    /// A new value instead, checked as an edit would be.
    #[serde(default)]
    pub value: Option<Json>,
}

/// The record a resolution settled, in its kind's answer shape (see the conflict's
/// `entity`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResolvedRecord(pub Json);

impl JsonSchema for ResolvedRecord {
    fn schema_name() -> Cow<'static, str> {
        "ResolvedRecord".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut kinds: Vec<Json> = crate::chart::RECORD_SHAPES
            .iter()
            .map(|s| (s.record_schema)(generator).to_value())
            .collect();
        kinds.push(
            generator
                .subschema_for::<crate::chart::entities::PatientRecord>()
                .to_value(),
        );
        kinds.push(
            generator
                .subschema_for::<crate::access::users::UserInfo>()
                .to_value(),
        );
        kinds.push(
            generator
                .subschema_for::<crate::access::users::SettingInfo>()
                .to_value(),
        );
        json_schema!({"description": "The record, in the answer shape of its kind.", "anyOf": kinds})
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CodeSearch {
    /// icd10 (the default), cvx, loinc, or visit (the coded visit kinds: the shipped
    /// SNOMED CT ones and the CPT/HCPCS codes of the imported visit value sets).
    #[serde(default)]
    pub system: Option<String>,
    pub query: String,
    /// 1–200; 20 when left out.
    #[serde(default)]
    pub limit: Option<u64>,
}

/// One code found; which optional fields are present depends on the system.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CodeHit {
    pub code: String,
    pub display: String,
    /// ICD-10-CM: whether the code may be billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// CVX: the vaccine's status in the CDC list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// LOINC: the usual unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// LOINC: vital or lab. Visit kinds: the kind of visit (`Annual Wellness Visit`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserCreate {
    pub name: String,
    /// clinician, nurse, front_desk, billing or administrator.
    pub role: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A setting's value: text, or a number taken as its text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SettingValue {
    Text(String),
    Number(serde_json::Number),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SettingSet {
    pub name: String,
    pub value: SettingValue,
    /// The `version` from setting.list; needed when the setting exists.
    #[serde(default)]
    pub version: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SettingSaved {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditReport {
    /// YYYY-MM-DD, inclusive.
    pub from: String,
    /// YYYY-MM-DD, inclusive.
    pub to: String,
    /// A user name.
    #[serde(default)]
    pub user: Option<String>,
    /// A patient id.
    #[serde(default)]
    pub patient: Option<String>,
    /// Only this action (read, search, export, login, login_failed, denied, failed, ...).
    #[serde(default)]
    pub action: Option<String>,
}

/// Access log entries as CSV (RFC 4180, a header row; cells that a spreadsheet would run
/// as a formula are prefixed with an apostrophe).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditExport {
    pub csv: String,
    pub rows: u64,
}

/// A patient's whole chart as a FHIR R4 Bundle (type `collection`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FhirExport {
    /// Resources in the Bundle, Provenance included.
    pub resources: u64,
    /// The Bundle, as FHIR JSON.
    pub bundle: serde_json::Value,
}

/// An International Patient Summary (IPS 2.0) document Bundle.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IpsExport {
    /// The Bundle (type `document`, the Composition first), as FHIR JSON.
    pub bundle: serde_json::Value,
}

/// Records to import, as text: FHIR R4 (a Bundle, a resource or NDJSON) or, for
/// `import.ccda`, a C-CDA document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FhirImport {
    /// The file's name, kept as where the records came from.
    pub file: String,
    /// The file's content (UTF-8 JSON or NDJSON; for `import.ccda`, the document's XML).
    pub content: String,
    /// What to do with a patient who may already be here; `ask` (the default) lists them
    /// in `waiting` for a person to decide.
    #[serde(default)]
    pub on_match: crate::interop::fhir::import::OnMatch,
    /// Decisions for patients an earlier import of the same file left waiting.
    #[serde(default)]
    pub decisions: Vec<ImportDecision>,
}

/// A person's decision for one waiting patient.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImportDecision {
    /// The waiting patient's `source`.
    pub source: String,
    /// The patient here who is the same person; absent to register them as new.
    pub patient: Option<Uuid>,
}

impl ImportDecision {
    pub fn decision(&self) -> crate::interop::fhir::import::Decision {
        match self.patient {
            Some(p) => crate::interop::fhir::import::Decision::Link(p),
            None => crate::interop::fhir::import::Decision::New,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditVerified {
    /// Entries checked.
    pub entries: u64,
    pub ok: bool,
}

/// Who is logged in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    pub user: String,
    pub display_name: String,
    pub role: String,
    pub workstation: String,
    pub idle_lock_minutes: i64,
    /// What the role may do (`demographics`, `write_chart`, ...): the UI shows only the
    /// screens and buttons these allow; the API checks every command anyway.
    pub permissions: Vec<String>,
}

/// A member workstation, by its hex device id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeviceArg {
    pub device: String,
}

/// A peer's address, `host:port`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PeerAddress {
    pub address: String,
}

/// A one-time pairing code for a new workstation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Invite {
    /// Eight digits, `1234-5678`: read it out or type it on the new workstation.
    pub code: String,
    /// RFC 3339; the code is refused after this, or after three wrong tries.
    pub expires_at: String,
    /// Where the new workstation reaches this one (`host:port`); empty when no sync
    /// listener runs here.
    pub addresses: Vec<String>,
}

/// The addresses kept for dialing.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PeerAddresses {
    pub addresses: Vec<String>,
}

/// `hl7.receive`: one HL7 v2 message, as text (segments ended by `\r` or line ends).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hl7Receive {
    pub message: String,
}

/// A file of HL7 v2 messages (one after another, in a batch envelope, or MLLP-framed), as
/// the app's Import page sends it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hl7Import {
    /// The file's name, for the answer.
    pub file: String,
    pub content: String,
}

/// What became of every message of an HL7 v2 file, in order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hl7Imported {
    pub file: String,
    pub messages: Vec<Hl7Received>,
}

/// What became of one HL7 v2 message, and the ACK that answers it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hl7Received {
    /// MSH-10 (empty when it could not be read).
    pub control_id: String,
    pub outcome: crate::interop::hl7v2::receive::Outcome,
    /// MSA-1: AA, AE or AR.
    pub ack_code: String,
    /// Why it was held or refused, or what was not filed; empty when all was filed.
    pub text: String,
    /// For AE and AR, the error's stable code (e.g. hl7_missing_field).
    pub error_code: Option<String>,
    /// The `hl7_message` record kept (new, or the earlier one for a duplicate).
    pub message: Option<Uuid>,
    /// The chart the results were filed in, and its MRN.
    pub patient: Option<Uuid>,
    pub mrn: Option<String>,
    /// Observations written or edited.
    pub observations: Vec<Uuid>,
    /// Orders completed.
    pub orders: Vec<Uuid>,
    /// The ACK message (segments ended by `\r`).
    pub ack: String,
}

/// `hl7.assign`: file a held message's results in a patient's chart.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hl7Assign {
    /// The held message (hl7.unmatched).
    pub id: Uuid,
    /// Its `version` from hl7.unmatched.
    #[serde(default)]
    pub version: Vec<Uuid>,
    /// Whose results they are.
    pub patient: Uuid,
}

/// The message filed, and the observations it wrote.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hl7Assigned {
    pub message: crate::interop::hl7v2::entities::Hl7MessageRecord,
    pub results: Vec<ObservationRecord>,
}

/// `hl7.refuse`: a held message is not filed anywhere; it stays on record with the reason.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hl7Refuse {
    pub id: Uuid,
    #[serde(default)]
    pub version: Vec<Uuid>,
    pub reason: String,
}

/// Value set files for `valueset.import`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueSetImportRequest {
    /// Each a JSON file: a FHIR ValueSet with its expansion, or a Bundle of them.
    pub files: Vec<ValueSetFileArg>,
}

/// One file's name (for the report) and text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueSetFileArg {
    pub name: String,
    pub content: String,
}

/// A coded kind of visit the visit form offers (`visit.kinds`): a visit given one counts
/// for the quality measures whose qualifying visits hold its code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VisitKindInfo {
    /// What `type_system` takes: empty for SNOMED CT, `CPT` or `HCPCS`.
    pub system: String,
    pub code: String,
    /// Its words; empty for CPT and HCPCS codes, whose descriptions are not shipped.
    pub display: String,
    /// The kind of visit it is (`Office Visit`, `Annual Wellness Visit`...), for grouping.
    pub group: String,
    /// The imported visit value sets that hold it (by name): empty until the practice
    /// imports its value sets, and then the visit counts for no measure.
    pub value_sets: Vec<String>,
}

/// A quality measure Chartkeep computes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MeasureInfo {
    pub measure: crate::care::measures::Measure,
    pub title: String,
    /// The eCQM version, 2025 performance period.
    pub version: String,
    pub description: String,
    /// Population groups (CMS138 has three).
    pub groups: usize,
    /// Every value set the measure needs is imported (`valueset.import`).
    pub value_sets_imported: bool,
    /// The OIDs of those that are not.
    pub missing_value_sets: Vec<String>,
}

/// Which measure, for which period, for whom.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureEvaluate {
    /// CMS122, CMS165, CMS125, CMS130 or CMS138.
    pub measure: String,
    /// First day of the measurement period.
    pub from: chrono::NaiveDate,
    /// Last day, included.
    pub to: chrono::NaiveDate,
    /// One patient only; the whole practice when left out.
    #[serde(default)]
    pub patient: Option<Uuid>,
}
