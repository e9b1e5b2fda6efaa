//! The practice's switches over the preventive rule table: a rule turned
//! off, an interval or a window changed. Kept in the practice settings as JSON.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::definitions::DefinitionError;
use crate::care::preventive::rules::{Defaults, Rule, RuleSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Settings {
    /// By rule id; rules not named keep the table's values.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSettings>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct RuleSettings {
    /// `false` switches the rule off: it is left out of every result.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Replaces the rule's own interval (and its age bands); turns a
    /// once-only rule into a repeating one. Methods with their own interval
    /// (a colonoscopy's 10 years) keep it unless `satisfier_months` says otherwise.
    #[serde(default)]
    pub interval_months: Option<u32>,
    /// By satisfier id (e.g. `colonoscopy`): that method's interval.
    #[serde(default)]
    pub satisfier_months: BTreeMap<String, u32>,
    #[serde(default)]
    pub due_soon_days: Option<u32>,
    #[serde(default)]
    pub overdue_after_days: Option<u32>,
    #[serde(default)]
    pub decline_valid_months: Option<u32>,
}

/// The values one rule runs with after the table's defaults, the rule's own
/// values and the practice's settings are applied, in that order.
#[derive(Debug, Clone)]
pub(crate) struct Effective<'a> {
    pub settings: Option<&'a RuleSettings>,
    pub due_soon_days: u32,
    pub overdue_after_days: u32,
    pub decline_valid_months: u32,
}

impl Settings {
    pub fn enabled(&self, rule: &str) -> bool {
        self.rules.get(rule).and_then(|r| r.enabled).unwrap_or(true)
    }

    pub(crate) fn effective<'a>(&'a self, rule: &Rule, defaults: &Defaults) -> Effective<'a> {
        let s = self.rules.get(&rule.def.id);
        Effective {
            settings: s,
            due_soon_days: s
                .and_then(|s| s.due_soon_days)
                .or(rule.def.due_soon_days)
                .unwrap_or(defaults.due_soon_days),
            overdue_after_days: s
                .and_then(|s| s.overdue_after_days)
                .or(rule.def.overdue_after_days)
                .unwrap_or(defaults.overdue_after_days),
            decline_valid_months: s
                .and_then(|s| s.decline_valid_months)
                .unwrap_or(defaults.decline_valid_months),
        }
    }

    /// Checks the settings against a rule table: every rule and satisfier id
    /// exists and no interval is zero. The error names the field.
    pub fn check(&self, rules: &RuleSet) -> Result<(), DefinitionError> {
        for (id, s) in &self.rules {
            let Some(rule) = rules.get(id) else {
                return Err(DefinitionError::invalid(
                    format!("rules.{id}"),
                    format!("no preventive rule {id:?}"),
                ));
            };
            if s.interval_months == Some(0) {
                return Err(DefinitionError::invalid(
                    format!("rules.{id}.interval_months"),
                    "must be at least 1",
                ));
            }
            for (sid, months) in &s.satisfier_months {
                if !rule.satisfiers.iter().any(|x| x.def.id == *sid) {
                    let known: Vec<&str> =
                        rule.satisfiers.iter().map(|x| x.def.id.as_str()).collect();
                    return Err(DefinitionError::invalid(
                        format!("rules.{id}.satisfier_months.{sid}"),
                        format!(
                            "rule {id} has no method {sid:?}; it has {}",
                            known.join(", ")
                        ),
                    ));
                }
                if *months == 0 {
                    return Err(DefinitionError::invalid(
                        format!("rules.{id}.satisfier_months.{sid}"),
                        "must be at least 1",
                    ));
                }
            }
        }
        Ok(())
    }
}
