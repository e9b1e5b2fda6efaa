//! Practice-wide: who is due for what in a period, with counts per rule, a
//! CSV export and a recall list (who to call, their phone, what is due).

use std::borrow::Borrow;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::criteria::Subject;
use crate::care::csv::write_record;
use crate::care::facts::Facts;
use crate::care::preventive::{assess, may_apply, Detail, Rule, RuleSet, Settings, Status};

/// Who a row is about, as the recall clerk needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct PatientRef {
    pub id: String,
    pub mrn: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Why a patient is on the due list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// Due at the start of the period.
    Due,
    /// Past due by more than the rule's grace window at the start of the period.
    Overdue,
    /// Comes due during the period.
    DueInPeriod,
}

impl DueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DueKind::Due => "due",
            DueKind::Overdue => "overdue",
            DueKind::DueInPeriod => "due_in_period",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct DueRow {
    pub patient: PatientRef,
    pub rule: String,
    pub title: String,
    pub kind: DueKind,
    pub due: NaiveDate,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RuleCount {
    pub rule: String,
    pub title: String,
    pub due: usize,
    pub overdue: usize,
    pub due_in_period: usize,
    /// Patients for whom the rule applies at all (any status but not applicable).
    pub eligible: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct DueList {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rules_version: String,
    /// Every enabled rule, in table order, even when nobody is due.
    pub counts: Vec<RuleCount>,
    /// By rule (table order), then due date, then name.
    pub rows: Vec<DueRow>,
}

/// The patients due for each enabled rule between `from` and `to` (both
/// included): each patient is assessed on `from`, and anything due by `to`
/// is listed. Declined services are not listed.
///
/// Patients are assessed on every core (each patient's assessment reads only their
/// own facts), and the rows are then put in one order, so the list is the same
/// however the work was split.
pub fn due_list<F: Borrow<Facts> + Sync>(
    rules: &RuleSet,
    settings: &Settings,
    patients: impl IntoIterator<Item = (PatientRef, F)>,
    period: (NaiveDate, NaiveDate),
) -> DueList {
    let (from, to) = period;
    let enabled: Vec<_> = rules
        .rules
        .iter()
        .filter(|r| settings.enabled(&r.def.id))
        .collect();
    let patients: Vec<(PatientRef, F)> = patients.into_iter().collect();
    let parts = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = patients.len().div_ceil(parts).max(256);
    let assessed: Vec<Assessed> = std::thread::scope(|scope| {
        let workers: Vec<_> = patients
            .chunks(chunk)
            .map(|part| {
                let enabled = &enabled;
                scope.spawn(move || assess_part(rules, settings, enabled, part, (from, to)))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a due-list worker panicked"))
            .collect()
    });
    let mut counts: Vec<RuleCount> = enabled.iter().map(|r| empty_count(r)).collect();
    let mut rows: Vec<(usize, DueRow)> = Vec::new();
    for (part_counts, part_rows) in assessed {
        for (total, part) in counts.iter_mut().zip(part_counts) {
            total.due += part.due;
            total.overdue += part.overdue;
            total.due_in_period += part.due_in_period;
            total.eligible += part.eligible;
        }
        rows.extend(part_rows);
    }
    // One rule's rows per bucket, each sorted on its own core; a patient has one row per
    // rule, so the order (due date, name, id) is total and no stable sort is needed.
    let mut buckets: Vec<Vec<DueRow>> = (0..enabled.len()).map(|_| Vec::new()).collect();
    for (index, row) in rows {
        buckets[index].push(row);
    }
    std::thread::scope(|scope| {
        let per = buckets.len().div_ceil(parts).max(1);
        for share in buckets.chunks_mut(per) {
            scope.spawn(move || {
                for bucket in share {
                    bucket.sort_unstable_by(|x, y| {
                        x.due
                            .cmp(&y.due)
                            .then_with(|| x.patient.name.cmp(&y.patient.name))
                            .then_with(|| x.patient.id.cmp(&y.patient.id))
                    });
                }
            });
        }
    });
    DueList {
        from,
        to,
        rules_version: rules.version.clone(),
        counts,
        rows: buckets.into_iter().flatten().collect(),
    }
}

/// One share's counts per enabled rule, and its rows with the rule's index.
type Assessed = (Vec<RuleCount>, Vec<(usize, DueRow)>);

fn empty_count(rule: &Rule) -> RuleCount {
    RuleCount {
        rule: rule.def.id.clone(),
        title: rule.def.title.clone(),
        due: 0,
        overdue: 0,
        due_in_period: 0,
        eligible: 0,
    }
}

/// One share of the patients: their counts per enabled rule and their rows, each
/// with the rule's index.
fn assess_part<F: Borrow<Facts>>(
    rules: &RuleSet,
    settings: &Settings,
    enabled: &[&Rule],
    patients: &[(PatientRef, F)],
    (from, to): (NaiveDate, NaiveDate),
) -> Assessed {
    let mut counts: Vec<RuleCount> = enabled.iter().map(|r| empty_count(r)).collect();
    let mut rows: Vec<(usize, DueRow)> = Vec::new();
    for (patient, facts) in patients {
        let subject = Subject::new(facts.borrow(), from);
        for (index, rule) in enabled.iter().enumerate() {
            // Sex and age rule most rules out; those need no full assessment.
            if !may_apply(rule, &subject, to) {
                continue;
            }
            let eff = settings.effective(rule, &rules.defaults);
            let status = assess(
                rule,
                &eff,
                &subject,
                Some(to),
                &rules.version,
                Detail::Brief,
            );
            let count = &mut counts[index];
            if !matches!(status.status, Status::NotApplicable { .. }) {
                count.eligible += 1;
            }
            let kind = match (&status.status, status.due) {
                (Status::Due, Some(_)) => DueKind::Due,
                (Status::Overdue { .. }, Some(_)) => DueKind::Overdue,
                (Status::DueSoon, Some(due)) if due <= to => DueKind::DueInPeriod,
                _ => continue,
            };
            match kind {
                DueKind::Due => count.due += 1,
                DueKind::Overdue => count.overdue += 1,
                DueKind::DueInPeriod => count.due_in_period += 1,
            }
            rows.push((
                index,
                DueRow {
                    patient: patient.clone(),
                    rule: status.rule,
                    title: status.title,
                    kind,
                    due: status.due.unwrap_or(from),
                    why: status.explanation.why,
                },
            ));
        }
    }
    (counts, rows)
}

/// The due list as CSV, one row per patient and rule.
pub fn to_csv(list: &DueList) -> String {
    let mut out = String::new();
    write_record(
        &mut out,
        &[
            "rule",
            "title",
            "status",
            "due",
            "patient_id",
            "mrn",
            "name",
            "phone",
            "why",
        ],
    );
    for row in &list.rows {
        let due = row.due.to_string();
        write_record(
            &mut out,
            &[
                row.rule.as_str(),
                row.title.as_str(),
                row.kind.as_str(),
                due.as_str(),
                row.patient.id.as_str(),
                row.patient.mrn.as_str(),
                row.patient.name.as_str(),
                row.patient.phone.as_deref().unwrap_or(""),
                row.why.as_str(),
            ],
        );
    }
    out
}

/// One patient to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RecallEntry {
    pub patient: PatientRef,
    /// E.g. "Colorectal cancer screening (overdue since 2020-05-01)".
    pub due: Vec<String>,
}

/// The due list turned into one entry per patient, by name.
pub fn recall_list(list: &DueList) -> Vec<RecallEntry> {
    // Grouped by a borrowed id, so a row costs a look-up and a line of text, not a copy
    // of the patient: a large practice has hundreds of thousands of rows.
    let mut by_patient: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut groups: Vec<(&PatientRef, Vec<String>)> = Vec::new();
    for row in &list.rows {
        let text = match row.kind {
            DueKind::Overdue => format!("{} (overdue since {})", row.title, row.due),
            DueKind::Due => format!("{} (due since {})", row.title, row.due),
            DueKind::DueInPeriod => format!("{} (due {})", row.title, row.due),
        };
        let index = *by_patient
            .entry(row.patient.id.as_str())
            .or_insert_with(|| {
                groups.push((&row.patient, Vec::new()));
                groups.len() - 1
            });
        groups[index].1.push(text);
    }
    groups.sort_by(|a, b| a.0.name.cmp(&b.0.name).then_with(|| a.0.id.cmp(&b.0.id)));
    groups
        .into_iter()
        .map(|(patient, due)| RecallEntry {
            patient: patient.clone(),
            due,
        })
        .collect()
}

/// The recall list as CSV: name, MRN, phone, what is due (`; `-separated).
pub fn recall_to_csv(entries: &[RecallEntry]) -> String {
    let mut out = String::new();
    write_record(&mut out, &["name", "mrn", "phone", "due"]);
    for e in entries {
        write_record(
            &mut out,
            &[
                e.patient.name.as_str(),
                e.patient.mrn.as_str(),
                e.patient.phone.as_deref().unwrap_or(""),
                e.due.join("; ").as_str(),
            ],
        );
    }
    out
}
