use super::*;

fn med(name: &str) -> MedicationInput {
    MedicationInput {
        id: None,
        name: name.to_string(),
        rxnorm: None,
    }
}

fn med_id(id: &str, name: &str) -> MedicationInput {
    MedicationInput {
        id: Some(id.to_string()),
        ..med(name)
    }
}

fn allergy(substance: &str) -> AllergyInput {
    AllergyInput {
        id: None,
        substance: substance.to_string(),
        code: None,
    }
}

fn adding(name: &str, active: &[&str], allergies: &[&str]) -> Check {
    let active: Vec<_> = active.iter().map(|n| med(n)).collect();
    let allergies: Vec<_> = allergies.iter().map(|a| allergy(a)).collect();
    check(Candidate::Medication(med(name)), &active, &allergies)
}

fn rules(check: &Check) -> Vec<(&str, Severity)> {
    check
        .alerts
        .iter()
        .map(|a| (a.rule.as_str(), a.severity))
        .collect()
}

#[test]
fn a_high_priority_pair_interrupts_and_says_why() {
    let result = adding(
        "Clarithromycin 500 mg tablet",
        &["Simvastatin 20 MG Oral Tablet"],
        &[],
    );
    assert_eq!(
        rules(&result),
        [(
            "interaction.high_priority.onc-hp-25",
            Severity::Interruptive
        )]
    );
    let alert = &result.alerts[0];
    assert_eq!(alert.kind, AlertKind::Interaction);
    assert_eq!(alert.subject.matched, "clarithromycin");
    assert_eq!(alert.other.matched, "simvastatin");
    assert!(alert.why.contains("ONC high-priority"), "{}", alert.why);
    assert!(
        alert.why.contains("HMG Co-A reductase inhibitors"),
        "{}",
        alert.why
    );
    assert!(alert.data[0].starts_with("assets/interactions.tsv line "));
    assert_eq!(alert.citations[0].key, "phansalkar2012");
    assert!(alert.citations[0].text.contains("J Am Med Inform Assoc"));
}

#[test]
fn a_non_interruptive_pair_is_informational() {
    let result = adding("Lisinopril 10 mg", &["Ibuprofen 200 MG Oral Tablet"], &[]);
    assert_eq!(
        rules(&result),
        [(
            "interaction.non_interruptive.onc-ni-33",
            Severity::Informational
        )]
    );
}

#[test]
fn unmatched_items_are_reported_never_skipped() {
    let result = adding(
        "Simvastatin 20 mg",
        &["Grandma's tea", "Clarithromycin 250 mg"],
        &["Shellfish"],
    );
    assert_eq!(result.alerts.len(), 1);
    let messages: Vec<_> = result
        .unchecked
        .iter()
        .map(|u| u.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "could not check interactions for \"Grandma's tea\"",
            "could not check allergy \"Shellfish\" against \"Simvastatin 20 mg\": it names no known drug ingredient or class",
        ]
    );
    let unknown = adding("Grandma's tea", &["Simvastatin 20 mg"], &[]);
    assert_eq!(unknown.unchecked[0].role, Role::Candidate);
    assert!(unknown.unchecked[0]
        .message
        .starts_with("could not check interactions or allergies for \"Grandma's tea\""));
}

#[test]
fn a_dose_change_does_not_interact_with_itself() {
    let active = [
        med_id("m1", "Simvastatin 20 mg"),
        med_id("m2", "Clarithromycin 250 mg"),
    ];
    let result = check(
        Candidate::Medication(med_id("m1", "Simvastatin 40 mg")),
        &active,
        &[],
    );
    assert_eq!(result.alerts.len(), 1);
    assert_eq!(result.alerts[0].other.id.as_deref(), Some("m2"));
}

#[test]
fn a_direct_ingredient_allergy_interrupts() {
    let result = adding("Amoxicillin 500 MG Oral Capsule", &[], &["Amoxicillin"]);
    assert_eq!(
        rules(&result),
        [("allergy.ingredient", Severity::Interruptive)]
    );
    assert_eq!(result.alerts[0].other.role, Role::Allergy);
}

