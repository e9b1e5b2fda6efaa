//! FHIR R4 resources onto the chart's kinds of record: the inverse of `resources.rs`,
//! and wide enough for what other systems send (Synthea, the IPS examples). A resource
//! that has no place in the chart, or whose content the chart cannot hold as it is
//! (a vaccine code outside the shipped CVX list), is kept verbatim instead: nothing is
//! dropped.

use base64::Engine as _;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::read::Resource;
use super::Scope;
use crate::chart::entities;
use crate::chart::record::parse_datetime;
use crate::interop::fhir::{CVX, ICD10CM, LOINC, RXNORM, SNOMED};
use crate::ledger::schema::EntityDef;
use crate::ledger::Value;

/// One chart record an import will write.
pub struct Planned {
    pub def: &'static EntityDef,
    /// Which of the resource's records this is (a blood pressure gives two): the suffix
    /// of its id, empty for the first.
    pub part: &'static str,
    pub fields: Vec<(String, Value)>,
    /// Written as entered in error, with this reason.
    pub retract: Option<String>,
    /// The chart id the source gave the record (several resources made from one record).
    pub record_id: Option<Uuid>,
    /// Sign it (a final clinical note), at this time.
    pub sign_at: Option<String>,
}

/// What becomes of one resource.
pub enum Mapped {
    Records(Vec<Planned>),
    /// Kept as it arrived, with a date and a line to list it by.
    Verbatim {
        date: Option<String>,
        summary: String,
    },
    /// Read for its name only (a Practitioner, an Organization).
    Names,
    /// Belongs to another record (a DiagnosticReport is its results' panel).
    Folded,
    /// Not written, for this reason (Chartkeep's own Provenance, remade on every export).
    Skipped(String),
}

fn s<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The first coding of `system`, or None.
fn code_in<'a>(cc: &'a Json, system: &str) -> Option<(&'a str, Option<&'a str>)> {
    cc["coding"].as_array()?.iter().find_map(|c| {
        (c["system"].as_str() == Some(system))
            .then(|| s(c, "code").map(|code| (code, s(c, "display"))))
            .flatten()
    })
}

/// A code system as the chart names it: CPT and SNOMED CT by name (as people type them),
/// anything else by its URI.
fn system_name(uri: &str) -> &str {
    match uri {
        "http://www.ama-assn.org/go/cpt" => "CPT",
        SNOMED => "SNOMED CT",
        "http://www.cms.gov/Medicare/Coding/ICD10" => "ICD-10-PCS",
        other => other,
    }
}

/// The first coding of any system: (system, code, display).
fn first_code(cc: &Json) -> Option<(&str, &str, Option<&str>)> {
    cc["coding"]
        .as_array()?
        .iter()
        .find_map(|c| Some((s(c, "system").unwrap_or(""), s(c, "code")?, s(c, "display"))))
}

/// What a person reads for a CodeableConcept: its text, else a coding's display.
fn cc_text(cc: &Json) -> Option<String> {
    s(cc, "text").map(str::to_string).or_else(|| {
        cc["coding"]
            .as_array()?
            .iter()
            .find_map(|c| s(c, "display"))
            .map(str::to_string)
    })
}

fn first_text(list: &Json) -> Option<String> {
    list.as_array()?.iter().find_map(cc_text)
}

/// A FHIR date or dateTime as a chart date (its first ten characters, when a full date).
fn date(v: Option<&str>) -> Option<String> {
    let d = v?.get(..10)?;
    crate::chart::record::parse_date(d)
        .ok()
        .map(|d| d.to_string())
}

/// A FHIR dateTime as the chart's RFC 3339 UTC; a bare date is the start of that day.
fn datetime(v: Option<&str>) -> Option<String> {
    parse_datetime(v?).ok()
}

/// The start of an element that may be a dateTime or a Period (`effective[x]`).
fn when<'a>(r: &'a Json, stem: &str) -> Option<&'a str> {
    s(r, &format!("{stem}DateTime"))
        .or_else(|| s(&r[format!("{stem}Period")], "start"))
        .or_else(|| s(r, &format!("{stem}Instant")))
        .or_else(|| s(r, &format!("{stem}String")).filter(|d| date(Some(d)).is_some()))
}

struct Fields(Vec<(String, Value)>);

impl Fields {
    fn new() -> Fields {
        Fields(Vec::new())
    }
    fn text(&mut self, k: &str, v: Option<impl Into<String>>) -> &mut Fields {
        if let Some(v) = v {
            let v: String = v.into();
            if !v.trim().is_empty() {
                self.0.push((k.into(), Value::Text(v.trim().to_string())));
            }
        }
        self
    }
    fn real(&mut self, k: &str, v: Option<f64>) -> &mut Fields {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            self.0.push((k.into(), Value::Real(v)));
        }
        self
    }
    fn int(&mut self, k: &str, v: Option<i64>) -> &mut Fields {
        if let Some(v) = v {
            self.0.push((k.into(), Value::Int(v)));
        }
        self
    }
    fn bool(&mut self, k: &str, v: Option<bool>) -> &mut Fields {
        if let Some(v) = v {
            self.0.push((k.into(), Value::Bool(v)));
        }
        self
    }
    fn json(&mut self, k: &str, v: Json) -> &mut Fields {
        if !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)) {
            self.0.push((k.into(), Value::Text(v.to_string())));
        }
        self
    }
    fn done(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.0)
    }
}

