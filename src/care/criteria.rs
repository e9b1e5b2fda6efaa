//! Conditions on a patient's facts, shared by preventive rules (who is in the
//! population, who is excluded) and registries (who is on a list).
//!
//! A criterion is data (`Criterion`, the JSON shape); it is compiled once
//! against the code lists into a [`Check`], which is what runs per patient.
//! Each check answers met, not met, or cannot tell (data missing), and always
//! says which facts it used, so every status downstream can say why.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::code_lists::{Code, CodeLists, CodeSet, LoincCode, MedicationClass};
use crate::care::definitions::DefinitionError;
use crate::care::facts::{add_months, age_on, CodeSystem, Facts, Observation, Sex, Smoking};
use crate::care::medication_safety::ingredients::{self, IngredientId};

/// How a result is compared with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparator {
    #[serde(rename = ">")]
    Above,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "<=")]
    AtMost,
}

impl Comparator {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparator::Above => value > threshold,
            Comparator::AtLeast => value >= threshold,
            Comparator::Below => value < threshold,
            Comparator::AtMost => value <= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Above => ">",
            Comparator::AtLeast => "≥",
            Comparator::Below => "<",
            Comparator::AtMost => "≤",
        }
    }
}

/// Which tobacco history a criterion asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TobaccoHistory {
    /// Smokes now.
    Current,
    /// Smokes now or smoked before.
    Ever,
}

/// A condition on the facts, as written in the JSON files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Criterion {
    /// An active problem whose code is in a named list or in `codes`.
    Problem {
        #[serde(default)]
        list: Option<String>,
        #[serde(default)]
        codes: Vec<Code>,
        #[serde(default)]
        label: Option<String>,
        /// Count resolved problems too (a history, not a current condition).
        #[serde(default)]
        include_resolved: bool,
    },
    /// A procedure ever done whose code is in a named list or in `codes`.
    Procedure {
        #[serde(default)]
        list: Option<String>,
        #[serde(default)]
        codes: Vec<Code>,
        #[serde(default)]
        label: Option<String>,
    },
    /// The latest numeric result of these LOINC codes compared with a value.
    Observation {
        label: String,
        loinc: Vec<LoincCode>,
        comparator: Comparator,
        value: f64,
        /// When set, results in another unit are ignored (never converted).
        #[serde(default)]
        unit: Option<String>,
        /// Only results this recent count.
        #[serde(default)]
        within_months: Option<u32>,
    },
    /// A smoking history from the tobacco entries.
    Tobacco {
        #[serde(rename = "use")]
        history: TobaccoHistory,
        #[serde(default)]
        pack_years_at_least: Option<f64>,
        /// A former smoker counts only if they quit within this many years.
        #[serde(default)]
        quit_within_years: Option<u32>,
    },
    /// An active medication of a named class or with one of these ingredients.
    Medication {
        #[serde(default)]
        class: Option<String>,
        #[serde(default)]
        ingredients: Vec<String>,
        #[serde(default)]
        label: Option<String>,
    },
    /// Pregnant now.
    Pregnant,
    /// A recorded 10-year cardiovascular risk of at least this percentage.
    CvdRisk { at_least: f64 },
    AllOf {
        criteria: Vec<Criterion>,
        #[serde(default)]
        label: Option<String>,
    },
    AnyOf {
        criteria: Vec<Criterion>,
        #[serde(default)]
        label: Option<String>,
    },
}

/// Who a rule or registry is for, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct PopulationDef {
    #[serde(default)]
    pub sex: Option<Sex>,
    /// From this birthday on.
    #[serde(default)]
    pub min_age: Option<u32>,
    /// Up to the day before the next birthday (75 means until 76).
    #[serde(default)]
    pub max_age: Option<u32>,
    /// `true`: pregnant persons only.
    #[serde(default)]
    pub pregnant: Option<bool>,
    /// Every one must be met.
    #[serde(default)]
    pub requires: Vec<Criterion>,
}

/// A compiled criterion.
#[derive(Debug, Clone)]
pub enum Check {
    Problem {
        set: CodeSet,
        include_resolved: bool,
    },
    Procedure {
        set: CodeSet,
    },
    Observation {
        label: String,
        set: CodeSet,
        comparator: Comparator,
        value: f64,
        unit: Option<String>,
        within_months: Option<u32>,
    },
    Tobacco {
        history: TobaccoHistory,
        pack_years_at_least: Option<f64>,
        quit_within_years: Option<u32>,
    },
    Medication(MedicationClass),
    Pregnant,
    CvdRisk(f64),
    AllOf(Vec<Check>, Option<String>),
    AnyOf(Vec<Check>, Option<String>),
}

