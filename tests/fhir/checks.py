#!/usr/bin/env python3
"""Chartkeep's own FHIR R4 checks: what both validators let through (see README.md).

    python3 tests/fhir/checks.py FILE_OR_DIR...

Same files and output contract as validate.mjs and validate.py; summary `own checks: ...`.
Standard library only.

  (a) date-times: every string that starts like a date-time (YYYY-MM-DDT...) is a whole one
      with seconds and a time zone (Z or +hh:mm/-hh:mm); elements of type instant have a time
      and a zone; birthDate-style date elements have no time.
  (b) required bindings: the codes of the elements in REQUIRED below, and the presence of
      those that are 1..1; Bundle: a valid type, a fullUrl on every entry with a resource,
      unique fullUrls, a document's Composition first, identifier and timestamp; in a
      document, collection or transaction Bundle, every `urn:...` or `Type/id` reference
      resolves to an entry of the same Bundle; every `#id` reference resolves to a
      contained resource.
  (c) every resource has an id matching [A-Za-z0-9-.]{1,64} (in a transaction or batch, an
      entry that is POSTed may go without).
"""

import datetime
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fhirio  # noqa: E402

ID_RE = re.compile(fhirio.ID_RE_TEXT)
LOOKS_LIKE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
DATETIME = re.compile(
    r"^(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(?P<zone>Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?$"
)
DATE_ONLY = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
UUID_URN = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RELATIVE_REF = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]{1,64})?$")

# Elements of type instant in R4, as (resource type or "*", path without indices); a path
# that starts with "." matches at any depth (Signature is used in several places).
INSTANTS = {
    ("*", "meta.lastUpdated"),
    ("Bundle", "timestamp"),
    ("Bundle", "entry.response.lastModified"),
    ("Observation", "issued"),
    ("DiagnosticReport", "issued"),
    ("Media", "issued"),
    ("Provenance", "recorded"),
    ("AuditEvent", "recorded"),
    ("DocumentReference", "date"),
    ("Appointment", "start"),
    ("Appointment", "end"),
    ("Slot", "start"),
    ("Slot", "end"),
    ("Subscription", "end"),
    ("*", ".signature.when"),
    ("*", ".valueInstant"),
}
# Elements of type date (no time allowed).
DATES = {
    ("Patient", "birthDate"),
    ("Practitioner", "birthDate"),
    ("RelatedPerson", "birthDate"),
    ("Person", "birthDate"),
    ("Immunization", "expirationDate"),
}

GENDER = {"male", "female", "other", "unknown"}
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VER = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
BUNDLE_TYPES = {
    "document", "message", "transaction", "transaction-response", "batch",
    "batch-response", "history", "searchset", "collection",
}

