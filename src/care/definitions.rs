//! Reading rule definitions (the JSON in `assets/`, or a practice's own
//! additions kept in settings) with errors that name the field at fault.
//!
//! The shipped files are also checked by `build.rs`; this reader checks the
//! same things again at run time because a practice's additions never pass
//! through the build.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::care::facts::CodeSystem;
use crate::codes::check_digits::{is_sctid, loinc_problem};

/// A rule definition that could not be read. `path` names the field, e.g.
/// `registries[2].flag_when[0].loinc[1].code`.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DefinitionError {
    /// Not JSON of the expected shape (a missing field, a wrong type, an unknown key).
    #[error("{path}: {message}. Fix this field of the definition and save it again.")]
    Shape { path: String, message: String },
    /// Well formed, but a value is wrong (a LOINC check digit, an unknown list).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl DefinitionError {
    /// The stable code the UI branches on: the API's `invalid_input` (the
    /// message names the field), whichever way the definition is wrong.
    pub fn code(&self) -> &'static str {
        match self {
            DefinitionError::Shape { .. } => "invalid_input",
            DefinitionError::Invalid { .. } => "invalid_input",
        }
    }

    pub fn path(&self) -> &str {
        match self {
            DefinitionError::Shape { path, .. } | DefinitionError::Invalid { path, .. } => path,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        DefinitionError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses JSON into `T`, naming the field that failed.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, DefinitionError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        DefinitionError::Shape {
            path: if path == "." { "(top)".into() } else { path },
            message: err.into_inner().to_string(),
        }
    })
}

/// Why a code is not well formed for its system, or `None` when it is: a LOINC or
/// SNOMED CT check digit (`codes::check_digits`, which `build.rs` also uses), the shape of
/// HCPCS, ICD-10-PCS and CVX codes, ICD-10-CM codes in the embedded table. CPT codes are
/// refused because their licence forbids shipping them.
pub fn code_problem(system: CodeSystem, code: &str) -> Option<String> {
    match system {
        CodeSystem::Loinc => loinc_problem(code),
        CodeSystem::Snomed => (!is_sctid(code))
            .then(|| format!("SNOMED CT id {code:?} has a wrong check digit or shape")),
        CodeSystem::Hcpcs => {
            let b = code.as_bytes();
            let ok = b.len() == 5
                && (b'A'..=b'V').contains(&b[0])
                && b[1..].iter().all(u8::is_ascii_digit);
            (!ok).then(|| format!("HCPCS code {code:?} is not a letter A-V and four digits"))
        }
        CodeSystem::Icd10pcs => {
            let ok = code.len() == 7
                && code
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && c != b'I' && c != b'O'));
            (!ok).then(|| format!("ICD-10-PCS code {code:?} is not 7 characters (digits, letters but I and O)"))
        }
        CodeSystem::Cvx => crate::codes::cvx::lookup(code)
            .is_none()
            .then(|| format!("CVX code {code:?} is not in assets/cvx.tsv")),
        CodeSystem::Icd10cm => crate::codes::icd10::lookup(code)
            .is_none()
            .then(|| format!("ICD-10-CM code {code:?} is not in assets/icd10cm.tsv")),
        CodeSystem::Cpt => Some(format!(
            "CPT code {code:?}: CPT is AMA content and may not be shipped in a rule; use SNOMED CT, HCPCS or LOINC"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snomed_check_digits_are_verified() {
        for good in [
            "73761001",
            "38341003",
            "44054006",
            "1015401000000102",
            "229065009",
        ] {
            assert!(is_sctid(good), "{good}");
        }
        for bad in ["73761002", "38341013", "0123456", "12345", "73761a01"] {
            assert!(!is_sctid(bad), "{bad}");
        }
    }

    #[test]
    fn loinc_check_digits_are_verified() {
        assert_eq!(loinc_problem("4548-4"), None);
        assert!(loinc_problem("4548-5").unwrap().contains("expected 4"));
        assert!(loinc_problem("45484").is_some());
    }

    #[test]
    fn cpt_is_refused_and_hcpcs_shaped() {
        assert!(code_problem(CodeSystem::Cpt, "45378")
            .unwrap()
            .contains("AMA"));
        assert_eq!(code_problem(CodeSystem::Hcpcs, "G0121"), None);
        assert!(code_problem(CodeSystem::Hcpcs, "45378").is_some());
        assert_eq!(code_problem(CodeSystem::Icd10pcs, "0DTE0ZZ"), None);
        assert!(code_problem(CodeSystem::Icd10pcs, "0DTEOZZ").is_some());
        assert_eq!(code_problem(CodeSystem::Icd10cm, "E11"), None);
        assert!(code_problem(CodeSystem::Icd10cm, "E99.99").is_some());
    }

    #[test]
    fn shape_errors_name_the_field() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Inner>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            months: u32,
        }
        let err = parse_json::<Outer>(r#"{"items":[{"months":1},{"months":"x"}]}"#).unwrap_err();
        assert_eq!(err.path(), "items[1].months");
        assert_eq!(err.code(), "invalid_input");
        assert!(matches!(err, DefinitionError::Shape { .. }));
    }
}
