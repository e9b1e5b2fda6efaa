#!/usr/bin/env python3
"""Validates FHIR R4 JSON by parsing it into the pydantic models of PyPI `fhir.resources`
6.4.0 (whose top-level package is FHIR 4.0.1; see README.md).

    python3 tests/fhir/validate.py FILE_OR_DIR...

Same files and output contract as validate.mjs. A Bundle is parsed as a whole and each
entry's resource on its own as well; an error that both passes find is printed once.
Needs the venv that scripts/test-fhir.sh makes (target/fhir-venv)."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fhirio  # noqa: E402

try:
    import fhir.resources  # noqa: E402
    from fhir.resources import construct_fhir_element  # noqa: E402
    from pydantic import ValidationError  # noqa: E402
except ImportError as e:  # pragma: no cover
    sys.exit(f"validate.py: {e}: run scripts/test-fhir.sh, or use target/fhir-venv/bin/python")

if fhir.resources.__fhir_version__ != "4.0.1":  # pragma: no cover
    sys.exit(f"validate.py: fhir.resources models FHIR {fhir.resources.__fhir_version__}, not R4 4.0.1")


def loc_path(rtype, loc):
    """('name', 0, 'given', 0) -> 'Patient.name[0].given[0]'; pydantic's '__root__' (where
    the models check required primitives and choice types) is dropped."""
    out = rtype
    for part in loc:
        if part == "__root__":
            continue
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse(resource):
    """[(loc, message)] for one resource parsed with its model; [] when it parses."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return [((), "missing resourceType")]
    try:
        construct_fhir_element(rtype, resource)
    except ValidationError as e:
        return [(tuple(err["loc"]), err["msg"]) for err in e.errors()]
    except LookupError:
        return [((), f"unknown resourceType {rtype!r}")]
    except Exception as e:  # a crash in the models is a finding too
        return [((), f"fhir.resources crashed: {type(e).__name__}: {e}")]
    return []


def descend(resource, pos, loc):
    """Follows ('entry', i, 'resource', ...) in an error's loc down to the entry resource that
    it is in: (that resource, its position, the rest of the loc)."""
    while (
        len(loc) >= 3
        and loc[0] == "entry"
        and isinstance(loc[1], int)
        and loc[2] == "resource"
        and resource.get("resourceType") == "Bundle"
    ):
        found = resource.get("entry")
        entry = found[loc[1]] if isinstance(found, list) and loc[1] < len(found) else None
        inner = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(inner, dict):
            break
        resource, pos, loc = inner, pos + (loc[1],), loc[3:]
    return resource, pos, loc


def check_document(report, label, value):
    seen = set()

    def report_errors(resource, pos):
        for loc, msg in parse(resource):
            inner, ipos, rest = descend(resource, pos, loc)
            path = loc_path(inner.get("resourceType") or "?", rest)
            if (ipos, path, msg) in seen:
                continue
            seen.add((ipos, path, msg))
            report.problem(label, fhirio.who(inner), path, msg)

    def walk(resource, pos):
        for i, inner in fhirio.entries(resource):
            if isinstance(inner, dict):
                report_errors(inner, pos + (i,))
                walk(inner, pos + (i,))

    report_errors(value, ())
    walk(value, ())


if __name__ == "__main__":
    fhirio.main("fhir.resources", check_document)
