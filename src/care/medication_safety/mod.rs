//! Medication safety checks: drug-drug interactions and drug-allergy alerts.
//!
//! When a medication is added or its dose changes, or an allergy is added,
//! [`check`] compares it with the patient's active medications and allergies
//! and returns the alerts, each saying why: the rule, the data it used and
//! its citation, as ONC 170.315(b)(11) asks of decision support. Anything that
//! could not be matched to a known ingredient is returned in
//! [`Check::unchecked`] with a message, never silently skipped.
//!
//! ```
//! use chartkeep::care::medication_safety::{check, Candidate, MedicationInput, Severity};
//! let warfarin = MedicationInput { id: None, name: "Warfarin Sodium 5 MG Oral Tablet".into(), rxnorm: None };
//! let ibuprofen = MedicationInput { id: None, name: "Ibuprofen 400 MG Oral Tablet".into(), rxnorm: None };
//! let result = check(Candidate::Medication(ibuprofen), &[warfarin], &[]);
//! assert_eq!(result.alerts[0].severity, Severity::Interruptive);
//! ```
//!
//! The knowledge is data in `assets/` (validated by `build.rs`, described in
//! `assets/README.md`): [`ingredients`] matches names and codes, [`interactions`]
//! holds the interaction pairs, [`allergies`] the allergy classes and their
//! cross-reactivity. Everything here is a pure function of its arguments.

pub mod allergies;
pub mod citations;
pub mod ingredients;
pub mod interactions;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use citations::Citation;
use ingredients::{Found, MatchedBy, Resolved, Route};

/// A medication as the chart holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct MedicationInput {
    /// The chart row's id, so alerts can point back at it; a candidate with
    /// the same id as an active medication is that medication changing.
    pub id: Option<String>,
    /// The name as entered or coded ("Amoxicillin 500 MG Oral Capsule").
    pub name: String,
    /// RxNorm code when the medication has one (any term type).
    pub rxnorm: Option<String>,
}

/// An allergy as the chart holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct AllergyInput {
    pub id: Option<String>,
    /// The substance as recorded ("Penicillin", "sulfa drugs").
    pub substance: String,
    /// An RxNorm ingredient code when the allergy is coded that way.
    pub code: Option<String>,
}

/// What is being added or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Candidate {
    /// A medication being added, or an active one whose dose changes.
    Medication(MedicationInput),
    /// An allergy being added.
    Allergy(AllergyInput),
}

/// What kind of problem an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Two medications interact.
    Interaction,
    /// A medication holds an ingredient the patient is allergic to, or one of
    /// the same cross-reacting class.
    Allergy,
    /// A medication belongs to a class that cross-reacts with the allergy's class.
    CrossReactivity,
}

/// Whether the alert should stop the clinician.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Interrupts: the clinician must see and answer it.
    Interruptive,
    /// Shown beside the order without interrupting.
    Informational,
}

/// Which of the inputs an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The medication or allergy being added or changed.
    Candidate,
    ActiveMedication,
    Allergy,
}

/// How an ingredient of an item was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Its RxNorm code is the ingredient's RxCUI.
    Rxcui,
    /// Its name or a synonym (brand) is in the item's text.
    Name,
    /// The allergy names a drug class, not an ingredient.
    Class,
}

/// One side of an alert: the chart item and what in it triggered the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Involved {
    pub role: Role,
    pub id: Option<String>,
    /// The medication name or allergy substance as given.
    pub text: String,
    /// The ingredient (or, for an allergy recorded as a class, the class name).
    pub matched: String,
    /// The ingredient's RxCUI when the table has a verified one.
    pub rxcui: Option<String>,
    pub matched_by: Match,
}

/// One alert, with everything needed to say why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: Severity,
    /// Stable rule id, e.g. `interaction.high_priority.onc-hp-25`,
    /// `allergy.class.penicillins`, `cross_reactivity.penicillins.cephalosporins`.
    pub rule: String,
    /// The candidate's side.
    pub subject: Involved,
    /// The active medication or allergy it meets.
    pub other: Involved,
    /// Why, in plain words.
    pub why: String,
    /// The data the rule used: table rows and how each item was matched.
    pub data: Vec<String>,
    pub citations: Vec<Citation>,
}

