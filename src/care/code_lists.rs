//! Named code lists (value sets) and medication classes that preventive
//! rules and registries refer to, from `assets/care_code_lists.json`.
//!
//! A rule names a list ("diabetes") instead of repeating its codes, so a code
//! added to a list reaches every rule that uses it. Each list says where its
//! codes came from (`assets/README.md` has the detail). An ICD-10-CM entry
//! covers its subcodes (`E11` matches `E11.65`), because the ICD hierarchy is
//! in the code itself; codes of other systems match exactly.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::care::definitions::{code_problem, parse_json, DefinitionError};
use crate::care::facts::{normalize_code, CodeSystem};
use crate::care::medication_safety::ingredients::{self, IngredientId};
use crate::codes::check_digits::loinc_problem;

/// The validated `assets/care_code_lists.json` (checked by `build.rs`).
static JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/care_code_lists.json"));

/// One code with its system and display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Code {
    pub system: CodeSystem,
    pub code: String,
    pub display: String,
}

/// A LOINC code with its display (observations are always LOINC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct LoincCode {
    pub code: String,
    pub display: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CodeListDef {
    pub label: String,
    pub codes: Vec<Code>,
    /// Where the codes came from.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct MedicationClassDef {
    pub label: String,
    /// Ingredient names of `assets/rxnorm_ingredients.tsv`.
    pub ingredients: Vec<String>,
    pub source: String,
}

/// The file as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CodeListsFile {
    pub version: String,
    pub code_lists: BTreeMap<String, CodeListDef>,
    pub medication_classes: BTreeMap<String, MedicationClassDef>,
}

/// A set of codes ready for matching.
#[derive(Debug, Clone, Default)]
pub struct CodeSet {
    pub label: String,
    /// By system, the codes in normal form; looked up by `&str`, so matching
    /// a chart code allocates nothing in the common case. Hashed with FxHash: a
    /// practice-wide due list makes tens of millions of look-ups, and these keys are
    /// the practice's own code lists, not input an attacker chooses.
    exact: HashMap<CodeSystem, FxHashSet<String>>,
    displays: Vec<Code>,
}

impl CodeSet {
    /// Builds a set from codes, checking each; `path` names the list in errors.
    pub fn build(label: &str, codes: &[Code], path: &str) -> Result<CodeSet, DefinitionError> {
        let mut set = CodeSet {
            label: label.to_string(),
            ..CodeSet::default()
        };
        for (i, code) in codes.iter().enumerate() {
            let normal = normalize_code(code.system, &code.code);
            if let Some(problem) = code_problem(code.system, &normal) {
                return Err(DefinitionError::invalid(
                    format!("{path}[{i}].code"),
                    problem,
                ));
            }
            set.exact.entry(code.system).or_default().insert(normal);
            set.displays.push(code.clone());
        }
        Ok(set)
    }

    /// Builds a set of LOINC codes.
    pub fn build_loinc(
        label: &str,
        codes: &[LoincCode],
        path: &str,
    ) -> Result<CodeSet, DefinitionError> {
        let mut set = CodeSet {
            label: label.to_string(),
            ..CodeSet::default()
        };
        for (i, code) in codes.iter().enumerate() {
            let normal = code.code.trim().to_string();
            if let Some(problem) = loinc_problem(&normal) {
                return Err(DefinitionError::invalid(
                    format!("{path}[{i}].code"),
                    problem,
                ));
            }
            set.exact
                .entry(CodeSystem::Loinc)
                .or_default()
                .insert(normal);
            set.displays.push(Code {
                system: CodeSystem::Loinc,
                code: code.code.clone(),
                display: code.display.clone(),
            });
        }
        Ok(set)
    }

