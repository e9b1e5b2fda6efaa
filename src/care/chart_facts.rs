//! Reads the chart's records into the plain inputs the decision-support engines take:
//! [`Facts`] for preventive rules and registries, the CDSi patient and doses for the
//! immunization forecast, and the active medications and allergies for safety checks.
//!
//! One patient or the whole practice goes through the same code. For the whole practice
//! each table is read once, in one scan, and grouped by patient: a due list over 100,000
//! charts must not cost 100,000 × 9 queries.

use std::collections::{BTreeSet, HashMap};

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

/// What a practice-wide list reads of every chart. A due list or a registry asks of
/// results only those of the codes its rules name, and of immunizations only when a
/// forecast is part of it; reading the rest would cost most of the time (the 100,000-chart
/// benchmark practice holds 6.6 million results and 1.2 million doses).
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// The LOINC codes whose results the lists read (LOINC 79423-0, a recorded
    /// cardiovascular risk, is always read).
    pub result_codes: BTreeSet<String>,
    /// Read immunizations too.
    pub doses: bool,
}

/// One patient's chart, all of it; `NotFound` when there is no such patient.
pub fn for_patient(conn: &Connection, patient: &Uuid) -> Result<ChartFacts, ChartError> {
    let id = patient.to_string();
    read(conn, Some(&id), None, None)?
        .pop()
        .ok_or_else(|| ChartError::NotFound(format!("patient {patient}")))
}

/// Every patient's chart (not retracted), in MRN order, with what `needs` names. A list
/// computed from these charts gives what it gives from each chart read with
/// [`for_patient`], as long as it reads no result outside `needs.result_codes`.
///
/// `spare`, a second connection to the same chart store, lets the results be read on
/// another core.
pub fn for_practice(
    conn: &Connection,
    needs: &Needs,
    spare: Option<Connection>,
) -> Result<Vec<ChartFacts>, ChartError> {
    read(conn, None, Some(needs), spare)
}

/// Runs `sql` with `AND patient = ?1` (one patient) or over the table (no order: the
/// rows are sorted per chart afterwards, which costs far less than SQLite's sorter over
/// a whole table), calling `row` with the patient's slot for each row.
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
        let slot = match r.get_ref(0)? {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|p| slots.get(p).copied()),
            _ => None,
        };
        if let Some(slot) = slot {
            row(slot, r)?;
        }
    }
    Ok(())
}

fn date_of(text: Option<String>) -> Option<NaiveDate> {
    day(text.as_deref()?)
}

/// The date at the start of a stored date or timestamp (`YYYY-MM-DD...`). Read by hand:
/// a practice-wide read parses millions of them, and a format string costs several
/// times more.
fn day(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// The date at the start of a text column, read in place.
fn day_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(day),
        _ => None,
    })
}

/// A record with what it is ordered by: its date, then its row id (the order it was
/// written in), the same whichever way the rows were read.
type Keyed<T> = (Option<NaiveDate>, i64, T);

/// One list per chart of keyed records, sorted and stripped once every row is in.
struct Collected<T>(Vec<Vec<Keyed<T>>>);

impl<T> Collected<T> {
    fn new(n: usize) -> Self {
        Collected((0..n).map(|_| Vec::new()).collect())
    }

    fn push(&mut self, slot: usize, key: Option<NaiveDate>, rowid: i64, item: T) {
        self.0[slot].push((key, rowid, item));
    }

    fn into_lists(self) -> impl Iterator<Item = Vec<T>> {
        self.0.into_iter().map(|mut list| {
            list.sort_by_key(|a| (a.0, a.1));
            list.into_iter().map(|(_, _, item)| item).collect()
        })
    }
}

fn read(
    conn: &Connection,
    one: Option<&str>,
    needs: Option<&Needs>,
    spare: Option<Connection>,
) -> Result<Vec<ChartFacts>, ChartError> {
    let mut charts = patients(conn, one)?;
    let slots: HashMap<String, usize> = charts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.patient.id.clone(), i))
        .collect();
    let n = charts.len();
    // The results are most of the reading; with a spare connection they are read on
    // another core while this one reads the other tables.
    let (charts, results) = std::thread::scope(|scope| {
        let slots = &slots;
        let worker = spare.map(|c| scope.spawn(move || read_results(&c, one, slots, n, needs)));
        let others = read_others(conn, one, slots, needs, &mut charts);
        let results = match worker {
            Some(w) => w.join().expect("the results reader panicked"),
            None => read_results(conn, one, slots, n, needs),
        };
        others.map(|()| (charts, results))
    })?;
    let mut charts = charts;
    let results = results?;
    for (chart, list) in charts.iter_mut().zip(results) {
        for o in list.iter().filter(|o| o.loinc == CVD_RISK_LOINC) {
            if let Some(percent) = o.value_num {
                chart.facts.ten_year_cvd_risk = Some(RiskEstimate {
                    percent,
                    date: o.date,
                    method: "recorded in the chart (LOINC 79423-0)".into(),
                });
            }
        }
        chart.facts.observations = list;
    }
    Ok(charts)
}

