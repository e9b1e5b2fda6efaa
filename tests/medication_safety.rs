//! The medication-safety tables checked against their sources, read in place
//! from `../shared/data/cds/interactions/` (skipped, with the missing path
//! named, when that folder is absent):
//!
//! - every pair of both ONC lists is in `assets/interactions.tsv` or in
//!   `assets/interaction_exclusions.tsv` with a reason;
//! - every verified RxCUI is where its row says it came from;
//! - the HL7 PDDI CDS test scenarios raise the alerts the IG describes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chartkeep::care::medication_safety::{
    check, ingredients, interactions, AlertKind, Candidate, MedicationInput, Severity,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(relative: &str) -> Option<PathBuf> {
    let path = root()
        .join("../shared/data/cds/interactions")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipping: ../shared/data/cds/interactions/{relative} not found ({})",
            path.display()
        );
        None
    }
}

/// `drug1 name$DrugBank id$drug2 name$DrugBank id$` lines (BOM, CR or CRLF).
fn dollar_pairs(path: &Path) -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.trim_start_matches('\u{feff}')
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('$').map(str::trim).collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

fn by_drugbank() -> HashMap<&'static str, &'static str> {
    ingredients::all()
        .iter()
        .filter_map(|i| i.drugbank.map(|db| (db, i.name)))
        .collect()
}

fn unordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

fn shipped(list: &str) -> HashSet<(String, String)> {
    interactions::all()
        .iter()
        .filter(|r| r.list == list)
        .map(|r| {
            unordered(
                ingredients::get(r.drug1).name,
                ingredients::get(r.drug2).name,
            )
        })
        .collect()
}

fn excluded(list: &str) -> HashMap<(String, String), String> {
    let text = std::fs::read_to_string(root().join("assets/interaction_exclusions.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f[0] == list).then(|| (unordered(f[1], f[3]), f[5].to_string()))
        })
        .collect()
}

fn check_list_covered(file: &str, list: &str) {
    let Some(path) = data(file) else { return };
    let names = by_drugbank();
    let shipped = shipped(list);
    let excluded = excluded(list);
    let mut in_table = 0;
    for (n1, d1, n2, d2) in dollar_pairs(&path) {
        let a = names
            .get(d1.as_str())
            .unwrap_or_else(|| panic!("{n1} ({d1}) has no ingredient row"));
        let b = names
            .get(d2.as_str())
            .unwrap_or_else(|| panic!("{n2} ({d2}) has no ingredient row"));
        let pair = unordered(a, b);
        if shipped.contains(&pair) {
            in_table += 1;
        } else {
            let reason = excluded.get(&pair).unwrap_or_else(|| {
                panic!("{list} pair {n1} + {n2} is neither shipped nor excluded")
            });
            assert!(!reason.is_empty());
        }
    }
    assert!(in_table > 0, "no pair of {file} is shipped");
}

#[test]
fn every_onc_high_priority_pair_is_shipped_or_excluded_with_a_reason() {
    check_list_covered(
        "onc/PDDI-Datasets/ONC-High-Priority/ONC_High_Priority_Mapped.csv",
        "high_priority",
    );
}

#[test]
fn every_onc_non_interruptive_pair_is_shipped() {
    check_list_covered(
        "onc/PDDI-Datasets/ONC-Non-Interuptive/ONC_Non_Interuptive_Mapped.csv",
        "non_interruptive",
    );
    assert!(excluded("non_interruptive").is_empty());
}

#[test]
fn the_only_exclusions_are_the_credible_meds_qt_pairs() {
    for reason in excluded("high_priority").values() {
        assert!(reason.contains("CredibleMeds"), "{reason}");
    }
}

/// Every `<code value=.../><display value=.../>` pair of the HL7 PDDI value sets.
fn hl7_codes(vocabulary: &Path) -> HashSet<(String, String)> {
    let mut codes = HashSet::new();
    for entry in std::fs::read_dir(vocabulary).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<code value=\"") {
            rest = &rest[at + 13..];
            let code = &rest[..rest.find('"').unwrap()];
            if let Some(d) = rest.find("<display value=\"") {
                let between = &rest[..d];
                if !between.contains("<code") {
                    let display = &rest[d + 16..];
                    let display = &display[..display.find('"').unwrap()];
                    codes.insert((code.to_string(), display.to_lowercase()));
                }
            }
        }
    }
    codes
}