impl Alert {
    /// A key that stays the same for the same rule, pair of items and
    /// ingredients, whichever of the two was added first, so the app can keep
    /// from showing an alert again until something relevant changes (another
    /// item, another ingredient, another rule or severity).
    pub fn alert_key(&self) -> String {
        let end = |i: &Involved| {
            let item = match &i.id {
                Some(id) => format!("id:{id}"),
                None => format!("text:{}", ingredients::normalize(&i.text)),
            };
            format!("{item}#{}", i.matched)
        };
        let (mut a, mut b) = (end(&self.subject), end(&self.other));
        if self.kind == AlertKind::Interaction && b < a {
            std::mem::swap(&mut a, &mut b);
        }
        let severity = match self.severity {
            Severity::Interruptive => "interruptive",
            Severity::Informational => "informational",
        };
        format!("{}|{severity}|{a}|{b}", self.rule)
    }
}

/// An item that could not be checked, and what that means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Unchecked {
    pub role: Role,
    pub id: Option<String>,
    pub text: String,
    /// E.g. `could not check interactions for "Grandma's tea"`.
    pub message: String,
}

/// The result of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Check {
    /// Interruptive alerts first, then informational, each in input order.
    pub alerts: Vec<Alert>,
    pub unchecked: Vec<Unchecked>,
}

/// A medication with its resolved ingredients.
struct Med<'a> {
    input: &'a MedicationInput,
    role: Role,
    resolved: Resolved,
}

/// An allergy with what it names.
struct Allergy<'a> {
    input: &'a AllergyInput,
    resolved: allergies::ResolvedAllergy,
}

/// Checks a medication or allergy being added or changed against the
/// patient's active medications and allergies.
///
/// A candidate medication is checked for interactions with every active
/// medication (except the one with its own id: a dose change is not an
/// interaction with itself) and against every allergy; a candidate allergy is
/// checked against every active medication.
pub fn check(
    candidate: Candidate,
    active_meds: &[MedicationInput],
    allergies: &[AllergyInput],
) -> Check {
    let mut out = Check::default();
    match &candidate {
        Candidate::Medication(med) => {
            let subject = resolve_med(med, Role::Candidate);
            if subject.resolved.found.is_empty() {
                out.unchecked.push(unchecked(
                    Role::Candidate,
                    &med.id,
                    &med.name,
                    format!(
                        "could not check interactions or allergies for {:?}: no known ingredient in its name or code",
                        med.name
                    ),
                ));
            }
            for other in active_meds {
                if other.id.is_some() && other.id == med.id {
                    continue;
                }
                let other = resolve_med(other, Role::ActiveMedication);
                if other.resolved.found.is_empty() {
                    out.unchecked.push(unchecked(
                        Role::ActiveMedication,
                        &other.input.id,
                        &other.input.name,
                        format!("could not check interactions for {:?}", other.input.name),
                    ));
                    continue;
                }
                interaction_alerts(&subject, &other, &mut out.alerts);
            }
            for allergy in allergies {
                let allergy = resolve_allergy(allergy);
                if allergy.resolved.is_empty() {
                    out.unchecked.push(unchecked(
                        Role::Allergy,
                        &allergy.input.id,
                        &allergy.input.substance,
                        format!(
                            "could not check allergy {:?} against {:?}: it names no known drug ingredient or class",
                            allergy.input.substance, med.name
                        ),
                    ));
                    continue;
                }
                allergy_alerts(&subject, &allergy, true, &mut out.alerts);
            }
        }
        Candidate::Allergy(allergy) => {
            let allergy = resolve_allergy(allergy);
            if allergy.resolved.is_empty() {
                out.unchecked.push(unchecked(
                    Role::Candidate,
                    &allergy.input.id,
                    &allergy.input.substance,
                    format!(
                        "could not check allergy {:?} against medications: it names no known drug ingredient or class",
                        allergy.input.substance
                    ),
                ));
            } else {
                for med in active_meds {
                    let med = resolve_med(med, Role::ActiveMedication);
                    if med.resolved.found.is_empty() {
                        out.unchecked.push(unchecked(
                            Role::ActiveMedication,
                            &med.input.id,
                            &med.input.name,
                            format!(
                                "could not check {:?} against the allergy {:?}",
                                med.input.name, allergy.input.substance
                            ),
                        ));
                        continue;
                    }
                    allergy_alerts(&med, &allergy, false, &mut out.alerts);
                }
            }
        }
    }
    // Stable: within a severity the alerts keep the order of the inputs.
    out.alerts.sort_by_key(|a| a.severity);
    out
}

fn resolve_med(input: &MedicationInput, role: Role) -> Med<'_> {
    Med {
        input,
        role,
        resolved: ingredients::resolve(&input.name, input.rxnorm.as_deref()),
    }
}

fn resolve_allergy(input: &AllergyInput) -> Allergy<'_> {
    Allergy {
        input,
        resolved: allergies::resolve(&input.substance, input.code.as_deref()),
    }
}

