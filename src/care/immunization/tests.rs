//! Hand-made histories. Each expectation is worked out from the shipped
//! supporting data (the values are quoted in the comments) and the logic
//! specification's rules, not read off this engine's output.

use super::*;
use chrono::NaiveDate;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn child(birth: NaiveDate) -> Patient {
    Patient {
        birth_date: birth,
        sex: Sex::Female,
        observations: Vec::new(),
    }
}

fn dose(date: NaiveDate, cvx: &str) -> Dose {
    Dose {
        date,
        cvx: cvx.to_string(),
        mvx: None,
    }
}

fn group<'r>(report: &'r Report, name: &str) -> &'r VaccineGroupReport {
    report
        .vaccine_group(name)
        .unwrap_or_else(|| panic!("a {name} forecast"))
}

#[test]
fn newborn_dtap_forecast_follows_dose_1_ages() {
    // DTaP dose 1 (all three antigens): minimum age 6 weeks, earliest
    // recommended 2 months, latest recommended 3 months + 4 weeks; the past
    // due date is the latest recommended age minus one day (FORECASTDT-3).
    let birth = day(2025, 1, 1);
    let report = evaluate(&child(birth), &[], birth).unwrap();
    let dtap = group(&report, "DTaP/Tdap/Td");
    assert_eq!(dtap.status, SeriesStatus::NotComplete);
    assert_eq!(dtap.forecast_dose_number, Some(1));
    assert_eq!(dtap.earliest_date, Some(day(2025, 2, 12)));
    assert_eq!(dtap.recommended_date, Some(day(2025, 3, 1)));
    assert_eq!(dtap.past_due_date, Some(day(2025, 4, 28)));
}

#[test]
fn dose_before_the_absolute_minimum_age_is_too_young_and_the_grace_period_is_valid() {
    // Absolute minimum age of DTaP dose 1: 6 weeks - 4 days = 38 days.
    let birth = day(2025, 1, 1);
    let too_young = evaluate(
        &child(birth),
        &[dose(day(2025, 2, 7), "107")],
        day(2025, 3, 1),
    )
    .unwrap();
    let d = group(&too_young, "DTaP/Tdap/Td").dose(0).unwrap();
    assert_eq!(d.status, EvaluationStatus::NotValid);
    assert_eq!(d.reason, Some(EvaluationReason::AgeTooYoung));
    // The target dose is not satisfied, so dose 1 is forecast again.
    assert_eq!(
        group(&too_young, "DTaP/Tdap/Td").forecast_dose_number,
        Some(1)
    );

    let grace = evaluate(
        &child(birth),
        &[dose(day(2025, 2, 8), "107")],
        day(2025, 3, 1),
    )
    .unwrap();
    let d = group(&grace, "DTaP/Tdap/Td").dose(0).unwrap();
    assert_eq!(d.status, EvaluationStatus::Valid);
    assert!(d.reasons.contains(&EvaluationReason::AgeGracePeriod));
    assert_eq!(group(&grace, "DTaP/Tdap/Td").forecast_dose_number, Some(2));
}

#[test]
fn varicella_inside_the_mmr_live_virus_window_is_not_valid() {
    // Schedule data: MMR (03) then varicella (21), conflict from 1 day to
    // 28 days (minimum conflict end 28 days as well).
    let birth = day(2024, 1, 1);
    let mmr = dose(day(2025, 1, 1), "03");
    let soon = evaluate(
        &child(birth),
        &[mmr.clone(), dose(day(2025, 1, 21), "21")],
        day(2025, 2, 1),
    )
    .unwrap();
    let var = group(&soon, "Varicella").dose(1).unwrap();
    assert_eq!(var.status, EvaluationStatus::NotValid);
    assert_eq!(var.reason, Some(EvaluationReason::LiveVirusConflict));
    // The MMR dose itself is unaffected.
    assert_eq!(
        group(&soon, "MMR").dose(0).unwrap().status,
        EvaluationStatus::Valid
    );

    let apart = evaluate(
        &child(birth),
        &[mmr, dose(day(2025, 1, 29), "21")],
        day(2025, 2, 1),
    )
    .unwrap();
    assert_eq!(
        group(&apart, "Varicella").dose(1).unwrap().status,
        EvaluationStatus::Valid
    );
}

#[test]
fn dose_after_a_complete_series_is_extraneous() {
    // HepA 2-dose series: dose 1 from 12 months, dose 2 from 18 months and
    // 6 months after dose 1. A third dose has no target dose left.
    let birth = day(2020, 1, 1);
    let doses = [
        dose(day(2021, 1, 1), "83"),
        dose(day(2021, 7, 1), "83"),
        dose(day(2022, 1, 1), "83"),
    ];
    let report = evaluate(&child(birth), &doses, day(2022, 6, 1)).unwrap();
    let hepa = group(&report, "HepA");
    assert_eq!(hepa.status, SeriesStatus::Complete);
    assert_eq!(hepa.forecast_dose_number, None);
    assert_eq!(hepa.earliest_date, None);
    let third = hepa.dose(2).unwrap();
    assert_eq!(third.status, EvaluationStatus::Extraneous);
    assert_eq!(third.reason, Some(EvaluationReason::SeriesAlreadyComplete));
}

#[test]
fn birth_before_1957_is_evidence_of_mmr_immunity() {
    // Measles, mumps and rubella: immunity birth date 01/01/1957 (table 7-3).
    let older = Patient {
        birth_date: day(1950, 6, 1),
        sex: Sex::Male,
        observations: Vec::new(),
    };
    let report = evaluate(&older, &[], day(2025, 1, 1)).unwrap();
    assert_eq!(group(&report, "MMR").status, SeriesStatus::Immune);
    let younger = Patient {
        birth_date: day(1960, 6, 1),
        ..older
    };
    let report = evaluate(&younger, &[], day(2025, 1, 1)).unwrap();
    assert_ne!(group(&report, "MMR").status, SeriesStatus::Immune);
}

