//! Vitals and lab results entered as forms: one commit holds every observation of the form
//! (grouped by a shared panel id), with BMI computed from height and weight.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use super::entities::{ObservationFields, OBSERVATION};
use super::shape::{DateTime, RecordFields};
use super::{record, validate, ChartError, Ctx};
use crate::codes::loinc::vitals;
use crate::ledger::{Change, Op, Value};

/// Form field, LOINC code, unit, plausible range, and the panel it belongs to.
const VITAL_FIELDS: &[(&str, &str, &str, f64, f64)] = &[
    ("systolic", vitals::SYSTOLIC, "mm[Hg]", 40.0, 300.0),
    ("diastolic", vitals::DIASTOLIC, "mm[Hg]", 20.0, 200.0),
    ("heart_rate", vitals::HEART_RATE, "/min", 20.0, 300.0),
    ("resp_rate", vitals::RESP_RATE, "/min", 4.0, 80.0),
    ("temperature", vitals::TEMPERATURE, "Cel", 30.0, 45.0),
    ("spo2", vitals::SPO2, "%", 50.0, 100.0),
    ("height", vitals::HEIGHT, "cm", 20.0, 250.0),
    ("weight", vitals::WEIGHT, "kg", 0.3, 400.0),
    (
        "head_circumference",
        vitals::HEAD_CIRCUMFERENCE,
        "cm",
        20.0,
        70.0,
    ),
    ("pain", vitals::PAIN, "{score}", 0.0, 10.0),
];

fn obs(
    ctx: &Ctx,
    patient: &Uuid,
    common: &[(String, Value)],
    code: &str,
    value: Value,
    unit: &str,
) -> Change {
    let mut fields = common.to_vec();
    fields.push(("patient".into(), Value::Text(patient.to_string())));
    fields.push(("code".into(), Value::from(code)));
    fields.push(("value_num".into(), value));
    fields.push(("unit".into(), Value::from(unit)));
    fields.push(("status".into(), Value::from("final")));
    if let Some(l) = crate::codes::loinc::lookup(code) {
        fields.push(("display".into(), Value::from(l.display)));
        fields.push(("category".into(), Value::from(l.category)));
    }
    Change::new(
        ctx.new_id(),
        "observation",
        ctx.new_id(),
        Op::Create,
        fields,
        vec![],
    )
}

/// A vitals form: every measure is optional; each one given becomes an observation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VitalsForm {
    pub patient: Uuid,
    /// When measured; now when left out.
    #[serde(default)]
    pub effective: Option<DateTime>,
    /// The visit the measures were taken at.
    #[serde(default)]
    pub encounter: Option<Uuid>,
    /// mm[Hg], 40–300.
    #[serde(default)]
    pub systolic: Option<f64>,
    /// mm[Hg], 20–200, lower than systolic.
    #[serde(default)]
    pub diastolic: Option<f64>,
    /// /min, 20–300.
    #[serde(default)]
    pub heart_rate: Option<f64>,
    /// /min, 4–80.
    #[serde(default)]
    pub resp_rate: Option<f64>,
    /// Cel, 30–45.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// %, 50–100.
    #[serde(default)]
    pub spo2: Option<f64>,
    /// cm, 20–250.
    #[serde(default)]
    pub height: Option<f64>,
    /// kg, 0.3–400.
    #[serde(default)]
    pub weight: Option<f64>,
    /// cm, 20–70.
    #[serde(default)]
    pub head_circumference: Option<f64>,
    /// 0–10.
    #[serde(default)]
    pub pain: Option<f64>,
}

impl VitalsForm {
    /// The measures by form field name, in [`VITAL_FIELDS`] order.
    fn measure(&self, field: &str) -> Option<f64> {
        match field {
            "systolic" => self.systolic,
            "diastolic" => self.diastolic,
            "heart_rate" => self.heart_rate,
            "resp_rate" => self.resp_rate,
            "temperature" => self.temperature,
            "spo2" => self.spo2,
            "height" => self.height,
            "weight" => self.weight,
            "head_circumference" => self.head_circumference,
            "pain" => self.pain,
            _ => None,
        }
    }
}

/// Lab results (a panel or single tests), each an observation's fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabsForm {
    pub patient: Uuid,
    /// The panel's LOINC code, when the results are one panel.
    #[serde(default)]
    pub panel: Option<String>,
    /// When collected; now when left out.
    #[serde(default)]
    pub effective: Option<DateTime>,
    #[serde(default)]
    pub encounter: Option<Uuid>,
    /// At least one: each with a LOINC `code` and a value.
    #[serde(default)]
    pub results: Vec<ObservationFields>,
}