fn unchecked(role: Role, id: &Option<String>, text: &str, message: String) -> Unchecked {
    Unchecked {
        role,
        id: id.clone(),
        text: text.to_string(),
        message,
    }
}

fn involved_med(med: &Med, found: Found) -> Involved {
    let ingredient = ingredients::get(found.ingredient);
    Involved {
        role: med.role,
        id: med.input.id.clone(),
        text: med.input.name.clone(),
        matched: ingredient.name.to_string(),
        rxcui: ingredient.rxcui.map(str::to_string),
        matched_by: match found.matched_by {
            MatchedBy::Rxcui => Match::Rxcui,
            MatchedBy::Name => Match::Name,
        },
    }
}

fn involved_allergy(allergy: &Allergy, role: Role, matched: Matched) -> Involved {
    let (name, rxcui, matched_by) = match matched {
        Matched::Ingredient(found) => {
            let ingredient = ingredients::get(found.ingredient);
            let by = match found.matched_by {
                MatchedBy::Rxcui => Match::Rxcui,
                MatchedBy::Name => Match::Name,
            };
            (ingredient.name, ingredient.rxcui, by)
        }
        Matched::Class(class) => (allergies::class(class).name, None, Match::Class),
    };
    Involved {
        role,
        id: allergy.input.id.clone(),
        text: allergy.input.substance.clone(),
        matched: name.to_string(),
        rxcui: rxcui.map(str::to_string),
        matched_by,
    }
}

/// How a side was matched, for the alert's data lines.
fn how(i: &Involved) -> String {
    let by = match i.matched_by {
        Match::Rxcui => format!("by RxCUI {}", i.rxcui.as_deref().unwrap_or("?")),
        Match::Name => "by name".to_string(),
        Match::Class => "as a drug class".to_string(),
    };
    format!("{:?} matched {} {by}", i.text, i.matched)
}

fn interaction_alerts(subject: &Med, other: &Med, alerts: &mut Vec<Alert>) {
    for s in &subject.resolved.found {
        for o in &other.resolved.found {
            for (rule, subject_first) in interactions::between(
                s.ingredient,
                subject.resolved.route,
                o.ingredient,
                other.resolved.route,
            ) {
                alerts.push(interaction_alert(
                    subject,
                    *s,
                    other,
                    *o,
                    rule,
                    subject_first,
                ));
            }
        }
    }
}

fn interaction_alert(
    subject: &Med,
    s: Found,
    other: &Med,
    o: Found,
    rule: &interactions::Rule,
    subject_first: bool,
) -> Alert {
    let (s_class, o_class) = if subject_first {
        (rule.drug1_class, rule.drug2_class)
    } else {
        (rule.drug2_class, rule.drug1_class)
    };
    let (a, b) = (involved_med(subject, s), involved_med(other, o));
    let with_class = |name: &str, class: &str| {
        if class.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({class})")
        }
    };
    let list = match rule.list {
        "high_priority" => "the ONC high-priority interaction list (interruptive)",
        "non_interruptive" => "the ONC list of interactions to show without interrupting",
        _ => "the HL7 PDDI CDS implementation guide's exemplar rules",
    };
    let group = if rule.group.is_empty() {
        String::new()
    } else {
        format!(", group {}", rule.group)
    };
    let mut why = format!(
        "{} with {} is on {list}{group}.",
        with_class(&a.matched, s_class),
        with_class(&b.matched, o_class)
    );
    if subject.resolved.route == Route::Topical && rule.list == "hl7_pddi" {
        why.push_str(" The new medication is topical, which the rule treats as lower risk.");
    }
    if !rule.consequence.is_empty() {
        why.push(' ');
        why.push_str(rule.consequence);
        why.push('.');
    }
    Alert {
        kind: AlertKind::Interaction,
        severity: rule.severity,
        rule: format!("interaction.{}.{}", rule.list, rule.group),
        data: vec![
            format!(
                "assets/interactions.tsv line {}: {} + {} ({}, from {})",
                rule.line,
                ingredients::get(rule.drug1).name,
                ingredients::get(rule.drug2).name,
                rule.list,
                rule.source
            ),
            how(&a),
            how(&b),
        ],
        citations: citations::list(rule.citation),
        subject: a,
        other: b,
        why,
    }
}

/// What of an allergy matched.
#[derive(Clone, Copy)]
enum Matched {
    Ingredient(Found),
    Class(allergies::ClassId),
}

