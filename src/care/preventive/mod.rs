//! Preventive care due: the USPSTF A and B recommendations a primary-care
//! practice acts on, as a rule table in `assets/preventive_rules.json`, and a
//! status per rule per patient from the chart's own data.
//!
//! ```
//! use chartkeep::care::facts::Facts;
//! use chartkeep::care::preventive::{evaluate, RuleSet, Settings, Status};
//! let facts: Facts = serde_json::from_str(r#"{"birth_date": "1970-05-01", "sex": "female"}"#).unwrap();
//! let on = "2025-06-01".parse().unwrap();
//! let statuses = evaluate(RuleSet::shipped(), &Settings::default(), &facts, on);
//! let breast = statuses.iter().find(|s| s.rule == "breast_cancer_screening").unwrap();
//! assert!(matches!(breast.status, Status::Overdue { .. }));
//! ```
//!
//! # What each status means
//!
//! A rule first decides whether it applies: sex, pregnancy, the age range
//! (from the `min_age` birthday to the day before the birthday after
//! `max_age`), the exclusions (`not_applicable_if`, e.g. a total colectomy)
//! and the risk conditions (`requires`). When it does not apply, or the chart
//! lacks a fact it needs (no BMI, no pack-years), the status is
//! **not applicable**, with why and what is missing.
//!
//! Then the **due date**: the date the last qualifying service (a procedure,
//! a result, a completed order, an active medication) stops counting, that is
//! its date plus the method's interval. With no service on record it is the
//! birthday that brought the patient into the age range, or, for a rule that
//! depends on a risk condition or a pregnancy (whose start the facts do not
//! date), the assessment date itself: such a rule is due, never overdue,
//! until a service is recorded.
//!
//! - **satisfied**: the due date is more than `due_soon_days` away, or never
//!   comes (a once-only service done, a preventive medication active);
//! - **due soon**: the due date is in the next `due_soon_days` days, which also
//!   covers someone who reaches the starting age within that window;
//! - **due**: the due date is today or passed at most `overdue_after_days` ago
//!   (an interval that ends today is due today);
//! - **overdue**: the due date passed more than `overdue_after_days` ago;
//! - **declined**: due or overdue, but the patient declined it after the last
//!   service and less than `decline_valid_months` ago; reminders then resume.
//!
//! Every status carries its explanation: the rule, the facts it used and the
//! citation of the recommendation.

pub mod due_list;
pub mod rules;
pub mod settings;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::criteria::{Outcome, Subject};
use crate::care::facts::{add_months, age_on, birthday, CodeSystem, Facts, Sex};

pub use due_list::{
    due_list, recall_list, recall_to_csv, to_csv, DueKind, DueList, DueRow, PatientRef,
    RecallEntry, RuleCount,
};
pub use rules::{Grade, Interval, Rule, RuleSet};
pub(crate) use settings::Effective;
pub use settings::{RuleSettings, Settings};

/// The status of one rule for one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    Due,
    DueSoon,
    Overdue {
        days_overdue: i64,
    },
    Satisfied {
        by: String,
        date: NaiveDate,
        /// `None` when it never needs repeating (once-only, or a medication while active).
        next_due: Option<NaiveDate>,
    },
    NotApplicable {
        why: String,
        /// Facts that, once recorded, would let the rule decide.
        missing: Vec<String>,
    },
    Declined {
        reason: String,
        date: NaiveDate,
    },
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Due => "due",
            Status::DueSoon => "due_soon",
            Status::Overdue { .. } => "overdue",
            Status::Satisfied { .. } => "satisfied",
            Status::NotApplicable { .. } => "not_applicable",
            Status::Declined { .. } => "declined",
        }
    }
}

/// The last service that counted for a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Done {
    /// The method's label, e.g. "Colonoscopy".
    pub by: String,
    /// The method's id in the rule table.
    pub method: String,
    pub date: NaiveDate,
    /// The chart item, e.g. `procedure SNOMED CT 73761001 "Colonoscopy"`.
    pub evidence: String,
    pub next_due: Option<NaiveDate>,
}

