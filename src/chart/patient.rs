//! Patients: demographics, identifiers and the medical record number.

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::entities::PATIENT;
use super::{validate, ChartError, Ctx};
use crate::ledger::{Change, Op, Value};

/// The digits of a medical record number's serial part.
const SERIAL_DIGITS: usize = 7;

/// The next free medical record number on this workstation, sequential within its block.
///
/// Workstations hand out MRNs while apart, so each has numbers of its own: the founding
/// workstation's are seven digits (`0000042`), as they always were; every workstation
/// added since has a block number, given in the signed change that added it
/// ([`crate::ledger::member::next_mrn_block`]), and its MRNs are that number followed by
/// seven digits (block 2: `20000042`). The lengths and the leading digits keep blocks
/// apart for the first ten million patients each workstation registers, and the front desk
/// still reads and types digits only.
///
/// A collision can still happen when two administrators added workstations on two
/// machines that were apart (both may give the same block), when a member was added by an
/// older version (no block: it numbers like the founding workstation), or with a number
/// typed by hand; the ledger's duplicate detection (`duplicate.list`) lists every such MRN
/// for a person to settle.
pub fn next_mrn(ctx: &Ctx) -> Result<String, ChartError> {
    let block = match crate::ledger::Ledger::identity(ctx.conn)? {
        Some(device) => crate::ledger::member::mrn_block(ctx.conn, &device)?,
        None => None,
    };
    let prefix = block.map(|b| b.to_string()).unwrap_or_default();
    // Counting only this block's numbers keeps them dense whatever the others hand out.
    let mut n: i64 = ctx.conn.query_row(
        "SELECT count(*) FROM patient WHERE length(mrn) = ?1 AND substr(mrn, 1, ?2) = ?3
         AND mrn NOT GLOB '*[^0-9]*'",
        rusqlite::params![
            (prefix.len() + SERIAL_DIGITS) as i64,
            prefix.len() as i64,
            prefix
        ],
        |r| r.get(0),
    )?;
    loop {
        n += 1;
        let mrn = format!("{prefix}{n:0width$}", width = SERIAL_DIGITS);
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
pub fn create(ctx: &Ctx, fields: Vec<(String, Value)>) -> Result<(Uuid, Change), ChartError> {
    let id = ctx.new_id();
    Ok((id, create_as(ctx, id, fields)?))
}

/// A new patient under an id the caller chose (an import keeps the source's own).
pub fn create_as(
    ctx: &Ctx,
    id: Uuid,
    mut fields: Vec<(String, Value)>,
) -> Result<Change, ChartError> {
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
    Ok(Change::new(
        ctx.new_id(),
        "patient",
        id,
        Op::Create,
        fields,
        vec![],
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
