//! The sections of a C-CDA document that become chart entries, each entry of each section
//! read as the C-CDA R2.1 templates nest it (a concern act holding several observations,
//! an organizer holding several results), and written as the FHIR resource the FHIR import
//! maps onto the chart.

use roxmltree::Node;
use serde_json::{json, Value as Json};

use super::datatypes::{at, concept, kid, kids, number, quantity, text_of, xsi_type, Narrative};
use super::Reader;
use crate::interop::fhir::import::Problem;
use crate::interop::fhir::{LOINC, SNOMED, THO};

/// The C-CDA template roots (`2.16.840.1.113883.10.20.22.` + this).
fn template(n: Node, tail: &str) -> bool {
    kids(n, "templateId").any(|t| {
        t.attribute("root")
            .and_then(|r| r.strip_prefix("2.16.840.1.113883.10.20.22."))
            == Some(tail)
    })
}

/// What a section holds, by its template (entries-required and entries-optional alike).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Problems,
    Allergies,
    Medications,
    Immunizations,
    Results,
    Vitals,
    Procedures,
    Social,
}

fn kind(section: Node) -> Option<Kind> {
    const SECTIONS: [(&str, &str, Kind); 8] = [
        ("2.5.1", "2.5", Kind::Problems),
        ("2.6.1", "2.6", Kind::Allergies),
        ("2.1.1", "2.1", Kind::Medications),
        ("2.2.1", "2.2", Kind::Immunizations),
        ("2.3.1", "2.3", Kind::Results),
        ("2.4.1", "2.4", Kind::Vitals),
        ("2.7.1", "2.7", Kind::Procedures),
        ("2.17", "2.17", Kind::Social),
    ];
    SECTIONS
        .iter()
        .find(|(a, b, _)| template(section, a) || template(section, b))
        .map(|(_, _, k)| *k)
}

/// The clinical statement of an entry (`act`, `observation`, `organizer`, ...).
fn statement<'a, 'i>(entry: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    entry.children().find(|c| c.is_element())
}

/// The statements an element holds through `entryRelationship` (or `component`).
fn related<'a, 'i>(n: Node<'a, 'i>, via: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    kids(n, via).filter_map(|r| r.children().find(|c| c.is_element()))
}

fn negated(n: Node) -> bool {
    n.attribute("negationInd") == Some("true")
}

fn status<'a>(n: Node<'a, '_>) -> Option<&'a str> {
    kid(n, "statusCode").and_then(|s| s.attribute("code"))
}

fn coded(system: &str, code: &str) -> Json {
    json!({ "coding": [{ "system": format!("{THO}{system}"), "code": code }] })
}

/// Reads one section's entries into the reader's resources; other sections are left to
/// the document kept whole.
pub(super) fn read(r: &mut Reader, section: Node) -> Result<(), Problem> {
    let Some(k) = kind(section) else {
        return Ok(());
    };
    let narrative = Narrative::of(section);
    for entry in kids(section, "entry") {
        let Some(s) = statement(entry) else { continue };
        if s.attribute("nullFlavor").is_some() {
            continue;
        }
        match k {
            Kind::Problems => problems(r, s, &narrative)?,
            Kind::Allergies => allergies(r, s, &narrative)?,
            Kind::Medications => medication(r, s, &narrative)?,
            Kind::Immunizations => immunization(r, s, &narrative)?,
            Kind::Results => results(r, s, &narrative, "laboratory")?,
            Kind::Vitals => results(r, s, &narrative, "vital-signs")?,
            Kind::Procedures => procedure(r, s, &narrative)?,
            Kind::Social => social(r, s, &narrative)?,
        }
    }
    Ok(())
}

/// The observations a concern act is about: its Problem (or Allergy) Observations, or the
/// statement itself when it is such an observation given bare.
fn concerns<'a, 'i>(s: Node<'a, 'i>, observation: &str) -> Vec<Node<'a, 'i>> {
    if s.tag_name().name() == "observation" {
        return vec![s];
    }
    let marked: Vec<Node> = related(s, "entryRelationship")
        .filter(|o| o.tag_name().name() == "observation" && template(*o, observation))
        .collect();
    if !marked.is_empty() {
        return marked;
    }
    // Senders that leave the templateId off: every observation the act holds.
    related(s, "entryRelationship")
        .filter(|o| o.tag_name().name() == "observation")
        .collect()
}

