//! The kinds of visit a clinician can give a visit as a code, so that quality measures
//! count it (`assets/visit_kinds.tsv`, SNOMED CT, validated by `build.rs`), and the checks
//! on a visit code of the other systems the visit value sets use (CPT, HCPCS), whose
//! codes come from the practice's own value set import and are never shipped.

use std::sync::OnceLock;

use super::check_digits::is_sctid;

/// The rows of `assets/visit_kinds.tsv` without the header, validated by `build.rs`.
static TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/visit_kinds.tsv"));

/// One shipped visit kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitKind {
    /// SNOMED CT concept id.
    pub code: &'static str,
    /// Its words, e.g. `Annual wellness visit`.
    pub display: &'static str,
    /// The title of the eCQM value set it comes from, for grouping in the form.
    pub value_set: &'static str,
}

/// Every shipped kind, in file order (grouped by value set).
pub fn all() -> &'static [VisitKind] {
    static TABLE: OnceLock<Vec<VisitKind>> = OnceLock::new();
    TABLE.get_or_init(|| {
        TSV.lines()
            .map(|line| {
                let mut f = line.split('\t');
                let mut next = || f.next().unwrap_or_default();
                VisitKind {
                    code: next(),
                    display: next(),
                    value_set: next(),
                }
            })
            .collect()
    })
}

/// A shipped kind by its SNOMED CT code.
pub fn lookup(code: &str) -> Option<VisitKind> {
    all().iter().find(|k| k.code == code.trim()).copied()
}

/// The stored name of a visit code's system (`type_system`): empty for SNOMED CT, `CPT`,
/// `HCPCS`. Accepts the usual spellings and the FHIR URIs; `None` for any other system.
pub fn system(name: &str) -> Option<&'static str> {
    match name.trim().to_ascii_lowercase().as_str() {
        "" | "snomed" | "snomed ct" | "snomed-ct" | "sct" | "http://snomed.info/sct" => Some(""),
        "cpt" | "http://www.ama-assn.org/go/cpt" => Some("CPT"),
        "hcpcs" | "hcpcs level ii" | "http://www.nlm.nih.gov/research/umls/hcpcs" => Some("HCPCS"),
        _ => None,
    }
}

/// The system a visit code given without one belongs to, by its shape: a SNOMED CT id
/// has at least six digits, so a five-character code is CPT (digits, or four digits and
/// F, T, U) or HCPCS Level II (a letter and four digits).
pub fn infer_system(code: &str) -> &'static str {
    let b = code.as_bytes();
    match b.len() {
        5 if b[0].is_ascii_alphabetic() => "HCPCS",
        5 => "CPT",
        _ => "",
    }
}

/// The FHIR code-system URI of a stored `type_system`.
pub fn system_uri(stored: &str) -> &'static str {
    match stored {
        "CPT" => "http://www.ama-assn.org/go/cpt",
        "HCPCS" => "http://www.nlm.nih.gov/research/umls/hcpcs",
        _ => "http://snomed.info/sct",
    }
}

/// What is wrong with a visit code of a (stored) system, if anything.
pub fn code_problem(system: &str, code: &str) -> Option<String> {
    let b = code.as_bytes();
    let ok = match system {
        "CPT" => {
            // Five characters: four digits and a digit (Category I) or F, T, U.
            b.len() == 5
                && b[..4].iter().all(u8::is_ascii_digit)
                && (b[4].is_ascii_digit() || matches!(b[4], b'F' | b'T' | b'U'))
        }
        "HCPCS" => {
            b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
        }
        _ => is_sctid(code),
    };
    (!ok).then(|| match system {
        "CPT" => format!(
            "'{code}' is not a CPT code (five characters: four digits, then a digit, F, T or U)"
        ),
        "HCPCS" => format!("'{code}' is not a HCPCS Level II code (a letter and four digits)"),
        _ => format!(
            "'{code}' is not a SNOMED CT concept id (its check digit fails): pick the kind of visit from the list of visit codes"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_kinds_are_found_and_codes_are_checked_by_system() {
        assert!(all().len() >= 10);
        assert_eq!(
            lookup("444971000124105").map(|k| k.display),
            Some("Annual wellness visit")
        );
        assert_eq!(lookup("12345"), None);
        assert_eq!(system("SNOMED CT"), Some(""));
        assert_eq!(system("http://www.ama-assn.org/go/cpt"), Some("CPT"));
        assert_eq!(system("ICD-10-CM"), None);
        assert_eq!(infer_system("99213"), "CPT");
        assert_eq!(infer_system("G0438"), "HCPCS");
        assert_eq!(infer_system("444971000124105"), "");
        assert_eq!(code_problem("", "444971000124105"), None);
        assert!(code_problem("", "444971000124106").is_some());
        assert_eq!(code_problem("CPT", "99213"), None);
        assert_eq!(code_problem("CPT", "1036F"), None);
        assert!(code_problem("CPT", "9921").is_some());
        assert_eq!(code_problem("HCPCS", "G0438"), None);
        assert!(code_problem("HCPCS", "g0438").is_some());
    }
}
