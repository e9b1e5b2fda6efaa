//! The ingredients Chartkeep knows (`assets/rxnorm_ingredients.tsv`) and how a
//! medication or an allergy, as the chart records it, is matched to them.
//!
//! A medication is matched by its RxNorm code when that code is an ingredient
//! code in the table, and always by its name as well: a clinical-drug code
//! (`Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet`) is not in the
//! table, and a name can carry more ingredients than a code says. Names are
//! matched word by word against every ingredient name and synonym (brand
//! names included), longest phrase first, so strengths (`500 MG`), salts
//! (`hydrochloride`), dose forms and punctuation simply match nothing, and a
//! combination product yields each of its ingredients.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The rows of `assets/rxnorm_ingredients.tsv` without the header, validated by `build.rs`.
static TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/rxnorm_ingredients.tsv"));

/// The longest name or synonym in words: phrases longer than this are never tried.
const MAX_PHRASE_WORDS: usize = 6;

/// One ingredient row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingredient {
    /// RxNorm ingredient RxCUI (TTY IN) when one was verified; `None` for a
    /// row that is matched by name only.
    pub rxcui: Option<&'static str>,
    /// RxNorm-style lower-case name, the key every other table uses.
    pub name: &'static str,
    /// DrugBank id, the key the ONC lists identify drugs by.
    pub drugbank: Option<&'static str>,
    /// Where the RxCUI was verified: `hl7-pddi` or `cpic` (assets/README.md).
    pub rxcui_source: Option<&'static str>,
    /// Other names and brands; a brand of a combination product stands in
    /// the row of each of its ingredients.
    pub synonyms: Vec<&'static str>,
}

/// Index of an ingredient in [`all`].
pub type IngredientId = u16;

/// Where a medication's text says it acts, as far as its name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Applied to the skin, eye or ear (gel, cream, patch, drops...).
    Topical,
    /// Nothing in the name says topical: treated as systemic, the safer reading.
    Systemic,
}

/// How an ingredient was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    /// The RxNorm code given is this ingredient's RxCUI.
    Rxcui,
    /// The name or a synonym appears in the text.
    Name,
}

/// One ingredient found in a medication or allergy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub ingredient: IngredientId,
    pub matched_by: MatchedBy,
}

/// What a medication's code and name resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Each ingredient once, in the order found.
    pub found: Vec<Found>,
    pub route: Route,
}

struct Table {
    rows: Vec<Ingredient>,
    by_rxcui: HashMap<&'static str, IngredientId>,
    /// Normalized phrase (words joined by one space) to the ingredients it names.
    by_phrase: HashMap<String, Vec<IngredientId>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows: Vec<Ingredient> = TSV.lines().map(parse_row).collect();
        let mut by_rxcui = HashMap::new();
        let mut by_phrase: HashMap<String, Vec<IngredientId>> = HashMap::new();
        for (index, row) in rows.iter().enumerate() {
            let id = IngredientId::try_from(index).expect("fewer than 65536 ingredients");
            if let Some(rxcui) = row.rxcui {
                by_rxcui.insert(rxcui, id);
            }
            for phrase in std::iter::once(row.name).chain(row.synonyms.iter().copied()) {
                let ids = by_phrase.entry(normalize(phrase)).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Table {
            rows,
            by_rxcui,
            by_phrase,
        }
    })
}

fn parse_row(line: &'static str) -> Ingredient {
    let mut fields = line.split('\t');
    let mut next = || fields.next().unwrap_or_default();
    let some = |s: &'static str| (!s.is_empty()).then_some(s);
    let (rxcui, name, drugbank, source, synonyms) = (next(), next(), next(), next(), next());
    Ingredient {
        rxcui: some(rxcui),
        name,
        drugbank: some(drugbank),
        rxcui_source: some(source),
        synonyms: synonyms.split("; ").filter(|s| !s.is_empty()).collect(),
    }
}

/// Every ingredient, in the table's order.
pub fn all() -> &'static [Ingredient] {
    &table().rows
}

/// The ingredient of an id from this module.
pub fn get(id: IngredientId) -> &'static Ingredient {
    &table().rows[usize::from(id)]
}

/// The ingredient whose name (not synonym) this is.
pub fn by_name(name: &str) -> Option<IngredientId> {
    let table = table();
    table
        .by_phrase
        .get(&normalize(name))?
        .iter()
        .copied()
        .find(|&id| table.rows[usize::from(id)].name == name)
}

/// The ingredient with this RxCUI, ignoring surrounding spaces.
pub fn by_rxcui(code: &str) -> Option<IngredientId> {
    table().by_rxcui.get(code.trim()).copied()
}

/// Lower case, apostrophes dropped (`St. John's` = `St Johns`), every other
/// non-alphanumeric character a word break, words joined by one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in words(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// The normalized words of a text (see [`normalize`]).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .map(|w| {
            w.chars()
                .filter(|c| *c != '\'' && *c != '\u{2019}')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
}

/// Words that make a product local rather than systemic. A patch counts as
/// topical because the one rule that tells routes apart (warfarin + topical
/// diclofenac) is about local products such as the diclofenac patch.
const TOPICAL_WORDS: [&str; 15] = [
    "topical",
    "gel",
    "cream",
    "ointment",
    "lotion",
    "ophthalmic",
    "otic",
    "foam",
    "cutaneous",
    "patch",
    "transdermal",
    "shampoo",
    "eye",
    "ear",
    "dermal",
];

