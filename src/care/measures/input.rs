//! What a measure reads of one patient: a typed list of the events its criteria name,
//! loaded from the chart in one pass over the tables.
//!
//! Records an import made keep their FHIR source (`import_source`), and records the import
//! could not map are kept verbatim (`imported_resource`); both are read as FHIR, which
//! carries every coding and status the measures test. Records entered in Chartkeep are
//! read from their columns: a problem's code, a result's LOINC code and value, a
//! procedure's code, a medication's RxNorm code, a smoking status. A record retracted in
//! the chart (entered in error, refuted) is left out whichever way it is read.
//!
//! A visit entered in Chartkeep counts when it was given a coded kind (`type_code`, a
//! SNOMED CT kind from the visit form or a CPT/HCPCS code of an imported value set); a
//! visit with its kind in words only counts for no measure, as in any eCQM engine. A
//! systolic and a diastolic reading entered together (same patient, same time) are read
//! as one blood pressure panel, the shape the measures test.
//!
//! Not yet read: orders entered in Chartkeep.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::Value as Json;
use uuid::Uuid;

use super::period::{parse_day, Day, Span};
use super::value_sets::key;
use super::MeasureError;

pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const ICD10PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// A visit.
#[derive(Debug, Clone, Default)]
pub struct Encounter {
    /// The source's id, which a result's `encounter` reference names.
    pub id: String,
    /// `system|code` keys of its type.
    pub codes: Vec<String>,
    /// The v3 ActCode class (AMB, IMP, EMER, VR…).
    pub class: Option<String>,
    pub status: Option<String>,
    pub period: Span,
    /// Keys of `hospitalization.dischargeDisposition`.
    pub discharge: Vec<String>,
}

/// A diagnosis or problem.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub codes: Vec<String>,
    /// CQL's `prevalenceInterval()`: onset to abatement.
    pub prevalence: Span,
    /// Keys of its body sites (a mastectomy's side).
    pub body_site: Vec<String>,
}

/// A result's value, as far as the measures look at it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    None,
    Quantity(f64),
    /// `system|code` keys of a coded value.
    Codes(Vec<String>),
    /// Any other value (text, a boolean…): present, not compared.
    Other,
}

/// An observation: a lab result, a vital sign, an assessment.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub codes: Vec<String>,
    pub status: Option<String>,
    /// Codes of its categories (laboratory, survey, vital-signs…).
    pub categories: Vec<String>,
    pub effective: Span,
    pub value: Value,
    /// Components, by code key, with their quantities (a blood pressure's two).
    pub components: Vec<(Vec<String>, Option<f64>)>,
    /// The id of the Encounter it was taken at.
    pub encounter: Option<String>,
}

/// A procedure performed (or not).
#[derive(Debug, Clone, Default)]
pub struct Procedure {
    pub codes: Vec<String>,
    pub status: Option<String>,
    pub performed: Span,
}

/// A MedicationRequest, a ServiceRequest or a DeviceRequest: what was ordered, when.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub codes: Vec<String>,
    pub status: Option<String>,
    pub intent: Option<String>,
    pub authored: Option<Day>,
    /// `doNotPerform` (or QI-Core's modifier extension for it).
    pub do_not_perform: Option<bool>,
    /// Medication requests: CQL's `medicationRequestPeriod()`.
    pub period: Option<Span>,
}

/// One patient as the measures see them.
#[derive(Debug, Clone, Default)]
pub struct PatientInput {
    pub id: Uuid,
    pub mrn: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    /// FHIR administrative gender: female, male, other, unknown.
    pub gender: Option<String>,
    pub encounters: Vec<Encounter>,
    pub conditions: Vec<Condition>,
    pub observations: Vec<Observation>,
    pub procedures: Vec<Procedure>,
    pub medication_requests: Vec<Request>,
    pub service_requests: Vec<Request>,
    pub device_requests: Vec<Request>,
}

