//! Monitoring registries: practice-wide lists of patients not meeting a
//! parameter (diabetics with HbA1c above 9% or none in a year, warfarin with
//! no INR in 6 weeks...), each a rule in `assets/registries.json`.
//!
//! A registry is data: a population (problem code lists, medication classes,
//! an age range) and the flags that put a patient on the list (a result above
//! a threshold, no result within a window, the last blood pressure, overdue
//! vaccines from the immunization forecast). A practice adds its own in the
//! same JSON shape ([`RegistrySet::with_additions`]); errors name the field.
//!
//! A result counts as "within" a window while its date plus the window is
//! after the assessment date: an INR taken 6 weeks ago today no longer counts,
//! the same reading as a preventive interval ending today.

#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::code_lists::{CodeLists, CodeSet, LoincCode};
use crate::care::criteria::{Comparator, Outcome, Population, PopulationDef, Subject};
use crate::care::csv::write_record;
use crate::care::definitions::{parse_json, DefinitionError};
use crate::care::facts::{add_months, Facts};
use crate::care::preventive::rules::is_id;
use crate::care::preventive::PatientRef;

static JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/registries.json"));

/// Systolic and diastolic blood pressure (LOINC).
const SYSTOLIC: &str = "8480-6";
const DIASTOLIC: &str = "8462-4";

