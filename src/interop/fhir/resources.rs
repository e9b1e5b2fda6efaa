//! Chart rows as FHIR R4 resources, one function per kind of record, and the small
//! helpers they share. Statuses map onto the value sets FHIR binds as required; empty
//! optional fields are left out (`prune`) rather than written empty, which FHIR forbids.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::{BCP47, CPT, CVX, ICD10CM, LOINC, RXNORM, SNOMED, THO, UCUM};

pub(super) fn urn(id: &Uuid) -> String {
    format!("urn:uuid:{id}")
}

pub(super) fn text<'a>(row: &'a Map<String, Json>, key: &str) -> &'a str {
    row.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// A text field, or None when empty.
pub(super) fn opt<'a>(row: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    row.get(key)
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub(super) fn int(row: &Map<String, Json>, key: &str) -> i64 {
    row.get(key).and_then(Json::as_i64).unwrap_or_default()
}

pub(super) fn retracted(row: &Map<String, Json>) -> bool {
    row.get("retracted")
        .and_then(Json::as_bool)
        .unwrap_or(false)
}

/// An instant: RFC 3339 in UTC with milliseconds.
pub(super) fn instant(ms: i64) -> String {
    crate::clock::rfc3339(ms)
}

pub(super) fn coding(system: &str, code: &str, display: Option<&str>) -> Json {
    let mut c = json!({"system": system, "code": code});
    if let Some(d) = display {
        c["display"] = json!(d);
    }
    c
}

pub(super) fn concept(system: &str, code: &str, display: &str) -> Json {
    json!({"coding": [coding(system, code, Some(display))]})
}

pub(super) fn participant(code: &str, display: &str) -> Json {
    json!({"coding": [coding(&format!("{THO}provenance-participant-type"), code, Some(display))]})
}

pub(super) fn reference(to: &str) -> Json {
    json!({"reference": to})
}

/// Drops keys whose value is null, an empty string, array or object, so optional fields
/// the chart leaves empty are absent rather than invalid. In place: an export of a large
/// practice builds millions of these maps.
pub(super) fn prune(mut v: Json) -> Json {
    prune_in_place(&mut v);
    v
}

fn prune_in_place(v: &mut Json) {
    match v {
        Json::Object(m) => m.retain(|_, c| {
            prune_in_place(c);
            !is_empty(c)
        }),
        Json::Array(a) => a.retain_mut(|c| {
            prune_in_place(c);
            !is_empty(c)
        }),
        _ => {}
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `{"fullUrl": …, "resource": …}`, built without copying the resource (`json!` would).
pub(super) fn entry(url: String, resource: Json) -> Json {
    let mut m = Map::new();
    m.insert("fullUrl".into(), Json::String(url));
    m.insert("resource".into(), resource);
    Json::Object(m)
}

pub(super) fn note_of(row: &Map<String, Json>) -> Json {
    match opt(row, "note") {
        Some(n) => json!([{"text": n}]),
        None => Json::Null,
    }
}

pub(super) fn patient_resource(p: &Map<String, Json>) -> Json {
    let mut names = vec![json!({
        "use": "official",
        "family": text(p, "family"),
        "given": p.get("given").cloned().unwrap_or(Json::Null),
    })];
    if let Some(pref) = opt(p, "preferred") {
        names.push(json!({"use": "usual", "given": [pref]}));
    }
    let mut identifiers = Vec::new();
    if let Some(mrn) = opt(p, "mrn") {
        identifiers.push(json!({
            "use": "usual",
            "type": concept(&format!("{THO}v2-0203"), "MR", "Medical record number"),
            "system": super::MRN_SYSTEM,
            "value": mrn,
        }));
    }
    for i in p
        .get("identifiers")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let value = i["value"]
            .as_str()
            .or_else(|| i.as_str())
            .unwrap_or_default();
        let system = i["system"].as_str().unwrap_or_default();
        // A system the chart keeps as a plain word ("previous-mrn") is a label, not a URI.
        if system.contains(':') {
            identifiers.push(json!({"system": system, "value": value}));
        } else {
            identifiers.push(json!({"type": {"text": system}, "value": value}));
        }
    }
    let mut telecom: Vec<Json> = p
        .get("phones")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ph| ph.as_str().or_else(|| ph["number"].as_str()))
        .map(|n| json!({"system": "phone", "value": n}))
        .collect();
    if let Some(e) = opt(p, "email") {
        telecom.push(json!({"system": "email", "value": e}));
    }
    let address = p.get("address").filter(|a| a.is_object()).map(|a| {
        let lines = match &a["line"] {
            Json::Array(l) => Json::Array(l.clone()),
            Json::String(s) => json!([s]),
            _ => Json::Null,
        };
        json!({
            "line": lines,
            "city": a["city"],
            "state": a["state"],
            "postalCode": a["postal_code"],
            "country": a["country"],
        })
    });
    let contact = p
        .get("emergency_contact")
        .filter(|c| c.is_object())
        .map(|c| {
            json!({
                "relationship": [{
                    "coding": [coding(&format!("{THO}v2-0131"), "C", Some("Emergency Contact"))],
                    "text": c["relation"],
                }],
                "name": {"text": c["name"]},
                "telecom": c["phone"].as_str().map(|n| json!([{"system": "phone", "value": n}])),
            })
        });
    let deceased = opt(p, "deceased_date");
    prune(json!({
        "resourceType": "Patient",
        "id": text(p, "id"),
        "identifier": identifiers,
        "active": text(p, "status") != "inactive" && !retracted(p),
        "name": names,
        "telecom": telecom,
        "gender": opt(p, "sex"),
        "birthDate": opt(p, "birth_date"),
        "deceasedDateTime": deceased,
        "deceasedBoolean": if deceased.is_none() && text(p, "status") == "deceased" { Some(true) } else { None },
        "address": address.map(|a| vec![a]),
        "contact": contact.map(|c| vec![c]),
        "communication": opt(p, "language").map(|l| json!([{
            "language": {"coding": [coding(BCP47, l, None)]},
            "preferred": true,
        }])),
    }))
}