/// The recommendation a status rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Citation {
    pub statement: String,
    pub grade: String,
    pub date: NaiveDate,
    pub text: String,
}

/// Why a status is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Explanation {
    /// One sentence for the clinician.
    pub why: String,
    /// The facts the rule used.
    pub data: Vec<String>,
    pub citation: Citation,
    /// The rule table's version.
    pub rules_version: String,
}

/// One rule's result for one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RuleStatus {
    pub rule: String,
    pub title: String,
    pub status: Status,
    /// When it is (or was, or will be) due; `None` when not applicable or never again.
    pub due: Option<NaiveDate>,
    pub last_done: Option<Done>,
    /// Open orders that would satisfy the rule once done.
    pub pending_orders: Vec<String>,
    pub explanation: Explanation,
}

/// The status of every enabled rule for one patient on `on`. Rules switched
/// off in `settings` are left out.
pub fn evaluate(
    rules: &RuleSet,
    settings: &Settings,
    facts: &Facts,
    on: NaiveDate,
) -> Vec<RuleStatus> {
    let subject = Subject::new(facts, on);
    evaluate_subject(rules, settings, &subject, None)
}

/// As [`evaluate`], with "due soon" reaching at least to `soon_until` (the
/// end of a due-list period).
pub(crate) fn evaluate_subject(
    rules: &RuleSet,
    settings: &Settings,
    subject: &Subject,
    soon_until: Option<NaiveDate>,
) -> Vec<RuleStatus> {
    rules
        .rules
        .iter()
        .filter(|r| settings.enabled(&r.def.id))
        .map(|rule| {
            let eff = settings.effective(rule, &rules.defaults);
            assess(
                rule,
                &eff,
                subject,
                soon_until,
                &rules.version,
                Detail::Full,
            )
        })
        .collect()
}

/// Whether the rule's sex, pregnancy and age limits can let the patient in
/// by `soon_until`: a check that allocates nothing, so practice-wide lists
/// skip the full assessment (and its explanation) for most rules.
pub(crate) fn may_apply(rule: &Rule, subject: &Subject, soon_until: NaiveDate) -> bool {
    let facts = subject.facts;
    let pop = &rule.population;
    if facts.birth_date > subject.on
        || pop
            .sex
            .is_some_and(|sex| sex != facts.sex && matches!(facts.sex, Sex::Female | Sex::Male))
        || (pop.pregnant == Some(true) && facts.pregnancy != Some(true))
    {
        return false;
    }
    let age = subject.age();
    if pop.max_age.is_some_and(|max| age > max as i32) {
        return false;
    }
    pop.min_age
        .is_none_or(|min| birthday(facts.birth_date, min) <= soon_until)
}

/// How much of the explanation to build: a due list keeps only the status,
/// the due date and the one-sentence why, and skips the rest to stay fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Full,
    Brief,
}

/// A span of days as a person says it: days up to two months, then months up to two
/// years, then years.
fn elapsed_words(days: i64) -> String {
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match days {
        d if d < 60 => unit(d, "day", "days"),
        d if d < 730 => unit(d / 30, "month", "months"),
        d => unit(d / 365, "year", "years"),
    }
}

#[cfg(test)]
#[test]
fn elapsed_spans_read_as_people_say_them() {
    assert_eq!(elapsed_words(1), "1 day");
    assert_eq!(elapsed_words(59), "59 days");
    assert_eq!(elapsed_words(60), "2 months");
    assert_eq!(elapsed_words(729), "24 months");
    assert_eq!(elapsed_words(730), "2 years");
    assert_eq!(elapsed_words(19_613), "53 years");
}

fn sex_word(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "women",
        Sex::Male => "men",
        Sex::Other => "people of other sex",
        Sex::Unknown => "people of unknown sex",
    }
}

