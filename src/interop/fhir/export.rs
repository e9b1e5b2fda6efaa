//! One patient's whole chart as a FHIR R4 `collection` Bundle (what `$everything` gives):
//! every kind of record, retracted ones included with status `entered-in-error`, signed
//! notes with their amendments and addenda, and a Provenance for every record saying who
//! wrote it, when, and on which workstation.
//!
//! Every resource's id is the record's own id, and its `fullUrl` the `urn:uuid:` form of
//! it, so references inside the Bundle resolve and a second export of the same chart names
//! the same resources.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::resources::*;
use super::LOINC;
use crate::chart::entities;
use crate::chart::record::list_for_patient;
use crate::chart::ChartError;
use crate::ledger::schema::EntityDef;

/// A Bundle and how many resources it holds (the Bundle itself not counted).
#[derive(Debug, Clone)]
pub struct Exported {
    pub bundle: Json,
    pub resources: usize,
}

/// The patient's chart as one Bundle. `now_ms` stamps the Bundle (`timestamp`).
pub fn patient_bundle(
    conn: &Connection,
    patient: &Uuid,
    now_ms: i64,
) -> Result<Exported, ChartError> {
    let rows = list(conn, &entities::PATIENT, patient)?;
    let Some(p) = rows.into_iter().next() else {
        return Err(ChartError::NotFound(format!("patient {patient}")));
    };
    let mut out = Writer {
        conn,
        people: people(conn)?,
        workstations: HashMap::new(),
        entries: Vec::new(),
        patient: urn(patient),
    };
    out.add(&p, patient_resource(&p))?;
    let encounters = list(conn, &entities::ENCOUNTER, patient)?;
    let known: Vec<String> = encounters
        .iter()
        .map(|e| text(e, "id").to_string())
        .collect();
    for e in &encounters {
        let r = encounter(&out.patient, e);
        out.add(e, r)?;
    }
    for h in list(conn, &entities::HOSPITALIZATION, patient)? {
        let r = hospitalization(&out.patient, &h);
        out.add(&h, r)?;
    }
    for c in list(conn, &entities::PROBLEM, patient)? {
        let r = condition(&out.patient, &c);
        out.add(&c, r)?;
    }
    for a in list(conn, &entities::ALLERGY, patient)? {
        let r = allergy(&out.patient, &a);
        out.add(&a, r)?;
    }
    for m in list(conn, &entities::MEDICATION, patient)? {
        let r = medication(&out.patient, &m);
        out.add(&m, r)?;
    }
    for i in list(conn, &entities::IMMUNIZATION, patient)? {
        let r = immunization(&out.patient, &i);
        out.add(&i, r)?;
    }
    let observations = list(conn, &entities::OBSERVATION, patient)?;
    for o in &observations {
        let r = observation(&out.patient, &known, o);
        out.add(o, r)?;
    }
    // Results saved together (a panel, one form) as a DiagnosticReport listing them, under
    // the panel's own id, so an import puts the same results back together.
    let mut panels: Vec<(String, Vec<&Map<String, Json>>)> = Vec::new();
    for o in &observations {
        if let Some(id) = opt(o, "panel_id") {
            match panels.iter_mut().find(|(p, _)| p == id) {
                Some((_, members)) => members.push(o),
                None => panels.push((id.to_string(), vec![o])),
            }
        }
    }
    for (id, members) in panels {
        out.entries.push(entry(
            format!("urn:uuid:{id}"),
            panel_report(&out.patient, &known, &id, &members),
        ));
    }
    for s in list(conn, &entities::SOCIAL_HISTORY, patient)? {
        for r in social_history(&out.patient, &s) {
            out.add(&s, r)?;
        }
    }
    for o in list(conn, &entities::ORDER, patient)? {
        let r = service_request(&out.patient, &known, &out.people, &o);
        out.add(&o, r)?;
    }
    for p in list(conn, &entities::PROCEDURE, patient)? {
        let r = procedure(&out.patient, &p);
        out.add(&p, r)?;
    }
    for f in list(conn, &entities::FAMILY_HISTORY, patient)? {
        let r = family_history(&out.patient, &f);
        out.add(&f, r)?;
    }
    for c in list(conn, &entities::COVERAGE, patient)? {
        let r = coverage(&out.patient, &c);
        out.add(&c, r)?;
    }
    for n in list(conn, &entities::NOTE, patient)? {
        let r = note(&out.patient, &known, &out.people, &n);
        out.add(&n, r)?;
        out.amendments(&n)?;
    }
    for d in list(conn, &entities::DOCUMENT, patient)? {
        let content = document_content(conn, text(&d, "id"))?;
        let r = document(&out.patient, &known, &d, &content);
        out.add(&d, r)?;
    }
    // What an import kept verbatim goes out as it came in (no Provenance of ours: the
    // resource is the other system's, unchanged).
    for r in list(conn, &entities::IMPORTED_RESOURCE, patient)? {
        if retracted(&r) {
            continue;
        }
        let resource = match r.get("resource") {
            Some(Json::String(t)) => serde_json::from_str::<Json>(t).unwrap_or(Json::Null),
            Some(v) => v.clone(),
            None => Json::Null,
        };
        if !resource.is_object() {
            continue;
        }
        let url = match opt(&r, "source") {
            Some(s) if s.starts_with("urn:") || s.contains("://") => s.to_string(),
            _ => match resource["id"]
                .as_str()
                .and_then(|i| Uuid::parse_str(i).ok())
            {
                Some(id) => urn(&id),
                None => format!("urn:uuid:{}", text(&r, "id")),
            },
        };
        out.entries.push(entry(url, resource));
    }
    let resources = out.entries.len();
    // Built by hand: `json!` would copy every entry once more.
    let mut bundle = Map::new();
    bundle.insert("resourceType".into(), json!("Bundle"));
    bundle.insert(
        "id".into(),
        json!(Uuid::new_v5(patient, format!("bundle {now_ms}").as_bytes()).to_string()),
    );
    bundle.insert("type".into(), json!("collection"));
    bundle.insert("timestamp".into(), json!(instant(now_ms)));
    bundle.insert("entry".into(), Json::Array(out.entries));
    let bundle = Json::Object(bundle);
    Ok(Exported { bundle, resources })
}

