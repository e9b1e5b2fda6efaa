//! Vitals and lab results entered as forms: one commit holds every observation of the form
//! (grouped by a shared panel id), with BMI computed from height and weight.

use serde_json::Value as Json;
use uuid::Uuid;

use super::entities::OBSERVATION;
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

fn common_fields(
    ctx: &Ctx,
    input: &Json,
    panel: &str,
) -> Result<(Uuid, Vec<(String, Value)>), ChartError> {
    let patient = record::get_id(input, "patient")?;
    let p = patient_facts(ctx, &patient)?;
    let effective = match input.get("effective") {
        Some(v) if !v.is_null() => {
            record::value_from_json("effective", crate::ledger::schema::FieldKind::DateTime, v)?
        }
        _ => Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
    };
    let mut common = vec![
        ("effective".to_string(), effective.clone()),
        ("panel".to_string(), Value::from(panel)),
        (
            "panel_id".to_string(),
            Value::Text(ctx.new_id().to_string()),
        ),
    ];
    if let Some(e) = input.get("encounter").filter(|v| !v.is_null()) {
        common.push((
            "encounter".into(),
            record::value_from_json("encounter", crate::ledger::schema::FieldKind::Ref, e)?,
        ));
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
pub fn record(ctx: &Ctx, input: &Json) -> Result<Vec<Change>, ChartError> {
    let (patient, common) = common_fields(ctx, input, vitals::VITALS_PANEL)?;
    let mut changes = Vec::new();
    let mut got = std::collections::HashMap::new();
    for (field, code, unit, lo, hi) in VITAL_FIELDS {
        let Some(v) = input.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let x = v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ChartError::invalid(field, "must be a number"))?;
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
    for key in input
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let known = VITAL_FIELDS.iter().any(|f| f.0 == key)
            || ["patient", "effective", "encounter"].contains(&key.as_str());
        if !known {
            let names: Vec<&str> = VITAL_FIELDS.iter().map(|f| f.0).collect();
            return Err(ChartError::invalid(
                &key,
                &format!("is not a vitals field; known: {}", names.join(", ")),
            ));
        }
    }
    Ok(changes)
}

/// Lab results (a panel or single tests), each validated as an observation; abnormal flags
/// are computed from the reference range when not given.
pub fn labs(ctx: &Ctx, input: &Json, order: Option<&Uuid>) -> Result<Vec<Change>, ChartError> {
    let panel = input.get("panel").and_then(Json::as_str).unwrap_or("");
    let (patient, mut common) = common_fields(ctx, input, panel)?;
    if panel.is_empty() {
        common.retain(|(k, _)| k != "panel");
    }
    if let Some(o) = order {
        common.push(("order_ref".into(), Value::Text(o.to_string())));
    }
    let results = input
        .get("results")
        .and_then(Json::as_array)
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
        let mut fields = record::fields_from_json(&OBSERVATION, r, &[]).map_err(|e| match e {
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
                let flag = match (lo, hi) {
                    (Some(l), _) if x < l => Some("L"),
                    (_, Some(h)) if x > h => Some("H"),
                    (Some(_), _) | (_, Some(_)) => Some("N"),
                    _ => None,
                };
                if let Some(f) = flag {
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