#[test]
fn every_verified_rxcui_is_in_the_source_its_row_names() {
    let cpic_text =
        std::fs::read_to_string(root().join("assets/tools/sources/cpic_drug.tsv")).unwrap();
    let cpic: HashMap<&str, (&str, &str)> = cpic_text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0], (f[1], f[2]))
        })
        .collect();
    let hl7 = data("hl7-pddi-cds/input/vocabulary").map(|p| hl7_codes(&p));
    let mut verified = 0;
    for row in ingredients::all() {
        let Some(rxcui) = row.rxcui else { continue };
        verified += 1;
        match row.rxcui_source {
            Some("cpic") => {
                let found = std::iter::once(row.name)
                    .chain(row.synonyms.iter().copied())
                    .filter_map(|n| cpic.get(n))
                    .any(|(code, db)| {
                        *code == rxcui && (db.is_empty() || row.drugbank.is_none_or(|d| d == *db))
                    });
                assert!(found, "{} {rxcui}: not in the CPIC drug table", row.name);
            }
            Some("hl7-pddi") => {
                if let Some(hl7) = &hl7 {
                    assert!(
                        hl7.contains(&(rxcui.to_string(), row.name.to_string())),
                        "{} {rxcui}: no HL7 PDDI value set has this code with this display",
                        row.name
                    );
                }
            }
            other => panic!("{}: unknown rxcui_source {other:?}", row.name),
        }
    }
    assert!(verified > 100, "only {verified} verified RxCUIs");
}

/// The medications of a CDS Hooks request: the order being placed (under
/// `context.medications` or `context.draftOrders`) first, then the others
/// anywhere in the request (the prefetch: what the patient already takes).
fn request_medications(path: &Path) -> Vec<MedicationInput> {
    fn walk(value: &serde_json::Value, out: &mut Vec<MedicationInput>) {
        match value {
            serde_json::Value::Object(map) => {
                let is_med = map
                    .get("resourceType")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.starts_with("Medication"));
                if let (true, Some(concept)) = (is_med, map.get("medicationCodeableConcept")) {
                    let coding = &concept["coding"][0];
                    out.push(MedicationInput {
                        id: map.get("id").and_then(|i| i.as_str()).map(str::to_string),
                        name: coding["display"].as_str().unwrap_or_default().to_string(),
                        rxnorm: coding["code"].as_str().map(str::to_string),
                    });
                }
                for v in map.values() {
                    walk(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let context = &json["context"];
    let mut out = Vec::new();
    walk(&context["medications"], &mut out);
    walk(&context["draftOrders"], &mut out);
    out.truncate(1);
    let mut rest = Vec::new();
    walk(&json, &mut rest);
    let order_id = out[0].id.clone();
    out.extend(rest.into_iter().filter(|m| m.id != order_id));
    out
}

fn scenario(file: &str, rule: &str) -> Option<Vec<Severity>> {
    let path = data(&format!("hl7-pddi-cds/input/images/requests/{file}"))?;
    let meds = request_medications(&path);
    let (candidate, active) = meds.split_first().expect("a draft order");
    let result = check(Candidate::Medication(candidate.clone()), active, &[]);
    assert!(
        result.unchecked.is_empty(),
        "{file}: {:?}",
        result.unchecked
    );
    Some(
        result
            .alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Interaction && a.rule == rule)
            .map(|a| a.severity)
            .collect(),
    )
}

#[test]
fn hl7_pddi_warfarin_with_topical_diclofenac_is_information_only() {
    let rule = "interaction.hl7_pddi.hl7-warfarin-nsaids";
    if let Some(severities) = scenario("request-warfarin-nsaid-scenario-01.json", rule) {
        assert_eq!(severities, [Severity::Informational]);
    }
}

#[test]
fn hl7_pddi_warfarin_with_a_systemic_nsaid_interrupts() {
    let rule = "interaction.hl7_pddi.hl7-warfarin-nsaids";
    for n in 2..=5 {
        let file = format!("request-warfarin-nsaid-scenario-0{n}.json");
        if let Some(severities) = scenario(&file, rule) {
            assert!(
                severities.contains(&Severity::Interruptive),
                "{file}: {severities:?}"
            );
        }
    }
}

#[test]
fn hl7_pddi_digoxin_with_cyclosporine_interrupts() {
    let rule = "interaction.hl7_pddi.hl7-digoxin-cyclosporine";
    for n in 1..=4 {
        let file = format!("request-digoxin-cyclosporine-scenario-0{n}.json");
        if let Some(severities) = scenario(&file, rule) {
            assert!(
                severities.contains(&Severity::Interruptive),
                "{file}: {severities:?}"
            );
        }
    }
}
