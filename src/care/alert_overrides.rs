//! Interruptive alerts answered: what the clinician sends to go on, what is kept with the
//! medication or allergy, and when an alert already answered is not shown again.
//!
//! ONC 170.315(b)(11) and the issue ask that an interruptive alert stop the clinician
//! until they give a reason, that the alert, the reason and who answered are recorded with
//! the medication, and that the same alert is not shown again for the same pair until
//! something relevant changes. "Relevant" here is: the rule or its severity, either item
//! (another row), the ingredient matched on either side, or either medication's dose. The
//! answers live on the chart rows themselves (`alert_overrides`, a JSON list), so they
//! travel with the record through the ledger and sync like any other field.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::medication_safety::{Alert, Check, Severity};

/// The clinician's answer, sent with `medication.add`, `medication.update` or
/// `allergy.add` in the field `alert_overrides`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct OverrideAnswer {
    /// Why it is right to go on despite the alerts (e.g. "INR checked weekly").
    pub reason: String,
    /// The `key` of every interruptive alert answered, as `cds.check` gave them.
    pub alerts: Vec<String>,
}

/// One answered alert, as kept on the row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Override {
    /// The alert's key when it was shown.
    pub key: String,
    pub rule: String,
    pub severity: Severity,
    /// The alert's text when it was shown.
    pub why: String,
    /// The other row of the pair (the active medication or allergy), when it has one.
    pub other_id: Option<String>,
    pub other_text: String,
    /// The ingredient or class matched on this row's side and on the other's.
    pub subject_matched: String,
    pub other_matched: String,
    /// This row's dose and the other medication's dose when the alert was answered.
    pub dose: Option<String>,
    pub other_dose: Option<String>,
    pub reason: String,
    /// The user who answered: id and name.
    pub by: String,
    pub by_name: String,
    /// RFC 3339.
    pub at: String,
}

/// What a row brings to the suppression decision.
#[derive(Debug, Clone, Default)]
pub struct RowState {
    pub dose: Option<String>,
    pub overrides: Vec<Override>,
}

impl RowState {
    /// Reads the stored list; an unreadable value counts as no answers (so the alert is
    /// shown again, which is the safe side).
    pub fn new(dose: Option<String>, stored: Option<&str>) -> RowState {
        RowState {
            dose: dose.filter(|d| !d.trim().is_empty()),
            overrides: stored
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default(),
        }
    }
}

/// An alert left out because it was answered before, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Suppressed {
    pub key: String,
    pub rule: String,
    pub why: String,
    pub reason: String,
    pub by_name: String,
    pub at: String,
}

fn norm(d: &Option<String>) -> Option<String> {
    d.as_ref()
        .map(|s| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|s| !s.is_empty())
}

/// Whether `stored` answers `alert` seen from a row with `own_dose`, where the other
/// side is row `other_id` with `other_dose`.
fn answers(
    stored: &Override,
    alert: &Alert,
    subject_matched: &str,
    other_matched: &str,
    other_id: Option<&str>,
    own_dose: &Option<String>,
    other_dose: &Option<String>,
) -> bool {
    stored.rule == alert.rule
        && stored.severity == alert.severity
        && stored.other_id.as_deref() == other_id
        && other_id.is_some()
        && stored.subject_matched == subject_matched
        && stored.other_matched == other_matched
        && norm(&stored.dose) == norm(own_dose)
        && norm(&stored.other_dose) == norm(other_dose)
}

