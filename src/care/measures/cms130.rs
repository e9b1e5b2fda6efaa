//! CMS130 v0.1.000 (FHIR), Colorectal Cancer Screening: adults 46–75 screened by any of
//! the five tests within its look-back (FOBT this period, stool DNA with FIT three years,
//! CT colonography and flexible sigmoidoscopy five years, colonoscopy ten years).

use super::criteria::{self, date, Eval};
use super::input::Value;
use super::Outcome;

pub const COLONOSCOPY: &str = "2.16.840.1.113883.3.464.1003.108.12.1020";
pub const CT_COLONOGRAPHY: &str = "2.16.840.1.113883.3.464.1003.108.12.1038";
pub const FOBT: &str = "2.16.840.1.113883.3.464.1003.198.12.1011";
pub const SDNA_FIT: &str = "2.16.840.1.113883.3.464.1003.108.12.1039";
pub const FLEXIBLE_SIGMOIDOSCOPY: &str = "2.16.840.1.113883.3.464.1003.198.12.1010";
pub const COLON_CANCER: &str = "2.16.840.1.113883.3.464.1003.108.12.1001";
pub const TOTAL_COLECTOMY: &str = "2.16.840.1.113883.3.464.1003.198.12.1019";

pub const VALUE_SETS: &[&str] = &[
    COLONOSCOPY,
    CT_COLONOGRAPHY,
    FOBT,
    SDNA_FIT,
    FLEXIBLE_SIGMOIDOSCOPY,
    COLON_CANCER,
    TOTAL_COLECTOMY,
];

pub fn evaluate(e: &Eval) -> Vec<Outcome> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let mut out = Outcome::default();
    let ip = (|| {
        let age = e.age_at_end()?;
        if !(46..=75).contains(&age) {
            return None;
        }
        let visit = criteria::qualifying_encounter(e)?;
        Some(format!("aged {age}, {visit}"))
    })();
    let Some(ip) = ip else {
        return vec![out];
    };
    out.initial_population = Some(ip.clone());
    out.denominator = Some(ip);
    out.denominator_exclusion = criteria::hospice(e)
        .or_else(|| {
            e.conditions(COLON_CANCER)
                .find(|c| c.prevalence.starts_by(to))
                .map(|c| format!("colorectal cancer from {}", date(c.prevalence.start)))
        })
        .or_else(|| {
            e.procedures(TOTAL_COLECTOMY)
                .find(|p| p.performed.ends_by(to))
                .map(|p| format!("total colectomy on {}", date(p.performed.end)))
        })
        .or_else(|| criteria::frail_with_advanced_illness(e, 66, None))
        .or_else(|| criteria::nursing_home(e))
        .or_else(|| criteria::palliative(e));
    if out.denominator_exclusion.is_some() {
        return vec![out];
    }
    let valued = |v: &Value| !matches!(v, Value::None);
    out.numerator = e
        .lab_results(FOBT)
        .find(|o| valued(&o.value) && o.effective.latest().is_some_and(|d| d >= from && d <= to))
        .map(|o| format!("FOBT on {}", date(o.effective.latest())))
        .or_else(|| {
            let since = e.mp.start_minus_years(2);
            e.lab_results(SDNA_FIT)
                .find(|o| {
                    valued(&o.value) && o.effective.latest().is_some_and(|d| d >= since && d <= to)
                })
                .map(|o| format!("stool DNA with FIT on {}", date(o.effective.latest())))
        })
        .or_else(|| {
            let since = e.mp.start_minus_years(4);
            e.procedures(FLEXIBLE_SIGMOIDOSCOPY)
                .find(|p| p.performed.ends_during(since, to))
                .map(|p| format!("flexible sigmoidoscopy on {}", date(p.performed.end)))
        })
        .or_else(|| {
            let since = e.mp.start_minus_years(4);
            e.results(CT_COLONOGRAPHY)
                .find(|o| o.effective.ends_during(since, to))
                .map(|o| format!("CT colonography on {}", date(o.effective.end)))
        })
        .or_else(|| {
            let since = e.mp.start_minus_years(9);
            e.procedures(COLONOSCOPY)
                .find(|p| p.performed.ends_during(since, to))
                .map(|p| format!("colonoscopy on {}", date(p.performed.end)))
        });
    vec![out]
}
