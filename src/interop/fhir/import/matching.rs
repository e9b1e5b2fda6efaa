//! Who an imported patient is here: the same record, the patient an earlier import of the
//! same source went to, or the patients who may be the same person (for a person to decide).

use std::collections::HashMap;

use rusqlite::OptionalExtension;
use serde_json::Value as Json;
use uuid::Uuid;

use super::read::Resource;
use super::{exists, Candidate};
use crate::chart::{self, entities};
use crate::ledger::Value;
use crate::practice::Practice;

/// The chart patient an imported Patient is known to be: the same record (its id), or the
/// patient an earlier import of the same source went to.
pub(super) fn known_patient(practice: &Practice, p: &Resource, source: &str) -> Option<Uuid> {
    if let Some(id) = p.id().and_then(|i| Uuid::parse_str(i).ok()) {
        if exists(practice, &entities::PATIENT, &id) {
            return Some(id);
        }
    }
    practice
        .reader()
        .query_row(
            "SELECT b.patient FROM import_batch b JOIN patient p ON p.id = b.patient
             WHERE b.patient_source = ?1 AND b.retracted = 0 AND p.retracted = 0
             ORDER BY b.created_at LIMIT 1",
            [source],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .ok()
        .flatten()
        .and_then(|s| Uuid::parse_str(&s).ok())
}

/// Source key → chart id, from every earlier import into this patient.
pub(super) fn known_sources(practice: &Practice, patient: &Uuid) -> HashMap<String, Uuid> {
    let mut out = HashMap::new();
    let Ok(mut stmt) = practice
        .reader()
        .prepare("SELECT sources FROM import_batch WHERE patient = ?1 AND retracted = 0")
    else {
        return out;
    };
    let rows = stmt
        .query_map([patient.to_string()], |r| r.get::<_, Option<String>>(0))
        .map(|rows| rows.flatten().flatten().collect::<Vec<_>>())
        .unwrap_or_default();
    for s in rows {
        if let Ok(Json::Object(m)) = serde_json::from_str::<Json>(&s) {
            for (k, v) in m {
                if let Some(id) = v.as_str().and_then(|v| Uuid::parse_str(v).ok()) {
                    out.insert(k, id);
                }
            }
        }
    }
    out
}

/// Patients here who may be the imported one: the same identifier (system and value,
/// neither empty), or the same family name, first given name and birth date.
pub(super) fn candidates(
    practice: &Practice,
    p: &Resource,
    fields: &[(String, Value)],
) -> Vec<Candidate> {
    let conn = practice.reader();
    let mut out: Vec<Candidate> = Vec::new();
    let mut add = |id: String, reason: String| {
        let Ok(id) = Uuid::parse_str(&id) else { return };
        if out.iter().any(|c| c.patient == id) {
            return;
        }
        if let Ok(row) = chart::load(conn, &entities::PATIENT, &id) {
            if row.get("retracted") == Some(&Json::Bool(true)) {
                return;
            }
            out.push(Candidate {
                patient: id,
                name: chart::patient::display_name(&row),
                birth_date: row
                    .get("birth_date")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                mrn: row.get("mrn").and_then(Json::as_str).map(str::to_string),
                reason,
            });
        }
    };
    for i in p.json["identifier"].as_array().into_iter().flatten() {
        let (Some(system), Some(value)) = (
            i["system"].as_str().filter(|s| !s.trim().is_empty()),
            i["value"].as_str().filter(|s| !s.trim().is_empty()),
        ) else {
            continue;
        };
        if system == crate::interop::fhir::MRN_SYSTEM {
            if let Ok(mut s) = conn.prepare_cached("SELECT id FROM patient WHERE mrn = ?1") {
                for id in s
                    .query_map([value], |r| r.get::<_, String>(0))
                    .map(|r| r.flatten().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    add(id, format!("same MRN {value}"));
                }
            }
            continue;
        }
        let Ok(mut s) = conn.prepare_cached(
            "SELECT id, identifiers FROM patient WHERE identifiers LIKE '%' || ?1 || '%'",
        ) else {
            continue;
        };
        let hits: Vec<(String, Option<String>)> = s
            .query_map([value], |r| Ok((r.get(0)?, r.get(1)?)))
            .map(|r| r.flatten().collect())
            .unwrap_or_default();
        for (id, ids) in hits {
            let same = ids
                .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                .and_then(|j| j.as_array().cloned())
                .is_some_and(|a| {
                    a.iter()
                        .any(|x| x["system"] == system && x["value"] == value)
                });
            if same {
                add(id, "same identifier".to_string());
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    if let (Some(family), Some(born)) = (get("family"), get("birth_date")) {
        let first = get("given")
            .and_then(|g| serde_json::from_str::<Json>(&g).ok())
            .and_then(|g| g[0].as_str().map(str::to_lowercase));
        if let Ok(mut s) = conn.prepare_cached(
            "SELECT id, given FROM patient WHERE birth_date = ?1 AND lower(family) = lower(?2)",
        ) {
            let hits: Vec<(String, Option<String>)> = s
                .query_map([&born, &family], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(|r| r.flatten().collect())
                .unwrap_or_default();
            for (id, given) in hits {
                let theirs = given
                    .and_then(|g| serde_json::from_str::<Json>(&g).ok())
                    .and_then(|g| g[0].as_str().map(str::to_lowercase));
                if theirs == first {
                    add(id, "same name and birth date".to_string());
                }
            }
        }
    }
    out
}
