//! The clinical record: what may be written (validation) and what is read (queries).
//!
//! Functions here never write. Edits return the [`Change`]s to commit; the caller (the API)
//! commits them through the ledger as one signed commit, so a form is saved whole or not
//! at all. Queries read the projection tables through a read-only connection.

pub mod conflicts;
pub mod documents;
pub mod entities;
pub mod notes;
pub mod patient;
pub mod record;
pub mod search;
pub mod shape;
pub mod summary;
pub mod timeline;
pub mod validate;
pub mod vitals;

use rusqlite::Connection;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::clock::{Clock, IdSource};
use crate::ledger::schema::EntityDef;
use crate::ledger::{history, Change, LedgerError, Op, Value};

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A clinical code not in the shipped code set: the UI offers the code search here,
    /// so it is told apart from other invalid input by the rule that found it.
    #[error("{field}: {message}")]
    InvalidCode { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Immutable(String),
    #[error("{0}")]
    TooLarge(String),
    /// A stored row that does not fit its answer type: the catalogue and a table disagree.
    #[error("{0}")]
    Shape(String),
    /// An account or setting check, met while settling a conflict on one.
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl ChartError {
    pub fn invalid(field: &str, message: &str) -> ChartError {
        ChartError::Invalid {
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// A code (ICD-10, LOINC, CVX) that the code set does not have.
    pub fn invalid_code(field: &str, message: &str) -> ChartError {
        ChartError::InvalidCode {
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ChartError::Invalid { .. } => "invalid_input",
            ChartError::InvalidCode { .. } => "invalid_code",
            ChartError::NotFound(_) => "not_found",
            ChartError::Immutable(_) => "record_immutable",
            ChartError::TooLarge(_) => "too_large",
            ChartError::Shape(_) => "internal_error",
            ChartError::Access(e) => e.code(),
            ChartError::Ledger(e) => e.code(),
            ChartError::Storage(_) => "storage_error",
        }
    }
}

/// What chart logic may use: a read-only view, the clock and the id source.
pub struct Ctx<'a> {
    pub conn: &'a Connection,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

impl Ctx<'_> {
    pub fn new_id(&self) -> Uuid {
        self.ids.uuid_v7(self.clock.now_ms())
    }
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }
}

/// Patient-scoped kinds of record that share the generic add/update/retract/list commands.
pub static RECORD_KINDS: &[&EntityDef] = &[
    &entities::COVERAGE,
    &entities::PROBLEM,
    &entities::MEDICATION,
    &entities::ALLERGY,
    &entities::IMMUNIZATION,
    &entities::ENCOUNTER,
    &entities::OBSERVATION,
    &entities::NOTE,
    &entities::ORDER,
    &entities::PROCEDURE,
    &entities::HOSPITALIZATION,
    &entities::FAMILY_HISTORY,
    &entities::SOCIAL_HISTORY,
    &entities::DECLINE,
    &entities::DOCUMENT,
];

pub fn kind(name: &str) -> Option<&'static EntityDef> {
    RECORD_KINDS.iter().copied().find(|d| d.name == name)
}

/// The typed shapes of [`RECORD_KINDS`], in the same order.
pub static RECORD_SHAPES: &[shape::Shape] = &[
    shape::Shape::of::<entities::CoverageFields>(),
    shape::Shape::of::<entities::ProblemFields>(),
    shape::Shape::of::<entities::MedicationFields>(),
    shape::Shape::of::<entities::AllergyFields>(),
    shape::Shape::of::<entities::ImmunizationFields>(),
    shape::Shape::of::<entities::EncounterFields>(),
    shape::Shape::of::<entities::ObservationFields>(),
    shape::Shape::of::<entities::NoteFields>(),
    shape::Shape::of::<entities::OrderFields>(),
    shape::Shape::of::<entities::ProcedureFields>(),
    shape::Shape::of::<entities::HospitalizationFields>(),
    shape::Shape::of::<entities::FamilyHistoryFields>(),
    shape::Shape::of::<entities::SocialHistoryFields>(),
    shape::Shape::of::<entities::DeclineFields>(),
    shape::Shape::of::<entities::DocumentFields>(),
];