/// Finds the phrases of `dictionary` in `text`, longest first, each word used
/// once. Calls `hit` with the values of each phrase found.
pub(crate) fn scan<'d, T>(
    text: &str,
    dictionary: &'d HashMap<String, Vec<T>>,
    mut hit: impl FnMut(&'d [T]),
) -> Vec<String> {
    let words: Vec<String> = words(text).collect();
    let mut key = String::new();
    let mut start = 0;
    while start < words.len() {
        let longest = MAX_PHRASE_WORDS.min(words.len() - start);
        let mut advanced = false;
        for len in (1..=longest).rev() {
            key.clear();
            for (i, word) in words[start..start + len].iter().enumerate() {
                if i > 0 {
                    key.push(' ');
                }
                key.push_str(word);
            }
            if let Some(values) = dictionary.get(&key) {
                hit(values);
                start += len;
                advanced = true;
                break;
            }
        }
        if !advanced {
            start += 1;
        }
    }
    words
}

/// The ingredients of a medication from its RxNorm code and its name.
pub fn resolve(name: &str, rxnorm: Option<&str>) -> Resolved {
    let table = table();
    let mut found: Vec<Found> = Vec::new();
    if let Some(id) = rxnorm.and_then(by_rxcui) {
        found.push(Found {
            ingredient: id,
            matched_by: MatchedBy::Rxcui,
        });
    }
    let words = scan(name, &table.by_phrase, |ids| {
        for &id in ids {
            if !found.iter().any(|f| f.ingredient == id) {
                found.push(Found {
                    ingredient: id,
                    matched_by: MatchedBy::Name,
                });
            }
        }
    });
    let topical = words.iter().any(|w| TOPICAL_WORDS.contains(&w.as_str()));
    Resolved {
        found,
        route: if topical {
            Route::Topical
        } else {
            Route::Systemic
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        resolve(text, None)
            .found
            .iter()
            .map(|f| get(f.ingredient).name)
            .collect()
    }

    #[test]
    fn every_row_resolves_by_its_name_its_synonyms_and_its_rxcui() {
        for (index, row) in all().iter().enumerate() {
            let id = IngredientId::try_from(index).unwrap();
            assert_eq!(by_name(row.name), Some(id), "{}", row.name);
            assert!(
                resolve(row.name, None)
                    .found
                    .iter()
                    .any(|f| f.ingredient == id),
                "name {:?} does not resolve to its row",
                row.name
            );
            for syn in &row.synonyms {
                assert!(
                    resolve(syn, None).found.iter().any(|f| f.ingredient == id),
                    "synonym {syn:?} does not resolve to {}",
                    row.name
                );
            }
            if let Some(rxcui) = row.rxcui {
                assert!(rxcui.bytes().all(|b| b.is_ascii_digit()));
                let resolved = resolve("", Some(rxcui));
                assert_eq!(resolved.found[0].ingredient, id, "{rxcui}");
                assert_eq!(resolved.found[0].matched_by, MatchedBy::Rxcui);
            }
        }
    }

    #[test]
    fn strengths_salts_forms_and_case_are_ignored() {
        assert_eq!(names("Simvastatin 20 MG Oral Tablet"), ["simvastatin"]);
        assert_eq!(
            names("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
            ["metformin"]
        );
        assert_eq!(names("WARFARIN SODIUM 5MG"), ["warfarin"]);
        assert_eq!(
            names("Penicillin V Potassium 250 MG Oral Tablet"),
            ["penicillin v"]
        );
        assert_eq!(names("predniSONE 5 MG Oral Tablet"), ["prednisone"]);
    }

    #[test]
    fn combination_products_yield_every_ingredient() {
        assert_eq!(
            names("Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"),
            ["amoxicillin", "clavulanate"]
        );
        assert_eq!(
            names("amoxicillin/clavulanate"),
            ["amoxicillin", "clavulanate"]
        );
        assert_eq!(names("Augmentin 875"), ["amoxicillin", "clavulanate"]);
        assert_eq!(
            names("Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG [Vicodin]"),
            ["acetaminophen", "hydrocodone"]
        );
        assert_eq!(names("Bactrim DS"), ["sulfamethoxazole", "trimethoprim"]);
    }

    #[test]
    fn brands_and_other_spellings_find_the_ingredient() {
        assert_eq!(names("Lasix 40mg"), ["furosemide"]);
        assert_eq!(names("Advil"), ["ibuprofen"]);
        assert_eq!(names("paracetamol 500 mg"), ["acetaminophen"]);
        assert_eq!(names("St John's Wort capsules"), ["st. john's wort"]);
        assert_eq!(names("st. johns wort"), ["st. john's wort"]);
    }

    #[test]
    fn the_rxcui_is_used_and_the_name_adds_to_it() {
        let resolved = resolve("Coumadin 5 mg", Some("11289"));
        assert_eq!(resolved.found.len(), 1);
        assert_eq!(resolved.found[0].matched_by, MatchedBy::Rxcui);
        // A clinical-drug code is not an ingredient code: the name decides.
        assert_eq!(
            resolve("Ibuprofen 400 MG Oral Tablet", Some("197805")).found[0].matched_by,
            MatchedBy::Name
        );
    }

    #[test]
    fn unknown_text_finds_nothing() {
        assert!(names("Grandma's tea").is_empty());
        assert!(names("").is_empty());
    }

    #[test]
    fn topical_products_are_told_apart() {
        let gel = resolve("Diclofenac Sodium 0.01 MG/MG Topical Gel [Voltaren]", None);
        assert_eq!(gel.route, Route::Topical);
        assert_eq!(
            resolve("diclofenac 50 mg tablet", None).route,
            Route::Systemic
        );
    }
}
