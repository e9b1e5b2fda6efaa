//! Each default registry: a patient on the list (with the reason) and one
//! just off it.

use chrono::NaiveDate;

use super::*;
use crate::care::facts::{Medication, Observation, Problem};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn person(birth: &str) -> Facts {
    serde_json::from_value(serde_json::json!({"birth_date": birth, "sex": "female"})).unwrap()
}

fn problem(code: &str) -> Problem {
    Problem {
        system: None,
        code: code.into(),
        display: "x".into(),
        onset: None,
        resolved: None,
        active: true,
    }
}

fn med(name: &str) -> Medication {
    Medication {
        name: name.into(),
        rxnorm: None,
        active: true,
        start: Some(d("2020-01-01")),
        stop: None,
    }
}

fn obs(loinc: &str, value: f64, unit: Option<&str>, date: &str) -> Observation {
    Observation {
        loinc: loinc.into(),
        value_num: Some(value),
        unit: unit.map(str::to_string),
        date: d(date),
    }
}

fn check(id: &str, facts: &Facts, on: &str) -> Option<Why> {
    evaluate(
        RegistrySet::shipped().get(id).expect("registry"),
        facts,
        d(on),
    )
}

const ON: &str = "2025-06-15";

#[test]
fn diabetes_with_a_high_or_missing_hba1c() {
    let mut facts = person("1960-01-01");
    facts.problems.push(problem("E11.9"));
    let why = check("diabetes_a1c", &facts, ON).expect("no HbA1c at all");
    assert_eq!(why.flags, vec!["no HbA1c on record".to_string()]);
    assert!(why.because.iter().any(|b| b.contains("E11.9")));
    facts
        .observations
        .push(obs("4548-4", 9.4, Some("%"), "2025-04-01"));
    let why = check("diabetes_a1c", &facts, ON).expect("9.4 is above 9");
    assert!(why.flags[0].contains("9.4"), "{:?}", why.flags);
    facts
        .observations
        .push(obs("4548-4", 9.0, Some("%"), "2025-05-01"));
    assert_eq!(
        check("diabetes_a1c", &facts, ON),
        None,
        "9.0 is not above 9"
    );
    // A result in mmol/mol is not compared with 9 %, but it is a recent test.
    facts
        .observations
        .push(obs("4548-4", 75.0, Some("mmol/mol"), "2025-06-01"));
    assert_eq!(check("diabetes_a1c", &facts, ON), None);
    // None in 12 months: a test exactly 12 months ago no longer counts.
    let mut facts = person("1960-01-01");
    facts.problems.push(problem("E11.9"));
    facts
        .observations
        .push(obs("4548-4", 7.0, Some("%"), "2024-06-15"));
    let why = check("diabetes_a1c", &facts, ON).expect("12 months ago today");
    assert!(why.flags[0].contains("12 months"), "{:?}", why.flags);
    facts.observations[0].date = d("2024-06-16");
    assert_eq!(check("diabetes_a1c", &facts, ON), None);
    // Not diabetic: never on the list.
    facts.problems.clear();
    facts.observations.clear();
    assert_eq!(check("diabetes_a1c", &facts, ON), None);
}

#[test]
fn hypertension_with_the_last_reading_at_or_above_140_over_90() {
    let mut facts = person("1960-01-01");
    facts.problems.push(problem("I10"));
    facts
        .observations
        .push(obs("8480-6", 160.0, None, "2025-01-01"));
    facts
        .observations
        .push(obs("8462-4", 95.0, None, "2025-01-01"));
    facts
        .observations
        .push(obs("8480-6", 138.0, None, "2025-05-01"));
    facts
        .observations
        .push(obs("8462-4", 88.0, None, "2025-05-01"));
    assert_eq!(
        check("hypertension_uncontrolled", &facts, ON),
        None,
        "the last reading counts"
    );
    facts
        .observations
        .push(obs("8480-6", 130.0, None, "2025-06-01"));
    facts
        .observations
        .push(obs("8462-4", 90.0, None, "2025-06-01"));
    let why = check("hypertension_uncontrolled", &facts, ON).expect("diastolic 90");
    assert!(why.flags[0].contains("130/90"), "{:?}", why.flags);
    facts.problems.clear();
    assert_eq!(check("hypertension_uncontrolled", &facts, ON), None);
}