/// Splits a check's alerts into those to show and those answered before.
///
/// `candidate_id` is the row being changed (none for a new one), `candidate` its state
/// after the change; `rows` holds the state of every other row by id.
pub fn filter(
    mut check: Check,
    candidate_id: Option<&str>,
    candidate: &RowState,
    rows: &HashMap<String, RowState>,
) -> (Check, Vec<Suppressed>) {
    let mut suppressed = Vec::new();
    check.alerts.retain(|alert| {
        let other_id = alert.other.id.as_deref();
        let other = other_id.and_then(|id| rows.get(id));
        let other_dose = other.and_then(|o| o.dose.clone());
        let on_candidate = candidate.overrides.iter().find(|s| {
            candidate_id.is_some()
                && answers(
                    s,
                    alert,
                    &alert.subject.matched,
                    &alert.other.matched,
                    other_id,
                    &candidate.dose,
                    &other_dose,
                )
        });
        let on_other = other.and_then(|o| {
            o.overrides.iter().find(|s| {
                answers(
                    s,
                    alert,
                    &alert.other.matched,
                    &alert.subject.matched,
                    candidate_id,
                    &o.dose,
                    &candidate.dose,
                )
            })
        });
        match on_candidate.or(on_other) {
            Some(s) => {
                suppressed.push(Suppressed {
                    key: alert.alert_key(),
                    rule: alert.rule.clone(),
                    why: alert.why.clone(),
                    reason: s.reason.clone(),
                    by_name: s.by_name.clone(),
                    at: s.at.clone(),
                });
                false
            }
            None => true,
        }
    });
    (check, suppressed)
}

/// The interruptive alerts still to answer.
pub fn interruptive(check: &Check) -> Vec<&Alert> {
    check
        .alerts
        .iter()
        .filter(|a| a.severity == Severity::Interruptive)
        .collect()
}

/// Who answered, and when.
pub struct Answerer<'a> {
    pub user_id: &'a str,
    pub user_name: &'a str,
    /// RFC 3339.
    pub at: &'a str,
}

/// Why a save was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    /// One line per alert without an answer.
    pub alerts: Vec<String>,
    /// The answer had no reason.
    pub no_reason: bool,
}

impl Unanswered {
    pub fn message(&self) -> String {
        if self.no_reason {
            return "alert_overrides.reason: an interruptive alert needs the reason to go on; write why it is right for this patient".into();
        }
        format!(
            "{} interruptive alert{} must be answered before saving: {}. Call cds.check to see {}, then send alert_overrides {{reason, alerts: [their keys]}}",
            self.alerts.len(),
            if self.alerts.len() == 1 { "" } else { "s" },
            self.alerts.join("; "),
            if self.alerts.len() == 1 { "it" } else { "them" },
        )
    }
}

