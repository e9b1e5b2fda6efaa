//! The preventive rule table (`assets/preventive_rules.json`): its JSON shape
//! and its compiled form.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::code_lists::{Code, CodeLists, CodeSet, LoincCode, MedicationClass};
use crate::care::criteria::{Check, Criterion, Population, PopulationDef};
use crate::care::definitions::{parse_json, DefinitionError};

/// The validated rule table (checked by `build.rs`).
static JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/preventive_rules.json"));

/// The USPSTF grade. Only A and B are shipped: they are the recommendations
/// a practice acts on (and that US payers cover without cost sharing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Grade {
    A,
    B,
    /// One statement with an A part and a B part (colorectal: A at 50-75, B at 45-49).
    #[serde(rename = "A/B")]
    AOrB,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::AOrB => "A/B",
        }
    }
}

/// Defaults for every rule, each overridable per rule and by the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Defaults {
    /// A service whose due date is this close is "due soon".
    pub due_soon_days: u32,
    /// A service this many days past its due date is "overdue" (before: "due").
    pub overdue_after_days: u32,
    /// A decline stops the reminders for this long.
    pub decline_valid_months: u32,
}

/// An age band with its own interval (hypertension: 3 years under 40, yearly after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct AgeBand {
    #[serde(default)]
    pub min_age: Option<u32>,
    #[serde(default)]
    pub max_age: Option<u32>,
    pub months: u32,
}

/// How often the service is repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Every so many months; `by_age` bands (on the assessment date) win over `months`.
    Every {
        months: u32,
        #[serde(default)]
        by_age: Vec<AgeBand>,
    },
    /// Once in a lifetime.
    Once,
    /// A preventive medication: satisfied while one is active.
    WhileActive,
}

/// One way to meet the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SatisfierDef {
    /// Stable id, for the practice's interval overrides.
    pub id: String,
    pub label: String,
    /// Procedure codes (also matched against completed orders).
    #[serde(default)]
    pub codes: Vec<Code>,
    /// Results (also matched against completed orders).
    #[serde(default)]
    pub loinc: Vec<LoincCode>,
    /// An active medication of this class satisfies the rule while active.
    #[serde(default)]
    pub medication_class: Option<String>,
    /// Any dated tobacco status counts (for "ask about tobacco use").
    #[serde(default)]
    pub tobacco_status_recorded: bool,
    /// This method's own interval (a colonoscopy lasts 10 years, a FIT one).
    #[serde(default)]
    pub valid_months: Option<u32>,
    /// Counts only when done at this age or older (HPV testing from 30).
    #[serde(default)]
    pub min_age_at_test: Option<u32>,
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub title: String,
    /// The USPSTF topic title.
    pub statement: String,
    pub grade: Grade,
    /// The date of the recommendation statement.
    pub date: NaiveDate,
    pub citation: String,
    #[serde(default)]
    pub note: Option<String>,
    pub population: PopulationDef,
    #[serde(default)]
    pub not_applicable_if: Vec<Criterion>,
    pub interval: Interval,
    pub satisfied_by: Vec<SatisfierDef>,
    #[serde(default)]
    pub due_soon_days: Option<u32>,
    #[serde(default)]
    pub overdue_after_days: Option<u32>,
}

/// The file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct RuleFile {
    pub version: String,
    pub defaults: Defaults,
    pub rules: Vec<RuleDef>,
}

/// A compiled satisfier.
#[derive(Debug, Clone)]
pub struct Satisfier {
    pub def: SatisfierDef,
    pub(crate) codes: CodeSet,
    pub(crate) loinc: CodeSet,
    pub(crate) medication: Option<MedicationClass>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub def: RuleDef,
    pub(crate) population: Population,
    pub(crate) exclusions: Vec<Check>,
    pub(crate) satisfiers: Vec<Satisfier>,
}