/// What puts a patient of the population on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Flag {
    /// The latest numeric result compares with the value (HbA1c > 9 %).
    LatestResult {
        label: String,
        loinc: Vec<LoincCode>,
        comparator: Comparator,
        value: f64,
        /// Results in another unit are ignored, never converted.
        #[serde(default)]
        unit: Option<String>,
    },
    /// No result within the window: give `months` or `days`.
    NoResultWithin {
        label: String,
        loinc: Vec<LoincCode>,
        #[serde(default)]
        months: Option<u32>,
        #[serde(default)]
        days: Option<u32>,
    },
    /// The last blood pressure (the latest date with a systolic reading) at
    /// or above either value.
    BloodPressureAtLeast { systolic: f64, diastolic: f64 },
    /// The immunization forecast lists overdue vaccine groups (any, or these).
    OverdueVaccines {
        #[serde(default)]
        groups: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct RegistryDef {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub population: PopulationDef,
    /// Any one of them puts the patient on the list.
    pub flag_when: Vec<Flag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct RegistryFile {
    pub version: String,
    pub registries: Vec<RegistryDef>,
}

#[derive(Debug, Clone)]
enum CompiledFlag {
    Latest {
        label: String,
        set: CodeSet,
        comparator: Comparator,
        value: f64,
        unit: Option<String>,
    },
    Missing {
        label: String,
        set: CodeSet,
        window: Window,
    },
    BloodPressure {
        systolic: f64,
        diastolic: f64,
    },
    Vaccines(Vec<String>),
}

#[derive(Debug, Clone, Copy)]
enum Window {
    Months(u32),
    Days(u32),
}

impl Window {
    fn end(self, date: NaiveDate) -> NaiveDate {
        match self {
            Window::Months(m) => add_months(date, m),
            Window::Days(d) => date + Duration::days(i64::from(d)),
        }
    }

    fn text(self) -> String {
        match self {
            Window::Months(m) => format!("{m} months"),
            Window::Days(d) if d % 7 == 0 => format!("{} weeks", d / 7),
            Window::Days(d) => format!("{d} days"),
        }
    }
}

/// A compiled registry.
#[derive(Debug, Clone)]
pub struct Registry {
    pub def: RegistryDef,
    population: Population,
    flags: Vec<CompiledFlag>,
}

/// Why a patient is on a registry's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Why {
    pub registry: String,
    pub title: String,
    /// Why the patient is in the population ("problem ICD-10-CM E11.9 ...").
    pub because: Vec<String>,
    /// Each flag that holds ("last HbA1c 9.4 % on 2025-01-10 is > 9").
    pub flags: Vec<String>,
}

/// The compiled registries.
#[derive(Debug, Clone)]
pub struct RegistrySet {
    pub version: String,
    pub registries: Vec<Registry>,
}

impl Registry {
    /// Whether the registry reads the immunization forecast, which the caller must then
    /// compute into [`Facts::overdue_vaccine_groups`].
    pub fn needs_forecast(&self) -> bool {
        self.flags
            .iter()
            .any(|f| matches!(f, CompiledFlag::Vaccines(_)))
    }
}

impl RegistrySet {
    pub fn parse(json: &str, lists: &CodeLists) -> Result<RegistrySet, DefinitionError> {
        let file: RegistryFile = parse_json(json)?;
        let mut set = RegistrySet {
            version: file.version,
            registries: Vec::new(),
        };
        set.add(file.registries, lists, "registries")?;
        Ok(set)
    }

    /// The registries compiled into the binary.
    pub fn shipped() -> &'static RegistrySet {
        static SET: OnceLock<RegistrySet> = OnceLock::new();
        SET.get_or_init(|| {
            RegistrySet::parse(JSON, CodeLists::shipped())
                .expect("build.rs validated registries.json")
        })
    }

    /// This set plus the practice's own registries: a JSON array of
    /// registries in the shape of `assets/registries.json`'s `registries`.
    /// An id already taken is refused rather than silently replacing a list.
    pub fn with_additions(
        &self,
        json: &str,
        lists: &CodeLists,
    ) -> Result<RegistrySet, DefinitionError> {
        let defs: Vec<RegistryDef> = parse_json(json)?;
        let mut set = self.clone();
        set.add(defs, lists, "")?;
        Ok(set)
    }

    fn add(
        &mut self,
        defs: Vec<RegistryDef>,
        lists: &CodeLists,
        prefix: &str,
    ) -> Result<(), DefinitionError> {
        let mut ids: HashSet<String> = self.registries.iter().map(|r| r.def.id.clone()).collect();
        for (i, def) in defs.into_iter().enumerate() {
            let path = format!("{prefix}[{i}]");
            if !is_id(&def.id) {
                return Err(DefinitionError::invalid(
                    format!("{path}.id"),
                    format!("{:?} must be lower case letters, digits and '_'", def.id),
                ));
            }
            if !ids.insert(def.id.clone()) {
                return Err(DefinitionError::invalid(
                    format!("{path}.id"),
                    format!("a registry {:?} already exists", def.id),
                ));
            }
            if def.title.trim().is_empty() {
                return Err(DefinitionError::invalid(
                    format!("{path}.title"),
                    "must not be empty",
                ));
            }
            self.registries.push(compile(def, lists, &path)?);
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Registry> {
        self.registries.iter().find(|r| r.def.id == id)
    }

    /// The LOINC codes whose results the registries read: all a practice-wide read for
    /// them needs of the results.
    pub fn result_codes(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for r in &self.registries {
            r.population.result_codes(&mut out);
            for flag in &r.flags {
                match flag {
                    CompiledFlag::Latest { set, .. } | CompiledFlag::Missing { set, .. } => {
                        out.extend(set.loinc_codes().map(String::from));
                    }
                    CompiledFlag::BloodPressure { .. } => {
                        out.insert(SYSTOLIC.to_string());
                        out.insert(DIASTOLIC.to_string());
                    }
                    CompiledFlag::Vaccines(_) => {}
                }
            }
        }
        out
    }
}

fn compile(def: RegistryDef, lists: &CodeLists, path: &str) -> Result<Registry, DefinitionError> {
    let population = def
        .population
        .compile(lists, &format!("{path}.population"))?;
    if def.flag_when.is_empty() {
        return Err(DefinitionError::invalid(
            format!("{path}.flag_when"),
            "give at least one flag",
        ));
    }
    let mut flags = Vec::new();
    for (i, flag) in def.flag_when.iter().enumerate() {
        let p = format!("{path}.flag_when[{i}]");
        let loinc_set = |label: &str, loinc: &[LoincCode]| {
            if loinc.is_empty() {
                return Err(DefinitionError::invalid(
                    format!("{p}.loinc"),
                    "give at least one LOINC code",
                ));
            }
            CodeSet::build_loinc(label, loinc, &format!("{p}.loinc"))
        };
        flags.push(match flag {
            Flag::LatestResult {
                label,
                loinc,
                comparator,
                value,
                unit,
            } => CompiledFlag::Latest {
                label: label.clone(),
                set: loinc_set(label, loinc)?,
                comparator: *comparator,
                value: *value,
                unit: unit.clone(),
            },
            Flag::NoResultWithin {
                label,
                loinc,
                months,
                days,
            } => {
                let window = match (months, days) {
                    (Some(m), None) if *m > 0 => Window::Months(*m),
                    (None, Some(d)) if *d > 0 => Window::Days(*d),
                    _ => {
                        return Err(DefinitionError::invalid(
                            format!("{p}.months"),
                            "give exactly one of months or days, at least 1",
                        ))
                    }
                };
                CompiledFlag::Missing {
                    label: label.clone(),
                    set: loinc_set(label, loinc)?,
                    window,
                }
            }
            Flag::BloodPressureAtLeast {
                systolic,
                diastolic,
            } => CompiledFlag::BloodPressure {
                systolic: *systolic,
                diastolic: *diastolic,
            },
            Flag::OverdueVaccines { groups } => CompiledFlag::Vaccines(groups.clone()),
        });
    }
    Ok(Registry {
        def,
        population,
        flags,
    })
}

/// Whether the patient is on the registry's list on `on`, and why.
pub fn evaluate(registry: &Registry, facts: &Facts, on: NaiveDate) -> Option<Why> {
    evaluate_subject(registry, &Subject::new(facts, on))
}

fn evaluate_subject(registry: &Registry, subject: &Subject) -> Option<Why> {
    let facts = subject.facts;
    let on = subject.on;
    let pop = &registry.population;
    let age = subject.age();
    if facts.birth_date > on
        || pop.min_age.is_some_and(|min| age < min as i32)
        || pop.max_age.is_some_and(|max| age > max as i32)
        || pop.sex.is_some_and(|sex| sex != facts.sex)
        || (pop.pregnant == Some(true) && facts.pregnancy != Some(true))
    {
        return None;
    }
    let mut because = Vec::new();
    if pop.min_age.is_some() || pop.max_age.is_some() {
        because.push(format!("age {age}"));
    }
    for check in &pop.requires {
        match subject.check(check) {
            Outcome::Met(mut evidence) => because.append(&mut evidence),
            _ => return None,
        }
    }
    let mut flags = Vec::new();
    for flag in &registry.flags {
        if let Some(text) = flag_holds(flag, subject) {
            flags.push(text);
        }
    }
    (!flags.is_empty()).then(|| Why {
        registry: registry.def.id.clone(),
        title: registry.def.title.clone(),
        because,
        flags,
    })
}

fn flag_holds(flag: &CompiledFlag, subject: &Subject) -> Option<String> {
    let on = subject.on;
    match flag {
        CompiledFlag::Latest {
            label,
            set,
            comparator,
            value,
            unit,
        } => {
            let o = subject.latest_result(set, unit.as_deref())?;
            let v = o.value_num?;
            comparator.holds(v, *value).then(|| {
                format!(
                    "last {label} {v}{} on {} is {} {value}",
                    o.unit
                        .as_deref()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default(),
                    o.date,
                    comparator.symbol()
                )
            })
        }
        CompiledFlag::Missing { label, set, window } => match subject.latest_any(set) {
            None => Some(format!("no {label} on record")),
            Some(o) if window.end(o.date) <= on => Some(format!(
                "no {label} in the last {}: the last was on {}",
                window.text(),
                o.date
            )),
            Some(_) => None,
        },
        CompiledFlag::BloodPressure {
            systolic,
            diastolic,
        } => {
            let facts = subject.facts;
            let is = |o: &&crate::care::facts::Observation, code: &str| {
                o.date <= on && o.value_num.is_some() && o.loinc.trim() == code
            };
            let last_sys = facts
                .observations
                .iter()
                .filter(|o| is(o, SYSTOLIC))
                .max_by_key(|o| o.date)?;
            let date = last_sys.date;
            let sys = facts
                .observations
                .iter()
                .filter(|o| is(o, SYSTOLIC) && o.date == date)
                .filter_map(|o| o.value_num)
                .fold(f64::NAN, f64::max);
            let dia = facts
                .observations
                .iter()
                .filter(|o| is(o, DIASTOLIC) && o.date == date)
                .filter_map(|o| o.value_num)
                .fold(f64::NAN, f64::max);
            let high_sys = sys >= *systolic;
            let high_dia = dia >= *diastolic;
            (high_sys || high_dia).then(|| {
                let dia_text = if dia.is_nan() { "?".to_string() } else { dia.to_string() };
                format!(
                    "last blood pressure {sys}/{dia_text} mm[Hg] on {date} is at or above {systolic}/{diastolic}"
                )
            })
        }
        CompiledFlag::Vaccines(groups) => {
            let overdue: Vec<&str> = subject
                .facts
                .overdue_vaccine_groups
                .iter()
                .map(|g| g.trim())
                .filter(|g| !g.is_empty())
                .filter(|g| groups.is_empty() || groups.iter().any(|w| w.eq_ignore_ascii_case(g)))
                .collect();
            (!overdue.is_empty()).then(|| {
                format!(
                    "overdue vaccines (immunization forecast): {}",
                    overdue.join(", ")
                )
            })
        }
    }
}

/// One patient on a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RegistryRow {
    pub patient: PatientRef,
    pub why: Why,
}

/// One registry's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RegistryList {
    pub registry: String,
    pub title: String,
    pub count: usize,
    /// By name.
    pub rows: Vec<RegistryRow>,
}