/// Checks the answer against the interruptive alerts to show, and gives the entries to
/// keep on the row. No interruptive alert: nothing to keep, whatever was sent.
pub fn record(
    shown: &Check,
    answer: Option<&OverrideAnswer>,
    candidate_dose: &Option<String>,
    rows: &HashMap<String, RowState>,
    who: &Answerer<'_>,
) -> Result<Vec<Override>, Unanswered> {
    let due = interruptive(shown);
    if due.is_empty() {
        return Ok(vec![]);
    }
    let missing: Vec<String> = due
        .iter()
        .filter(|a| !answer.is_some_and(|ans| ans.alerts.iter().any(|k| *k == a.alert_key())))
        .map(|a| {
            format!(
                "{} + {}: {}",
                a.subject.text,
                a.other.text,
                a.why.trim_end_matches('.')
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(Unanswered {
            alerts: missing,
            no_reason: false,
        });
    }
    let reason = answer.map(|a| a.reason.trim()).unwrap_or_default();
    if reason.is_empty() {
        return Err(Unanswered {
            alerts: vec![],
            no_reason: true,
        });
    }
    Ok(due
        .into_iter()
        .map(|a| Override {
            key: a.alert_key(),
            rule: a.rule.clone(),
            severity: a.severity,
            why: a.why.clone(),
            other_id: a.other.id.clone(),
            other_text: a.other.text.clone(),
            subject_matched: a.subject.matched.clone(),
            other_matched: a.other.matched.clone(),
            dose: candidate_dose.clone(),
            other_dose: a
                .other
                .id
                .as_deref()
                .and_then(|id| rows.get(id))
                .and_then(|r| r.dose.clone()),
            reason: reason.to_string(),
            by: who.user_id.to_string(),
            by_name: who.user_name.to_string(),
            at: who.at.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::medication_safety::{check, Candidate, MedicationInput};

    fn med(id: Option<&str>, name: &str) -> MedicationInput {
        MedicationInput {
            id: id.map(String::from),
            name: name.into(),
            rxnorm: None,
        }
    }

    fn who() -> Answerer<'static> {
        Answerer {
            user_id: "u1",
            user_name: "Dr Lee",
            at: "2026-12-03T10:00:00Z",
        }
    }

    #[test]
    fn an_interruptive_alert_needs_its_key_and_a_reason() {
        let active = [med(Some("w"), "Warfarin 5 MG Oral Tablet")];
        let c = check(
            Candidate::Medication(med(None, "Ibuprofen 400 MG")),
            &active,
            &[],
        );
        let rows = HashMap::new();
        let due = interruptive(&c);
        assert_eq!(due.len(), 1, "{c:?}");
        let key = due[0].alert_key();
        let err = record(&c, None, &None, &rows, &who()).unwrap_err();
        assert!(
            err.message().contains("Ibuprofen 400 MG + Warfarin"),
            "{}",
            err.message()
        );
        let blank = OverrideAnswer {
            reason: "  ".into(),
            alerts: vec![key.clone()],
        };
        assert!(
            record(&c, Some(&blank), &None, &rows, &who())
                .unwrap_err()
                .no_reason
        );
        let ok = OverrideAnswer {
            reason: "short course, INR on day 3".into(),
            alerts: vec![key.clone()],
        };
        let kept = record(&c, Some(&ok), &Some("400 mg".into()), &rows, &who()).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].key, key);
        assert_eq!(kept[0].other_id.as_deref(), Some("w"));
        assert_eq!(kept[0].by_name, "Dr Lee");
    }

    #[test]
    fn an_answered_alert_stays_answered_until_a_dose_changes() {
        let active = [med(Some("w"), "Warfarin 5 MG Oral Tablet")];
        let first = check(
            Candidate::Medication(med(None, "Ibuprofen 400 MG")),
            &active,
            &[],
        );
        let mut rows = HashMap::new();
        rows.insert("w".to_string(), RowState::new(Some("5 mg".into()), None));
        let key = interruptive(&first)[0].alert_key();
        let answer = OverrideAnswer {
            reason: "short course".into(),
            alerts: vec![key],
        };
        let kept = record(&first, Some(&answer), &Some("400 mg".into()), &rows, &who()).unwrap();
        // Saved as row "i"; its frequency is edited later: same pair, same doses.
        let stored = serde_json::to_string(&kept).unwrap();
        let again = check(
            Candidate::Medication(med(Some("i"), "Ibuprofen 400 MG")),
            &active,
            &[],
        );
        let same = RowState::new(Some("400 MG".into()), Some(&stored));
        let (shown, suppressed) = filter(again.clone(), Some("i"), &same, &rows);
        assert!(interruptive(&shown).is_empty(), "{shown:?}");
        assert_eq!(suppressed.len(), 1);
        assert_eq!(suppressed[0].reason, "short course");
        // The dose goes up: shown again.
        let higher = RowState::new(Some("800 mg".into()), Some(&stored));
        let (shown, _) = filter(again.clone(), Some("i"), &higher, &rows);
        assert_eq!(interruptive(&shown).len(), 1);
        // The warfarin dose changes, seen from the warfarin row: shown again too.
        let mut changed = rows.clone();
        changed.insert("i".to_string(), same.clone());
        let from_warfarin = check(
            Candidate::Medication(med(Some("w"), "Warfarin 5 MG Oral Tablet")),
            &[med(Some("i"), "Ibuprofen 400 MG")],
            &[],
        );
        let (shown, suppressed) = filter(
            from_warfarin.clone(),
            Some("w"),
            &RowState::new(Some("5 mg".into()), None),
            &changed,
        );
        assert!(
            interruptive(&shown).is_empty(),
            "answered on the other row: {shown:?}"
        );
        assert_eq!(suppressed.len(), 1);
        let (shown, _) = filter(
            from_warfarin,
            Some("w"),
            &RowState::new(Some("7.5 mg".into()), None),
            &changed,
        );
        assert_eq!(interruptive(&shown).len(), 1);
    }
}
