//! FHIR R4 export of a patient's chart: everything in the chart leaves in one Bundle,
//! retracted records as `entered-in-error`, signed notes with their amendments, a
//! Provenance for each record, references that resolve, times with a zone; the export is
//! access-logged and needs the right to read charts.
//!
//! With `CHARTKEEP_FHIR_OUT=DIR` the Bundles are also written to DIR, where
//! `scripts/test-fhir.sh` checks them with two independent FHIR validators (CI does).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chartkeep::api::{self, Session};
use chartkeep::chart::{entities, record};
use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::demo::{self, DEMO_PASSWORD};
use chartkeep::ledger::schema::EntityDef;
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::KeyPlan;
use serde_json::{json, Value as Json};
use uuid::Uuid;

const NOW: &str = "2026-11-01T12:00:00Z";

fn practice(dir: &std::path::Path) -> Practice {
    let (p, _) = Practice::init(
        dir,
        KeyPlan::Passphrase("fhir test passphrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(9)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    p
}

fn call(p: &mut Practice, s: &mut Session, command: &str, args: Json) -> Json {
    api::call(p, s, command, args).unwrap_or_else(|e| panic!("{command}: {e:?}"))
}

fn patients(p: &Practice) -> Vec<Uuid> {
    let mut stmt = p
        .reader()
        .prepare("SELECT id FROM patient ORDER BY mrn")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| Uuid::parse_str(&r.unwrap()).unwrap())
        .collect()
}

fn rows_of(p: &Practice, def: &EntityDef, patient: &Uuid) -> usize {
    record::list_for_patient(p.reader(), def, patient, true)
        .unwrap()
        .len()
}

/// A problem added and then retracted as entered in error; the record as added.
fn problem_entered_in_error(p: &mut Practice, s: &mut Session, patient: &str) -> Json {
    let wrong = call(
        p,
        s,
        "problem.add",
        json!({"patient": patient, "code": "J45.909"}),
    );
    call(
        p,
        s,
        "problem.retract",
        json!({"id": wrong["id"], "version": wrong["version"], "reason": "wrong patient"}),
    );
    wrong
}

/// Every `reference` value anywhere under `v`.
fn references(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            for (k, c) in m {
                match (k.as_str(), c) {
                    ("reference", Json::String(s)) => out.push(s.clone()),
                    _ => references(c, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|c| references(c, out)),
        _ => {}
    }
}

/// Every string under `v` that is a date with a time of day.
fn times(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => m.values().for_each(|c| times(c, out)),
        Json::Array(a) => a.iter().for_each(|c| times(c, out)),
        Json::String(s) => {
            let b = s.as_bytes();
            if b.len() >= 11 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
                out.push(s.clone());
            }
        }
        _ => {}
    }
}