/// A status observation's SNOMED CT value (Problem Status 4.6, Allergy Status 4.28).
fn status_value<'a>(o: Node<'a, '_>, tail: &str) -> Option<&'a str> {
    related(o, "entryRelationship")
        .find(|x| template(*x, tail))
        .and_then(|x| kid(x, "value"))
        .and_then(|v| v.attribute("code"))
}

fn problems(r: &mut Reader, act: Node, narrative: &Narrative) -> Result<(), Problem> {
    let concern = status(act);
    for o in concerns(act, "4.4") {
        let Some(code) = kid(o, "value").and_then(|v| concept(v, narrative)) else {
            // "No known problems" (a negated observation with no code) says nothing the
            // chart can hold; the document kept whole still says it.
            continue;
        };
        let (onset, abated) = r.interval(kid(o, "effectiveTime"))?;
        let clinical = match status_value(o, "4.6") {
            Some("55561003") => "active",
            Some("73425007") => "inactive",
            Some("413322009") => "resolved",
            _ if abated.is_some() => "resolved",
            _ => match concern {
                Some("completed") => "resolved",
                Some("suspended" | "aborted") => "inactive",
                _ => "active",
            },
        };
        let clinical = if abated.is_some() && clinical == "active" {
            "resolved"
        } else {
            clinical
        };
        let mut j = json!({
            "resourceType": "Condition",
            "id": r.id_for("Condition", o),
            "subject": r.subject(),
            "category": [coded("condition-category", "problem-list-item")],
            "code": code,
            "clinicalStatus": coded("condition-clinical", clinical),
            "verificationStatus": coded(
                "condition-ver-status",
                if negated(o) { "refuted" } else { "confirmed" },
            ),
        });
        if let Some(t) = onset {
            j["onsetDateTime"] = json!(t);
        }
        if let Some(t) = abated {
            j["abatementDateTime"] = json!(t);
        }
        r.push(o, j);
    }
    Ok(())
}

/// Allergy types (the Allergy-Intolerance Observation's value) by what FHIR calls them.
fn allergy_kind(code: Option<&str>) -> (Option<&'static str>, Option<&'static str>) {
    match code {
        Some("416098002" | "419511003") => (Some("medication"), Some("allergy")),
        Some("59037007") => (Some("medication"), Some("intolerance")),
        Some("414285001" | "418471000") => (Some("food"), Some("allergy")),
        Some("235719002") => (Some("food"), Some("intolerance")),
        Some("232347008" | "426232007") => (Some("environment"), Some("allergy")),
        Some("419199007" | "418038007") => (None, Some("allergy")),
        _ => (None, None),
    }
}

fn severity(o: Node) -> Option<&'static str> {
    let code = related(o, "entryRelationship")
        .find(|x| template(*x, "4.8"))
        .and_then(|x| kid(x, "value"))
        .and_then(|v| v.attribute("code"))?;
    match code {
        "255604002" => Some("mild"),
        "6736007" | "371923003" => Some("moderate"),
        "24484000" | "371924009" | "399166001" => Some("severe"),
        _ => None,
    }
}