/// Resolves `list` and `codes` into one set.
fn code_set(
    lists: &CodeLists,
    list: &Option<String>,
    codes: &[Code],
    label: &Option<String>,
    path: &str,
) -> Result<CodeSet, DefinitionError> {
    let mut set = CodeSet::build(
        label.as_deref().unwrap_or(""),
        codes,
        &format!("{path}.codes"),
    )?;
    if let Some(name) = list {
        let Some(named) = lists.list(name) else {
            let known: Vec<&str> = lists.list_names().collect();
            return Err(DefinitionError::invalid(
                format!("{path}.list"),
                format!("no code list {name:?}; the lists are {}", known.join(", ")),
            ));
        };
        if set.label.is_empty() {
            set.label = named.label.clone();
        }
        set.extend(named);
    }
    if set.is_empty() {
        return Err(DefinitionError::invalid(path, "name a list or give codes"));
    }
    Ok(set)
}

impl Check {
    /// Adds the LOINC codes whose results this check reads, so that a practice-wide read
    /// can leave every other result out. A recorded cardiovascular risk is read by every
    /// such read (see `chart_facts`), so `CvdRisk` adds nothing.
    pub fn result_codes(&self, out: &mut BTreeSet<String>) {
        match self {
            Check::Observation { set, .. } => out.extend(set.loinc_codes().map(String::from)),
            Check::AllOf(checks, _) | Check::AnyOf(checks, _) => {
                for c in checks {
                    c.result_codes(out);
                }
            }
            Check::Problem { .. }
            | Check::Procedure { .. }
            | Check::Tobacco { .. }
            | Check::Medication(_)
            | Check::Pregnant
            | Check::CvdRisk(_) => {}
        }
    }
}