fn of_type<'a>(bundle: &'a Json, kind: &str) -> Vec<&'a Json> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[test]
fn a_patients_whole_chart_leaves_as_one_bundle_that_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path());
    demo::populate(&mut p, 8, 3, &mut |_| {}).expect("demo");
    let mut doc = api::login(&mut p, "drlee", DEMO_PASSWORD).expect("login");
    let ids = patients(&p);
    let first = ids[0].to_string();

    // Entries in error, a signed note with an amendment and an addendum.
    let wrong = problem_entered_in_error(&mut p, &mut doc, &first);
    let note = call(
        &mut p,
        &mut doc,
        "note.add",
        json!({"patient": first, "kind": "soap", "subjective": "ear pain <3 days> & fever", "assessment": "otitis media"}),
    );
    call(
        &mut p,
        &mut doc,
        "note.sign",
        json!({"id": note["id"], "version": note["version"]}),
    );
    call(
        &mut p,
        &mut doc,
        "note.amend",
        json!({"id": note["id"], "text": "left ear, not right", "reason": "wrong side documented"}),
    );
    call(
        &mut p,
        &mut doc,
        "note.addendum",
        json!({"id": note["id"], "text": "culture pending"}),
    );

    let out_dir = std::env::var_os("CHARTKEEP_FHIR_OUT").map(std::path::PathBuf::from);
    if let Some(d) = &out_dir {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for patient in &ids {
        let out = call(
            &mut p,
            &mut doc,
            "export.fhir_patient",
            json!({"patient": patient}),
        );
        let bundle = &out["bundle"];
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(out["resources"].as_u64().unwrap() as usize, entries.len());

        // Every entry is named by its own id, and every reference inside resolves.
        let mut urls = HashSet::new();
        for e in entries {
            let id = e["resource"]["id"].as_str().expect("id");
            assert_eq!(e["fullUrl"], format!("urn:uuid:{id}"));
            assert!(
                urls.insert(e["fullUrl"].as_str().unwrap().to_string()),
                "{id} twice"
            );
            *kinds
                .entry(e["resource"]["resourceType"].as_str().unwrap().into())
                .or_default() += 1;
        }
        let mut refs = Vec::new();
        references(bundle, &mut refs);
        assert!(!refs.is_empty());
        for r in &refs {
            assert!(urls.contains(r), "{r} does not resolve in the bundle");
        }
        // FHIR requires a zone on every time of day.
        let mut stamps = Vec::new();
        times(bundle, &mut stamps);
        for t in &stamps {
            assert!(
                t.ends_with('Z') || t[19..].contains(['+', '-']),
                "{t} has no time zone"
            );
        }

        // Everything in the chart is there, retracted records included.
        let patients_found = of_type(bundle, "Patient");
        assert_eq!(patients_found.len(), 1);
        assert_eq!(patients_found[0]["id"], patient.to_string());
        for (def, kind) in [
            (&entities::PROBLEM, "Condition"),
            (&entities::ALLERGY, "AllergyIntolerance"),
            (&entities::MEDICATION, "MedicationStatement"),
            (&entities::IMMUNIZATION, "Immunization"),
            (&entities::PROCEDURE, "Procedure"),
            (&entities::FAMILY_HISTORY, "FamilyMemberHistory"),
            (&entities::COVERAGE, "Coverage"),
            (&entities::ORDER, "ServiceRequest"),
        ] {
            assert_eq!(
                of_type(bundle, kind).len(),
                rows_of(&p, def, patient),
                "{kind} for {patient}"
            );
        }
        assert_eq!(
            of_type(bundle, "Encounter").len(),
            rows_of(&p, &entities::ENCOUNTER, patient)
                + rows_of(&p, &entities::HOSPITALIZATION, patient)
        );
        let observations = of_type(bundle, "Observation").len();
        assert!(observations >= rows_of(&p, &entities::OBSERVATION, patient));
        // One Provenance for every record exported (amendments are the note's).
        let provenance = of_type(bundle, "Provenance").len();
        let amendments = of_type(bundle, "DocumentReference")
            .iter()
            .filter(|d| d.get("relatesTo").is_some())
            .count();
        // Results saved together leave as one DiagnosticReport per panel, listing them.
        let reports = of_type(bundle, "DiagnosticReport");
        let panels: HashSet<String> =
            record::list_for_patient(p.reader(), &entities::OBSERVATION, patient, true)
                .unwrap()
                .iter()
                .filter_map(|o| o.get("panel_id").and_then(Json::as_str).map(str::to_string))
                .collect();
        assert_eq!(reports.len(), panels.len());
        for r in &reports {
            assert!(panels.contains(r["id"].as_str().unwrap()), "{r}");
            assert!(!r["result"].as_array().unwrap().is_empty(), "{r}");
        }
        assert_eq!(provenance * 2 + amendments + reports.len(), entries.len());

        if let Some(d) = &out_dir {
            std::fs::write(
                d.join(format!("patient-{patient}.json")),
                serde_json::to_string_pretty(bundle).unwrap(),
            )
            .unwrap();
        }
    }
    assert!(kinds["Observation"] > 50, "{kinds:?}");
    assert!(kinds["Encounter"] > 8, "{kinds:?}");

    // The first patient's chart in detail.
    let out = call(
        &mut p,
        &mut doc,
        "export.fhir_patient",
        json!({"patient": first}),
    );
    let bundle = &out["bundle"];
    let retracted: Vec<&Json> = of_type(bundle, "Condition")
        .into_iter()
        .filter(|c| c["id"] == wrong["id"])
        .collect();
    assert_eq!(retracted.len(), 1);
    assert_eq!(
        retracted[0]["verificationStatus"]["coding"][0]["code"],
        "entered-in-error"
    );
    assert!(retracted[0].get("clinicalStatus").is_none());
    assert_eq!(retracted[0]["code"]["coding"][0]["code"], "J45.909");
    let docs = of_type(bundle, "DocumentReference");
    let signed = docs.iter().find(|d| d["id"] == note["id"]).expect("note");
    assert_eq!(signed["docStatus"], "final");
    let text = {
        use base64::Engine;
        let data = signed["content"][0]["attachment"]["data"].as_str().unwrap();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
        )
        .unwrap()
    };
    assert!(text.contains("ear pain <3 days> & fever"), "{text}");
    assert!(text.contains("Assessment\notitis media"), "{text}");
    let appended: Vec<&&Json> = docs
        .iter()
        .filter(|d| {
            d["relatesTo"][0]["target"]["reference"]
                == format!("urn:uuid:{}", note["id"].as_str().unwrap())
        })
        .collect();
    let codes: Vec<&str> = appended
        .iter()
        .map(|d| d["relatesTo"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["replaces", "appends"]);
    // Who wrote the note, and where.
    let prov = of_type(bundle, "Provenance")
        .into_iter()
        .find(|pr| {
            pr["target"][0]["reference"] == format!("urn:uuid:{}", note["id"].as_str().unwrap())
        })
        .expect("provenance of the note");
    let agents: Vec<&str> = prov["agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["who"]["display"].as_str().unwrap())
        .collect();
    assert_eq!(agents[0], "Dr. Lee");
    assert!(
        agents.last().unwrap().starts_with("workstation "),
        "{agents:?}"
    );

    // The export is in the access log, as an export of that patient's chart.
    let mut admin = api::login(&mut p, "admin", "admin-password-1").unwrap();
    let log = call(
        &mut p,
        &mut admin,
        "audit.report",
        json!({"from": "2026-11-01", "to": "2026-11-01", "patient": first, "action": "export"}),
    );
    assert!(!log.as_array().unwrap().is_empty(), "{log}");

    // Front desk staff may not read charts, so may not export them; an unknown patient is
    // not found.
    let mut desk = api::login(&mut p, "frontdesk", DEMO_PASSWORD).unwrap();
    let e = api::call(
        &mut p,
        &mut desk,
        "export.fhir_patient",
        json!({"patient": first}),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden", "{e:?}");
    let e = api::call(
        &mut p,
        &mut doc,
        "export.fhir_patient",
        json!({"patient": Uuid::nil()}),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "not_found", "{e:?}");
}

#[test]
fn the_whole_practice_leaves_as_bulk_ndjson_with_a_manifest_for_an_administrator_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path());
    demo::populate(&mut p, 5, 4, &mut |_| {}).expect("demo");
    let mut admin = api::login(&mut p, "admin", "admin-password-1").unwrap();
    let mut doc = api::login(&mut p, "drlee", DEMO_PASSWORD).unwrap();

    // The sum of the single-patient exports is what the practice export must hold.
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for patient in patients(&p) {
        let out = call(
            &mut p,
            &mut doc,
            "export.fhir_patient",
            json!({"patient": patient}),
        );
        for e in out["bundle"]["entry"].as_array().unwrap() {
            *expected
                .entry(e["resource"]["resourceType"].as_str().unwrap().into())
                .or_default() += 1;
        }
    }

    let out = match std::env::var_os("CHARTKEEP_FHIR_OUT") {
        Some(d) => {
            let d = std::path::PathBuf::from(d).join("bulk");
            let _ = std::fs::remove_dir_all(&d);
            d
        }
        None => dir.path().join("bulk"),
    };
    let e = api::export_fhir_all(&mut p, &mut doc, &out).unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden", "{e:?}");
    assert!(!out.exists(), "a refused export writes nothing");

    let done = api::export_fhir_all(&mut p, &mut admin, &out).expect("export");
    assert_eq!(done.patients, 5);
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["requiresAccessToken"], false);
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for f in manifest["output"].as_array().unwrap() {
        let kind = f["type"].as_str().unwrap();
        let text = std::fs::read_to_string(out.join(f["url"].as_str().unwrap())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, f["count"].as_u64().unwrap(), "{kind}");
        for l in &lines {
            let r: Json = serde_json::from_str(l).unwrap();
            assert_eq!(r["resourceType"], kind);
        }
        found.insert(kind.into(), lines.len() as u64);
    }
    assert_eq!(found, expected);
    assert_eq!(done.resources, expected.values().sum::<u64>());

    // Never over an earlier export; logged as a practice export.
    let e = api::export_fhir_all(&mut p, &mut admin, &out).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_input", "{e:?}");
    let log = call(
        &mut p,
        &mut admin,
        "audit.report",
        json!({"from": "2026-11-01", "to": "2026-11-01", "action": "export"}),
    );
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"].as_str().is_some_and(|d| d.contains("NDJSON"))),
        "{log}"
    );
}