pub(super) fn encounter(patient: &str, e: &Map<String, Json>) -> Json {
    let status = if retracted(e) {
        "entered-in-error"
    } else {
        match text(e, "status") {
            s @ ("planned" | "in-progress" | "finished" | "cancelled") => s,
            _ => "unknown",
        }
    };
    prune(json!({
        "resourceType": "Encounter",
        "id": text(e, "id"),
        "status": status,
        "class": coding(&format!("{THO}v3-ActCode"), "AMB", Some("ambulatory")),
        "type": visit_type(e),
        "subject": reference(patient),
        "participant": opt(e, "provider").map(|p| json!([{"individual": {"display": p}}])),
        "period": {"start": opt(e, "start"), "end": opt(e, "end")},
        "reasonCode": opt(e, "reason").map(|r| json!([{"text": r}])),
        "location": opt(e, "location").map(|l| json!([{"location": {"display": l}}])),
    }))
}

/// A visit's kind: its words, with its code when it has one (what a measure engine
/// receiving the export counts the visit by).
fn visit_type(e: &Map<String, Json>) -> Option<Json> {
    let code = opt(e, "type_code");
    let words = opt(e, "type");
    if code.is_none() && words.is_none() {
        return None;
    }
    let system = crate::codes::visit_kinds::system_uri(opt(e, "type_system").unwrap_or(""));
    Some(json!([{
        "coding": code.map(|c| json!([coding(system, c, None)])),
        "text": words,
    }]))
}

pub(super) fn hospitalization(patient: &str, h: &Map<String, Json>) -> Json {
    let status = if retracted(h) {
        "entered-in-error"
    } else if opt(h, "discharge_date").is_some() {
        "finished"
    } else {
        "in-progress"
    };
    prune(json!({
        "resourceType": "Encounter",
        "id": text(h, "id"),
        "status": status,
        "class": coding(&format!("{THO}v3-ActCode"), "IMP", Some("inpatient encounter")),
        "subject": reference(patient),
        "period": {"start": opt(h, "admit_date"), "end": opt(h, "discharge_date")},
        "reasonCode": opt(h, "reason").map(|r| json!([{"text": r}])),
        "serviceProvider": opt(h, "facility").map(|f| json!({"display": f})),
        // Encounter has no note element: the stay's note is the narrative.
        "text": opt(h, "note").map(narrative),
    }))
}

