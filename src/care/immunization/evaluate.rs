//! Evaluate the immunization history against one patient series: the loop
//! of section 4.4 (figure 4-6) and the dose checks of chapter 6.

use super::data::{AgeRule, IntervalFrom, Series, SeriesDose, SkipContext, VaccineAgeRange};
use super::duration::Duration;
use super::forecast::SeriesForecast;
use super::history::HistoryDose;
use super::report::{EvaluationReason, EvaluationStatus};
use super::skip;
use super::Context;
use chrono::NaiveDate;
use std::collections::HashSet;

/// Target dose status (table 3-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetStatus {
    NotSatisfied,
    Satisfied,
    Skipped,
}

/// A target dose: a series dose the patient has to meet.
#[derive(Debug, Clone)]
pub(crate) struct Target<'d> {
    pub dose: &'d SeriesDose,
    pub status: TargetStatus,
    /// Position in [`PatientSeries::doses`] of the dose that satisfied it.
    pub satisfied_by: Option<usize>,
}

/// One dose's evaluation in one patient series.
#[derive(Debug, Clone)]
pub(crate) struct DoseEvaluation {
    pub status: EvaluationStatus,
    pub reasons: Vec<EvaluationReason>,
    /// The target dose (position in [`PatientSeries::targets`]) it was held against.
    pub target: Option<usize>,
    /// Inadvertent doses are no reference for later intervals (CALCDTINT-1).
    pub inadvertent: bool,
}

/// A relevant patient series with its evaluated history and forecast.
#[derive(Debug, Clone)]
pub(crate) struct PatientSeries<'d> {
    pub series: &'d Series,
    /// The antigen's doses, in date order.
    pub doses: Vec<HistoryDose>,
    pub targets: Vec<Target<'d>>,
    /// Parallel to `doses`.
    pub evaluations: Vec<Option<DoseEvaluation>>,
    pub forecast: SeriesForecast,
}

impl<'d> PatientSeries<'d> {
    pub fn new(series: &'d Series, doses: Vec<HistoryDose>) -> Self {
        PatientSeries {
            series,
            targets: series
                .doses
                .iter()
                .map(|dose| Target {
                    dose,
                    status: TargetStatus::NotSatisfied,
                    satisfied_by: None,
                })
                .collect(),
            evaluations: vec![None; doses.len()],
            doses,
            forecast: SeriesForecast::default(),
        }
    }

    /// SELECTB-21: target doses satisfied.
    pub fn valid_count(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.status == TargetStatus::Satisfied)
            .count()
    }

    /// The status of the dose at `position`, if it was evaluated.
    pub fn status(&self, position: usize) -> Option<EvaluationStatus> {
        self.evaluations[position].as_ref().map(|e| e.status)
    }

    /// The date of the most recent dose before `position` that counts as a
    /// reference for an interval "from the previous dose" (CALCDTINT-1):
    /// evaluated valid or not valid, and not inadvertent.
    pub fn previous_reference(&self, position: usize) -> Option<NaiveDate> {
        (0..position).rev().find_map(|j| {
            let e = self.evaluations[j].as_ref()?;
            let counts = matches!(
                e.status,
                EvaluationStatus::Valid | EvaluationStatus::NotValid
            ) && !e.inadvertent;
            counts.then_some(self.doses[j].date)
        })
    }

    /// The reference date of an interval for a dose at `position` (a dose
    /// to be forecast has `position == doses.len()`) dated `on`.
    pub fn interval_reference(
        &self,
        ctx: &Context,
        from: &IntervalFrom,
        position: usize,
        on: NaiveDate,
    ) -> Option<NaiveDate> {
        match from {
            IntervalFrom::Previous => self.previous_reference(position),
            // CALCDTINT-2.
            IntervalFrom::TargetDose(n) => {
                let target = self.targets.get((*n as usize).checked_sub(1)?)?;
                target.satisfied_by.map(|j| self.doses[j].date)
            }
            // CALCDTINT-8: any dose of the patient, not only this antigen's
            // (zoster intervals are measured from varicella vaccine).
            IntervalFrom::MostRecent(cvx) => ctx
                .history
                .iter()
                .filter(|d| d.date < on && cvx.contains(&d.cvx))
                .filter(|d| !self.is_inadvertent(d.index))
                .map(|d| d.date)
                .max(),
            // CALCDTINT-9 needs the observation's date, which the input
            // does not carry: the interval cannot be measured.
            IntervalFrom::Observation(_) => None,
        }
    }

    fn is_inadvertent(&self, input_index: usize) -> bool {
        self.doses
            .iter()
            .zip(&self.evaluations)
            .any(|(d, e)| d.index == input_index && e.as_ref().is_some_and(|e| e.inadvertent))
    }
}