pub(crate) fn assess(
    rule: &Rule,
    eff: &Effective,
    subject: &Subject,
    soon_until: Option<NaiveDate>,
    version: &str,
    detail: Detail,
) -> RuleStatus {
    let facts = subject.facts;
    let on = subject.on;
    let def = &rule.def;
    let pop = &rule.population;
    let age = age_on(facts.birth_date, on);
    let full = detail == Detail::Full;
    let mut data = Vec::new();
    if full {
        data.push(format!("age {age} on {on} (born {})", facts.birth_date));
    }
    let finish =
        |status: Status, due, last_done, pending_orders, why: String, data: Vec<String>| {
            RuleStatus {
                rule: def.id.clone(),
                title: def.title.clone(),
                status,
                due,
                last_done,
                pending_orders,
                explanation: Explanation {
                    why,
                    data,
                    citation: match detail {
                        Detail::Full => Citation {
                            statement: def.statement.clone(),
                            grade: def.grade.as_str().into(),
                            date: def.date,
                            text: def.citation.clone(),
                        },
                        Detail::Brief => Citation {
                            statement: String::new(),
                            grade: String::new(),
                            date: def.date,
                            text: String::new(),
                        },
                    },
                    rules_version: match detail {
                        Detail::Full => version.to_string(),
                        Detail::Brief => String::new(),
                    },
                },
            }
        };
    let not_applicable = |why: String, missing: Vec<String>, data: Vec<String>| {
        finish(
            Status::NotApplicable {
                why: why.clone(),
                missing,
            },
            None,
            None,
            Vec::new(),
            why,
            data,
        )
    };

    if facts.birth_date > on {
        return not_applicable(
            "the birth date is after the assessment date".into(),
            vec!["birth date".into()],
            data,
        );
    }
    if let Some(sex) = pop.sex {
        if full {
            data.push(format!("sex {}", facts.sex.as_str()));
        }
        if facts.sex != sex {
            return match facts.sex {
                Sex::Other | Sex::Unknown => not_applicable(
                    format!(
                        "this rule is for {}; the chart records sex as {}, so the clinician decides",
                        sex_word(sex),
                        facts.sex.as_str()
                    ),
                    vec!["sex (or the relevant anatomy)".into()],
                    data,
                ),
                _ => not_applicable(format!("this rule is for {} only", sex_word(sex)), Vec::new(), data),
            };
        }
    }
    if pop.pregnant == Some(true) {
        match facts.pregnancy {
            Some(true) => data.push("pregnant (recorded)".into()),
            Some(false) => {
                return not_applicable(
                    "for pregnant persons; the chart says not pregnant".into(),
                    Vec::new(),
                    data,
                )
            }
            None => {
                return not_applicable(
                    "for pregnant persons; no pregnancy is recorded".into(),
                    Vec::new(),
                    data,
                )
            }
        }
    }
    if let Some(max) = pop.max_age {
        if age > max as i32 {
            return not_applicable(
                format!("aged {age}: the rule covers ages up to {max}"),
                Vec::new(),
                data,
            );
        }
    }
    let soon_limit = {
        let by_days = on + chrono::Duration::days(i64::from(eff.due_soon_days));
        soon_until.map_or(by_days, |until| until.max(by_days))
    };
    let mut age_start = None;
    if let Some(min) = pop.min_age {
        let start = birthday(facts.birth_date, min);
        if start > soon_limit {
            return not_applicable(
                format!("aged {age}: the rule starts at {min}, on {start}"),
                Vec::new(),
                data,
            );
        }
        age_start = Some(start);
    }
    for check in &rule.exclusions {
        if let Outcome::Met(evidence) = subject.check(check) {
            let why = format!("does not apply: {}", evidence.join("; "));
            data.extend(evidence);
            return not_applicable(why, Vec::new(), data);
        }
    }
    for check in &pop.requires {
        match subject.check(check) {
            Outcome::Met(evidence) => data.extend(evidence),
            Outcome::NotMet(why) => {
                return not_applicable(format!("not in the population: {why}"), Vec::new(), data)
            }
            Outcome::Unknown { why, missing } => {
                return not_applicable(format!("cannot tell: {why}"), missing, data)
            }
        }
    }

    let last = latest_done(rule, eff, subject, age);
    let pending = pending_orders(rule, facts, on);
    if full {
        match &last {
            Some(done) => data.push(format!(
                "last {} on {}: {}",
                done.by, done.date, done.evidence
            )),
            None => data.push("no qualifying service on record".into()),
        }
    }
    let due = match &last {
        Some(done) => done.next_due,
        // Not yet in the age range (but within the due-soon window): due on the birthday.
        None if age_start.is_some_and(|start| start > on) => age_start,
        None if pop.requires.is_empty() && pop.pregnant != Some(true) => {
            Some(age_start.unwrap_or(facts.birth_date))
        }
        // A risk condition or a pregnancy has no start date in the facts: due from today.
        None => Some(on),
    };
    let pending_note = if pending.is_empty() {
        String::new()
    } else {
        format!("; pending: {}", pending.join("; "))
    };
    let last_text = match &last {
        Some(d) => format!("last {} on {}", d.by, d.date),
        None => "none on record".into(),
    };

    let Some(due_date) = due else {
        let done = last.clone().expect("no due date only after a service");
        let never = match def.interval {
            Interval::WhileActive => "while it stays active",
            _ => "once is enough",
        };
        let why = format!("satisfied by {} on {} ({never})", done.by, done.date);
        return finish(
            Status::Satisfied {
                by: done.by.clone(),
                date: done.date,
                next_due: None,
            },
            None,
            last,
            pending,
            why,
            data,
        );
    };
    if due_date > on {
        if due_date > soon_limit {
            let done = last
                .clone()
                .expect("a future due date beyond the window comes from a service");
            let why = format!(
                "satisfied by {} on {}; next due {due_date}",
                done.by, done.date
            );
            return finish(
                Status::Satisfied {
                    by: done.by.clone(),
                    date: done.date,
                    next_due: Some(due_date),
                },
                Some(due_date),
                last,
                pending,
                why,
                data,
            );
        }
        let why = match (&last, age_start) {
            (None, Some(start)) if start > on => format!(
                "due on {due_date}, when the patient turns {}{pending_note}",
                pop.min_age.unwrap_or(0)
            ),
            _ => format!("due on {due_date} ({last_text}){pending_note}"),
        };
        return finish(Status::DueSoon, Some(due_date), last, pending, why, data);
    }

    let decline = facts
        .declines
        .iter()
        .filter(|d| d.rule == def.id && d.date <= on)
        .filter(|d| last.as_ref().is_none_or(|done| d.date > done.date))
        .filter(|d| add_months(d.date, eff.decline_valid_months) > on)
        .max_by_key(|d| d.date);
    if let Some(d) = decline {
        data.push(format!("declined on {}: {}", d.date, d.reason));
        let why = format!(
            "declined on {} ({}); reminders resume on {}",
            d.date,
            if d.reason.is_empty() {
                "no reason given"
            } else {
                &d.reason
            },
            add_months(d.date, eff.decline_valid_months)
        );
        return finish(
            Status::Declined {
                reason: d.reason.clone(),
                date: d.date,
            },
            Some(due_date),
            last,
            pending,
            why,
            data,
        );
    }
    let days = (on - due_date).num_days();
    if days > i64::from(eff.overdue_after_days) {
        let why = match &last {
            // Never done: "overdue by 19,613 days" says nothing a person can use.
            None => format!(
                "overdue: never done, due since {due_date} ({}){pending_note}",
                elapsed_words(days)
            ),
            Some(_) => format!(
                "overdue by {}: due {due_date} ({last_text}){pending_note}",
                elapsed_words(days)
            ),
        };
        return finish(
            Status::Overdue { days_overdue: days },
            Some(due_date),
            last,
            pending,
            why,
            data,
        );
    }
    let why = if days == 0 {
        format!("due today ({last_text}){pending_note}")
    } else {
        format!("due since {due_date} ({last_text}){pending_note}")
    };
    finish(Status::Due, Some(due_date), last, pending, why, data)
}

