//! C-CDA import: HL7's example CCDs (tests/data/ccda/) land in the chart entry for entry as
//! an independent reading of the same XML with lxml finds them (tests/ccda/extract.py),
//! each section whole; the document is kept as an attached document; importing it again
//! writes nothing; a patient who may already be here waits for a decision; bad documents
//! are refused where they are, with nothing written.

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

const NOW: &str = "2026-11-01T12:00:00Z";
const CCDS: [&str; 2] = ["ccd-1.xml", "ccd-2.xml"];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ccda")
        .join(name)
}

/// A practice with the demo staff (drlee, a clinician) and no patients.
fn empty_practice(dir: &Path, seed: u64) -> (Practice, Session) {
    let (mut p, _) = Practice::init(
        dir,
        KeyPlan::Passphrase("ccda test passphrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(seed)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    demo::populate(&mut p, 0, seed, &mut |_| {}).expect("demo staff");
    let s = api::login(&mut p, "drlee", DEMO_PASSWORD).expect("login");
    (p, s)
}

fn import(
    p: &mut Practice,
    s: &mut Session,
    inputs: Vec<Input>,
    on_match: OnMatch,
) -> ImportReport {
    api::import_fhir(p, s, inputs, on_match, &[], &mut |_| {}).expect("import")
}

/// The Python with lxml: `target/ccda-venv` (scripts/ccda-venv.sh), else a `python3` that
/// has it. None (the comparison is skipped, loudly) only when CHARTKEEP_REQUIRE_CCDA is
/// unset; CI sets it.
fn python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ccda-venv/bin/python3");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let ok = std::process::Command::new(&python)
        .args(["-c", "import lxml"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("CHARTKEEP_REQUIRE_CCDA").is_none(),
        "{} cannot import lxml; run scripts/ccda-venv.sh",
        python.display()
    );
    eprintln!("skipping the lxml comparison: no lxml (run scripts/ccda-venv.sh)");
    None
}

/// What lxml reads in the document (tests/ccda/extract.py).
fn lxml(python: &Path, file: &Path) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ccda/extract.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(file)
        .output()
        .expect("extract.py runs");
    assert!(
        out.status.success(),
        "{}: extract.py failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("extract.py prints JSON")
}

fn rows(p: &Practice, sql: &str, patient: &str) -> Vec<Json> {
    let conn = p.reader();
    let mut st = conn.prepare(sql).unwrap();
    let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
    st.query_map([patient], |r| {
        let mut m = serde_json::Map::new();
        for (i, n) in names.iter().enumerate() {
            let v: rusqlite::types::Value = r.get(i)?;
            m.insert(
                n.clone(),
                match v {
                    rusqlite::types::Value::Null => Json::Null,
                    rusqlite::types::Value::Integer(i) => json!(i),
                    rusqlite::types::Value::Real(f) => json!(f),
                    rusqlite::types::Value::Text(t) => json!(t),
                    rusqlite::types::Value::Blob(b) => json!(b.len()),
                },
            );
        }
        Ok(Json::Object(m))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// An HL7 TS's date part as the chart writes dates (`2013-07-03`), or None when the value
/// is absent or less precise than a day.
fn day(ts: &Json) -> Option<String> {
    let t = ts.as_str()?;
    (t.len() >= 8 && t[..8].bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..8]))
}

/// An HL7 TS with a time and a zone as an instant, read here with chrono's own parser.
fn instant(ts: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let (body, zone) = ts.split_at(ts.find(['+', '-']).expect("a zone"));
    let body = format!("{body:0<14}");
    chrono::DateTime::parse_from_str(&format!("{body}{zone}"), "%Y%m%d%H%M%S%z")
        .unwrap_or_else(|e| panic!("{ts}: {e}"))
}

fn chart_instant(t: &Json) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(t.as_str().expect("a time")).expect("RFC 3339")
}

fn s(v: &Json) -> Option<&str> {
    v.as_str()
}

/// The verbatim-kept resources of a kind, for entries the chart could not hold as they are.
fn verbatim(p: &Practice, patient: &str, kind: &str) -> Vec<Json> {
    rows(
        p,
        "SELECT resource_type, resource FROM imported_resource WHERE patient = ?1",
        patient,
    )
    .into_iter()
    .filter(|r| r["resource_type"] == kind)
    .map(|r| serde_json::from_str(r["resource"].as_str().unwrap()).unwrap())
    .collect()
}

/// The worst of the severities an allergy states (SNOMED CT displays such as "Mild to
/// moderate"), as the chart names it.
fn worst(severities: &Json) -> Option<&'static str> {
    severities
        .as_array()?
        .iter()
        .filter_map(Json::as_str)
        .map(|d| {
            let d = d.to_lowercase();
            if d.ends_with("severe") || d.contains("fatal") {
                "severe"
            } else if d.ends_with("moderate") {
                "moderate"
            } else {
                "mild"
            }
        })
        .max_by_key(|v| ["mild", "moderate", "severe"].iter().position(|k| k == v))
}

fn codes(cc: &Json) -> Vec<String> {
    cc["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn each_ccd_lands_entry_for_entry_as_lxml_reads_it() {
    let Some(py) = python() else { return };
    for name in CCDS {
        let file = data(name);
        let x = lxml(&py, &file);
        let tmp = tempfile::tempdir().unwrap();
        let (mut p, mut s_) = empty_practice(tmp.path(), 7);
        let report = import(
            &mut p,
            &mut s_,
            vec![Input::Path(file.clone())],
            OnMatch::Ask,
        );
        assert!(report.complete, "{name}: {:?}", report.problems);
        assert_eq!(report.patients.len(), 1, "{name}: one patient");
        let pid = report.patients[0].patient.to_string();

        // The patient.
        let pat = &rows(
            &p,
            "SELECT family, given, birth_date, sex, identifiers FROM patient WHERE id = ?1",
            &pid,
        )[0];
        let xp = &x["patient"];
        assert_eq!(pat["family"], xp["family"], "{name}: family name");
        let given: Json = serde_json::from_str(pat["given"].as_str().unwrap()).unwrap();
        assert_eq!(given, xp["given"], "{name}: given names");
        assert_eq!(
            pat["birth_date"].as_str(),
            day(&xp["birth_time"]).as_deref()
        );
        let sex = match xp["gender"].as_str() {
            Some("F") => "female",
            Some("M") => "male",
            _ => "unknown",
        };
        assert_eq!(pat["sex"], sex, "{name}: sex");
        let ids: Json = serde_json::from_str(pat["identifiers"].as_str().unwrap()).unwrap();
        for i in xp["ids"].as_array().unwrap() {
            assert!(
                ids.as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["value"] == i["extension"]),
                "{name}: identifier {i} kept, in {ids}"
            );
        }

        // Problems: each one lxml finds is a problem in the chart, or (where the chart cannot
        // hold it as given) kept verbatim with its code; a negated one is written and retracted.
        let chart = rows(
            &p,
            "SELECT code, code_system, display, onset_date, resolved_date, retracted FROM problem WHERE patient = ?1",
            &pid,
        );
        let kept = verbatim(&p, &pid, "Condition");
        let expected: Vec<&Json> = x["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["code"].is_null() || !e["display"].is_null())
            .collect();
        assert_eq!(
            chart.len() + kept.len(),
            expected.len(),
            "{name}: problems {chart:?} + verbatim {kept:?} vs {expected:?}"
        );
        for e in &expected {
            let found = chart.iter().any(|c| {
                c["display"] == e["display"]
                    && (c["code"] == e["code"] || c["code_system"].is_null())
                    && s(&c["onset_date"]) == day(&e["onset"]).as_deref()
                    && s(&c["resolved_date"]) == day(&e["resolved"]).as_deref()
                    && c["retracted"] == json!(i64::from(e["negated"] == true))
            }) || kept.iter().any(|k| {
                codes(&k["code"])
                    .iter()
                    .any(|c| Some(c.as_str()) == s(&e["code"]))
            });
            assert!(found, "{name}: problem {e} not in the chart: {chart:?}");
        }

        // Allergies.
        let chart = rows(
            &p,
            "SELECT substance, code, reactions, severity, no_known, retracted FROM allergy WHERE patient = ?1",
            &pid,
        );
        let expected = x["allergies"].as_array().unwrap();
        assert_eq!(chart.len(), expected.len(), "{name}: allergies {chart:?}");
        for e in expected {
            let generic = matches!(
                s(&e["substance_code"]),
                None | Some("105590001" | "413477004")
            );
            let found = chart.iter().any(|c| {
                if e["negated"] == true && generic {
                    return c["no_known"] == 1 && c["retracted"] == 0;
                }
                let reactions: Json =
                    serde_json::from_str(c["reactions"].as_str().unwrap_or("[]")).unwrap();
                c["code"] == e["substance_code"]
                    && c["substance"] == e["substance_display"]
                    && reactions == e["reactions"]
                    && c["retracted"] == json!(i64::from(e["negated"] == true))
                    && s(&c["severity"]) == worst(&e["severities"])
            });
            assert!(found, "{name}: allergy {e} not in the chart: {chart:?}");
        }

        // Medications.
        let chart = rows(
            &p,
            "SELECT name, rxnorm, dose, route, start_date, stop_date, status FROM medication WHERE patient = ?1",
            &pid,
        );
        let expected = x["medications"].as_array().unwrap();
        assert_eq!(chart.len(), expected.len(), "{name}: medications {chart:?}");
        for e in expected {
            let found = chart.iter().any(|c| {
                c["name"] == e["display"]
                    && (e["system"] != "2.16.840.1.113883.6.88" || c["rxnorm"] == e["code"])
                    && s(&c["start_date"]) == day(&e["start"]).as_deref()
                    && s(&c["stop_date"]) == day(&e["end"]).as_deref()
                    && e["dose_value"].as_str().is_none_or(|d| {
                        s(&c["dose"]).is_some_and(|cd| cd.split_whitespace().next() == Some(d))
                    })
            });
            assert!(found, "{name}: medication {e} not in the chart: {chart:?}");
        }

        // Immunizations: in the chart, or verbatim where its date is less than a day.
        let chart = rows(
            &p,
            "SELECT cvx, vaccine, date, status, retracted FROM immunization WHERE patient = ?1",
            &pid,
        );
        let kept = verbatim(&p, &pid, "Immunization");
        let expected = x["immunizations"].as_array().unwrap();
        assert_eq!(
            chart.len() + kept.len(),
            expected.len(),
            "{name}: immunizations"
        );
        for e in expected {
            let in_chart = chart.iter().any(|c| {
                c["cvx"] == e["code"]
                    && s(&c["date"]) == day(&e["date"]).as_deref()
                    && (c["status"] == "refused" || c["status"] == "not-done")
                        == (e["negated"] == true)
            });
            let as_kept = kept.iter().any(|k| {
                codes(&k["vaccineCode"])
                    .iter()
                    .any(|c| Some(c.as_str()) == s(&e["code"]))
                    && day(&e["date"]).is_none()
            });
            assert!(
                in_chart || as_kept,
                "{name}: immunization {e} not in the chart: {chart:?}"
            );
        }

        // Results and vital signs: every observation, with its value, unit, range and time.
        let chart = rows(
            &p,
            "SELECT code, display, category, value_num, value_text, unit, ref_low, ref_high, flag, effective, panel FROM observation WHERE patient = ?1",
            &pid,
        );
        let kept = verbatim(&p, &pid, "Observation");
        for (section, category) in [("results", "lab"), ("vitals", "vital")] {
            let expected = x[section].as_array().unwrap();
            let in_chart: Vec<&Json> = chart.iter().filter(|c| c["category"] == category).collect();
            let kept_here: Vec<&Json> = kept
                .iter()
                .filter(|k| {
                    k["category"][0]["coding"][0]["code"]
                        == if category == "lab" {
                            "laboratory"
                        } else {
                            "vital-signs"
                        }
                })
                .collect();
            assert_eq!(
                in_chart.len() + kept_here.len(),
                expected.len(),
                "{name}: {section}: {in_chart:?} + verbatim {kept_here:?}"
            );
            for e in expected {
                let value: Option<f64> = e["value"].as_str().and_then(|v| v.parse().ok());
                let found = in_chart.iter().any(|c| {
                    c["code"] == e["code"]
                        && c["display"] == e["display"]
                        && c["value_num"].as_f64() == value
                        && c["unit"].as_str() == e["unit"].as_str().filter(|u| *u != "1")
                        && c["ref_low"].as_f64() == e["low"].as_str().and_then(|v| v.parse().ok())
                        && c["ref_high"].as_f64() == e["high"].as_str().and_then(|v| v.parse().ok())
                        && e["effective"].as_str().is_none_or(|t| {
                            if t.len() <= 8 {
                                // A date alone stays a date.
                                s(&c["effective"]).map(|c| &c[..10])
                                    == day(&e["effective"]).as_deref()
                            } else {
                                chart_instant(&c["effective"]) == instant(t)
                            }
                        })
                        && (section == "vitals" || c["panel"] == e["panel_code"])
                }) || (value.is_none()
                    && kept_here.iter().any(|k| {
                        codes(&k["code"])
                            .iter()
                            .any(|c| Some(c.as_str()) == s(&e["code"]))
                    }));
                assert!(
                    found,
                    "{name}: {section} {e} not in the chart: {in_chart:?}"
                );
            }
        }

        // Procedures.
        let chart = rows(
            &p,
            "SELECT code, description, date, status FROM clinical_procedure WHERE patient = ?1",
            &pid,
        );
        let expected = x["procedures"].as_array().unwrap();
        assert_eq!(chart.len(), expected.len(), "{name}: procedures {chart:?}");
        for e in expected {
            let found = chart.iter().any(|c| {
                c["code"] == e["code"]
                    && c["description"] == e["display"]
                    && s(&c["date"]) == day(&e["date"]).as_deref()
            });
            assert!(found, "{name}: procedure {e} not in the chart: {chart:?}");
        }

        // The document itself, kept whole.
        let docs = rows(
            &p,
            "SELECT title, mime, size, sha256 FROM document WHERE patient = ?1",
            &pid,
        );
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(docs.len(), 1, "{name}: the document is attached");
        assert_eq!(docs[0]["title"], x["document"]["title"]);
        assert_eq!(docs[0]["mime"], "text/xml");
        assert_eq!(docs[0]["size"], json!(bytes.len()));
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        assert_eq!(docs[0]["sha256"], json!(hex::encode(digest.as_ref())));
        let batch = rows(
            &p,
            "SELECT format FROM import_batch WHERE patient = ?1",
            &pid,
        );
        assert_eq!(batch, vec![json!({"format": "ccda"})]);

        // For the FHIR validators (scripts/test-fhir.sh, in CI): the resources the document
        // was read into, and the chart's export and IPS made from them.
        if let Some(out) = std::env::var_os("CHARTKEEP_FHIR_OUT").map(PathBuf::from) {
            std::fs::create_dir_all(&out).unwrap();
            let stem = name.trim_end_matches(".xml");
            let text = std::fs::read_to_string(&file).unwrap();
            let read = chartkeep::interop::ccda::resources(name, &text).expect("reads");
            let bundle = json!({
                "resourceType": "Bundle",
                "id": format!("ccda-{stem}-read"),
                "type": "collection",
                "entry": read.iter().map(|r| json!({
                    "fullUrl": format!("urn:uuid:{}", r.json["id"].as_str().unwrap()),
                    "resource": r.json,
                })).collect::<Vec<_>>(),
            });
            let write = |file: &str, v: &Json| {
                std::fs::write(out.join(file), serde_json::to_vec_pretty(v).unwrap()).unwrap()
            };
            write(&format!("ccda-{stem}-read.json"), &bundle);
            let export = api::call(
                &mut p,
                &mut s_,
                "export.fhir_patient",
                json!({"patient": pid}),
            )
            .expect("export");
            write(&format!("ccda-{stem}-chart.json"), &export["bundle"]);
            let ips =
                api::call(&mut p, &mut s_, "export.ips", json!({"patient": pid})).expect("ips");
            write(&format!("ccda-{stem}-ips.json"), &ips["bundle"]);
        }
    }
}

#[test]
fn a_document_imported_again_writes_nothing_and_its_patient_waits_when_already_here() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut s) = empty_practice(tmp.path(), 8);
    let file = data("ccd-1.xml");
    let first = import(
        &mut p,
        &mut s,
        vec![Input::Path(file.clone())],
        OnMatch::Ask,
    );
    assert!(first.complete, "{:?}", first.problems);
    let commits = |p: &Practice| -> i64 {
        p.reader()
            .query_row("SELECT count(*) FROM ledger_commit", [], |r| r.get(0))
            .unwrap()
    };
    let head = commits(&p);
    let again = import(
        &mut p,
        &mut s,
        vec![Input::Path(file.clone())],
        OnMatch::Ask,
    );
    assert!(again.complete);
    assert_eq!(again.unchanged, 1, "the same document again is unchanged");
    assert_eq!(commits(&p), head, "nothing written");
    let verified = p.verify().expect("verify");
    assert!(verified.ok(), "{verified:?}");

    // The same patient registered by hand (same name and birth date) in another practice:
    // the document waits for a decision, then links.
    let tmp2 = tempfile::tempdir().unwrap();
    let (mut q, mut t) = empty_practice(tmp2.path(), 9);
    let eve = api::call(
        &mut q,
        &mut t,
        "patient.create",
        json!({"family": "Betterhalf", "given": ["Eve"], "birth_date": "1975-05-01", "sex": "female"}),
    )
    .expect("register");
    let waiting = import(
        &mut q,
        &mut t,
        vec![Input::Path(file.clone())],
        OnMatch::Ask,
    );
    assert!(!waiting.complete);
    assert_eq!(waiting.waiting.len(), 1);
    let w = &waiting.waiting[0];
    assert_eq!(w.candidates.len(), 1);
    assert_eq!(
        w.candidates[0].patient.to_string(),
        eve["id"].as_str().unwrap()
    );
    let problems = |q: &Practice| -> i64 {
        q.reader()
            .query_row("SELECT count(*) FROM problem", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(problems(&q), 0, "nothing of a waiting patient is written");
    let linked = api::import_fhir(
        &mut q,
        &mut t,
        vec![Input::Path(file)],
        OnMatch::Ask,
        &[ImportDecision {
            source: w.source.clone(),
            patient: Some(w.candidates[0].patient),
        }],
        &mut |_| {},
    )
    .expect("import");
    assert!(linked.complete, "{:?}", linked.problems);
    assert_eq!(linked.patients.len(), 1);
    assert!(!linked.patients[0].new);
    assert_eq!(linked.patients[0].patient, w.candidates[0].patient);
    assert!(problems(&q) > 0, "the problems joined Eve's chart");
}

fn doc(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="2.16.840.1.113883.19.5" extension="bad-1"/>
  <title>Test</title>
  <effectiveTime value="20260101120000-0500"/>
  <recordTarget><patientRole><id root="2.16.840.1.113883.19.5.1" extension="77"/>
    <patient><name><given>Ada</given><family>Test</family></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19800101"/></patient></patientRole></recordTarget>
  <component><structuredBody>{body}</structuredBody></component>
</ClinicalDocument>"#
    )
}

fn problem_section(onset: &str) -> String {
    format!(
        r#"<component><section><templateId root="2.16.840.1.113883.10.20.22.2.5.1"/><title>Problems</title><text/>
      <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/><statusCode code="active"/>
        <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.4"/>
          <id root="2.16.840.1.113883.19.5.9" extension="p1"/>
          <effectiveTime><low value="{onset}"/></effectiveTime>
          <value xsi:type="CD" code="38341003" codeSystem="2.16.840.1.113883.6.96" displayName="Hypertension"/>
        </observation></entryRelationship></act></entry></section></component>"#
    )
}

#[test]
fn bad_documents_are_refused_where_they_are_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut s) = empty_practice(tmp.path(), 10);
    let input = |name: &str, text: String| Input::Bytes {
        name: name.into(),
        bytes: text.into_bytes(),
    };
    let report = import(
        &mut p,
        &mut s,
        vec![
            input(
                "cut.xml",
                doc(&problem_section("20200101"))[..300].to_string(),
            ),
            input("badtime.xml", doc(&problem_section("2020-01-01"))),
            input(
                "two.xml",
                doc("").replace(
                    "<recordTarget>",
                    "<recordTarget><patientRole/></recordTarget><recordTarget>",
                ),
            ),
            input(
                "dtd.xml",
                format!("<!DOCTYPE x [<!ENTITY e \"boom\">]>{}", doc("")),
            ),
            input("good.xml", doc(&problem_section("20200101"))),
        ],
        OnMatch::Ask,
    );
    assert!(!report.complete);
    let by_file: BTreeMap<&str, &str> = report
        .problems
        .iter()
        .map(|p| (p.file.as_str(), p.message.as_str()))
        .collect();
    assert!(by_file["cut.xml"].contains("malformed XML"), "{by_file:?}");
    assert!(by_file["badtime.xml"].contains("'2020-01-01' is not an HL7 time stamp"));
    let bad_time = report
        .problems
        .iter()
        .find(|p| p.file == "badtime.xml")
        .unwrap();
    assert!(
        bad_time.path.ends_with("/observation/effectiveTime/low"),
        "the place in the XML: {}",
        bad_time.path
    );
    assert!(by_file["two.xml"].contains("2 patients"));
    assert!(
        by_file.contains_key("dtd.xml"),
        "a DTD is refused: {by_file:?}"
    );
    assert!(!by_file.contains_key("good.xml"));
    // Only the good document's patient was written.
    assert_eq!(report.patients.len(), 1);
    let n: i64 = p
        .reader()
        .query_row("SELECT count(*) FROM problem", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}
