//! Relevant patient series (chapter 5) and best patient series (chapter 8)
//! for each antigen, with each relevant series evaluated and forecast in
//! between (section 4.4).

use super::data::{Antigen, Series, SeriesType};
use super::evaluate::{evaluate_series, in_age_range, PatientSeries, TargetStatus};
use super::forecast::forecast_series;
use super::history::antigen_doses;
use super::report::{EvaluationStatus, SeriesStatus};
use super::Context;
use std::collections::{BTreeMap, HashSet};

/// One antigen's relevant series, each evaluated and forecast, and the best.
pub(crate) struct AntigenResult<'d> {
    pub antigen: &'d Antigen,
    pub series: Vec<PatientSeries<'d>>,
    /// Positions in `series` of the best patient series (section 8.8).
    pub best: Vec<usize>,
}

/// Sections 4.3 to 4.5 for every antigen of the supporting data.
pub(crate) fn assess_antigens(ctx: &Context) -> Vec<AntigenResult<'static>> {
    ctx.data
        .antigens
        .iter()
        .map(|antigen| assess_antigen(ctx, antigen))
        .collect()
}

fn assess_antigen(ctx: &Context, antigen: &'static Antigen) -> AntigenResult<'static> {
    let doses = antigen_doses(ctx, &antigen.name);
    let relevant: Vec<&'static Series> = antigen
        .series
        .iter()
        .filter(|s| is_relevant(ctx, s))
        .collect();
    let immune = has_immunity(ctx, antigen);
    let antigen_contraindicated = antigen.antigen_contraindications.iter().any(|c| {
        ctx.has_observation(&c.code) && in_age_range(ctx, c.begin_age, c.end_age, ctx.assessment)
    });
    let contraindicated_cvx: HashSet<String> = antigen
        .vaccine_contraindications
        .iter()
        .filter(|c| ctx.has_observation(&c.code))
        .flat_map(|c| c.vaccines.iter())
        .filter(|v| in_age_range(ctx, v.begin_age, v.end_age, ctx.assessment))
        .map(|v| v.cvx.clone())
        .collect();
    let run = |completed: &HashSet<String>| -> Vec<PatientSeries<'static>> {
        relevant
            .iter()
            .map(|series| {
                let mut ps = PatientSeries::new(series, doses.clone());
                evaluate_series(ctx, &mut ps, completed);
                forecast_series(
                    ctx,
                    &mut ps,
                    completed,
                    immune,
                    antigen_contraindicated,
                    &contraindicated_cvx,
                );
                ps
            })
            .collect()
    };
    // "Completed Series" skips (table 6-7) look at the other series: a first
    // pass finds which series groups are complete, a second uses that.
    let mut series = run(&HashSet::new());
    let completed: HashSet<String> = series
        .iter()
        .filter(|ps| ps.forecast.status == SeriesStatus::Complete)
        .map(|ps| ps.series.series_group.clone())
        .collect();
    if !completed.is_empty() {
        series = run(&completed);
    }
    let best = best_series(ctx, &series);
    AntigenResult {
        antigen,
        series,
        best,
    }
}

/// Table 5-5 (with 5-4 for risk series).
fn is_relevant(ctx: &Context, series: &Series) -> bool {
    let gender_ok = series.required_gender.is_empty()
        || series
            .required_gender
            .iter()
            .any(|g| g.eq_ignore_ascii_case(ctx.patient.sex.cdsi_name()));
    if !gender_ok {
        return false;
    }
    match series.series_type {
        SeriesType::Standard | SeriesType::EvaluationOnly => true,
        SeriesType::Risk => series.indications.iter().any(|i| {
            ctx.has_observation(&i.code)
                && in_age_range(ctx, i.begin_age, i.end_age, ctx.assessment)
        }),
    }
}

/// Table 7-3. The input has no country of birth: an immunity rule that
/// names a country is taken as not met, one that names none applies to all.
fn has_immunity(ctx: &Context, antigen: &Antigen) -> bool {
    antigen
        .immunity
        .clinical_history
        .iter()
        .any(|code| ctx.has_observation(code))
        || antigen.immunity.birth.iter().any(|b| {
            ctx.patient.birth_date < b.before
                && !b.exclusions.iter().any(|e| ctx.has_observation(e))
                && b.country.is_empty()
        })
}

/// The patient has reached the series' minimum age to start: until then a
/// series with no valid dose is no way forward, default or not (the
/// pneumococcal 50+ series for a child whose infant series is complete).
fn old_enough(ctx: &Context, series: &Series) -> bool {
    ctx.age_date(series.min_age_to_start)
        .is_none_or(|d| ctx.assessment >= d)
}