impl Criterion {
    /// Compiles against the code lists; `path` names this criterion in errors.
    pub fn compile(&self, lists: &CodeLists, path: &str) -> Result<Check, DefinitionError> {
        Ok(match self {
            Criterion::Problem {
                list,
                codes,
                label,
                include_resolved,
            } => Check::Problem {
                set: code_set(lists, list, codes, label, path)?,
                include_resolved: *include_resolved,
            },
            Criterion::Procedure { list, codes, label } => Check::Procedure {
                set: code_set(lists, list, codes, label, path)?,
            },
            Criterion::Observation {
                label,
                loinc,
                comparator,
                value,
                unit,
                within_months,
            } => {
                if loinc.is_empty() {
                    return Err(DefinitionError::invalid(
                        format!("{path}.loinc"),
                        "give at least one LOINC code",
                    ));
                }
                if !value.is_finite() {
                    return Err(DefinitionError::invalid(
                        format!("{path}.value"),
                        "must be a number",
                    ));
                }
                Check::Observation {
                    label: label.clone(),
                    set: CodeSet::build_loinc(label, loinc, &format!("{path}.loinc"))?,
                    comparator: *comparator,
                    value: *value,
                    unit: unit.clone(),
                    within_months: *within_months,
                }
            }
            Criterion::Tobacco {
                history,
                pack_years_at_least,
                quit_within_years,
            } => Check::Tobacco {
                history: *history,
                pack_years_at_least: *pack_years_at_least,
                quit_within_years: *quit_within_years,
            },
            Criterion::Medication {
                class,
                ingredients,
                label,
            } => {
                let mut members = MedicationClass::build(
                    label.as_deref().unwrap_or("medication"),
                    ingredients,
                    &format!("{path}.ingredients"),
                )?;
                if let Some(name) = class {
                    let Some(named) = lists.class(name) else {
                        return Err(DefinitionError::invalid(
                            format!("{path}.class"),
                            format!("no medication class {name:?}"),
                        ));
                    };
                    if label.is_none() {
                        members.label = named.label.clone();
                    }
                    members.members.extend(named.members.iter().copied());
                }
                if members.members.is_empty() {
                    return Err(DefinitionError::invalid(
                        path,
                        "name a class or give ingredients",
                    ));
                }
                Check::Medication(members)
            }
            Criterion::Pregnant => Check::Pregnant,
            Criterion::CvdRisk { at_least } => Check::CvdRisk(*at_least),
            Criterion::AllOf { criteria, label } | Criterion::AnyOf { criteria, label } => {
                if criteria.is_empty() {
                    return Err(DefinitionError::invalid(
                        format!("{path}.criteria"),
                        "must not be empty",
                    ));
                }
                let checks = criteria
                    .iter()
                    .enumerate()
                    .map(|(i, c)| c.compile(lists, &format!("{path}.criteria[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                if matches!(self, Criterion::AllOf { .. }) {
                    Check::AllOf(checks, label.clone())
                } else {
                    Check::AnyOf(checks, label.clone())
                }
            }
        })
    }
}

/// A compiled population.
#[derive(Debug, Clone)]
pub struct Population {
    pub sex: Option<Sex>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub pregnant: Option<bool>,
    pub requires: Vec<Check>,
}

impl Population {
    /// Adds the LOINC codes its conditions read (see [`Check::result_codes`]).
    pub fn result_codes(&self, out: &mut BTreeSet<String>) {
        for c in &self.requires {
            c.result_codes(out);
        }
    }
}

impl PopulationDef {
    pub fn compile(&self, lists: &CodeLists, path: &str) -> Result<Population, DefinitionError> {
        if let (Some(min), Some(max)) = (self.min_age, self.max_age) {
            if min > max {
                return Err(DefinitionError::invalid(
                    format!("{path}.min_age"),
                    format!("min_age {min} is above max_age {max}"),
                ));
            }
        }
        Ok(Population {
            sex: self.sex,
            min_age: self.min_age,
            max_age: self.max_age,
            pregnant: self.pregnant,
            requires: self
                .requires
                .iter()
                .enumerate()
                .map(|(i, c)| c.compile(lists, &format!("{path}.requires[{i}]")))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Met; the facts that show it.
    Met(Vec<String>),
    /// Not met, and why.
    NotMet(String),
    /// Cannot tell: what is missing.
    Unknown { why: String, missing: Vec<String> },
}

/// The facts of one patient with what is worth computing once (the
/// ingredients of each active medication).
pub struct Subject<'a> {
    pub facts: &'a Facts,
    pub on: NaiveDate,
    /// For each medication active on `on`: its index and ingredients.
    active_meds: std::cell::OnceCell<Vec<(usize, Vec<IngredientId>)>>,
}

impl<'a> Subject<'a> {
    pub fn new(facts: &'a Facts, on: NaiveDate) -> Subject<'a> {
        Subject {
            facts,
            on,
            active_meds: std::cell::OnceCell::new(),
        }
    }

    /// The medications active on `on` with their ingredients, resolved the first time a
    /// check asks (most rules never do, and resolving names is the costly part).
    fn active_meds(&self) -> &[(usize, Vec<IngredientId>)] {
        self.active_meds.get_or_init(|| {
            let on = self.on;
            self.facts
                .medications
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    m.active
                        && m.stop.is_none_or(|stop| stop > on)
                        && m.start.is_none_or(|start| start <= on)
                })
                .map(|(i, m)| {
                    let found = ingredients::resolve(&m.name, m.rxnorm.as_deref()).found;
                    (i, found.into_iter().map(|f| f.ingredient).collect())
                })
                .collect()
        })
    }

    pub fn age(&self) -> i32 {
        age_on(self.facts.birth_date, self.on)
    }

    /// The latest numeric result of a set on or before `on`, in `unit` when given.
    pub fn latest_result(&self, set: &CodeSet, unit: Option<&str>) -> Option<&'a Observation> {
        self.facts
            .observations
            .iter()
            .filter(|o| o.date <= self.on && o.value_num.is_some_and(f64::is_finite))
            .filter(|o| set.contains(CodeSystem::Loinc, &o.loinc))
            .filter(|o| match (unit, &o.unit) {
                (Some(want), Some(have)) => want.eq_ignore_ascii_case(have.trim()),
                _ => true,
            })
            .max_by_key(|o| o.date)
    }

    /// The latest result of a set on or before `on`, with or without a value.
    pub fn latest_any(&self, set: &CodeSet) -> Option<&'a Observation> {
        self.facts
            .observations
            .iter()
            .filter(|o| o.date <= self.on && set.contains(CodeSystem::Loinc, &o.loinc))
            .max_by_key(|o| o.date)
    }

    /// The active medications with an ingredient of the class, by name.
    pub fn medications_in(&self, class: &MedicationClass) -> Vec<String> {
        self.active_meds()
            .iter()
            .filter_map(|(i, found)| {
                let hit = found.iter().find(|id| class.members.contains(id))?;
                Some(format!(
                    "active medication \"{}\" ({}, {})",
                    self.facts.medications[*i].name,
                    ingredients::get(*hit).name,
                    class.label
                ))
            })
            .collect()
    }

    /// Evaluates a compiled check.
    pub fn check(&self, check: &Check) -> Outcome {
        let facts = self.facts;
        match check {
            Check::Problem {
                set,
                include_resolved,
            } => {
                let hits: Vec<String> = facts
                    .problems
                    .iter()
                    .filter(|p| p.onset.is_none_or(|d| d <= self.on))
                    .filter(|p| {
                        *include_resolved || (p.active && p.resolved.is_none_or(|r| r > self.on))
                    })
                    .filter_map(|p| {
                        let system = match &p.system {
                            None => CodeSystem::Icd10cm,
                            Some(s) if s.trim().is_empty() => CodeSystem::Icd10cm,
                            Some(s) => CodeSystem::recognize(s)?,
                        };
                        set.contains(system, &p.code).then(|| {
                            format!(
                                "problem {} {} \"{}\" ({})",
                                system.label(),
                                p.code.trim(),
                                p.display,
                                set.label
                            )
                        })
                    })
                    .collect();
                if hits.is_empty() {
                    Outcome::NotMet(format!(
                        "no {} on the problem list",
                        set.label.to_lowercase()
                    ))
                } else {
                    Outcome::Met(hits)
                }
            }
            Check::Procedure { set } => {
                let hit = facts
                    .procedures
                    .iter()
                    .filter(|p| p.date <= self.on)
                    .find(|p| {
                        CodeSystem::recognize(&p.system)
                            .is_some_and(|system| set.contains(system, &p.code))
                    });
                match hit {
                    Some(p) => Outcome::Met(vec![format!(
                        "procedure {} {} \"{}\" on {} ({})",
                        CodeSystem::recognize(&p.system).map_or("", CodeSystem::label),
                        p.code,
                        p.display,
                        p.date,
                        set.label
                    )]),
                    None => Outcome::NotMet(format!("no {} recorded", set.label.to_lowercase())),
                }
            }
            Check::Observation {
                label,
                set,
                comparator,
                value,
                unit,
                within_months,
            } => {
                let latest = self
                    .latest_result(set, unit.as_deref())
                    .filter(|o| within_months.is_none_or(|m| add_months(o.date, m) > self.on));
                let Some(o) = latest else {
                    let codes: Vec<&str> = set.codes().iter().map(|c| c.code.as_str()).collect();
                    return Outcome::Unknown {
                        why: format!("no {label} on record"),
                        missing: vec![format!("{label} (LOINC {})", codes.join(", "))],
                    };
                };
                let v = o.value_num.unwrap_or(f64::NAN);
                let text = format!(
                    "{label} {v}{} on {} (LOINC {})",
                    o.unit
                        .as_deref()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default(),
                    o.date,
                    o.loinc
                );
                if comparator.holds(v, *value) {
                    Outcome::Met(vec![text])
                } else {
                    Outcome::NotMet(format!("{text} is not {} {value}", comparator.symbol()))
                }
            }
            Check::Tobacco {
                history,
                pack_years_at_least,
                quit_within_years,
            } => self.tobacco(*history, *pack_years_at_least, *quit_within_years),
            Check::Medication(class) => {
                let hits = self.medications_in(class);
                if hits.is_empty() {
                    Outcome::NotMet(format!("no active {}", class.label.to_lowercase()))
                } else {
                    Outcome::Met(hits)
                }
            }
            Check::Pregnant => match facts.pregnancy {
                Some(true) => Outcome::Met(vec!["pregnant (recorded)".into()]),
                Some(false) => Outcome::NotMet("not pregnant (recorded)".into()),
                None => Outcome::NotMet("pregnancy not recorded".into()),
            },
            Check::CvdRisk(at_least) => match &facts.ten_year_cvd_risk {
                None => Outcome::Unknown {
                    why: "no 10-year cardiovascular risk estimate on record".into(),
                    missing: vec!["10-year cardiovascular risk estimate".into()],
                },
                Some(r) => {
                    let text = format!(
                        "10-year cardiovascular risk {}% on {}{}",
                        r.percent,
                        r.date,
                        if r.method.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", r.method)
                        }
                    );
                    if r.percent >= *at_least {
                        Outcome::Met(vec![text])
                    } else {
                        Outcome::NotMet(format!("{text} is below {at_least}%"))
                    }
                }
            },
            Check::AllOf(checks, _) => {
                let mut met = Vec::new();
                let mut unknown: Option<Outcome> = None;
                for c in checks {
                    match self.check(c) {
                        Outcome::Met(mut m) => met.append(&mut m),
                        not @ Outcome::NotMet(_) => return not,
                        u @ Outcome::Unknown { .. } => {
                            unknown = Some(merge_unknown(unknown, u));
                        }
                    }
                }
                unknown.unwrap_or(Outcome::Met(met))
            }
            Check::AnyOf(checks, label) => {
                let mut unknown: Option<Outcome> = None;
                let mut reasons = Vec::new();
                for c in checks {
                    match self.check(c) {
                        met @ Outcome::Met(_) => return met,
                        Outcome::NotMet(why) => reasons.push(why),
                        u @ Outcome::Unknown { .. } => unknown = Some(merge_unknown(unknown, u)),
                    }
                }
                unknown.unwrap_or_else(|| {
                    Outcome::NotMet(match label {
                        Some(l) => format!("no {l} ({})", reasons.join("; ")),
                        None => reasons.join("; "),
                    })
                })
            }
        }
    }

