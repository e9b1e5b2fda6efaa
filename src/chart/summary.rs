//! The chart summary: what a clinician needs on opening a chart, in one read.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entities::{
    self, AllergyRecord, CoverageRecord, EncounterRecord, FamilyHistoryRecord,
    HospitalizationRecord, ImmunizationRecord, MedicationRecord, NoteRecord, OrderRecord,
    ProblemRecord, ProcedureRecord, SocialHistoryRecord, PATIENT,
};
use super::patient::PatientView;
use super::record::row_to_json;
use super::shape::answer;
use super::ChartError;
use crate::ledger::schema::EntityDef;

/// The latest value of one observation code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Latest {
    /// LOINC.
    pub code: String,
    pub display: Option<String>,
    /// RFC 3339.
    pub effective: Option<String>,
    pub value_num: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    pub flag: Option<String>,
    /// final, preliminary, amended or cancelled: a preliminary lab result is shown as such.
    #[serde(default)]
    pub status: Option<String>,
    /// The observation's id.
    pub id: String,
}

/// What a clinician needs on opening a chart.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub patient: PatientView,
    /// Active allergies, by substance.
    pub allergies: Vec<AllergyRecord>,
    /// The only active allergy entry says "no known allergies".
    pub no_known_allergies: bool,
    /// Active and in-remission problems, by onset.
    pub problems: Vec<ProblemRecord>,
    /// Active and on-hold medications, by name.
    pub medications: Vec<MedicationRecord>,
    /// The 30 latest immunizations.
    pub immunizations: Vec<ImmunizationRecord>,
    /// The latest value of each vital sign.
    pub vitals: Vec<Latest>,
    /// The latest value of each lab test.
    pub labs: Vec<Latest>,
    /// The 5 latest visits.
    pub encounters: Vec<EncounterRecord>,
    /// The 5 latest notes.
    pub notes: Vec<NoteRecord>,
    /// Open orders, newest first.
    pub orders: Vec<OrderRecord>,
    /// Active coverages by priority.
    pub coverages: Vec<CoverageRecord>,
    pub family_history: Vec<FamilyHistoryRecord>,
    /// The latest social history entry.
    pub social_history: Vec<SocialHistoryRecord>,
    pub surgical_history: Vec<ProcedureRecord>,
    pub hospitalizations: Vec<HospitalizationRecord>,
    /// Fields of this chart edited concurrently and awaiting a person's choice.
    pub open_conflicts: i64,
}

fn rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    def: &EntityDef,
    sql_tail: &str,
    patient: &str,
) -> Result<Vec<T>, ChartError> {
    let sql = format!(
        "SELECT * FROM \"{}\" WHERE patient = ?1 AND retracted = 0 {sql_tail}",
        def.table
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let out = stmt
        .query_map([patient], |r| Ok(row_to_json(def, r)))?
        .collect::<Result<Vec<_>, _>>()?;
    out.into_iter().map(answer).collect()
}

pub fn summary(conn: &Connection, patient: &Uuid) -> Result<Summary, ChartError> {
    let p = super::patient::view(super::load(conn, &PATIENT, patient)?)?;
    let id = patient.to_string();
    let allergies: Vec<AllergyRecord> = rows(
        conn,
        &entities::ALLERGY,
        "AND status = 'active' ORDER BY substance",
        &id,
    )?;
    let no_known_allergies = allergies.iter().any(|a| a.no_known == Some(true))
        && !allergies.iter().any(|a| a.no_known != Some(true));
    let latest = |category: &str| -> Result<Vec<Latest>, ChartError> {
        let mut stmt = conn.prepare_cached(
            "SELECT code, display, max(effective) AS effective, value_num, value_text, unit, flag, id, status
             FROM observation WHERE patient = ?1 AND category = ?2 AND retracted = 0
             GROUP BY code ORDER BY display",
        )?;
        let out = stmt
            .query_map([&id, category], |r| {
                Ok(Latest {
                    code: r.get(0)?,
                    display: r.get(1)?,
                    effective: r.get(2)?,
                    value_num: r.get(3)?,
                    value_text: r.get(4)?,
                    unit: r.get(5)?,
                    flag: r.get(6)?,
                    id: r.get(7)?,
                    status: r.get(8)?,
                })
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
    Ok(Summary {
        patient: p,
        allergies,
        no_known_allergies,
        problems: rows(
            conn,
            &entities::PROBLEM,
            "AND status IN ('active', 'remission') ORDER BY onset_date",
            &id,
        )?,
        medications: rows(
            conn,
            &entities::MEDICATION,
            "AND status IN ('active', 'on-hold') ORDER BY name",
            &id,
        )?,
        immunizations: rows(
            conn,
            &entities::IMMUNIZATION,
            "ORDER BY date DESC, id DESC LIMIT 30",
            &id,
        )?,
        vitals: latest("vital")?,
        labs: latest("lab")?,
        encounters: rows(
            conn,
            &entities::ENCOUNTER,
            "ORDER BY start DESC, id DESC LIMIT 5",
            &id,
        )?,
        notes: rows(
            conn,
            &entities::NOTE,
            // By when they were signed (or, for drafts, written): an imported note keeps
            // its signing time, and the import's time says nothing of the visit.
            "ORDER BY coalesce(signed_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at / 1000, 'unixepoch')) DESC, id DESC LIMIT 5",
            &id,
        )?,
        orders: rows(
            conn,
            &entities::ORDER,
            "AND status IN ('ordered', 'in-progress') ORDER BY ordered_at DESC",
            &id,
        )?,
        coverages: rows(
            conn,
            &entities::COVERAGE,
            "AND status = 'active' ORDER BY priority",
            &id,
        )?,
        family_history: rows(conn, &entities::FAMILY_HISTORY, "ORDER BY relative", &id)?,
        social_history: rows(
            conn,
            &entities::SOCIAL_HISTORY,
            "ORDER BY recorded_date DESC, id DESC LIMIT 1",
            &id,
        )?,
        surgical_history: rows(
            conn,
            &entities::PROCEDURE,
            "AND surgical = 1 ORDER BY date DESC",
            &id,
        )?,
        hospitalizations: rows(
            conn,
            &entities::HOSPITALIZATION,
            "ORDER BY admit_date DESC",
            &id,
        )?,
        open_conflicts,
    })
}