fn one(def: &'static EntityDef, fields: Vec<(String, Value)>, retract: Option<String>) -> Mapped {
    Mapped::Records(vec![Planned {
        def,
        part: "",
        fields,
        retract,
        record_id: None,
        sign_at: None,
    }])
}

/// Why Chartkeep's own Provenance is not imported.
pub const OWN_PROVENANCE: &str =
    "Chartkeep's own record of who wrote what; the import's provenance replaces it";

const ERROR: &str = "entered in error (as imported)";

fn in_error(status: Option<&str>) -> Option<String> {
    (status == Some("entered-in-error")).then(|| ERROR.to_string())
}

/// A resource of a patient's, onto the chart; `encounter` gives the chart id a reference
/// to an Encounter resolves to.
pub fn resource(r: &Resource, idx: usize, scope: &Scope) -> Mapped {
    let j = &r.json;
    match r.kind() {
        "Encounter" => encounter(j, scope),
        "Condition" => condition(j),
        "Observation" => observation(j, scope, idx),
        "DiagnosticReport" if j["result"].as_array().is_some_and(|a| !a.is_empty()) => {
            Mapped::Folded
        }
        "MedicationRequest" | "MedicationStatement" => medication(j, scope),
        "AllergyIntolerance" => allergy(j),
        "Immunization" => immunization(j, scope),
        "Procedure" => procedure(j, scope),
        "FamilyMemberHistory" => family_history(j),
        "Coverage" => coverage(j, scope),
        "DocumentReference" => document(j, scope),
        "ServiceRequest" => order(j),
        "Provenance" if is_own_provenance(j) => Mapped::Skipped(OWN_PROVENANCE.into()),
        _ => verbatim(j),
    }
    .or_verbatim(j)
}

impl Mapped {
    /// A mapping that could not hold the resource falls back to keeping it verbatim.
    fn or_verbatim(self, j: &Json) -> Mapped {
        match self {
            Mapped::Records(v) if v.is_empty() => verbatim(j),
            m => m,
        }
    }
}

/// A Provenance written by Chartkeep's export (tagged so): the chart's ledger says the
/// same, and the import's own provenance records where the records came from.
pub fn is_own_provenance(j: &Json) -> bool {
    j["meta"]["tag"].as_array().is_some_and(|tags| {
        tags.iter()
            .any(|t| t["system"] == super::super::OWN_TAG_SYSTEM && t["code"] == "ledger")
    })
}

pub fn verbatim(j: &Json) -> Mapped {
    let kind = j["resourceType"].as_str().unwrap_or("Resource");
    let date = [
        when(j, "effective"),
        when(j, "occurrence"),
        when(j, "performed"),
        s(j, "date"),
        s(j, "created"),
        s(j, "started"),
        s(j, "recorded"),
        s(&j["period"], "start"),
        s(&j["billablePeriod"], "start"),
        s(j, "authoredOn"),
    ]
    .into_iter()
    .flatten()
    .find_map(|d| date(Some(d)));
    let what = [
        cc_text(&j["code"]),
        first_text(&j["category"]),
        cc_text(&j["type"]),
        s(j, "title").map(str::to_string),
        s(j, "description").map(str::to_string),
        first_text(&j["modality"]),
        s(j, "status").map(str::to_string),
    ]
    .into_iter()
    .flatten()
    .next();
    Mapped::Verbatim {
        date,
        summary: match what {
            Some(w) => format!("{kind}: {w}"),
            None => kind.to_string(),
        },
    }
}

/// The first coding of a visit's type that the chart keeps as its coded kind (SNOMED
/// CT, CPT, HCPCS, well formed), as (code, stored system). A code the shipped kinds do
/// not know needs the type's words beside it, as the visit form asks.
fn visit_coding(types: &Json, has_words: bool) -> Option<(String, &'static str)> {
    use crate::codes::visit_kinds;
    types.as_array()?.iter().find_map(|t| {
        t["coding"].as_array()?.iter().find_map(|c| {
            let system = visit_kinds::system(c["system"].as_str()?)?;
            let code = c["code"].as_str()?.trim();
            let known = system.is_empty() && visit_kinds::lookup(code).is_some();
            (visit_kinds::code_problem(system, code).is_none() && (has_words || known))
                .then(|| (code.to_string(), system))
        })
    })
}