fn allergies(r: &mut Reader, act: Node, narrative: &Narrative) -> Result<(), Problem> {
    let concern = status(act);
    for o in concerns(act, "4.7") {
        let type_code = kid(o, "value").and_then(|v| v.attribute("code"));
        let (category, kind) = allergy_kind(type_code);
        let substance = kids(o, "participant")
            .filter_map(|p| at(p, &["participantRole", "playingEntity", "code"]))
            .find_map(|c| concept(c, narrative));
        // No substance, or one that names none in particular (SNOMED CT "Substance",
        // "Allergen or pseudoallergen"): with negation, that is "no known allergies".
        let no_substance = substance.as_ref().is_none_or(|s| {
            s["coding"].as_array().is_none_or(|c| {
                c.iter()
                    .all(|x| matches!(x["code"].as_str(), Some("105590001" | "413477004")))
            })
        });
        let (code, verification) = match (negated(o), substance) {
            // "No known allergies": a negated observation about no substance in particular.
            (true, _) if no_substance => {
                let (code, display) = if category == Some("medication") {
                    ("409137002", "No known drug allergy")
                } else if category == Some("food") {
                    ("429625007", "No known food allergy")
                } else {
                    ("716186003", "No known allergy")
                };
                (
                    json!({ "coding": [{ "system": SNOMED, "code": code, "display": display }], "text": display }),
                    "confirmed",
                )
            }
            (true, Some(s)) => (s, "refuted"),
            (false, Some(s)) => (s, "confirmed"),
            (false, None) => continue,
            (true, None) => unreachable!("no substance is handled above"),
        };
        let clinical = match status_value(o, "4.28") {
            Some("73425007") => "inactive",
            Some("413322009") => "resolved",
            Some(_) => "active",
            None => match concern {
                Some("completed" | "suspended" | "aborted") => "inactive",
                _ => "active",
            },
        };
        let (onset, _) = r.interval(kid(o, "effectiveTime"))?;
        let own_severity = severity(o);
        let mut reactions = Vec::new();
        for x in related(o, "entryRelationship").filter(|x| template(*x, "4.9")) {
            let Some(m) = kid(x, "value").and_then(|v| concept(v, narrative)) else {
                continue;
            };
            let mut reaction = json!({ "manifestation": [m] });
            if let Some(s) = severity(x).or(own_severity) {
                reaction["severity"] = json!(s);
            }
            reactions.push(reaction);
        }
        let mut j = json!({
            "resourceType": "AllergyIntolerance",
            "id": r.id_for("AllergyIntolerance", o),
            "patient": r.subject(),
            "code": code,
            "clinicalStatus": coded("allergyintolerance-clinical", clinical),
            "verificationStatus": coded("allergyintolerance-verification", verification),
        });
        if let Some(c) = category {
            j["category"] = json!([c]);
        }
        if let Some(k) = kind {
            j["type"] = json!(k);
        }
        if let Some(c) = related(o, "entryRelationship")
            .find(|x| template(*x, "4.145"))
            .and_then(|x| kid(x, "value"))
            .and_then(|v| v.attribute("code"))
        {
            if let Some(c) = match c {
                "CRITL" => Some("low"),
                "CRITH" => Some("high"),
                "CRITU" => Some("unable-to-assess"),
                _ => None,
            } {
                j["criticality"] = json!(c);
            }
        }
        if !reactions.is_empty() {
            j["reaction"] = Json::Array(reactions);
        }
        if let Some(t) = onset {
            j["onsetDateTime"] = json!(t);
        }
        r.push(o, j);
    }
    Ok(())
}

/// The product a substance administration gives.
fn product<'a, 'i>(s: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    at(
        s,
        &["consumable", "manufacturedProduct", "manufacturedMaterial"],
    )
}

/// The product's code (or name) as a CodeableConcept.
fn product_concept(s: Node, narrative: &Narrative) -> Option<Json> {
    product(s)
        .and_then(|m| kid(m, "code"))
        .and_then(|c| concept(c, narrative))
}

/// A FHIR Period from an interval's ends; None when it has neither.
fn period(start: Option<String>, end: Option<String>) -> Option<Json> {
    if start.is_none() && end.is_none() {
        return None;
    }
    let mut p = json!({});
    if let Some(a) = start {
        p["start"] = json!(a);
    }
    if let Some(b) = end {
        p["end"] = json!(b);
    }
    Some(p)
}

/// The sig or other free text of an entry: its `text`, through a narrative reference.
fn entry_text(s: Node, narrative: &Narrative) -> Option<String> {
    let t = kid(s, "text")?;
    if let Some(v) = kid(t, "reference").and_then(|x| x.attribute("value")) {
        if let Some(found) = narrative.get(v) {
            return Some(found);
        }
    }
    text_of(t)
}

/// The effectiveTime that gives a span (not a frequency: PIVL_TS, EIVL_TS).
fn span<'a, 'i>(s: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    kids(s, "effectiveTime").find(|t| !matches!(xsi_type(*t), Some("PIVL_TS" | "EIVL_TS")))
}

