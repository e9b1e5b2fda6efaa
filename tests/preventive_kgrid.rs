//! The KGrid USPSTF collection's boundary cases, read in place from
//! `../shared/data/cds/preventive/kgrid-uspstf/<object>/tests/test_knowledge.py`
//! (MIT, © 2024 Regents of the University of Michigan), run against
//! Chartkeep's rule table.
//!
//! KGrid reports "inclusion" for any graded statement, C, D and I included;
//! Chartkeep ships only the A and B recommendations, so a case KGrid answers
//! with a C, D or I statement is expected to be "not applicable" here. Those
//! cases are either recognised by their grade assertion or listed in
//! [`EXCEPTIONS`] with the reason, checked against the USPSTF statement.

use std::collections::BTreeMap;
use std::path::Path;

use chartkeep::care::facts::{Facts, Observation, Problem, RiskEstimate, Sex, TobaccoUse};
use chartkeep::care::preventive::{evaluate, RuleSet, Settings, Status};
use chrono::NaiveDate;

const ROOT: &str = "../shared/data/cds/preventive/kgrid-uspstf";

/// (object, arguments as written) → why Chartkeep does not list the case.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "abdominal-aortic-aneurysm-screening",
        "age = 30, gender= 0, has_never_smoked= True",
        "KGrid returns the grade D statement (do not screen women who never smoked); only A/B ship",
    ),
    (
        "abdominal-aortic-aneurysm-screening",
        "age = 80, gender= 0, has_never_smoked= True",
        "KGrid returns the grade D statement (do not screen women who never smoked); only A/B ship",
    ),
];

/// The Chartkeep rule each object corresponds to.
const OBJECTS: &[(&str, &str)] = &[
    ("abdominal-aortic-aneurysm-screening", "aaa_screening"),
    ("hypertension-screening", "hypertension_screening"),
    ("diabetes-screening", "diabetes_screening"),
    (
        "cardiovascular-prevention-statin-use",
        "statin_primary_prevention",
    ),
    (
        "cardiovascular-prevention-diet-activity",
        "cvd_diet_activity_counseling",
    ),
    ("high-body-mass-index", "high_bmi_children"),
    (
        "prevent-obesity-morbidity-mortality",
        "obesity_adults_behavioral",
    ),
    (
        "pregnancy-healthy-weight-gain",
        "healthy_weight_gain_pregnancy",
    ),
];

#[derive(Debug, Default)]
struct Case {
    inclusion: Option<bool>,
    grade: Option<String>,
}

/// The cases of one test file: arguments → what KGrid expects.
fn parse(text: &str) -> BTreeMap<String, Case> {
    let mut cases: BTreeMap<String, Case> = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("assert"))
    {
        let negated = line.starts_with("assert not");
        let (Some(open), Some(close)) = (line.find('('), line.rfind(")[")) else {
            continue;
        };
        let args = line[open + 1..close].trim().to_string();
        let rest = &line[close + 1..];
        let case = cases.entry(args).or_default();
        if rest.starts_with("[\"inclusion\"]") {
            case.inclusion = Some(!negated);
        } else if let Some(grade) = rest.strip_prefix("[\"grade\"] == \"") {
            case.grade = Some(grade.trim_end_matches('"').to_string());
            case.inclusion.get_or_insert(true);
        }
    }
    cases
}

fn args(text: &str) -> BTreeMap<String, String> {
    text.split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn on() -> NaiveDate {
    "2025-06-01".parse().unwrap()
}

fn facts_for(object: &str, a: &BTreeMap<String, String>) -> Facts {
    let num = |k: &str| a.get(k).map(|v| v.parse::<f64>().expect(k));
    let yes = |k: &str| a.get(k).map(|v| v == "True");
    let age = num("age").unwrap_or(30.0) as i32;
    // KGrid codes gender as 0 for women and 1 for men.
    let sex = if num("gender").is_some_and(|g| g >= 1.0) {
        Sex::Male
    } else {
        Sex::Female
    };
    let mut facts: Facts = serde_json::from_value(serde_json::json!({
        "birth_date": NaiveDate::from_ymd_opt(2025 - age, 6, 1).unwrap(),
        "sex": sex,
    }))
    .unwrap();
    let date: NaiveDate = "2025-05-01".parse().unwrap();
    let observation = |loinc: &str, v: f64| Observation {
        loinc: loinc.into(),
        value_num: Some(v),
        unit: None,
        date,
    };
    let problem = |code: &str| Problem {
        system: None,
        code: code.into(),
        display: String::new(),
        onset: None,
        resolved: None,
        active: true,
    };
    match object {
        "abdominal-aortic-aneurysm-screening" => {
            let never = yes("has_never_smoked").unwrap();
            facts.tobacco.push(TobaccoUse {
                status: if never { "never" } else { "former" }.into(),
                date,
                pack_years: None,
                quit_date: None,
            });
        }
        "hypertension-screening" if yes("hypertension") == Some(true) => {
            facts.problems.push(problem("I10"))
        }
        "diabetes-screening" | "prevent-obesity-morbidity-mortality" => facts
            .observations
            .push(observation("39156-5", num("bmi").unwrap())),
        "high-body-mass-index" => facts
            .observations
            .push(observation("59576-9", num("bmi_percentile").unwrap())),
        "cardiovascular-prevention-statin-use" | "cardiovascular-prevention-diet-activity" => {
            if yes("has_cardiovascular_risk_factors") == Some(true) {
                // A risk factor KGrid names: dyslipidemia for the statin
                // object, hypertension for the counselling one.
                facts.problems.push(problem(if object.contains("statin") {
                    "E78.5"
                } else {
                    "I10"
                }));
            }
            if let Some(risk) = num("ten_year_CVD_risk") {
                facts.ten_year_cvd_risk = Some(RiskEstimate {
                    percent: risk,
                    date,
                    method: "test".into(),
                });
            }
        }
        "pregnancy-healthy-weight-gain" => facts.pregnancy = yes("pregnant"),
        _ => {}
    }
    facts
}

#[test]
fn kgrid_uspstf_boundary_cases() {
    if !Path::new(ROOT).is_dir() {
        eprintln!("skipping KGrid USPSTF cases: {ROOT} not found");
        return;
    }
    let mut compared = 0;
    for (object, rule) in OBJECTS {
        let path = format!("{ROOT}/{object}/tests/test_knowledge.py");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let cases = parse(&text);
        assert!(!cases.is_empty(), "{path} has no cases");
        for (arguments, case) in &cases {
            let included = case
                .inclusion
                .expect("every case asserts inclusion or a grade");
            let exception = EXCEPTIONS
                .iter()
                .find(|(o, a, _)| o == object && a == arguments);
            let graded_ab = case.grade.as_deref().is_none_or(|g| g == "A" || g == "B");
            let expected = included && graded_ab && exception.is_none();
            let facts = facts_for(object, &args(arguments));
            let status = evaluate(RuleSet::shipped(), &Settings::default(), &facts, on())
                .into_iter()
                .find(|s| s.rule == *rule)
                .unwrap();
            let applies = !matches!(status.status, Status::NotApplicable { .. });
            assert_eq!(
                applies, expected,
                "{path}: ({arguments}) KGrid {case:?}; Chartkeep {:?}: {}",
                status.status, status.explanation.why
            );
            compared += 1;
        }
    }
    eprintln!("compared {compared} KGrid cases");
    assert!(compared >= 30, "only {compared} cases compared");
}