#[test]
fn a_penicillin_allergy_flags_every_penicillin_and_gives_cephalosporins_the_lower_risk() {
    let result = adding(
        "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
        &[],
        &["Penicillin"],
    );
    assert_eq!(
        rules(&result),
        [("allergy.class.penicillins", Severity::Interruptive)]
    );
    assert_eq!(result.alerts[0].other.matched_by, Match::Class);

    let cefazolin = adding("cefazolin 1 g IV", &[], &["penicillin"]);
    assert_eq!(
        rules(&cefazolin),
        [(
            "cross_reactivity.penicillins.cephalosporins",
            Severity::Informational
        )]
    );
    let why = &cefazolin.alerts[0].why;
    assert!(why.contains("1-2%"), "{why}");
    assert!(why.contains("R1 side chain"), "{why}");
    assert_eq!(cefazolin.alerts[0].citations[0].key, "aaaai2022");
}

#[test]
fn an_aminopenicillin_allergy_makes_a_same_side_chain_cephalosporin_interruptive() {
    let cephalexin = adding("Keflex 500 mg", &[], &["amoxicillin"]);
    assert_eq!(
        rules(&cephalexin),
        [(
            "cross_reactivity.aminopenicillins.cephalosporins_aminopenicillin_r1",
            Severity::Interruptive
        )]
    );
    let ceftriaxone = adding("ceftriaxone 1 g", &[], &["amoxicillin"]);
    assert_eq!(
        rules(&ceftriaxone),
        [(
            "cross_reactivity.penicillins.cephalosporins",
            Severity::Informational
        )]
    );
    let penicillin = adding(
        "Penicillin V Potassium 500 MG Oral Tablet",
        &[],
        &["ampicillin"],
    );
    assert_eq!(
        rules(&penicillin),
        [("allergy.class.penicillins", Severity::Interruptive)]
    );
}

#[test]
fn sulfonamide_antibiotic_allergy_spares_non_antibiotic_sulfonamides() {
    let bactrim = adding("Bactrim DS", &[], &["sulfa"]);
    assert_eq!(
        rules(&bactrim),
        [(
            "allergy.class.sulfonamide_antibiotics",
            Severity::Interruptive
        )]
    );
    assert!(adding("furosemide 40 mg", &[], &["sulfa"])
        .alerts
        .is_empty());
    assert!(adding("hydrochlorothiazide 25 mg", &[], &["Sulfa drugs"])
        .alerts
        .is_empty());
}

#[test]
fn nsaid_opioid_ace_inhibitor_macrolide_fluoroquinolone_and_contrast_classes() {
    let cases = [
        (
            "naproxen 500 mg",
            "ibuprofen",
            "allergy.class.nsaids",
            Severity::Interruptive,
        ),
        (
            "celecoxib 200 mg",
            "aspirin",
            "cross_reactivity.nsaids.cox2_inhibitors",
            Severity::Informational,
        ),
        (
            "codeine 30 mg",
            "morphine",
            "allergy.class.opioids_phenanthrene",
            Severity::Interruptive,
        ),
        (
            "fentanyl patch",
            "morphine",
            "cross_reactivity.opioids_phenanthrene.opioids_phenylpiperidine",
            Severity::Informational,
        ),
        (
            "tramadol 50 mg",
            "opioids",
            "allergy.class.opioids",
            Severity::Interruptive,
        ),
        (
            "enalapril 10 mg",
            "lisinopril",
            "allergy.class.ace_inhibitors",
            Severity::Interruptive,
        ),
        (
            "losartan 50 mg",
            "lisinopril",
            "cross_reactivity.ace_inhibitors.arbs",
            Severity::Informational,
        ),
        (
            "azithromycin 250 mg",
            "erythromycin",
            "allergy.class.macrolides",
            Severity::Interruptive,
        ),
        (
            "levofloxacin 500 mg",
            "Cipro",
            "allergy.class.fluoroquinolones",
            Severity::Interruptive,
        ),
        (
            "iohexol 300 mgI/mL",
            "IV contrast",
            "allergy.class.iodinated_contrast",
            Severity::Interruptive,
        ),
        (
            "lamotrigine 25 mg",
            "carbamazepine",
            "allergy.class.aromatic_anticonvulsants",
            Severity::Interruptive,
        ),
        (
            "meropenem 1 g",
            "penicillin",
            "cross_reactivity.penicillins.carbapenems",
            Severity::Informational,
        ),
        (
            "ceftazidime 1 g",
            "aztreonam",
            "cross_reactivity.monobactams.cephalosporins_aztreonam_r1",
            Severity::Interruptive,
        ),
    ];
    for (name, substance, rule, severity) in cases {
        let result = adding(name, &[], &[substance]);
        assert_eq!(
            rules(&result),
            [(rule, severity)],
            "{name} with allergy {substance}"
        );
    }
}

