//! ICD-10-CM diagnosis codes (CMS/NCHS, public domain).
//!
//! The table holds every category, subcategory and 7th-character code of the
//! release described in `assets/README.md`, with its billable flag. It is
//! embedded deflated (about 0.7 MB) and inflated once, on first use, because
//! most sessions never look a diagnosis up.

use std::sync::OnceLock;

/// The rows of `assets/icd10cm.tsv` without the header, raw deflate; written
/// by `build.rs` after it validated them (sorted, unique, well-formed).
static PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/icd10cm.tsv.deflate"));

/// One ICD-10-CM code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Icd10 {
    /// Dotted, upper-case form, e.g. `E11.9`.
    pub code: &'static str,
    /// The tabular-list description, e.g. `Type 2 diabetes mellitus without
    /// complications`.
    pub display: &'static str,
    /// Whether the code is valid on a claim: true for leaves of the
    /// hierarchy, false for headers such as `E11` that have subcodes.
    pub billable: bool,
}

/// The decoded table, sorted by code, built on first use.
///
/// The inflated text is leaked on purpose: it lives for the whole process
/// anyway, and leaking it lets every entry hand out `&'static str` without
/// copying 98,000 strings.
fn table() -> &'static [Icd10] {
    static TABLE: OnceLock<Vec<Icd10>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let raw = miniz_oxide::inflate::decompress_to_vec(PACKED)
            .expect("build.rs writes the ICD-10-CM table as valid deflate");
        let text: &'static str = Box::leak(
            String::from_utf8(raw)
                .expect("build.rs embeds the ICD-10-CM table as UTF-8")
                .into_boxed_str(),
        );
        text.lines().map(parse_row).collect()
    })
}

fn parse_row(line: &'static str) -> Icd10 {
    let mut fields = line.splitn(3, '\t');
    let code = fields.next().unwrap_or_default();
    let billable = fields.next() == Some("1");
    let display = fields.next().unwrap_or_default();
    Icd10 {
        code,
        display,
        billable,
    }
}

/// Whether a problem's `code_system` names ICD-10-CM: its FHIR URI, its OID, or its name
/// as people write it.
pub fn is_system(system: &str) -> bool {
    let s = system.trim().to_ascii_lowercase();
    matches!(
        s.as_str(),
        "icd-10-cm"
            | "icd10cm"
            | "icd10"
            | "icd-10"
            | "http://hl7.org/fhir/sid/icd-10-cm"
            | "urn:oid:2.16.840.1.113883.6.90"
            | "2.16.840.1.113883.6.90"
    )
}

/// Number of codes in the embedded table (categories, subcategories and
/// billable codes together).
pub fn count() -> usize {
    table().len()
}

/// Puts a code typed by a person into the table's form: trimmed, upper case,
/// with the dot after the third character (`e119` and ` E11.9 ` both give
/// `E11.9`). Checks the format only; use [`lookup`] to know whether the code
/// exists.
pub fn normalize(code: &str) -> Option<String> {
    let trimmed = code.trim();
    let mut compact = String::with_capacity(8);
    for (index, c) in trimmed.char_indices() {
        if c == '.' && index == 3 {
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        compact.push(c.to_ascii_uppercase());
    }
    let b = compact.as_bytes();
    if !(3..=7).contains(&b.len()) || !b[0].is_ascii_uppercase() {
        return None;
    }
    if compact.len() == 3 {
        Some(compact)
    } else {
        Some(format!("{}.{}", &compact[..3], &compact[3..]))
    }
}

/// Finds a code, tolerating case, surrounding spaces and a missing dot.
pub fn lookup(code: &str) -> Option<Icd10> {
    let code = normalize(code)?;
    let table = table();
    table
        .binary_search_by(|entry| entry.code.cmp(code.as_str()))
        .ok()
        .map(|index| table[index])
}

/// Searches the table for a picker or a type-ahead box.
///
/// A single term that looks like a code (it contains a digit, e.g. `E11`,
/// `e119`, `Z00.0`) returns the codes that start with it, in code order.
/// Otherwise, or when no code starts with it, every word of `text` must begin
/// a word of the description, ignoring case: `type 2 diab` finds
/// `E11.9 Type 2 diabetes mellitus without complications`.
///
/// Word matches are ranked so the intended family comes first: descriptions
/// that start with the words as typed, then those that contain them as typed,
/// then those that merely contain them all; code order within each rank (so
/// a category precedes its subcodes). At most `limit` results.
pub fn search(text: &str, limit: usize) -> Vec<Icd10> {
    let text = text.trim();
    if text.is_empty() || limit == 0 {
        return Vec::new();
    }
    if let Some(prefix) = code_prefix(text) {
        let table = table();
        let start = table.partition_point(|entry| entry.code < prefix.as_str());
        let hits: Vec<Icd10> = table[start..]
            .iter()
            .take_while(|entry| entry.code.starts_with(prefix.as_str()))
            .take(limit)
            .copied()
            .collect();
        if !hits.is_empty() {
            return hits;
        }
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let phrase = words.join(" ");
    let mut ranked: Vec<(u8, usize)> = table()
        .iter()
        .enumerate()
        .filter(|(_, entry)| words.iter().all(|word| starts_a_word(entry.display, word)))
        .map(|(index, entry)| {
            let display = entry.display.as_bytes();
            let rank = if display.len() >= phrase.len()
                && display[..phrase.len()].eq_ignore_ascii_case(phrase.as_bytes())
            {
                0
            } else if starts_a_word(entry.display, &phrase) {
                1
            } else {
                2
            };
            (rank, index)
        })
        .collect();
    ranked.sort_unstable();
    let table = table();
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, index)| table[index])
        .collect()
}