    /// Adds the codes of another set.
    pub fn extend(&mut self, other: &CodeSet) {
        for (system, codes) in &other.exact {
            self.exact
                .entry(*system)
                .or_default()
                .extend(codes.iter().cloned());
        }
        self.displays.extend(other.displays.iter().cloned());
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// The LOINC codes of the set, in normal form (as results store them).
    pub fn loinc_codes(&self) -> impl Iterator<Item = &str> {
        self.exact
            .get(&CodeSystem::Loinc)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The codes with their displays, for explanations and exports.
    pub fn codes(&self) -> &[Code] {
        &self.displays
    }

    /// Whether a chart code (system as stored) is in the set.
    pub fn contains(&self, system: CodeSystem, code: &str) -> bool {
        let Some(codes) = self.exact.get(&system) else {
            return false;
        };
        let normal = normal_form(system, code);
        if system == CodeSystem::Icd10cm {
            // Each ancestor of an ICD-10-CM code is a prefix of it: E11, E11.6, E11.65.
            return (3..=normal.len())
                .filter(|&end| end != 4 && normal.is_char_boundary(end))
                .any(|end| codes.contains(&normal[..end]));
        }
        codes.contains(normal.as_ref())
    }

    /// Whether a code of unknown system (an order's code) is in the set under
    /// any system. Safe because the shapes of the shipped systems differ.
    pub fn contains_any_system(&self, code: &str) -> bool {
        let code = code.trim();
        self.exact.iter().any(|(system, codes)| {
            codes.contains(code)
                || (*system != CodeSystem::Loinc && codes.contains(&normalize_code(*system, code)))
        })
    }
}

/// The code in the lists' form, borrowing when it already is.
fn normal_form(system: CodeSystem, code: &str) -> Cow<'_, str> {
    let trimmed = code.trim();
    let already = match system {
        CodeSystem::Icd10cm => {
            !trimmed.bytes().any(|b| b.is_ascii_lowercase())
                && (trimmed.len() <= 3 || trimmed.as_bytes().get(3) == Some(&b'.'))
        }
        CodeSystem::Icd10pcs | CodeSystem::Hcpcs => {
            !trimmed.bytes().any(|b| b.is_ascii_lowercase())
        }
        _ => true,
    };
    if already {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(normalize_code(system, trimmed))
    }
}

/// A medication class resolved to ingredient ids.
#[derive(Debug, Clone)]
pub struct MedicationClass {
    pub label: String,
    pub members: Vec<IngredientId>,
}

impl MedicationClass {
    pub fn build(
        label: &str,
        names: &[String],
        path: &str,
    ) -> Result<MedicationClass, DefinitionError> {
        let mut members = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match ingredients::by_name(name) {
                Some(id) => members.push(id),
                None => {
                    return Err(DefinitionError::invalid(
                        format!("{path}[{i}]"),
                        format!(
                            "{name:?} is not an ingredient name in assets/rxnorm_ingredients.tsv"
                        ),
                    ))
                }
            }
        }
        Ok(MedicationClass {
            label: label.to_string(),
            members,
        })
    }
}

/// The compiled lists and classes.
#[derive(Debug, Clone)]
pub struct CodeLists {
    pub version: String,
    lists: BTreeMap<String, CodeSet>,
    classes: BTreeMap<String, MedicationClass>,
}

impl CodeLists {
    /// Reads a code-lists file, checking every code and ingredient.
    pub fn parse(json: &str) -> Result<CodeLists, DefinitionError> {
        let file: CodeListsFile = parse_json(json)?;
        let mut lists = BTreeMap::new();
        for (name, def) in &file.code_lists {
            let path = format!("code_lists.{name}.codes");
            if def.codes.is_empty() {
                return Err(DefinitionError::invalid(path, "a code list needs codes"));
            }
            lists.insert(name.clone(), CodeSet::build(&def.label, &def.codes, &path)?);
        }
        let mut classes = BTreeMap::new();
        for (name, def) in &file.medication_classes {
            let path = format!("medication_classes.{name}.ingredients");
            classes.insert(
                name.clone(),
                MedicationClass::build(&def.label, &def.ingredients, &path)?,
            );
        }
        Ok(CodeLists {
            version: file.version,
            lists,
            classes,
        })
    }

    /// The lists compiled into the binary.
    pub fn shipped() -> &'static CodeLists {
        static LISTS: OnceLock<CodeLists> = OnceLock::new();
        LISTS.get_or_init(|| {
            CodeLists::parse(JSON).expect("build.rs validated care_code_lists.json")
        })
    }

    pub fn list(&self, name: &str) -> Option<&CodeSet> {
        self.lists.get(name)
    }

    pub fn class(&self, name: &str) -> Option<&MedicationClass> {
        self.classes.get(name)
    }

    pub fn list_names(&self) -> impl Iterator<Item = &str> {
        self.lists.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lists_load_and_icd_categories_cover_subcodes() {
        let lists = CodeLists::shipped();
        let diabetes = lists.list("diabetes").unwrap();
        assert!(diabetes.contains(CodeSystem::Icd10cm, "E11.65"));
        assert!(diabetes.contains(CodeSystem::Icd10cm, "e119"));
        assert!(diabetes.contains(CodeSystem::Snomed, "44054006"));
        assert!(!diabetes.contains(CodeSystem::Icd10cm, "E78.5"));
        // A prefix that is not an ancestor does not match (E1 is not E11).
        let no_cervix = lists.list("no_cervix").unwrap();
        assert!(no_cervix.contains(CodeSystem::Icd10cm, "Z90.710"));
        assert!(!no_cervix.contains(CodeSystem::Icd10cm, "Z90.711"));
        assert!(lists.class("statins").unwrap().members.len() >= 6);
    }

    #[test]
    fn a_bad_code_is_named_with_its_path() {
        let json = r#"{"version":"t","code_lists":{"x":{"label":"X","source":"s","codes":[
            {"system":"loinc","code":"4548-4","display":"ok"},
            {"system":"loinc","code":"4548-5","display":"bad"}]}},"medication_classes":{}}"#;
        let err = CodeLists::parse(json).unwrap_err();
        assert_eq!(err.path(), "code_lists.x.codes[1].code");
        let json = r#"{"version":"t","code_lists":{},"medication_classes":{"m":{"label":"M","source":"s","ingredients":["notadrug"]}}}"#;
        let err = CodeLists::parse(json).unwrap_err();
        assert_eq!(err.path(), "medication_classes.m.ingredients[0]");
    }
}
