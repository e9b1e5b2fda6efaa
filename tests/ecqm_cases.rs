//! The five quality measures against their official test patients
//! (`../shared/data/cds/ecqm/input/tests/measure/<measure>/<case>/`, read in place): for
//! every case a fresh practice, the value sets and the case's FHIR resources imported
//! through the same import the CLI uses, the measure evaluated for 2025, and every
//! population count compared with the case's expected MeasureReport. A case that
//! disagrees must be listed in `tests/data/ecqm/exceptions.tsv` with its reason. Writes a
//! per-measure table to `<target>/test-artifacts/ecqm-report.md`.
//!
//! Each case is a folder of single-resource files, imported as the CLI imports a folder
//! (its files read together). The test patients reuse one identifier and often a name and birth date, so each case
//! gets its own practice: a copy of one made (and given the value sets) once, since
//! making a practice derives keys and hashes passwords.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chartkeep::api::{self, Session};
use chartkeep::care::measures::value_sets;
use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::demo::{self, DEMO_PASSWORD};
use chartkeep::interop::fhir::import::{Input, OnMatch};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::header::Header;
use chartkeep::vault::keys::DbKey;
use chartkeep::vault::KeyPlan;
use serde_json::{json, Value as Json};

const DATA: &str = "../shared/data/cds/ecqm";
const EXCEPTIONS: &str = "tests/data/ecqm/exceptions.tsv";
const NOW: &str = "2026-11-01T12:00:00Z";

const MEASURES: [(&str, &str); 5] = [
    (
        "CMS122",
        "DiabetesGlycemicStatusAssessmentGreaterThan9PercentFHIR",
    ),
    ("CMS165", "ControllingHighBloodPressureFHIR"),
    ("CMS125", "BreastCancerScreeningFHIR"),
    ("CMS130", "ColonCancerScreeningFHIR"),
    (
        "CMS138",
        "PreventiveCareAndTobaccoUseScreeningAndCessationInterventionFHIR",
    ),
];

const POPULATIONS: [(&str, &str); 5] = [
    ("initial-population", "initial_population"),
    ("denominator", "denominator"),
    ("denominator-exclusion", "denominator_exclusion"),
    ("denominator-exception", "denominator_exception"),
    ("numerator", "numerator"),
];

struct Template {
    dir: tempfile::TempDir,
    key: DbKey,
    header: Header,
    clinician: Session,
}

/// A practice with the demo staff and the value sets, closed, to copy for each case.
fn template(vs_dir: &Path) -> Template {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut p, _) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("ecqm test passphrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(11)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    demo::populate(&mut p, 0, 11, &mut |_| {}).expect("demo staff");
    let mut admin = api::login(&mut p, "admin", "admin-password-1").expect("admin login");
    let (sets, skipped) = value_sets::read_dir(vs_dir).expect("value sets read");
    assert!(skipped.is_empty(), "value set files skipped: {skipped:?}");
    let report = api::import_value_sets(&mut p, &mut admin, &sets, Default::default())
        .expect("value sets import");
    assert_eq!(report.added, sets.len());
    // Importing the same export again writes nothing.
    let again = api::import_value_sets(&mut p, &mut admin, &sets, Default::default())
        .expect("value sets again");
    assert_eq!((again.added, again.updated), (0, 0));
    let mut clinician = api::login(&mut p, "drlee", DEMO_PASSWORD).expect("login");
    let listed = api::call(&mut p, &mut clinician, "measure.list", json!({})).expect("list");
    assert_eq!(listed.as_array().map(Vec::len), Some(5));
    for m in listed.as_array().into_iter().flatten() {
        assert_eq!(m["value_sets_imported"], true, "{m}");
    }
    let key = p.key().clone();
    let header = p.header().clone();
    drop(p);
    Template {
        dir,
        key,
        header,
        clinician,
    }
}

fn copy_practice(t: &Template) -> (tempfile::TempDir, Practice) {
    let dir = tempfile::tempdir().expect("temp dir");
    for e in std::fs::read_dir(t.dir.path()).expect("template") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    let p = Practice::open(
        dir.path(),
        t.key.clone(),
        t.header.clone(),
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(12)),
    )
    .expect("open the copy");
    (dir, p)
}

/// Expected counts per group, from the case's MeasureReport.
fn expected(report: &Json) -> Vec<BTreeMap<String, i64>> {
    report["group"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            g["population"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some((
                        p["code"]["coding"][0]["code"].as_str()?.to_string(),
                        p["count"].as_i64().unwrap_or(0),
                    ))
                })
                .collect()
        })
        .collect()
}