/// A code system's FHIR URI from what the chart holds: the URI itself (as an import keeps
/// it), or a name a person typed (CPT, SNOMED CT). None when it is neither, and the code
/// is then shown as text.
pub(super) fn system_uri(system: &str) -> Option<&str> {
    let s = system.trim();
    if s.starts_with("http://") || s.starts_with("https://") || s.starts_with("urn:") {
        return Some(s);
    }
    match s.to_ascii_lowercase().as_str() {
        "cpt" => Some(CPT),
        "snomed" | "snomed ct" | "snomed-ct" | "sct" => Some(SNOMED),
        "icd-10-cm" | "icd10cm" => Some(ICD10CM),
        l if l.contains("icd-10-pcs") || l == "icd10pcs" => {
            Some("http://www.cms.gov/Medicare/Coding/ICD10")
        }
        _ => None,
    }
}

pub(super) fn condition(patient: &str, c: &Map<String, Json>) -> Json {
    let display = opt(c, "display");
    let system = match opt(c, "code_system") {
        Some(s) if !crate::codes::icd10::is_system(s) => system_uri(s),
        _ => Some(ICD10CM),
    };
    let code = opt(c, "code").map(|code| match system {
        Some(system) => {
            json!({"coding": [coding(system, code, display)], "text": display.unwrap_or(code)})
        }
        None => json!({"text": display.map(|d| format!("{d} ({code})")).unwrap_or_else(|| code.to_string())}),
    });
    let code = code.or_else(|| display.map(|d| json!({"text": d})));
    let (clinical, verification) = if retracted(c) {
        // A condition entered in error has no clinical status (con-5).
        (Json::Null, "entered-in-error")
    } else {
        let s = match text(c, "status") {
            s @ ("active" | "inactive" | "resolved" | "remission") => s,
            _ if opt(c, "resolved_date").is_some() => "resolved",
            _ => "active",
        };
        let s = if opt(c, "resolved_date").is_some() && s == "active" {
            "resolved"
        } else {
            s
        };
        (
            json!({"coding": [coding(&format!("{THO}condition-clinical"), s, None)]}),
            "confirmed",
        )
    };
    prune(json!({
        "resourceType": "Condition",
        "id": text(c, "id"),
        "clinicalStatus": clinical,
        "verificationStatus": {"coding": [coding(&format!("{THO}condition-ver-status"), verification, None)]},
        "category": [concept(&format!("{THO}condition-category"), "problem-list-item", "Problem List Item")],
        "code": code,
        "subject": reference(patient),
        "onsetDateTime": opt(c, "onset_date"),
        "abatementDateTime": if retracted(c) { None } else { opt(c, "resolved_date") },
        "recordedDate": instant(int(c, "created_at")),
        "note": note_of(c),
    }))
}