/// The age rule of a series dose that applies on `date` (RELEVANT-1/2).
pub(crate) fn age_rule(dose: &SeriesDose, date: NaiveDate) -> AgeRule {
    dose.ages
        .iter()
        .find(|a| a.effective.covers(date))
        .cloned()
        .unwrap_or_default()
}

/// `date` is inside an age range given as birth date plus begin/end ages.
pub(crate) fn in_age_range(
    ctx: &Context,
    begin: Option<Duration>,
    end: Option<Duration>,
    date: NaiveDate,
) -> bool {
    ctx.age_date(begin).is_none_or(|b| date >= b) && ctx.age_date(end).is_none_or(|e| date < e)
}

/// Evaluates every dose of `ps` (figure 4-6). `completed_groups` are the
/// series groups that already have a complete series, for "Completed Series"
/// conditional skips (table 6-7).
pub(crate) fn evaluate_series(
    ctx: &Context,
    ps: &mut PatientSeries,
    completed_groups: &HashSet<String>,
) {
    let mut t = 0;
    for k in 0..ps.doses.len() {
        // Section 6.2: skip target doses this dose does not need to meet.
        while t < ps.targets.len()
            && skip::can_skip(
                ctx,
                ps,
                t,
                SkipContext::Evaluation,
                ps.doses[k].date,
                k,
                completed_groups,
            )
        {
            ps.targets[t].status = TargetStatus::Skipped;
            t += 1;
        }
        if t >= ps.targets.len() {
            // Section 4.4 step 6a.
            ps.evaluations[k] = Some(DoseEvaluation {
                status: EvaluationStatus::Extraneous,
                reasons: vec![EvaluationReason::SeriesAlreadyComplete],
                target: None,
                inadvertent: false,
            });
            continue;
        }
        let evaluation = evaluate_dose(ctx, ps, t, k);
        let valid = evaluation.status == EvaluationStatus::Valid;
        ps.evaluations[k] = Some(evaluation);
        if valid {
            ps.targets[t].status = TargetStatus::Satisfied;
            ps.targets[t].satisfied_by = Some(k);
            // Section 4.4 step 5a: a recurring dose comes back.
            if ps.targets[t].dose.recurring {
                let again = Target {
                    dose: ps.targets[t].dose,
                    status: TargetStatus::NotSatisfied,
                    satisfied_by: None,
                };
                ps.targets.insert(t + 1, again);
            }
            t += 1;
        }
    }
}

/// Sections 6.3 to 6.10 for the dose at `k` against target dose `t`.
fn evaluate_dose(ctx: &Context, ps: &PatientSeries, t: usize, k: usize) -> DoseEvaluation {
    let dose = &ps.doses[k];
    let target = ps.targets[t].dose;
    let date = dose.date;
    // 6.3, table 6-13.
    if target.inadvertent.contains(&dose.cvx) {
        return DoseEvaluation {
            status: EvaluationStatus::NotValid,
            reasons: vec![EvaluationReason::InadvertentVaccine],
            target: Some(t),
            inadvertent: true,
        };
    }
    let mut reasons = Vec::new();
    // 6.4, table 6-15.
    let age = age_rule(target, date);
    let mut age_ok = true;
    let mut too_old = false;
    if ctx.age_date(age.abs_min).is_some_and(|d| date < d) {
        age_ok = false;
        reasons.push(EvaluationReason::AgeTooYoung);
    } else if ctx.age_date(age.max).is_some_and(|d| date >= d) {
        too_old = true;
        reasons.push(EvaluationReason::AgeTooOld);
    } else if ctx.age_date(age.min).is_some_and(|d| date < d) {
        reasons.push(EvaluationReason::AgeGracePeriod);
    }
    // 6.5 and 6.6: all preferable intervals, or else all allowable ones.
    let (preferable_ok, grace) = preferable_intervals(ctx, ps, target, k, date);
    let interval_ok = preferable_ok || allowable_intervals(ctx, ps, target, k, date);
    if !interval_ok {
        reasons.push(EvaluationReason::IntervalTooSoon);
    } else if preferable_ok && grace {
        reasons.push(EvaluationReason::IntervalGracePeriod);
    }
    // 6.7.
    let conflict = live_virus_conflict(ctx, ps, k);
    if conflict {
        reasons.push(EvaluationReason::LiveVirusConflict);
    }
    // 6.8 and 6.9.
    let vaccine_ok = is_preferable(ctx, target, dose) || is_allowable(ctx, &target.allowable, dose);
    if !vaccine_ok {
        reasons.push(EvaluationReason::NotPreferableOrAllowable);
    }
    // 6.10, table 6-31.
    let status = if too_old {
        EvaluationStatus::Extraneous
    } else if age_ok && interval_ok && !conflict && vaccine_ok {
        EvaluationStatus::Valid
    } else {
        EvaluationStatus::NotValid
    };
    DoseEvaluation {
        status,
        reasons,
        target: Some(t),
        inadvertent: false,
    }
}