# Required bindings of R4 4.0.1: (resource type, path, kind, allowed codes, system, 1..1?).
# kind "code": a code; "codes": a list of codes; "cc": a CodeableConcept that needs a coding
# of `system` with an allowed code; "coding": a Coding that must be there with a code.
REQUIRED = [
    ("Patient", "gender", "code", GENDER, None, False),
    ("Patient", "contact.gender", "code", GENDER, None, False),
    ("Practitioner", "gender", "code", GENDER, None, False),
    ("RelatedPerson", "gender", "code", GENDER, None, False),
    ("Observation", "status", "code",
     {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
      "entered-in-error", "unknown"}, None, True),
    ("Condition", "clinicalStatus", "cc",
     {"active", "recurrence", "relapse", "inactive", "remission", "resolved"},
     CONDITION_CLINICAL, False),
    ("Condition", "verificationStatus", "cc",
     {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"},
     CONDITION_VER, False),
    ("AllergyIntolerance", "clinicalStatus", "cc", {"active", "inactive", "resolved"},
     ALLERGY_CLINICAL, False),
    ("AllergyIntolerance", "verificationStatus", "cc",
     {"unconfirmed", "confirmed", "refuted", "entered-in-error"}, ALLERGY_VER, False),
    ("AllergyIntolerance", "type", "code", {"allergy", "intolerance"}, None, False),
    ("AllergyIntolerance", "category", "codes",
     {"food", "medication", "environment", "biologic"}, None, False),
    ("AllergyIntolerance", "criticality", "code", {"low", "high", "unable-to-assess"}, None, False),
    ("AllergyIntolerance", "reaction.severity", "code", {"mild", "moderate", "severe"}, None, False),
    ("Immunization", "status", "code", {"completed", "entered-in-error", "not-done"}, None, True),
    ("MedicationStatement", "status", "code",
     {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown",
      "not-taken"}, None, True),
    ("MedicationRequest", "status", "code",
     {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
      "unknown"}, None, True),
    ("MedicationRequest", "intent", "code",
     {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
      "instance-order", "option"}, None, True),
    ("Encounter", "status", "code",
     {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
      "entered-in-error", "unknown"}, None, True),
    ("Encounter", "class", "coding", None, None, True),
    ("Procedure", "status", "code",
     {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
      "entered-in-error", "unknown"}, None, True),
    ("DiagnosticReport", "status", "code",
     {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
      "cancelled", "entered-in-error", "unknown"}, None, True),
    ("DocumentReference", "status", "code", {"current", "superseded", "entered-in-error"}, None, True),
    ("DocumentReference", "docStatus", "code",
     {"preliminary", "final", "amended", "entered-in-error"}, None, False),
    ("Composition", "status", "code", {"preliminary", "final", "amended", "entered-in-error"}, None, True),
    ("Bundle", "type", "code", BUNDLE_TYPES, None, True),
]

# Bundles whose references must all resolve inside them.
CLOSED_BUNDLES = {"document", "collection", "transaction"}


def one_of(codes):
    return "|".join(sorted(codes))


def at(value, steps, path):
    """(path with indices, value) for each value at `steps` under `value`, through lists."""
    if not steps:
        yield path, value
        return
    if not isinstance(value, dict) or steps[0] not in value:
        return
    child, child_path = value[steps[0]], f"{path}.{steps[0]}"
    if isinstance(child, list) and len(steps) > 1:
        for i, item in enumerate(child):
            yield from at(item, steps[1:], f"{child_path}[{i}]")
    else:
        yield from at(child, steps[1:], child_path)


def leaves(value, path, bare, skip):
    """(path, path without indices, key, value) for each string under `value`; `skip(path,
    key)` keeps out what is checked elsewhere (entry resources, contained resources)."""
    if isinstance(value, dict):
        for key, child in value.items():
            if skip(bare, key):
                continue
            yield from leaves(child, f"{path}.{key}", f"{bare}.{key}" if bare else key, skip)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from leaves(child, f"{path}[{i}]", bare, skip)
    elif isinstance(value, str):
        yield path, bare, path.rsplit(".", 1)[-1].split("[")[0], value


def references(value, path, skip, bare=""):
    """(path, reference string) for each Reference.reference under `value`."""
    for p, b, key, v in leaves(value, path, bare, skip):
        if key == "reference" and not p.endswith("]"):
            yield p, v


def is_instant(rtype, bare):
    for t, pattern in INSTANTS:
        if t not in ("*", rtype):
            continue
        if pattern.startswith("."):
            if bare == pattern[1:] or bare.endswith(pattern):
                return True
        elif bare == pattern:
            return True
    return False


def check_datetime(problem, rtype, path, bare, value):
    instant = is_instant(rtype, bare)
    if (rtype, bare) in DATES:
        if not DATE_ONLY.match(value):
            problem(path, f"date {value!r} must be YYYY, YYYY-MM or YYYY-MM-DD (no time)")
        return
    if not instant and not LOOKS_LIKE_DATETIME.match(value):
        return
    m = DATETIME.match(value)
    what = "instant" if instant else "dateTime"
    if not m:
        if instant and DATE_ONLY.match(value):
            problem(path, f"instant {value!r} needs a time and a time zone")
        else:
            problem(path, f"{what} {value!r} is malformed (want YYYY-MM-DDThh:mm:ss[.sss] and Z or +hh:mm)")
        return
    if not m.group("zone"):
        problem(path, f"{what} {value!r} has a time but no time zone (Z or +hh:mm/-hh:mm)")
    try:
        datetime.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        problem(path, f"{what} {value!r} is not a calendar date")


def check_bindings(problem, resource, rtype):
    for t, path, kind, codes, system, mandatory in REQUIRED:
        if t != rtype:
            continue
        steps = path.split(".")
        found = list(at(resource, steps, rtype))
        if mandatory and len(steps) == 1 and not found and f"_{path}" not in resource:
            # (an element with only an extension, `_status`, is there too)
            problem(f"{rtype}.{path}", "missing (1..1)")
            continue
        for p, v in found:
            if kind == "code":
                if not isinstance(v, str) or v not in codes:
                    problem(p, f"code {v!r} is not in the required value set ({one_of(codes)})")
            elif kind == "codes":
                items = v if isinstance(v, list) else [v]
                for i, item in enumerate(items):
                    if not isinstance(item, str) or item not in codes:
                        problem(f"{p}[{i}]", f"code {item!r} is not in the required value set ({one_of(codes)})")
            elif kind == "coding":
                if not isinstance(v, dict) or not isinstance(v.get("code"), str) or not v.get("code"):
                    problem(p, "needs a Coding with a code")
            elif kind == "cc":
                codings = v.get("coding") if isinstance(v, dict) else None
                codings = codings if isinstance(codings, list) else []
                good, told = False, False
                for i, c in enumerate(codings):
                    if not isinstance(c, dict):
                        continue
                    code, sys_ = c.get("code"), c.get("system")
                    if sys_ == system and code in codes:
                        good = True
                    elif sys_ == system:
                        told = True
                        problem(f"{p}.coding[{i}].code", f"code {code!r} is not in {system} ({one_of(codes)})")
                    elif sys_ is None and code in codes:
                        told = True
                        problem(f"{p}.coding[{i}].system", f"missing: coding {code!r} needs system {system}")
                if not good and not told:
                    problem(p, f"needs a coding from {system} ({one_of(codes)})")


def check_resource(report, label, resource, prefix, who, bundle_scope, needs_id, siblings=None):
    """Checks one resource (a top-level one, an entry's or a contained one) without going
    into the resources it holds, which are checked on their own. `siblings`: for a contained
    resource, its container's contained ones, which its `#id` references name."""
    rtype = resource.get("resourceType")

    def problem(path, message):
        report.problem(label, who, path, message)

    if not isinstance(rtype, str) or not rtype:
        problem(prefix, "missing resourceType")
        rtype = "?"
    rid = resource.get("id")
    if rid is None:
        if needs_id:
            problem(f"{prefix}.id", "missing: every resource needs an id")
    elif not isinstance(rid, str) or not ID_RE.match(rid):
        problem(f"{prefix}.id", f"id {rid!r} does not match [A-Za-z0-9-.]{{1,64}}")

    def skip(bare, key):
        if bare == "" and key == "contained":
            return True
        return rtype == "Bundle" and bare == "entry" and key == "resource"

    for path, bare, key, value in leaves(resource, prefix, "", skip):
        if key == "div":
            continue
        check_datetime(problem, rtype, path, bare, value)

    check_bindings(lambda p, m: problem(prefix + p[len(rtype):], m), resource, rtype)

    contained = resource.get("contained")
    contained = contained if isinstance(contained, list) else []
    local = contained if siblings is None else siblings
    local_ids = {c.get("id") for c in local if isinstance(c, dict)}
    for path, ref in references(resource, prefix, skip):
        if ref.startswith("#"):
            if ref != "#" and ref[1:] not in local_ids:
                problem(path, f"reference {ref!r} matches no contained resource")
        elif bundle_scope is not None and rtype != "Bundle" and (ref.startswith("urn:") or RELATIVE_REF.match(ref)):
            # (a Bundle's own references resolve among its own entries: check_bundle)
            if not bundle_scope(ref):
                problem(path, f"reference {ref!r} resolves to no entry of the Bundle")

    for i, c in enumerate(contained):
        if isinstance(c, dict):
            check_resource(report, label, c, f"{prefix}.contained[{i}]", who, bundle_scope, True, contained)
        else:
            problem(f"{prefix}.contained[{i}]", "expected a resource")

    if rtype == "Bundle":
        check_bundle(report, label, resource, who)


def check_bundle(report, label, bundle, who):
    def problem(path, message):
        report.problem(label, who, path, message)

    btype = bundle.get("type")
    raw = bundle.get("entry")
    entries = raw if isinstance(raw, list) else []
    full_urls = {}
    by_type_id = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problem(f"Bundle.entry[{i}]", "expected an object")
            continue
        res = entry.get("resource")
        url = entry.get("fullUrl")
        if isinstance(res, dict):
            by_type_id.add(f"{res.get('resourceType')}/{res.get('id')}")
            if not isinstance(url, str) or not url:
                problem(f"Bundle.entry[{i}].fullUrl", "missing: every entry with a resource needs a fullUrl")
        if isinstance(url, str) and url:
            if url.startswith("urn:uuid:") and not UUID_URN.match(url):
                problem(f"Bundle.entry[{i}].fullUrl", f"{url!r} is not urn:uuid: and a UUID")
            elif not (url.startswith("urn:") or "://" in url):
                problem(f"Bundle.entry[{i}].fullUrl", f"{url!r} is not an absolute URL or a URN")
            elif "://" in url and isinstance(res, dict):
                m = re.search(r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[^/]+)?$", url)
                if m and (m.group(1), m.group(2)) != (res.get("resourceType"), res.get("id")):
                    problem(f"Bundle.entry[{i}].fullUrl",
                            f"{url!r} disagrees with the resource's type and id ({fhirio.who(res)})")
            if url in full_urls and btype != "history":
                problem(f"Bundle.entry[{i}].fullUrl", f"{url!r} is also entry[{full_urls[url]}]'s fullUrl")
            full_urls.setdefault(url, i)

    if btype == "document":
        first = entries[0].get("resource") if entries and isinstance(entries[0], dict) else None
        if not isinstance(first, dict) or first.get("resourceType") != "Composition":
            problem("Bundle.entry[0].resource", "a document's first entry must be its Composition")
        ident = bundle.get("identifier")
        if not isinstance(ident, dict) or not ident.get("system") or not ident.get("value"):
            problem("Bundle.identifier", "a document needs an identifier with a system and a value")
        if not bundle.get("timestamp"):
            problem("Bundle.timestamp", "a document needs a timestamp")

    def resolves(ref):
        if ref in full_urls:
            return True
        m = RELATIVE_REF.match(ref)
        if not m:
            return False
        type_id = f"{m.group(1)}/{m.group(2)}"
        return type_id in by_type_id or any(u.endswith("/" + type_id) for u in full_urls)

    scope = resolves if btype in CLOSED_BUNDLES else None
    # The Bundle's own references (signature.who and the like) resolve in the same way.
    if scope is not None:
        for path, ref in references(bundle, "Bundle", lambda b, k: b == "entry" and k == "resource"):
            if (ref.startswith("urn:") or RELATIVE_REF.match(ref)) and not resolves(ref):
                problem(path, f"reference {ref!r} resolves to no entry of the Bundle")
    for i, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if res is None:
            continue
        if not isinstance(res, dict):
            problem(f"Bundle.entry[{i}].resource", "expected a resource")
            continue
        request = entry.get("request")
        posted = isinstance(request, dict) and request.get("method") == "POST"
        needs_id = not (btype in ("transaction", "batch") and posted)
        rtype = res.get("resourceType") if isinstance(res.get("resourceType"), str) else "?"
        check_resource(report, label, res, rtype, fhirio.who(res), scope, needs_id)


def check_document(report, label, value):
    rtype = value.get("resourceType") if isinstance(value.get("resourceType"), str) else "?"
    check_resource(report, label, value, rtype, fhirio.who(value), None, True)


if __name__ == "__main__":
    fhirio.main("own checks", check_document)
