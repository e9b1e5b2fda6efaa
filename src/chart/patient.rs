//! Patients: demographics, identifiers and the medical record number.

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::entities::PATIENT;
use super::{validate, ChartError, Ctx};
use crate::ledger::{Change, Op, Value};

/// The next free medical record number on this workstation: seven digits, sequential.
pub fn next_mrn(ctx: &Ctx) -> Result<String, ChartError> {
    let mut n: i64 = ctx
        .conn
        .query_row("SELECT count(*) FROM patient", [], |r| r.get(0))?;
    loop {
        n += 1;
        let mrn = format!("{n:07}");
        let taken: i64 =
            ctx.conn
                .query_row("SELECT count(*) FROM patient WHERE mrn = ?1", [&mrn], |r| {
                    r.get(0)
                })?;
        if taken == 0 {
            return Ok(mrn);
        }
    }
}

/// A new patient from the typed `PatientFields`' values.
pub fn create(ctx: &Ctx, mut fields: Vec<(String, Value)>) -> Result<(Uuid, Change), ChartError> {
    if fields.iter().all(|(k, v)| k != "status" || v.is_null()) {
        fields.retain(|(k, _)| k != "status");
        fields.push(("status".into(), Value::from("active")));
    }
    match fields.iter().find(|(k, _)| k == "mrn") {
        Some((_, Value::Text(m))) if !m.is_empty() => {
            let taken: i64 = ctx.conn.query_row(
                "SELECT count(*) FROM patient WHERE mrn = ?1 AND retracted = 0",
                [m],
                |r| r.get(0),
            )?;
            if taken > 0 {
                return Err(ChartError::invalid(
                    "mrn",
                    &format!("MRN {m} already belongs to another patient"),
                ));
            }
        }
        _ => {
            fields.retain(|(k, _)| k != "mrn");
            fields.push(("mrn".into(), Value::Text(next_mrn(ctx)?)));
        }
    }
    let merged: Map<String, Json> = fields
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    validate::check(ctx, &PATIENT, &mut fields, &merged, None)?;
    let id = ctx.new_id();
    Ok((
        id,
        Change::new(ctx.new_id(), "patient", id, Op::Create, fields, vec![]),
    ))
}

pub fn update(
    ctx: &Ctx,
    id: Uuid,
    version: &[Uuid],
    mut fields: Vec<(String, Value)>,
) -> Result<(Uuid, Change), ChartError> {
    let current = super::load(ctx.conn, &PATIENT, &id)?;
    if current.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::Immutable(
            "this patient record was entered in error and can no longer be edited".into(),
        ));
    }
    if fields.is_empty() {
        return Err(ChartError::invalid("request", "no fields to change"));
    }
    if let Some((_, Value::Text(m))) = fields.iter().find(|(k, _)| k == "mrn") {
        let taken: i64 = ctx.conn.query_row(
            "SELECT count(*) FROM patient WHERE mrn = ?1 AND id <> ?2 AND retracted = 0",
            [m, &id.to_string()],
            |r| r.get(0),
        )?;
        if taken > 0 {
            return Err(ChartError::invalid(
                "mrn",
                &format!("MRN {m} already belongs to another patient"),
            ));
        }
    }
    let mut merged = current.clone();
    for (k, v) in &fields {
        merged.insert(k.clone(), v.to_json());
    }
    validate::check(ctx, &PATIENT, &mut fields, &merged, None)?;
    let base = super::base_from(version)?;
    Ok((
        id,
        Change::new(ctx.new_id(), "patient", id, Op::Set, fields, base),
    ))
}

/// A patient as answers carry it: the record and its display name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct PatientView {
    #[serde(flatten)]
    pub record: super::entities::PatientRecord,
    /// "Family, Given Middle (Preferred)".
    pub name: String,
}

/// The typed answer for a patient row read as JSON.
pub fn view(row: Map<String, Json>) -> Result<PatientView, ChartError> {
    let name = display_name(&row);
    Ok(PatientView {
        record: super::shape::answer(row)?,
        name,
    })
}

/// The display name: "Family, Given Middle (Preferred)".
pub fn display_name(p: &Map<String, Json>) -> String {
    let family = p.get("family").and_then(Json::as_str).unwrap_or("");
    let given: Vec<&str> = p
        .get("given")
        .and_then(Json::as_array)
        .map(|g| g.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let mut s = format!("{family}, {}", given.join(" "));
    if let Some(pref) = p
        .get("preferred")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
    {
        s.push_str(&format!(" ({pref})"));
    }
    s.trim_end_matches([',', ' ']).to_string()
}