fn common_fields(
    ctx: &Ctx,
    patient: Uuid,
    effective: Option<&DateTime>,
    encounter: Option<Uuid>,
    panel: &str,
) -> Result<(Uuid, Vec<(String, Value)>), ChartError> {
    let p = patient_facts(ctx, &patient)?;
    let effective = match effective {
        Some(v) => record::value_from_json(
            "effective",
            crate::ledger::schema::FieldKind::DateTime,
            &Json::from(v.0.as_str()),
        )?,
        None => Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
    };
    let mut common = vec![
        ("effective".to_string(), effective.clone()),
        ("panel".to_string(), Value::from(panel)),
        (
            "panel_id".to_string(),
            Value::Text(ctx.new_id().to_string()),
        ),
    ];
    if let Some(e) = encounter {
        common.push(("encounter".into(), Value::Text(e.to_string())));
    }
    // Validate the shared date once, against the patient's birth date and today.
    let mut m = serde_json::Map::new();
    m.insert("effective".into(), effective.to_json());
    m.insert(
        "code".into(),
        Json::from(if panel.is_empty() { "results" } else { panel }),
    );
    m.insert("value_num".into(), Json::from(0));
    let mut scratch = vec![];
    validate::check(ctx, &OBSERVATION, &mut scratch, &m, Some(&p))?;
    Ok((patient, common))
}

/// What form validation needs of the patient (birth date, whether entered in error), in
/// one small query: forms are saved often, right after a write has emptied the cache.
fn patient_facts(ctx: &Ctx, patient: &Uuid) -> Result<serde_json::Map<String, Json>, ChartError> {
    let row: Option<(Option<String>, bool)> = ctx
        .conn
        .prepare_cached("SELECT birth_date, retracted FROM patient WHERE id = ?1")?
        .query_row([patient.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let Some((birth_date, retracted)) = row else {
        return Err(ChartError::NotFound(format!("patient {patient}")));
    };
    if retracted {
        return Err(ChartError::invalid(
            "patient",
            "this patient record was entered in error",
        ));
    }
    let mut m = serde_json::Map::new();
    m.insert("birth_date".into(), Json::from(birth_date));
    Ok(m)
}

/// A vitals form: every measure given becomes one observation in a single commit.
pub fn record(ctx: &Ctx, form: &VitalsForm) -> Result<Vec<Change>, ChartError> {
    let (patient, common) = common_fields(
        ctx,
        form.patient,
        form.effective.as_ref(),
        form.encounter,
        vitals::VITALS_PANEL,
    )?;
    let mut changes = Vec::new();
    let mut got = std::collections::HashMap::new();
    for (field, code, unit, lo, hi) in VITAL_FIELDS {
        let Some(x) = form.measure(field) else {
            continue;
        };
        if !x.is_finite() {
            return Err(ChartError::invalid(field, "must be a number"));
        }
        if x < *lo || x > *hi {
            return Err(ChartError::invalid(
                field,
                &format!("{x} {unit} is outside the plausible range {lo}–{hi}"),
            ));
        }
        got.insert(*field, x);
        changes.push(obs(ctx, &patient, &common, code, Value::Real(x), unit));
    }
    if let (Some(s), Some(d)) = (got.get("systolic"), got.get("diastolic")) {
        if d >= s {
            return Err(ChartError::invalid(
                "diastolic",
                "must be lower than systolic",
            ));
        }
    }
    if got.contains_key("systolic") != got.contains_key("diastolic") {
        return Err(ChartError::invalid(
            "diastolic",
            "blood pressure needs both systolic and diastolic",
        ));
    }
    if let (Some(h), Some(w)) = (got.get("height"), got.get("weight")) {
        let bmi = (w / ((h / 100.0) * (h / 100.0)) * 10.0).round() / 10.0;
        changes.push(obs(
            ctx,
            &patient,
            &common,
            vitals::BMI,
            Value::Real(bmi),
            "kg/m2",
        ));
    }
    if changes.is_empty() {
        return Err(ChartError::invalid(
            "vitals",
            "enter at least one measurement",
        ));
    }
    Ok(changes)
}

/// Lab results (a panel or single tests), each validated as an observation; abnormal flags
/// are computed from the reference range when not given.
pub fn labs(ctx: &Ctx, form: &LabsForm, order: Option<&Uuid>) -> Result<Vec<Change>, ChartError> {
    let panel = form.panel.as_deref().unwrap_or("");
    let (patient, mut common) = common_fields(
        ctx,
        form.patient,
        form.effective.as_ref(),
        form.encounter,
        panel,
    )?;
    if panel.is_empty() {
        common.retain(|(k, _)| k != "panel");
    }
    if let Some(o) = order {
        common.push(("order_ref".into(), Value::Text(o.to_string())));
    }
    let results = Some(&form.results)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ChartError::invalid(
                "results",
                "give a list of results, each with a LOINC code and a value",
            )
        })?;
    let p = patient_facts(ctx, &patient)?;
    let mut changes = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let mut fields = r.clone().into_values().map_err(|e| match e {
            ChartError::Invalid { field, message } => {
                ChartError::invalid(&format!("results[{i}].{field}"), &message)
            }
            e => e,
        })?;
        for (k, v) in &common {
            if !fields.iter().any(|(f, _)| f == k) {
                fields.push((k.clone(), v.clone()));
            }
        }
        fields.retain(|(k, _)| k != "patient");
        fields.push(("patient".into(), Value::Text(patient.to_string())));
        if !fields.iter().any(|(k, _)| k == "category") {
            fields.push(("category".into(), Value::from("lab")));
        }
        let num = fields
            .iter()
            .find(|(k, _)| k == "value_num")
            .and_then(|(_, v)| v.as_f64());
        let lo = fields
            .iter()
            .find(|(k, _)| k == "ref_low")
            .and_then(|(_, v)| v.as_f64());
        let hi = fields
            .iter()
            .find(|(k, _)| k == "ref_high")
            .and_then(|(_, v)| v.as_f64());
        if !fields.iter().any(|(k, _)| k == "flag") {
            if let Some(x) = num {
                if let Some(f) = range_flag(x, lo, hi) {
                    fields.push(("flag".into(), Value::from(f)));
                }
            }
        }
        validate::defaults(&OBSERVATION, &mut fields, ctx);
        let m = fields
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        validate::check(ctx, &OBSERVATION, &mut fields, &m, Some(&p)).map_err(|e| match e {
            ChartError::Invalid { field, message } => {
                ChartError::invalid(&format!("results[{i}].{field}"), &message)
            }
            ChartError::InvalidCode { field, message } => {
                ChartError::invalid_code(&format!("results[{i}].{field}"), &message)
            }
            e => e,
        })?;
        changes.push(Change::new(
            ctx.new_id(),
            "observation",
            ctx.new_id(),
            Op::Create,
            fields,
            vec![],
        ));
    }
    Ok(changes)
}

