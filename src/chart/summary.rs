//! The chart summary: what a clinician needs on opening a chart, in one read.

use rusqlite::Connection;
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::entities::{self, PATIENT};
use super::record::row_to_json;
use super::ChartError;
use crate::ledger::schema::EntityDef;

fn rows(
    conn: &Connection,
    def: &EntityDef,
    sql_tail: &str,
    patient: &str,
) -> Result<Vec<Json>, ChartError> {
    let sql = format!(
        "SELECT * FROM \"{}\" WHERE patient = ?1 AND retracted = 0 {sql_tail}",
        def.table
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let out = stmt
        .query_map([patient], |r| Ok(Json::Object(row_to_json(def, r))))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

pub fn summary(conn: &Connection, patient: &Uuid) -> Result<Json, ChartError> {
    let mut p = super::load(conn, &PATIENT, patient)?;
    p.insert(
        "name".into(),
        Json::String(super::patient::display_name(&p)),
    );
    let id = patient.to_string();
    let allergies = rows(
        conn,
        &entities::ALLERGY,
        "AND status = 'active' ORDER BY substance",
        &id,
    )?;
    let no_known_allergies = allergies
        .iter()
        .any(|a| a.get("no_known") == Some(&Json::Bool(true)))
        && !allergies
            .iter()
            .any(|a| a.get("no_known") != Some(&Json::Bool(true)));
    let latest = |category: &str| -> Result<Vec<Json>, ChartError> {
        let mut stmt = conn.prepare_cached(
            "SELECT code, display, max(effective) AS effective, value_num, value_text, unit, flag, id
             FROM observation WHERE patient = ?1 AND category = ?2 AND retracted = 0
             GROUP BY code ORDER BY display",
        )?;
        let out = stmt
            .query_map([&id, category], |r| {
                Ok(json!({
                    "code": r.get::<_, String>(0)?,
                    "display": r.get::<_, Option<String>>(1)?,
                    "effective": r.get::<_, Option<String>>(2)?,
                    "value_num": r.get::<_, Option<f64>>(3)?,
                    "value_text": r.get::<_, Option<String>>(4)?,
                    "unit": r.get::<_, Option<String>>(5)?,
                    "flag": r.get::<_, Option<String>>(6)?,
                    "id": r.get::<_, String>(7)?,
                }))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(out)
    };
    let open_conflicts: i64 = conn.query_row(
        "SELECT count(*) FROM ledger_conflict c WHERE (c.row = ?1 OR c.row IN (
            SELECT id FROM problem WHERE patient = ?1 UNION ALL SELECT id FROM medication WHERE patient = ?1
            UNION ALL SELECT id FROM allergy WHERE patient = ?1 UNION ALL SELECT id FROM immunization WHERE patient = ?1
            UNION ALL SELECT id FROM coverage WHERE patient = ?1 UNION ALL SELECT id FROM encounter WHERE patient = ?1))",
        [&id],
        |r| r.get(0),
    )?;
    Ok(json!({
        "patient": p,
        "allergies": allergies,
        "no_known_allergies": no_known_allergies,
        "problems": rows(conn, &entities::PROBLEM, "AND status IN ('active', 'remission') ORDER BY onset_date", &id)?,
        "medications": rows(conn, &entities::MEDICATION, "AND status IN ('active', 'on-hold') ORDER BY name", &id)?,
        "immunizations": rows(conn, &entities::IMMUNIZATION, "ORDER BY date DESC LIMIT 30", &id)?,
        "vitals": latest("vital")?,
        "labs": latest("lab")?,
        "encounters": rows(conn, &entities::ENCOUNTER, "ORDER BY start DESC LIMIT 5", &id)?,
        "notes": rows(conn, &entities::NOTE, "ORDER BY created_at DESC LIMIT 5", &id)?,
        "orders": rows(conn, &entities::ORDER, "AND status IN ('ordered', 'in-progress') ORDER BY ordered_at DESC", &id)?,
        "coverages": rows(conn, &entities::COVERAGE, "AND status = 'active' ORDER BY priority", &id)?,
        "family_history": rows(conn, &entities::FAMILY_HISTORY, "ORDER BY relative", &id)?,
        "social_history": rows(conn, &entities::SOCIAL_HISTORY, "ORDER BY recorded_date DESC LIMIT 1", &id)?,
        "surgical_history": rows(conn, &entities::PROCEDURE, "AND surgical = 1 ORDER BY date DESC", &id)?,
        "hospitalizations": rows(conn, &entities::HOSPITALIZATION, "ORDER BY admit_date DESC", &id)?,
        "open_conflicts": open_conflicts,
    }))
}