fn encounter(j: &Json, scope: &Scope) -> Mapped {
    let class = j["class"]["code"].as_str().unwrap_or_default();
    let status = s(j, "status");
    let reason = first_text(&j["reasonCode"]).or_else(|| {
        j["reasonReference"]
            .as_array()?
            .iter()
            .find_map(|r| scope.display(r))
    });
    let start = s(&j["period"], "start");
    let end = s(&j["period"], "end");
    let place = scope.display(&j["serviceProvider"]).or_else(|| {
        j["location"]
            .as_array()?
            .iter()
            .find_map(|l| scope.display(&l["location"]))
    });
    if matches!(class, "IMP" | "ACUTE" | "NONAC") {
        let mut f = Fields::new();
        f.text("admit_date", date(start))
            .text("discharge_date", date(end))
            .text("facility", place)
            .text("reason", reason)
            .text("note", s(&j["text"], "div").map(strip_tags));
        return one(&entities::HOSPITALIZATION, f.done(), in_error(status));
    }
    let provider = j["participant"]
        .as_array()
        .and_then(|a| a.iter().find_map(|p| scope.display(&p["individual"])));
    let words = first_text(&j["type"]);
    let (code, system) = visit_coding(&j["type"], words.is_some()).unzip();
    let mut f = Fields::new();
    f.text("start", datetime(start))
        .text("end", datetime(end))
        .text("type", words)
        .text("type_code", code)
        .text("type_system", system)
        .text("reason", reason)
        .text("provider", provider)
        .text("location", place)
        .text(
            "status",
            match status {
                Some("planned" | "arrived" | "triaged") => Some("planned"),
                Some("in-progress" | "onleave") => Some("in-progress"),
                Some("finished") => Some("finished"),
                Some("cancelled") => Some("cancelled"),
                _ => None,
            },
        );
    one(&entities::ENCOUNTER, f.done(), in_error(status))
}

/// Narrative XHTML as plain text.
fn strip_tags(div: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in div.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn condition(j: &Json) -> Mapped {
    let verification = j["verificationStatus"]["coding"][0]["code"].as_str();
    let clinical = j["clinicalStatus"]["coding"][0]["code"].as_str();
    let (code, system, display) = match (code_in(&j["code"], ICD10CM), first_code(&j["code"])) {
        (Some((c, d)), _) => (Some(c), None, d),
        (None, Some((sys, c, d))) => (Some(c), Some(system_name(sys)), d),
        _ => (None, None, None),
    };
    let display = cc_text(&j["code"]).or(display.map(str::to_string));
    let mut f = Fields::new();
    f.text("code", code)
        .text("code_system", system)
        .text("display", display)
        .text("onset_date", date(when(j, "onset")))
        .text("resolved_date", date(when(j, "abatement")))
        .text(
            "status",
            match clinical {
                Some("active" | "recurrence" | "relapse") => Some("active"),
                Some("inactive") => Some("inactive"),
                Some("remission") => Some("remission"),
                Some("resolved") => Some("resolved"),
                _ => None,
            },
        )
        .text("note", notes(j));
    let retract = match verification {
        Some("entered-in-error") => Some(ERROR.to_string()),
        Some("refuted") => Some("refuted (as imported)".to_string()),
        _ => None,
    };
    one(&entities::PROBLEM, f.done(), retract)
}

fn notes(j: &Json) -> Option<String> {
    let t: Vec<&str> = j["note"]
        .as_array()?
        .iter()
        .filter_map(|n| s(n, "text"))
        .collect();
    (!t.is_empty()).then(|| t.join("\n"))
}

fn obs_status(s: Option<&str>) -> Option<&'static str> {
    match s {
        Some("preliminary" | "registered") => Some("preliminary"),
        Some("final") => Some("final"),
        Some("amended" | "corrected") => Some("amended"),
        Some("cancelled") => Some("cancelled"),
        _ => None,
    }
}

fn category(j: &Json) -> Option<&'static str> {
    j["category"].as_array()?.iter().find_map(|c| {
        c["coding"]
            .as_array()?
            .iter()
            .find_map(|k| match k["code"].as_str()? {
                "vital-signs" => Some("vital"),
                "laboratory" | "LAB" => Some("lab"),
                "social-history" => Some("social"),
                "exam" => Some("exam"),
                "survey" => Some("survey"),
                _ => None,
            })
    })
}

/// value[x] onto value_num / value_text / value_code and the unit.
fn value_fields(f: &mut Fields, v: &Json, stem: &str) -> bool {
    if let Some(q) = v.get(format!("{stem}Quantity")) {
        let Some(n) = q["value"].as_f64() else {
            return false;
        };
        f.real("value_num", Some(n))
            .text("unit", s(q, "code").or(s(q, "unit")));
        if let Some(c) = s(q, "comparator") {
            f.text("value_text", Some(format!("{c}{n}")));
        }
        return true;
    }
    if let Some(cc) = v.get(format!("{stem}CodeableConcept")) {
        let code = first_code(cc).map(|(_, c, _)| c);
        f.text("value_code", code).text("value_text", cc_text(cc));
        return code.is_some() || cc_text(cc).is_some();
    }
    for k in ["String", "DateTime", "Time"] {
        if let Some(t) = s(v, &format!("{stem}{k}")) {
            f.text("value_text", Some(t));
            return true;
        }
    }
    if let Some(b) = v.get(format!("{stem}Boolean")).and_then(Json::as_bool) {
        f.text("value_text", Some(if b { "yes" } else { "no" }));
        return true;
    }
    if let Some(i) = v.get(format!("{stem}Integer")).and_then(Json::as_i64) {
        f.real("value_num", Some(i as f64));
        return true;
    }
    false
}

