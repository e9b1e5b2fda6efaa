//! FHIR R4 import: the Synthea sample set lands whole (every resource mapped, kept
//! verbatim, or skipped with a reason, counted against the files themselves), importing it
//! again writes nothing, an export imported into an empty practice gives the same charts,
//! bad input is refused where it is with nothing of that patient written, and a patient
//! who may already be here waits for a person's decision.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chartkeep::api::{self, types::ImportDecision, Session};
use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::demo::{self, DEMO_PASSWORD};
use chartkeep::interop::fhir::import::{ImportReport, Input, OnMatch};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::KeyPlan;
use serde_json::{json, Value as Json};
use uuid::Uuid;

const NOW: &str = "2026-11-01T12:00:00Z";

/// A new id for a source resource (ids in tests are made, not drawn).
fn fresh() -> Uuid {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | u128::from(n))
}

fn practice(dir: &Path, seed: u64) -> Practice {
    let (p, _) = Practice::init(
        dir,
        KeyPlan::Passphrase("import test passphrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(seed)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    p
}

/// A practice with the demo staff (drlee, a clinician) and no patients.
fn empty_practice(dir: &Path, seed: u64) -> (Practice, Session) {
    let mut p = practice(dir, seed);
    demo::populate(&mut p, 0, seed, &mut |_| {}).expect("demo staff");
    let s = api::login(&mut p, "drlee", DEMO_PASSWORD).expect("login");
    (p, s)
}

fn call(p: &mut Practice, s: &mut Session, command: &str, args: Json) -> Json {
    api::call(p, s, command, args).unwrap_or_else(|e| panic!("{command}: {e:?}"))
}

fn import(p: &mut Practice, s: &mut Session, inputs: Vec<Input>) -> ImportReport {
    api::import_fhir(p, s, inputs, OnMatch::Ask, &[], &mut |_| {}).expect("import")
}

fn bytes(name: &str, v: &Json) -> Input {
    Input::Bytes {
        name: name.into(),
        bytes: v.to_string().into_bytes(),
    }
}

fn count(p: &Practice, sql: &str) -> i64 {
    p.reader().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn synthea() -> Option<PathBuf> {
    let archive =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/synthea-r4-dev.tar.gz");
    if !archive.exists() {
        eprintln!(
            "skipping: {} is absent (the Synthea sample set)",
            archive.display()
        );
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("synthea-import");
    let files = dir.join("synthea-r4");
    if !files.is_dir() {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&dir)
            .status()
            .expect("tar")
            .success();
        assert!(ok, "unpacking {}", archive.display());
    }
    Some(files)
}

/// Resources per type in the files, read here without the importer.
fn census(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let b: Json = serde_json::from_slice(&std::fs::read(f.unwrap().path()).unwrap()).unwrap();
        for e in b["entry"].as_array().unwrap() {
            *out.entry(e["resource"]["resourceType"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn the_synthea_set_lands_whole_and_a_second_import_writes_nothing() {
    let Some(files) = synthea() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut s) = empty_practice(tmp.path(), 1);
    let expected = census(&files);
    assert_eq!(
        expected.values().sum::<usize>(),
        18_319,
        "the set's README says so"
    );

    let report = import(
        &mut p,
        &mut s,
        vec![Input::Path(files.clone())]
            .into_iter()
            .flat_map(|i| match i {
                Input::Path(d) => chartkeep::interop::fhir::import::expand(&[d])
                    .unwrap()
                    .into_iter()
                    .map(Input::Path)
                    .collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect(),
    );
    assert!(report.complete, "{:#?}", report.problems);
    assert_eq!(report.files, 62);
    assert_eq!(report.patients.len(), 62);
    assert!(report.patients.iter().all(|p| p.new));
    // Every resource is accounted for, type by type, and none refused.
    for (kind, n) in &expected {
        let c = &report.types[kind];
        assert_eq!(
            c.mapped + c.verbatim + c.duplicate + c.skipped,
            *n,
            "{kind}: {c:?}"
        );
        assert_eq!(c.refused, 0, "{kind}");
    }
    // What the chart has a place for is mapped, the rest kept verbatim.
    for kind in [
        "Patient",
        "Encounter",
        "Condition",
        "Observation",
        "Immunization",
        "Procedure",
        "MedicationRequest",
        "AllergyIntolerance",
        "DiagnosticReport",
    ] {
        assert_eq!(report.types[kind].mapped, expected[kind], "{kind}");
    }
    for kind in ["Claim", "ExplanationOfBenefit", "CarePlan", "ImagingStudy"] {
        assert_eq!(report.types[kind].verbatim, expected[kind], "{kind}");
    }
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 62);
    assert_eq!(
        count(&p, "SELECT count(*) FROM encounter")
            + count(&p, "SELECT count(*) FROM hospitalization"),
        expected["Encounter"] as i64
    );
    assert_eq!(
        count(&p, "SELECT count(*) FROM problem"),
        expected["Condition"] as i64
    );
    // A blood pressure becomes two observations, so there are at least as many.
    assert!(count(&p, "SELECT count(*) FROM observation") >= expected["Observation"] as i64);
    // SNOMED CT problems keep their system; the names keep their letters.
    assert!(
        count(
            &p,
            "SELECT count(*) FROM problem WHERE code_system = 'SNOMED CT'"
        ) > 0
    );
    assert!(
        count(
            &p,
            "SELECT count(*) FROM patient WHERE family GLOB '*[^ -~]*' OR given GLOB '*[^ -~]*'"
        ) > 0,
        "some names carry non-ASCII letters"
    );
    // One commit per patient, each with its import record.
    assert_eq!(count(&p, "SELECT count(*) FROM import_batch"), 62);
    let commits = count(&p, "SELECT count(*) FROM ledger_commit");

    // The same files again: nothing written.
    let again = import(
        &mut p,
        &mut s,
        chartkeep::interop::fhir::import::expand(&[files])
            .unwrap()
            .into_iter()
            .map(Input::Path)
            .collect(),
    );
    assert!(again.complete);
    assert!(again.patients.is_empty(), "{:?}", again.patients);
    assert_eq!(again.unchanged, 62);
    assert_eq!(count(&p, "SELECT count(*) FROM ledger_commit"), commits);
    let verified = p.verify().expect("verify");
    assert!(verified.ok(), "{verified:?}");
}

/// A summary and timeline with what differs by nature between two practices left out
/// (who wrote a record and when, its version) and lists in a fixed order.
fn comparable(v: &Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(
            m.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "created_at"
                            | "updated_at"
                            | "created_by"
                            | "updated_by"
                            | "version"
                            | "created_change"
                            | "signed_by"
                    )
                })
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Json::Array(a) => {
            let mut items: Vec<Json> = a.iter().map(comparable).collect();
            items.sort_by_key(|x| x.to_string());
            Json::Array(items)
        }
        other => other.clone(),
    }
}

/// Paths where two JSON values differ, with both values.
fn differences(a: &Json, b: &Json, path: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                differences(
                    &x.get(k).cloned().unwrap_or(Json::Null),
                    &y.get(k).cloned().unwrap_or(Json::Null),
                    path,
                    out,
                );
                path.truncate(len);
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() != y.len() => {
            let only = |a: &[Json], b: &[Json]| -> Vec<String> {
                a.iter()
                    .filter(|v| !b.contains(v))
                    .take(5)
                    .map(|v| v.to_string())
                    .collect()
            };
            out.push(format!(
                "{path}: {} items vs {}; only on the left: {:?}; only on the right: {:?}",
                x.len(),
                y.len(),
                only(x, y),
                only(y, x)
            ));
        }
        (Json::Array(x), Json::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                differences(p, q, path, out);
                path.truncate(len);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

#[test]
fn an_export_imported_into_an_empty_practice_gives_the_same_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = practice(&tmp.path().join("a"), 3);
    demo::populate(&mut a, 6, 3, &mut |_| {}).expect("demo");
    let mut sa = api::login(&mut a, "drlee", DEMO_PASSWORD).expect("login");
    let ids: Vec<String> = {
        let mut stmt = a
            .reader()
            .prepare("SELECT id FROM patient ORDER BY mrn")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut bundles = Vec::new();
    for id in &ids {
        let e = call(
            &mut a,
            &mut sa,
            "export.fhir_patient",
            json!({"patient": id}),
        );
        bundles.push(bytes(&format!("{id}.json"), &e["bundle"]));
    }
    let (mut b, mut sb) = empty_practice(&tmp.path().join("b"), 4);
    let report = import(&mut b, &mut sb, bundles);
    assert!(report.complete, "{:#?}", report.problems);
    assert_eq!(report.patients.len(), ids.len());
    for id in &ids {
        for (command, args) in [
            ("chart.summary", json!({"patient": id})),
            ("chart.timeline", json!({"patient": id, "limit": 1000})),
        ] {
            let left = comparable(&call(&mut a, &mut sa, command, args.clone()));
            let right = comparable(&call(&mut b, &mut sb, command, args));
            let mut diffs = Vec::new();
            differences(&left, &right, &mut String::new(), &mut diffs);
            assert!(
                diffs.is_empty(),
                "{command} of {id} differs after the round trip:\n{}",
                diffs.join("\n")
            );
        }
    }
    let verified = b.verify().expect("verify");
    assert!(verified.ok(), "{verified:?}");
}

fn patient(id: &str, family: &str, given: &str, born: &str) -> Json {
    json!({"resourceType": "Patient", "id": id,
        "name": [{"family": family, "given": [given]}],
        "gender": "female", "birthDate": born})
}

fn bundle(entries: Vec<Json>) -> Json {
    json!({"resourceType": "Bundle", "type": "collection",
        "entry": entries.into_iter().map(|r| {
            let url = format!("urn:uuid:{}", r["id"].as_str().unwrap_or_default());
            json!({"fullUrl": url, "resource": r})
        }).collect::<Vec<_>>()})
}

fn glucose(id: &str, patient: &str, when: &str) -> Json {
    json!({"resourceType": "Observation", "id": id, "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}]},
        "subject": {"reference": format!("urn:uuid:{patient}")},
        "effectiveDateTime": when,
        "valueQuantity": {"value": 5.4, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"}})
}

#[test]
fn bad_input_is_refused_where_it_is_and_the_rest_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut s) = empty_practice(tmp.path(), 5);
    let good = fresh().to_string();
    let zoneless = fresh().to_string();
    let broken = fresh().to_string();
    let unknown = fresh().to_string();
    let inputs = vec![
        Input::Bytes {
            name: "malformed.json".into(),
            bytes: b"{\"resourceType\": \"Bundle\", \"entry\": [".to_vec(),
        },
        bytes(
            "zoneless.json",
            &bundle(vec![
                patient(&zoneless, "Zone", "Less", "1970-01-01"),
                glucose(&fresh().to_string(), &zoneless, "2020-01-02T10:30:00"),
            ]),
        ),
        bytes(
            "broken.json",
            &bundle(vec![patient(&broken, "Broken", "Ref", "1971-01-01"), {
                let mut o = glucose(&fresh().to_string(), &broken, "2020-01-02T10:30:00Z");
                o["encounter"] =
                    json!({"reference": "urn:uuid:00000000-0000-0000-0000-00000000dead"});
                o
            }]),
        ),
        bytes(
            "unknown.json",
            &bundle(vec![
                patient(&unknown, "Unknown", "Type", "1972-01-01"),
                json!({"resourceType": "Flurb", "id": "x", "subject": {"reference": format!("urn:uuid:{unknown}")}}),
            ]),
        ),
        bytes(
            "valueset.json",
            &json!({"resourceType": "ValueSet", "id": "vs", "status": "active"}),
        ),
        bytes(
            "good.json",
            &bundle(vec![
                patient(&good, "Good", "Ada", "1973-01-01"),
                glucose(&fresh().to_string(), &good, "2020-01-02T10:30:00Z"),
            ]),
        ),
    ];
    let report = import(&mut p, &mut s, inputs);
    assert!(!report.complete);
    let find = |file: &str| {
        report
            .problems
            .iter()
            .find(|p| p.file == file)
            .unwrap_or_else(|| panic!("no problem reported for {file}: {:#?}", report.problems))
    };
    assert!(find("malformed.json").message.starts_with("malformed JSON"));
    let z = find("zoneless.json");
    assert!(z.resource.starts_with("Observation/"), "{z:?}");
    assert!(z.path.ends_with("effectiveDateTime"), "{z:?}");
    assert!(z.message.contains("time zone"), "{z:?}");
    let b = find("broken.json");
    assert_eq!(b.path, "entry[1].resource.encounter.reference", "{b:?}");
    assert!(b.message.contains("points at nothing"), "{b:?}");
    let u = find("unknown.json");
    assert_eq!(u.resource, "Flurb/x");
    assert!(u.message.contains("not a FHIR R4 resource type"), "{u:?}");
    assert!(find("valueset.json")
        .message
        .contains("defines rather than records care"));
    // Only the good patient was written, with their result.
    assert_eq!(report.patients.len(), 1);
    let names: Vec<String> = {
        let mut stmt = p.reader().prepare("SELECT family FROM patient").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(names, vec!["Good".to_string()]);
    assert_eq!(count(&p, "SELECT count(*) FROM observation"), 1);

    // A file over the size limit is refused before it is read.
    let big = tmp.path().join("big.json");
    std::fs::write(
        &big,
        bundle(vec![patient(
            &fresh().to_string(),
            "Big",
            "File",
            "1974-01-01",
        )])
        .to_string(),
    )
    .unwrap();
    let opts = chartkeep::interop::fhir::import::Options {
        max_file_bytes: 10,
        ..Default::default()
    };
    let author = s.user.id;
    let r = chartkeep::interop::fhir::import::run(
        &mut p,
        author,
        vec![Input::Path(big)],
        &opts,
        &mut |_| {},
    );
    assert!(
        r.problems[0].message.contains("split it"),
        "{:?}",
        r.problems
    );
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 1);
}

#[test]
fn a_patient_who_may_already_be_here_waits_for_a_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut s) = empty_practice(tmp.path(), 6);
    let here = call(
        &mut p,
        &mut s,
        "patient.create",
        json!({"family": "Rivera", "given": ["Ana"], "birth_date": "1980-05-06", "sex": "female"}),
    );
    let source = fresh().to_string();
    let file = bundle(vec![
        patient(&source, "RIVERA", "ana", "1980-05-06"),
        glucose(&fresh().to_string(), &source, "2021-03-04T08:00:00Z"),
    ]);
    let report = import(&mut p, &mut s, vec![bytes("rivera.json", &file)]);
    assert!(!report.complete);
    assert_eq!(report.waiting.len(), 1, "{report:#?}");
    let w = &report.waiting[0];
    assert_eq!(w.candidates.len(), 1);
    assert_eq!(
        w.candidates[0].patient.to_string(),
        here["id"].as_str().unwrap()
    );
    assert_eq!(w.candidates[0].reason, "same name and birth date");
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 1);
    assert_eq!(count(&p, "SELECT count(*) FROM observation"), 0);

    // Linked by a person: the result joins the chart that was there.
    let decided = api::import_fhir(
        &mut p,
        &mut s,
        vec![bytes("rivera.json", &file)],
        OnMatch::Ask,
        &[ImportDecision {
            source: w.source.clone(),
            patient: Some(w.candidates[0].patient),
        }],
        &mut |_| {},
    )
    .expect("import");
    assert!(decided.complete, "{decided:#?}");
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 1);
    assert_eq!(
        count(
            &p,
            &format!(
                "SELECT count(*) FROM observation WHERE patient = '{}'",
                here["id"].as_str().unwrap()
            )
        ),
        1
    );
    // The same file once more finds the link: nothing new, nobody waiting.
    let again = import(&mut p, &mut s, vec![bytes("rivera.json", &file)]);
    assert!(again.complete, "{again:#?}");
    assert_eq!(again.unchanged, 1);

    // Another namesake registered as new on request.
    let other = fresh().to_string();
    let r = api::import_fhir(
        &mut p,
        &mut s,
        vec![bytes(
            "other.json",
            &bundle(vec![patient(&other, "Rivera", "Ana", "1980-05-06")]),
        )],
        OnMatch::New,
        &[],
        &mut |_| {},
    )
    .expect("import");
    assert!(r.complete);
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 2);
}

#[test]
fn importing_needs_a_role_that_writes_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = practice(tmp.path(), 7);
    demo::populate(&mut p, 0, 7, &mut |_| {}).expect("demo staff");
    let mut admin = api::login(&mut p, "admin", "admin-password-1").expect("login");
    let f = bundle(vec![patient(
        &fresh().to_string(),
        "Nope",
        "Not",
        "1990-01-01",
    )]);
    let e = api::import_fhir(
        &mut p,
        &mut admin,
        vec![bytes("x.json", &f)],
        OnMatch::Ask,
        &[],
        &mut |_| {},
    )
    .expect_err("an administrator does not write charts");
    assert_eq!(e.code, api::ErrorCode::Forbidden);
    assert_eq!(count(&p, "SELECT count(*) FROM patient"), 0);
}

/// The IPS 2.0 examples' folder (`scripts/ips-examples.sh` fetches it), or None with a
/// message; CI sets CHARTKEEP_REQUIRE_IPS=1 so that a missing folder fails instead.
fn ips_examples() -> Option<PathBuf> {
    let dir = std::env::var_os("CHARTKEEP_IPS_EXAMPLES").map(PathBuf::from);
    match dir.filter(|d| d.is_dir()) {
        Some(d) => Some(d),
        None if std::env::var_os("CHARTKEEP_REQUIRE_IPS").is_some() => {
            panic!("CHARTKEEP_IPS_EXAMPLES names no folder; run scripts/ips-examples.sh")
        }
        None => {
            eprintln!("skipping: set CHARTKEEP_IPS_EXAMPLES=$(scripts/ips-examples.sh)");
            None
        }
    }
}

#[test]
fn each_ips_example_imports_whole() {
    let Some(dir) = ips_examples() else { return };
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Bundle-") && n.ends_with(".json"))
        })
        .collect();
    bundles.sort();
    assert!(bundles.len() >= 5, "{bundles:?}");
    for (n, file) in bundles.iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut p, mut s) = empty_practice(tmp.path(), 20 + n as u64);
        let b: Json = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for e in b["entry"].as_array().unwrap() {
            *kinds
                .entry(e["resource"]["resourceType"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        let report = import(&mut p, &mut s, vec![Input::Path(file.clone())]);
        assert!(report.complete, "{}: {report:#?}", file.display());
        assert_eq!(report.patients.len(), 1, "{}", file.display());
        for (kind, n) in &kinds {
            let c = &report.types[kind];
            assert_eq!(
                c.mapped + c.verbatim,
                *n,
                "{} {kind}: {c:?}",
                file.display()
            );
        }
        // The document's clinical statements are on the chart.
        let patient = report.patients[0].patient.to_string();
        let summary = call(&mut p, &mut s, "chart.summary", json!({"patient": patient}));
        let problems = count(&p, "SELECT count(*) FROM problem");
        assert_eq!(
            problems,
            kinds.get("Condition").copied().unwrap_or(0) as i64,
            "{}",
            file.display()
        );
        let allergies = count(&p, "SELECT count(*) FROM allergy");
        assert_eq!(
            allergies,
            kinds.get("AllergyIntolerance").copied().unwrap_or(0) as i64,
            "{}",
            file.display()
        );
        let meds = count(&p, "SELECT count(*) FROM medication");
        assert_eq!(
            meds,
            (kinds.get("MedicationStatement").copied().unwrap_or(0)
                + kinds.get("MedicationRequest").copied().unwrap_or(0)) as i64,
            "{}",
            file.display()
        );
        assert!(summary["patient"]["family"].is_string(), "{summary}");
        // The document itself is kept, as it came.
        assert_eq!(
            count(
                &p,
                "SELECT count(*) FROM imported_resource WHERE resource_type = 'Composition'"
            ),
            1
        );
        // And the practice's own summary of the imported chart is a valid document.
        let ips = call(&mut p, &mut s, "export.ips", json!({"patient": patient}));
        assert_eq!(
            ips["bundle"]["entry"][0]["resource"]["resourceType"],
            "Composition"
        );
    }
}

#[test]
fn synthea_import_export_import_is_stable() {
    let Some(files) = synthea() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut sa) = empty_practice(&tmp.path().join("a"), 30);
    let some: Vec<PathBuf> = chartkeep::interop::fhir::import::expand(&[files])
        .unwrap()
        .into_iter()
        .take(8)
        .collect();
    let first = import(&mut a, &mut sa, some.into_iter().map(Input::Path).collect());
    assert!(first.complete, "{:#?}", first.problems);
    let export = |p: &mut Practice, s: &mut Session, id: &Uuid| -> Json {
        call(p, s, "export.fhir_patient", json!({"patient": id}))["bundle"].clone()
    };
    let (mut b, mut sb) = empty_practice(&tmp.path().join("b"), 31);
    let mut exported = Vec::new();
    for pt in &first.patients {
        let bundle = export(&mut a, &mut sa, &pt.patient);
        exported.push((pt.patient, bundle.clone()));
        let r = import(&mut b, &mut sb, vec![bytes("exported.json", &bundle)]);
        assert!(r.complete, "{:#?}", r.problems);
    }
    // The second practice exports the same resources (Provenance, which names who imported
    // and when, and the Bundle's own stamp aside).
    let resources = |bundle: &Json| -> Vec<Json> {
        let mut out: Vec<Json> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"].clone())
            .filter(|r| r["resourceType"] != "Provenance")
            .map(|mut r| {
                // Stamped from the record's write time, which is the import's.
                for k in ["issued", "recordedDate", "dateAsserted", "date"] {
                    if r[k].is_string() && r["resourceType"] != "DocumentReference" {
                        r.as_object_mut().unwrap().remove(k);
                    }
                }
                r
            })
            .collect();
        out.sort_by_key(|r| r.to_string());
        out
    };
    for (id, bundle) in &exported {
        let again = export(&mut b, &mut sb, id);
        let (left, right) = (resources(bundle), resources(&again));
        let mut diffs = Vec::new();
        differences(
            &Json::Array(left),
            &Json::Array(right),
            &mut String::new(),
            &mut diffs,
        );
        assert!(diffs.is_empty(), "patient {id}:\n{}", diffs.join("\n"));
    }
}
