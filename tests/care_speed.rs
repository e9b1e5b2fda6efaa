//! How long the practice-wide lists take over many patients. Ignored by
//! default (it measures, and the numbers depend on the machine); run with
//! `cargo test --test care_speed -- --ignored --nocapture`.

use std::time::Instant;

use chartkeep::care::facts::Facts;
use chartkeep::care::preventive::{due_list, evaluate, PatientRef, RuleSet, Settings};
use chartkeep::care::registries::{registry_lists, RegistrySet};
use chrono::NaiveDate;

fn patient(i: usize) -> (PatientRef, Facts) {
    let year = 1935 + (i % 85) as i32;
    let sex = if i % 2 == 0 { "female" } else { "male" };
    let facts: Facts = serde_json::from_value(serde_json::json!({
        "birth_date": format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
        "sex": sex,
        "problems": [{"code": if i % 3 == 0 { "E11.9" } else { "I10" }, "display": "", "active": true}],
        "procedures": [{"system": "snomed", "code": "73761001", "display": "Colonoscopy", "date": "2018-03-01"}],
        "observations": [
            {"loinc": "4548-4", "value_num": 7.0 + (i % 40) as f64 / 10.0, "unit": "%", "date": "2024-11-01"},
            {"loinc": "8480-6", "value_num": 120.0 + (i % 40) as f64, "date": "2025-03-01"},
            {"loinc": "8462-4", "value_num": 80.0, "date": "2025-03-01"},
            {"loinc": "39156-5", "value_num": 22.0 + (i % 12) as f64, "date": "2025-03-01"}
        ],
        "medications": [
            {"name": "Lisinopril 10 MG Oral Tablet", "active": true},
            {"name": "Atorvastatin 20 MG Oral Tablet", "active": i % 2 == 0}
        ],
        "tobacco": [{"status": if i % 4 == 0 { "current" } else { "never" }, "date": "2025-01-01", "pack_years": 25.0}]
    }))
    .unwrap();
    let p = PatientRef {
        id: i.to_string(),
        mrn: format!("{i:07}"),
        name: format!("Patient {i}"),
        phone: Some("555-0100".into()),
    };
    (p, facts)
}

#[test]
#[ignore = "a measurement, not a check"]
fn lists_over_100_000_patients() {
    let patients: Vec<(PatientRef, Facts)> = (0..100_000).map(patient).collect();
    let from = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let (rules, settings) = (RuleSet::shipped(), Settings::default());
    let _ = RegistrySet::shipped();

    let start = Instant::now();
    for (_, facts) in patients.iter().take(10_000) {
        std::hint::black_box(evaluate(rules, &settings, facts, from));
    }
    eprintln!(
        "one patient, all preventive rules: {:?}",
        start.elapsed() / 10_000
    );

    let start = Instant::now();
    let list = due_list(
        rules,
        &settings,
        patients.iter().map(|(p, f)| (p.clone(), f)),
        (from, to),
    );
    eprintln!(
        "due list, 100,000 patients: {:?} ({} rows)",
        start.elapsed(),
        list.rows.len()
    );

    let start = Instant::now();
    let lists = registry_lists(
        RegistrySet::shipped(),
        patients.iter().map(|(p, f)| (p.clone(), f)),
        from,
    );
    let on_lists: usize = lists.iter().map(|l| l.count).sum();
    eprintln!(
        "registries, 100,000 patients: {:?} ({on_lists} rows)",
        start.elapsed()
    );

    assert!(!list.rows.is_empty());
    assert!(on_lists > 0);
}
