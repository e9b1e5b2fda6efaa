"""Reads one C-CDA R2.1 document with lxml (PyPI `lxml`, pinned in scripts/ccda-venv.sh) and
prints, as JSON, what the document says in the sections Chartkeep's C-CDA importer reads, so its
tests can compare the importer's result with a reading that shares no code with it.

    target/ccda-venv/bin/python3 tests/ccda/extract.py FILE.xml    (venv: scripts/ccda-venv.sh)

Everything is read by XPath in the HL7 v3 namespace (`urn:hl7-org:v3`), following the C-CDA R2.1
templates. A template is matched by its templateId's @root alone (@extension is ignored), so the
R1.1 and R2.x versions of a template both match. A section is found by its templateId root, the
"entries required" one or the "entries optional" one (2.16.840.1.113883.10.20.22.2.5.1 or 2.5, and
so on); every section that matches is read, in document order, and every entry in it, never only
the first. Entries are taken where C-CDA nests them:

  problems       2.5.1 / 2.5   entry/act[4.3]/entryRelationship/observation[4.4]
                               (and a bare entry/observation[4.4], with concern_status null)
  allergies      2.6.1 / 2.6   entry/act[4.30]/entryRelationship/observation[4.7]
                               (and a bare entry/observation[4.7])
  medications    2.1.1 / 2.1   entry/substanceAdministration[4.16]
  immunizations  2.2.1 / 2.2   entry/substanceAdministration[4.52]
  results        2.3.1 / 2.3   entry/organizer[4.1]/component/observation[4.2], and entry/observation[4.2]
  vitals         2.4.1 / 2.4   entry/organizer[4.26]/component/observation[4.27], and entry/observation[4.27]
  procedures     2.7.1 / 2.7   entry/procedure[4.14], entry/observation[4.13], entry/act[4.12]

(template ids shortened: 2.x is 2.16.840.1.113883.10.20.22.2.x, 4.x is 2.16.840.1.113883.10.20.22.4.x).
Observations nested deeper than that (an observation inside an observation, a 4.4 outside its
section) are not read: C-CDA does not put them there.

Values are given as the document spells them: codes, code systems, units, status and mood codes
are the raw attribute strings (no trimming), times are the raw @value of the TS (no time zone added
or converted), absent values are null, and a nullFlavor value (a code or quantity with no @code or
@value) gives null. negated is true only where @negationInd is "true".

A display is the code's @displayName; where that is absent (or empty) it is the code's
originalText, resolved through its <reference value="#ID"> to the text of the narrative element
carrying that ID (anywhere in the document); where the reference does not resolve, the
originalText's own text. Texts (displays, ST values, names, the title) have runs of XML white
space (space, tab, CR, LF) collapsed to one space and are stripped; other characters, such as a
zero-width space, are kept. An empty text is null. Narrative text is the XPath string value
(comments excluded).

An effectiveTime that is an interval is read as low/@value (start) and high/@value (end); a point
in time as @value. A medication's times come from its first effectiveTime that is not a PIVL_TS or
EIVL_TS (the frequency); the others are ignored. A result's or vital sign's effective time is its
own effectiveTime (@value, else low/@value), else its organizer's.
"""

import json
import re
import sys

from lxml import etree

V3 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"v": V3, "xsi": XSI}
XSI_TYPE = "{%s}type" % XSI

ROOT = "2.16.840.1.113883.10.20.22"
SEC = ROOT + ".2."
ENT = ROOT + ".4."

_WS = re.compile(r"[ \t\r\n]+")


def collapse(text):
    if text is None:
        return None
    text = _WS.sub(" ", text).strip(" ")
    return text or None


def local(tag):
    """The local name of an element, or of an xsi:type value such as "v3:IVL_TS"."""
    if tag is None:
        return None
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def xsi_type(el):
    return local(el.get(XSI_TYPE)) if el is not None else None


def has_tid(el, *roots):
    return any(t.get("root") in roots for t in el.findall("v:templateId", NS))


def first(el, path):
    if el is None:
        return None
    found = el.xpath(path, namespaces=NS)
    return found[0] if found else None


def attr(el, name):
    return el.get(name) if el is not None else None