fn reference_range(f: &mut Fields, v: &Json) {
    if let Some(r) = v["referenceRange"].as_array().and_then(|a| a.first()) {
        f.real("ref_low", r["low"]["value"].as_f64())
            .real("ref_high", r["high"]["value"].as_f64())
            .text("ref_text", s(r, "text"));
    }
}

fn flag(v: &Json) -> Option<&'static str> {
    v["interpretation"].as_array()?.iter().find_map(|i| {
        i["coding"]
            .as_array()?
            .iter()
            .find_map(|c| match c["code"].as_str()? {
                "N" => Some("N"),
                "H" | "HU" => Some("H"),
                "L" | "LU" => Some("L"),
                "HH" => Some("HH"),
                "LL" => Some("LL"),
                "A" | "AA" => Some("A"),
                _ => None,
            })
    })
}

/// Observations: vital signs, labs, surveys; a blood pressure's components become one
/// record each in a panel; smoking status and alcohol use become social history.
fn observation(j: &Json, scope: &Scope, idx: usize) -> Mapped {
    let status = s(j, "status");
    let retract = in_error(status);
    let Some((code, display)) = code_in(&j["code"], LOINC) else {
        return verbatim(j);
    };
    let effective = datetime(when(j, "effective").or(s(j, "issued")));
    let cat = category(j);
    if cat == Some("social") && matches!(code, "72166-2" | "11331-6") {
        // Smoking and alcohol Observations made from one social history entry go back
        // into one entry, written with the first.
        let partners = scope.same_record(idx);
        if partners.first().is_some_and(|&first| first < idx) {
            return Mapped::Folded;
        }
        let mut f = Fields::new();
        for &i in partners.iter().filter(|&&i| i != idx) {
            let other = &scope.resource(i).json;
            if let Some((c, _)) = code_in(&other["code"], LOINC) {
                social(&mut f, other, c);
            }
        }
        social(&mut f, j, code);
        let record_id = scope.record_id(idx);
        return Mapped::Records(vec![Planned {
            def: &entities::SOCIAL_HISTORY,
            part: "",
            fields: f.done(),
            retract,
            record_id,
            sign_at: None,
        }]);
    }
    let encounter = scope.encounter_of(&j["encounter"]);
    let (panel, panel_id) = scope.panel_of(idx);
    let common = |f: &mut Fields| {
        f.text("encounter", encounter.clone())
            .text("effective", effective.clone())
            .text("category", cat)
            .text("status", obs_status(status))
            .text("panel", panel.clone())
            .text("panel_id", panel_id.clone());
    };
    let mut f = Fields::new();
    if value_fields(&mut f, j, "value") {
        f.text("code", Some(code))
            .text(
                "display",
                cc_text(&j["code"]).or(display.map(str::to_string)),
            )
            .text("flag", flag(j));
        reference_range(&mut f, j);
        common(&mut f);
        return one(&entities::OBSERVATION, f.done(), retract);
    }
    // A panel given as components (a blood pressure): one record per component.
    let Some(components) = j["component"].as_array().filter(|c| !c.is_empty()) else {
        return verbatim(j);
    };
    let mut out = Vec::new();
    for (n, c) in components.iter().enumerate().take(PARTS.len()) {
        let Some((ccode, cdisplay)) = code_in(&c["code"], LOINC) else {
            continue;
        };
        let mut f = Fields::new();
        if !value_fields(&mut f, c, "value") {
            continue;
        }
        f.text("code", Some(ccode))
            .text(
                "display",
                cc_text(&c["code"]).or(cdisplay.map(str::to_string)),
            )
            .text("flag", flag(c))
            .text("encounter", encounter.clone())
            .text("effective", effective.clone())
            .text("category", cat)
            .text("status", obs_status(status))
            .text("panel", panel.clone().or(Some(code.to_string())))
            .text(
                "panel_id",
                panel_id.clone().or(Some(scope.panel_id_for(idx))),
            );
        reference_range(&mut f, c);
        out.push(Planned {
            def: &entities::OBSERVATION,
            part: PARTS[n],
            fields: f.done(),
            retract: retract.clone(),
            record_id: None,
            sign_at: None,
        });
    }
    Mapped::Records(out)
}

/// Suffixes of the records one resource becomes, after the first.
const PARTS: [&str; 8] = ["", "/1", "/2", "/3", "/4", "/5", "/6", "/7"];

