//! CMS125 v0.0.001 (FHIR), Breast Cancer Screening: women 52–74 with a mammogram from
//! October 1 two years before the period to its end.

use chrono::NaiveDate;

use super::criteria::{self, date, Eval};
use super::input::SNOMED;
use super::period::day;
use super::value_sets::key;
use super::Outcome;

pub const BILATERAL_MASTECTOMY: &str = "2.16.840.1.113883.3.464.1003.198.12.1005";
pub const HISTORY_BILATERAL: &str = "2.16.840.1.113883.3.464.1003.198.12.1068";
pub const MAMMOGRAPHY: &str = "2.16.840.1.113883.3.464.1003.108.12.1018";
pub const STATUS_POST_LEFT: &str = "2.16.840.1.113883.3.464.1003.198.12.1069";
pub const STATUS_POST_RIGHT: &str = "2.16.840.1.113883.3.464.1003.198.12.1070";
pub const UNILATERAL_LEFT: &str = "2.16.840.1.113883.3.464.1003.198.12.1133";
pub const UNILATERAL_RIGHT: &str = "2.16.840.1.113883.3.464.1003.198.12.1134";
pub const UNILATERAL_UNSPECIFIED: &str = "2.16.840.1.113883.3.464.1003.198.12.1071";

pub const VALUE_SETS: &[&str] = &[
    BILATERAL_MASTECTOMY,
    HISTORY_BILATERAL,
    MAMMOGRAPHY,
    STATUS_POST_LEFT,
    STATUS_POST_RIGHT,
    UNILATERAL_LEFT,
    UNILATERAL_RIGHT,
    UNILATERAL_UNSPECIFIED,
];

pub fn evaluate(e: &Eval) -> Vec<Outcome> {
    let to = e.mp.end();
    let mut out = Outcome::default();
    let ip = (|| {
        let age = e.age_at_end()?;
        if !(52..=74).contains(&age) || e.p.gender.as_deref() != Some("female") {
            return None;
        }
        let visit = criteria::qualifying_encounter(e)?;
        Some(format!("woman aged {age}, {visit}"))
    })();
    let Some(ip) = ip else {
        return vec![out];
    };
    out.initial_population = Some(ip.clone());
    out.denominator = Some(ip);
    let side = |status_post: &str, procedure: &str, site: &str, what: &str| {
        let site = key(SNOMED, site);
        e.conditions(status_post)
            .chain(
                e.conditions(UNILATERAL_UNSPECIFIED)
                    .filter(|c| c.body_site.contains(&site)),
            )
            .find(|c| c.prevalence.starts_by(to))
            .map(|c| format!("{what} mastectomy from {}", date(c.prevalence.start)))
            .or_else(|| {
                e.procedures(procedure)
                    .find(|p| p.performed.ends_by(to))
                    .map(|p| format!("{what} mastectomy on {}", date(p.performed.end)))
            })
    };
    let both = || {
        let right = side(STATUS_POST_RIGHT, UNILATERAL_RIGHT, "24028007", "right")?;
        let left = side(STATUS_POST_LEFT, UNILATERAL_LEFT, "7771000", "left")?;
        Some(format!("{right}, {left}"))
    };
    out.denominator_exclusion = criteria::hospice(e)
        .or_else(both)
        .or_else(|| {
            e.conditions(HISTORY_BILATERAL)
                .find(|c| c.prevalence.starts_by(to))
                .map(|c| {
                    format!(
                        "history of bilateral mastectomy from {}",
                        date(c.prevalence.start)
                    )
                })
        })
        .or_else(|| {
            e.procedures(BILATERAL_MASTECTOMY)
                .find(|p| p.performed.ends_by(to))
                .map(|p| format!("bilateral mastectomy on {}", date(p.performed.end)))
        })
        .or_else(|| criteria::frail_with_advanced_illness(e, 66, None))
        .or_else(|| criteria::nursing_home(e))
        .or_else(|| criteria::palliative(e));
    if out.denominator_exclusion.is_some() {
        return vec![out];
    }
    use chrono::Datelike;
    let since = NaiveDate::from_ymd_opt(e.mp.from.year() - 2, 10, 1)
        .map(day)
        .unwrap_or(to);
    out.numerator = e
        .results(MAMMOGRAPHY)
        .find(|o| o.effective.ends_during(since, to))
        .map(|o| format!("mammogram on {}", date(o.effective.end)));
    vec![out]
}
