//! Drug-drug interaction rules (`assets/interactions.tsv`): the ONC
//! high-priority list (interruptive), the ONC non-interruptive list (shown,
//! not interrupting) and the two HL7 PDDI CDS exemplar rules, each at
//! ingredient level, indexed by the pair of ingredients.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::ingredients::{self, IngredientId, Route};
use super::Severity;

/// The rows of `assets/interactions.tsv` without the header, validated by `build.rs`.
static TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/interactions.tsv"));

/// Which side of a rule a route qualifier applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRule {
    Any,
    Systemic,
    Topical,
}

impl RouteRule {
    fn parse(text: &str) -> Self {
        match text {
            "systemic" => RouteRule::Systemic,
            "topical" => RouteRule::Topical,
            _ => RouteRule::Any,
        }
    }

    pub(crate) fn admits(self, route: Route) -> bool {
        match self {
            RouteRule::Any => true,
            RouteRule::Systemic => route == Route::Systemic,
            RouteRule::Topical => route == Route::Topical,
        }
    }
}

/// One interaction row.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `high_priority`, `non_interruptive` or `hl7_pddi`.
    pub list: &'static str,
    /// The source's group, e.g. `onc-hp-25`; may be empty.
    pub group: &'static str,
    pub drug1: IngredientId,
    pub drug1_class: &'static str,
    pub drug1_route: RouteRule,
    pub drug2: IngredientId,
    pub drug2_class: &'static str,
    pub drug2_route: RouteRule,
    pub severity: Severity,
    /// Which source file the pair came from (`onc-mapped-csv`, `onc-class-table`, `hl7-pddi-cql`).
    pub source: &'static str,
    /// `; `-separated citation keys.
    pub citation: &'static str,
    /// Short clinical consequence where the source gives one; may be empty.
    pub consequence: &'static str,
    /// 1-based line in `assets/interactions.tsv`, quoted in the alert's data.
    pub line: usize,
}

struct Table {
    rules: Vec<Rule>,
    /// (smaller id, larger id) to the indexes of the rules about that pair.
    by_pair: HashMap<(IngredientId, IngredientId), Vec<u32>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rules: Vec<Rule> = TSV
            .lines()
            .enumerate()
            .map(|(i, line)| parse_row(i + 2, line))
            .collect();
        let mut by_pair: HashMap<(IngredientId, IngredientId), Vec<u32>> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than 2^32 rules");
            by_pair
                .entry(pair(rule.drug1, rule.drug2))
                .or_default()
                .push(index);
        }
        Table { rules, by_pair }
    })
}

fn pair(a: IngredientId, b: IngredientId) -> (IngredientId, IngredientId) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn parse_row(line_number: usize, line: &'static str) -> Rule {
    let f: Vec<&'static str> = line.split('\t').collect();
    // build.rs checked that both drugs name ingredient rows.
    let ingredient = |name: &str| ingredients::by_name(name).expect("validated by build.rs");
    Rule {
        list: f[0],
        group: f[1],
        drug1: ingredient(f[2]),
        drug1_class: f[3],
        drug1_route: RouteRule::parse(f[4]),
        drug2: ingredient(f[5]),
        drug2_class: f[6],
        drug2_route: RouteRule::parse(f[7]),
        severity: if f[8] == "interruptive" {
            Severity::Interruptive
        } else {
            Severity::Informational
        },
        source: f[9],
        citation: f[10],
        consequence: f[11],
        line: line_number,
    }
}

/// Every rule, in the table's order.
pub fn all() -> &'static [Rule] {
    &table().rules
}

/// The rules about ingredients `a` and `b` (in either order) that admit the
/// two routes, each with `a`'s side first: `(rule, a is the rule's drug1)`.
pub fn between(
    a: IngredientId,
    a_route: Route,
    b: IngredientId,
    b_route: Route,
) -> impl Iterator<Item = (&'static Rule, bool)> {
    let table = table();
    table
        .by_pair
        .get(&pair(a, b))
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|&i| &table.rules[i as usize])
        .filter_map(move |rule| {
            let a_first = rule.drug1 == a;
            let (ra, rb) = if a_first {
                (rule.drug1_route, rule.drug2_route)
            } else {
                (rule.drug2_route, rule.drug1_route)
            };
            (ra.admits(a_route) && rb.admits(b_route)).then_some((rule, a_first))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_resolves_and_is_found_by_its_pair() {
        assert!(all().len() > 2000);
        for rule in all() {
            let (r1, r2) = (route_for(rule.drug1_route), route_for(rule.drug2_route));
            let found: Vec<_> = between(rule.drug2, r2, rule.drug1, r1).collect();
            assert!(
                found.iter().any(|(r, first)| r.line == rule.line && !first),
                "line {} ({} + {}) not found by its pair",
                rule.line,
                ingredients::get(rule.drug1).name,
                ingredients::get(rule.drug2).name
            );
            let expected = match rule.list {
                "high_priority" => Severity::Interruptive,
                "non_interruptive" => Severity::Informational,
                _ => rule.severity,
            };
            assert_eq!(rule.severity, expected, "line {}", rule.line);
        }
    }

    fn route_for(rule: RouteRule) -> Route {
        match rule {
            RouteRule::Topical => Route::Topical,
            _ => Route::Systemic,
        }
    }

    #[test]
    fn topical_diclofenac_with_warfarin_is_informational_and_systemic_interrupts() {
        let warfarin = ingredients::by_name("warfarin").unwrap();
        let diclofenac = ingredients::by_name("diclofenac").unwrap();
        let topical: Vec<_> = between(warfarin, Route::Systemic, diclofenac, Route::Topical)
            .map(|(r, _)| r.severity)
            .collect();
        assert_eq!(topical, [Severity::Informational]);
        let systemic: Vec<_> = between(warfarin, Route::Systemic, diclofenac, Route::Systemic)
            .map(|(r, _)| r.severity)
            .collect();
        assert_eq!(systemic, [Severity::Interruptive]);
    }
}