/// Every registry's list on `on`, in the set's order (empty lists included).
pub fn registry_lists<F: Borrow<Facts>>(
    set: &RegistrySet,
    patients: impl IntoIterator<Item = (PatientRef, F)>,
    on: NaiveDate,
) -> Vec<RegistryList> {
    let mut lists: Vec<RegistryList> = set
        .registries
        .iter()
        .map(|r| RegistryList {
            registry: r.def.id.clone(),
            title: r.def.title.clone(),
            count: 0,
            rows: Vec::new(),
        })
        .collect();
    for (patient, facts) in patients {
        let subject = Subject::new(facts.borrow(), on);
        for (index, registry) in set.registries.iter().enumerate() {
            if let Some(why) = evaluate_subject(registry, &subject) {
                lists[index].rows.push(RegistryRow {
                    patient: patient.clone(),
                    why,
                });
            }
        }
    }
    for list in &mut lists {
        list.rows.sort_by(|a, b| {
            a.patient
                .name
                .cmp(&b.patient.name)
                .then_with(|| a.patient.id.cmp(&b.patient.id))
        });
        list.count = list.rows.len();
    }
    lists
}

/// The lists as one CSV: registry, patient, and why (`; `-separated).
pub fn registries_to_csv(lists: &[RegistryList]) -> String {
    let mut out = String::new();
    write_record(
        &mut out,
        &[
            "registry",
            "title",
            "patient_id",
            "mrn",
            "name",
            "phone",
            "why",
            "because",
        ],
    );
    for list in lists {
        for row in &list.rows {
            write_record(
                &mut out,
                &[
                    list.registry.as_str(),
                    list.title.as_str(),
                    row.patient.id.as_str(),
                    row.patient.mrn.as_str(),
                    row.patient.name.as_str(),
                    row.patient.phone.as_deref().unwrap_or(""),
                    row.why.flags.join("; ").as_str(),
                    row.why.because.join("; ").as_str(),
                ],
            );
        }
    }
    out
}
