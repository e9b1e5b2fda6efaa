//! Boundary cases per rule. Expected ages, sexes and intervals are written
//! here from the USPSTF statements themselves, not read from the rule table,
//! so a wrong edit to `assets/preventive_rules.json` fails these tests.

use chrono::NaiveDate;

use super::*;
use crate::care::facts::{
    Decline, Facts, Medication, Observation, Order, Problem, Procedure, RiskEstimate, Sex,
    TobaccoUse,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn person(birth: &str, sex: Sex) -> Facts {
    Facts {
        birth_date: d(birth),
        sex,
        problems: vec![],
        procedures: vec![],
        observations: vec![],
        medications: vec![],
        orders: vec![],
        tobacco: vec![],
        pregnancy: None,
        declines: vec![],
        overdue_vaccine_groups: vec![],
        ten_year_cvd_risk: None,
    }
}

fn problem(code: &str) -> Problem {
    Problem {
        system: None,
        code: code.into(),
        display: String::new(),
        onset: None,
        resolved: None,
        active: true,
    }
}

fn procedure(system: &str, code: &str, date: &str) -> Procedure {
    Procedure {
        system: system.into(),
        code: code.into(),
        display: String::new(),
        date: d(date),
    }
}

fn obs(loinc: &str, value: f64, date: &str) -> Observation {
    Observation {
        loinc: loinc.into(),
        value_num: Some(value),
        unit: None,
        date: d(date),
    }
}

fn smoker(status: &str, date: &str, pack_years: Option<f64>, quit: Option<&str>) -> TobaccoUse {
    TobaccoUse {
        status: status.into(),
        date: d(date),
        pack_years,
        quit_date: quit.map(d),
    }
}

fn status_with(settings: &Settings, facts: &Facts, rule: &str, on: &str) -> RuleStatus {
    evaluate(RuleSet::shipped(), settings, facts, d(on))
        .into_iter()
        .find(|s| s.rule == rule)
        .unwrap_or_else(|| panic!("rule {rule} missing"))
}

fn status(facts: &Facts, rule: &str, on: &str) -> RuleStatus {
    status_with(&Settings::default(), facts, rule, on)
}

fn applies(s: &RuleStatus) -> bool {
    !matches!(s.status, Status::NotApplicable { .. })
}

/// The age ranges of the statements (inclusive years), for rules that
/// depend on age and sex only. `None` as the upper bound: no upper limit.
const AGE_RULES: &[(&str, Sex, u32, Option<u32>)] = &[
    ("colorectal_cancer_screening", Sex::Male, 45, Some(75)),
    ("breast_cancer_screening", Sex::Female, 40, Some(74)),
    ("cervical_cancer_screening", Sex::Female, 21, Some(65)),
    ("hypertension_screening", Sex::Male, 18, None),
    ("depression_screening_adults", Sex::Female, 18, None),
    ("depression_screening_youth", Sex::Male, 12, Some(17)),
    ("anxiety_screening_adults", Sex::Female, 18, Some(64)),
    ("anxiety_screening_youth", Sex::Female, 8, Some(17)),
    ("unhealthy_alcohol_use_screening", Sex::Male, 18, None),
    ("unhealthy_drug_use_screening", Sex::Male, 18, None),
    ("tobacco_use_screening", Sex::Female, 18, None),
    ("hiv_screening", Sex::Male, 15, Some(65)),
    ("hepatitis_c_screening", Sex::Female, 18, Some(79)),
    ("osteoporosis_screening", Sex::Female, 65, None),
];

#[test]
fn every_age_rule_starts_on_the_birthday_and_is_due_soon_the_day_before() {
    let born = "1950-07-15";
    for &(rule, sex, min, max) in AGE_RULES {
        let facts = person(born, sex);
        let birthday = crate::care::facts::birthday(d(born), min);
        let on_day = status(&facts, rule, &birthday.to_string());
        assert_eq!(
            on_day.status,
            Status::Due,
            "{rule} on the {min}th birthday: {:?}",
            on_day.explanation.why
        );
        assert_eq!(on_day.due, Some(birthday), "{rule}");
        let eve = status(
            &facts,
            rule,
            &(birthday - chrono::Duration::days(1)).to_string(),
        );
        assert_eq!(
            eve.status,
            Status::DueSoon,
            "{rule} the day before the {min}th birthday"
        );
        assert_eq!(eve.due, Some(birthday), "{rule}");
        let early = status(
            &facts,
            rule,
            &(birthday - chrono::Duration::days(31)).to_string(),
        );
        assert!(
            !applies(&early),
            "{rule} 31 days before the {min}th birthday: {:?}",
            early.status
        );
        if let Some(max) = max {
            let last_day =
                crate::care::facts::birthday(d(born), max + 1) - chrono::Duration::days(1);
            assert!(
                applies(&status(&facts, rule, &last_day.to_string())),
                "{rule} the day before turning {}",
                max + 1
            );
            let over = status(
                &facts,
                rule,
                &(last_day + chrono::Duration::days(1)).to_string(),
            );
            match &over.status {
                Status::NotApplicable { why, .. } => {
                    assert!(why.contains(&format!("up to {max}")), "{rule}: {why}")
                }
                other => panic!("{rule} at {}: {other:?}", max + 1),
            }
        }
    }
}

#[test]
fn a_leap_day_birthday_starts_on_the_first_of_march() {
    let facts = person("1980-02-29", Sex::Female);
    assert_eq!(
        status(&facts, "colorectal_cancer_screening", "2025-03-01").status,
        Status::Due
    );
    assert_eq!(
        status(&facts, "colorectal_cancer_screening", "2025-02-28").status,
        Status::DueSoon
    );
}

#[test]
fn sex_limits_are_kept_and_unknown_sex_is_left_to_the_clinician() {
    let on = "2025-06-01";
    for (rule, wrong) in [
        ("breast_cancer_screening", Sex::Male),
        ("cervical_cancer_screening", Sex::Male),
        ("osteoporosis_screening", Sex::Male),
        ("aaa_screening", Sex::Female),
    ] {
        let s = status(&person("1955-01-01", wrong), rule, on);
        match s.status {
            Status::NotApplicable { why, missing } => {
                assert!(why.contains("only"), "{rule}: {why}");
                assert!(missing.is_empty());
            }
            other => panic!("{rule}: {other:?}"),
        }
    }
    match status(
        &person("1975-01-01", Sex::Unknown),
        "breast_cancer_screening",
        on,
    )
    .status
    {
        Status::NotApplicable { why, missing } => {
            assert!(why.contains("clinician decides"), "{why}");
            assert_eq!(missing.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_interval_ending_today_is_due_today() {
    // Biennial mammography: done 2023-06-01, due again 2025-06-01.
    let mut facts = person("1970-01-01", Sex::Female);
    facts.procedures.push(procedure(
        "http://snomed.info/sct",
        "24623002",
        "2023-06-01",
    ));
    let at = |on: &str| status(&facts, "breast_cancer_screening", on);
    assert_eq!(at("2025-06-01").status, Status::Due);
    assert_eq!(at("2025-06-01").due, Some(d("2025-06-01")));
    assert!(at("2025-06-01").explanation.why.starts_with("due today"));
    assert_eq!(at("2025-05-31").status, Status::DueSoon);
    assert_eq!(at("2025-05-02").status, Status::DueSoon, "30 days before");
    match at("2025-05-01").status {
        Status::Satisfied { by, date, next_due } => {
            assert_eq!(by, "Mammography");
            assert_eq!(date, d("2023-06-01"));
            assert_eq!(next_due, Some(d("2025-06-01")));
        }
        other => panic!("{other:?}"),
    }
    // Due for 90 days, then overdue.
    assert_eq!(at("2025-08-30").status, Status::Due);
    assert_eq!(
        at("2025-08-31").status,
        Status::Overdue { days_overdue: 91 }
    );
}

#[test]
fn colorectal_methods_keep_their_own_intervals() {
    let mut facts = person("1960-03-01", Sex::Male);
    facts
        .procedures
        .push(procedure("snomed", "73761001", "2016-05-01"));
    // A colonoscopy lasts ten years.
    assert!(matches!(
        status(&facts, "colorectal_cancer_screening", "2025-06-01").status,
        Status::Satisfied { .. }
    ));
    assert_eq!(
        status(&facts, "colorectal_cancer_screening", "2026-05-01").status,
        Status::Due
    );
    // A FIT lasts one year; the colonoscopy still covers longer, so it wins.
    facts.observations.push(obs("57905-2", 0.0, "2025-01-10"));
    let s = status(&facts, "colorectal_cancer_screening", "2025-06-01");
    assert_eq!(s.last_done.unwrap().method, "colonoscopy");
    // Without the colonoscopy the FIT is due a year later.
    facts.procedures.clear();
    let s = status(&facts, "colorectal_cancer_screening", "2026-01-10");
    assert_eq!(s.status, Status::Due);
    assert_eq!(
        s.last_done.unwrap().by,
        "Fecal immunochemical or occult blood test"
    );
}

#[test]
fn cervical_hpv_testing_counts_for_five_years_only_from_thirty() {
    let mut facts = person("1990-01-15", Sex::Female);
    // An HPV test at 29 does not count.
    facts.observations.push(obs("21440-3", 0.0, "2019-06-01"));
    assert!(matches!(
        status(&facts, "cervical_cancer_screening", "2021-06-01").status,
        Status::Overdue { .. }
    ));
    // At 30 it does, for five years.
    facts.observations.push(obs("21440-3", 0.0, "2020-02-01"));
    assert!(matches!(
        status(&facts, "cervical_cancer_screening", "2024-06-01").status,
        Status::Satisfied { .. }
    ));
    assert_eq!(
        status(&facts, "cervical_cancer_screening", "2025-02-01").status,
        Status::Due
    );
    // Cytology lasts three years.
    let mut facts = person("1998-01-15", Sex::Female);
    facts.observations.push(obs("10524-7", 0.0, "2022-03-01"));
    assert_eq!(
        status(&facts, "cervical_cancer_screening", "2025-03-01").status,
        Status::Due
    );
}

#[test]
fn exclusions_make_a_rule_not_applicable() {
    let on = "2025-06-01";
    let mut facts = person("1965-01-01", Sex::Female);
    facts
        .procedures
        .push(procedure("ICD-10-PCS", "0DTE0ZZ", "2015-01-01"));
    match status(&facts, "colorectal_cancer_screening", on).status {
        Status::NotApplicable { why, .. } => assert!(why.contains("0DTE0ZZ"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Hysterectomy with the cervix removed ends cervical screening; with a stump it does not.
    let mut facts = person("1975-01-01", Sex::Female);
    facts.problems.push(problem("Z90.711"));
    assert!(applies(&status(&facts, "cervical_cancer_screening", on)));
    facts.problems.push(problem("Z90.710"));
    assert!(!applies(&status(&facts, "cervical_cancer_screening", on)));
    // Both breasts absent, recorded side by side, ends breast screening; one side does not.
    let mut facts = person("1970-01-01", Sex::Female);
    facts.problems.push(problem("Z90.11"));
    assert!(applies(&status(&facts, "breast_cancer_screening", on)));
    facts.problems.push(problem("Z90.12"));
    assert!(!applies(&status(&facts, "breast_cancer_screening", on)));
    // A resolved problem does not exclude.
    let mut facts = person("1970-01-01", Sex::Male);
    let mut htn = problem("I10");
    htn.active = false;
    facts.problems.push(htn);
    assert!(applies(&status(&facts, "hypertension_screening", on)));
}

#[test]
fn a_decline_holds_for_its_period_and_only_after_the_last_service() {
    let mut facts = person("1960-01-01", Sex::Male);
    facts.declines.push(Decline {
        rule: "colorectal_cancer_screening".into(),
        date: d("2025-01-10"),
        reason: "prefers not to".into(),
    });
    match status(&facts, "colorectal_cancer_screening", "2025-06-01").status {
        Status::Declined { reason, date } => {
            assert_eq!(reason, "prefers not to");
            assert_eq!(date, d("2025-01-10"));
        }
        other => panic!("{other:?}"),
    }
    // Twelve months on, the reminders resume.
    assert!(matches!(
        status(&facts, "colorectal_cancer_screening", "2026-01-10").status,
        Status::Overdue { .. }
    ));
    // A decline of another rule does nothing here.
    facts.declines[0].rule = "hiv_screening".into();
    assert!(matches!(
        status(&facts, "colorectal_cancer_screening", "2025-06-01").status,
        Status::Overdue { .. }
    ));
}

#[test]
fn lung_screening_needs_twenty_pack_years_and_a_recent_quit() {
    let on = "2025-06-01";
    let mut facts = person("1965-01-01", Sex::Female);
    facts
        .tobacco
        .push(smoker("current", "2025-01-01", Some(20.0), None));
    assert_eq!(
        status(&facts, "lung_cancer_screening", on).status,
        Status::Due
    );
    facts.tobacco[0].pack_years = Some(19.5);
    assert!(!applies(&status(&facts, "lung_cancer_screening", on)));
    // A former smoker who quit 14 years ago qualifies; 15 years ago today does not.
    facts.tobacco = vec![smoker(
        "Former smoker",
        "2025-01-01",
        Some(30.0),
        Some("2011-06-02"),
    )];
    assert!(applies(&status(&facts, "lung_cancer_screening", on)));
    facts.tobacco[0].quit_date = Some(d("2010-06-01"));
    assert!(!applies(&status(&facts, "lung_cancer_screening", on)));
    // Pack-years not recorded: cannot tell, and says what to record.
    facts.tobacco = vec![smoker("current", "2025-01-01", None, None)];
    match status(&facts, "lung_cancer_screening", on).status {
        Status::NotApplicable { missing, .. } => {
            assert_eq!(missing, vec!["pack-years of smoking".to_string()])
        }
        other => panic!("{other:?}"),
    }
    // Never smoked.
    facts.tobacco = vec![smoker("never", "2025-01-01", None, None)];
    assert!(!applies(&status(&facts, "lung_cancer_screening", on)));
    // The age limits are 50 and 80.
    let mut old = person("1944-01-01", Sex::Male);
    old.tobacco
        .push(smoker("current", "2024-01-01", Some(40.0), None));
    assert!(applies(&status(
        &old,
        "lung_cancer_screening",
        "2024-12-31"
    )));
    assert!(!applies(&status(
        &old,
        "lung_cancer_screening",
        "2025-01-01"
    )));
}

#[test]
fn blood_pressure_intervals_follow_the_age_bands() {
    let mut young = person("1995-01-01", Sex::Male);
    young.observations.push(obs("8480-6", 118.0, "2023-06-01"));
    assert!(matches!(
        status(&young, "hypertension_screening", "2025-06-01").status,
        Status::Satisfied { .. }
    ));
    assert_eq!(
        status(&young, "hypertension_screening", "2026-06-01").status,
        Status::Due
    );
    let mut older = person("1975-01-01", Sex::Male);
    older.observations.push(obs("8480-6", 118.0, "2024-06-01"));
    assert_eq!(
        status(&older, "hypertension_screening", "2025-06-01").status,
        Status::Due
    );
}

#[test]
fn diabetes_screening_reads_the_latest_bmi() {
    let on = "2025-06-01";
    let mut facts = person("1980-01-01", Sex::Female);
    match status(&facts, "diabetes_screening", on).status {
        Status::NotApplicable { missing, .. } => assert!(missing[0].contains("39156-5")),
        other => panic!("{other:?}"),
    }
    facts.observations.push(obs("39156-5", 31.0, "2020-01-01"));
    facts.observations.push(obs("39156-5", 24.9, "2025-01-01"));
    assert!(!applies(&status(&facts, "diabetes_screening", on)));
    facts.observations.push(obs("39156-5", 25.0, "2025-03-01"));
    assert!(applies(&status(&facts, "diabetes_screening", on)));
    facts.observations.push(obs("4548-4", 5.4, "2024-01-01"));
    assert!(matches!(
        status(&facts, "diabetes_screening", on).status,
        Status::Satisfied { .. }
    ));
    facts.problems.push(problem("E11.9"));
    assert!(!applies(&status(&facts, "diabetes_screening", on)));
}

#[test]
fn statin_rule_needs_a_risk_factor_and_ten_percent_risk() {
    let on = "2025-06-01";
    let mut facts = person("1970-01-01", Sex::Male);
    facts.problems.push(problem("I10"));
    match status(&facts, "statin_primary_prevention", on).status {
        Status::NotApplicable { missing, .. } => assert_eq!(missing.len(), 1),
        other => panic!("{other:?}"),
    }
    facts.ten_year_cvd_risk = Some(RiskEstimate {
        percent: 10.0,
        date: d("2025-01-01"),
        method: "PCE".into(),
    });
    assert_eq!(
        status(&facts, "statin_primary_prevention", on).status,
        Status::Due
    );
    facts.medications.push(Medication {
        name: "Atorvastatin 20 MG Oral Tablet".into(),
        rxnorm: None,
        active: true,
        start: Some(d("2025-02-01")),
        stop: None,
    });
    match status(&facts, "statin_primary_prevention", on).status {
        Status::Satisfied { next_due, .. } => assert_eq!(next_due, None),
        other => panic!("{other:?}"),
    }
    facts.medications.clear();
    facts.ten_year_cvd_risk.as_mut().unwrap().percent = 9.9;
    assert!(!applies(&status(&facts, "statin_primary_prevention", on)));
    facts.ten_year_cvd_risk.as_mut().unwrap().percent = 15.0;
    facts.problems.push(problem("I25.10"));
    assert!(
        !applies(&status(&facts, "statin_primary_prevention", on)),
        "ASCVD is secondary prevention"
    );
}

#[test]
fn pregnancy_rules_need_a_recorded_pregnancy() {
    let on = "2025-06-01";
    let mut facts = person("1995-01-01", Sex::Female);
    assert!(!applies(&status(&facts, "hiv_screening_pregnancy", on)));
    facts.pregnancy = Some(true);
    assert_eq!(
        status(&facts, "hiv_screening_pregnancy", on).status,
        Status::Due
    );
    facts
        .procedures
        .push(procedure("SNOMED CT", "31676001", "2025-03-01"));
    assert!(matches!(
        status(&facts, "hiv_screening_pregnancy", on).status,
        Status::Satisfied { .. }
    ));
    // The once-only adult HIV screen is satisfied by the same test, for good.
    assert!(matches!(
        status(&facts, "hiv_screening", "2040-01-01").status,
        Status::Satisfied { next_due: None, .. }
    ));
}

#[test]
fn aaa_screening_is_once_for_men_who_ever_smoked() {
    let mut facts = person("1955-03-01", Sex::Male);
    facts.tobacco.push(smoker(
        "Former smoker",
        "2024-01-01",
        None,
        Some("2000-01-01"),
    ));
    // Smoking history has no start date, so a risk-based rule is due (not overdue) from today.
    assert_eq!(
        status(&facts, "aaa_screening", "2025-06-01").status,
        Status::Due
    );
    facts
        .procedures
        .push(procedure("HCPCS", "G0389", "2021-01-01"));
    assert!(matches!(
        status(&facts, "aaa_screening", "2025-06-01").status,
        Status::Satisfied { next_due: None, .. }
    ));
    facts.tobacco = vec![smoker("Never smoker", "2024-01-01", None, None)];
    facts.procedures.clear();
    assert!(!applies(&status(&facts, "aaa_screening", "2025-06-01")));
}

#[test]
fn completed_orders_satisfy_and_open_orders_are_pending() {
    let mut facts = person("1965-01-01", Sex::Male);
    facts.orders.push(Order {
        code: Some("G0121".into()),
        description: "Screening colonoscopy".into(),
        kind: "procedure".into(),
        status: "active".into(),
        date: d("2025-05-01"),
    });
    let s = status(&facts, "colorectal_cancer_screening", "2025-06-01");
    assert!(matches!(s.status, Status::Overdue { .. }));
    assert_eq!(s.pending_orders.len(), 1);
    assert!(s.explanation.why.contains("pending"));
    facts.orders[0].status = "completed".into();
    let s = status(&facts, "colorectal_cancer_screening", "2025-06-01");
    assert!(
        matches!(s.status, Status::Satisfied { .. }),
        "{:?}",
        s.status
    );
}

#[test]
fn asking_about_tobacco_is_satisfied_by_a_dated_status() {
    let mut facts = person("1980-01-01", Sex::Male);
    facts
        .tobacco
        .push(smoker("never", "2025-01-01", None, None));
    assert!(matches!(
        status(&facts, "tobacco_use_screening", "2025-06-01").status,
        Status::Satisfied { .. }
    ));
    assert_eq!(
        status(&facts, "tobacco_use_screening", "2026-01-01").status,
        Status::Due
    );
}

#[test]
fn settings_switch_rules_off_and_change_intervals() {
    let facts = {
        let mut f = person("1970-01-01", Sex::Female);
        f.procedures
            .push(procedure("snomed", "24623002", "2024-05-01"));
        f.procedures
            .push(procedure("snomed", "73761001", "2020-01-01"));
        f
    };
    let mut settings = Settings::default();
    settings.rules.insert(
        "hiv_screening".into(),
        RuleSettings {
            enabled: Some(false),
            ..RuleSettings::default()
        },
    );
    let all = evaluate(RuleSet::shipped(), &settings, &facts, d("2025-06-01"));
    assert!(all.iter().all(|s| s.rule != "hiv_screening"));
    assert!(all.iter().any(|s| s.rule == "breast_cancer_screening"));
    // Yearly mammography instead of every two years.
    assert!(matches!(
        status(&facts, "breast_cancer_screening", "2025-06-01").status,
        Status::Satisfied { .. }
    ));
    settings.rules.insert(
        "breast_cancer_screening".into(),
        RuleSettings {
            interval_months: Some(12),
            ..RuleSettings::default()
        },
    );
    assert_eq!(
        status_with(&settings, &facts, "breast_cancer_screening", "2025-06-01").status,
        Status::Due
    );
    // A colonoscopy counted for 5 years instead of 10.
    let mut methods = std::collections::BTreeMap::new();
    methods.insert("colonoscopy".to_string(), 60);
    settings.rules.insert(
        "colorectal_cancer_screening".into(),
        RuleSettings {
            satisfier_months: methods,
            ..RuleSettings::default()
        },
    );
    assert_eq!(
        status_with(
            &settings,
            &facts,
            "colorectal_cancer_screening",
            "2025-01-01"
        )
        .status,
        Status::Due
    );
    assert!(settings.check(RuleSet::shipped()).is_ok());
    // Mistakes are named.
    let mut bad = Settings::default();
    bad.rules
        .insert("no_such_rule".into(), RuleSettings::default());
    assert_eq!(
        bad.check(RuleSet::shipped()).unwrap_err().path(),
        "rules.no_such_rule"
    );
    let mut methods = std::collections::BTreeMap::new();
    methods.insert("barium_enema".to_string(), 60);
    let mut bad = Settings::default();
    bad.rules.insert(
        "colorectal_cancer_screening".into(),
        RuleSettings {
            satisfier_months: methods,
            ..RuleSettings::default()
        },
    );
    assert_eq!(
        bad.check(RuleSet::shipped()).unwrap_err().path(),
        "rules.colorectal_cancer_screening.satisfier_months.barium_enema"
    );
    let parsed: Settings =
        serde_json::from_str(r#"{"rules":{"hiv_screening":{"enabled":false,"due_soon_days":60}}}"#)
            .unwrap();
    assert!(!parsed.enabled("hiv_screening"));
}

#[test]
fn every_status_says_why_and_cites_its_statement() {
    let mut facts = person("1958-04-04", Sex::Female);
    facts
        .tobacco
        .push(smoker("current", "2025-01-01", Some(25.0), None));
    facts.problems.push(problem("I10"));
    facts.observations.push(obs("39156-5", 32.0, "2025-01-01"));
    let all = evaluate(
        RuleSet::shipped(),
        &Settings::default(),
        &facts,
        d("2025-06-01"),
    );
    assert_eq!(all.len(), RuleSet::shipped().rules.len());
    for s in &all {
        assert!(!s.explanation.why.is_empty(), "{}", s.rule);
        assert!(!s.explanation.data.is_empty(), "{}", s.rule);
        assert!(s.explanation.citation.text.contains("JAMA"), "{}", s.rule);
        assert!(["A", "B", "A/B"].contains(&s.explanation.citation.grade.as_str()));
    }
    let json = serde_json::to_value(&all[0]).unwrap();
    assert!(json["status"]["status"].is_string());
}

#[test]
fn the_shipped_table_covers_the_topics_the_requirement_names() {
    let ids: Vec<&str> = RuleSet::shipped()
        .rules
        .iter()
        .map(|r| r.def.id.as_str())
        .collect();
    for id in [
        "colorectal_cancer_screening",
        "breast_cancer_screening",
        "cervical_cancer_screening",
        "lung_cancer_screening",
        "hypertension_screening",
        "diabetes_screening",
        "statin_primary_prevention",
        "depression_screening_adults",
        "anxiety_screening_adults",
        "unhealthy_alcohol_use_screening",
        "tobacco_use_screening",
        "hiv_screening",
        "hepatitis_b_screening",
        "hepatitis_c_screening",
        "osteoporosis_screening",
        "aaa_screening",
        "falls_prevention_exercise",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

/// `preventive/kgrid-uspstf/diabetes-screening/tests/test_knowledge.py`
/// (KGrid USPSTF collection, MIT): ages 34/35/70/71 and BMI 24/25/31,
/// checked against the 2021 statement (35 to 70, overweight or obesity).
#[test]
fn kgrid_diabetes_screening_cases() {
    for (age, bmi, expected) in [
        (34, 31.0, false),
        (35, 31.0, true),
        (35, 24.0, false),
        (35, 25.0, true),
        (70, 25.0, true),
        (71, 25.0, false),
    ] {
        let on = d("2025-06-01");
        let mut facts = person("2000-01-01", Sex::Male);
        facts.birth_date = NaiveDate::from_ymd_opt(2025 - age, 6, 1).unwrap();
        facts.observations.push(obs("39156-5", bmi, "2025-05-01"));
        let s = status(&facts, "diabetes_screening", &on.to_string());
        assert_eq!(applies(&s), expected, "age {age} bmi {bmi}: {:?}", s.status);
    }
}

fn patient(id: &str, name: &str, phone: Option<&str>) -> PatientRef {
    PatientRef {
        id: id.into(),
        mrn: format!("M{id}"),
        name: name.into(),
        phone: phone.map(str::to_string),
    }
}

#[test]
fn the_due_list_counts_patients_due_in_the_month() {
    // Turns 45 on 2025-06-20: colorectal screening comes due during June.
    let turning = person("1980-06-20", Sex::Male);
    // Mammogram ends its two years on 2025-06-10.
    let mut mammo = person("1970-01-01", Sex::Female);
    mammo
        .procedures
        .push(procedure("snomed", "24623002", "2023-06-10"));
    // Never screened, 60: overdue.
    let overdue = person("1965-01-01", Sex::Male);
    let patients = [
        (patient("1", "Able, \"Al\"", Some("+1 555 0100")), turning),
        (patient("2", "Baker, Bea", None), mammo),
        (patient("3", "Cole", Some("555-0300")), overdue),
    ];
    let list = due_list(
        RuleSet::shipped(),
        &Settings::default(),
        patients.iter().map(|(p, f)| (p.clone(), f)),
        (d("2025-06-01"), d("2025-06-30")),
    );
    let colorectal = list
        .counts
        .iter()
        .find(|c| c.rule == "colorectal_cancer_screening")
        .unwrap();
    // Cole (60) and Baker (55) were never screened; Able turns 45 in June.
    assert_eq!(
        (colorectal.due, colorectal.overdue, colorectal.due_in_period),
        (0, 2, 1)
    );
    let breast = list
        .counts
        .iter()
        .find(|c| c.rule == "breast_cancer_screening")
        .unwrap();
    assert_eq!(breast.due_in_period, 1);
    let row = list
        .rows
        .iter()
        .find(|r| r.rule == "colorectal_cancer_screening" && r.patient.id == "1")
        .unwrap();
    assert_eq!(row.kind, DueKind::DueInPeriod);
    assert_eq!(row.due, d("2025-06-20"));
    // Turning 45 in July is not due in June.
    let july = vec![(patient("4", "Dee", None), person("1980-07-20", Sex::Male))];
    let list_july = due_list(
        RuleSet::shipped(),
        &Settings::default(),
        july,
        (d("2025-06-01"), d("2025-06-30")),
    );
    assert!(list_july
        .rows
        .iter()
        .all(|r| r.rule != "colorectal_cancer_screening"));

    let csv = to_csv(&list);
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("rule,title,status,due,patient_id,mrn,name,phone,why")
    );
    assert!(csv.contains("\"Able, \"\"Al\"\"\""), "{csv}");
    assert!(csv.ends_with("\r\n"));

    let recall = recall_list(&list);
    assert_eq!(recall[0].patient.name, "Able, \"Al\"");
    assert!(recall.iter().all(|r| !r.due.is_empty()));
    let cole = recall.iter().find(|r| r.patient.id == "3").unwrap();
    assert!(
        cole.due
            .iter()
            .any(|t| t.starts_with("Colorectal cancer screening (overdue since 2010-01-01)")),
        "{:?}",
        cole.due
    );
    let recall_csv = recall_to_csv(&recall);
    assert!(recall_csv.starts_with("name,mrn,phone,due\r\n"));
    assert!(recall_csv.contains("+1 555 0100"));
}