pub(super) fn allergy(patient: &str, a: &Map<String, Json>) -> Json {
    let no_known = a.get("no_known").and_then(Json::as_bool).unwrap_or(false);
    let code = if no_known {
        Some(json!({
            "coding": [coding(SNOMED, "716186003", Some("No known allergy"))],
            "text": "No known allergies",
        }))
    } else {
        let substance = opt(a, "substance");
        match (opt(a, "code"), substance) {
            // The chart's allergy code is an RxNorm ingredient (drug allergies).
            (Some(code), s) => {
                Some(json!({"coding": [coding(RXNORM, code, s)], "text": s.unwrap_or(code)}))
            }
            (None, Some(s)) => Some(json!({"text": s})),
            (None, None) => None,
        }
    };
    let (clinical, verification) = if retracted(a) {
        (Json::Null, "entered-in-error")
    } else {
        let s = match text(a, "status") {
            s @ ("active" | "inactive" | "resolved") => s,
            _ => "active",
        };
        (
            json!({"coding": [coding(&format!("{THO}allergyintolerance-clinical"), s, None)]}),
            "confirmed",
        )
    };
    let reactions: Vec<Json> = a
        .get("reactions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(|r| json!({"text": r}))
        .collect();
    let severity = match text(a, "severity") {
        s @ ("mild" | "moderate" | "severe") => Some(s),
        _ => None,
    };
    let reaction = if reactions.is_empty() {
        Json::Null
    } else {
        json!([{"manifestation": reactions, "severity": severity}])
    };
    prune(json!({
        "resourceType": "AllergyIntolerance",
        "id": text(a, "id"),
        "clinicalStatus": clinical,
        "verificationStatus": {"coding": [coding(&format!("{THO}allergyintolerance-verification"), verification, None)]},
        "category": match text(a, "category") {
            c @ ("food" | "medication" | "environment" | "biologic") => json!([c]),
            _ => Json::Null,
        },
        "criticality": match text(a, "criticality") {
            c @ ("low" | "high" | "unable-to-assess") => Some(c),
            _ => None,
        },
        "code": code,
        "patient": reference(patient),
        "onsetDateTime": opt(a, "onset_date"),
        "recordedDate": instant(int(a, "created_at")),
        "note": note_of(a),
        "reaction": reaction,
    }))
}

pub(super) fn medication(patient: &str, m: &Map<String, Json>) -> Json {
    let name = opt(m, "name");
    let med = match opt(m, "rxnorm") {
        Some(code) => json!({"coding": [coding(RXNORM, code, name)], "text": name.unwrap_or(code)}),
        None => json!({"text": name.unwrap_or("unnamed medication")}),
    };
    let status = if retracted(m) {
        "entered-in-error"
    } else {
        match text(m, "status") {
            s @ ("active" | "stopped" | "completed" | "on-hold") => s,
            _ => "unknown",
        }
    };
    let dosage_text: Vec<&str> = ["dose", "route", "frequency"]
        .iter()
        .filter_map(|k| opt(m, k))
        .collect();
    let dosage = if dosage_text.is_empty() {
        Json::Null
    } else {
        // The parts also travel structured, so that an import gives back the same fields.
        let dose = opt(m, "dose").and_then(|d| {
            let (n, unit) = d.split_once(' ').unwrap_or((d, ""));
            let n: f64 = n.parse().ok()?;
            Some(json!([{"doseQuantity": {"value": n, "unit": unit.trim()}}]))
        });
        json!([{
            "text": dosage_text.join(" "),
            "timing": opt(m, "frequency").map(|f| json!({"code": {"text": f}})),
            "route": opt(m, "route").map(|r| json!({"text": r})),
            "doseAndRate": dose,
        }])
    };
    prune(json!({
        "resourceType": "MedicationStatement",
        "id": text(m, "id"),
        "status": status,
        "medicationCodeableConcept": med,
        "subject": reference(patient),
        "effectivePeriod": {"start": opt(m, "start_date"), "end": opt(m, "stop_date")},
        "dateAsserted": instant(int(m, "created_at")),
        "reasonCode": opt(m, "reason").map(|r| json!([{"text": r}])),
        "dosage": dosage,
    }))
}

pub(super) fn immunization(patient: &str, i: &Map<String, Json>) -> Json {
    let vaccine = opt(i, "vaccine");
    let code = match opt(i, "cvx") {
        Some(cvx) => json!({"coding": [coding(CVX, cvx, vaccine)], "text": vaccine.unwrap_or(cvx)}),
        None => json!({"text": vaccine.unwrap_or("unknown vaccine")}),
    };
    let recorded = text(i, "status");
    let status = if retracted(i) {
        "entered-in-error"
    } else if matches!(recorded, "refused" | "not-done") {
        "not-done"
    } else {
        "completed"
    };
    let reason = opt(i, "reason");
    let status_reason = match (status, recorded) {
        ("not-done", "refused") => Some(json!({
            "coding": [coding(&format!("{THO}v3-ActReason"), "PATOBJ", Some("patient objection"))],
            "text": reason.unwrap_or("refused"),
        })),
        ("not-done", _) => reason.map(|r| json!({"text": r})),
        _ => None,
    };
    prune(json!({
        "resourceType": "Immunization",
        "id": text(i, "id"),
        "status": status,
        "statusReason": status_reason,
        "vaccineCode": code,
        "patient": reference(patient),
        "occurrenceDateTime": opt(i, "date"),
        "recorded": instant(int(i, "created_at")),
        // A vaccine recorded from the patient's history was not given here.
        "primarySource": recorded != "historical",
        "lotNumber": opt(i, "lot"),
        "site": opt(i, "site").map(|s| json!({"text": s})),
        "route": opt(i, "route").map(|r| json!({"text": r})),
        "performer": opt(i, "performer").map(|p| json!([{"actor": {"display": p}}])),
        "protocolApplied": i.get("dose_number").and_then(Json::as_i64).filter(|n| *n > 0)
            .map(|n| json!([{"doseNumberPositiveInt": n}])),
    }))
}

pub(super) fn quantity(value: f64, unit: Option<&str>) -> Json {
    match unit {
        Some(u) => json!({"value": value, "unit": u, "system": UCUM, "code": u}),
        None => json!({"value": value}),
    }
}

pub(super) fn observation(patient: &str, encounters: &[String], o: &Map<String, Json>) -> Json {
    let status = if retracted(o) {
        "entered-in-error"
    } else {
        match text(o, "status") {
            s @ ("preliminary" | "final" | "amended" | "cancelled") => s,
            _ => "final",
        }
    };
    let category = match text(o, "category") {
        "vital" => Some(("vital-signs", "Vital Signs")),
        "lab" => Some(("laboratory", "Laboratory")),
        "social" => Some(("social-history", "Social History")),
        "exam" => Some(("exam", "Exam")),
        "survey" => Some(("survey", "Survey")),
        _ => None,
    };
    let unit = opt(o, "unit");
    let value_num = o.get("value_num").and_then(Json::as_f64);
    let mut r = json!({
        "resourceType": "Observation",
        "id": text(o, "id"),
        "status": status,
        "category": category.map(|(c, d)| json!([concept(&format!("{THO}observation-category"), c, d)])),
        "code": {
            "coding": [coding(LOINC, text(o, "code"), opt(o, "display"))],
            "text": opt(o, "display").unwrap_or(text(o, "code")),
        },
        "subject": reference(patient),
        "encounter": opt(o, "encounter")
            .filter(|e| encounters.iter().any(|k| k == e))
            .map(|e| reference(&format!("urn:uuid:{e}"))),
        "effectiveDateTime": opt(o, "effective"),
        "issued": instant(int(o, "created_at")),
    });
    if let Some(v) = value_num {
        r["valueQuantity"] = quantity(v, unit);
    } else if let Some(code) = opt(o, "value_code") {
        r["valueCodeableConcept"] = json!({"text": opt(o, "value_text").unwrap_or(code), "coding": [coding(SNOMED, code, opt(o, "value_text"))]});
    } else if let Some(t) = opt(o, "value_text") {
        r["valueString"] = json!(t);
    }
    if let Some(flag) = opt(o, "flag") {
        let display = match flag {
            "N" => "Normal",
            "H" => "High",
            "L" => "Low",
            "HH" => "Critical high",
            "LL" => "Critical low",
            _ => "Abnormal",
        };
        r["interpretation"] = json!([concept(
            &format!("{THO}v3-ObservationInterpretation"),
            flag,
            display
        )]);
    }
    let low = o.get("ref_low").and_then(Json::as_f64);
    let high = o.get("ref_high").and_then(Json::as_f64);
    let range_text = opt(o, "ref_text");
    if low.is_some() || high.is_some() || range_text.is_some() {
        r["referenceRange"] = json!([{
            "low": low.map(|v| quantity(v, unit)),
            "high": high.map(|v| quantity(v, unit)),
            "text": range_text,
        }]);
    }
    prune(r)
}

/// Results saved together as one DiagnosticReport (its id the panel's), listing them.
pub(super) fn panel_report(
    patient: &str,
    encounters: &[String],
    id: &str,
    members: &[&Map<String, Json>],
) -> Json {
    let first = members[0];
    let code = opt(first, "panel");
    let lab = members.iter().any(|m| text(m, "category") == "lab");
    let status = if members.iter().all(|m| retracted(m)) {
        "entered-in-error"
    } else if members.iter().any(|m| text(m, "status") == "preliminary") {
        "preliminary"
    } else if members.iter().any(|m| text(m, "status") == "amended") {
        "amended"
    } else {
        "final"
    };
    let name = code
        .and_then(|c| crate::codes::loinc::lookup(c).map(|l| l.display.to_string()))
        .or_else(|| code.map(str::to_string))
        .unwrap_or_else(|| "Results".to_string());
    prune(json!({
        "resourceType": "DiagnosticReport",
        "id": id,
        "status": status,
        "category": if lab { json!([concept(&format!("{THO}v2-0074"), "LAB", "Laboratory")]) } else { Json::Null },
        "code": match code {
            Some(c) => json!({"coding": [coding(LOINC, c, Some(&name))], "text": name}),
            None => json!({"text": name}),
        },
        "subject": reference(patient),
        "encounter": opt(first, "encounter")
            .filter(|e| encounters.iter().any(|k| k == e))
            .map(|e| reference(&format!("urn:uuid:{e}"))),
        "effectiveDateTime": opt(first, "effective"),
        "result": members.iter().map(|m| reference(&format!("urn:uuid:{}", text(m, "id")))).collect::<Vec<_>>(),
    }))
}

/// Tobacco and alcohol use as social-history Observations: smoking status (LOINC
/// 72166-2, SNOMED CT answers) and alcohol use (LOINC 11331-6).
pub(super) fn social_history(patient: &str, s: &Map<String, Json>) -> Vec<Json> {
    let id = Uuid::parse_str(text(s, "id")).unwrap_or_default();
    let status = if retracted(s) {
        "entered-in-error"
    } else {
        "final"
    };
    let when = opt(s, "recorded_date")
        .map(str::to_string)
        .unwrap_or_else(|| instant(int(s, "created_at")));
    let category = json!([concept(
        &format!("{THO}observation-category"),
        "social-history",
        "Social History"
    )]);
    let mut out = Vec::new();
    if let Some(t) = opt(s, "tobacco_status") {
        let (code, display) = match t {
            "never" => ("266919005", "Never smoked tobacco"),
            "former" => ("8517006", "Ex-smoker"),
            "current" => ("77176002", "Smoker"),
            _ => ("266927001", "Tobacco smoking consumption unknown"),
        };
        out.push(prune(json!({
            "resourceType": "Observation",
            "id": Uuid::new_v5(&id, b"tobacco").to_string(),
            "identifier": [{"system": super::RECORD_SYSTEM, "value": id.to_string()}],
            "status": status,
            "category": category,
            "code": {"coding": [coding(LOINC, "72166-2", Some("Tobacco smoking status"))], "text": "Tobacco smoking status"},
            "subject": reference(patient),
            "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [coding(SNOMED, code, Some(display))], "text": display},
            "note": opt(s, "tobacco_detail").map(|d| json!([{"text": d}])),
        })));
    }
    if let Some(a) = opt(s, "alcohol_status") {
        let per_week = s.get("alcohol_drinks_per_week").and_then(Json::as_f64);
        let value = match per_week {
            Some(n) => format!("{a}, {n} drinks a week"),
            None => a.to_string(),
        };
        out.push(prune(json!({
            "resourceType": "Observation",
            "id": Uuid::new_v5(&id, b"alcohol").to_string(),
            "identifier": [{"system": super::RECORD_SYSTEM, "value": id.to_string()}],
            "status": status,
            "category": category,
            "code": {"coding": [coding(LOINC, "11331-6", Some("History of Alcohol use"))], "text": "Alcohol use"},
            "subject": reference(patient),
            "effectiveDateTime": when,
            "valueString": value,
            "note": note_of(s),
        })));
    }
    out
}

pub(super) fn service_request(
    patient: &str,
    encounters: &[String],
    people: &HashMap<String, String>,
    o: &Map<String, Json>,
) -> Json {
    let status = if retracted(o) {
        "entered-in-error"
    } else {
        match text(o, "status") {
            "ordered" | "in-progress" => "active",
            "completed" => "completed",
            "cancelled" => "revoked",
            _ => "unknown",
        }
    };
    let category = match text(o, "kind") {
        "lab" => Some(("108252007", "Laboratory procedure")),
        "imaging" => Some(("363679005", "Imaging")),
        "referral" => Some(("3457005", "Patient referral")),
        _ => None,
    };
    let description = opt(o, "description");
    let code = match (opt(o, "code"), text(o, "kind")) {
        (Some(c), "lab") => {
            json!({"coding": [coding(LOINC, c, description)], "text": description.unwrap_or(c)})
        }
        (_, _) => json!({"text": description.unwrap_or("order")}),
    };
    prune(json!({
        "resourceType": "ServiceRequest",
        "id": text(o, "id"),
        "status": status,
        "intent": "order",
        "category": category.map(|(c, d)| json!([concept(SNOMED, c, d)])),
        "code": code,
        "subject": reference(patient),
        "encounter": opt(o, "encounter")
            .filter(|e| encounters.iter().any(|k| k == e))
            .map(|e| reference(&format!("urn:uuid:{e}"))),
        "authoredOn": opt(o, "ordered_at"),
        "requester": opt(o, "ordered_by").map(|u| json!({"display": people.get(u).cloned().unwrap_or_else(|| format!("user {u}"))})),
        "reasonCode": opt(o, "reason").map(|r| json!([{"text": r}])),
        "note": opt(o, "result_summary").map(|s| json!([{"text": format!("Result: {s}"), "time": opt(o, "result_at")}])),
    }))
}

pub(super) fn procedure(patient: &str, p: &Map<String, Json>) -> Json {
    let status = if retracted(p) {
        "entered-in-error"
    } else {
        match text(p, "status") {
            "completed" => "completed",
            "planned" => "preparation",
            "not-done" => "not-done",
            _ => "unknown",
        }
    };
    let description = opt(p, "description");
    let system = system_uri(text(p, "code_system"));
    let code = match (opt(p, "code"), system) {
        (Some(c), Some(sys)) => {
            json!({"coding": [coding(sys, c, description)], "text": description.unwrap_or(c)})
        }
        (Some(c), None) => {
            json!({"text": description.map(|d| format!("{d} ({c})")).unwrap_or_else(|| c.to_string())})
        }
        (None, _) => json!({"text": description.unwrap_or("procedure")}),
    };
    prune(json!({
        "resourceType": "Procedure",
        "id": text(p, "id"),
        "status": status,
        "category": if p.get("surgical").and_then(Json::as_bool) == Some(true) {
            Some(concept(SNOMED, "387713003", "Surgical procedure"))
        } else {
            None
        },
        "code": code,
        "subject": reference(patient),
        "performedDateTime": opt(p, "date"),
        "performer": opt(p, "performer").map(|who| json!([{"actor": {"display": who}}])),
        "note": note_of(p),
    }))
}

pub(super) fn family_history(patient: &str, f: &Map<String, Json>) -> Json {
    let relative = text(f, "relative");
    let role = match relative.to_ascii_lowercase().as_str() {
        "mother" => Some(("MTH", "mother")),
        "father" => Some(("FTH", "father")),
        "sister" => Some(("SIS", "sister")),
        "brother" => Some(("BRO", "brother")),
        "son" => Some(("SON", "natural son")),
        "daughter" => Some(("DAU", "natural daughter")),
        "grandmother" => Some(("GRMTH", "grandmother")),
        "grandfather" => Some(("GRFTH", "grandfather")),
        "aunt" => Some(("AUNT", "aunt")),
        "uncle" => Some(("UNCLE", "uncle")),
        "child" => Some(("CHILD", "child")),
        "sibling" => Some(("SIB", "sibling")),
        "cousin" => Some(("COUSN", "cousin")),
        _ => None,
    };
    let relationship = match role {
        Some((c, d)) => {
            json!({"coding": [coding(&format!("{}v3-RoleCode", "http://terminology.hl7.org/CodeSystem/"), c, Some(d))], "text": relative})
        }
        None => json!({"text": if relative.is_empty() { "relative" } else { relative }}),
    };
    let name = opt(f, "condition");
    let code = match opt(f, "code") {
        Some(c) => json!({"coding": [coding(ICD10CM, c, name)], "text": name.unwrap_or(c)}),
        None => json!({"text": name.unwrap_or("condition")}),
    };
    prune(json!({
        "resourceType": "FamilyMemberHistory",
        "id": text(f, "id"),
        "status": if retracted(f) { "entered-in-error" } else { "completed" },
        "patient": reference(patient),
        "relationship": relationship,
        "deceasedBoolean": f.get("deceased").and_then(Json::as_bool),
        "condition": [{
            "code": code,
            "onsetAge": f.get("onset_age").and_then(Json::as_i64)
                .map(|a| json!({"value": a, "unit": "a", "system": UCUM, "code": "a"})),
        }],
        "note": note_of(f),
    }))
}

pub(super) fn coverage(patient: &str, c: &Map<String, Json>) -> Json {
    let status = if retracted(c) {
        "entered-in-error"
    } else if text(c, "status") == "inactive" {
        "cancelled"
    } else {
        "active"
    };
    let relation = match text(c, "relation") {
        r @ ("self" | "spouse" | "child" | "other") => Some(r),
        _ => None,
    };
    prune(json!({
        "resourceType": "Coverage",
        "id": text(c, "id"),
        "status": status,
        "subscriberId": opt(c, "member_id"),
        "subscriber": opt(c, "subscriber").map(|s| json!({"display": s})),
        "beneficiary": reference(patient),
        "relationship": relation.map(|r| json!({"coding": [coding(&format!("{THO}subscriber-relationship"), r, None)]})),
        "period": {"start": opt(c, "start_date"), "end": opt(c, "end_date")},
        "payor": [{"display": opt(c, "payer").unwrap_or("unknown payer")}],
        "class": opt(c, "group_number").map(|g| json!([{
            "type": concept(&format!("{THO}coverage-class"), "group", "Group"),
            "value": g,
        }])),
        "order": c.get("priority").and_then(Json::as_i64).filter(|n| *n > 0),
    }))
}

/// Text made safe inside XHTML narrative.
pub(super) fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A narrative: `inner` (already XHTML) in the namespaced div FHIR requires.
pub(super) fn xhtml(status: &str, inner: &str) -> Json {
    json!({
        "status": status,
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>"),
    })
}

/// Text as a resource's narrative, in addition to its structured fields.
pub(super) fn narrative(t: &str) -> Json {
    xhtml("additional", &format!("<p>{}</p>", escape(t)))
}

pub(super) fn text_attachment(body: &str, title: &str) -> Json {
    json!({
        "contentType": "text/plain;charset=utf-8",
        "data": base64::engine::general_purpose::STANDARD.encode(body.as_bytes()),
        "title": title,
    })
}

/// A note as plain text: the SOAP sections under their headings, or the free text.
pub(super) fn note_text(n: &Map<String, Json>) -> String {
    let mut parts = Vec::new();
    for (key, heading) in [
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ] {
        if let Some(t) = opt(n, key) {
            parts.push(format!("{heading}\n{t}"));
        }
    }
    if let Some(t) = opt(n, "text") {
        parts.push(t.to_string());
    }
    parts.join("\n\n")
}

pub(super) fn note(
    patient: &str,
    encounters: &[String],
    people: &HashMap<String, String>,
    n: &Map<String, Json>,
) -> Json {
    let signed = text(n, "status") == "signed";
    let title = opt(n, "title").unwrap_or(if text(n, "kind") == "soap" {
        "Progress note"
    } else {
        "Note"
    });
    let (code, display) = if text(n, "kind") == "soap" {
        ("11506-3", "Progress note")
    } else {
        ("34109-9", "Note")
    };
    let date = opt(n, "signed_at")
        .map(str::to_string)
        .unwrap_or_else(|| instant(int(n, "created_at")));
    let author = opt(n, "signed_by")
        .or_else(|| opt(n, "created_by"))
        .map(|u| {
            people
                .get(u)
                .cloned()
                .unwrap_or_else(|| format!("user {u}"))
        });
    prune(json!({
        "resourceType": "DocumentReference",
        "id": text(n, "id"),
        "status": if retracted(n) { "entered-in-error" } else { "current" },
        "docStatus": if signed { "final" } else { "preliminary" },
        "type": {"coding": [coding(LOINC, code, Some(display))], "text": display},
        "category": [{"coding": [coding("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", Some("Clinical Note"))]}],
        "subject": reference(patient),
        "date": date,
        "author": author.clone().map(|a| json!([{"display": a}])),
        "authenticator": if signed { author.map(|a| json!({"display": a})) } else { None },
        "description": title,
        "content": [{"attachment": text_attachment(&note_text(n), title)}],
        "context": opt(n, "encounter")
            .filter(|e| encounters.iter().any(|k| k == e))
            .map(|e| json!({"encounter": [reference(&format!("urn:uuid:{e}"))]})),
    }))
}

pub(super) fn document(
    patient: &str,
    encounters: &[String],
    d: &Map<String, Json>,
    content: &[u8],
) -> Json {
    let title = opt(d, "title").unwrap_or("Document");
    prune(json!({
        "resourceType": "DocumentReference",
        "id": text(d, "id"),
        "status": if retracted(d) { "entered-in-error" } else { "current" },
        "type": {"text": opt(d, "kind").unwrap_or("document")},
        "subject": reference(patient),
        "date": instant(int(d, "created_at")),
        "description": title,
        "content": [{"attachment": {
            "contentType": opt(d, "mime").unwrap_or("application/octet-stream"),
            "data": base64::engine::general_purpose::STANDARD.encode(content),
            "size": content.len(),
            "title": title,
            "creation": opt(d, "date"),
        }}],
        "context": opt(d, "encounter")
            .filter(|e| encounters.iter().any(|k| k == e))
            .map(|e| json!({"encounter": [reference(&format!("urn:uuid:{e}"))]})),
    }))
}