fn keys(cc: &Json) -> Vec<String> {
    cc["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some(key(c["system"].as_str()?, c["code"].as_str()?)))
        .collect()
}

fn keys_all(list: &Json) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .flat_map(keys)
        .collect()
}

fn s<'a>(j: &'a Json, k: &str) -> Option<&'a str> {
    j.get(k).and_then(Json::as_str)
}

/// A FHIR `[x]` timing element (`stemDateTime`, `stemPeriod`, `stemInstant`, `stemDate`)
/// as a span. Ages are turned into dates from the birth date.
fn timing(j: &Json, stem: &str, birth: Option<NaiveDate>) -> Span {
    for suffix in ["DateTime", "Instant", "Date"] {
        if let Some(d) = s(j, &format!("{stem}{suffix}")).and_then(parse_day) {
            return Span::at(d);
        }
    }
    if let Some(p) = j.get(format!("{stem}Period")) {
        return Span::new(
            s(p, "start").and_then(parse_day),
            s(p, "end").and_then(parse_day),
        );
    }
    if let (Some(a), Some(b)) = (j.get(format!("{stem}Age")), birth) {
        if let Some(y) = a["value"].as_f64() {
            let from = super::period::shift_months(b, (y * 12.0) as i32);
            let to = super::period::shift_months(from, 12);
            return Span::new(
                Some(super::period::day(from)),
                Some(super::period::day(to) - 1),
            );
        }
    }
    Span::default()
}