/// The earliest date of a valid dose in the series.
fn first_valid(ps: &PatientSeries) -> Option<chrono::NaiveDate> {
    ps.doses
        .iter()
        .enumerate()
        .find(|(j, _)| ps.status(*j) == Some(EvaluationStatus::Valid))
        .map(|(_, d)| d.date)
}

fn is_complete(ps: &PatientSeries) -> bool {
    ps.forecast.status == SeriesStatus::Complete
}

/// SELECTB-16.
fn is_in_process(ps: &PatientSeries) -> bool {
    ps.valid_count() > 0 && ps.forecast.status == SeriesStatus::NotComplete
}

/// Priority 'A' outranks 'B'.
fn priority_rank(series: &Series) -> u8 {
    series.priority.bytes().next().unwrap_or(b'Z')
}

/// Chapter 8: one prioritized series per series group, then the best.
fn best_series(ctx: &Context, all: &[PatientSeries]) -> Vec<usize> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, ps) in all.iter().enumerate() {
        groups.entry(&ps.series.series_group).or_default().push(i);
    }
    let prioritized: Vec<usize> = groups
        .values()
        .filter_map(|members| prioritized_series(ctx, all, members))
        .collect();
    // Table 8-14.
    prioritized
        .iter()
        .copied()
        .filter(|&p| {
            let ps = &all[p];
            if is_complete(ps) {
                return true;
            }
            let equivalent = |q: &usize| {
                *q != p
                    && ps
                        .series
                        .equivalent_series_groups
                        .contains(&all[*q].series.series_group)
            };
            if ps.series.series_type == SeriesType::EvaluationOnly {
                return false;
            }
            if prioritized
                .iter()
                .filter(|q| equivalent(q))
                .any(|q| is_complete(&all[*q]))
            {
                return false;
            }
            match ps.series.series_type {
                SeriesType::Risk => true,
                _ => !prioritized
                    .iter()
                    .filter(|q| equivalent(q))
                    .any(|q| all[*q].series.series_type == SeriesType::Risk),
            }
        })
        .collect()
}

/// Sections 8.1 to 8.7 for one series group.
fn prioritized_series(ctx: &Context, all: &[PatientSeries], members: &[usize]) -> Option<usize> {
    // 8.1, SELECTB-24: contraindicated series drop out unless all are.
    let all_contraindicated = members
        .iter()
        .all(|&i| all[i].forecast.status == SeriesStatus::Contraindicated);
    let candidate =
        |i: &usize| all_contraindicated || all[*i].forecast.status != SeriesStatus::Contraindicated;
    let best_priority = members
        .iter()
        .map(|&i| priority_rank(all[i].series))
        .min()
        .unwrap_or(b'Z');
    let none_valid = members.iter().all(|&i| all[i].valid_count() == 0);
    // With no default series to fall back on, a series the patient has not
    // begun is a way forward only inside its start ages (minimum and maximum
    // age to start, appendix A).
    let startable = |i: usize| {
        let s = all[i].series;
        ctx.age_date(s.min_age_to_start)
            .is_none_or(|d| ctx.assessment >= d)
            && ctx
                .age_date(s.max_age_to_start)
                .is_none_or(|d| ctx.assessment < d)
    };
    let default = members
        .iter()
        .copied()
        .find(|&i| all[i].series.default_series)
        .filter(|&i| all[i].valid_count() > 0 || old_enough(ctx, all[i].series));
    // SELECTSCORE-2.
    let scorable: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| {
            let ps = &all[*i];
            match ps.series.series_type {
                SeriesType::Risk => priority_rank(ps.series) == best_priority && candidate(i),
                SeriesType::Standard => {
                    candidate(i)
                        && match first_valid(ps) {
                            Some(first) => ctx
                                .age_date(ps.series.max_age_to_start)
                                .is_none_or(|m| first < m),
                            None => none_valid && default.is_none() && startable(*i),
                        }
                }
                SeriesType::EvaluationOnly => is_complete(ps),
            }
        })
        .collect();
    // 8.2, table 8-3.
    let complete: Vec<usize> = scorable
        .iter()
        .copied()
        .filter(|&i| is_complete(&all[i]))
        .collect();
    let in_process: Vec<usize> = scorable
        .iter()
        .copied()
        .filter(|&i| is_in_process(&all[i]))
        .collect();
    match scorable.len() {
        0 => return default,
        1 => return Some(scorable[0]),
        _ => {}
    }
    if complete.len() == 1 {
        return Some(complete[0]);
    }
    if complete.is_empty() && in_process.len() == 1 {
        return Some(in_process[0]);
    }
    if complete.is_empty() && in_process.is_empty() && default.is_some() {
        return default;
    }
    // 8.3, table 8-5, then the scoring of 8.4 to 8.6.
    let (scored, scores): (Vec<usize>, Vec<i32>) = if complete.len() >= 2 {
        let s = score_complete(all, &complete);
        (complete, s)
    } else if in_process.len() >= 2 {
        let s = score_in_process(all, &in_process);
        (in_process, s)
    } else {
        let none: Vec<usize> = scorable
            .iter()
            .copied()
            .filter(|&i| all[i].valid_count() == 0)
            .collect();
        let s = score_no_valid_doses(all, &none);
        (none, s)
    };
    // 8.7, SELECTBEST-2: highest score, then the best series preference.
    scored
        .iter()
        .zip(&scores)
        .max_by(|(a, sa), (b, sb)| {
            sa.cmp(sb)
                .then_with(|| all[**b].series.preference.cmp(&all[**a].series.preference))
        })
        .map(|(i, _)| *i)
}

