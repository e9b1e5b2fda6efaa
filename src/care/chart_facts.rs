//! Reads the chart's records into the plain inputs the decision-support engines take:
//! [`Facts`] for preventive rules and registries, the CDSi patient and doses for the
//! immunization forecast, and the active medications and allergies for safety checks.
//!
//! One patient or the whole practice goes through the same code. For the whole practice
//! each table is read once, in one scan, and grouped by patient: a due list over 100,000
//! charts must not cost 100,000 × 9 queries.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use uuid::Uuid;

use super::facts::{
    Decline, Facts, Medication, Observation, Order, Problem, Procedure, RiskEstimate, Sex,
    TobaccoUse,
};
use super::immunization::{self, Dose};
use super::medication_safety::{AllergyInput, MedicationInput};
use super::preventive::PatientRef;
use crate::chart::ChartError;

/// LOINC 79423-0, "Cardiovascular disease 10Y risk [Likelihood]": where a practice that
/// computes a pooled-cohort risk files it, so the statin rule can read it.
const CVD_RISK_LOINC: &str = "79423-0";

/// The code system under which a problem entry records a CDSi observation (a condition
/// that changes the immunization schedule: "007" pregnancy, "040" asplenia...).
pub const CDSI_CODE_SYSTEM: &str = "cdsi";

/// One chart, read for decision support.
#[derive(Debug, Clone)]
pub struct ChartFacts {
    pub patient: PatientRef,
    /// Active or inactive; practice-wide lists leave out deceased and inactive patients.
    pub status: Option<String>,
    pub facts: Facts,
    /// CDSi observation codes recorded as active problems.
    pub cdsi_observations: Vec<String>,
    /// Immunizations given (not refused), oldest first.
    pub doses: Vec<Dose>,
}

impl ChartFacts {
    /// The CDSi patient for this chart.
    pub fn cdsi_patient(&self) -> immunization::Patient {
        immunization::Patient {
            birth_date: self.facts.birth_date,
            sex: match self.facts.sex {
                Sex::Female => immunization::Sex::Female,
                Sex::Male => immunization::Sex::Male,
                Sex::Other | Sex::Unknown => immunization::Sex::Unknown,
            },
            observations: self.cdsi_observations.clone(),
        }
    }

    /// Whether a practice-wide list should consider the patient.
    pub fn in_care(&self) -> bool {
        !matches!(
            self.status.as_deref(),
            Some("deceased") | Some("inactive") | Some("entered-in-error")
        )
    }
}

/// One patient's chart; `NotFound` when there is no such patient.
pub fn for_patient(conn: &Connection, patient: &Uuid) -> Result<ChartFacts, ChartError> {
    let id = patient.to_string();
    read(conn, Some(&id))?
        .pop()
        .ok_or_else(|| ChartError::NotFound(format!("patient {patient}")))
}

/// Every patient's chart (not retracted), in MRN order.
pub fn for_practice(conn: &Connection) -> Result<Vec<ChartFacts>, ChartError> {
    read(conn, None)
}