fn do_not_perform(j: &Json) -> Option<bool> {
    j["doNotPerform"].as_bool().or_else(|| {
        j["modifierExtension"]
            .as_array()?
            .iter()
            .find(|e| {
                e["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("qicore-doNotPerform"))
            })
            .and_then(|e| e["valueBoolean"].as_bool())
    })
}

fn ref_id(r: &Json) -> Option<String> {
    s(r, "reference").map(|x| x.rsplit('/').next().unwrap_or(x).to_string())
}

/// CQL's `medicationRequestPeriod()` (CumulativeMedicationDuration): from the bounds'
/// start, the order date or the validity start, for the days supplied (with refills),
/// else to the end of the bounds.
fn medication_request_period(j: &Json) -> Option<Span> {
    let dosage = j["dosageInstruction"]
        .as_array()
        .filter(|d| d.len() == 1)
        .map(|d| &d[0]);
    let timing = dosage.map(|d| &d["timing"]);
    let bounds = timing.map(|t| &t["repeat"]["boundsPeriod"]);
    let start = bounds
        .and_then(|b| s(b, "start"))
        .or(s(j, "authoredOn"))
        .or(s(&j["dispenseRequest"]["validityPeriod"], "start"))
        .and_then(parse_day)?;
    let supply = &j["dispenseRequest"]["expectedSupplyDuration"];
    let days_supply =
        supply["value"]
            .as_f64()
            .map(|v| match s(supply, "code").or(s(supply, "unit")) {
                Some("wk" | "week" | "weeks") => v * 7.0,
                Some("mo" | "month" | "months") => v * 30.0,
                Some("h" | "hour" | "hours") => v / 24.0,
                _ => v,
            });
    let from_quantity = || {
        let qty = j["dispenseRequest"]["quantity"]["value"].as_f64()?;
        let d = dosage?;
        let dose = d["doseAndRate"]
            .as_array()
            .filter(|a| a.len() == 1)
            .and_then(|a| {
                a[0]["doseRange"]["high"]["value"]
                    .as_f64()
                    .or(a[0]["doseQuantity"]["value"].as_f64())
            })?;
        let rep = &d["timing"]["repeat"];
        let freq = rep["frequencyMax"].as_f64().or(rep["frequency"].as_f64());
        let per_day = match (freq, rep["period"].as_f64(), s(rep, "periodUnit")) {
            (Some(f), Some(p), Some(u)) => {
                let days = match u {
                    "h" => p / 24.0,
                    "min" => p / 1440.0,
                    "wk" => p * 7.0,
                    "mo" => p * 30.0,
                    "a" => p * 365.0,
                    _ => p,
                };
                Some(f / days)
            }
            _ => rep["timeOfDay"].as_array().map(|t| t.len() as f64),
        }
        .unwrap_or(1.0);
        Some(qty / (dose * per_day))
    };
    let refills = j["dispenseRequest"]["numberOfRepeatsAllowed"]
        .as_f64()
        .unwrap_or(0.0);
    if let Some(total) = days_supply
        .or_else(from_quantity)
        .map(|d| d * (1.0 + refills))
    {
        return Some(Span::new(Some(start), Some(start + total as Day - 1)));
    }
    let end = bounds.and_then(|b| s(b, "end")).and_then(parse_day)?;
    Some(Span::new(Some(start), Some(end)))
}

fn value_of(j: &Json) -> Value {
    if let Some(q) = j.get("valueQuantity") {
        return q["value"].as_f64().map_or(Value::None, Value::Quantity);
    }
    if let Some(cc) = j.get("valueCodeableConcept") {
        return Value::Codes(keys(cc));
    }
    let any = j
        .as_object()
        .is_some_and(|m| m.keys().any(|k| k.starts_with("value")));
    if any {
        Value::Other
    } else {
        Value::None
    }
}

impl PatientInput {
    /// Adds one FHIR resource of this patient's; types the measures never read are
    /// passed over.
    pub fn add_fhir(&mut self, j: &Json, contained: &HashMap<String, Json>) {
        let birth = self.birth_date;
        match s(j, "resourceType").unwrap_or_default() {
            "Encounter" => self.encounters.push(Encounter {
                id: s(j, "id").unwrap_or_default().to_string(),
                codes: keys_all(&j["type"]),
                class: s(&j["class"], "code").map(str::to_string),
                status: s(j, "status").map(str::to_string),
                period: Span::new(
                    s(&j["period"], "start").and_then(parse_day),
                    s(&j["period"], "end").and_then(parse_day),
                ),
                discharge: keys(&j["hospitalization"]["dischargeDisposition"]),
            }),
            "Condition" => {
                let onset = timing(j, "onset", birth);
                let abatement = timing(j, "abatement", birth);
                self.conditions.push(Condition {
                    codes: keys(&j["code"]),
                    prevalence: Span::new(onset.start, abatement.end),
                    body_site: keys_all(&j["bodySite"]),
                })
            }
            "Observation" => self.observations.push(Observation {
                codes: keys(&j["code"]),
                status: s(j, "status").map(str::to_string),
                categories: j["category"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| c["coding"].as_array().into_iter().flatten())
                    .filter_map(|c| s(c, "code").map(str::to_string))
                    .collect(),
                effective: timing(j, "effective", birth),
                value: value_of(j),
                components: j["component"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| (keys(&c["code"]), c["valueQuantity"]["value"].as_f64()))
                    .collect(),
                encounter: ref_id(&j["encounter"]),
            }),
            "Procedure" => self.procedures.push(Procedure {
                codes: keys(&j["code"]),
                status: s(j, "status").map(str::to_string),
                performed: timing(j, "performed", birth),
            }),
            "MedicationRequest" => {
                let codes = match j.get("medicationCodeableConcept") {
                    Some(cc) => keys(cc),
                    None => ref_id(&j["medicationReference"])
                        .and_then(|id| contained.get(&id))
                        .map(|m| keys(&m["code"]))
                        .unwrap_or_default(),
                };
                self.medication_requests.push(Request {
                    codes,
                    status: s(j, "status").map(str::to_string),
                    intent: s(j, "intent").map(str::to_string),
                    authored: s(j, "authoredOn").and_then(parse_day),
                    do_not_perform: do_not_perform(j),
                    period: medication_request_period(j),
                })
            }
            kind @ ("ServiceRequest" | "DeviceRequest") => {
                let codes = if kind == "DeviceRequest" {
                    keys(&j["codeCodeableConcept"])
                } else {
                    keys(&j["code"])
                };
                let r = Request {
                    codes,
                    status: s(j, "status").map(str::to_string),
                    intent: s(j, "intent").map(str::to_string),
                    authored: s(j, "authoredOn").and_then(parse_day),
                    do_not_perform: do_not_perform(j),
                    period: None,
                };
                if kind == "DeviceRequest" {
                    self.device_requests.push(r)
                } else {
                    self.service_requests.push(r)
                }
            }
            _ => {}
        }
    }
}

/// The code-system URI of a chart record's `code_system` column (names the import and
/// the forms write).
fn system_uri(name: Option<&str>, default: &'static str) -> String {
    match name.map(str::trim) {
        None | Some("") => default.to_string(),
        Some("SNOMED CT" | "SNOMED" | "snomed") => SNOMED.to_string(),
        Some("CPT" | "cpt") => CPT.to_string(),
        Some("ICD-10-PCS") => ICD10PCS.to_string(),
        Some("ICD-10-CM" | "ICD10CM" | "icd10") => ICD10CM.to_string(),
        Some("LOINC" | "loinc") => LOINC.to_string(),
        Some(other) => other.to_string(),
    }
}

const SYSTOLIC: &str = "8480-6";
const DIASTOLIC: &str = "8462-4";
const BP_PANEL: &str = "85354-9";

/// The two halves of a blood pressure entered as two results, and their status.
#[derive(Default)]
struct BpHalves {
    systolic: Option<f64>,
    diastolic: Option<f64>,
    status: Option<String>,
}

/// Which patients to load: all of them, or one.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    All,
    One(Uuid),
}