/// Points for a condition that may hold for several series: +win alone, 0
/// shared, -win when it does not hold.
fn shared_points(holds: &[bool], win: i32) -> Vec<i32> {
    let n = holds.iter().filter(|h| **h).count();
    holds
        .iter()
        .map(|&h| match (h, n) {
            (true, 1) => win,
            (true, _) => 0,
            (false, _) => -win,
        })
        .collect()
}

/// Points for a condition that is judged per series alone.
fn own_points(holds: &[bool], win: i32) -> Vec<i32> {
    holds.iter().map(|&h| if h { win } else { -win }).collect()
}

fn add(total: &mut [i32], points: Vec<i32>) {
    for (t, p) in total.iter_mut().zip(points) {
        *t += p;
    }
}

/// SELECTB-19.
fn most_valid(all: &[PatientSeries], set: &[usize]) -> Vec<bool> {
    let max = set.iter().map(|&i| all[i].valid_count()).max().unwrap_or(0);
    set.iter().map(|&i| all[i].valid_count() == max).collect()
}

/// Table 8-7.
fn score_complete(all: &[PatientSeries], set: &[usize]) -> Vec<i32> {
    shared_points(&most_valid(all, set), 1)
}

/// Table 8-9.
fn score_in_process(all: &[PatientSeries], set: &[usize]) -> Vec<i32> {
    let mut total = vec![0; set.len()];
    // SELECTB-2 and SELECTB-23.
    let product_all_valid: Vec<bool> = set
        .iter()
        .map(|&i| {
            let ps = &all[i];
            ps.series.product_path
                && ps
                    .evaluations
                    .iter()
                    .flatten()
                    .filter(|e| e.target.is_some())
                    .all(|e| e.status == EvaluationStatus::Valid)
        })
        .collect();
    add(&mut total, own_points(&product_all_valid, 2));
    let completable: Vec<bool> = set.iter().map(|&i| all[i].forecast.completable).collect();
    add(&mut total, own_points(&completable, 3));
    add(&mut total, shared_points(&most_valid(all, set), 2));
    // SELECTB-5.
    let remaining: Vec<usize> = set
        .iter()
        .map(|&i| {
            all[i]
                .targets
                .iter()
                .filter(|t| t.status == TargetStatus::NotSatisfied)
                .count()
        })
        .collect();
    let fewest = remaining.iter().copied().min().unwrap_or(0);
    let closest: Vec<bool> = remaining.iter().map(|&r| r == fewest).collect();
    add(&mut total, shared_points(&closest, 2));
    // SELECTB-11.
    let first_finish = set
        .iter()
        .filter(|&&i| all[i].forecast.completable)
        .filter_map(|&i| all[i].forecast.finish)
        .min();
    let earliest_finish: Vec<bool> = set
        .iter()
        .map(|&i| {
            let f = &all[i].forecast;
            f.completable && f.finish.is_some() && f.finish == first_finish
        })
        .collect();
    add(&mut total, shared_points(&earliest_finish, 1));
    total
}

/// Table 8-11.
fn score_no_valid_doses(all: &[PatientSeries], set: &[usize]) -> Vec<i32> {
    let mut total = vec![0; set.len()];
    // SELECTB-14: the start date is the earliest date of the forecast.
    let first_start = set.iter().filter_map(|&i| all[i].forecast.earliest).min();
    let starts_first: Vec<bool> = set
        .iter()
        .map(|&i| all[i].forecast.earliest.is_some() && all[i].forecast.earliest == first_start)
        .collect();
    add(&mut total, shared_points(&starts_first, 1));
    let completable: Vec<bool> = set.iter().map(|&i| all[i].forecast.completable).collect();
    add(&mut total, own_points(&completable, 1));
    let product: Vec<bool> = set.iter().map(|&i| all[i].series.product_path).collect();
    add(&mut total, own_points(&product, -1));
    total
}