/// A smoking status (72166-2) or alcohol use (11331-6) Observation's fields.
fn social(f: &mut Fields, j: &Json, code: &str) {
    if f.0.iter().all(|(k, _)| k != "recorded_date") {
        f.text(
            "recorded_date",
            date(when(j, "effective").or(s(j, "issued"))),
        );
    }
    if code == "72166-2" {
        let answer = first_code(&j["valueCodeableConcept"]).map(|(_, c, _)| c);
        let status = match answer {
            Some("266919005") => "never",
            Some("8517006") => "former",
            Some(
                "77176002" | "449868002" | "428041000124106" | "230059006" | "428071000124103"
                | "428061000124105" | "65568007",
            ) => "current",
            _ => "unknown",
        };
        f.text("tobacco_status", Some(status))
            .text("tobacco_detail", notes(j));
    } else {
        let text = s(j, "valueString")
            .map(str::to_string)
            .or_else(|| cc_text(&j["valueCodeableConcept"]))
            .unwrap_or_default();
        let word = text.split(',').next().unwrap_or_default().trim();
        let status = match word {
            "none" | "occasional" | "moderate" | "heavy" => word,
            _ => "unknown",
        };
        let per_week = text
            .split(',')
            .nth(1)
            .and_then(|p| p.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok());
        f.text("alcohol_status", Some(status))
            .real("alcohol_drinks_per_week", per_week)
            .text("note", notes(j));
    }
}

fn medication(j: &Json, scope: &Scope) -> Mapped {
    let concept = match j.get("medicationCodeableConcept") {
        Some(cc) => Some(cc.clone()),
        None => scope
            .resolve(&j["medicationReference"])
            .map(|m| m.json["code"].clone()),
    };
    let Some(concept) = concept else {
        return verbatim(j);
    };
    let name = cc_text(&concept).or_else(|| scope.display(&j["medicationReference"]));
    let Some(name) = name else { return verbatim(j) };
    let status = s(j, "status");
    let statement = j["resourceType"] == "MedicationStatement";
    let dosage = j["dosageInstruction"]
        .as_array()
        .or(j["dosage"].as_array())
        .and_then(|d| d.first());
    let dose = dosage.and_then(|d| {
        let q = &d["doseAndRate"][0]["doseQuantity"];
        q["value"]
            .as_f64()
            .map(|v| format!("{v} {}", s(q, "unit").or(s(q, "code")).unwrap_or_default()))
    });
    let frequency = dosage.and_then(|d| {
        let structured = dose.is_some() || d["timing"]["code"].is_object();
        cc_text(&d["timing"]["code"])
            .or_else(|| s(d, "text").filter(|_| !structured).map(str::to_string))
            .or_else(|| {
                let r = &d["timing"]["repeat"];
                let n = r["frequency"].as_i64()?;
                let p = r["period"].as_f64()?;
                Some(format!(
                    "{n} times every {p} {}",
                    s(r, "periodUnit").unwrap_or("d")
                ))
            })
    });
    let (start, stop) = if statement {
        (when(j, "effective"), s(&j["effectivePeriod"], "end"))
    } else {
        (
            s(j, "authoredOn"),
            s(&j["dispenseRequest"]["validityPeriod"], "end"),
        )
    };
    let mut f = Fields::new();
    f.text("name", Some(name))
        .text("rxnorm", code_in(&concept, RXNORM).map(|(c, _)| c))
        .text("dose", dose)
        .text("route", dosage.and_then(|d| cc_text(&d["route"])))
        .text("frequency", frequency)
        .text("start_date", date(start))
        .text("stop_date", date(stop))
        .text(
            "status",
            match status {
                Some("active" | "intended") => Some("active"),
                Some("stopped" | "cancelled" | "not-taken") => Some("stopped"),
                Some("completed") => Some("completed"),
                Some("on-hold") => Some("on-hold"),
                _ => None,
            },
        )
        .text(
            "reason",
            first_text(&j["reasonCode"]).or_else(|| {
                j["reasonReference"]
                    .as_array()?
                    .iter()
                    .find_map(|r| scope.display(r))
            }),
        );
    one(&entities::MEDICATION, f.done(), in_error(status))
}

/// SNOMED CT codes that say "no known allergy".
const NO_KNOWN: [&str; 4] = ["716186003", "409137002", "428607008", "429625007"];

