//! Forecast dates and reasons for one patient series (chapter 7).

use super::data::{IntervalFrom, SeriesDose, SkipContext};
use super::duration::add_days;
use super::evaluate::{age_rule, in_age_range, PatientSeries, TargetStatus};
use super::report::SeriesStatus;
use super::skip;
use super::Context;
use chrono::NaiveDate;
use std::collections::HashSet;

/// A patient series forecast.
#[derive(Debug, Clone)]
pub(crate) struct SeriesForecast {
    pub status: SeriesStatus,
    /// The forecast reason of table 7-10, when no dose is due.
    pub reason: Option<String>,
    pub dose_number: Option<u32>,
    pub earliest: Option<NaiveDate>,
    pub recommended: Option<NaiveDate>,
    pub past_due: Option<NaiveDate>,
    pub latest: Option<NaiveDate>,
    /// FORECASTPRIORITY-1: every preferable interval of the forecast dose
    /// carries the "override" priority flag.
    pub priority: bool,
    /// FORECASTRECVAC-1.
    pub recommended_cvx: Vec<String>,
    /// SELECTB-12.
    pub finish: Option<NaiveDate>,
    /// SELECTB-3.
    pub completable: bool,
}

impl Default for SeriesForecast {
    fn default() -> Self {
        SeriesForecast {
            status: SeriesStatus::NotComplete,
            reason: None,
            dose_number: None,
            earliest: None,
            recommended: None,
            past_due: None,
            latest: None,
            priority: false,
            recommended_cvx: Vec::new(),
            finish: None,
            completable: false,
        }
    }
}

fn stop(status: SeriesStatus, reason: &str) -> SeriesForecast {
    SeriesForecast {
        status,
        reason: Some(reason.to_string()),
        ..SeriesForecast::default()
    }
}

/// Sections 7.1 to 7.6: sets `ps.forecast` (and marks forecast-time skips).
pub(crate) fn forecast_series(
    ctx: &Context,
    ps: &mut PatientSeries,
    completed_groups: &HashSet<String>,
    immune: bool,
    antigen_contraindicated: bool,
    contraindicated_cvx: &HashSet<String>,
) {
    ps.forecast = forecast(
        ctx,
        ps,
        completed_groups,
        immune,
        antigen_contraindicated,
        contraindicated_cvx,
    );
}

fn forecast(
    ctx: &Context,
    ps: &mut PatientSeries,
    completed_groups: &HashSet<String>,
    immune: bool,
    antigen_contraindicated: bool,
    contraindicated_cvx: &HashSet<String>,
) -> SeriesForecast {
    let given = ps.doses.len();
    let mut t = ps
        .targets
        .iter()
        .position(|t| t.status == TargetStatus::NotSatisfied)
        .unwrap_or(ps.targets.len());
    // Table 7-10, the rules that need no dates first.
    if immune {
        return stop(SeriesStatus::Immune, "Patient has evidence of immunity");
    }
    loop {
        // 7.1: skips at the assessment date.
        while t < ps.targets.len()
            && skip::can_skip(
                ctx,
                ps,
                t,
                SkipContext::Forecast,
                ctx.assessment,
                given,
                completed_groups,
            )
        {
            ps.targets[t].status = TargetStatus::Skipped;
            t += 1;
        }
        if t >= ps.targets.len() {
            return if ps.valid_count() > 0 {
                stop(SeriesStatus::Complete, "Patient series is complete")
            } else {
                stop(
                    SeriesStatus::NotRecommended,
                    "Not recommended at this time due to past immunization history",
                )
            };
        }
        let target = ps.targets[t].dose;
        // 7.3, table 7-7: the antigen, or every preferable vaccine, is ruled out.
        if antigen_contraindicated
            || (!target.preferable.is_empty()
                && target
                    .preferable
                    .iter()
                    .all(|p| contraindicated_cvx.contains(&p.cvx)))
        {
            return stop(
                SeriesStatus::Contraindicated,
                "Patient has a contraindication",
            );
        }
        if target.season_end.is_some_and(|end| ctx.assessment > end) {
            return stop(
                SeriesStatus::NotRecommended,
                "Past seasonal recommendation end date",
            );
        }
        let age = age_rule(target, ctx.assessment);
        let max_age = ctx.age_date(age.max);
        if max_age.is_some_and(|m| ctx.assessment >= m) {
            return stop(
                SeriesStatus::AgedOut,
                "Patient has exceeded the maximum age",
            );
        }
        let mut f = dates(ctx, ps, target, contraindicated_cvx);
        let earliest = f.earliest.unwrap_or(ctx.patient.birth_date);
        if max_age.is_some_and(|m| earliest >= m) {
            return stop(
                SeriesStatus::AgedOut,
                "Patient is unable to finish the series prior to the maximum age",
            );
        }
        // 7.6: would the dose be skipped when the patient comes back on the
        // earliest date? Then forecast the next target dose instead.
        if skip::can_skip(
            ctx,
            ps,
            t,
            SkipContext::Forecast,
            earliest,
            given,
            completed_groups,
        ) {
            ps.targets[t].status = TargetStatus::Skipped;
            t += 1;
            continue;
        }
        finish(ctx, ps, t, &mut f);
        return f;
    }
}

