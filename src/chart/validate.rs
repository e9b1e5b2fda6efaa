//! Clinical validation: the rules a record must meet before it is written.
//!
//! Each rule names the field and says what would be accepted, so the clinician can fix the
//! form. Codes are checked against the code sets compiled into the binary.

use serde_json::{Map, Value as Json};

use super::record::parse_date;
use super::{ChartError, Ctx};
use crate::codes;
use crate::ledger::schema::EntityDef;
use crate::ledger::Value;

/// Largest document kept inside the database.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// The values a text field accepts, by kind of record. Validation checks them and the
/// request schema lists them (`enum`), so the UI's pickers and the check are one list.
pub const CHOICES: &[(&str, &str, &[&str])] = &[
    ("patient", "sex", &["female", "male", "other", "unknown"]),
    ("patient", "status", &["active", "inactive", "deceased"]),
    (
        "coverage",
        "relation",
        &["self", "spouse", "child", "other"],
    ),
    ("coverage", "status", &["active", "inactive"]),
    (
        "problem",
        "status",
        &["active", "inactive", "resolved", "remission"],
    ),
    (
        "medication",
        "status",
        &["active", "stopped", "completed", "on-hold"],
    ),
    (
        "allergy",
        "category",
        &["medication", "food", "environment", "biologic"],
    ),
    ("allergy", "severity", &["mild", "moderate", "severe"]),
    (
        "allergy",
        "criticality",
        &["low", "high", "unable-to-assess"],
    ),
    ("allergy", "status", &["active", "inactive", "resolved"]),
    (
        "immunization",
        "status",
        &["completed", "refused", "historical", "not-done"],
    ),
    (
        "encounter",
        "status",
        &["planned", "in-progress", "finished", "cancelled"],
    ),
    ("observation", "flag", &["N", "H", "L", "HH", "LL", "A"]),
    (
        "observation",
        "category",
        &["vital", "lab", "social", "exam", "survey"],
    ),
    (
        "observation",
        "status",
        &["preliminary", "final", "amended", "cancelled"],
    ),
    ("note", "kind", &["soap", "free"]),
    ("order", "kind", &["lab", "imaging", "referral"]),
    (
        "order",
        "status",
        &["ordered", "in-progress", "completed", "cancelled"],
    ),
    ("procedure", "status", &["completed", "planned", "not-done"]),
    (
        "social_history",
        "tobacco_status",
        &["never", "former", "current", "unknown"],
    ),
    (
        "social_history",
        "alcohol_status",
        &["none", "occasional", "moderate", "heavy", "unknown"],
    ),
];

/// The values `entity.field` accepts, if it is a field with a fixed list.
pub fn choices(entity: &str, field: &str) -> Option<&'static [&'static str]> {
    CHOICES
        .iter()
        .find(|(e, f, _)| *e == entity && *f == field)
        .map(|c| c.2)
}

/// `one_of` with the field's list from [`CHOICES`].
fn listed(merged: &Map<String, Json>, entity: &str, field: &str) -> Result<(), ChartError> {
    match choices(entity, field) {
        Some(allowed) => one_of(merged, field, allowed),
        None => Ok(()),
    }
}

fn one_of(merged: &Map<String, Json>, field: &str, allowed: &[&str]) -> Result<(), ChartError> {
    match merged.get(field) {
        None | Some(Json::Null) => Ok(()),
        Some(Json::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(v) => Err(ChartError::invalid(
            field,
            &format!("{v} is not one of: {}", allowed.join(", ")),
        )),
    }
}

fn required(merged: &Map<String, Json>, field: &str) -> Result<(), ChartError> {
    match merged.get(field) {
        Some(Json::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Json::Number(_)) | Some(Json::Bool(_)) | Some(Json::Array(_)) => Ok(()),
        _ => Err(ChartError::invalid(field, "is required")),
    }
}

fn date(merged: &Map<String, Json>, field: &str) -> Option<chrono::NaiveDate> {
    merged
        .get(field)
        .and_then(Json::as_str)
        .and_then(|s| parse_date(s.get(..10).unwrap_or(s)).ok())
}

fn not_future(ctx: &Ctx, merged: &Map<String, Json>, field: &str) -> Result<(), ChartError> {
    if let Some(d) = date(merged, field) {
        if d > ctx.today() {
            return Err(ChartError::invalid(field, &format!("{d} is in the future")));
        }
    }
    Ok(())
}

fn ordered(merged: &Map<String, Json>, first: &str, second: &str) -> Result<(), ChartError> {
    if let (Some(a), Some(b)) = (date(merged, first), date(merged, second)) {
        if b < a {
            return Err(ChartError::invalid(
                second,
                &format!("{b} is before {first} {a}"),
            ));
        }
    }
    Ok(())
}

fn after_birth(
    merged: &Map<String, Json>,
    field: &str,
    patient: Option<&Map<String, Json>>,
) -> Result<(), ChartError> {
    if let (Some(d), Some(born)) = (
        date(merged, field),
        patient.and_then(|p| date(p, "birth_date")),
    ) {
        if d < born {
            return Err(ChartError::invalid(
                field,
                &format!("{d} is before the patient's birth date {born}"),
            ));
        }
    }
    Ok(())
}

fn set(fields: &mut Vec<(String, Value)>, name: &str, v: Value) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_string(), v));
}

