//! C-CDA R2.1 documents that patients bring (a Continuity of Care Document, a referral or a
//! discharge summary): read into the FHIR R4 resources the FHIR import already maps, so a
//! document goes through the same patient matching, review, one-commit-per-patient and
//! idempotency rules as any other record that arrives, and nothing here writes on its own.
//!
//! Read: the patient (recordTarget), and every entry of the problem, allergy, medication,
//! immunization, result, vital sign, procedure and smoking status sections (by their
//! templateId roots, whatever version's extension). The document itself is kept whole as an
//! attached document (a DocumentReference holding the XML), so what is not read into
//! entries (other sections, the narrative) is still in the chart as it arrived.
//!
//! Each resource gets an id made from its entry's CDA id (root and extension), so the same
//! entry read again (the same document, or a later one from the same sender) is the same
//! record; an entry without an id gets one from the document's id and its place in it.

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use roxmltree::{Document, Node};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use crate::interop::fhir::import::read::Resource;
use crate::interop::fhir::import::Problem;
use crate::interop::fhir::{BCP47, LOINC};

pub mod datatypes;
mod sections;

use datatypes::{at, kid, kids, system_uri, text_of, timestamp, zone_of, V3};

/// The namespace of ids made from CDA entry ids (a fixed, random UUID: only its stability
/// matters).
const ID_SPACE: Uuid = Uuid::from_u128(0x6b1f_3a0e_9f3c_4f64_a1b2_8d0c_2c1e_77a5);

/// Whether a file is a CDA document rather than FHIR: XML whose root is `ClinicalDocument`.
pub fn is_document(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('<') && t[..t.len().min(4096)].contains("ClinicalDocument")
}