#[test]
fn warfarin_with_no_inr_in_six_weeks() {
    let mut facts = person("1950-01-01");
    facts
        .medications
        .push(med("Warfarin Sodium 5 MG Oral Tablet"));
    facts
        .observations
        .push(obs("6301-6", 2.5, None, "2025-05-04"));
    let why = check("warfarin_inr", &facts, ON).expect("42 days ago");
    assert!(why.flags[0].contains("6 weeks"), "{:?}", why.flags);
    assert!(why.because[0].contains("warfarin"));
    facts.observations[0].date = d("2025-05-05");
    assert_eq!(check("warfarin_inr", &facts, ON), None, "41 days ago");
    facts.observations.clear();
    facts.medications[0].active = false;
    assert_eq!(
        check("warfarin_inr", &facts, ON),
        None,
        "not taking warfarin"
    );
}

#[test]
fn statins_without_a_lipid_panel() {
    let mut facts = person("1960-01-01");
    facts.medications.push(med("Simvastatin 20 MG Oral Tablet"));
    let why = check("statin_lipids", &facts, ON).expect("no lipids");
    assert_eq!(why.flags, vec!["no lipid panel on record".to_string()]);
    facts
        .observations
        .push(obs("18262-6", 99.0, None, "2025-01-01"));
    assert_eq!(check("statin_lipids", &facts, ON), None);
}

#[test]
fn metformin_without_egfr() {
    let mut facts = person("1960-01-01");
    facts.medications.push(med(
        "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
    ));
    facts
        .observations
        .push(obs("33914-3", 70.0, None, "2024-05-01"));
    assert!(check("metformin_egfr", &facts, ON).is_some());
    facts
        .observations
        .push(obs("98979-8", 68.0, None, "2025-05-01"));
    assert_eq!(check("metformin_egfr", &facts, ON), None);
}

#[test]
fn ace_inhibitors_and_arbs_need_potassium_and_creatinine() {
    let mut facts = person("1960-01-01");
    facts.medications.push(med("Lisinopril 10 MG Oral Tablet"));
    facts
        .observations
        .push(obs("2823-3", 4.1, None, "2025-03-01"));
    let why = check("acei_arb_labs", &facts, ON).expect("no creatinine");
    assert_eq!(why.flags, vec!["no creatinine on record".to_string()]);
    facts
        .observations
        .push(obs("2160-0", 1.0, None, "2025-03-01"));
    assert_eq!(check("acei_arb_labs", &facts, ON), None);
    let mut arb = person("1960-01-01");
    arb.medications
        .push(med("Losartan Potassium 50 MG Oral Tablet"));
    assert_eq!(check("acei_arb_labs", &arb, ON).unwrap().flags.len(), 2);
}

#[test]
fn children_behind_on_vaccines() {
    let mut child = person("2020-03-01");
    assert_eq!(check("children_vaccines_overdue", &child, ON), None);
    child.overdue_vaccine_groups = vec!["DTaP".into(), "MMR".into()];
    let why = check("children_vaccines_overdue", &child, ON).expect("overdue groups");
    assert!(why.flags[0].contains("DTaP, MMR"));
    let mut adult = person("2007-06-15");
    adult.overdue_vaccine_groups = vec!["HPV".into()];
    assert_eq!(
        check("children_vaccines_overdue", &adult, ON),
        None,
        "18 today"
    );
    adult.birth_date = d("2007-06-16");
    assert!(
        check("children_vaccines_overdue", &adult, ON).is_some(),
        "17 until tomorrow"
    );
}