fn medication(r: &mut Reader, s: Node, narrative: &Narrative) -> Result<(), Problem> {
    if s.tag_name().name() != "substanceAdministration" {
        return Ok(());
    }
    let Some(drug) = product_concept(s, narrative) else {
        // No product named ("no medications", a nullFlavor code): nothing the chart can
        // list; the document kept whole still says it.
        return Ok(());
    };
    let st = if negated(s) {
        "not-taken"
    } else {
        match status(s) {
            Some("completed") => "completed",
            Some("aborted" | "cancelled") => "stopped",
            Some("suspended" | "held") => "on-hold",
            Some("nullified") => "entered-in-error",
            _ => "active",
        }
    };
    let (start, end) = r.interval(span(s))?;
    let mut dosage = json!({});
    if let Some(p) = kids(s, "effectiveTime")
        .find(|t| xsi_type(*t) == Some("PIVL_TS"))
        .and_then(|t| kid(t, "period"))
    {
        let unit = match p.attribute("unit").unwrap_or("d") {
            "s" => Some("s"),
            "min" => Some("min"),
            "h" => Some("h"),
            "d" => Some("d"),
            "wk" => Some("wk"),
            "mo" => Some("mo"),
            "a" => Some("a"),
            _ => None,
        };
        if let (Some(v), Some(u)) = (
            p.attribute("value").and_then(|v| v.parse::<f64>().ok()),
            unit,
        ) {
            dosage["timing"] =
                json!({ "repeat": { "frequency": 1, "period": number(v), "periodUnit": u } });
        }
    }
    if let Some(q) = kid(s, "doseQuantity")
        .and_then(|d| quantity(d).or_else(|| kid(d, "low").and_then(quantity)))
    {
        dosage["doseAndRate"] = json!([{ "doseQuantity": q }]);
    }
    if let Some(route) = kid(s, "routeCode").and_then(|c| concept(c, narrative)) {
        dosage["route"] = route;
    }
    if let Some(t) = entry_text(s, narrative) {
        dosage["text"] = json!(t);
    }
    let mut j = json!({
        "resourceType": "MedicationStatement",
        "id": r.id_for("MedicationStatement", s),
        "subject": r.subject(),
        "status": st,
        "medicationCodeableConcept": drug,
    });
    match (start, end) {
        (Some(a), None) if span(s).is_some_and(|t| t.attribute("value").is_some()) => {
            j["effectiveDateTime"] = json!(a);
        }
        (a, b) => {
            if let Some(p) = period(a, b) {
                j["effectivePeriod"] = p;
            }
        }
    }
    if dosage.as_object().is_some_and(|m| !m.is_empty()) {
        j["dosage"] = json!([dosage]);
    }
    let reasons: Vec<Json> = related(s, "entryRelationship")
        .filter(|x| template(*x, "4.19"))
        .filter_map(|x| kid(x, "value").and_then(|v| concept(v, narrative)))
        .collect();
    if !reasons.is_empty() {
        j["reasonCode"] = Json::Array(reasons);
    }
    r.push(s, j);
    Ok(())
}

fn immunization(r: &mut Reader, s: Node, narrative: &Narrative) -> Result<(), Problem> {
    if s.tag_name().name() != "substanceAdministration" {
        return Ok(());
    }
    let material = product(s);
    let Some(vaccine) = product_concept(s, narrative) else {
        // As for medications: no vaccine named, nothing to list.
        return Ok(());
    };
    let st = if negated(s) {
        "not-done"
    } else if status(s) == Some("nullified") {
        "entered-in-error"
    } else {
        "completed"
    };
    let (when, _) = r.interval(span(s))?;
    let mut j = json!({
        "resourceType": "Immunization",
        "id": r.id_for("Immunization", s),
        "patient": r.subject(),
        "status": st,
        "vaccineCode": vaccine,
    });
    match when {
        Some(t) => j["occurrenceDateTime"] = json!(t),
        None => j["occurrenceString"] = json!("unknown"),
    }
    if let Some(lot) = material
        .and_then(|m| kid(m, "lotNumberText"))
        .and_then(text_of)
    {
        j["lotNumber"] = json!(lot);
    }
    if let Some(route) = kid(s, "routeCode").and_then(|c| concept(c, narrative)) {
        j["route"] = route;
    }
    if let Some(site) = kid(s, "approachSiteCode").and_then(|c| concept(c, narrative)) {
        j["site"] = site;
    }
    if let Some(q) = kid(s, "doseQuantity").and_then(quantity) {
        if q.get("unit").is_some() {
            j["doseQuantity"] = q;
        }
    }
    if st == "not-done" {
        if let Some(reason) = related(s, "entryRelationship")
            .find(|x| template(*x, "4.53"))
            .and_then(|x| kid(x, "code"))
            .and_then(|c| concept(c, narrative))
        {
            j["statusReason"] = reason;
        }
    }
    r.push(s, j);
    Ok(())
}

