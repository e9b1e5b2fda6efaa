//! CMS165 v0.1.000 (FHIR), Controlling High Blood Pressure: adults with essential
//! hypertension whose last blood pressure of the period was below 140/90.

use super::criteria::{self, date, Eval};
use super::input::LOINC;
use super::value_sets::key;
use super::Outcome;

pub const ESSENTIAL_HYPERTENSION: &str = "2.16.840.1.113883.3.464.1003.104.12.1011";
pub const CKD5: &str = "2.16.840.1.113883.3.526.3.1002";
pub const DIALYSIS: &str = "2.16.840.1.113883.3.464.1003.109.12.1013";
pub const ESRD_MONTHLY: &str = "2.16.840.1.113883.3.464.1003.109.12.1014";
pub const ESRD: &str = "2.16.840.1.113883.3.526.3.353";
pub const KIDNEY_TRANSPLANT: &str = "2.16.840.1.113883.3.464.1003.109.12.1012";
pub const KIDNEY_TRANSPLANT_RECIPIENT: &str = "2.16.840.1.113883.3.464.1003.109.12.1029";
pub const PREGNANCY: &str = "2.16.840.1.113883.3.526.3.378";

pub const VALUE_SETS: &[&str] = &[
    ESSENTIAL_HYPERTENSION,
    CKD5,
    DIALYSIS,
    ESRD_MONTHLY,
    ESRD,
    KIDNEY_TRANSPLANT,
    KIDNEY_TRANSPLANT_RECIPIENT,
    PREGNANCY,
];

/// Encounter classes whose readings do not count (emergency, inpatient, pre-admission,
/// short stay).
const NOT_OUTPATIENT: [&str; 6] = ["EMER", "IMP", "ACUTE", "NONAC", "PRENC", "SS"];

/// A reading's day, systolic and diastolic.
type Reading = (i32, Option<f64>, Option<f64>);

pub fn evaluate(e: &Eval) -> Vec<Outcome> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let mut out = Outcome::default();
    let ip = (|| {
        let age = e.age_at_end()?;
        if !(18..=85).contains(&age) {
            return None;
        }
        // The first six months: up to, not including, start + 6 months.
        let six = e.mp.start_plus_months(6) - 1;
        let dx = e
            .conditions(ESSENTIAL_HYPERTENSION)
            .find(|c| c.prevalence.overlaps(from, six))?;
        let visit = criteria::qualifying_encounter(e)?;
        Some(format!(
            "aged {age}, hypertension from {}, {visit}",
            date(dx.prevalence.start)
        ))
    })();
    let Some(ip) = ip else {
        return vec![out];
    };
    out.initial_population = Some(ip.clone());
    out.denominator = Some(ip);
    let renal = || {
        for (what, oid) in [
            ("pregnancy", PREGNANCY),
            ("end stage renal disease", ESRD),
            ("kidney transplant recipient", KIDNEY_TRANSPLANT_RECIPIENT),
            ("chronic kidney disease stage 5", CKD5),
        ] {
            if let Some(c) = e.conditions(oid).find(|c| c.prevalence.overlaps(from, to)) {
                return Some(format!("{what} from {}", date(c.prevalence.start)));
            }
        }
        for (what, oid) in [
            ("kidney transplant", KIDNEY_TRANSPLANT),
            ("dialysis", DIALYSIS),
        ] {
            if let Some(p) = e.procedures(oid).find(|p| p.performed.ends_by(to)) {
                return Some(format!("{what} on {}", date(p.performed.end)));
            }
        }
        e.encounters(ESRD_MONTHLY)
            .find(|x| x.period.starts_by(to))
            .map(|x| format!("ESRD monthly services from {}", date(x.period.start)))
    };
    out.denominator_exclusion = criteria::hospice(e)
        .or_else(renal)
        .or_else(|| criteria::frail_with_advanced_illness(e, 66, Some(80)))
        .or_else(|| {
            let age = e.age_at_end()?;
            (age >= 81).then(|| criteria::frailty(e).map(|f| format!("aged {age}, {f}")))?
        })
        .or_else(|| criteria::nursing_home(e))
        .or_else(|| criteria::palliative(e));
    if out.denominator_exclusion.is_some() {
        return vec![out];
    }
    let sys = key(LOINC, "8480-6");
    let dia = key(LOINC, "8462-4");
    let bp = key(LOINC, "85354-9");
    // Readings: blood pressure panels with a final status, not taken at an emergency or
    // inpatient visit, on a day in the period.
    let readings: Vec<(i32, Option<f64>, Option<f64>)> =
        e.p.observations
            .iter()
            .filter(|o| {
                matches!(o.status.as_deref(), Some("final" | "amended" | "corrected"))
                    && o.codes.contains(&bp)
            })
            .filter(|o| {
                !o.encounter.as_ref().is_some_and(|id| {
                    e.p.encounters.iter().any(|x| {
                        x.id == *id
                            && x.class
                                .as_deref()
                                .is_some_and(|c| NOT_OUTPATIENT.contains(&c))
                    })
                })
            })
            .filter_map(|o| {
                let d = o.effective.latest().filter(|d| *d >= from && *d <= to)?;
                let part = |k: &String| {
                    o.components
                        .iter()
                        .find(|(codes, _)| codes.contains(k))
                        .and_then(|(_, v)| *v)
                };
                Some((d, part(&sys), part(&dia)))
            })
            .collect();
    let Some(day) = readings.iter().map(|r| r.0).max() else {
        return vec![out];
    };
    let lowest = |pick: fn(&Reading) -> Option<f64>| {
        readings
            .iter()
            .filter(|r| r.0 == day)
            .filter_map(pick)
            .min_by(f64::total_cmp)
    };
    if let (Some(s), Some(d)) = (lowest(|r| r.1), lowest(|r| r.2)) {
        if s < 140.0 && d < 90.0 {
            out.numerator = Some(format!("{s}/{d} mmHg on {}", date(Some(day))));
        }
    }
    vec![out]
}
