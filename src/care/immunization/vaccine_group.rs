//! Identify and evaluate vaccine groups (chapter 9): the antigens' best
//! series merged into one forecast per vaccine group, and the report.

use super::data::SeriesType;
use super::evaluate::PatientSeries;
use super::report::{
    primary_reason, AntigenEvaluation, AntigenSeriesReport, DoseReport, EvaluationStatus,
    ForecastKind, GroupDoseEvaluation, Report, SeriesStatus, VaccineGroupReport,
};
use super::series::AntigenResult;
use super::{Context, Dose};
use chrono::NaiveDate;

fn kind_of(ps: &PatientSeries) -> ForecastKind {
    match ps.series.series_type {
        SeriesType::Risk => ForecastKind::Risk,
        SeriesType::Standard | SeriesType::EvaluationOnly => ForecastKind::Standard,
    }
}

/// The best series of `result` of this kind, if any (the first when a
/// series group offers more than one).
fn best_of<'r>(result: &'r AntigenResult, kind: ForecastKind) -> Option<&'r PatientSeries<'r>> {
    // Series groups that are not equivalent can each hold a best series
    // (pneumococcal for infants and for adults 50 and over). The vaccine
    // group forecast shows the one that asks for action: a dose due before
    // a finished series, and either before a series the patient aged out of.
    let rank = |ps: &PatientSeries| match ps.forecast.status {
        SeriesStatus::NotComplete => 0,
        SeriesStatus::Complete => 1,
        SeriesStatus::Immune => 2,
        SeriesStatus::Contraindicated => 3,
        SeriesStatus::NotRecommended => 4,
        SeriesStatus::AgedOut => 5,
    };
    result
        .best
        .iter()
        .map(|&i| &result.series[i])
        .filter(|ps| kind_of(ps) == kind)
        .min_by_key(|ps| rank(ps))
}

/// The best series whose evaluations stand for an antigen in the dose list:
/// the standard one when there is one.
fn reporting_series<'r>(result: &'r AntigenResult) -> Option<&'r PatientSeries<'r>> {
    best_of(result, ForecastKind::Standard).or_else(|| best_of(result, ForecastKind::Risk))
}

/// Builds the report from every antigen's results.
pub(crate) fn report(ctx: &Context, doses: &[Dose], antigens: &[AntigenResult]) -> Report {
    let mut dose_reports: Vec<DoseReport> = doses
        .iter()
        .enumerate()
        .map(|(index, d)| DoseReport {
            index,
            date: d.date,
            cvx: d.cvx.clone(),
            evaluations: Vec::new(),
        })
        .collect();
    for result in antigens {
        let Some(ps) = reporting_series(result) else {
            continue;
        };
        for (j, d) in ps.doses.iter().enumerate() {
            let Some(e) = &ps.evaluations[j] else {
                continue;
            };
            dose_reports[d.index].evaluations.push(AntigenEvaluation {
                antigen: result.antigen.name.clone(),
                vaccine_group: ps.series.vaccine_group.clone(),
                series_name: ps.series.name.clone(),
                target_dose: e.target.map(|t| t as u32 + 1),
                status: e.status,
                reason: primary_reason(e.status, &e.reasons),
                reasons: e.reasons.clone(),
            });
        }
    }
    let mut vaccine_groups = Vec::new();
    for group in &ctx.data.schedule.vaccine_groups {
        let results: Vec<&AntigenResult> = group
            .antigens
            .iter()
            .filter_map(|name| antigens.iter().find(|r| &r.antigen.name == name))
            .collect();
        for kind in [ForecastKind::Standard, ForecastKind::Risk] {
            let members: Vec<(&AntigenResult, &PatientSeries)> = results
                .iter()
                .filter_map(|r| best_of(r, kind).map(|ps| (*r, ps)))
                .collect();
            if members.is_empty() {
                continue;
            }
            vaccine_groups.push(group_forecast(
                &group.name,
                group.antigens.len() > 1,
                group.administer_full,
                kind,
                &members,
            ));
        }
    }
    Report {
        assessment_date: ctx.assessment,
        doses: dose_reports,
        vaccine_groups,
    }
}