#[test]
fn a_practice_adds_a_registry_as_data() {
    let lists = CodeLists::shipped();
    let json = r#"[{"id": "ckd_low_egfr", "title": "CKD with eGFR under 30",
        "population": {"requires": [{"kind": "problem", "codes": [{"system": "icd10cm", "code": "N18", "display": "Chronic kidney disease (CKD)"}]}]},
        "flag_when": [{"kind": "latest_result", "label": "eGFR", "loinc": [{"code": "33914-3", "display": "eGFR"}], "comparator": "<", "value": 30}]}]"#;
    let set = RegistrySet::shipped().with_additions(json, lists).unwrap();
    assert_eq!(
        set.registries.len(),
        RegistrySet::shipped().registries.len() + 1
    );
    let mut facts = person("1950-01-01");
    facts.problems.push(problem("N18.4"));
    facts
        .observations
        .push(obs("33914-3", 24.0, None, "2025-05-01"));
    let why = evaluate(set.get("ckd_low_egfr").unwrap(), &facts, d(ON)).unwrap();
    assert!(why.flags[0].contains("24"));
}

#[test]
fn mistakes_in_a_practice_registry_name_the_field() {
    let lists = CodeLists::shipped();
    let base = RegistrySet::shipped();
    let cases = [
        (
            r#"[{"id":"x","title":"X","population":{},"flag_when":[{"kind":"no_result_within","label":"A","loinc":[{"code":"4548-5","display":"bad"}],"months":12}]}]"#,
            "[0].flag_when[0].loinc[0].code",
        ),
        (
            r#"[{"id":"x","title":"X","population":{"requires":[{"kind":"problem","list":"diabetis"}]},"flag_when":[{"kind":"overdue_vaccines"}]}]"#,
            "[0].population.requires[0].list",
        ),
        (
            r#"[{"id":"x","title":"X","population":{"requires":[{"kind":"medication","class":"statin"}]},"flag_when":[{"kind":"overdue_vaccines"}]}]"#,
            "[0].population.requires[0].class",
        ),
        (
            r#"[{"id":"diabetes_a1c","title":"X","population":{},"flag_when":[{"kind":"overdue_vaccines"}]}]"#,
            "[0].id",
        ),
        (
            r#"[{"id":"x","title":"X","population":{},"flag_when":[{"kind":"no_result_within","label":"A","loinc":[{"code":"4548-4","display":"A1c"}]}]}]"#,
            "[0].flag_when[0].months",
        ),
        (
            r#"[{"id":"x","title":"X","population":{},"flag_when":[{"kind":"sometimes"}]}]"#,
            "[0].flag_when[0].kind",
        ),
        (r#"[{"id":"x","population":{},"flag_when":[]}]"#, "[0]"),
    ];
    for (json, path) in cases {
        let err = base.with_additions(json, lists).unwrap_err();
        assert_eq!(err.path(), path, "{err}");
    }
}

#[test]
fn practice_lists_show_why_each_patient_is_on_them() {
    let mut a = person("1960-01-01");
    a.problems.push(problem("E11.9"));
    let b = person("2021-01-01");
    let mut c = person("2021-01-01");
    c.overdue_vaccine_groups = vec!["MMR".into()];
    let patients = vec![
        (
            PatientRef {
                id: "1".into(),
                mrn: "001".into(),
                name: "Zed, Ann".into(),
                phone: Some("555-0101".into()),
            },
            a,
        ),
        (
            PatientRef {
                id: "2".into(),
                mrn: "002".into(),
                name: "Bee".into(),
                phone: None,
            },
            b,
        ),
        (
            PatientRef {
                id: "3".into(),
                mrn: "003".into(),
                name: "Cee".into(),
                phone: None,
            },
            c,
        ),
    ];
    let lists = registry_lists(RegistrySet::shipped(), patients, d(ON));
    assert_eq!(lists.len(), RegistrySet::shipped().registries.len());
    let diabetes = lists.iter().find(|l| l.registry == "diabetes_a1c").unwrap();
    assert_eq!(diabetes.count, 1);
    assert_eq!(diabetes.rows[0].patient.mrn, "001");
    let vaccines = lists
        .iter()
        .find(|l| l.registry == "children_vaccines_overdue")
        .unwrap();
    assert_eq!(vaccines.count, 1);
    let csv = registries_to_csv(&lists);
    assert!(csv.contains("\"Zed, Ann\""), "{csv}");
    assert_eq!(csv.lines().count(), 3);
}