/// The typed shapes of a patient-scoped kind of record.
pub fn shape(name: &str) -> Option<&'static shape::Shape> {
    RECORD_SHAPES.iter().find(|s| s.def.name == name)
}

/// Loads a row as a JSON object, or NotFound.
pub fn load(
    conn: &Connection,
    def: &EntityDef,
    id: &Uuid,
) -> Result<Map<String, Json>, ChartError> {
    match record::row_json(conn, def, id)? {
        Some(Json::Object(m)) => Ok(m),
        _ => Err(ChartError::NotFound(format!(
            "{} {}",
            def.name.replace('_', " "),
            id
        ))),
    }
}

/// A new patient-scoped record: validated, returned as the change that creates it.
/// `fields` come from the kind's typed `…Fields` (see `shape.rs`), `patient` aside.
pub fn add(
    ctx: &Ctx,
    def: &EntityDef,
    patient: &Uuid,
    mut fields: Vec<(String, Value)>,
) -> Result<(Uuid, Change), ChartError> {
    let p = load(ctx.conn, &entities::PATIENT, patient)?;
    if p.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::invalid(
            "patient",
            "this patient record was entered in error",
        ));
    }
    fields.retain(|(k, _)| k != "patient");
    fields.push(("patient".into(), Value::Text(patient.to_string())));
    validate::defaults(def, &mut fields, ctx);
    let merged = merged_view(&Map::new(), &fields);
    validate::check(ctx, def, &mut fields, &merged, Some(&p))?;
    let id = ctx.new_id();
    Ok((
        id,
        Change::new(ctx.new_id(), def.name, id, Op::Create, fields, vec![]),
    ))
}

/// A new record for a patient who may not be in the tables yet (an import registers the
/// patient and adds their records in one commit): the same defaults and checks as [`add`],
/// against `patient` as it will stand, under the id the caller chose (the source's own,
/// so that importing the same data again finds it).
pub fn add_for(
    ctx: &Ctx,
    def: &EntityDef,
    id: Uuid,
    patient_id: &Uuid,
    patient: &Map<String, Json>,
    mut fields: Vec<(String, Value)>,
) -> Result<Change, ChartError> {
    fields.retain(|(k, _)| k != "patient");
    fields.push(("patient".into(), Value::Text(patient_id.to_string())));
    validate::defaults(def, &mut fields, ctx);
    let merged = merged_view(&Map::new(), &fields);
    validate::check(ctx, def, &mut fields, &merged, Some(patient))?;
    Ok(Change::new(
        ctx.new_id(),
        def.name,
        id,
        Op::Create,
        fields,
        vec![],
    ))
}

/// "No known allergies", refused while an active allergy is on file.
pub fn allergy_none(ctx: &Ctx, patient: &Uuid) -> Result<(Uuid, Change), ChartError> {
    let active = record::list_for_patient(ctx.conn, &entities::ALLERGY, patient, false)?;
    if active.iter().any(|a| {
        a.get("status").and_then(Json::as_str) == Some("active")
            && a.get("no_known") != Some(&Json::Bool(true))
    }) {
        return Err(ChartError::invalid(
            "patient",
            "this patient has active allergies on file; mark them inactive or entered in error first",
        ));
    }
    add(
        ctx,
        &entities::ALLERGY,
        patient,
        vec![("no_known".into(), Value::Bool(true))],
    )
}

