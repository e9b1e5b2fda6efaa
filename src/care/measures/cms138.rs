//! CMS138 v0.0.001 (FHIR), Preventive Care and Screening: Tobacco Use: Screening and
//! Cessation Intervention. Three population groups over one initial population (aged 12
//! or more, two visits or one preventive visit): 1 screened; 2 tobacco users who had an
//! intervention; 3 screened and, if a user, an intervention.

use super::criteria::{self, date, vs, Eval};
use super::input::{Value, CPT, ICD10CM};
use super::value_sets::key;
use super::Outcome;

pub const NUTRITION_SERVICES: &str = "2.16.840.1.113883.3.464.1003.1006";
pub const OCCUPATIONAL_THERAPY: &str = "2.16.840.1.113883.3.526.3.1011";
pub const OPHTHALMOLOGICAL: &str = "2.16.840.1.113883.3.526.3.1285";
pub const PHYSICAL_THERAPY: &str = "2.16.840.1.113883.3.526.3.1022";
pub const GROUP_COUNSELING: &str = "2.16.840.1.113883.3.464.1003.101.12.1027";
pub const INDIVIDUAL_COUNSELING: &str = "2.16.840.1.113883.3.464.1003.101.12.1026";
pub const PREVENTIVE_INITIAL_0_17: &str = "2.16.840.1.113883.3.464.1003.101.12.1022";
pub const PREVENTIVE_ESTABLISHED_0_17: &str = "2.16.840.1.113883.3.464.1003.101.12.1024";
pub const PSYCH_DIAGNOSTIC: &str = "2.16.840.1.113883.3.526.3.1492";
pub const PSYCH_PSYCHOTHERAPY: &str = "2.16.840.1.113883.3.526.3.1496";
pub const PSYCHOANALYSIS: &str = "2.16.840.1.113883.3.526.3.1141";
pub const SPEECH_HEARING: &str = "2.16.840.1.113883.3.526.3.1530";
pub const TOBACCO_NON_USER: &str = "2.16.840.1.113883.3.526.3.1189";
pub const CESSATION_COUNSELING: &str = "2.16.840.1.113883.3.526.3.509";
pub const CESSATION_PHARMACOTHERAPY: &str = "2.16.840.1.113883.3.526.3.1190";
pub const TOBACCO_SCREENING: &str = "2.16.840.1.113883.3.526.3.1278";
pub const TOBACCO_USER: &str = "2.16.840.1.113883.3.526.3.1170";

pub const VALUE_SETS: &[&str] = &[
    NUTRITION_SERVICES,
    OCCUPATIONAL_THERAPY,
    OPHTHALMOLOGICAL,
    PHYSICAL_THERAPY,
    GROUP_COUNSELING,
    INDIVIDUAL_COUNSELING,
    PREVENTIVE_INITIAL_0_17,
    PREVENTIVE_ESTABLISHED_0_17,
    PSYCH_DIAGNOSTIC,
    PSYCH_PSYCHOTHERAPY,
    PSYCHOANALYSIS,
    SPEECH_HEARING,
    TOBACCO_NON_USER,
    CESSATION_COUNSELING,
    CESSATION_PHARMACOTHERAPY,
    TOBACCO_SCREENING,
    TOBACCO_USER,
];

fn preventive_visit(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let sets = [
        vs::ANNUAL_WELLNESS,
        vs::PREVENTIVE_ESTABLISHED_18,
        vs::PREVENTIVE_INITIAL_18,
        PREVENTIVE_ESTABLISHED_0_17,
        PREVENTIVE_INITIAL_0_17,
        GROUP_COUNSELING,
        INDIVIDUAL_COUNSELING,
        NUTRITION_SERVICES,
    ];
    sets.iter()
        .flat_map(|oid| e.encounters(oid))
        .chain(e.encounters_coded(CPT, "99429"))
        .chain(e.encounters_coded(CPT, "99024"))
        .find(|x| x.period.during(from, to))
        .map(|x| format!("preventive visit on {}", date(x.period.start)))
}