class Reader:
    def __init__(self, doc):
        self.doc = doc
        self.narrative = {}
        for el in doc.xpath("//*[@ID]"):
            self.narrative.setdefault(el.get("ID"), el)

    def text_of(self, el):
        if el is None:
            return None
        return collapse(el.xpath("string()"))

    def display(self, code):
        """@displayName, else originalText through its reference, else originalText's text."""
        if code is None:
            return None
        name = collapse(code.get("displayName"))
        if name:
            return name
        original = first(code, "v:originalText")
        if original is None:
            return None
        ref = first(original, "v:reference")
        if ref is not None:
            value = ref.get("value") or ""
            if value.startswith("#"):
                target = self.narrative.get(value[1:])
                resolved = self.text_of(target)
                if resolved:
                    return resolved
        return self.text_of(original)

    def sections(self, *suffixes):
        roots = [SEC + s for s in suffixes]
        return [s for s in self.doc.xpath("//v:section", namespaces=NS) if has_tid(s, *roots)]

    def entries(self, *suffixes):
        """The element in each entry of the matching sections, in document order."""
        out = []
        for section in self.sections(*suffixes):
            out.extend(section.xpath("v:entry/*", namespaces=NS))
        return out


def point_or_low(et):
    """@value, else low/@value (the start of an interval)."""
    if et is None:
        return None
    return et.get("value") or attr(first(et, "v:low"), "value")


def document(r):
    root = r.doc.getroot()
    doc_id = first(root, "v:id")
    return {
        "id_root": attr(doc_id, "root"),
        "id_extension": attr(doc_id, "extension"),
        "effective": attr(first(root, "v:effectiveTime"), "value"),
        "title": r.text_of(first(root, "v:title")),
    }


def patient(r):
    role = first(r.doc.getroot(), "v:recordTarget/v:patientRole")
    person = first(role, "v:patient")
    name = first(person, "v:name")
    return {
        "ids": [
            {"root": i.get("root"), "extension": i.get("extension")}
            for i in (role.findall("v:id", NS) if role is not None else [])
        ],
        "given": [g for g in (r.text_of(g) for g in name.findall("v:given", NS)) if g]
        if name is not None
        else [],
        "family": r.text_of(first(name, "v:family")),
        "gender": attr(first(person, "v:administrativeGenderCode"), "code"),
        "birth_time": attr(first(person, "v:birthTime"), "value"),
    }


def problems(r):
    out = []

    def one(obs, concern_status):
        value = first(obs, "v:value")
        et = first(obs, "v:effectiveTime")
        out.append({
            "code": attr(value, "code"),
            "system": attr(value, "codeSystem"),
            "display": r.display(value),
            "onset": point_or_low(et),
            "resolved": attr(first(et, "v:high"), "value"),
            "negated": obs.get("negationInd") == "true",
            "concern_status": concern_status,
        })

    for el in r.entries("5.1", "5"):
        if local(el.tag) == "act" and has_tid(el, ENT + "3"):
            status = attr(first(el, "v:statusCode"), "code")
            for obs in el.xpath("v:entryRelationship/v:observation", namespaces=NS):
                if has_tid(obs, ENT + "4"):
                    one(obs, status)
        elif local(el.tag) == "observation" and has_tid(el, ENT + "4"):
            one(el, None)
    return out


def allergies(r):
    out = []

    def severity_of(obs):
        for sev in obs.xpath("v:entryRelationship/v:observation", namespaces=NS):
            if has_tid(sev, ENT + "8"):
                value = first(sev, "v:value")
                return r.display(value) or attr(value, "code")
        return None

    def one(obs, concern_status):
        code = first(obs, "v:participant/v:participantRole/v:playingEntity/v:code")
        reactions = [
            o for o in obs.xpath("v:entryRelationship/v:observation", namespaces=NS)
            if has_tid(o, ENT + "9")
        ]
        # Every severity the allergy states: its own (Severity Observation 4.8 on the
        # allergy observation), then each reaction's, in order; absent ones left out.
        severities = [s for s in [severity_of(obs)] + [severity_of(o) for o in reactions] if s]
        out.append({
            "substance_code": attr(code, "code"),
            "substance_system": attr(code, "codeSystem"),
            "substance_display": r.display(code),
            "type_code": attr(first(obs, "v:value"), "code"),
            "reactions": [r.display(first(o, "v:value")) for o in reactions],
            "severities": severities,
            "negated": obs.get("negationInd") == "true",
            "concern_status": concern_status,
        })

    for el in r.entries("6.1", "6"):
        if local(el.tag) == "act" and has_tid(el, ENT + "30"):
            status = attr(first(el, "v:statusCode"), "code")
            for obs in el.xpath("v:entryRelationship/v:observation", namespaces=NS):
                if has_tid(obs, ENT + "7"):
                    one(obs, status)
        elif local(el.tag) == "observation" and has_tid(el, ENT + "7"):
            one(el, None)
    return out


def material_code(sa):
    return first(sa, "v:consumable/v:manufacturedProduct/v:manufacturedMaterial/v:code")