fn obs_status(n: Node) -> &'static str {
    match status(n) {
        Some("active" | "new") => "preliminary",
        Some("aborted" | "cancelled") => "cancelled",
        Some("nullified") => "entered-in-error",
        _ => "final",
    }
}

/// A result or vital sign observation as an Observation.
fn observation(
    r: &mut Reader,
    o: Node,
    narrative: &Narrative,
    category: &str,
    when: Option<&str>,
) -> Result<String, Problem> {
    let id = r.id_for("Observation", o);
    let code = kid(o, "code")
        .and_then(|c| concept(c, narrative))
        .unwrap_or_else(|| json!({ "text": "result without a code" }));
    let (own, _) = r.interval(kid(o, "effectiveTime"))?;
    let mut j = json!({
        "resourceType": "Observation",
        "id": id,
        "subject": r.subject(),
        "status": obs_status(o),
        "category": [coded("observation-category", category)],
        "code": code,
    });
    if let Some(t) = own.as_deref().or(when) {
        j["effectiveDateTime"] = json!(t);
    }
    if let Some(v) = kid(o, "value") {
        match xsi_type(v) {
            Some("PQ") => {
                if let Some(q) = quantity(v) {
                    j["valueQuantity"] = q;
                }
            }
            Some("INT") => {
                if let Some(i) = v
                    .attribute("value")
                    .and_then(|x| x.trim().parse::<i64>().ok())
                {
                    j["valueInteger"] = json!(i);
                }
            }
            Some("REAL") => {
                if let Some(q) = quantity(v) {
                    j["valueQuantity"] = q;
                }
            }
            Some("BL") => {
                if let Some(b) = v.attribute("value") {
                    j["valueBoolean"] = json!(b == "true");
                }
            }
            Some("CD" | "CE" | "CV" | "CO") => {
                if let Some(c) = concept(v, narrative) {
                    j["valueCodeableConcept"] = c;
                }
            }
            Some("IVL_PQ") => {
                let mut range = json!({});
                if let Some(l) = kid(v, "low").and_then(quantity) {
                    range["low"] = l;
                }
                if let Some(h) = kid(v, "high").and_then(quantity) {
                    range["high"] = h;
                }
                if range.as_object().is_some_and(|m| !m.is_empty()) {
                    j["valueRange"] = range;
                }
            }
            _ => {
                let t = match kid(v, "reference").and_then(|x| x.attribute("value")) {
                    Some(reference) => narrative.get(reference),
                    None => text_of(v),
                };
                if let Some(t) = t {
                    j["valueString"] = json!(t);
                }
            }
        }
    }
    let flags: Vec<Json> = kids(o, "interpretationCode")
        .filter_map(|c| c.attribute("code"))
        .map(|c| coded("v3-ObservationInterpretation", c))
        .collect();
    if !flags.is_empty() {
        j["interpretation"] = Json::Array(flags);
    }
    let ranges: Vec<Json> = kids(o, "referenceRange")
        .filter_map(|rr| kid(rr, "observationRange"))
        .filter_map(|range| {
            let mut out = json!({});
            if let Some(v) = kid(range, "value") {
                if let Some(l) = kid(v, "low").and_then(quantity) {
                    out["low"] = l;
                }
                if let Some(h) = kid(v, "high").and_then(quantity) {
                    out["high"] = h;
                }
            }
            if let Some(t) = kid(range, "text").and_then(|t| {
                match kid(t, "reference").and_then(|x| x.attribute("value")) {
                    Some(reference) => narrative.get(reference),
                    None => text_of(t),
                }
            }) {
                out["text"] = json!(t);
            }
            out.as_object()
                .is_some_and(|m| !m.is_empty())
                .then_some(out)
        })
        .collect();
    if !ranges.is_empty() {
        j["referenceRange"] = Json::Array(ranges);
    }
    r.push(o, j);
    Ok(id)
}