fn qualifying_visits(e: &Eval) -> usize {
    let (from, to) = (e.mp.start(), e.mp.end());
    let sets = [
        vs::HOME_HEALTHCARE,
        OCCUPATIONAL_THERAPY,
        vs::OFFICE_VISIT,
        OPHTHALMOLOGICAL,
        PHYSICAL_THERAPY,
        PSYCH_DIAGNOSTIC,
        PSYCH_PSYCHOTHERAPY,
        PSYCHOANALYSIS,
        SPEECH_HEARING,
        vs::TELEPHONE_VISITS,
        vs::VIRTUAL_ENCOUNTER,
    ];
    let hb1 = key(CPT, "96158");
    let hb2 = key(CPT, "96156");
    // A union: each encounter counts once however many lists hold its type.
    e.p.encounters
        .iter()
        .filter(|x| {
            matches!(
                x.status.as_deref(),
                Some("finished" | "arrived" | "triaged" | "in-progress" | "onleave")
            ) && x.period.during(from, to)
                && (x.codes.contains(&hb1)
                    || x.codes.contains(&hb2)
                    || sets.iter().any(|oid| e.in_vs(oid, &x.codes)))
        })
        .count()
}

pub fn evaluate(e: &Eval) -> Vec<Outcome> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let ip = (|| {
        let age = e.age_at_start()?;
        if age < 12 {
            return None;
        }
        if let Some(v) = preventive_visit(e) {
            return Some(format!("aged {age}, {v}"));
        }
        let n = qualifying_visits(e);
        (n >= 2).then(|| format!("aged {age}, {n} visits in the period"))
    })();
    let Some(ip) = ip else {
        return vec![Outcome::default(); 3];
    };
    let exclusion = criteria::hospice(e);
    // The most recent screening of the period, by when it started.
    let last = e
        .assessments_in(TOBACCO_SCREENING)
        .filter(|o| o.effective.during(from, to))
        .max_by_key(|o| o.effective.start);
    let answer = |oid: &str| {
        last.filter(|o| matches!(&o.value, Value::Codes(c) if e.in_vs(oid, c)))
            .map(|o| date(o.effective.start))
    };
    let user = answer(TOBACCO_USER).map(|d| format!("tobacco user, screened {d}"));
    let non_user = answer(TOBACCO_NON_USER).map(|d| format!("tobacco non-user, screened {d}"));
    let since = e.mp.start_minus_months(6);
    let counseling = || {
        e.procedures(CESSATION_COUNSELING)
            .find(|p| p.performed.during(since, to))
            .map(|p| format!("cessation counseling on {}", date(p.performed.start)))
            .or_else(|| {
                let z716 = key(ICD10CM, "Z71.6");
                e.p.conditions
                    .iter()
                    .find(|c| c.codes.contains(&z716) && c.prevalence.starts_during(since, to))
                    .map(|c| format!("tobacco abuse counseling on {}", date(c.prevalence.start)))
            })
    };
    let pharmacotherapy = || {
        e.medication_orders(CESSATION_PHARMACOTHERAPY)
            .find(|r| r.authored.is_some_and(|d| d >= since && d <= to))
            .map(|r| format!("cessation medication ordered on {}", date(r.authored)))
            .or_else(|| {
                e.medications_active(CESSATION_PHARMACOTHERAPY)
                    .find(|r| r.period.is_some_and(|p| p.during(since, to)))
                    .map(|r| format!("taking cessation medication from {}", date(r.authored)))
            })
    };
    let intervention = counseling().or_else(pharmacotherapy);
    let group = |denominator: Option<String>, numerator: Option<String>| {
        let mut o = Outcome {
            initial_population: Some(ip.clone()),
            ..Default::default()
        };
        if let Some(d) = denominator {
            o.denominator = Some(d);
            o.denominator_exclusion = exclusion.clone();
            if o.denominator_exclusion.is_none() {
                o.numerator = numerator;
            }
        }
        o
    };
    vec![
        group(Some(ip.clone()), non_user.clone().or(user.clone())),
        group(user.clone(), intervention.clone()),
        group(
            Some(ip.clone()),
            non_user.or_else(|| Some(format!("{}, {}", user?, intervention?))),
        ),
    ]
}