/// The LOINC codes the measures name directly rather than through a value set: GMI, the
/// blood pressure panel and its two parts, the assessments of the shared exclusions, and
/// the tobacco use screening. A test below keeps this list in step with the sources.
pub const DIRECT_RESULT_CODES: &[&str] = &[
    "97506-0", "8480-6", "8462-4", "85354-9", "45755-6", "71007-9", "98181-1", "71802-3", "72166-2",
];

/// The patients (not retracted) and their events, in MRN order. With `result_codes`, the
/// results entered in Chartkeep are read only for those codes (from the index that holds
/// them by code): what the measures being computed can test, a small part of a
/// practice's results.
pub fn load(
    conn: &Connection,
    which: Which,
    result_codes: Option<&BTreeSet<String>>,
) -> Result<Vec<PatientInput>, MeasureError> {
    let filter = match which {
        Which::All => String::new(),
        Which::One(id) => format!(" AND patient = '{id}'"),
    };
    let pfilter = match which {
        Which::All => String::new(),
        Which::One(id) => format!(" AND id = '{id}'"),
    };
    let mut patients: Vec<PatientInput> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT id, mrn, family, given, birth_date, sex FROM patient WHERE retracted = 0{pfilter} ORDER BY mrn, id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let given: Option<String> = r.get(3)?;
            let given: Vec<String> = given
                .and_then(|g| serde_json::from_str(&g).ok())
                .unwrap_or_default();
            let family: Option<String> = r.get(2)?;
            let name = [given.join(" "), family.unwrap_or_default()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let birth: Option<String> = r.get(4)?;
            let sex: Option<String> = r.get(5)?;
            index.insert(id.clone(), patients.len());
            patients.push(PatientInput {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                mrn: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                name,
                birth_date: birth.and_then(|b| NaiveDate::parse_from_str(&b, "%Y-%m-%d").ok()),
                gender: sex.map(|x| match x.to_ascii_lowercase().as_str() {
                    "f" | "female" => "female".to_string(),
                    "m" | "male" => "male".to_string(),
                    other => other.to_string(),
                }),
                ..Default::default()
            });
        }
    }
    // FHIR: the sources of mapped records, then the resources kept verbatim.
    let mut sourced: HashSet<String> = HashSet::new();
    let mut fhir: Vec<(usize, Json)> = Vec::new();
    {
        // A source whose record was retracted in the chart (entered in error, refuted) is
        // left out too; looked up per source, so a practice without imports reads nothing.
        let retracted = RECORD_TABLES
            .iter()
            .map(|t| {
                format!("EXISTS (SELECT 1 FROM \"{t}\" WHERE id = s.record AND retracted = 1)")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let sfilter = filter.replace("patient", "s.patient");
        let mut stmt = conn.prepare(&format!(
            "SELECT s.patient, s.record, s.resource, s.record IS NOT NULL AND ({retracted})
             FROM import_source s WHERE s.retracted = 0{sfilter}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let patient: String = r.get(0)?;
            let record: Option<String> = r.get(1)?;
            let Some(&i) = index.get(&patient) else {
                continue;
            };
            if let Some(rec) = record {
                sourced.insert(rec);
            }
            if r.get::<_, bool>(3)? {
                continue;
            }
            let text: Option<String> = r.get(2)?;
            if let Some(j) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                fhir.push((i, j));
            }
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT patient, resource FROM imported_resource WHERE retracted = 0{filter}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let patient: String = r.get(0)?;
            let Some(&i) = index.get(&patient) else {
                continue;
            };
            let text: Option<String> = r.get(1)?;
            if let Some(j) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                fhir.push((i, j));
            }
        }
    }
    // Medications a request names by reference, by patient and id.
    let mut meds: HashMap<usize, HashMap<String, Json>> = HashMap::new();
    for (i, j) in &fhir {
        if j["resourceType"] == "Medication" {
            if let Some(id) = s(j, "id") {
                meds.entry(*i)
                    .or_default()
                    .insert(id.to_string(), j.clone());
            }
        }
    }
    let none = HashMap::new();
    for (i, j) in &fhir {
        patients[*i].add_fhir(j, meds.get(i).unwrap_or(&none));
    }
    native(conn, &filter, &index, &sourced, result_codes, &mut patients)?;
    Ok(patients)
}