/// A visit's coded kind: the system normalised to its stored name (none for SNOMED CT,
/// `CPT`, `HCPCS`), the code checked for that system, and the kind in words filled from
/// the shipped table, or asked for when the table does not hold the code (a CPT or
/// HCPCS code from an imported value set): a visit list shows words, not codes.
fn visit_code(m: &Map<String, Json>, fields: &mut Vec<(String, Value)>) -> Result<(), ChartError> {
    let text = |k: &str| m.get(k).and_then(Json::as_str).map(str::trim).unwrap_or("");
    let code = text("type_code");
    if code.is_empty() {
        if get(fields, "type_code").is_some() {
            set(fields, "type_code", Value::Null);
            set(fields, "type_system", Value::Null);
        }
        return Ok(());
    }
    // A code picked or typed without its system is placed by its shape (also when an
    // edit changes the code alone: the stored system was the old code's).
    let code_alone = get(fields, "type_code").is_some() && get(fields, "type_system").is_none();
    let given = if code_alone || text("type_system").is_empty() {
        codes::visit_kinds::infer_system(code)
    } else {
        text("type_system")
    };
    let system = codes::visit_kinds::system(given).ok_or_else(|| {
        ChartError::invalid_code(
            "type_system",
            &format!(
                "'{}' is not a system of visit codes: leave it empty for SNOMED CT, or say CPT or HCPCS",
                text("type_system")
            ),
        )
    })?;
    if let Some(problem) = codes::visit_kinds::code_problem(system, code) {
        return Err(ChartError::invalid_code("type_code", &problem));
    }
    set(fields, "type_code", Value::from(code));
    set(
        fields,
        "type_system",
        if system.is_empty() {
            Value::Null
        } else {
            Value::from(system)
        },
    );
    if text("type").is_empty() {
        match codes::visit_kinds::lookup(code).filter(|_| system.is_empty()) {
            Some(kind) => set(fields, "type", Value::from(kind.display)),
            None => {
                return Err(ChartError::invalid(
                    "type",
                    &format!("say the kind of visit in words as well as its code ({code})"),
                ))
            }
        }
    }
    Ok(())
}

fn get<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Defaults for a new record (status and the like), filled before validation.
pub fn defaults(def: &EntityDef, fields: &mut Vec<(String, Value)>, _ctx: &Ctx) {
    let status = match def.name {
        "problem" | "medication" | "allergy" | "coverage" => Some("active"),
        "immunization" | "procedure" => Some("completed"),
        "encounter" => Some("finished"),
        "observation" => Some("final"),
        "note" => Some("draft"),
        "order" => Some("ordered"),
        _ => None,
    };
    if let Some(s) = status {
        if get(fields, "status").is_none_or(Value::is_null) {
            set(fields, "status", Value::from(s));
        }
    }
}

/// Refuses edits to records that are immutable in their current state.
pub fn editable(def: &EntityDef, current: &Map<String, Json>) -> Result<(), ChartError> {
    if def.name == "note" && current.get("status").and_then(Json::as_str) == Some("signed") {
        return Err(ChartError::Immutable(
            "this note is signed and cannot be changed; add an amendment or an addendum instead"
                .into(),
        ));
    }
    Ok(())
}