fn group_forecast(
    name: &str,
    multiple: bool,
    administer_full: bool,
    kind: ForecastKind,
    members: &[(&AntigenResult, &PatientSeries)],
) -> VaccineGroupReport {
    let statuses: Vec<SeriesStatus> = members.iter().map(|(_, ps)| ps.forecast.status).collect();
    let has = |s: SeriesStatus| statuses.contains(&s);
    // SINGLEANTVG-1, or table 9-4.
    let status = if !multiple {
        statuses[0]
    } else if has(SeriesStatus::Contraindicated) {
        SeriesStatus::Contraindicated
    } else if has(SeriesStatus::AgedOut) {
        SeriesStatus::AgedOut
    } else if has(SeriesStatus::NotRecommended) {
        SeriesStatus::NotRecommended
    } else if has(SeriesStatus::NotComplete) {
        SeriesStatus::NotComplete
    } else if statuses.iter().all(|s| *s == SeriesStatus::Immune) {
        SeriesStatus::Immune
    } else {
        SeriesStatus::Complete
    };
    let due: Vec<&PatientSeries> = members
        .iter()
        .map(|(_, ps)| *ps)
        .filter(|ps| {
            ps.forecast.status == SeriesStatus::NotComplete && ps.forecast.earliest.is_some()
        })
        .collect();
    let mut report = VaccineGroupReport {
        vaccine_group: name.to_string(),
        kind,
        status,
        forecast_dose_number: None,
        earliest_date: None,
        recommended_date: None,
        past_due_date: None,
        latest_date: None,
        reasons: members
            .iter()
            .filter_map(|(_, ps)| ps.forecast.reason.clone())
            .fold(Vec::new(), |mut all, r| {
                if !all.contains(&r) {
                    all.push(r);
                }
                all
            }),
        series: members
            .iter()
            .map(|(r, ps)| AntigenSeriesReport {
                antigen: r.antigen.name.clone(),
                series_name: ps.series.name.clone(),
                status: ps.forecast.status,
                forecast_dose_number: ps.forecast.dose_number,
                earliest_date: ps.forecast.earliest,
                recommended_date: ps.forecast.recommended,
                past_due_date: ps.forecast.past_due,
                latest_date: ps.forecast.latest,
                reason: ps.forecast.reason.clone(),
                recommended_cvx: ps.forecast.recommended_cvx.clone(),
            })
            .collect(),
        doses: group_doses(members),
    };
    if status == SeriesStatus::NotComplete && !due.is_empty() {
        let earliest_each = due.iter().filter_map(|ps| ps.forecast.earliest);
        let earliest = if !multiple {
            // SINGLEANTVG-2.
            earliest_each.min()
        } else if due.iter().any(|ps| ps.forecast.priority) {
            // MULTIANTVG-1, first case: the earliest of all, but not before
            // the last dose of a vaccine of the group.
            let last_given = members
                .iter()
                .flat_map(|(_, ps)| ps.doses.iter().map(|d| d.date))
                .max();
            earliest_each
                .min()
                .map(|e| last_given.map_or(e, |l| e.max(l)))
        } else {
            earliest_each.max()
        };
        let min_of =
            |f: fn(&PatientSeries) -> Option<NaiveDate>| due.iter().filter_map(|ps| f(ps)).min();
        // FORECASTVG-2 to -4.
        report.earliest_date = earliest;
        report.recommended_date =
            min_of(|ps| ps.forecast.recommended).map(|r| earliest.map_or(r, |e| r.max(e)));
        report.past_due_date =
            min_of(|ps| ps.forecast.past_due).map(|p| earliest.map_or(p, |e| p.max(e)));
        report.latest_date = min_of(|ps| ps.forecast.latest);
        // FORECASTDN-2.
        let numbers = due.iter().filter_map(|ps| ps.forecast.dose_number);
        report.forecast_dose_number = if administer_full {
            numbers.min()
        } else {
            numbers.max()
        };
    }
    report
}

/// Each dose of the group's antigens, merged over them: not valid for any
/// antigen is not valid for the group (it has to be repeated); valid for
/// any other is valid (a Tdap booster counts for tetanus and diphtheria
/// even when the pertussis series is already complete); else extraneous.
fn group_doses(members: &[(&AntigenResult, &PatientSeries)]) -> Vec<GroupDoseEvaluation> {
    let mut out: Vec<GroupDoseEvaluation> = Vec::new();
    for (_, ps) in members {
        for (j, d) in ps.doses.iter().enumerate() {
            let Some(e) = &ps.evaluations[j] else {
                continue;
            };
            let reason = primary_reason(e.status, &e.reasons);
            let rank = |s: EvaluationStatus| match s {
                EvaluationStatus::Extraneous => 0,
                EvaluationStatus::Valid => 1,
                EvaluationStatus::SubStandard => 2,
                EvaluationStatus::NotValid => 3,
            };
            match out.iter_mut().find(|g| g.index == d.index) {
                Some(g) if rank(e.status) > rank(g.status) => {
                    g.status = e.status;
                    g.reason = reason;
                    g.reasons = e.reasons.clone();
                }
                Some(g) if e.status == g.status => {
                    for r in &e.reasons {
                        if !g.reasons.contains(r) {
                            g.reasons.push(*r);
                        }
                    }
                }
                Some(_) => {}
                None => out.push(GroupDoseEvaluation {
                    index: d.index,
                    date: d.date,
                    status: e.status,
                    reason,
                    reasons: e.reasons.clone(),
                }),
            }
        }
    }
    out.sort_by_key(|g| g.index);
    out
}