/// A Result (or Vital Signs) Organizer: its observations, and for results the panel they
/// make as a DiagnosticReport; an observation given bare is read on its own.
fn results(r: &mut Reader, s: Node, narrative: &Narrative, category: &str) -> Result<(), Problem> {
    match s.tag_name().name() {
        "observation" => {
            observation(r, s, narrative, category, None)?;
        }
        "organizer" => {
            let (when, _) = r.interval(kid(s, "effectiveTime"))?;
            let mut ids = Vec::new();
            for o in related(s, "component").filter(|o| o.tag_name().name() == "observation") {
                ids.push(observation(r, o, narrative, category, when.as_deref())?);
            }
            if category != "laboratory" || ids.is_empty() {
                return Ok(());
            }
            let code = kid(s, "code")
                .and_then(|c| concept(c, narrative))
                .unwrap_or_else(|| json!({ "text": "Laboratory results" }));
            let mut j = json!({
                "resourceType": "DiagnosticReport",
                "id": r.id_for("DiagnosticReport", s),
                "subject": r.subject(),
                "status": match status(s) {
                    Some("active" | "new") => "partial",
                    Some("aborted" | "cancelled") => "cancelled",
                    Some("nullified") => "entered-in-error",
                    _ => "final",
                },
                "category": [{ "coding": [{ "system": format!("{THO}v2-0074"), "code": "LAB" }] }],
                "code": code,
                "result": ids.iter().map(|i| json!({ "reference": format!("Observation/{i}") })).collect::<Vec<_>>(),
            });
            if let Some(t) = when {
                j["effectiveDateTime"] = json!(t);
            }
            r.push(s, j);
        }
        _ => {}
    }
    Ok(())
}

fn procedure(r: &mut Reader, s: Node, narrative: &Narrative) -> Result<(), Problem> {
    if !matches!(s.tag_name().name(), "procedure" | "observation" | "act") {
        return Ok(());
    }
    let st = if negated(s) {
        "not-done"
    } else {
        match status(s) {
            Some("active") => "in-progress",
            Some("aborted") => "stopped",
            Some("cancelled") => "not-done",
            Some("new") => "preparation",
            Some("nullified") => "entered-in-error",
            _ => "completed",
        }
    };
    let (start, end) = r.interval(kid(s, "effectiveTime"))?;
    let mut j = json!({
        "resourceType": "Procedure",
        "id": r.id_for("Procedure", s),
        "subject": r.subject(),
        "status": st,
    });
    if let Some(c) = kid(s, "code").and_then(|c| concept(c, narrative)) {
        j["code"] = c;
    }
    match (start, end) {
        (Some(a), None) => j["performedDateTime"] = json!(a),
        (a, b) => {
            if let Some(p) = period(a, b) {
                j["performedPeriod"] = p;
            }
        }
    }
    let sites: Vec<Json> = kids(s, "targetSiteCode")
        .filter_map(|c| concept(c, narrative))
        .collect();
    if !sites.is_empty() {
        j["bodySite"] = Json::Array(sites);
    }
    r.push(s, j);
    Ok(())
}

/// Smoking status (Smoking Status – Meaningful Use, 4.78): the social history entry the
/// chart keeps; other social history observations stay in the document.
fn social(r: &mut Reader, s: Node, narrative: &Narrative) -> Result<(), Problem> {
    if s.tag_name().name() != "observation" || !template(s, "4.78") {
        return Ok(());
    }
    let Some(value) = kid(s, "value").and_then(|v| concept(v, narrative)) else {
        return Ok(());
    };
    let (when, _) = r.interval(kid(s, "effectiveTime"))?;
    let mut j = json!({
        "resourceType": "Observation",
        "id": r.id_for("Observation", s),
        "subject": r.subject(),
        "status": "final",
        "category": [coded("observation-category", "social-history")],
        "code": { "coding": [{ "system": LOINC, "code": "72166-2", "display": "Tobacco smoking status" }] },
        "valueCodeableConcept": value,
    });
    if let Some(t) = when {
        j["effectiveDateTime"] = json!(t);
    }
    r.push(s, j);
    Ok(())
}