/// Checks one record as it would stand after the edit; may fill derived fields (a code's
/// display text) into `fields`.
pub fn check(
    ctx: &Ctx,
    def: &EntityDef,
    fields: &mut Vec<(String, Value)>,
    m: &Map<String, Json>,
    patient: Option<&Map<String, Json>>,
) -> Result<(), ChartError> {
    // Json fields travel in changes as JSON text; check them as the lists/objects they hold
    // (only where a rule looks inside them: an imported resource is large and unchecked).
    if !matches!(def.name, "patient" | "allergy") {
        return check_parsed(ctx, def, fields, m, patient);
    }
    let parsed: Map<String, Json> = m
        .iter()
        .map(|(k, v)| match v {
            Json::String(s)
                if def
                    .field(k)
                    .is_some_and(|f| f.kind == crate::ledger::schema::FieldKind::Json) =>
            {
                (
                    k.clone(),
                    serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
                )
            }
            _ => (k.clone(), v.clone()),
        })
        .collect();
    check_parsed(ctx, def, fields, &parsed, patient)
}

fn check_parsed(
    ctx: &Ctx,
    def: &EntityDef,
    fields: &mut Vec<(String, Value)>,
    m: &Map<String, Json>,
    patient: Option<&Map<String, Json>>,
) -> Result<(), ChartError> {
    match def.name {
        "patient" => {
            required(m, "family")?;
            match m.get("given") {
                Some(Json::Array(g))
                    if g.iter()
                        .all(|x| x.as_str().is_some_and(|s| !s.trim().is_empty())) => {}
                None | Some(Json::Null) => {}
                _ => {
                    return Err(ChartError::invalid(
                        "given",
                        "must be a list of given names, e.g. [\"Ana\", \"Maria\"]",
                    ))
                }
            }
            required(m, "birth_date")?;
            not_future(ctx, m, "birth_date")?;
            if let Some(d) = date(m, "birth_date") {
                if d < chrono::NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or_default() {
                    return Err(ChartError::invalid(
                        "birth_date",
                        &format!("{d} is not a plausible birth date"),
                    ));
                }
            }
            required(m, "sex")?;
            listed(m, "patient", "sex")?;
            listed(m, "patient", "status")?;
            if m.get("status").and_then(Json::as_str) == Some("deceased") {
                required(m, "deceased_date")?;
            }
            not_future(ctx, m, "deceased_date")?;
            ordered(m, "birth_date", "deceased_date")?;
            for list in ["phones", "identifiers"] {
                if let Some(v) = m.get(list) {
                    if !(v.is_null() || v.is_array()) {
                        return Err(ChartError::invalid(list, "must be a list"));
                    }
                }
            }
        }
        "coverage" => {
            required(m, "payer")?;
            required(m, "member_id")?;
            listed(m, "coverage", "relation")?;
            listed(m, "coverage", "status")?;
            ordered(m, "start_date", "end_date")?;
        }
        "problem" => {
            let icd10 = m
                .get("code_system")
                .and_then(Json::as_str)
                .is_none_or(|s| s.trim().is_empty() || codes::icd10::is_system(s));
            let cdsi = m.get("code_system").and_then(Json::as_str)
                == Some(crate::care::chart_facts::CDSI_CODE_SYSTEM);
            match get(fields, "code").cloned() {
                // A CDSi observation (a condition that changes the immunization schedule)
                // must be one CDC's data names; its title fills the display.
                Some(Value::Text(code)) if cdsi => {
                    let known = crate::care::immunization::observations()
                        .map_err(|e| ChartError::invalid("code_system", &e.to_string()))?;
                    let found = known.iter().find(|o| o.code == code).ok_or_else(|| {
                        ChartError::invalid_code(
                            "code",
                            &format!("'{code}' is not a CDSi observation code; immunization.observations lists them (e.g. 007 for pregnancy)"),
                        )
                    })?;
                    if m.get("display").is_none_or(Json::is_null) {
                        set(fields, "display", Value::from(found.title.clone()));
                    }
                }
                // A code from another system (SNOMED CT from an import) is kept as given;
                // the problem list shows its display.
                Some(Value::Text(code)) if !code.is_empty() && !icd10 => {
                    required(m, "display").map_err(|_| {
                        ChartError::invalid(
                            "display",
                            "a code from a system other than ICD-10-CM needs a display",
                        )
                    })?;
                }
                Some(Value::Text(code)) if !code.is_empty() => {
                    let found = codes::icd10::lookup(&code).ok_or_else(|| {
                        ChartError::invalid_code(
                            "code",
                            &format!("'{code}' is not an ICD-10-CM code (April 2026 code set); search codes with code.search, or leave the code empty and describe the problem in 'display'"),
                        )
                    })?;
                    set(fields, "code", Value::from(found.code));
                    if m.get("display").is_none_or(Json::is_null) {
                        set(fields, "display", Value::from(found.display));
                    }
                }
                _ => required(m, "display").map_err(|_| {
                    ChartError::invalid("display", "give an ICD-10-CM code or describe the problem")
                })?,
            }
            listed(m, "problem", "status")?;
            not_future(ctx, m, "onset_date")?;
            after_birth(m, "onset_date", patient)?;
            ordered(m, "onset_date", "resolved_date")?;
        }
        "medication" => {
            required(m, "name")?;
            listed(m, "medication", "status")?;
            ordered(m, "start_date", "stop_date")?;
            not_future(ctx, m, "start_date")?;
        }
        "allergy" => {
            let none_known = m.get("no_known").and_then(Json::as_bool) == Some(true);
            if !none_known {
                required(m, "substance")?;
            }
            listed(m, "allergy", "category")?;
            listed(m, "allergy", "severity")?;
            listed(m, "allergy", "criticality")?;
            listed(m, "allergy", "status")?;
            if let Some(v) = m.get("reactions") {
                if !(v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Json::is_string))) {
                    return Err(ChartError::invalid(
                        "reactions",
                        "must be a list of reactions, e.g. [\"hives\"]",
                    ));
                }
            }
            not_future(ctx, m, "onset_date")?;
        }
        "immunization" => {
            match get(fields, "cvx").cloned() {
                Some(Value::Text(code)) => {
                    let found = codes::cvx::lookup(&code).ok_or_else(|| {
                        ChartError::invalid_code(
                            "cvx",
                            &format!("'{code}' is not a CVX vaccine code in the shipped list"),
                        )
                    })?;
                    set(fields, "cvx", Value::from(found.code));
                    if m.get("vaccine").is_none_or(Json::is_null) {
                        set(fields, "vaccine", Value::from(found.short_name));
                    }
                }
                _ => required(m, "cvx")?,
            }
            required(m, "date")?;
            not_future(ctx, m, "date")?;
            after_birth(m, "date", patient)?;
            listed(m, "immunization", "status")?;
            if m.get("status").and_then(Json::as_str) == Some("refused") {
                required(m, "reason").map_err(|_| {
                    ChartError::invalid("reason", "say why the vaccine was refused")
                })?;
            }
            if let Some(n) = m.get("dose_number").and_then(Json::as_i64) {
                if !(1..=10).contains(&n) {
                    return Err(ChartError::invalid(
                        "dose_number",
                        "must be between 1 and 10",
                    ));
                }
            }
        }
        "encounter" => {
            required(m, "start")?;
            not_future(ctx, m, "start")?;
            ordered(m, "start", "end")?;
            after_birth(m, "start", patient)?;
            listed(m, "encounter", "status")?;
            visit_code(m, fields)?;
        }
        "observation" => {
            required(m, "code")?;
            if let Some(Value::Text(code)) = get(fields, "code").cloned() {
                if !looks_like_loinc(&code) {
                    return Err(ChartError::invalid_code("code", &format!("'{code}' is not a LOINC code (digits, a dash and a check digit, e.g. 8480-6)")));
                }
                if let Some(l) = codes::loinc::lookup(&code) {
                    if m.get("display").is_none_or(Json::is_null) {
                        set(fields, "display", Value::from(l.display));
                    }
                    if m.get("category").is_none_or(Json::is_null) {
                        set(fields, "category", Value::from(l.category));
                    }
                    if m.get("unit").is_none_or(Json::is_null) && !l.unit.is_empty() {
                        set(fields, "unit", Value::from(l.unit));
                    }
                }
            }
            required(m, "effective")?;
            not_future(ctx, m, "effective")?;
            after_birth(m, "effective", patient)?;
            let has_value = ["value_num", "value_text", "value_code"]
                .iter()
                .any(|f| m.get(*f).is_some_and(|v| !v.is_null()));
            if !has_value {
                return Err(ChartError::invalid(
                    "value_num",
                    "an observation needs a value (value_num, value_text or value_code)",
                ));
            }
            listed(m, "observation", "flag")?;
            listed(m, "observation", "category")?;
            listed(m, "observation", "status")?;
        }
        "note" => {
            // Only note.sign sets these, to the caller and the engine's clock.
            for f in ["signed_at", "signed_by", "signed_digest"] {
                if fields.iter().any(|(k, v)| k == f && !v.is_null()) {
                    return Err(ChartError::invalid(
                        f,
                        "is set only by signing the note (note.sign)",
                    ));
                }
            }
            listed(m, "note", "kind")?;
            one_of(m, "status", &["draft"]).map_err(|_| {
                ChartError::invalid(
                    "status",
                    "notes are saved as drafts; sign them with note.sign",
                )
            })?;
        }
        "order" => {
            required(m, "kind")?;
            listed(m, "order", "kind")?;
            required(m, "description")?;
            listed(m, "order", "status")?;
        }
        "procedure" => {
            if m.get("code").is_none_or(Json::is_null) {
                required(m, "description")?;
            }
            not_future(ctx, m, "date")?;
            after_birth(m, "date", patient)?;
            listed(m, "procedure", "status")?;
        }
        "hospitalization" => {
            required(m, "admit_date")?;
            not_future(ctx, m, "admit_date")?;
            after_birth(m, "admit_date", patient)?;
            ordered(m, "admit_date", "discharge_date")?;
        }
        "family_history" => {
            required(m, "relative")?;
            required(m, "condition")?;
            if let Some(a) = m.get("onset_age").and_then(Json::as_i64) {
                if !(0..=120).contains(&a) {
                    return Err(ChartError::invalid(
                        "onset_age",
                        "must be an age between 0 and 120",
                    ));
                }
            }
        }
        "social_history" => {
            listed(m, "social_history", "tobacco_status")?;
            listed(m, "social_history", "alcohol_status")?;
            if let Some(d) = m.get("alcohol_drinks_per_week").and_then(Json::as_f64) {
                if !(0.0..=200.0).contains(&d) {
                    return Err(ChartError::invalid(
                        "alcohol_drinks_per_week",
                        "must be between 0 and 200",
                    ));
                }
            }
        }
        "decline" => {
            required(m, "rule")?;
            if let Some(rule) = m.get("rule").and_then(Json::as_str) {
                if crate::care::preventive::RuleSet::shipped()
                    .get(rule)
                    .is_none()
                {
                    return Err(ChartError::invalid(
                        "rule",
                        "is not a preventive rule; cds.rules lists them",
                    ));
                }
            }
            required(m, "date")?;
            not_future(ctx, m, "date")?;
            after_birth(m, "date", patient)?;
            required(m, "reason")?;
        }
        "document" => super::documents::check(fields, m)?,
        _ => {}
    }
    Ok(())
}

/// LOINC's shape: up to seven digits, a dash, and a mod-10 check digit.
pub fn looks_like_loinc(code: &str) -> bool {
    crate::codes::check_digits::loinc_problem(code).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loinc_check_digits() {
        for good in ["8480-6", "8462-4", "2345-7", "4548-4", "29463-7", "85354-9"] {
            assert!(looks_like_loinc(good), "{good}");
        }
        for bad in ["8480-5", "8480", "abc-1", "12345678-1", "8480-66"] {
            assert!(!looks_like_loinc(bad), "{bad}");
        }
    }

    /// Every listed field is a text field of its kind of record.
    #[test]
    fn every_choice_list_names_a_text_field() {
        use crate::ledger::schema::FieldKind;
        for (entity, field, allowed) in super::CHOICES {
            let def = crate::practice::CATALOGUE
                .entity(entity)
                .unwrap_or_else(|| panic!("{entity} is not a kind of record"));
            let f = def
                .field(field)
                .unwrap_or_else(|| panic!("{entity}.{field} is not a field"));
            assert_eq!(f.kind, FieldKind::Text, "{entity}.{field}");
            assert!(!allowed.is_empty());
        }
    }
}