/// The tables of the records an import source can name.
const RECORD_TABLES: [&str; 9] = [
    "encounter",
    "hospitalization",
    "problem",
    "observation",
    "clinical_procedure",
    "medication",
    "clinical_order",
    "coverage",
    "social_history",
];

type Row = (String, String, Vec<Option<String>>, Option<f64>);

/// Rows of a table not made by an import, with the named text columns and one number.
fn rows(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    number: Option<&str>,
    filter: &str,
) -> Result<Vec<Row>, MeasureError> {
    let cols = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let num = number.map_or("NULL".to_string(), |n| format!("\"{n}\""));
    let mut stmt = conn.prepare(&format!(
        "SELECT id, patient, {num}, {cols} FROM {table} WHERE retracted = 0{filter}"
    ))?;
    let mut out = Vec::new();
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let mut vals = Vec::with_capacity(columns.len());
        for k in 0..columns.len() {
            vals.push(r.get::<_, Option<String>>(3 + k)?);
        }
        out.push((r.get(0)?, r.get(1)?, vals, r.get(2)?));
    }
    Ok(out)
}

/// Records entered in Chartkeep (no import source), read from their columns.
fn native(
    conn: &Connection,
    filter: &str,
    index: &HashMap<String, usize>,
    sourced: &HashSet<String>,
    result_codes: Option<&BTreeSet<String>>,
    patients: &mut [PatientInput],
) -> Result<(), MeasureError> {
    let day = |v: &Option<String>| v.as_deref().and_then(parse_day);
    for (id, patient, v, _) in rows(
        conn,
        "problem",
        &["code", "code_system", "onset_date", "resolved_date"],
        None,
        filter,
    )? {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let Some(code) = &v[0] else { continue };
        patients[i].conditions.push(Condition {
            codes: vec![key(&system_uri(v[1].as_deref(), ICD10CM), code)],
            prevalence: Span::new(day(&v[2]), day(&v[3])),
            body_site: vec![],
        });
    }
    let result_columns = [
        "code",
        "category",
        "value_code",
        "value_text",
        "effective",
        "status",
    ];
    let results = match result_codes {
        None => rows(
            conn,
            "observation",
            &result_columns,
            Some("value_num"),
            filter,
        )?,
        Some(codes) => {
            let mut all = Vec::new();
            for code in codes {
                let code = code.replace('\'', "''");
                all.extend(rows(
                    conn,
                    "observation INDEXED BY observation_by_code",
                    &result_columns,
                    Some("value_num"),
                    &format!(" AND code = '{code}'{filter}"),
                )?);
            }
            all
        }
    };
    // Coded visits: for the practice, from the index that holds only them; for one
    // patient, from that patient's visits (the coded-visit index leads with the code, so
    // one patient's would be a walk of every coded visit in the practice).
    let visits = if filter.is_empty() {
        "encounter INDEXED BY encounter_by_type_code"
    } else {
        "encounter INDEXED BY encounter_start"
    };
    for (id, patient, v, _) in rows(
        conn,
        visits,
        &["type_code", "type_system", "start", "end", "status"],
        None,
        &format!(" AND type_code IS NOT NULL{filter}"),
    )? {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let Some(code) = &v[0] else { continue };
        let system = crate::codes::visit_kinds::system_uri(v[1].as_deref().unwrap_or(""));
        patients[i].encounters.push(Encounter {
            codes: vec![key(system, code)],
            class: Some("AMB".into()),
            status: Some(match v[4].as_deref() {
                Some("planned") => "planned".to_string(),
                Some("in-progress") => "in-progress".to_string(),
                Some("cancelled") => "cancelled".to_string(),
                _ => "finished".to_string(),
            }),
            period: Span::new(day(&v[2]), day(&v[3]).or(day(&v[2]))),
            discharge: vec![],
            id,
        });
    }
    // Blood pressure halves by (patient, time), paired into panels below.
    let mut halves: HashMap<(usize, String), BpHalves> = HashMap::new();
    for (id, patient, v, num) in results {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let Some(code) = &v[0] else { continue };
        if code == SYSTOLIC || code == DIASTOLIC {
            if let (Some(n), Some(at)) = (num, &v[4]) {
                let h = halves.entry((i, at.clone())).or_default();
                if code == SYSTOLIC {
                    h.systolic = Some(n);
                } else {
                    h.diastolic = Some(n);
                }
                h.status = v[5].clone();
            }
        }
        let value = match (num, &v[2], &v[3]) {
            (Some(n), _, _) => Value::Quantity(n),
            (_, Some(c), _) => Value::Codes(vec![key(SNOMED, c)]),
            (_, _, Some(_)) => Value::Other,
            _ => Value::None,
        };
        let category = match v[1].as_deref() {
            Some("lab") => "laboratory",
            Some("vital") => "vital-signs",
            Some("social") => "social-history",
            Some(other) => other,
            None => "",
        };
        patients[i].observations.push(Observation {
            codes: vec![key(LOINC, code)],
            status: Some(match v[5].as_deref() {
                Some("preliminary") => "preliminary".to_string(),
                Some("cancelled") => "cancelled".to_string(),
                Some("amended") => "amended".to_string(),
                _ => "final".to_string(),
            }),
            categories: vec![category.to_string()],
            effective: day(&v[4]).map(Span::at).unwrap_or_default(),
            value,
            components: vec![],
            encounter: None,
        });
    }
    let mut panels: Vec<_> = halves.into_iter().collect();
    panels.sort_by(|a, b| a.0.cmp(&b.0));
    for ((i, at), h) in panels {
        let (Some(sys), Some(dia), status) = (h.systolic, h.diastolic, h.status) else {
            continue;
        };
        patients[i].observations.push(Observation {
            codes: vec![key(LOINC, BP_PANEL)],
            status: Some(match status.as_deref() {
                Some("preliminary") => "preliminary".to_string(),
                Some("cancelled") => "cancelled".to_string(),
                _ => "final".to_string(),
            }),
            categories: vec!["vital-signs".into()],
            effective: parse_day(&at).map(Span::at).unwrap_or_default(),
            value: Value::None,
            components: vec![
                (vec![key(LOINC, SYSTOLIC)], Some(sys)),
                (vec![key(LOINC, DIASTOLIC)], Some(dia)),
            ],
            encounter: None,
        });
    }
    for (id, patient, v, _) in rows(
        conn,
        "clinical_procedure",
        &["code", "code_system", "date", "status"],
        None,
        filter,
    )? {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let Some(code) = &v[0] else { continue };
        patients[i].procedures.push(Procedure {
            codes: vec![key(&system_uri(v[1].as_deref(), SNOMED), code)],
            status: Some(match v[3].as_deref() {
                Some("planned") => "preparation".to_string(),
                Some("not-done") => "not-done".to_string(),
                _ => "completed".to_string(),
            }),
            performed: day(&v[2]).map(Span::at).unwrap_or_default(),
        });
    }
    for (id, patient, v, _) in rows(
        conn,
        "medication",
        &["rxnorm", "start_date", "stop_date", "status"],
        None,
        filter,
    )? {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let Some(code) = &v[0] else { continue };
        patients[i].medication_requests.push(Request {
            codes: vec![key(RXNORM, code)],
            status: Some(match v[3].as_deref() {
                Some("stopped") => "stopped".to_string(),
                Some("completed") => "completed".to_string(),
                Some("on-hold") => "on-hold".to_string(),
                _ => "active".to_string(),
            }),
            intent: Some("order".into()),
            authored: day(&v[1]),
            do_not_perform: None,
            period: day(&v[1]).map(|s| Span::new(Some(s), day(&v[2]))),
        });
    }
    // A smoking status entered in the chart is a tobacco use screening (LOINC 72166-2),
    // its answer the SNOMED CT finding for the status.
    for (id, patient, v, _) in rows(
        conn,
        "social_history",
        &["tobacco_status", "recorded_date"],
        None,
        filter,
    )? {
        let (Some(&i), false) = (index.get(&patient), sourced.contains(&id)) else {
            continue;
        };
        let answer = match v[0].as_deref() {
            Some("never") => "266919005",
            Some("former") => "8517006",
            Some("current") => "77176002",
            _ => continue,
        };
        patients[i].observations.push(Observation {
            codes: vec![key(LOINC, "72166-2")],
            status: Some("final".into()),
            categories: vec!["survey".into()],
            effective: day(&v[1]).map(Span::at).unwrap_or_default(),
            value: Value::Codes(vec![key(SNOMED, answer)]),
            components: vec![],
            encounter: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::DIRECT_RESULT_CODES;

    /// A practice-wide load reads only the value sets' results and these; a LOINC code
    /// written into a measure's source and missing here would silently never match.
    #[test]
    fn every_loinc_code_the_measures_name_is_read() {
        let sources = [
            include_str!("cms122.rs"),
            include_str!("cms125.rs"),
            include_str!("cms130.rs"),
            include_str!("cms138.rs"),
            include_str!("cms165.rs"),
            include_str!("criteria.rs"),
            include_str!("mod.rs"),
        ];
        let mut named = Vec::new();
        for src in sources {
            for quoted in src.split('"').skip(1).step_by(2) {
                let loinc = quoted.split_once('-').is_some_and(|(a, b)| {
                    (3..=6).contains(&a.len())
                        && a.bytes().all(|c| c.is_ascii_digit())
                        && b.len() == 1
                        && b.bytes().all(|c| c.is_ascii_digit())
                });
                if loinc {
                    named.push(quoted);
                }
            }
        }
        assert!(named.len() >= 8, "the scan finds the codes: {named:?}");
        for code in named {
            assert!(
                DIRECT_RESULT_CODES.contains(&code),
                "{code} is named in a measure but not in DIRECT_RESULT_CODES"
            );
        }
    }
}