    fn tobacco(
        &self,
        history: TobaccoHistory,
        pack_years_at_least: Option<f64>,
        quit_within_years: Option<u32>,
    ) -> Outcome {
        let mut entries: Vec<_> = self
            .facts
            .tobacco
            .iter()
            .filter(|t| t.date <= self.on)
            .collect();
        entries.sort_by_key(|t| t.date);
        let Some(latest) = entries.last() else {
            return Outcome::Unknown {
                why: "no tobacco use status on record".into(),
                missing: vec!["tobacco use status".into()],
            };
        };
        let latest_reading = latest.reading();
        let mut used = vec![format!(
            "tobacco status \"{}\" on {}",
            latest.status, latest.date
        )];
        match history {
            TobaccoHistory::Current => {
                if latest_reading != Smoking::Current {
                    return match latest_reading {
                        Smoking::Unknown => Outcome::Unknown {
                            why: format!("tobacco status \"{}\" does not say", latest.status),
                            missing: vec!["tobacco use status".into()],
                        },
                        _ => Outcome::NotMet(format!("not a current smoker ({})", used[0])),
                    };
                }
            }
            TobaccoHistory::Ever => {
                let ever = entries
                    .iter()
                    .rev()
                    .find(|t| matches!(t.reading(), Smoking::Current | Smoking::Former));
                match ever {
                    Some(t) if t.date != latest.date => {
                        used.push(format!("tobacco status \"{}\" on {}", t.status, t.date))
                    }
                    Some(_) => {}
                    None if latest_reading == Smoking::Never => {
                        return Outcome::NotMet(format!("never smoked ({})", used[0]))
                    }
                    None => {
                        return Outcome::Unknown {
                            why: format!("tobacco status \"{}\" does not say", latest.status),
                            missing: vec!["tobacco use status".into()],
                        }
                    }
                }
            }
        }
        if let Some(threshold) = pack_years_at_least {
            let Some(t) = entries.iter().rev().find(|t| t.pack_years.is_some()) else {
                return Outcome::Unknown {
                    why: "pack-years not recorded".into(),
                    missing: vec!["pack-years of smoking".into()],
                };
            };
            let py = t.pack_years.unwrap_or_default();
            if py < threshold {
                return Outcome::NotMet(format!(
                    "{py} pack-years (recorded {}) is under {threshold}",
                    t.date
                ));
            }
            used.push(format!("{py} pack-years (recorded {})", t.date));
        }
        if let Some(years) = quit_within_years {
            if latest_reading != Smoking::Current {
                let Some(quit) = entries.iter().rev().find_map(|t| t.quit_date) else {
                    return Outcome::Unknown {
                        why: "former smoker with no quit date".into(),
                        missing: vec!["the date the patient quit smoking".into()],
                    };
                };
                if add_months(quit, years * 12) <= self.on {
                    return Outcome::NotMet(format!("quit on {quit}, {years} or more years ago"));
                }
                used.push(format!("quit on {quit}, within {years} years"));
            }
        }
        Outcome::Met(used)
    }
}

fn merge_unknown(previous: Option<Outcome>, next: Outcome) -> Outcome {
    match (previous, next) {
        (
            Some(Outcome::Unknown { why, mut missing }),
            Outcome::Unknown {
                why: why2,
                missing: more,
            },
        ) => {
            for m in more {
                if !missing.contains(&m) {
                    missing.push(m);
                }
            }
            Outcome::Unknown {
                why: format!("{why}; {why2}"),
                missing,
            }
        }
        (_, next) => next,
    }
}
