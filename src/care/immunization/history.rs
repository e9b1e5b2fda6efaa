//! Organize immunization history (section 4.2): the doses given, broken into
//! the antigens each vaccine carries.

use super::data::normalize_cvx;
use super::{Context, Dose};
use chrono::NaiveDate;

/// A dose of the patient's history, with its CVX normalised.
#[derive(Debug, Clone)]
pub(crate) struct HistoryDose {
    /// Position in the caller's list, so results come back in input order.
    pub index: usize,
    pub date: NaiveDate,
    pub cvx: String,
    pub mvx: Option<String>,
}

/// The doses on or before the assessment date, by date (ties in input order).
pub(crate) fn history(doses: &[Dose], assessment: NaiveDate) -> Vec<HistoryDose> {
    let mut out: Vec<HistoryDose> = doses
        .iter()
        .enumerate()
        .filter(|(_, d)| d.date <= assessment)
        .map(|(index, d)| HistoryDose {
            index,
            date: d.date,
            cvx: normalize_cvx(&d.cvx),
            mvx: d
                .mvx
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_ascii_uppercase),
        })
        .collect();
    out.sort_by_key(|d| (d.date, d.index));
    out
}

/// The antigen administered records of one antigen, in date order: the doses
/// whose vaccine carries the antigen at the patient's age on the day given
/// (the CVX map's association begin and end ages).
pub(crate) fn antigen_doses(ctx: &Context, antigen: &str) -> Vec<HistoryDose> {
    ctx.history
        .iter()
        .filter(|d| {
            ctx.data.schedule.cvx_map.get(&d.cvx).is_some_and(|m| {
                m.associations.iter().any(|a| {
                    a.antigen == antigen
                        && ctx.age_date(a.begin_age).is_none_or(|b| d.date >= b)
                        && ctx.age_date(a.end_age).is_none_or(|e| d.date < e)
                })
            })
        })
        .cloned()
        .collect()
}