/// Runs `sql` with `WHERE patient = ?1` (one patient) or over the table, calling `row`
/// with the patient's slot for each row.
fn scan<F>(
    conn: &Connection,
    sql: &str,
    one: Option<&str>,
    slots: &HashMap<String, usize>,
    mut row: F,
) -> Result<(), ChartError>
where
    F: FnMut(usize, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
{
    let filter = if one.is_some() {
        "AND patient = ?1"
    } else {
        ""
    };
    let sql = sql.replace("{patient}", filter);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = match one {
        Some(p) => stmt.query([p])?,
        None => stmt.query([])?,
    };
    while let Some(r) = rows.next()? {
        let p: String = r.get(0)?;
        if let Some(&slot) = slots.get(&p) {
            row(slot, r)?;
        }
    }
    Ok(())
}

fn date_of(text: Option<String>) -> Option<NaiveDate> {
    let t = text?;
    NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

fn read(conn: &Connection, one: Option<&str>) -> Result<Vec<ChartFacts>, ChartError> {
    let mut charts = patients(conn, one)?;
    let slots: HashMap<String, usize> = charts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.patient.id.clone(), i))
        .collect();

    scan(
        conn,
        "SELECT patient, code, code_system, display, onset_date, resolved_date, status
         FROM problem WHERE retracted = 0 {patient} ORDER BY onset_date, id",
        one,
        &slots,
        |slot, r| {
            let code: Option<String> = r.get(1)?;
            let system: Option<String> = r.get(2)?;
            let status: Option<String> = r.get(6)?;
            let active = matches!(
                status.as_deref(),
                None | Some("active") | Some("recurrence") | Some("relapse")
            );
            let chart = &mut charts[slot];
            let system = system.filter(|s| !s.trim().is_empty());
            if system.as_deref() == Some(CDSI_CODE_SYSTEM) {
                if let (true, Some(code)) = (active, code) {
                    chart.cdsi_observations.push(code);
                }
                return Ok(());
            }
            let Some(code) = code else { return Ok(()) };
            if active && system.is_none() && is_pregnancy(&code) {
                chart.facts.pregnancy = Some(true);
            }
            chart.facts.problems.push(Problem {
                system,
                code,
                display: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                onset: date_of(r.get(4)?),
                resolved: date_of(r.get(5)?),
                active,
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, code, code_system, description, date, status
         FROM clinical_procedure WHERE retracted = 0 {patient} ORDER BY date, id",
        one,
        &slots,
        |slot, r| {
            let status: Option<String> = r.get(5)?;
            if matches!(status.as_deref(), Some("planned") | Some("not-done")) {
                return Ok(());
            }
            let (Some(code), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(4)?))
            else {
                return Ok(());
            };
            charts[slot].facts.procedures.push(Procedure {
                system: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                code,
                display: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                date,
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, code, value_num, value_text, value_code, unit, effective
         FROM observation WHERE retracted = 0 AND coalesce(status, 'final') <> 'cancelled'
         {patient} ORDER BY effective, id",
        one,
        &slots,
        |slot, r| {
            let (Some(code), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(6)?))
            else {
                return Ok(());
            };
            let value_num: Option<f64> = r.get(2)?;
            let chart = &mut charts[slot];
            if code == CVD_RISK_LOINC {
                if let Some(percent) = value_num {
                    chart.facts.ten_year_cvd_risk = Some(RiskEstimate {
                        percent,
                        date,
                        method: "recorded in the chart (LOINC 79423-0)".into(),
                    });
                }
            }
            chart.facts.observations.push(Observation {
                loinc: code,
                value_num,
                value_text: r.get(3)?,
                value_code: r.get(4)?,
                unit: r.get(5)?,
                date,
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, name, rxnorm, status, start_date, stop_date
         FROM medication WHERE retracted = 0 {patient} ORDER BY start_date, id",
        one,
        &slots,
        |slot, r| {
            let Some(name) = r.get::<_, Option<String>>(1)? else {
                return Ok(());
            };
            let status: Option<String> = r.get(3)?;
            charts[slot].facts.medications.push(Medication {
                name,
                rxnorm: r.get(2)?,
                active: is_active_medication(status.as_deref()),
                start: date_of(r.get(4)?),
                stop: date_of(r.get(5)?),
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, code, description, kind, status, coalesce(result_at, ordered_at, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'))
         FROM clinical_order WHERE retracted = 0 {patient} ORDER BY ordered_at, id",
        one,
        &slots,
        |slot, r| {
            let Some(date) = date_of(r.get(5)?) else {
                return Ok(());
            };
            charts[slot].facts.orders.push(Order {
                code: r.get(1)?,
                description: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                kind: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                status: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                date,
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, tobacco_status, coalesce(recorded_date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'))
         FROM social_history WHERE retracted = 0 AND tobacco_status IS NOT NULL {patient}
         ORDER BY recorded_date, id",
        one,
        &slots,
        |slot, r| {
            let (Some(status), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(2)?))
            else {
                return Ok(());
            };
            charts[slot].facts.tobacco.push(TobaccoUse {
                status,
                date,
                pack_years: None,
                quit_date: None,
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, rule, date, reason FROM care_decline WHERE retracted = 0 {patient}
         ORDER BY date, id",
        one,
        &slots,
        |slot, r| {
            let (Some(rule), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(2)?))
            else {
                return Ok(());
            };
            charts[slot].facts.declines.push(Decline {
                rule,
                date,
                reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            });
            Ok(())
        },
    )?;

    scan(
        conn,
        "SELECT patient, cvx, date, status FROM immunization WHERE retracted = 0 {patient}
         ORDER BY date, id",
        one,
        &slots,
        |slot, r| {
            let status: Option<String> = r.get(3)?;
            if matches!(status.as_deref(), Some("refused") | Some("not-done")) {
                return Ok(());
            }
            let (Some(cvx), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(2)?))
            else {
                return Ok(());
            };
            charts[slot].doses.push(Dose {
                date,
                cvx,
                mvx: None,
            });
            Ok(())
        },
    )?;
    Ok(charts)
}

/// ICD-10-CM Z33.1 (pregnant state) and chapter O (pregnancy, childbirth).
fn is_pregnancy(code: &str) -> bool {
    let c = code.trim().to_ascii_uppercase();
    c.starts_with("Z33.1") || c.starts_with("Z34") || (c.starts_with('O') && c.len() >= 3)
}

/// Whether a medication row's status means the patient takes it now.
pub fn is_active_medication(status: Option<&str>) -> bool {
    matches!(status, None | Some("active") | Some("on-hold"))
}

fn patients(conn: &Connection, one: Option<&str>) -> Result<Vec<ChartFacts>, ChartError> {
    let sql = format!(
        "SELECT id, mrn, family, given, preferred, birth_date, sex, phones, status
         FROM patient WHERE retracted = 0 {} ORDER BY mrn, id",
        if one.is_some() { "AND id = ?1" } else { "" }
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Option<ChartFacts>> {
        let Some(birth_date) = date_of(r.get(5)?) else {
            return Ok(None);
        };
        let given: Option<String> = r.get(3)?;
        let given: Vec<String> = given
            .and_then(|g| serde_json::from_str(&g).ok())
            .unwrap_or_default();
        let family: String = r.get::<_, Option<String>>(2)?.unwrap_or_default();
        let preferred: Option<String> = r.get(4)?;
        let first = preferred
            .filter(|p| !p.trim().is_empty())
            .or_else(|| given.first().cloned())
            .unwrap_or_default();
        let name = if first.is_empty() {
            family
        } else {
            format!("{family}, {first}")
        };
        let phones: Option<String> = r.get(7)?;
        let sex: Option<String> = r.get(6)?;
        Ok(Some(ChartFacts {
            patient: PatientRef {
                id: r.get(0)?,
                mrn: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                name,
                phone: phones.as_deref().and_then(first_phone),
            },
            status: r.get(8)?,
            facts: Facts {
                birth_date,
                sex: match sex.as_deref() {
                    Some("female") => Sex::Female,
                    Some("male") => Sex::Male,
                    Some("other") => Sex::Other,
                    _ => Sex::Unknown,
                },
                problems: vec![],
                procedures: vec![],
                observations: vec![],
                medications: vec![],
                orders: vec![],
                tobacco: vec![],
                pregnancy: None,
                declines: vec![],
                overdue_vaccine_groups: vec![],
                ten_year_cvd_risk: None,
            },
            cdsi_observations: vec![],
            doses: vec![],
        }))
    };
    let rows = match one {
        Some(p) => collect(stmt.query_map([p], map)?),
        None => collect(stmt.query_map([], map)?),
    }?;
    Ok(rows.into_iter().flatten().collect())
}

fn collect<T>(
    rows: rusqlite::MappedRows<'_, impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>>,
) -> Result<Vec<T>, ChartError> {
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The first phone number in the stored list (strings, or objects with `value`/`number`).
fn first_phone(json: &str) -> Option<String> {
    let list: serde_json::Value = serde_json::from_str(json).ok()?;
    list.as_array()?.iter().find_map(|p| match p {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Object(o) => o
            .get("value")
            .or_else(|| o.get("number"))
            .and_then(|v| v.as_str())
            .map(String::from),
        _ => None,
    })
}

/// The patient's active medications and active allergies, as the safety check takes
/// them: medications active or on hold, allergies active and not "no known allergies".
pub fn safety_inputs(
    conn: &Connection,
    patient: &Uuid,
) -> Result<(Vec<MedicationInput>, Vec<AllergyInput>), ChartError> {
    let id = patient.to_string();
    let mut meds = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, rxnorm, status FROM medication
         WHERE patient = ?1 AND retracted = 0 AND name IS NOT NULL ORDER BY created_at, id",
    )?;
    let mut rows = stmt.query([&id])?;
    while let Some(r) = rows.next()? {
        let status: Option<String> = r.get(3)?;
        if is_active_medication(status.as_deref()) {
            meds.push(MedicationInput {
                id: Some(r.get(0)?),
                name: r.get(1)?,
                rxnorm: r.get(2)?,
            });
        }
    }
    let mut allergies = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, substance, code FROM allergy
         WHERE patient = ?1 AND retracted = 0 AND coalesce(status, 'active') = 'active'
           AND coalesce(no_known, 0) = 0 AND substance IS NOT NULL ORDER BY created_at, id",
    )?;
    let mut rows = stmt.query([&id])?;
    while let Some(r) = rows.next()? {
        allergies.push(AllergyInput {
            id: Some(r.get(0)?),
            substance: r.get(1)?,
            code: r.get(2)?,
        });
    }
    Ok((meds, allergies))
}