#[test]
fn an_ips_summary_is_a_document_with_the_required_sections_and_only_current_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path());
    demo::populate(&mut p, 6, 5, &mut |_| {}).expect("demo");
    let mut doc = api::login(&mut p, "drlee", DEMO_PASSWORD).unwrap();
    let ids = patients(&p);
    let first = ids[0].to_string();
    let wrong = problem_entered_in_error(&mut p, &mut doc, &first);
    let out_dir =
        std::env::var_os("CHARTKEEP_FHIR_OUT").map(|d| std::path::PathBuf::from(d).join("ips"));
    if let Some(d) = &out_dir {
        std::fs::create_dir_all(d).unwrap();
    }
    for patient in &ids {
        let out = call(&mut p, &mut doc, "export.ips", json!({"patient": patient}));
        let b = &out["bundle"];
        assert_eq!(b["type"], "document");
        assert!(b["identifier"]["value"].as_str().is_some());
        assert!(b["timestamp"].as_str().is_some());
        let entries = b["entry"].as_array().unwrap();
        let comp = &entries[0]["resource"];
        assert_eq!(
            comp["resourceType"], "Composition",
            "the Composition comes first"
        );
        assert_eq!(comp["type"]["coding"][0]["code"], "60591-5");
        assert_eq!(comp["subject"]["reference"], format!("urn:uuid:{patient}"));
        let urls: HashSet<&str> = entries
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap())
            .collect();
        assert!(urls.contains(comp["author"][0]["reference"].as_str().unwrap()));
        let codes: Vec<&str> = comp["section"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"]["coding"][0]["code"].as_str().unwrap())
            .collect();
        for required in ["11450-4", "10160-0", "48765-2"] {
            assert!(codes.contains(&required), "{required} in {codes:?}");
        }
        for s in comp["section"].as_array().unwrap() {
            let div = s["text"]["div"].as_str().unwrap();
            assert!(div.starts_with("<div xmlns=\"http://www.w3.org/1999/xhtml\">"));
            match s["entry"].as_array() {
                Some(list) => {
                    // One narrative line per entry, and every entry resolves.
                    assert_eq!(div.matches("<li>").count(), list.len(), "{div}");
                    for e in list {
                        assert!(urls.contains(e["reference"].as_str().unwrap()));
                    }
                }
                None => assert!(s["emptyReason"].is_object(), "{s}"),
            }
        }
        for e in entries {
            let r = &e["resource"];
            assert_ne!(r["status"], "entered-in-error", "{r}");
            assert_ne!(
                r["verificationStatus"]["coding"][0]["code"], "entered-in-error",
                "{r}"
            );
        }
        if patient.to_string() == first {
            assert!(!entries.iter().any(|e| e["resource"]["id"] == wrong["id"]));
        }
        if let Some(d) = &out_dir {
            std::fs::write(
                d.join(format!("ips-{patient}.json")),
                serde_json::to_string_pretty(b).unwrap(),
            )
            .unwrap();
        }
    }
}
