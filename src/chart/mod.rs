//! The clinical record: what may be written (validation) and what is read (queries).
//!
//! Functions here never write. Edits return the [`Change`]s to commit; the caller (the API)
//! commits them through the ledger as one signed commit, so a form is saved whole or not
//! at all. Queries read the projection tables through a read-only connection.

pub mod documents;
pub mod entities;
pub mod notes;
pub mod patient;
pub mod record;
pub mod search;
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
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Immutable(String),
    #[error("{0}")]
    TooLarge(String),
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

    pub fn code(&self) -> &'static str {
        match self {
            ChartError::Invalid { field, .. } if field == "code" || field.ends_with(".code") => {
                "invalid_code"
            }
            ChartError::Invalid { .. } => "invalid_input",
            ChartError::NotFound(_) => "not_found",
            ChartError::Immutable(_) => "record_immutable",
            ChartError::TooLarge(_) => "too_large",
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
    &entities::DOCUMENT,
];

pub fn kind(name: &str) -> Option<&'static EntityDef> {
    RECORD_KINDS.iter().copied().find(|d| d.name == name)
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
pub fn add(ctx: &Ctx, def: &EntityDef, input: &Json) -> Result<(Uuid, Change), ChartError> {
    let patient = record::get_id(input, "patient")?;
    let p = load(ctx.conn, &entities::PATIENT, &patient)?;
    if p.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::invalid(
            "patient",
            "this patient record was entered in error",
        ));
    }
    let mut fields = record::fields_from_json(def, input, &["patient"])?;
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

/// New values for an existing record, based on `version` (from the caller's read), so that
/// concurrent edits become visible conflicts.
pub fn update(ctx: &Ctx, def: &EntityDef, input: &Json) -> Result<(Uuid, Change), ChartError> {
    let id = record::get_id(input, "id")?;
    let current = load(ctx.conn, def, &id)?;
    if current.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::Immutable(format!(
            "this {} was entered in error and can no longer be edited",
            def.name.replace('_', " ")
        )));
    }
    validate::editable(def, &current)?;
    let mut fields = record::fields_from_json(def, input, &["patient"])?;
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
    let base = base_from(input)?;
    Ok((
        id,
        Change::new(ctx.new_id(), def.name, id, Op::Set, fields, base),
    ))
}

/// "Entered in error": the record stays, marked and explained, never deleted.
pub fn retract(ctx: &Ctx, def: &EntityDef, input: &Json) -> Result<(Uuid, Change), ChartError> {
    let id = record::get_id(input, "id")?;
    let current = load(ctx.conn, def, &id)?;
    if current.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::invalid(
            "id",
            "this record is already marked entered in error",
        ));
    }
    let reason = input
        .get("reason")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ChartError::invalid("reason", "say why the record was entered in error"))?;
    let base = base_from(input)?;
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
pub fn base_from(input: &Json) -> Result<Vec<Uuid>, ChartError> {
    let bad = || {
        ChartError::invalid(
            "version",
            "must be the version list from a previous read of this record",
        )
    };
    match input.get("version") {
        Some(Json::Array(ids)) if !ids.is_empty() => ids
            .iter()
            .map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(bad))
            .collect(),
        Some(Json::Null) | None => Err(ChartError::invalid(
            "version",
            "is required: pass the `version` from the read the edit was made on, so that an edit made meanwhile elsewhere is kept, not overwritten",
        )),
        Some(_) => Err(bad()),
    }
}

/// The record as it would be after the edit, for validation across fields.
fn merged_view(current: &Map<String, Json>, fields: &[(String, Value)]) -> Map<String, Json> {
    let mut m = current.clone();
    for (k, v) in fields {
        m.insert(k.clone(), v.to_json());
    }
    m
}

/// Every change to a record, oldest first, with who and when: the per-field history.
pub fn history(conn: &Connection, id: &Uuid) -> Result<Json, ChartError> {
    let entries = history::row(conn, id)?;
    if entries.is_empty() {
        return Err(ChartError::NotFound(format!("record {id}")));
    }
    let names = crate::access::users::names(conn)?;
    Ok(Json::Array(
        entries
            .into_iter()
            .map(|e| {
                let fields: Map<String, Json> = e
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                let author = e.author.to_string();
                serde_json::json!({
                    "change": e.change.to_string(),
                    "op": e.op.name(),
                    "at": crate::clock::rfc3339(e.at_ms),
                    "author": author,
                    "author_name": names.get(&author).cloned().unwrap_or_default(),
                    "device": hex::encode(&e.device[..8]),
                    "fields": fields,
                })
            })
            .collect(),
    ))
}