/// The FHIR resources a CDA document holds: its patient, the entries of the sections read,
/// and the document itself. Nothing is written here; a problem names the file and the
/// place in the XML.
pub fn resources(name: &str, text: &str) -> Result<Vec<Resource>, Problem> {
    let file: Arc<str> = Arc::from(name);
    let whole = |path: &str, message: String| Problem {
        file: name.to_string(),
        resource: "ClinicalDocument".into(),
        path: path.to_string(),
        message,
    };
    let opts = roxmltree::ParsingOptions {
        // No DTDs: a clinical document has none, and entities are how XML attacks work.
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text.trim_start_matches('\u{feff}'), opts)
        .map_err(|e| whole("", format!("malformed XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "ClinicalDocument" || root.tag_name().namespace() != Some(V3) {
        return Err(whole(
            "",
            format!(
                "the root element is '{}', not an HL7 CDA ClinicalDocument (urn:hl7-org:v3); FHIR XML is not read, use FHIR JSON",
                root.tag_name().name()
            ),
        ));
    }
    let targets: Vec<Node> = kids(root, "recordTarget").collect();
    let role = match targets.as_slice() {
        [one] => kid(*one, "patientRole"),
        [] => None,
        many => {
            return Err(whole(
                "/ClinicalDocument/recordTarget",
                format!(
                    "the document is about {} patients; a document imported into a chart names one (recordTarget)",
                    many.len()
                ),
            ))
        }
    };
    let Some(role) = role else {
        return Err(whole(
            "/ClinicalDocument",
            "the document names no patient (recordTarget/patientRole)".into(),
        ));
    };
    let effective = kid(root, "effectiveTime").and_then(|e| e.attribute("value"));
    let doc_id = kid(root, "id").and_then(ii).unwrap_or_else(|| {
        // No document id: its content stands for it, so the same file read twice is still
        // the same document.
        let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        hex::encode(&d.as_ref()[..16])
    });
    let mut r = Reader {
        file,
        name: name.to_string(),
        zone: effective.and_then(zone_of).map(str::to_string),
        doc_id,
        patient: String::new(),
        used: HashSet::new(),
        out: Vec::new(),
    };
    let patient_id = r.id_for("Patient", role);
    r.patient = format!("Patient/{patient_id}");
    let patient = r.patient_resource(role, &patient_id)?;
    r.push(role, patient);
    if let Some(body) = at(root, &["component", "structuredBody"]) {
        for section in body.descendants().filter(|n| {
            n.is_element()
                && n.tag_name().name() == "section"
                && n.tag_name().namespace() == Some(V3)
        }) {
            sections::read(&mut r, section)?;
        }
    }
    let document = r.document_resource(root, text)?;
    r.push(root, document);
    Ok(r.out)
}

/// `root|extension` of an II, or None for a nullFlavor or an id with no root.
fn ii(n: Node) -> Option<String> {
    let root = n.attribute("root")?.trim();
    if root.is_empty() || n.attribute("nullFlavor").is_some() {
        return None;
    }
    Some(match n.attribute("extension").map(str::trim) {
        Some(e) if !e.is_empty() => format!("{root}|{e}"),
        _ => root.to_string(),
    })
}

/// Where an element is in the document, as an XPath a person can follow
/// (`/ClinicalDocument/component/structuredBody/component[3]/section/entry[2]/act`).
pub fn location(n: Node) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(n);
    while let Some(e) = cur.filter(|e| e.is_element()) {
        let name = e.tag_name().name();
        let same = |s: &Node| s.is_element() && s.tag_name().name() == name;
        let siblings = e
            .parent()
            .map(|p| p.children().filter(same).count())
            .unwrap_or(1);
        if siblings > 1 {
            let k = e.prev_siblings().filter(same).count();
            parts.push(format!("{name}[{k}]"));
        } else {
            parts.push(name.to_string());
        }
        cur = e.parent();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// Builds the resources of one document.
pub(crate) struct Reader {
    file: Arc<str>,
    name: String,
    /// The zone of the document's own time, for times that give none.
    zone: Option<String>,
    doc_id: String,
    /// `Patient/id`, for every resource's subject.
    patient: String,
    used: HashSet<String>,
    out: Vec<Resource>,
}

impl Reader {
    /// A stable id for the resource made from `n`: from the element's own CDA id when it
    /// has one not used yet in this document, else from the document and the place.
    pub(crate) fn id_for(&mut self, kind: &str, n: Node) -> String {
        let own = kids(n, "id").find_map(ii).map(|i| format!("{kind}|{i}"));
        let key = match own {
            Some(k) if !self.used.contains(&k) => k,
            _ => format!("{kind}|{}|{}", self.doc_id, location(n)),
        };
        self.used.insert(key.clone());
        Uuid::new_v5(&ID_SPACE, key.as_bytes()).to_string()
    }

    pub(crate) fn push(&mut self, n: Node, json: Json) {
        self.out.push(Resource {
            json,
            file: self.file.clone(),
            path: location(n),
            full_url: None,
        });
    }

    pub(crate) fn subject(&self) -> Json {
        json!({ "reference": self.patient })
    }

    /// A TS attribute as a FHIR date or dateTime, or the problem with its place.
    pub(crate) fn time(&self, n: Node) -> Result<Option<String>, Problem> {
        let Some(v) = n.attribute("value") else {
            return Ok(None);
        };
        timestamp(v, self.zone.as_deref())
            .map(Some)
            .map_err(|e| self.problem(n, e.0))
    }

    /// An element's effectiveTime (or another IVL_TS-shaped child) as (start or moment,
    /// end): `@value`, else `low` and `high`.
    pub(crate) fn interval(
        &self,
        t: Option<Node>,
    ) -> Result<(Option<String>, Option<String>), Problem> {
        let Some(t) = t else { return Ok((None, None)) };
        if t.attribute("value").is_some() {
            return Ok((self.time(t)?, None));
        }
        let low = match kid(t, "low") {
            Some(l) => self.time(l)?,
            None => match kid(t, "center") {
                Some(c) => self.time(c)?,
                None => None,
            },
        };
        let high = match kid(t, "high") {
            Some(h) => self.time(h)?,
            None => None,
        };
        Ok((low, high))
    }

    pub(crate) fn problem(&self, n: Node, message: impl Into<String>) -> Problem {
        Problem {
            file: self.name.clone(),
            resource: n.tag_name().name().to_string(),
            path: location(n),
            message: message.into(),
        }
    }

    fn patient_resource(&mut self, role: Node, id: &str) -> Result<Json, Problem> {
        let p = kid(role, "patient");
        let mut j = json!({ "resourceType": "Patient", "id": id });
        let identifiers: Vec<Json> = kids(role, "id")
            .filter(|i| i.attribute("nullFlavor").is_none())
            .filter_map(|i| {
                let value = i.attribute("extension").filter(|e| !e.trim().is_empty())?;
                Some(json!({
                    "system": system_uri(i.attribute("root")?),
                    "value": value.trim(),
                }))
            })
            .collect();
        if !identifiers.is_empty() {
            j["identifier"] = Json::Array(identifiers);
        }
        let Some(p) = p else {
            return Err(self.problem(
                role,
                "the patient has no name or details (patientRole/patient)",
            ));
        };
        let names: Vec<Json> = kids(p, "name").filter_map(name).collect();
        if !names.is_empty() {
            j["name"] = Json::Array(names);
        }
        if let Some(g) = kid(p, "administrativeGenderCode").and_then(|g| g.attribute("code")) {
            j["gender"] = json!(match g {
                "F" => "female",
                "M" => "male",
                "UN" => "other",
                _ => "unknown",
            });
        }
        if let Some(b) = kid(p, "birthTime") {
            if let Some(t) = self.time(b)? {
                j["birthDate"] = json!(&t[..t.len().min(10)]);
            }
        }
        let deceased = p
            .children()
            .find(|c| c.tag_name().name() == "deceasedInd" && c.attribute("value") == Some("true"));
        if let Some(t) = p.children().find(|c| c.tag_name().name() == "deceasedTime") {
            if let Some(t) = self.time(t)? {
                j["deceasedDateTime"] = json!(t);
            }
        } else if deceased.is_some() {
            j["deceasedBoolean"] = json!(true);
        }
        let telecom: Vec<Json> = kids(role, "telecom").filter_map(telecom).collect();
        if !telecom.is_empty() {
            j["telecom"] = Json::Array(telecom);
        }
        let addresses: Vec<Json> = kids(role, "addr").filter_map(address).collect();
        if !addresses.is_empty() {
            j["address"] = Json::Array(addresses);
        }
        let languages: Vec<Json> = kids(p, "languageCommunication")
            .filter_map(|l| {
                let code = language(kid(l, "languageCode")?.attribute("code")?);
                let preferred = kid(l, "preferenceInd").and_then(|x| x.attribute("value"));
                let mut c =
                    json!({ "language": { "coding": [{ "system": BCP47, "code": code }] } });
                if let Some(v) = preferred {
                    c["preferred"] = json!(v == "true");
                }
                Some(c)
            })
            .collect();
        if !languages.is_empty() {
            j["communication"] = Json::Array(languages);
        }
        Ok(j)
    }

    fn document_resource(&mut self, root: Node, text: &str) -> Result<Json, Problem> {
        let id = self.id_for("DocumentReference", root);
        let title = kid(root, "title").and_then(text_of);
        let date = match kid(root, "effectiveTime") {
            Some(t) => self.time(t)?,
            None => None,
        };
        let mut j = json!({
            "resourceType": "DocumentReference",
            "id": id,
            "status": "current",
            "subject": self.subject(),
            "content": [{ "attachment": {
                "contentType": "text/xml",
                "data": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
            }}],
        });
        if let Some(i) = kid(root, "id").filter(|i| i.attribute("nullFlavor").is_none()) {
            if let Some(r) = i.attribute("root") {
                j["masterIdentifier"] = match i.attribute("extension") {
                    Some(e) => json!({ "system": system_uri(r), "value": e }),
                    None => {
                        json!({ "system": "urn:ietf:rfc:3986", "value": format!("urn:oid:{r}") })
                    }
                };
            }
        }
        if let Some(code) = kid(root, "code").and_then(|c| {
            let code = c.attribute("code")?;
            let mut coding = json!({ "system": system_uri(c.attribute("codeSystem").unwrap_or("2.16.840.1.113883.6.1")), "code": code });
            if let Some(d) = c.attribute("displayName") {
                coding["display"] = json!(d);
            }
            Some(coding)
        }) {
            j["type"] = json!({ "coding": [code] });
        } else {
            j["type"] = json!({ "coding": [{ "system": LOINC, "code": "34133-9" }] });
        }
        // DocumentReference.date is an instant: a date alone, or a time without a zone,
        // does not go there; the attachment's creation takes any dateTime.
        if let Some(d) = &date {
            if d.len() > 10 && (d.ends_with('Z') || d[19..].contains(['+', '-'])) {
                j["date"] = json!(d);
            }
            j["content"][0]["attachment"]["creation"] = json!(d);
        }
        if let Some(t) = title {
            j["description"] = json!(t);
            j["content"][0]["attachment"]["title"] = json!(t);
        }
        Ok(j)
    }
}

/// A language code as BCP 47 wants it: CDA senders often give ISO 639-2's three letters
/// (`ita`) where BCP 47 uses ISO 639-1's two (`it`).
fn language(code: &str) -> &str {
    let (lang, rest) = code.split_once('-').unwrap_or((code, ""));
    let two = match lang.to_ascii_lowercase().as_str() {
        "eng" => "en",
        "spa" => "es",
        "ita" => "it",
        "fra" | "fre" => "fr",
        "deu" | "ger" => "de",
        "por" => "pt",
        "zho" | "chi" => "zh",
        "vie" => "vi",
        "kor" => "ko",
        "rus" => "ru",
        "ara" => "ar",
        "tgl" => "tl",
        "hin" => "hi",
        "jpn" => "ja",
        "pol" => "pl",
        "nld" | "dut" => "nl",
        _ => return code,
    };
    if rest.is_empty() {
        two
    } else {
        // A region after a three-letter code is rare; keep the code as given.
        code
    }
}

/// A PN as a HumanName; None when it has no parts.
fn name(n: Node) -> Option<Json> {
    let given: Vec<String> = kids(n, "given")
        .filter(|g| g.attribute("qualifier") != Some("CL"))
        .filter_map(text_of)
        .collect();
    let family = kid(n, "family").and_then(text_of);
    let whole = if given.is_empty() && family.is_none() {
        text_of(n)
    } else {
        None
    };
    if given.is_empty() && family.is_none() && whole.is_none() {
        return None;
    }
    let mut h = json!({});
    if let Some(u) = n.attribute("use") {
        let u = match u.split_whitespace().next().unwrap_or_default() {
            "L" | "C" => Some("official"),
            "P" | "A" => Some("nickname"),
            "ASGN" => Some("usual"),
            "OR" => Some("official"),
            _ => None,
        };
        if let Some(u) = u {
            h["use"] = json!(u);
        }
    }
    if let Some(f) = family {
        h["family"] = json!(f);
    }
    if !given.is_empty() {
        h["given"] = json!(given);
    }
    if let Some(t) = whole {
        h["text"] = json!(t);
    }
    let prefix: Vec<String> = kids(n, "prefix").filter_map(text_of).collect();
    if !prefix.is_empty() {
        h["prefix"] = json!(prefix);
    }
    let suffix: Vec<String> = kids(n, "suffix").filter_map(text_of).collect();
    if !suffix.is_empty() {
        h["suffix"] = json!(suffix);
    }
    Some(h)
}

fn telecom(t: Node) -> Option<Json> {
    let v = t.attribute("value")?.trim();
    let (system, value) = if let Some(x) = v.strip_prefix("tel:") {
        ("phone", x.trim())
    } else if let Some(x) = v.strip_prefix("mailto:") {
        ("email", x.trim())
    } else if let Some(x) = v.strip_prefix("fax:") {
        ("fax", x.trim())
    } else if v.starts_with("http") {
        ("url", v)
    } else {
        ("other", v)
    };
    if value.is_empty() {
        return None;
    }
    let mut j = json!({ "system": system, "value": value });
    if let Some(u) = t.attribute("use") {
        if let Some(u) = match u.split_whitespace().next().unwrap_or_default() {
            "HP" | "H" | "HV" => Some("home"),
            "WP" | "DIR" | "PUB" => Some("work"),
            "MC" | "PG" => Some("mobile"),
            "TMP" => Some("temp"),
            _ => None,
        } {
            j["use"] = json!(u);
        }
    }
    Some(j)
}

fn address(a: Node) -> Option<Json> {
    if a.attribute("nullFlavor").is_some() {
        return None;
    }
    let lines: Vec<String> = kids(a, "streetAddressLine").filter_map(text_of).collect();
    let mut j = json!({});
    if !lines.is_empty() {
        j["line"] = json!(lines);
    }
    for (from, to) in [
        ("city", "city"),
        ("state", "state"),
        ("postalCode", "postalCode"),
        ("country", "country"),
    ] {
        if let Some(v) = kid(a, from).and_then(text_of) {
            j[to] = json!(v);
        }
    }
    if let Some(u) = a.attribute("use") {
        if let Some(u) = match u.split_whitespace().next().unwrap_or_default() {
            "HP" | "H" => Some("home"),
            "WP" => Some("work"),
            "TMP" => Some("temp"),
            "OLD" | "BAD" => Some("old"),
            _ => None,
        } {
            j["use"] = json!(u);
        }
    }
    (j.as_object().is_some_and(|m| m.keys().any(|k| k != "use"))).then_some(j)
}