fn allergy(j: &Json) -> Mapped {
    let verification = j["verificationStatus"]["coding"][0]["code"].as_str();
    let clinical = j["clinicalStatus"]["coding"][0]["code"].as_str();
    let code = first_code(&j["code"]);
    let no_known = code.is_some_and(|(_, c, _)| NO_KNOWN.contains(&c));
    let reactions: Vec<Json> = j["reaction"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["manifestation"].as_array().into_iter().flatten())
        .filter_map(cc_text)
        .map(Json::String)
        .collect();
    let mut f = Fields::new();
    f.bool("no_known", Some(no_known));
    if !no_known {
        f.text("substance", cc_text(&j["code"]))
            .text("code", code.map(|(_, c, _)| c));
    }
    f.text(
        "category",
        j["category"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(Json::as_str),
    )
    .json("reactions", Json::Array(reactions))
    .text(
        // The chart keeps one severity: the worst any reaction had.
        "severity",
        j["reaction"].as_array().and_then(|r| {
            r.iter()
                .filter_map(|x| s(x, "severity"))
                .max_by_key(|v| ["mild", "moderate", "severe"].iter().position(|k| k == v))
        }),
    )
    .text("criticality", s(j, "criticality"))
    .text(
        "status",
        match clinical {
            Some(c @ ("active" | "inactive" | "resolved")) => Some(c),
            _ => None,
        },
    )
    .text("onset_date", date(when(j, "onset")))
    .text("note", notes(j));
    let retract = match verification {
        Some("entered-in-error") => Some(ERROR.to_string()),
        Some("refuted") => Some("refuted (as imported)".to_string()),
        _ => None,
    };
    one(&entities::ALLERGY, f.done(), retract)
}

fn immunization(j: &Json, scope: &Scope) -> Mapped {
    let Some((cvx, display)) = code_in(&j["vaccineCode"], CVX) else {
        return verbatim(j);
    };
    if crate::codes::cvx::lookup(cvx).is_none() {
        return verbatim(j);
    }
    let status = s(j, "status");
    let refused = status == Some("not-done")
        && first_code(&j["statusReason"]).is_some_and(|(_, c, _)| c == "PATOBJ");
    let mut f = Fields::new();
    f.text("cvx", Some(cvx))
        .text(
            "vaccine",
            cc_text(&j["vaccineCode"]).or(display.map(str::to_string)),
        )
        .text("date", date(when(j, "occurrence").or(s(j, "recorded"))))
        .int(
            "dose_number",
            j["protocolApplied"][0]["doseNumberPositiveInt"]
                .as_i64()
                .filter(|n| (1..=10).contains(n)),
        )
        .text("lot", s(j, "lotNumber"))
        .text("site", cc_text(&j["site"]))
        .text("route", cc_text(&j["route"]))
        .text(
            "status",
            match status {
                Some("completed") if j["primarySource"] == false => Some("historical"),
                Some("completed") => Some("completed"),
                Some("not-done") if refused => Some("refused"),
                Some("not-done") => Some("not-done"),
                _ => None,
            },
        )
        .text(
            "reason",
            cc_text(&j["statusReason"]).or_else(|| refused.then(|| "refused".to_string())),
        )
        .text(
            "performer",
            j["performer"]
                .as_array()
                .and_then(|p| p.iter().find_map(|x| scope.display(&x["actor"]))),
        );
    one(&entities::IMMUNIZATION, f.done(), in_error(status))
}

fn procedure(j: &Json, scope: &Scope) -> Mapped {
    let status = s(j, "status");
    let code = first_code(&j["code"]);
    let surgical = code_in(&j["category"], SNOMED).is_some_and(|(c, _)| c == "387713003");
    let mut f = Fields::new();
    f.text("code", code.map(|(_, c, _)| c))
        .text("code_system", code.map(|(sys, _, _)| system_name(sys)))
        .text("description", cc_text(&j["code"]))
        .text("date", date(when(j, "performed")))
        .bool("surgical", surgical.then_some(true))
        .text(
            "status",
            match status {
                Some("completed" | "in-progress") => Some("completed"),
                Some("preparation" | "on-hold") => Some("planned"),
                Some("not-done" | "stopped") => Some("not-done"),
                _ => None,
            },
        )
        .text(
            "performer",
            j["performer"]
                .as_array()
                .and_then(|p| p.iter().find_map(|x| scope.display(&x["actor"]))),
        )
        .text("note", notes(j));
    one(&entities::PROCEDURE, f.done(), in_error(status))
}

fn family_history(j: &Json) -> Mapped {
    let relative = cc_text(&j["relationship"]);
    let status = s(j, "status");
    let conditions = j["condition"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (n, c) in conditions.iter().enumerate().take(PARTS.len()) {
        let mut f = Fields::new();
        f.text("relative", relative.clone())
            .text("condition", cc_text(&c["code"]))
            .text("code", code_in(&c["code"], ICD10CM).map(|(c, _)| c))
            .int(
                "onset_age",
                c["onsetAge"]["value"].as_f64().map(|a| a as i64),
            )
            .bool(
                "deceased",
                j["deceasedBoolean"]
                    .as_bool()
                    .or(c["contributedToDeath"].as_bool()),
            )
            .text("note", notes(j).or_else(|| notes(c)));
        out.push(Planned {
            def: &entities::FAMILY_HISTORY,
            part: PARTS[n],
            fields: f.done(),
            retract: in_error(status),
            record_id: None,
            sign_at: None,
        });
    }
    Mapped::Records(out)
}

fn coverage(j: &Json, scope: &Scope) -> Mapped {
    let payer = j["payor"]
        .as_array()
        .and_then(|p| p.iter().find_map(|x| scope.display(x)));
    let member = s(j, "subscriberId").map(str::to_string).or_else(|| {
        j["identifier"]
            .as_array()?
            .iter()
            .find_map(|i| s(i, "value"))
            .map(str::to_string)
    });
    let group = j["class"].as_array().and_then(|c| {
        c.iter()
            .find(|x| x["type"]["coding"][0]["code"] == "group")
            .and_then(|x| s(x, "value"))
    });
    let status = s(j, "status");
    let mut f = Fields::new();
    f.text("payer", payer)
        .text("member_id", member)
        .text("group_number", group)
        .text("subscriber", scope.display(&j["subscriber"]))
        .text(
            "relation",
            match j["relationship"]["coding"][0]["code"].as_str() {
                Some(r @ ("self" | "spouse" | "child")) => Some(r),
                Some(_) => Some("other"),
                None => None,
            },
        )
        .int("priority", j["order"].as_i64())
        .text("start_date", date(s(&j["period"], "start")))
        .text("end_date", date(s(&j["period"], "end")))
        .text(
            "status",
            match status {
                Some("active") => Some("active"),
                Some("cancelled" | "draft") => Some("inactive"),
                _ => None,
            },
        );
    one(&entities::COVERAGE, f.done(), in_error(status))
}

/// A clinical note (plain text) becomes a note, signed when the source says final; a PDF
/// or an image becomes a document; anything else is kept verbatim.
fn document(j: &Json, scope: &Scope) -> Mapped {
    if j["relatesTo"].as_array().is_some_and(|r| !r.is_empty()) {
        // An amendment or addendum of a note: kept as it is, beside the note.
        return verbatim(j);
    }
    let Some(att) = j["content"]
        .as_array()
        .and_then(|c| c.first())
        .map(|c| &c["attachment"])
    else {
        return verbatim(j);
    };
    let Some(data) = s(att, "data") else {
        return verbatim(j);
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
        return verbatim(j);
    };
    let status = s(j, "status");
    let retract = in_error(status);
    let mime = s(att, "contentType").unwrap_or_default();
    let title = s(j, "description").or(s(att, "title")).map(str::to_string);
    if mime.starts_with("text/plain") {
        let Ok(text) = String::from_utf8(bytes) else {
            return verbatim(j);
        };
        let mut f = Fields::new();
        let soap = code_in(&j["type"], LOINC).is_some_and(|(c, _)| c == "11506-3");
        match soap.then(|| soap_sections(&text)).flatten() {
            Some(sections) => {
                f.text("kind", Some("soap"));
                for (k, v) in sections {
                    f.text(k, Some(v));
                }
            }
            None => {
                f.text("kind", Some("free")).text("text", Some(text));
            }
        }
        f.text("title", title).text(
            "encounter",
            j["context"]["encounter"]
                .as_array()
                .and_then(|e| e.iter().find_map(|r| scope.encounter_of(r))),
        );
        let sign_at = (s(j, "docStatus") == Some("final"))
            .then(|| datetime(s(j, "date")))
            .flatten();
        return Mapped::Records(vec![Planned {
            def: &entities::NOTE,
            part: "",
            fields: f.done(),
            retract,
            record_id: None,
            sign_at,
        }]);
    }
    let mut f = Fields::new();
    f.text("title", title)
        .text("kind", cc_text(&j["type"]))
        .text("date", date(s(att, "creation").or(s(j, "date"))));
    f.0.push(("content".into(), Value::Bytes(bytes)));
    one(&entities::DOCUMENT, f.done(), retract)
}

/// The four sections of a SOAP note written by `resources::note_text`, when the text is
/// exactly that shape.
fn soap_sections(text: &str) -> Option<Vec<(&'static str, String)>> {
    const HEADINGS: [(&str, &str); 4] = [
        ("Subjective", "subjective"),
        ("Objective", "objective"),
        ("Assessment", "assessment"),
        ("Plan", "plan"),
    ];
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for block in text.split("\n\n") {
        let (head, body) = block.split_once('\n').unwrap_or((block, ""));
        match HEADINGS.iter().find(|(h, _)| *h == head) {
            Some((_, key)) if !out.iter().any(|(k, _)| k == key) => {
                out.push((key, body.to_string()))
            }
            _ => match out.last_mut() {
                Some((_, b)) => {
                    b.push_str("\n\n");
                    b.push_str(block);
                }
                None => return None,
            },
        }
    }
    Some(out)
}

fn order(j: &Json) -> Mapped {
    let status = s(j, "status");
    let kind = j["category"].as_array().and_then(|c| {
        c.iter().find_map(|x| {
            code_in(x, SNOMED).and_then(|(code, _)| match code {
                "108252007" => Some("lab"),
                "363679005" => Some("imaging"),
                "3457005" => Some("referral"),
                _ => None,
            })
        })
    });
    let Some(kind) = kind else { return verbatim(j) };
    let Some(description) = cc_text(&j["code"]) else {
        return verbatim(j);
    };
    let mut f = Fields::new();
    f.text("kind", Some(kind))
        .text("code", code_in(&j["code"], LOINC).map(|(c, _)| c))
        .text("description", Some(description))
        .text("reason", first_text(&j["reasonCode"]))
        .text("ordered_at", datetime(s(j, "authoredOn")))
        .text(
            "status",
            match status {
                Some("active" | "draft" | "on-hold") => Some("ordered"),
                Some("completed") => Some("completed"),
                Some("revoked") => Some("cancelled"),
                _ => None,
            },
        );
    if let Some(result) = j["note"].as_array().and_then(|n| {
        n.iter()
            .find_map(|x| s(x, "text")?.strip_prefix("Result: "))
    }) {
        f.text("result_summary", Some(result))
            .text("result_at", datetime(s(&j["note"][0], "time")));
    }
    one(&entities::ORDER, f.done(), in_error(status))
}

/// A Patient resource as the chart's patient fields (the MRN aside: see `patient.rs`).
pub fn patient(j: &Json) -> Vec<(String, Value)> {
    let names = j["name"].as_array().cloned().unwrap_or_default();
    let official = names
        .iter()
        .find(|n| n["use"] == "official")
        .or_else(|| {
            names
                .iter()
                .find(|n| n["use"] != "usual" && n["use"] != "nickname")
        })
        .or(names.first());
    let preferred = names
        .iter()
        .find(|n| (n["use"] == "usual" || n["use"] == "nickname") && Some(*n) != official)
        .and_then(|n| n["given"][0].as_str());
    let given: Vec<Json> = official
        .and_then(|n| n["given"].as_array())
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter(|g| !g.trim().is_empty())
        .map(|g| json!(g))
        .collect();
    let family = official
        .and_then(|n| s(n, "family").map(str::to_string))
        .or_else(|| official.and_then(|n| s(n, "text")).map(str::to_string));
    let phones: Vec<Json> = j["telecom"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["system"] == "phone" || t["system"] == "sms")
        .filter_map(|t| s(t, "value"))
        .map(|v| json!(v))
        .collect();
    let email = j["telecom"]
        .as_array()
        .and_then(|t| t.iter().find(|x| x["system"] == "email"))
        .and_then(|x| s(x, "value"));
    let address = j["address"].as_array().and_then(|a| a.first()).map(|a| {
        let mut m = Map::new();
        if let Some(l) = a["line"].as_array().filter(|l| !l.is_empty()) {
            m.insert("line".into(), Json::Array(l.clone()));
        }
        for (from, to) in [
            ("city", "city"),
            ("state", "state"),
            ("postalCode", "postal_code"),
            ("country", "country"),
        ] {
            if let Some(v) = s(a, from) {
                m.insert(to.into(), json!(v));
            }
        }
        Json::Object(m)
    });
    let identifiers: Vec<Json> = j["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["system"] != super::super::MRN_SYSTEM)
        .filter_map(|i| {
            let value = s(i, "value")?;
            let system = s(i, "system")
                .map(str::to_string)
                .or_else(|| cc_text(&i["type"]))
                .unwrap_or_default();
            Some(json!({"system": system, "value": value}))
        })
        .collect();
    let language = j["communication"].as_array().and_then(|c| {
        c.iter()
            .find(|x| x["preferred"] == true)
            .or(c.first())
            .and_then(|x| first_code(&x["language"]).map(|(_, c, _)| c.to_string()))
    });
    let deceased = s(j, "deceasedDateTime").and_then(|d| date(Some(d)));
    let contact = j["contact"].as_array().and_then(|c| c.first()).map(|c| {
        let mut m = Map::new();
        if let Some(n) = s(&c["name"], "text").map(str::to_string).or_else(|| {
            let n = &c["name"];
            let parts: Vec<&str> = n["given"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .chain(s(n, "family"))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }) {
            m.insert("name".into(), json!(n));
        }
        if let Some(r) = first_text(&c["relationship"]) {
            m.insert("relation".into(), json!(r));
        }
        if let Some(p) = c["telecom"]
            .as_array()
            .and_then(|t| t.iter().find(|x| x["system"] == "phone"))
            .and_then(|x| s(x, "value"))
        {
            m.insert("phone".into(), json!(p));
        }
        Json::Object(m)
    });
    let mut f = Fields::new();
    f.text("family", family)
        .json("given", Json::Array(given))
        .text("preferred", preferred)
        .text("birth_date", date(s(j, "birthDate")))
        .text(
            "sex",
            Some(
                s(j, "gender")
                    .filter(|g| matches!(*g, "female" | "male" | "other"))
                    .unwrap_or("unknown"),
            ),
        )
        .json("identifiers", Json::Array(identifiers))
        .json("phones", Json::Array(phones))
        .text("email", email)
        .json(
            "address",
            address
                .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
                .unwrap_or(Json::Null),
        )
        .text("language", language)
        .json(
            "emergency_contact",
            contact
                .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()))
                .unwrap_or(Json::Null),
        );
    match deceased {
        Some(d) => {
            f.text("status", Some("deceased"))
                .text("deceased_date", Some(d));
        }
        None if j["active"] == false => {
            f.text("status", Some("inactive"));
        }
        None => {}
    }
    f.done()
}

/// A Practitioner's, an Organization's or a Location's name as records show it.
pub fn name_of(j: &Json) -> Option<String> {
    if let Some(n) = s(j, "name") {
        return Some(n.to_string());
    }
    let n = j["name"].as_array()?.first()?;
    if let Some(t) = s(n, "text") {
        return Some(t.to_string());
    }
    let parts: Vec<&str> = ["prefix", "given"]
        .iter()
        .flat_map(|k| {
            n[*k]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
        })
        .chain(s(n, "family"))
        .chain(
            n["suffix"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str),
        )
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
