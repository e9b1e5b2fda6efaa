//! CMS122 v0.1.002 (FHIR), Diabetes: Glycemic Status Assessment Greater Than 9%.
//! An inverse measure: the numerator is poor control (the last HbA1c or GMI of the
//! period above 9%, without a result, or none at all), so lower is better.

use super::criteria::{self, date, Eval};
use super::input::{Value, LOINC};
use super::value_sets::key;
use super::Outcome;

pub const DIABETES: &str = "2.16.840.1.113883.3.464.1003.103.12.1001";
pub const HBA1C: &str = "2.16.840.1.113883.3.464.1003.198.12.1013";

pub const VALUE_SETS: &[&str] = &[DIABETES, HBA1C];

pub fn evaluate(e: &Eval) -> Vec<Outcome> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let mut out = Outcome::default();
    let ip = (|| {
        let age = e.age_at_end()?;
        if !(18..=75).contains(&age) {
            return None;
        }
        let visit = criteria::qualifying_encounter(e)?;
        let dx = e
            .conditions(DIABETES)
            .find(|c| c.prevalence.overlaps(from, to))?;
        Some(format!(
            "aged {age}, {visit}, diabetes from {}",
            date(dx.prevalence.start)
        ))
    })();
    let Some(ip) = ip else {
        return vec![out];
    };
    out.initial_population = Some(ip.clone());
    out.denominator = Some(ip);
    out.denominator_exclusion = criteria::hospice(e)
        .or_else(|| criteria::nursing_home(e))
        .or_else(|| criteria::frail_with_advanced_illness(e, 66, None))
        .or_else(|| criteria::palliative(e));
    let gmi = key(LOINC, "97506-0");
    let tests: Vec<_> =
        e.p.observations
            .iter()
            .filter(|o| {
                matches!(o.status.as_deref(), Some("final" | "amended" | "corrected"))
                    && o.categories.iter().any(|c| c == "laboratory")
                    && (e.in_vs(HBA1C, &o.codes) || o.codes.contains(&gmi))
                    && o.effective.latest().is_some_and(|d| d >= from && d <= to)
            })
            .collect();
    let numerator = match tests.iter().filter_map(|o| o.effective.latest()).max() {
        None => Some("no HbA1c or GMI in the period".to_string()),
        Some(day) => {
            let lowest = tests
                .iter()
                .filter(|o| o.effective.latest() == Some(day))
                .min_by(|a, b| quantity(&a.value).total_cmp(&quantity(&b.value)));
            match lowest.map(|o| &o.value) {
                Some(Value::Quantity(v)) if *v > 9.0 => {
                    Some(format!("last glycemic status {v}% on {}", date(Some(day))))
                }
                Some(Value::None) => Some(format!(
                    "last glycemic status on {} has no result",
                    date(Some(day))
                )),
                // A value that is not a quantity (a code) is a result, but not a percentage
                // above 9: CQL's `value > 9 '%'` is null for it.
                _ => None,
            }
        }
    };
    if out.denominator_exclusion.is_none() {
        out.numerator = numerator;
    }
    vec![out]
}

/// A value to sort by: CQL sorts a missing value first, so a reading without a result
/// on the last day is the one the measure looks at.
fn quantity(v: &Value) -> f64 {
    match v {
        Value::Quantity(q) => *q,
        _ => f64::NEG_INFINITY,
    }
}