/// The compiled rule table.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub version: String,
    pub defaults: Defaults,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Reads a rule table, checking codes, references and shapes.
    pub fn parse(json: &str, lists: &CodeLists) -> Result<RuleSet, DefinitionError> {
        let file: RuleFile = parse_json(json)?;
        let mut ids = HashSet::new();
        let mut rules = Vec::new();
        for (i, def) in file.rules.into_iter().enumerate() {
            let path = format!("rules[{i}]");
            if !is_id(&def.id) {
                return Err(DefinitionError::invalid(
                    format!("{path}.id"),
                    format!("{:?} must be lower case letters, digits and '_'", def.id),
                ));
            }
            if !ids.insert(def.id.clone()) {
                return Err(DefinitionError::invalid(
                    format!("{path}.id"),
                    format!("duplicate rule id {:?}", def.id),
                ));
            }
            rules.push(compile_rule(def, lists, &path)?);
        }
        Ok(RuleSet {
            version: file.version,
            defaults: file.defaults,
            rules,
        })
    }

    /// The table compiled into the binary.
    pub fn shipped() -> &'static RuleSet {
        static RULES: OnceLock<RuleSet> = OnceLock::new();
        RULES.get_or_init(|| {
            RuleSet::parse(JSON, CodeLists::shipped())
                .expect("build.rs validated preventive_rules.json")
        })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.def.id == id)
    }

    /// The LOINC codes whose results the rules `enabled` answers yes for read, in their
    /// populations, exclusions and satisfiers: all a practice-wide due list needs to read
    /// of the results.
    pub fn result_codes(&self, enabled: impl Fn(&Rule) -> bool) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for rule in self.rules.iter().filter(|r| enabled(r)) {
            rule.population.result_codes(&mut out);
            for check in &rule.exclusions {
                check.result_codes(&mut out);
            }
            for s in &rule.satisfiers {
                out.extend(s.loinc.loinc_codes().map(String::from));
            }
        }
        out
    }
}

pub(crate) fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn compile_rule(def: RuleDef, lists: &CodeLists, path: &str) -> Result<Rule, DefinitionError> {
    for (field, empty) in [
        ("title", def.title.trim().is_empty()),
        ("statement", def.statement.trim().is_empty()),
        ("citation", def.citation.trim().is_empty()),
    ] {
        if empty {
            return Err(DefinitionError::invalid(
                format!("{path}.{field}"),
                "must not be empty",
            ));
        }
    }
    if def.satisfied_by.is_empty() {
        return Err(DefinitionError::invalid(
            format!("{path}.satisfied_by"),
            "name at least one way to meet the rule",
        ));
    }
    if let Interval::Every { months, by_age } = &def.interval {
        if *months == 0 || by_age.iter().any(|b| b.months == 0) {
            return Err(DefinitionError::invalid(
                format!("{path}.interval"),
                "months must be at least 1",
            ));
        }
    }
    let population = def
        .population
        .compile(lists, &format!("{path}.population"))?;
    let exclusions = def
        .not_applicable_if
        .iter()
        .enumerate()
        .map(|(i, c)| c.compile(lists, &format!("{path}.not_applicable_if[{i}]")))
        .collect::<Result<_, _>>()?;
    let mut satisfiers = Vec::new();
    let mut ids = HashSet::new();
    for (i, s) in def.satisfied_by.iter().enumerate() {
        let p = format!("{path}.satisfied_by[{i}]");
        if !is_id(&s.id) || !ids.insert(s.id.clone()) {
            return Err(DefinitionError::invalid(
                format!("{p}.id"),
                format!("{:?} must be a unique lower-case id", s.id),
            ));
        }
        let medication = match &s.medication_class {
            None => None,
            Some(name) => Some(lists.class(name).cloned().ok_or_else(|| {
                DefinitionError::invalid(
                    format!("{p}.medication_class"),
                    format!("no medication class {name:?}"),
                )
            })?),
        };
        let codes = CodeSet::build(&s.label, &s.codes, &format!("{p}.codes"))?;
        let loinc = CodeSet::build_loinc(&s.label, &s.loinc, &format!("{p}.loinc"))?;
        if codes.is_empty()
            && loinc.is_empty()
            && medication.is_none()
            && !s.tobacco_status_recorded
        {
            return Err(DefinitionError::invalid(
                p,
                "give codes, loinc, a medication_class or tobacco_status_recorded",
            ));
        }
        if s.valid_months == Some(0) {
            return Err(DefinitionError::invalid(
                format!("{p}.valid_months"),
                "must be at least 1",
            ));
        }
        satisfiers.push(Satisfier {
            def: s.clone(),
            codes,
            loinc,
            medication,
        });
    }
    Ok(Rule {
        def,
        population,
        exclusions,
        satisfiers,
    })
}
