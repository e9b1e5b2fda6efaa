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

/// Why a code is not well formed for its system, or `None` when it is. The
/// checks are the same as `build.rs`'s: a LOINC or SNOMED CT check digit, the
/// shape of HCPCS, ICD-10-PCS and CVX codes, ICD-10-CM codes in the embedded
/// table. CPT codes are refused because their licence forbids shipping them.
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

/// `^\d{1,7}-\d$` with a correct mod-10 check digit.
pub fn loinc_problem(code: &str) -> Option<String> {
    let Some((body, check)) = code.split_once('-') else {
        return Some(format!(
            "LOINC code {code:?} has no '-' before its check digit"
        ));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(body) || body.len() > 7 || check.len() != 1 || !digits(check) {
        return Some(format!(
            "LOINC code {code:?} must be 1 to 7 digits, '-', one check digit"
        ));
    }
    let mut sum = 0u32;
    for (position, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if position % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let expected = ((10 - sum % 10) % 10) as u8;
    let found = check.as_bytes()[0] - b'0';
    (expected != found)
        .then(|| format!("LOINC code {code:?} has check digit {found}, expected {expected}"))
}

/// A SNOMED CT concept id: 6 to 18 digits, no leading zero, partition `00`
/// (international) or `10` (extension) before the Verhoeff check digit.
pub fn is_sctid(code: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let b = code.as_bytes();
    if !(6..=18).contains(&b.len()) || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let partition = &code[b.len() - 3..b.len() - 1];
    if partition != "00" && partition != "10" {
        return false;
    }
    let mut c = 0u8;
    for (i, digit) in b.iter().rev().enumerate() {
        c = D[usize::from(c)][usize::from(P[i % 8][usize::from(digit - b'0')])];
    }
    c == 0
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