fn exceptions(root: &Path) -> BTreeMap<(String, String), String> {
    std::fs::read_to_string(root.join(EXCEPTIONS))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let m = parts.next().unwrap_or_default().trim().to_string();
            let c = parts.next().unwrap_or_default().trim().to_string();
            let reason = parts.next().unwrap_or_default().trim().to_string();
            assert!(!reason.is_empty(), "{EXCEPTIONS}: {m} {c} needs a reason");
            ((m, c), reason)
        })
        .collect()
}

fn artifact_path() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join("test-artifacts")
        .join("ecqm-report.md")
}

#[test]
fn ecqm_official_test_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join(DATA);
    let vs_dir = data.join("input/vocabulary/valueset/external");
    let cases_dir = data.join("input/tests/measure");
    if !vs_dir.is_dir() || !cases_dir.is_dir() {
        if std::env::var("CHARTKEEP_REQUIRE_ECQM").as_deref() == Ok("1") {
            panic!("CHARTKEEP_REQUIRE_ECQM=1 but {DATA} is not there");
        }
        eprintln!(
            "skipping eCQM test cases: {} or {} not found",
            vs_dir.display(),
            cases_dir.display()
        );
        return;
    }
    let only = std::env::var("ECQM_MEASURE").ok();
    let t = template(&vs_dir);
    let known = exceptions(root);
    let mut table = String::from(
        "# eCQM official test cases\n\nMeasurement period 2025-01-01..2025-12-31; command: `cargo test -p chartkeep --test ecqm_cases`.\n\n| measure | cases | equal | listed exceptions | unexpected |\n|---|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    let mut details = String::new();
    for (measure, folder) in MEASURES {
        if only.as_deref().is_some_and(|o| o != measure) {
            continue;
        }
        let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir.join(folder))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        cases.sort();
        let (mut equal, mut excused, mut wrong) = (0, 0, 0);
        for case in &cases {
            let uuid = case
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let mut files: Vec<PathBuf> = std::fs::read_dir(case)
                .expect("case folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            let (reports, resources): (Vec<PathBuf>, Vec<PathBuf>) =
                files.into_iter().partition(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .starts_with("MeasureReport")
                });
            let report: Json =
                serde_json::from_str(&std::fs::read_to_string(&reports[0]).expect("MeasureReport"))
                    .expect("MeasureReport JSON");
            let description = report["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| {
                    e["url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with("testCaseDescription"))
                })
                .and_then(|e| e["valueMarkdown"].as_str())
                .unwrap_or_default()
                .replace('\n', " ");
            let (_dir, mut p) = copy_practice(&t);
            let mut s = t.clinician.clone();
            let imported = api::import_fhir(
                &mut p,
                &mut s,
                resources.into_iter().map(Input::Path).collect(),
                OnMatch::New,
                &[],
                &mut |_| {},
            )
            .expect("import");
            assert!(
                imported.problems.is_empty(),
                "{measure} {uuid}: import problems {:?}",
                imported.problems
            );
            let got = api::call(
                &mut p,
                &mut s,
                "measure.evaluate",
                json!({"measure": measure, "from": "2025-01-01", "to": "2025-12-31"}),
            )
            .unwrap_or_else(|e| panic!("{measure} {uuid}: {e:?}"));
            let want = expected(&report);
            let mut diffs = Vec::new();
            for (g, w) in want.iter().enumerate() {
                for (code, key) in POPULATIONS {
                    let expect = w.get(code).copied().unwrap_or(0);
                    let have = got["groups"][g][key]["count"].as_i64().unwrap_or(-1);
                    if expect != have {
                        diffs.push(format!(
                            "group {} {code}: expected {expect}, got {have}",
                            g + 1
                        ));
                    }
                }
            }
            if diffs.is_empty() {
                equal += 1;
            } else {
                let line = format!("{measure} {uuid} ({description}): {}", diffs.join("; "));
                let why: Vec<String> = got["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|g| {
                        POPULATIONS
                            .iter()
                            .filter_map(|(_, k)| {
                                g[k]["patients"][0]["because"]
                                    .as_str()
                                    .map(|b| format!("{k}: {b}"))
                            })
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .collect();
                match known.get(&(measure.to_string(), uuid.clone())) {
                    Some(reason) => {
                        excused += 1;
                        details.push_str(&format!("- exception: {line} — {reason}\n"));
                    }
                    None => {
                        wrong += 1;
                        details.push_str(&format!(
                            "- UNEXPECTED: {line}; why: {}\n",
                            why.join(" // ")
                        ));
                        failures.push(line);
                    }
                }
            }
        }
        table.push_str(&format!(
            "| {measure} | {} | {equal} | {excused} | {wrong} |\n",
            cases.len()
        ));
    }
    table.push('\n');
    table.push_str(&details);
    let out = artifact_path();
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&out, &table);
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "{} cases disagree with their expected MeasureReport and are not in {EXCEPTIONS}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
