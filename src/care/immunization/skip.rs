//! Conditional skip (section 6.2, used by forecasting in 7.1 and 7.6): when a
//! target dose need not be met, because of the patient's age or the doses
//! already given.

use super::data::{CountLogic, SkipCondition, SkipContext, SkipSet};
use super::evaluate::{in_age_range, PatientSeries};
use super::report::EvaluationStatus;
use super::Context;
use chrono::NaiveDate;
use std::collections::HashSet;

/// Can target dose `t` of `ps` be skipped (table 6-11)?
///
/// `reference` is CONDSKIP-2's conditional skip reference date: the date
/// administered when evaluating, the assessment date when forecasting, the
/// earliest date when validating a forecast. `given` is how many of the
/// series' doses come before that moment (the doses that can count).
pub(crate) fn can_skip(
    ctx: &Context,
    ps: &PatientSeries,
    t: usize,
    context: SkipContext,
    reference: NaiveDate,
    given: usize,
    completed_groups: &HashSet<String>,
) -> bool {
    ps.targets[t]
        .dose
        .skips
        .iter()
        .filter(|s| s.context == context || s.context == SkipContext::Both)
        .any(|skip| {
            // Section 3.3: a set applies only inside its effective dates.
            let sets: Vec<&SkipSet> = skip
                .sets
                .iter()
                .filter(|s| s.effective.covers(reference))
                .collect();
            if sets.is_empty() {
                return false;
            }
            let met = |s: &&SkipSet| set_met(ctx, ps, s, reference, given, completed_groups);
            if skip.all_sets {
                sets.iter().all(met)
            } else {
                sets.iter().any(met)
            }
        })
}

/// Table 6-10.
fn set_met(
    ctx: &Context,
    ps: &PatientSeries,
    set: &SkipSet,
    reference: NaiveDate,
    given: usize,
    completed_groups: &HashSet<String>,
) -> bool {
    let met = |c: &SkipCondition| condition_met(ctx, ps, c, reference, given, completed_groups);
    if set.conditions.is_empty() {
        false
    } else if set.all_conditions {
        set.conditions.iter().all(met)
    } else {
        set.conditions.iter().any(met)
    }
}

/// Tables 6-6 to 6-9.
fn condition_met(
    ctx: &Context,
    ps: &PatientSeries,
    condition: &SkipCondition,
    reference: NaiveDate,
    given: usize,
    completed_groups: &HashSet<String>,
) -> bool {
    match condition {
        SkipCondition::Age { begin_age, end_age } => {
            in_age_range(ctx, *begin_age, *end_age, reference)
        }
        SkipCondition::CompletedSeries { series_groups } => {
            series_groups.iter().any(|g| completed_groups.contains(g))
        }
        // CALCDTSKIP-5: from the immediate previous dose administered.
        SkipCondition::Interval { interval } => given
            .checked_sub(1)
            .and_then(|j| ps.doses.get(j))
            .is_some_and(|previous| reference >= interval.after(previous.date)),
        SkipCondition::VaccineCount {
            begin_age,
            end_age,
            start_date,
            end_date,
            count,
            valid_only,
            logic,
            cvx,
        } => {
            // CONDSKIP-1.
            let n = ps.doses[..given.min(ps.doses.len())]
                .iter()
                .enumerate()
                .filter(|(j, d)| {
                    (cvx.is_empty() || cvx.contains(&d.cvx))
                        && in_age_range(ctx, *begin_age, *end_age, d.date)
                        && start_date.is_none_or(|s| d.date >= s)
                        && end_date.is_none_or(|e| d.date < e)
                        && (!valid_only || ps.status(*j) == Some(EvaluationStatus::Valid))
                })
                .count();
            match logic {
                CountLogic::GreaterThan => n > *count,
                CountLogic::Equal => n == *count,
                CountLogic::LessThan => n < *count,
            }
        }
    }
}