/// Section 7.5 for the target dose `target` (FORECASTDTCAN-1, FORECASTDT-1 to -6,
/// FORECASTDN-1, FORECASTRECVAC-1).
fn dates(
    ctx: &Context,
    ps: &PatientSeries,
    target: &SeriesDose,
    contraindicated_cvx: &HashSet<String>,
) -> SeriesForecast {
    let assessment = ctx.assessment;
    let after_assessment = add_days(assessment, 1);
    let given = ps.doses.len();
    let age = age_rule(target, assessment);
    let mut earliest = ctx.age_date(age.min).unwrap_or(ctx.patient.birth_date);
    let mut earliest_rec_int: Option<NaiveDate> = None;
    let mut latest_rec_int: Option<NaiveDate> = None;
    let intervals: Vec<_> = target
        .intervals
        .iter()
        .filter(|i| i.effective.covers(assessment))
        .collect();
    for interval in &intervals {
        let Some(reference) = ps.interval_reference(ctx, &interval.from, given, after_assessment)
        else {
            continue;
        };
        if let Some(min) = interval.min {
            earliest = earliest.max(min.after(reference));
        }
        if let Some(rec) = interval.earliest_rec {
            let d = rec.after(reference);
            earliest_rec_int = Some(earliest_rec_int.map_or(d, |e| e.max(d)));
        }
        if let Some(late) = interval.latest_rec {
            let d = late.after(reference);
            latest_rec_int = Some(latest_rec_int.map_or(d, |e| e.max(d)));
        }
    }
    // CALCDTCONFLICT-3: a live vaccine due next waits out earlier live vaccines.
    for p in &target.preferable {
        for conflict in ctx
            .data
            .schedule
            .live_virus_conflicts
            .iter()
            .filter(|c| c.current_cvx == p.cvx)
        {
            for d in ctx
                .history
                .iter()
                .filter(|d| d.cvx == conflict.previous_cvx)
            {
                earliest = earliest.max(conflict.end.after(d.date));
            }
        }
    }
    if let Some(start) = target.season_start {
        earliest = earliest.max(start);
    }
    // The next dose never comes before a dose already held against the series.
    for (d, e) in ps.doses.iter().zip(&ps.evaluations) {
        if e.as_ref().is_some_and(|e| e.target.is_some()) {
            earliest = earliest.max(d.date);
        }
    }
    let unadjusted_recommended = ctx
        .age_date(age.earliest_rec)
        .or(earliest_rec_int)
        .unwrap_or(earliest);
    let unadjusted_past_due = ctx
        .age_date(age.latest_rec)
        .or(latest_rec_int)
        .map(|d| add_days(d, -1));
    let satisfied = ps
        .targets
        .iter()
        .filter(|target| {
            target.status == TargetStatus::Satisfied
                && match (target.dose.season_start, target.satisfied_by) {
                    (Some(start), Some(j)) => ps.doses[j].date >= start,
                    _ => true,
                }
        })
        .count();
    let recommended = unadjusted_recommended.max(earliest);
    let recommended_cvx = target
        .preferable
        .iter()
        .filter(|p| {
            p.forecast
                && !contraindicated_cvx.contains(&p.cvx)
                && (in_age_range(ctx, p.begin_age, p.end_age, earliest)
                    || in_age_range(ctx, p.begin_age, p.end_age, recommended))
        })
        .map(|p| p.cvx.clone())
        .collect();
    SeriesForecast {
        status: SeriesStatus::NotComplete,
        reason: None,
        dose_number: Some(satisfied as u32 + 1),
        earliest: Some(earliest),
        recommended: Some(recommended),
        past_due: unadjusted_past_due.map(|d| d.max(earliest)),
        latest: ctx.age_date(age.max).map(|d| add_days(d, -1)),
        priority: !intervals.is_empty() && intervals.iter().all(|i| i.priority),
        recommended_cvx,
        finish: None,
        completable: false,
    }
}

/// SELECTB-12 and SELECTB-3: when could the series be finished, and is that
/// before the last dose's maximum age? Each remaining dose comes at its
/// minimum interval from the one before and not before its minimum age.
fn finish(ctx: &Context, ps: &PatientSeries, t: usize, f: &mut SeriesForecast) {
    let Some(mut date) = f.earliest else {
        return;
    };
    for target in &ps.targets[t + 1..] {
        let age = age_rule(target.dose, ctx.assessment);
        if let Some(min_age) = ctx.age_date(age.min) {
            date = date.max(min_age);
        }
        let step = target
            .dose
            .intervals
            .iter()
            .filter(|i| i.from == IntervalFrom::Previous && i.effective.covers(ctx.assessment))
            .filter_map(|i| i.min)
            .map(|m| m.after(date))
            .max();
        if let Some(step) = step {
            date = date.max(step);
        }
    }
    let last_max = ps
        .targets
        .last()
        .and_then(|last| ctx.age_date(age_rule(last.dose, ctx.assessment).max));
    f.finish = Some(date);
    f.completable = last_max.is_none_or(|m| date < m);
}
