//! The HL7 v3 data types a C-CDA document uses (TS, CD, PQ, IVL), read from the XML and
//! written as their FHIR R4 counterparts, which the FHIR import then maps onto the chart.

use roxmltree::Node;
use serde_json::{json, Map, Value as Json};

use crate::interop::fhir::{CPT, CVX, ICD10CM, LOINC, RXNORM, SNOMED, UCUM};

/// The CDA namespace every element of a clinical document is in.
pub const V3: &str = "urn:hl7-org:v3";
/// The XML Schema instance namespace (`xsi:type`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The element children of `n` with this local name, in the CDA namespace.
pub fn kids<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name && in_v3(*c))
}

/// The first element child of `n` with this local name.
pub fn kid<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    kids(n, name).next()
}

/// Follows a chain of child names from `n`, taking the first match at each step.
pub fn at<'a, 'i>(n: Node<'a, 'i>, path: &[&'static str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(n, |n, name| kid(n, name))
}

fn in_v3(n: Node) -> bool {
    // Elements with no namespace are read too: some senders leave the default namespace off.
    matches!(n.tag_name().namespace(), Some(V3) | None)
}

/// Whether the element declares this template (by root; a version's extension may differ).
pub fn has_template(n: Node, root: &str) -> bool {
    kids(n, "templateId").any(|t| t.attribute("root") == Some(root))
}

/// The local name of the element's `xsi:type` (`PQ`, `CD`, `ST`, ...).
pub fn xsi_type<'a>(n: Node<'a, '_>) -> Option<&'a str> {
    let t = n.attribute((XSI, "type"))?;
    Some(t.rsplit(':').next().unwrap_or(t))
}

/// The element's text, with runs of white space made one space.
pub fn text_of(n: Node) -> Option<String> {
    let mut s = String::new();
    for d in n.descendants().filter(|d| d.is_text()) {
        s.push_str(d.text().unwrap_or_default());
        s.push(' ');
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// The FHIR code system URI of an HL7 OID, for the code systems a chart uses; others stay
/// as `urn:oid:` URIs, which FHIR allows.
pub fn system_uri(oid: &str) -> String {
    match oid {
        "2.16.840.1.113883.6.96" => SNOMED.into(),
        "2.16.840.1.113883.6.1" => LOINC.into(),
        "2.16.840.1.113883.6.88" => RXNORM.into(),
        "2.16.840.1.113883.12.292" => CVX.into(),
        "2.16.840.1.113883.6.90" => ICD10CM.into(),
        "2.16.840.1.113883.6.103" => "http://hl7.org/fhir/sid/icd-9-cm".into(),
        "2.16.840.1.113883.6.12" => CPT.into(),
        "2.16.840.1.113883.6.8" => UCUM.into(),
        "2.16.840.1.113883.4.9" => "http://fdasis.nlm.nih.gov".into(),
        "2.16.840.1.113883.6.69" => "http://hl7.org/fhir/sid/ndc".into(),
        "2.16.840.1.113883.6.285" => "urn:oid:2.16.840.1.113883.6.285".into(),
        "2.16.840.1.113883.4.1" => "http://hl7.org/fhir/sid/us-ssn".into(),
        "2.16.840.1.113883.4.6" => "http://hl7.org/fhir/sid/us-npi".into(),
        _ => format!("urn:oid:{oid}"),
    }
}

/// Text a coded element refers to: its `originalText`, directly or through a
/// `<reference value="#id"/>` into the section's narrative.
pub fn original_text(n: Node, narrative: &Narrative) -> Option<String> {
    let ot = kid(n, "originalText")?;
    if let Some(r) = kid(ot, "reference").and_then(|r| r.attribute("value")) {
        if let Some(t) = narrative.get(r) {
            return Some(t);
        }
    }
    text_of(ot).filter(|t| !t.is_empty())
}

/// A CD (CE, CV, CO) as a CodeableConcept: the code itself and every translation as
/// codings, the displayName or the original text as the text. None when it holds neither
/// a code nor a text (a bare nullFlavor).
pub fn concept(n: Node, narrative: &Narrative) -> Option<Json> {
    let mut codings = Vec::new();
    for c in std::iter::once(n).chain(kids(n, "translation")) {
        if let (Some(code), Some(sys)) = (c.attribute("code"), c.attribute("codeSystem")) {
            let mut m = Map::new();
            m.insert("system".into(), json!(system_uri(sys)));
            m.insert("code".into(), json!(code.trim()));
            if let Some(d) = c
                .attribute("displayName")
                .map(clean)
                .filter(|d| !d.is_empty())
            {
                m.insert("display".into(), json!(d));
            }
            codings.push(Json::Object(m));
        }
    }
    let text = n
        .attribute("displayName")
        .map(clean)
        .filter(|d| !d.is_empty())
        .or_else(|| original_text(n, narrative));
    if codings.is_empty() && text.is_none() {
        return None;
    }
    let mut cc = Map::new();
    if !codings.is_empty() {
        cc.insert("coding".into(), Json::Array(codings));
    }
    if let Some(t) = text {
        cc.insert("text".into(), json!(t));
    }
    Some(Json::Object(cc))
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The section's narrative elements by their ID, as text, for `<reference value="#x"/>`.
#[derive(Default)]
pub struct Narrative(std::collections::HashMap<String, String>);

impl Narrative {
    pub fn of(section: Node) -> Narrative {
        let mut m = std::collections::HashMap::new();
        if let Some(text) = kid(section, "text") {
            for d in text.descendants().filter(|d| d.is_element()) {
                if let (Some(id), Some(t)) = (d.attribute("ID"), text_of(d)) {
                    m.insert(id.to_string(), t);
                }
            }
        }
        Narrative(m)
    }

    pub fn get(&self, reference: &str) -> Option<String> {
        self.0.get(reference.trim_start_matches('#')).cloned()
    }
}

/// Why a TS value cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub struct BadTime(pub String);

/// An HL7 TS (`YYYY[MM[DD[HHMM[SS[.S]]]]][+-ZZZZ]`) as a FHIR date or dateTime. A time with
/// no zone of its own takes `zone`, the document's: CDA says such a time is local to the
/// sender. Without either, the time is written without a zone, for the import's zone check to
/// refuse with its place.
pub fn timestamp(value: &str, zone: Option<&str>) -> Result<String, BadTime> {
    let bad = || {
        BadTime(format!(
            "'{value}' is not an HL7 time stamp (YYYYMMDDHHMMSS, e.g. 20130815103000-0800)"
        ))
    };
    let v = value.trim();
    let (body, own_zone) = match v.find(['+', '-']) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let (digits, fraction) = match body.split_once('.') {
        Some((d, f)) => (d, Some(f)),
        None => (body, None),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit())
        || !matches!(digits.len(), 4 | 6 | 8 | 10 | 12 | 14)
        || fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
        || (fraction.is_some() && digits.len() != 14)
    {
        return Err(bad());
    }
    let offset = |z: &str| -> Result<String, BadTime> {
        let (sign, hm) = z.split_at(1);
        if hm.len() != 4 || !hm.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(format!("{sign}{}:{}", &hm[..2], &hm[2..]))
    };
    let num = |r: std::ops::Range<usize>| digits[r].parse::<u32>().unwrap_or(99);
    let mut out = digits[..4].to_string();
    if digits.len() >= 6 {
        if !(1..=12).contains(&num(4..6)) {
            return Err(bad());
        }
        out.push('-');
        out.push_str(&digits[4..6]);
    }
    if digits.len() >= 8 {
        if !(1..=31).contains(&num(6..8)) {
            return Err(bad());
        }
        out.push('-');
        out.push_str(&digits[6..8]);
    }
    if digits.len() >= 10 {
        let (h, m) = (num(8..10), if digits.len() >= 12 { num(10..12) } else { 0 });
        let sec = if digits.len() >= 14 { num(12..14) } else { 0 };
        if h > 23 || m > 59 || sec > 60 {
            return Err(bad());
        }
        out.push_str(&format!("T{h:02}:{m:02}:{sec:02}"));
        if let Some(f) = fraction {
            out.push('.');
            out.push_str(f);
        }
        if let Some(z) = own_zone.or(zone) {
            out.push_str(&offset(z)?);
        }
    } else if let Some(z) = own_zone {
        // A date's zone says nothing a date can hold; it is still checked.
        offset(z)?;
    }
    Ok(out)
}

/// The zone part (`-0800`) of a TS value, when it has one.
pub fn zone_of(value: &str) -> Option<&str> {
    let v = value.trim();
    v.find(['+', '-']).map(|i| &v[i..])
}

/// A PQ as a FHIR Quantity (UCUM when it has a unit other than "1").
pub fn quantity(n: Node) -> Option<Json> {
    let value: f64 = n.attribute("value")?.trim().parse().ok()?;
    let mut q = Map::new();
    q.insert("value".into(), number(value));
    if let Some(u) = n
        .attribute("unit")
        .map(str::trim)
        .filter(|u| !u.is_empty() && *u != "1")
    {
        q.insert("unit".into(), json!(u));
        q.insert("system".into(), json!(UCUM));
        q.insert("code".into(), json!(u));
    }
    Some(Json::Object(q))
}

/// A number as JSON, an integer when it is one (so `5` stays `5`, not `5.0`).
pub fn number(v: f64) -> Json {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_stamps_become_fhir_dates_and_times() {
        assert_eq!(timestamp("2013", None).unwrap(), "2013");
        assert_eq!(timestamp("201308", None).unwrap(), "2013-08");
        assert_eq!(timestamp("20130815", None).unwrap(), "2013-08-15");
        assert_eq!(timestamp("20130815-0800", None).unwrap(), "2013-08-15");
        assert_eq!(
            timestamp("201308151030-0800", None).unwrap(),
            "2013-08-15T10:30:00-08:00"
        );
        assert_eq!(
            timestamp("20130815103012.25+0130", None).unwrap(),
            "2013-08-15T10:30:12.25+01:30"
        );
        // The document's zone for a time without one; none at all leaves it for the check.
        assert_eq!(
            timestamp("2013081510", Some("-0500")).unwrap(),
            "2013-08-15T10:00:00-05:00"
        );
        assert_eq!(
            timestamp("20130815103000", None).unwrap(),
            "2013-08-15T10:30:00"
        );
        for bad in [
            "2013-08-15",
            "201",
            "20131315",
            "2013081525",
            "20130815-08",
            "x",
        ] {
            assert!(timestamp(bad, None).is_err(), "{bad}");
        }
    }
}
