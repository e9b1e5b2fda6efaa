//! The published API shapes (`docs/api.schema.json`) against the dispatcher: every
//! command in the schema is one `api::call` runs and the other way round, real answers
//! fit their response schema, real requests fit their request schema, and a request that
//! does not fit its type is refused naming the field, with nothing written.

mod support;

use chartkeep::api;
use serde_json::{json, Value as Json};
use support::{arr, assert_error, b64, id, png_bytes, shared, Clinic, TODAY};

fn published() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("docs/api.schema.json"))
        .expect("docs/api.schema.json is JSON")
}

/// A standalone schema for one part (request or response) of one command.
fn part(schema: &Json, command: &str, which: &str) -> Json {
    let mut s = schema["commands"][command][which].clone();
    assert!(s.is_object(), "{command} has no {which} schema");
    let o = s.as_object_mut().unwrap();
    o.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    o.insert("$defs".into(), schema["$defs"].clone());
    s
}

fn check(schema: &Json, command: &str, which: &str, value: &Json, failures: &mut Vec<String>) {
    let s = part(schema, command, which);
    let validator = jsonschema::validator_for(&s)
        .unwrap_or_else(|e| panic!("{command} {which} schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !errors.is_empty() {
        failures.push(format!(
            "{command} {which} does not fit its schema: {}\n  value: {value}",
            errors.join("; ")
        ));
    }
}

#[test]
fn the_published_schema_is_valid_json_schema_2020_12() {
    let schema = published();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "docs/api.schema.json is not a valid JSON Schema"
    );
    for (name, _) in schema["commands"].as_object().unwrap() {
        for which in ["request", "response"] {
            jsonschema::validator_for(&part(&schema, name, which))
                .unwrap_or_else(|e| panic!("{name} {which}: {e}"));
        }
    }
}