/// The dotted code prefix a search term stands for, if it looks like one:
/// one token of letters, digits and at most a dot, starting with a letter
/// and containing a digit (so plain words are never taken for codes).
fn code_prefix(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if !first.is_ascii_alphabetic() || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut compact = String::with_capacity(8);
    for (index, c) in text.char_indices() {
        if c == '.' && index == 3 {
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        compact.push(c.to_ascii_uppercase());
    }
    if compact.len() > 7 {
        return None;
    }
    if compact.len() <= 3 {
        Some(compact)
    } else {
        Some(format!("{}.{}", &compact[..3], &compact[3..]))
    }
}

/// Whether `word` (lower case) begins some word of `haystack`, comparing
/// ASCII letters without regard to case. Non-ASCII bytes count as letters,
/// so a word boundary is only ever an ASCII space or punctuation mark.
fn starts_a_word(haystack: &str, word: &str) -> bool {
    let hay = haystack.as_bytes();
    let needle = word.as_bytes();
    if needle.len() > hay.len() {
        return false;
    }
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    (0..=hay.len() - needle.len()).any(|start| {
        (start == 0 || !is_word_byte(hay[start - 1]))
            && hay[start..start + needle.len()].eq_ignore_ascii_case(needle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billable_leaf_and_header_category() {
        let e119 = lookup("E11.9").expect("E11.9 exists");
        assert_eq!(e119.code, "E11.9");
        assert!(e119.billable);
        assert_eq!(
            e119.display,
            "Type 2 diabetes mellitus without complications"
        );

        let e11 = lookup("E11").expect("E11 exists");
        assert!(!e11.billable);
        assert_eq!(e11.display, "Type 2 diabetes mellitus");
    }

    #[test]
    fn well_visit_and_seventh_character_codes_exist() {
        let z0000 = lookup("Z00.00").expect("Z00.00 exists");
        assert!(z0000.billable);
        assert!(z0000
            .display
            .starts_with("Encounter for general adult medical examination"));

        let abrasion = lookup("S00.01XA").expect("7th-character codes are included");
        assert!(abrasion.billable);
        assert!(abrasion.display.ends_with("initial encounter"));
        assert!(!lookup("S00.01").expect("S00.01 exists").billable);
    }

    #[test]
    fn lookup_tolerates_case_spaces_and_missing_dot() {
        assert_eq!(lookup("e119").map(|c| c.code), Some("E11.9"));
        assert_eq!(lookup("  E11.9 ").map(|c| c.code), Some("E11.9"));
        assert_eq!(lookup("z0000").map(|c| c.code), Some("Z00.00"));
        assert_eq!(lookup("i10").map(|c| c.code), Some("I10"));
    }

    #[test]
    fn made_up_and_malformed_codes_are_absent() {
        assert_eq!(lookup("E11.99999"), None);
        assert_eq!(lookup("E99.9"), None);
        assert_eq!(lookup("Z99.999"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("diabetes"), None);
    }

    #[test]
    fn normalize_formats_without_checking_existence() {
        assert_eq!(normalize("e119").as_deref(), Some("E11.9"));
        assert_eq!(normalize(" E11.9 ").as_deref(), Some("E11.9"));
        assert_eq!(normalize("e11").as_deref(), Some("E11"));
        assert_eq!(normalize("s0001xa").as_deref(), Some("S00.01XA"));
        assert_eq!(normalize("X99.9999").as_deref(), Some("X99.9999"));
        assert_eq!(normalize("E1"), None);
        assert_eq!(normalize("E1.19"), None);
        assert_eq!(normalize("E11..9"), None);
        assert_eq!(normalize("E11.99999"), None);
        assert_eq!(normalize("111.9"), None);
        assert_eq!(normalize("E11 9"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn search_by_words_finds_type_2_diabetes() {
        let hits = search("type 2 diabetes", 20);
        assert_eq!(hits.len(), 20);
        assert_eq!(hits[0].code, "E11");
        assert!(hits.iter().all(|c| c.code.starts_with("E11")));
        // Looser matches still come, after the family typed.
        let all = search("type 2 diabetes", 1_000);
        assert!(all.iter().any(|c| c.code == "E10.A2"));
        assert!(all.iter().any(|c| c.code.starts_with("O24.1")));
        assert!(search("Type 2 DIABETES without compl", 50)
            .iter()
            .any(|c| c.code == "E11.9"));
    }

    #[test]
    fn search_by_code_prefix() {
        let hits = search("e11.6", 100);
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|c| c.code.starts_with("E11.6")));
        assert_eq!(search("E119", 5)[0].code, "E11.9");
        assert_eq!(search("E11", 3).len(), 3);
    }

    #[test]
    fn search_edge_cases() {
        assert!(search("", 10).is_empty());
        assert!(search("   ", 10).is_empty());
        assert!(search("diabetes", 0).is_empty());
        assert!(search("zzzxqqq", 10).is_empty());
        // A word inside another word does not match: "abetes" is not a word start.
        assert!(search("abetes mellitus", 10).is_empty());
    }

    #[test]
    fn table_is_sorted_and_sized_like_a_full_release() {
        let n = count();
        assert!(n > 90_000, "only {n} codes");
        assert!(table().windows(2).all(|w| w[0].code < w[1].code));
    }
}