/// The interval in months a service done by `satisfier` lasts, after the
/// practice's settings; `None` for once-only.
fn months_for(rule: &Rule, index: usize, eff: &Effective, age: i32) -> Option<u32> {
    let sat = &rule.satisfiers[index];
    let settings = eff.settings;
    if let Some(m) = settings.and_then(|s| s.satisfier_months.get(&sat.def.id)) {
        return Some(*m);
    }
    if let Some(m) = sat.def.valid_months {
        return Some(m);
    }
    if let Some(m) = settings.and_then(|s| s.interval_months) {
        return Some(m);
    }
    match &rule.def.interval {
        Interval::Every { months, by_age } => Some(
            by_age
                .iter()
                .find(|b| {
                    b.min_age.is_none_or(|min| age >= min as i32)
                        && b.max_age.is_none_or(|max| age <= max as i32)
                })
                .map_or(*months, |b| b.months),
        ),
        Interval::Once | Interval::WhileActive => None,
    }
}

/// The service that keeps the rule satisfied longest.
fn latest_done(rule: &Rule, eff: &Effective, subject: &Subject, age: i32) -> Option<Done> {
    let facts = subject.facts;
    let on = subject.on;
    let mut best: Option<Done> = None;
    for (index, sat) in rule.satisfiers.iter().enumerate() {
        if let Some(class) = &sat.medication {
            if let Some(text) = subject.medications_in(class).into_iter().next() {
                let start = facts
                    .medications
                    .iter()
                    .filter(|m| m.active)
                    .filter_map(|m| m.start)
                    .filter(|d| *d <= on)
                    .max()
                    .unwrap_or(on);
                return Some(Done {
                    by: sat.def.label.clone(),
                    method: sat.def.id.clone(),
                    date: start,
                    evidence: text,
                    next_due: None,
                });
            }
            continue;
        }
        let old_enough = |date: NaiveDate| {
            sat.def
                .min_age_at_test
                .is_none_or(|min| age_on(facts.birth_date, date) >= min as i32)
        };
        let mut found: Option<(NaiveDate, String)> = None;
        let mut consider = |date: NaiveDate, text: String| {
            if date <= on && old_enough(date) && found.as_ref().is_none_or(|(d, _)| date > *d) {
                found = Some((date, text));
            }
        };
        for p in &facts.procedures {
            if let Some(system) = CodeSystem::recognize(&p.system) {
                if sat.codes.contains(system, &p.code)
                    || (system == CodeSystem::Loinc && sat.loinc.contains(system, &p.code))
                {
                    consider(
                        p.date,
                        format!("procedure {} {} \"{}\"", system.label(), p.code, p.display),
                    );
                }
            }
        }
        for o in &facts.observations {
            if sat.loinc.contains(CodeSystem::Loinc, &o.loinc) {
                consider(o.date, format!("result LOINC {}", o.loinc));
            }
        }
        for o in facts.orders.iter().filter(|o| o.is_done()) {
            if let Some(code) = &o.code {
                if sat.codes.contains_any_system(code) || sat.loinc.contains_any_system(code) {
                    consider(
                        o.date,
                        format!("completed order {code} \"{}\"", o.description),
                    );
                }
            }
        }
        if sat.def.tobacco_status_recorded {
            for t in &facts.tobacco {
                consider(t.date, format!("tobacco status \"{}\"", t.status));
            }
        }
        if let Some((date, evidence)) = found {
            let next_due = months_for(rule, index, eff, age).map(|m| add_months(date, m));
            let done = Done {
                by: sat.def.label.clone(),
                method: sat.def.id.clone(),
                date,
                evidence,
                next_due,
            };
            let better = match &best {
                None => true,
                Some(b) => match (b.next_due, done.next_due) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(x), Some(y)) => y > x || (y == x && done.date > b.date),
                },
            };
            if better {
                best = Some(done);
            }
        }
    }
    best
}

fn pending_orders(rule: &Rule, facts: &Facts, on: NaiveDate) -> Vec<String> {
    facts
        .orders
        .iter()
        .filter(|o| o.is_open() && o.date <= on)
        .filter(|o| {
            o.code.as_deref().is_some_and(|code| {
                rule.satisfiers
                    .iter()
                    .any(|s| s.codes.contains_any_system(code) || s.loinc.contains_any_system(code))
            })
        })
        .map(|o| {
            format!(
                "order {} \"{}\" ({}, {})",
                o.code.as_deref().unwrap_or(""),
                o.description,
                o.status,
                o.date
            )
        })
        .collect()
}