#[test]
fn a_new_allergy_is_checked_against_active_medications() {
    let active = [
        med_id("m1", "Amoxicillin 500 mg"),
        med_id("m2", "Atorvastatin 80 MG Oral Tablet"),
        med_id("m3", "Grandma's tea"),
    ];
    let result = check(Candidate::Allergy(allergy("Penicillins")), &active, &[]);
    assert_eq!(
        rules(&result),
        [("allergy.class.penicillins", Severity::Interruptive)]
    );
    assert_eq!(result.alerts[0].subject.role, Role::Candidate);
    assert_eq!(result.alerts[0].other.id.as_deref(), Some("m1"));
    assert_eq!(
        result.unchecked[0].message,
        "could not check \"Grandma's tea\" against the allergy \"Penicillins\""
    );
    let unknown = check(Candidate::Allergy(allergy("Cats")), &active, &[]);
    assert!(unknown.alerts.is_empty());
    assert_eq!(unknown.unchecked.len(), 1);
}

#[test]
fn coded_items_match_by_rxcui() {
    let warfarin = MedicationInput {
        id: None,
        name: "home anticoagulant".to_string(),
        rxnorm: Some("11289".to_string()),
    };
    let result = check(
        Candidate::Medication(med("Ibuprofen 400 MG Oral Tablet")),
        &[warfarin],
        &[],
    );
    assert_eq!(result.alerts.len(), 1);
    assert_eq!(result.alerts[0].other.matched_by, Match::Rxcui);
    assert!(result.alerts[0]
        .data
        .iter()
        .any(|d| d.contains("by RxCUI 11289")));
    let coded_allergy = AllergyInput {
        id: None,
        substance: "see code".to_string(),
        code: Some("5640".to_string()),
    };
    let allergy_result = check(
        Candidate::Medication(med("Advil 200 mg")),
        &[],
        &[coded_allergy],
    );
    assert_eq!(
        rules(&allergy_result),
        [("allergy.ingredient", Severity::Interruptive)]
    );
}

#[test]
fn the_alert_key_is_stable_and_independent_of_order() {
    let a = adding("Clarithromycin 500 mg", &["Simvastatin 20 mg"], &[]);
    let b = adding("Simvastatin 20 mg", &["Clarithromycin 500 mg"], &[]);
    assert_eq!(a.alerts[0].alert_key(), b.alerts[0].alert_key());
    let again = adding("Clarithromycin 500 mg", &["Simvastatin 20 mg"], &[]);
    assert_eq!(a.alerts[0].alert_key(), again.alerts[0].alert_key());
    let other = adding("Erythromycin 500 mg", &["Simvastatin 20 mg"], &[]);
    assert_ne!(a.alerts[0].alert_key(), other.alerts[0].alert_key());
}

#[test]
fn interruptive_alerts_come_first() {
    let result = adding(
        "Ibuprofen 400 mg",
        &["Lisinopril 10 mg", "Warfarin 5 mg"],
        &[],
    );
    let severities: Vec<_> = result.alerts.iter().map(|a| a.severity).collect();
    assert_eq!(
        severities,
        [Severity::Interruptive, Severity::Informational]
    );
}

#[test]
fn the_result_serializes_in_snake_case() {
    let result = adding("Ibuprofen 400 mg", &["Warfarin 5 mg"], &[]);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["alerts"][0]["kind"], "interaction");
    assert_eq!(json["alerts"][0]["severity"], "interruptive");
    assert_eq!(json["alerts"][0]["subject"]["matched_by"], "name");
    let back: Check = serde_json::from_value(json).unwrap();
    assert_eq!(back, result);
    let candidate: Candidate = serde_json::from_value(
        serde_json::json!({"type": "allergy", "substance": "sulfa", "id": null, "code": null}),
    )
    .unwrap();
    assert!(matches!(candidate, Candidate::Allergy(_)));
    let schema = schemars::schema_for!(Check);
    assert!(serde_json::to_string(&schema)
        .unwrap()
        .contains("cross_reactivity"));
}

#[test]
fn every_citation_key_in_the_tables_has_a_text() {
    let keys = interactions::all()
        .iter()
        .map(|r| r.citation)
        .chain(allergies::classes().iter().map(|c| c.sources))
        .chain(allergies::cross_rules().iter().map(|r| r.sources));
    for list in keys {
        for key in list.split("; ") {
            assert!(
                citations::text(key).is_some(),
                "no text for citation {key:?}"
            );
        }
    }
}
