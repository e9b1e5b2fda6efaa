//! Allergy classes (`assets/allergy_classes.tsv`) and the cross-reactivity
//! rules between them (`assets/cross_reactivity.tsv`), and how a recorded
//! allergy is matched to ingredients and classes.
//!
//! A class of kind `class` is a set of drugs that cross-react with each other:
//! an allergy to one member is an allergy risk for every member. A `group` is
//! an umbrella word a clinician may write ("opioids", "beta-lactams") or the
//! target of a cross-reactivity rule (the cephalosporins with an
//! aminopenicillin side chain); an allergy to one member does not make the
//! whole group a risk, which keeps, say, morphine allergy from flagging
//! fentanyl as if they were the same drug.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::ingredients::{self, Found, IngredientId, MatchedBy};
use super::Severity;

static CLASSES_TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/allergy_classes.tsv"));
static CROSS_TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/cross_reactivity.tsv"));

/// Index of a class in [`classes`].
pub type ClassId = u16;

/// One allergy class.
#[derive(Debug, Clone)]
pub struct Class {
    pub id: &'static str,
    /// `true` for kind `class` (members cross-react), `false` for a `group`.
    pub cross_reacting: bool,
    pub name: &'static str,
    pub terms: Vec<&'static str>,
    pub members: Vec<IngredientId>,
    /// What an allergy to a member means for the other members.
    pub statement: &'static str,
    /// `; `-separated citation keys.
    pub sources: &'static str,
}

/// One cross-reactivity rule: an allergy in `from` is a risk of `severity`
/// for the members of `to`.
#[derive(Debug, Clone)]
pub struct CrossRule {
    pub from: ClassId,
    pub to: ClassId,
    pub severity: Severity,
    /// The size of the risk in words, e.g. `low (about 1-2%)`.
    pub risk: &'static str,
    pub statement: &'static str,
    pub sources: &'static str,
}

struct Tables {
    classes: Vec<Class>,
    rules: Vec<CrossRule>,
    /// Normalized ingredient phrases and class terms to what they name.
    by_phrase: HashMap<String, Vec<Named>>,
}

/// What a phrase in an allergy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Ingredient(IngredientId),
    Class(ClassId),
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let classes: Vec<Class> = CLASSES_TSV.lines().map(parse_class).collect();
        let class_id = |id: &str| -> ClassId {
            let index = classes
                .iter()
                .position(|c| c.id == id)
                .expect("validated by build.rs");
            ClassId::try_from(index).expect("fewer than 65536 classes")
        };
        let rules = CROSS_TSV
            .lines()
            .map(|line| {
                let f: Vec<&'static str> = line.split('\t').collect();
                CrossRule {
                    from: class_id(f[0]),
                    to: class_id(f[1]),
                    severity: if f[2] == "interruptive" {
                        Severity::Interruptive
                    } else {
                        Severity::Informational
                    },
                    risk: f[3],
                    statement: f[4],
                    sources: f[5],
                }
            })
            .collect();
        let mut by_phrase: HashMap<String, Vec<Named>> = HashMap::new();
        for (index, row) in ingredients::all().iter().enumerate() {
            let id = IngredientId::try_from(index).expect("fewer than 65536 ingredients");
            for phrase in std::iter::once(row.name).chain(row.synonyms.iter().copied()) {
                push_unique(&mut by_phrase, phrase, Named::Ingredient(id));
            }
        }
        for (index, class) in classes.iter().enumerate() {
            let id = ClassId::try_from(index).expect("fewer than 65536 classes");
            for term in &class.terms {
                push_unique(&mut by_phrase, term, Named::Class(id));
            }
        }
        Tables {
            classes,
            rules,
            by_phrase,
        }
    })
}

fn push_unique(map: &mut HashMap<String, Vec<Named>>, phrase: &str, named: Named) {
    let entry = map.entry(ingredients::normalize(phrase)).or_default();
    if !entry.contains(&named) {
        entry.push(named);
    }
}

fn parse_class(line: &'static str) -> Class {
    let f: Vec<&'static str> = line.split('\t').collect();
    let list = |s: &'static str| -> Vec<&'static str> {
        s.split("; ").filter(|item| !item.is_empty()).collect()
    };
    Class {
        id: f[0],
        cross_reacting: f[1] == "class",
        name: f[2],
        terms: list(f[3]),
        members: list(f[4])
            .into_iter()
            .map(|m| ingredients::by_name(m).expect("validated by build.rs"))
            .collect(),
        statement: f[5],
        sources: f[6],
    }
}

/// Every class, in the table's order.
pub fn classes() -> &'static [Class] {
    &tables().classes
}

/// The class of an id from this module.
pub fn class(id: ClassId) -> &'static Class {
    &tables().classes[usize::from(id)]
}

/// Every cross-reactivity rule, in the table's order.
pub fn cross_rules() -> &'static [CrossRule] {
    &tables().rules
}