#[test]
fn doses_are_reported_in_input_order_whatever_their_dates() {
    let birth = day(2025, 1, 1);
    let doses = [dose(day(2025, 5, 1), "107"), dose(day(2025, 3, 1), "107")];
    let report = evaluate(&child(birth), &doses, day(2025, 6, 1)).unwrap();
    assert_eq!(report.doses[0].date, day(2025, 5, 1));
    let dtap = group(&report, "DTaP/Tdap/Td");
    // The March dose is the first target dose, the May dose the second.
    let target = |i: usize| {
        report.doses[i]
            .evaluations
            .iter()
            .find(|e| e.antigen == "Diphtheria")
            .and_then(|e| e.target_dose)
    };
    assert_eq!(target(1), Some(1));
    assert_eq!(target(0), Some(2));
    assert_eq!(dtap.forecast_dose_number, Some(3));
}

#[test]
fn a_dose_after_the_assessment_date_is_not_evaluated() {
    let birth = day(2025, 1, 1);
    let report = evaluate(
        &child(birth),
        &[dose(day(2025, 4, 1), "107")],
        day(2025, 3, 1),
    )
    .unwrap();
    assert!(report.doses[0].evaluations.is_empty());
    assert_eq!(group(&report, "DTaP/Tdap/Td").forecast_dose_number, Some(1));
}

#[test]
fn bad_dates_are_typed_errors() {
    let birth = day(2025, 1, 1);
    let err = evaluate(&child(birth), &[], day(2024, 1, 1)).unwrap_err();
    assert_eq!(err.code(), "cdsi_assessment_before_birth");
    let err = evaluate(
        &child(birth),
        &[dose(day(2024, 12, 1), "107")],
        day(2025, 2, 1),
    )
    .unwrap_err();
    assert_eq!(err.code(), "cdsi_dose_before_birth");
}

#[test]
fn observation_codes_come_from_the_schedule_data() {
    let all = observations().unwrap();
    let pregnant = all.iter().find(|o| o.code == "007").expect("code 007");
    assert_eq!(pregnant.title, "Pregnant");
    assert!(all.len() > 100, "{} observations", all.len());
}

#[test]
fn the_report_serializes_with_cdc_spellings() {
    let birth = day(2025, 1, 1);
    let report = evaluate(
        &child(birth),
        &[dose(day(2025, 2, 7), "107")],
        day(2025, 3, 1),
    )
    .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let dtap = json["vaccine_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["vaccine_group"] == "DTaP/Tdap/Td")
        .unwrap();
    assert_eq!(dtap["status"], "Not Complete");
    assert_eq!(dtap["doses"][0]["status"], "Not Valid");
    assert_eq!(dtap["doses"][0]["reason"], "Age: Too Young");
    let schema = serde_json::to_value(schemars::schema_for!(Report)).unwrap();
    assert!(schema["$defs"]["SeriesStatus"].is_object());
}

#[test]
fn an_antigen_contraindication_stops_the_vaccine_group() {
    // Measles supporting data: antigen contraindication 007 "Pregnant", no
    // age limits; table 7-7 makes every measles series contraindicated and
    // table 9-4 the MMR vaccine group.
    let adult = Patient {
        birth_date: day(1995, 3, 1),
        sex: Sex::Female,
        observations: vec!["007".to_string()],
    };
    let report = evaluate(&adult, &[], day(2025, 1, 1)).unwrap();
    let mmr = group(&report, "MMR");
    assert_eq!(mmr.status, SeriesStatus::Contraindicated);
    assert_eq!(mmr.earliest_date, None);
    let without = Patient {
        observations: Vec::new(),
        ..adult
    };
    let report = evaluate(&without, &[], day(2025, 1, 1)).unwrap();
    assert_eq!(group(&report, "MMR").status, SeriesStatus::NotComplete);
}

#[test]
fn a_risk_indication_adds_a_risk_forecast_beside_the_standard_one() {
    // "Measles risk 1-dose series": indication 048 (travelling
    // internationally) from 6 to 12 months; dose 1 minimum and earliest
    // recommended age 6 months, latest recommended and maximum 12 months.
    let birth = day(2024, 6, 1);
    let traveller = Patient {
        birth_date: birth,
        sex: Sex::Male,
        observations: vec!["048".to_string()],
    };
    let report = evaluate(&traveller, &[], day(2025, 1, 15)).unwrap();
    let risk = report
        .vaccine_groups
        .iter()
        .find(|g| g.vaccine_group == "MMR" && g.kind == ForecastKind::Risk)
        .expect("a risk MMR forecast");
    let measles = risk
        .series
        .iter()
        .find(|s| s.antigen == "Measles")
        .expect("the measles risk series");
    assert_eq!(measles.series_name, "Measles risk 1-dose series");
    assert_eq!(measles.earliest_date, Some(day(2024, 12, 1)));
    assert_eq!(measles.past_due_date, Some(day(2025, 5, 31)));
    // The standard forecast stays first and unchanged.
    let standard = group(&report, "MMR");
    assert_eq!(standard.kind, ForecastKind::Standard);
    assert!(standard
        .series
        .iter()
        .all(|s| !s.series_name.contains("risk")));
    // Without the observation there is no risk forecast.
    let home = Patient {
        observations: Vec::new(),
        ..traveller
    };
    let report = evaluate(&home, &[], day(2025, 1, 15)).unwrap();
    assert!(report
        .vaccine_groups
        .iter()
        .all(|g| g.vaccine_group != "MMR" || g.kind == ForecastKind::Standard));
}