/// Table 6-18 for every preferable interval that applies on `date`:
/// (all satisfied, any only within the grace period).
fn preferable_intervals(
    ctx: &Context,
    ps: &PatientSeries,
    target: &SeriesDose,
    k: usize,
    date: NaiveDate,
) -> (bool, bool) {
    let mut ok = true;
    let mut grace = false;
    for interval in target.intervals.iter().filter(|i| i.effective.covers(date)) {
        let Some(reference) = ps.interval_reference(ctx, &interval.from, k, date) else {
            continue;
        };
        if interval.abs_min.is_some_and(|a| date < a.after(reference)) {
            ok = false;
        } else if interval.min.is_some_and(|m| date < m.after(reference)) {
            grace = true;
        }
    }
    (ok, grace)
}

/// Table 6-21: with no allowable interval there is nothing to fall back on.
fn allowable_intervals(
    ctx: &Context,
    ps: &PatientSeries,
    target: &SeriesDose,
    k: usize,
    date: NaiveDate,
) -> bool {
    let relevant: Vec<_> = target
        .allowable_intervals
        .iter()
        .filter(|i| i.effective.covers(date))
        .collect();
    !relevant.is_empty()
        && relevant.iter().all(|interval| {
            match ps.interval_reference(ctx, &interval.from, k, date) {
                Some(reference) => interval.abs_min.is_none_or(|a| date >= a.after(reference)),
                None => true,
            }
        })
}

/// Section 6.7 (CALCDTCONFLICT-1/2, CONFLICT-3): the dose at `k` falls in
/// the conflict window of an earlier live vaccine of any antigen. The window
/// is shorter after a valid earlier dose, and after one this series did not
/// evaluate (another antigen's vaccine).
fn live_virus_conflict(ctx: &Context, ps: &PatientSeries, k: usize) -> bool {
    let current = &ps.doses[k];
    ctx.data
        .schedule
        .live_virus_conflicts
        .iter()
        .filter(|c| c.current_cvx == current.cvx)
        .any(|c| {
            ctx.history.iter().any(|previous| {
                if previous.cvx != c.previous_cvx || previous.date >= current.date {
                    return false;
                }
                let own = ps.doses.iter().position(|d| d.index == previous.index);
                let valid_or_unevaluated = own
                    .and_then(|j| ps.status(j))
                    .is_none_or(|s| s == EvaluationStatus::Valid);
                let begin = c.begin.after(previous.date);
                let end = if valid_or_unevaluated {
                    c.min_end
                } else {
                    c.end
                }
                .after(previous.date);
                current.date >= begin && current.date < end
            })
        })
}

/// Table 6-26. Volume is not checked (section 6.8: it is rarely recorded);
/// a preferable vaccine that names a manufacturer needs that manufacturer.
fn is_preferable(ctx: &Context, target: &SeriesDose, dose: &HistoryDose) -> bool {
    target.preferable.iter().any(|p| {
        p.cvx == dose.cvx
            && in_age_range(ctx, p.begin_age, p.end_age, dose.date)
            && p.mvx
                .as_deref()
                .is_none_or(|m| dose.mvx.as_deref() == Some(m))
    })
}

/// Table 6-29.
fn is_allowable(ctx: &Context, allowable: &[VaccineAgeRange], dose: &HistoryDose) -> bool {
    allowable
        .iter()
        .any(|a| a.cvx == dose.cvx && in_age_range(ctx, a.begin_age, a.end_age, dose.date))
}