/// What a recorded allergy names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedAllergy {
    /// Ingredients named by the code or the text (a brand names each of its ingredients).
    pub ingredients: Vec<Found>,
    /// Classes named by the text itself ("penicillins", "sulfa").
    pub named_classes: Vec<ClassId>,
}

impl ResolvedAllergy {
    pub fn is_empty(&self) -> bool {
        self.ingredients.is_empty() && self.named_classes.is_empty()
    }

    /// The classes an allergy puts at risk as a whole: those it names, and
    /// the cross-reacting classes of its ingredients.
    pub fn risk_classes(&self) -> impl Iterator<Item = ClassId> + '_ {
        let member_classes = classes().iter().enumerate().filter_map(move |(i, c)| {
            (c.cross_reacting && self.has_member(c)).then_some(i as ClassId)
        });
        self.named_classes.iter().copied().chain(member_classes)
    }

    /// The classes whose cross-reactivity rules apply: those it names and
    /// every class or group holding one of its ingredients.
    pub fn rule_classes(&self) -> impl Iterator<Item = ClassId> + '_ {
        let member_classes = classes()
            .iter()
            .enumerate()
            .filter_map(move |(i, c)| self.has_member(c).then_some(i as ClassId));
        self.named_classes.iter().copied().chain(member_classes)
    }

    fn has_member(&self, class: &Class) -> bool {
        self.ingredients
            .iter()
            .any(|f| class.members.contains(&f.ingredient))
    }
}

/// The ingredients and classes a recorded allergy names, from its RxNorm
/// code (an ingredient RxCUI) and its text. The longest phrase wins, so
/// "penicillin V" is the ingredient while "penicillin" alone is the class.
pub fn resolve(substance: &str, code: Option<&str>) -> ResolvedAllergy {
    let mut resolved = ResolvedAllergy::default();
    if let Some(id) = code.and_then(ingredients::by_rxcui) {
        resolved.ingredients.push(Found {
            ingredient: id,
            matched_by: MatchedBy::Rxcui,
        });
    }
    ingredients::scan(substance, &tables().by_phrase, |named| {
        for item in named {
            match *item {
                Named::Ingredient(id) => {
                    if !resolved.ingredients.iter().any(|f| f.ingredient == id) {
                        resolved.ingredients.push(Found {
                            ingredient: id,
                            matched_by: MatchedBy::Name,
                        });
                    }
                }
                Named::Class(id) => {
                    if !resolved.named_classes.contains(&id) {
                        resolved.named_classes.push(id);
                    }
                }
            }
        }
    });
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_ids(resolved: &ResolvedAllergy) -> Vec<&'static str> {
        resolved.risk_classes().map(|c| class(c).id).collect()
    }

    #[test]
    fn every_class_term_resolves_to_its_class_and_every_member_is_known() {
        for (index, c) in classes().iter().enumerate() {
            assert!(!c.members.is_empty(), "{}", c.id);
            for term in &c.terms {
                let resolved = resolve(term, None);
                assert!(
                    resolved.named_classes.contains(&(index as ClassId)),
                    "term {term:?} does not name {}",
                    c.id
                );
            }
        }
        for rule in cross_rules() {
            assert_ne!(rule.from, rule.to);
        }
    }

    #[test]
    fn penicillin_alone_is_the_class_and_penicillin_v_the_drug() {
        let class_only = resolve("Penicillin", None);
        assert!(class_only.ingredients.is_empty());
        assert_eq!(class_ids(&class_only), ["penicillins"]);
        let drug = resolve("penicillin V potassium", None);
        assert_eq!(
            ingredients::get(drug.ingredients[0].ingredient).name,
            "penicillin v"
        );
        assert_eq!(class_ids(&drug), ["penicillins"]);
    }

    #[test]
    fn an_aminopenicillin_is_in_both_of_its_classes() {
        let amoxicillin = resolve("amoxicillin", None);
        assert_eq!(class_ids(&amoxicillin), ["penicillins", "aminopenicillins"]);
        let rule_classes: Vec<_> = amoxicillin.rule_classes().map(|c| class(c).id).collect();
        assert!(rule_classes.contains(&"beta_lactams"));
    }

    #[test]
    fn a_member_of_a_group_does_not_put_the_group_at_risk() {
        let morphine = resolve("morphine", None);
        assert_eq!(class_ids(&morphine), ["opioids_phenanthrene"]);
    }

    #[test]
    fn sulfa_is_the_sulfonamide_antibiotics() {
        assert_eq!(
            class_ids(&resolve("Sulfa drugs", None)),
            ["sulfonamide_antibiotics"]
        );
    }

    #[test]
    fn food_and_environment_allergies_name_nothing() {
        assert!(resolve("Shellfish", None).is_empty());
        assert!(resolve("Allergy to grass pollen", None).is_empty());
    }
}