/// Every table but the results, into `charts`.
fn read_others(
    conn: &Connection,
    one: Option<&str>,
    slots: &HashMap<String, usize>,
    needs: Option<&Needs>,
    charts: &mut [ChartFacts],
) -> Result<(), ChartError> {
    let n = charts.len();

    let mut problems = Collected::new(n);
    scan(
        conn,
        "SELECT patient, code, code_system, display, onset_date, resolved_date, status, rowid
         FROM problem WHERE retracted = 0 {patient}",
        one,
        slots,
        |slot, r| {
            let code: Option<String> = r.get(1)?;
            let system: Option<String> = r.get(2)?;
            let status: Option<String> = r.get(6)?;
            let active = matches!(
                status.as_deref(),
                None | Some("active") | Some("recurrence") | Some("relapse")
            );
            let onset = day_at(r, 4)?;
            problems.push(
                slot,
                onset,
                r.get(7)?,
                (
                    system,
                    code,
                    active,
                    r.get::<_, Option<String>>(3)?,
                    onset,
                    day_at(r, 5)?,
                ),
            );
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(problems.into_lists()) {
        for (system, code, active, display, onset, resolved) in list {
            let system: Option<String> = system.filter(|s: &String| !s.trim().is_empty());
            if system.as_deref() == Some(CDSI_CODE_SYSTEM) {
                if let (true, Some(code)) = (active, code) {
                    chart.cdsi_observations.push(code);
                }
                continue;
            }
            let Some(code) = code else { continue };
            if active && system.is_none() && is_pregnancy(&code) {
                chart.facts.pregnancy = Some(true);
            }
            chart.facts.problems.push(Problem {
                system,
                code,
                display: display.unwrap_or_default(),
                onset,
                resolved,
                active,
            });
        }
    }

    let mut procedures = Collected::new(n);
    scan(
        conn,
        "SELECT patient, code, code_system, description, date, status, rowid
         FROM clinical_procedure WHERE retracted = 0 {patient}",
        one,
        slots,
        |slot, r| {
            let status: Option<String> = r.get(5)?;
            if matches!(status.as_deref(), Some("planned") | Some("not-done")) {
                return Ok(());
            }
            let (Some(code), Some(date)) = (r.get::<_, Option<String>>(1)?, day_at(r, 4)?) else {
                return Ok(());
            };
            let procedure = Procedure {
                system: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                code,
                display: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                date,
            };
            procedures.push(slot, Some(date), r.get(6)?, procedure);
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(procedures.into_lists()) {
        chart.facts.procedures = list;
    }

    let mut medications = Collected::new(n);
    scan(
        conn,
        "SELECT patient, name, rxnorm, status, start_date, stop_date, rowid
         FROM medication WHERE retracted = 0 {patient}",
        one,
        slots,
        |slot, r| {
            let Some(name) = r.get::<_, Option<String>>(1)? else {
                return Ok(());
            };
            let status: Option<String> = r.get(3)?;
            let start = day_at(r, 4)?;
            let medication = Medication {
                name,
                rxnorm: r.get(2)?,
                active: is_active_medication(status.as_deref()),
                start,
                stop: day_at(r, 5)?,
            };
            medications.push(slot, start, r.get(6)?, medication);
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(medications.into_lists()) {
        chart.facts.medications = list;
    }

    let mut orders = Collected::new(n);
    scan(
        conn,
        "SELECT patient, code, description, kind, status, coalesce(result_at, ordered_at, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')), ordered_at, rowid
         FROM clinical_order WHERE retracted = 0 {patient}",
        one,
        slots,
        |slot, r| {
            let Some(date) = date_of(r.get(5)?) else {
                return Ok(());
            };
            let order = Order {
                code: r.get(1)?,
                description: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                kind: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                status: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                date,
            };
            orders.push(slot, day_at(r, 6)?, r.get(7)?, order);
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(orders.into_lists()) {
        chart.facts.orders = list;
    }

    let mut tobacco = Collected::new(n);
    scan(
        conn,
        "SELECT patient, tobacco_status, coalesce(recorded_date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')), recorded_date, rowid
         FROM social_history WHERE retracted = 0 AND tobacco_status IS NOT NULL {patient}",
        one,
        slots,
        |slot, r| {
            let (Some(status), Some(date)) = (r.get::<_, Option<String>>(1)?, date_of(r.get(2)?))
            else {
                return Ok(());
            };
            let entry = TobaccoUse {
                status,
                date,
                pack_years: None,
                quit_date: None,
            };
            tobacco.push(slot, day_at(r, 3)?, r.get(4)?, entry);
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(tobacco.into_lists()) {
        chart.facts.tobacco = list;
    }

    let mut declines = Collected::new(n);
    scan(
        conn,
        "SELECT patient, rule, date, reason, rowid FROM care_decline WHERE retracted = 0 {patient}",
        one,
        slots,
        |slot, r| {
            let (Some(rule), Some(date)) = (r.get::<_, Option<String>>(1)?, day_at(r, 2)?) else {
                return Ok(());
            };
            let decline = Decline {
                rule,
                date,
                reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            };
            declines.push(slot, Some(date), r.get(4)?, decline);
            Ok(())
        },
    )?;
    for (chart, list) in charts.iter_mut().zip(declines.into_lists()) {
        chart.facts.declines = list;
    }

    if needs.is_none_or(|n| n.doses) {
        let mut doses = Collected::new(n);
        scan(
            conn,
            "SELECT patient, cvx, date, status, rowid FROM immunization WHERE retracted = 0 {patient}",
            one,
            slots,
            |slot, r| {
                let status: Option<String> = r.get(3)?;
                if matches!(status.as_deref(), Some("refused") | Some("not-done")) {
                    return Ok(());
                }
                let (Some(cvx), Some(date)) = (r.get::<_, Option<String>>(1)?, day_at(r, 2)?) else {
                    return Ok(());
                };
                let dose = Dose {
                    date,
                    cvx,
                    mvx: None,
                };
                doses.push(slot, Some(date), r.get(4)?, dose);
                Ok(())
            },
        )?;
        for (chart, list) in charts.iter_mut().zip(doses.into_lists()) {
            chart.doses = list;
        }
    }
    Ok(())
}

/// The results of every chart (or one): all of them, or with `needs` those of its codes
/// only, read through the index that holds them by code. Runs on its own connection
/// beside the other tables' reads when the caller has one to spare.
fn read_results(
    conn: &Connection,
    one: Option<&str>,
    slots: &HashMap<String, usize>,
    n: usize,
    needs: Option<&Needs>,
) -> Result<Vec<Vec<Observation>>, ChartError> {
    let mut results = Collected::new(n);
    let mut result = |slot: usize, r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        let (Some(loinc), Some(date)) = (r.get::<_, Option<String>>(1)?, day_at(r, 5)?) else {
            return Ok(());
        };
        let observation = Observation {
            loinc,
            value_num: r.get(2)?,
            unit: r.get(3)?,
            date,
        };
        results.push(slot, Some(date), r.get(4)?, observation);
        Ok(())
    };
    match needs {
        None => scan(
            conn,
            "SELECT patient, code, value_num, unit, rowid, effective
             FROM observation WHERE retracted = 0 AND coalesce(status, 'final') <> 'cancelled'
             {patient}",
            one,
            slots,
            &mut result,
        )?,
        Some(needs) => {
            let mut codes = needs.result_codes.clone();
            codes.insert(CVD_RISK_LOINC.to_string());
            let mut stmt = conn.prepare_cached(
                "SELECT patient, code, value_num, unit, rowid, effective
                 FROM observation INDEXED BY observation_by_code
                 WHERE retracted = 0 AND code = ?1 AND coalesce(status, 'final') <> 'cancelled'",
            )?;
            for code in &codes {
                let mut rows = stmt.query([code])?;
                while let Some(r) = rows.next()? {
                    let slot = match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                            .ok()
                            .and_then(|p| slots.get(p).copied()),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        result(slot, r)?;
                    }
                }
            }
        }
    }
    Ok(results.into_lists().collect())
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
         FROM patient WHERE retracted = 0 {}",
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
    let mut charts: Vec<ChartFacts> = rows.into_iter().flatten().collect();
    charts.sort_by(|a, b| (&a.patient.mrn, &a.patient.id).cmp(&(&b.patient.mrn, &b.patient.id)));
    Ok(charts)
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
