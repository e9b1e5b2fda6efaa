//! An International Patient Summary (IPS 2.0): a FHIR `document` Bundle the patient takes
//! along, which any EHR can read. Its first entry is a Composition (LOINC 60591-5) with
//! the three required sections (problems, medications, allergies), each present even
//! when empty, and the recommended ones the chart has something for (immunizations,
//! results, vital signs, procedures). Every section's narrative is generated from the
//! same entries it references. A summary is of what is true now: records entered in
//! error are left out (the full export keeps them).

use rusqlite::Connection;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::export::list;
use super::resources::*;
use super::{LOINC, THO};
use crate::chart::entities;
use crate::chart::ChartError;

/// One section: its LOINC code and title, and the resources it lists with a line of
/// narrative each.
struct Section {
    code: &'static str,
    title: &'static str,
    required: bool,
    entries: Vec<(Json, String)>,
}

impl Section {
    fn new(code: &'static str, title: &'static str, required: bool) -> Section {
        Section {
            code,
            title,
            required,
            entries: Vec::new(),
        }
    }
}

/// The patient's summary as an IPS document Bundle. `now_ms` dates it; `practice` is the
/// practice's name, shown as the author and custodian.
pub fn patient_summary(
    conn: &Connection,
    patient: &Uuid,
    practice: &str,
    now_ms: i64,
) -> Result<Json, ChartError> {
    let Some(p) = list(conn, &entities::PATIENT, patient)?.into_iter().next() else {
        return Err(ChartError::NotFound(format!("patient {patient}")));
    };
    let subject = urn(patient);
    let current = |def| -> Result<Vec<Map<String, Json>>, ChartError> {
        Ok(list(conn, def, patient)?
            .into_iter()
            .filter(|r| !retracted(r))
            .collect())
    };

    let mut problems = Section::new("11450-4", "Problem list", true);
    for c in current(&entities::PROBLEM)? {
        let line = format!(
            "{} ({}){}",
            opt(&c, "display").or(opt(&c, "code")).unwrap_or("problem"),
            text(&c, "status"),
            opt(&c, "onset_date")
                .map(|d| format!(", since {d}"))
                .unwrap_or_default()
        );
        problems.entries.push((condition(&subject, &c), line));
    }
    let mut medications = Section::new("10160-0", "Medication summary", true);
    for m in current(&entities::MEDICATION)? {
        let line = ["name", "dose", "route", "frequency"]
            .iter()
            .filter_map(|k| opt(&m, k))
            .collect::<Vec<_>>()
            .join(" ");
        let line = format!("{line} ({})", text(&m, "status"));
        medications.entries.push((medication(&subject, &m), line));
    }
    let mut allergies = Section::new("48765-2", "Allergies and intolerances", true);
    for a in current(&entities::ALLERGY)? {
        let line = if a.get("no_known").and_then(Json::as_bool) == Some(true) {
            "No known allergies".to_string()
        } else {
            let reactions: Vec<&str> = a
                .get("reactions")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            format!(
                "{}{}",
                opt(&a, "substance").unwrap_or("allergy"),
                if reactions.is_empty() {
                    String::new()
                } else {
                    format!(": {}", reactions.join(", "))
                }
            )
        };
        allergies.entries.push((allergy(&subject, &a), line));
    }
    let mut immunizations = Section::new("11369-6", "History of immunizations", false);
    for i in current(&entities::IMMUNIZATION)? {
        let line = format!(
            "{} on {} ({})",
            opt(&i, "vaccine").or(opt(&i, "cvx")).unwrap_or("vaccine"),
            text(&i, "date"),
            text(&i, "status")
        );
        immunizations
            .entries
            .push((immunization(&subject, &i), line));
    }
    let mut results = Section::new("30954-2", "Results", false);
    let mut vitals = Section::new("8716-3", "Vital signs", false);
    for o in current(&entities::OBSERVATION)? {
        let value = match o.get("value_num").and_then(Json::as_f64) {
            Some(v) => format!("{v} {}", text(&o, "unit")),
            None => opt(&o, "value_text")
                .or(opt(&o, "value_code"))
                .unwrap_or_default()
                .to_string(),
        };
        let line = format!(
            "{}: {} ({})",
            opt(&o, "display").unwrap_or(text(&o, "code")),
            value.trim(),
            text(&o, "effective")
        );
        let resource = observation(&subject, &[], &o);
        match text(&o, "category") {
            "vital" => vitals.entries.push((resource, line)),
            "lab" => results.entries.push((resource, line)),
            _ => {}
        }
    }
    let mut procedures = Section::new("47519-4", "History of procedures", false);
    for pr in current(&entities::PROCEDURE)? {
        let line = format!(
            "{}{}",
            opt(&pr, "description")
                .or(opt(&pr, "code"))
                .unwrap_or("procedure"),
            opt(&pr, "date")
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        );
        procedures.entries.push((procedure(&subject, &pr), line));
    }

    let organization_id = Uuid::new_v5(patient, b"ips author");
    let organization_url = urn(&organization_id);
    let composition_id = Uuid::new_v5(patient, format!("ips {now_ms}").as_bytes());
    let sections = [
        problems,
        medications,
        allergies,
        immunizations,
        results,
        vitals,
        procedures,
    ];
    let mut entries: Vec<Json> = Vec::new();
    let mut section_json = Vec::new();
    for s in &sections {
        if s.entries.is_empty() && !s.required {
            continue;
        }
        let mut refs = Vec::new();
        let mut items = String::new();
        for (resource, line) in &s.entries {
            let url = format!("urn:uuid:{}", resource["id"].as_str().unwrap_or_default());
            refs.push(json!({"reference": url}));
            items.push_str(&format!("<li>{}</li>", escape(line)));
            entries.push(json!({"fullUrl": url, "resource": resource}));
        }
        let mut section = json!({
            "title": s.title,
            "code": {"coding": [coding(LOINC, s.code, Some(s.title))]},
        });
        if refs.is_empty() {
            // A required section with nothing recorded says so (IPS: emptyReason).
            section["text"] = xhtml("generated", "<p>No information recorded.</p>");
            section["emptyReason"] = json!({
                "coding": [coding(&format!("{THO}list-empty-reason"), "unavailable", Some("Unavailable"))]
            });
        } else {
            section["text"] = xhtml("generated", &format!("<ul>{items}</ul>"));
            section["entry"] = Json::Array(refs);
        }
        section_json.push(section);
    }
    let name = crate::chart::patient::display_name(&p);
    let composition = json!({
        "resourceType": "Composition",
        "id": composition_id.to_string(),
        "status": "final",
        "type": {"coding": [coding(LOINC, "60591-5", Some("Patient summary Document"))]},
        "subject": {"reference": subject},
        "date": instant(now_ms),
        "author": [{"reference": organization_url}],
        "title": format!("Patient summary of {name}"),
        "custodian": {"reference": organization_url},
        "section": section_json,
    });
    let mut all = vec![
        json!({"fullUrl": urn(&composition_id), "resource": composition}),
        json!({"fullUrl": subject, "resource": patient_resource(&p)}),
        json!({"fullUrl": organization_url, "resource": {
            "resourceType": "Organization",
            "id": organization_id.to_string(),
            "name": practice,
        }}),
    ];
    all.extend(entries);
    Ok(json!({
        "resourceType": "Bundle",
        "id": Uuid::new_v5(&composition_id, b"bundle").to_string(),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": urn(&composition_id)},
        "type": "document",
        "timestamp": instant(now_ms),
        "entry": all,
    }))
}