struct Writer<'a> {
    conn: &'a Connection,
    /// User id → the name shown for them.
    people: HashMap<String, String>,
    /// Device id (hex) → the workstation as shown: a practice has a handful.
    workstations: HashMap<String, String>,
    entries: Vec<Json>,
    patient: String,
}

impl Writer<'_> {
    /// Adds a resource made from `row`, and a Provenance for it.
    fn add(&mut self, row: &Map<String, Json>, resource: Json) -> Result<(), ChartError> {
        let id = resource["id"].as_str().unwrap_or_default().to_string();
        let kind = resource["resourceType"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let url = format!("urn:uuid:{id}");
        self.entries.push(entry(url.clone(), resource));
        let station = self.workstation(text(row, "created_change"))?;
        let who = |key: &str| {
            let id = text(row, key);
            self.people
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("user {id}"))
        };
        let mut agents = vec![json!({
            "type": participant("author", "Author"),
            "who": {"display": who("created_by")},
        })];
        if text(row, "updated_by") != text(row, "created_by") {
            agents.push(json!({
                "type": participant("enterer", "Enterer"),
                "who": {"display": who("updated_by")},
            }));
        }
        agents.push(json!({
            "type": participant("assembler", "Assembler"),
            "who": {"display": station},
        }));
        let provenance_id = Uuid::new_v5(
            &Uuid::parse_str(&id).unwrap_or_default(),
            format!("provenance {kind}").as_bytes(),
        );
        self.entries.push(json!({
            "fullUrl": format!("urn:uuid:{provenance_id}"),
            "resource": {
                "resourceType": "Provenance",
                "id": provenance_id.to_string(),
                "meta": {"tag": [{"system": super::OWN_TAG_SYSTEM, "code": "ledger", "display": "Made from the Chartkeep ledger"}]},
                "target": [{"reference": url}],
                "occurredDateTime": instant(int(row, "created_at")),
                "recorded": instant(int(row, "updated_at")),
                "agent": agents,
            }
        }));
        Ok(())
    }

    /// The workstation whose commit holds `change`, as shown.
    fn workstation(&mut self, change: &str) -> Result<String, ChartError> {
        let device: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT lower(hex(c.device)) FROM ledger_change ch
                 JOIN ledger_commit c ON c.ord = ch.commit_ord WHERE ch.id = ?1",
            )?
            .query_row([change], |r| r.get(0))
            .optional()?;
        let Some(d) = device else {
            return Ok("a workstation of the practice".to_string());
        };
        if let Some(w) = self.workstations.get(&d) {
            return Ok(w.clone());
        }
        let name: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT name FROM ledger_device WHERE device = ?1 AND name IS NOT NULL LIMIT 1",
            )?
            .query_row([&d], |r| r.get(0))
            .optional()?;
        let short = &d[..d.len().min(16)];
        let shown = match name {
            Some(n) => format!("workstation {n} ({short})"),
            None => format!("workstation {short}"),
        };
        self.workstations.insert(d, shown.clone());
        Ok(shown)
    }

    /// A signed note's amendments and addenda, each a DocumentReference that appends to
    /// (addendum) or replaces (amendment) the note.
    fn amendments(&mut self, n: &Map<String, Json>) -> Result<(), ChartError> {
        let note_id = text(n, "id").to_string();
        let rows: Vec<(String, String, String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT id, fields, author, hlc FROM amendment WHERE row = ?1 ORDER BY hlc",
            )?
            .query_map([&note_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, fields, author, hlc) in rows {
            let f: Json = serde_json::from_str(&fields).unwrap_or(Json::Null);
            let kind = f["kind"].as_str().unwrap_or("addendum");
            let at = crate::ledger::hlc::millis(hlc as u64);
            let mut body = f["text"].as_str().unwrap_or_default().to_string();
            if let Some(reason) = f["reason"].as_str().filter(|s| !s.is_empty()) {
                body = format!("{body}\n\nReason: {reason}");
            }
            let who = self
                .people
                .get(&author)
                .cloned()
                .unwrap_or_else(|| format!("user {author}"));
            let id =
                Uuid::parse_str(&id).unwrap_or_else(|_| Uuid::new_v5(&Uuid::nil(), id.as_bytes()));
            let resource = json!({
                "resourceType": "DocumentReference",
                "id": id.to_string(),
                "status": "current",
                "docStatus": if kind == "amendment" { "amended" } else { "final" },
                "type": {"coding": [{"system": LOINC, "code": "34109-9", "display": "Note"}],
                         "text": if kind == "amendment" { "Amendment" } else { "Addendum" }},
                "subject": {"reference": self.patient},
                "date": instant(at),
                "author": [{"display": who}],
                "relatesTo": [{
                    "code": if kind == "amendment" { "replaces" } else { "appends" },
                    "target": {"reference": format!("urn:uuid:{note_id}")},
                }],
                "content": [{"attachment": text_attachment(&body, kind)}],
            });
            self.entries.push(entry(format!("urn:uuid:{id}"), resource));
        }
        Ok(())
    }
}

pub(super) fn list(
    conn: &Connection,
    def: &EntityDef,
    patient: &Uuid,
) -> Result<Vec<Map<String, Json>>, ChartError> {
    if def.name == entities::PATIENT.name {
        let row = crate::chart::record::row_json(conn, def, patient)?;
        return Ok(row
            .and_then(|r| r.as_object().cloned())
            .into_iter()
            .collect());
    }
    Ok(list_for_patient(conn, def, patient, true)?
        .into_iter()
        .filter_map(|r| r.as_object().cloned())
        .collect())
}

fn people(conn: &Connection) -> Result<HashMap<String, String>, ChartError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, coalesce(display_name, name, id) FROM app_user")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn document_content(conn: &Connection, id: &str) -> Result<Vec<u8>, ChartError> {
    Ok(conn
        .prepare_cached("SELECT content FROM document WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten()
        .unwrap_or_default())
}