/// The abnormal flag a value gets from its reference range when none was given: `L` below
/// the low end, `H` above the high end, `N` inside; none without a range.
pub fn range_flag(x: f64, low: Option<f64>, high: Option<f64>) -> Option<&'static str> {
    match (low, high) {
        (Some(l), _) if x < l => Some("L"),
        (_, Some(h)) if x > h => Some("H"),
        (Some(_), _) | (_, Some(_)) => Some("N"),
        _ => None,
    }
}

/// Results for an order, and the edit that completes it: the observations (if any) point
/// at the order, and the order gets its result time and summary.
pub fn order_result(
    ctx: &Ctx,
    id: Uuid,
    version: &[Uuid],
    effective: Option<&DateTime>,
    summary: Option<&str>,
    results: &[ObservationFields],
) -> Result<Vec<Change>, ChartError> {
    let order = super::load(ctx.conn, &super::entities::ORDER, &id)?;
    if order.get("status").and_then(Json::as_str) == Some("cancelled") {
        return Err(ChartError::invalid(
            "id",
            "this order was cancelled; it takes no results",
        ));
    }
    if results.is_empty() && summary.is_none() {
        return Err(ChartError::invalid("results", "give results or a summary"));
    }
    let mut changes = if results.is_empty() {
        vec![]
    } else {
        let patient = order
            .get("patient")
            .and_then(Json::as_str)
            .and_then(|p| Uuid::parse_str(p).ok())
            .unwrap_or_default();
        let form = LabsForm {
            patient,
            panel: None,
            effective: effective.cloned(),
            encounter: None,
            results: results.to_vec(),
        };
        labs(ctx, &form, Some(&id))?
    };
    let result_at = match effective {
        Some(e) => record::value_from_json(
            "effective",
            crate::ledger::schema::FieldKind::DateTime,
            &Json::from(e.0.as_str()),
        )?,
        None => Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
    };
    let mut fields = vec![
        ("status".to_string(), Value::from("completed")),
        ("result_at".to_string(), result_at),
    ];
    if let Some(s) = summary {
        fields.push(("result_summary".into(), Value::from(s)));
    }
    let (_, c) = super::update(ctx, &super::entities::ORDER, id, version, fields)?;
    changes.push(c);
    Ok(changes)
}