/// Allergy and cross-reactivity alerts for one medication and one allergy.
/// `med_is_subject` tells which of the two is the candidate. Each ingredient
/// of the medication gets at most one alert: the same ingredient, else the
/// same class, else the most severe cross-reactivity rule.
fn allergy_alerts(med: &Med, allergy: &Allergy, med_is_subject: bool, alerts: &mut Vec<Alert>) {
    let allergy_role = if med_is_subject {
        Role::Allergy
    } else {
        Role::Candidate
    };
    for found in &med.resolved.found {
        let ingredient = ingredients::get(found.ingredient);
        let med_side = involved_med(med, *found);
        let pair = |allergy_side: Involved| {
            if med_is_subject {
                (med_side.clone(), allergy_side)
            } else {
                (allergy_side, med_side.clone())
            }
        };
        if let Some(same) = allergy
            .resolved
            .ingredients
            .iter()
            .find(|f| f.ingredient == found.ingredient)
        {
            let (subject, other) = pair(involved_allergy(
                allergy,
                allergy_role,
                Matched::Ingredient(*same),
            ));
            let data = vec![how(&subject), how(&other)];
            alerts.push(Alert {
                kind: AlertKind::Allergy,
                severity: Severity::Interruptive,
                rule: "allergy.ingredient".to_string(),
                why: format!(
                    "{:?} contains {}, and the patient is allergic to {} (recorded as {:?}).",
                    med.input.name, ingredient.name, ingredient.name, allergy.input.substance
                ),
                data,
                citations: Vec::new(),
                subject,
                other,
            });
            continue;
        }
        if let Some(class_id) = allergy
            .resolved
            .risk_classes()
            .find(|&c| allergies::class(c).members.contains(&found.ingredient))
        {
            let class = allergies::class(class_id);
            let matched = allergy_match_for(allergy, class_id);
            let (subject, other) = pair(involved_allergy(allergy, allergy_role, matched));
            let data = vec![
                format!(
                    "assets/allergy_classes.tsv class {}: {} is a member",
                    class.id, ingredient.name
                ),
                how(&subject),
                how(&other),
            ];
            alerts.push(Alert {
                kind: AlertKind::Allergy,
                severity: Severity::Interruptive,
                rule: format!("allergy.class.{}", class.id),
                why: format!(
                    "{:?} contains {}, one of the {}, and the patient's allergy {:?} is to that class. {}",
                    med.input.name, ingredient.name, class.name, allergy.input.substance, class.statement
                ),
                data,
                citations: citations::list(class.sources),
                subject,
                other,
            });
            continue;
        }
        let mut best: Option<&allergies::CrossRule> = None;
        let rule_classes: Vec<allergies::ClassId> = allergy.resolved.rule_classes().collect();
        for rule in allergies::cross_rules() {
            if rule_classes.contains(&rule.from)
                && allergies::class(rule.to)
                    .members
                    .contains(&found.ingredient)
                && best.is_none_or(|b| rule.severity < b.severity)
            {
                best = Some(rule);
            }
        }
        if let Some(rule) = best {
            let (from, to) = (allergies::class(rule.from), allergies::class(rule.to));
            let matched = allergy_match_for(allergy, rule.from);
            let (subject, other) = pair(involved_allergy(allergy, allergy_role, matched));
            let data = vec![
                format!(
                    "assets/cross_reactivity.tsv rule {} -> {}: risk {}",
                    from.id, to.id, rule.risk
                ),
                format!(
                    "assets/allergy_classes.tsv class {}: {} is a member",
                    to.id, ingredient.name
                ),
                how(&subject),
                how(&other),
            ];
            alerts.push(Alert {
                kind: AlertKind::CrossReactivity,
                severity: rule.severity,
                rule: format!("cross_reactivity.{}.{}", from.id, to.id),
                why: format!(
                    "{:?} contains {} ({}); the patient's allergy {:?} is to {}. Cross-reactivity risk: {}. {}",
                    med.input.name,
                    ingredient.name,
                    to.name,
                    allergy.input.substance,
                    from.name,
                    rule.risk,
                    rule.statement
                ),
                data,
                citations: citations::list(rule.sources),
                subject,
                other,
            });
        }
    }
}

/// The allergy's ingredient that put `class` at risk, or the class itself
/// when the allergy names it.
fn allergy_match_for(allergy: &Allergy, class: allergies::ClassId) -> Matched {
    if allergy.resolved.named_classes.contains(&class) {
        return Matched::Class(class);
    }
    let members = &allergies::class(class).members;
    allergy
        .resolved
        .ingredients
        .iter()
        .find(|f| members.contains(&f.ingredient))
        .map_or(Matched::Class(class), |f| Matched::Ingredient(*f))
}

#[cfg(test)]
mod tests;