#[test]
fn every_published_command_is_dispatched_and_no_other() {
    let schema = published();
    let mut published: Vec<String> = schema["commands"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    published.sort();
    // The host's app.* commands are published beside the API's; the host answers them.
    let mut dispatched = api::command_names();
    dispatched.extend(chartkeep::host::commands().into_iter().map(|c| c.name));
    dispatched.sort();
    assert_eq!(
        published, dispatched,
        "docs/api.schema.json and the dispatchers list different commands"
    );
    let mut c = shared();
    let Clinic { env, admin, doc } = &mut *c;
    let mut failures = Vec::new();
    for name in published.iter().filter(|n| !n.starts_with("app.")) {
        for session in [&mut *admin, &mut *doc] {
            if let Err(e) = api::call(&mut env.practice, session, name, json!({})) {
                if e.code == "unknown_command" {
                    failures.push(format!("{name} is published but not dispatched"));
                }
            }
        }
    }
    let kinds: Vec<&str> = published
        .iter()
        .filter_map(|n| n.strip_suffix(".add"))
        .collect();
    for kind in kinds {
        for verb in ["delete", "search", "sign", "purge"] {
            let name = format!("{kind}.{verb}");
            if published.contains(&name) {
                continue;
            }
            match api::call(&mut env.practice, admin, &name, json!({})) {
                Err(e) if e.code == "unknown_command" => {}
                other => failures.push(format!("{name} is not published but answered {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Real answers, from a small chart, each checked against its command's response schema,
/// and each request against its request schema.
#[test]
fn real_responses_match_their_published_schema() {
    let schema = published();
    let mut c = shared();
    let mut failures = Vec::new();
    let mut run = |c: &mut Clinic, admin: bool, command: &str, args: Json| -> Json {
        check(&schema, command, "request", &args, &mut failures);
        let out = if admin {
            c.admin(command, args)
        } else {
            c.doc(command, args)
        };
        check(&schema, command, "response", &out, &mut failures);
        out
    };
    let p = run(
        &mut c,
        false,
        "patient.create",
        json!({"family": "Schemafit", "given": ["Rhea"], "birth_date": "1970-02-03", "sex": "female",
               "phones": ["555-010-2000"], "address": {"city": "Springfield"}}),
    );
    let pid = id(&p);
    run(&mut c, false, "patient.get", json!({"id": pid}));
    run(
        &mut c,
        false,
        "patient.update",
        json!({"id": pid, "version": p["version"], "preferred": "Rae"}),
    );
    run(
        &mut c,
        false,
        "patient.search",
        json!({"query": "schemafit"}),
    );
    run(&mut c, false, "patient.history", json!({"id": pid}));
    let problem = run(
        &mut c,
        false,
        "problem.add",
        json!({"patient": pid, "code": "E11.9", "onset_date": "2020-01-01"}),
    );
    run(&mut c, false, "problem.get", json!({"id": id(&problem)}));
    run(&mut c, false, "problem.list", json!({"patient": pid}));
    run(
        &mut c,
        false,
        "problem.history",
        json!({"id": id(&problem)}),
    );
    run(
        &mut c,
        false,
        "problem.update",
        json!({"id": id(&problem), "version": problem["version"], "note": "diet"}),
    );
    let med = run(
        &mut c,
        false,
        "medication.add",
        json!({"patient": pid, "name": "Metformin", "dose": "500 mg"}),
    );
    run(
        &mut c,
        false,
        "medication.retract",
        json!({"id": id(&med), "version": med["version"], "reason": "wrong patient"}),
    );
    run(
        &mut c,
        false,
        "allergy.add",
        json!({"patient": pid, "substance": "Penicillin", "reactions": ["rash"], "severity": "mild"}),
    );
    run(
        &mut c,
        false,
        "vitals.record",
        json!({"patient": pid, "effective": "2026-10-01T09:30:00Z", "systolic": 128, "diastolic": 82, "height": 170, "weight": 72.5}),
    );
    run(
        &mut c,
        false,
        "labs.record",
        json!({"patient": pid, "effective": "2026-10-01T08:00:00Z", "results": [{"code": "2345-7", "value_num": 96, "unit": "mg/dL", "ref_low": 70, "ref_high": 99}]}),
    );
    let order = run(
        &mut c,
        false,
        "order.add",
        json!({"patient": pid, "kind": "lab", "description": "Hemoglobin A1c", "code": "4548-4"}),
    );
    run(
        &mut c,
        false,
        "order.result",
        json!({"id": id(&order), "version": order["version"], "effective": "2026-10-02T10:00:00Z", "results": [{"code": "4548-4", "value_num": 6.1, "unit": "%"}]}),
    );
    let note = run(
        &mut c,
        false,
        "note.add",
        json!({"patient": pid, "title": "Visit", "assessment": "Stable"}),
    );
    let signed = run(
        &mut c,
        false,
        "note.sign",
        json!({"id": id(&note), "version": note["version"]}),
    );
    run(
        &mut c,
        false,
        "note.addendum",
        json!({"id": id(&signed), "text": "Called back"}),
    );
    run(&mut c, false, "note.get", json!({"id": id(&note)}));
    let doc = run(
        &mut c,
        false,
        "document.add",
        json!({"patient": pid, "title": "Scan", "content": b64(&png_bytes())}),
    );
    run(&mut c, false, "document.content", json!({"id": id(&doc)}));
    run(&mut c, false, "chart.summary", json!({"patient": pid}));
    run(&mut c, false, "chart.timeline", json!({"patient": pid}));
    run(
        &mut c,
        false,
        "observation.series",
        json!({"patient": pid, "code": "8480-6"}),
    );
    for system in ["icd10", "cvx", "loinc"] {
        run(
            &mut c,
            false,
            "code.search",
            json!({"system": system, "query": "a", "limit": 3}),
        );
    }
    run(&mut c, false, "conflict.list", json!({}));
    run(&mut c, false, "session.info", json!({}));
    run(&mut c, true, "user.list", json!({}));
    run(&mut c, true, "setting.list", json!({}));
    run(
        &mut c,
        true,
        "audit.report",
        json!({"from": TODAY, "to": TODAY}),
    );
    run(&mut c, true, "audit.verify", json!({}));
    // A lab message for this patient (by MRN), one for nobody (held, then filed), one not
    // HL7 (refused), and the code table.
    let oru = |control: &str, pid3: &str, born: &str| {
        format!(
            "MSH|^~\\&|LAB|SCHEMA LAB|EHR|CLINIC|20260301090000-0500||ORU^R01|{control}|P|2.5.1\r\
             PID|1||{pid3}^^^LAB^MR||Nobody^Noone||{born}|F\r\
             OBR|1||F1^LAB|24331-1^Lipid panel^LN|||20260301080000-0500\r\
             OBX|1|NM|2093-3^Cholesterol^LN||212|mg/dL^^UCUM|<200|H|||F\r\
             OBX|2|ST|LOCAL1^Comment^L||fasting||||||P\r"
        )
    };
    run(
        &mut c,
        false,
        "hl7.code_map_set",
        json!({"lab": "SCHEMA LAB", "local_code": "LOCAL1", "loinc": "8251-1"}),
    );
    run(&mut c, false, "hl7.code_map_list", json!({}));
    let mrn = p["mrn"].as_str().unwrap();
    let filed = run(
        &mut c,
        false,
        "hl7.receive",
        json!({"message": oru("SCHEMA-1", mrn, "19700203")}),
    );
    assert_eq!(filed["outcome"], "applied", "{filed}");
    run(
        &mut c,
        false,
        "hl7.receive",
        json!({"message": oru("SCHEMA-2", "NOBODY", "19700101")}),
    );
    run(&mut c, false, "hl7.receive", json!({"message": "not hl7"}));
    let held = run(&mut c, false, "hl7.unmatched", json!({}));
    let held = held
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["control_id"] == "SCHEMA-2")
        .unwrap()
        .clone();
    run(
        &mut c,
        false,
        "hl7.assign",
        json!({"id": held["id"], "version": held["version"], "patient": pid}),
    );
    run(
        &mut c,
        false,
        "hl7.receive",
        json!({"message": oru("SCHEMA-3", "NOBODY", "19700101")}),
    );
    let held = run(&mut c, false, "hl7.unmatched", json!({}));
    let held = held
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["control_id"] == "SCHEMA-3")
        .unwrap()
        .clone();
    run(
        &mut c,
        false,
        "hl7.refuse",
        json!({"id": held["id"], "version": held["version"], "reason": "not ours"}),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The check is not vacuous: an answer of the wrong shape is caught.
    let mut broken = p.clone();
    broken["created_at"] = json!("yesterday");
    broken["retracted"] = json!(null);
    let mut caught = Vec::new();
    check(&schema, "patient.get", "response", &broken, &mut caught);
    check(
        &schema,
        "problem.list",
        "response",
        &json!([{"id": 1}]),
        &mut caught,
    );
    check(
        &schema,
        "problem.add",
        "request",
        &json!({"patient": pid, "colour": "red"}),
        &mut caught,
    );
    assert_eq!(caught.len(), 3, "broken shapes pass the schema: {caught:?}");
}

/// The request is parsed once into its type: what does not fit is `invalid_input` naming
/// the field, before anything is written.
#[test]
fn requests_that_do_not_fit_their_type_are_refused_naming_the_field() {
    let mut c = shared();
    let p = c.patient("Typefit", &["Ines"], "1980-05-05");
    let problem = c.doc("problem.add", json!({"patient": p, "code": "I10"}));
    let before = c.commits();
    let cases = [
        (
            "problem.add",
            json!({"patient": p, "onset_date": 20200101}),
            "onset_date",
        ),
        (
            "problem.add",
            json!({"patient": p, "code": "I10", "colour": "red"}),
            "colour",
        ),
        (
            "problem.add",
            json!({"patient": "not-an-id", "code": "I10"}),
            "patient",
        ),
        ("problem.add", json!({"code": "I10"}), "patient"),
        (
            "problem.update",
            json!({"id": id(&problem), "version": problem["version"], "status": 3}),
            "status",
        ),
        (
            "problem.update",
            json!({"id": id(&problem), "version": "v1", "note": "x"}),
            "version",
        ),
        (
            "problem.list",
            json!({"patient": p, "include_retracted": "yes"}),
            "include_retracted",
        ),
        (
            "patient.create",
            json!({"family": "X", "given": "Ann"}),
            "given",
        ),
        (
            "patient.create",
            json!({"family": "X", "nickname": "Annie"}),
            "nickname",
        ),
        (
            "patient.search",
            json!({"query": "typefit", "limit": "ten"}),
            "limit",
        ),
        ("patient.search", json!({}), "query"),
        ("vitals.record", json!({"patient": p, "pulse": 70}), "pulse"),
        (
            "vitals.record",
            json!({"patient": p, "heart_rate": "fast"}),
            "heart_rate",
        ),
        (
            "labs.record",
            json!({"patient": p, "results": [{"code": "2345-7", "value_num": "high"}]}),
            "results[0].value_num",
        ),
        (
            "chart.timeline",
            json!({"patient": p, "kinds": "note"}),
            "kinds",
        ),
        (
            "note.amend",
            json!({"id": id(&problem), "reason": "x"}),
            "text",
        ),
        ("conflict.resolve", json!({"field": "dose"}), "row"),
    ];
    let mut failures = Vec::new();
    for (command, args, field) in cases {
        match c.try_doc(command, args.clone()) {
            Ok(v) => failures.push(format!("{command} {args}: accepted, returned {v}")),
            Err(e) => {
                if e.code != "invalid_input" || !e.message.contains(field) {
                    failures.push(format!(
                        "{command} {args}: got {} \"{}\", expected invalid_input naming '{field}'",
                        e.code, e.message
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(c.commits(), before, "nothing was written");
    assert_eq!(arr(&c.doc("problem.list", json!({"patient": p}))).len(), 1);
    let e = c.doc_err("problem.add", json!({"patient": p, "code": "Z99.999"}));
    assert_error(&e, "invalid_code", "code");
}