def medications(r):
    out = []
    for sa in r.entries("1.1", "1"):
        if local(sa.tag) != "substanceAdministration" or not has_tid(sa, ENT + "16"):
            continue
        code = material_code(sa)
        span = None
        for et in sa.findall("v:effectiveTime", NS):
            if xsi_type(et) not in ("PIVL_TS", "EIVL_TS"):
                span = et
                break
        dose = first(sa, "v:doseQuantity")
        out.append({
            "code": attr(code, "code"),
            "system": attr(code, "codeSystem"),
            "display": r.display(code),
            "start": point_or_low(span),
            "end": attr(first(span, "v:high"), "value"),
            "dose_value": attr(dose, "value"),
            "dose_unit": attr(dose, "unit"),
            "route_code": attr(first(sa, "v:routeCode"), "code"),
            "mood": sa.get("moodCode"),
            "status": attr(first(sa, "v:statusCode"), "code"),
            "negated": sa.get("negationInd") == "true",
        })
    return out


def immunizations(r):
    out = []
    for sa in r.entries("2.1", "2"):
        if local(sa.tag) != "substanceAdministration" or not has_tid(sa, ENT + "52"):
            continue
        code = material_code(sa)
        out.append({
            "code": attr(code, "code"),
            "system": attr(code, "codeSystem"),
            "display": r.display(code),
            "date": point_or_low(first(sa, "v:effectiveTime")),
            "status": attr(first(sa, "v:statusCode"), "code"),
            "negated": sa.get("negationInd") == "true",
        })
    return out


def observations_in(r, suffixes, organizer_tid, observation_tid):
    """(organizer or None, observation) pairs, in document order."""
    pairs = []
    for el in r.entries(*suffixes):
        if local(el.tag) == "organizer" and has_tid(el, ENT + organizer_tid):
            for obs in el.xpath("v:component/v:observation", namespaces=NS):
                if has_tid(obs, ENT + observation_tid):
                    pairs.append((el, obs))
        elif local(el.tag) == "observation" and has_tid(el, ENT + observation_tid):
            pairs.append((None, el))
    return pairs


def effective(obs, organizer):
    return point_or_low(first(obs, "v:effectiveTime")) or point_or_low(
        first(organizer, "v:effectiveTime")
    )


def results(r):
    out = []
    for organizer, obs in observations_in(r, ("3.1", "3"), "1", "2"):
        panel = first(organizer, "v:code")
        code = first(obs, "v:code")
        value = first(obs, "v:value")
        kind = xsi_type(value)
        if kind in ("ST", "ED"):
            shown = r.text_of(value)
        elif kind in ("CD", "CE", "CV", "CO", "CS"):
            shown = attr(value, "code")
        else:
            shown = attr(value, "value")
        rng = first(obs, "v:referenceRange/v:observationRange/v:value")
        out.append({
            "panel_code": attr(panel, "code"),
            "panel_display": r.display(panel),
            "code": attr(code, "code"),
            "system": attr(code, "codeSystem"),
            "display": r.display(code),
            "value": shown,
            "unit": attr(value, "unit"),
            "value_type": kind,
            "low": attr(first(rng, "v:low"), "value"),
            "high": attr(first(rng, "v:high"), "value"),
            "interpretation": attr(first(obs, "v:interpretationCode"), "code"),
            "effective": effective(obs, organizer),
            "status": attr(first(obs, "v:statusCode"), "code"),
        })
    return out


def vitals(r):
    out = []
    for organizer, obs in observations_in(r, ("4.1", "4"), "26", "27"):
        code = first(obs, "v:code")
        value = first(obs, "v:value")
        out.append({
            "code": attr(code, "code"),
            "system": attr(code, "codeSystem"),
            "display": r.display(code),
            "value": attr(value, "value"),
            "unit": attr(value, "unit"),
            "effective": effective(obs, organizer),
        })
    return out


def procedures(r):
    wanted = {"procedure": ENT + "14", "observation": ENT + "13", "act": ENT + "12"}
    out = []
    for el in r.entries("7.1", "7"):
        kind = local(el.tag)
        if kind not in wanted or not has_tid(el, wanted[kind]):
            continue
        code = first(el, "v:code")
        out.append({
            "kind": kind,
            "code": attr(code, "code"),
            "system": attr(code, "codeSystem"),
            "display": r.display(code),
            "date": point_or_low(first(el, "v:effectiveTime")),
            "status": attr(first(el, "v:statusCode"), "code"),
            "negated": el.get("negationInd") == "true",
        })
    return out


def main(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    r = Reader(etree.parse(path, parser))
    out = {
        "document": document(r),
        "patient": patient(r),
        "problems": problems(r),
        "allergies": allergies(r),
        "medications": medications(r),
        "immunizations": immunizations(r),
        "results": results(r),
        "vitals": vitals(r),
        "procedures": procedures(r),
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