/// New values for an existing record, based on `version` (from the caller's read), so that
/// concurrent edits become visible conflicts.
pub fn update(
    ctx: &Ctx,
    def: &EntityDef,
    id: Uuid,
    version: &[Uuid],
    mut fields: Vec<(String, Value)>,
) -> Result<(Uuid, Change), ChartError> {
    let current = load(ctx.conn, def, &id)?;
    if current.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::Immutable(format!(
            "this {} was entered in error and can no longer be edited",
            def.name.replace('_', " ")
        )));
    }
    validate::editable(def, &current)?;
    // The patient a record belongs to is fixed when it is added.
    fields.retain(|(k, _)| k != "patient");
    if fields.is_empty() {
        return Err(ChartError::invalid("request", "no fields to change"));
    }
    let merged = merged_view(&current, &fields);
    let patient = match current.get("patient").and_then(Json::as_str) {
        Some(p) => Some(load(
            ctx.conn,
            &entities::PATIENT,
            &Uuid::parse_str(p).unwrap_or_default(),
        )?),
        None => None,
    };
    validate::check(ctx, def, &mut fields, &merged, patient.as_ref())?;
    let base = base_from(version)?;
    Ok((
        id,
        Change::new(ctx.new_id(), def.name, id, Op::Set, fields, base),
    ))
}

/// "Entered in error": the record stays, marked and explained, never deleted.
pub fn retract(
    ctx: &Ctx,
    def: &EntityDef,
    id: Uuid,
    version: &[Uuid],
    reason: &str,
) -> Result<(Uuid, Change), ChartError> {
    let current = load(ctx.conn, def, &id)?;
    if current.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::invalid(
            "id",
            "this record is already marked entered in error",
        ));
    }
    let reason = Some(reason.trim())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ChartError::invalid("reason", "say why the record was entered in error"))?;
    let base = base_from(version)?;
    Ok((
        id,
        Change::new(
            ctx.new_id(),
            def.name,
            id,
            Op::Retract,
            vec![
                ("retracted".into(), Value::Bool(true)),
                ("retract_reason".into(), Value::Text(reason.to_string())),
            ],
            base,
        ),
    ))
}

/// The base of an edit: the version the caller read. It is required: an edit based on
/// whatever the row holds at save time would silently overwrite an edit made meanwhile on
/// another workstation, instead of keeping both for a person to choose.
pub fn base_from(version: &[Uuid]) -> Result<Vec<Uuid>, ChartError> {
    if version.is_empty() {
        return Err(ChartError::invalid(
            "version",
            "is required: pass the `version` from the read the edit was made on, so that an edit made meanwhile elsewhere is kept, not overwritten",
        ));
    }
    Ok(version.to_vec())
}

/// The record as it would be after the edit, for validation across fields.
fn merged_view(current: &Map<String, Json>, fields: &[(String, Value)]) -> Map<String, Json> {
    let mut m = current.clone();
    for (k, v) in fields {
        m.insert(k.clone(), v.to_json());
    }
    m
}

/// One change in a record's history.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct HistoryEntry {
    /// The change id.
    pub change: String,
    /// create, set, retract, amend or resolve.
    pub op: String,
    /// RFC 3339.
    pub at: String,
    /// The author's user id, and name.
    pub author: String,
    pub author_name: String,
    /// The first 8 bytes of the workstation id, hex.
    pub device: String,
    /// The fields the change wrote, with their values.
    pub fields: Map<String, Json>,
}

/// Every change to a record, oldest first, with who and when: the per-field history.
pub fn history(conn: &Connection, id: &Uuid) -> Result<Vec<HistoryEntry>, ChartError> {
    let entries = history::row(conn, id)?;
    if entries.is_empty() {
        return Err(ChartError::NotFound(format!("record {id}")));
    }
    let names = crate::access::users::names(conn)?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let author = e.author.to_string();
            HistoryEntry {
                change: e.change.to_string(),
                op: e.op.name().to_string(),
                at: crate::clock::rfc3339(e.at_ms),
                author_name: names.get(&author).cloned().unwrap_or_default(),
                author,
                device: hex::encode(&e.device[..8]),
                fields: e
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            }
        })
        .collect())
}
