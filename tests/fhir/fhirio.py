"""What validate.py and checks.py share: finding the files, reading their resources, and the
output contract (one line a problem, `FILE[:LINE] ResourceType/id path: message`, then a
summary line). Standard library only, so checks.py runs on any python3."""

import json
import os
import sys

ID_RE_TEXT = r"^[A-Za-z0-9\-.]{1,64}$"


def files(path):
    """Yields (path, None) for each file to read, or (path, reason) for one that cannot be."""
    if not os.path.exists(path):
        yield path, "cannot read: no such file or directory"
        return
    if not os.path.isdir(path):
        yield path, None
        return
    for name in sorted(os.listdir(path)):
        child = os.path.join(path, name)
        if os.path.isdir(child):
            if name != "node_modules" and not name.startswith("."):
                yield from files(child)
        elif name == "manifest.json":
            # A Bulk Data export's manifest describes the files; it is not a resource.
            continue
        elif name.endswith(".json") or name.endswith(".ndjson"):
            yield child, None


def documents(path):
    """Yields (label, value, error) for each JSON document of a file: a .json file is one,
    an .ndjson file one a non-empty line, labelled FILE:LINE."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".ndjson"):
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            label = f"{path}:{n}"
            try:
                yield label, json.loads(line), None
            except ValueError as e:
                yield label, None, e
    else:
        try:
            yield path, json.loads(text), None
        except ValueError as e:
            yield path, None, e


def who(resource):
    """`ResourceType/id`, with `?` for what is missing."""
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    rid = resource.get("id") if isinstance(resource, dict) else None
    rtype = rtype if isinstance(rtype, str) and rtype else "?"
    rid = rid if isinstance(rid, str) and rid else "?"
    return f"{rtype}/{rid}"


def entries(resource):
    """(index, entry resource) for each entry of a Bundle that has a resource."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Bundle":
        return []
    found = resource.get("entry")
    if not isinstance(found, list):
        return []
    return [(i, e["resource"]) for i, e in enumerate(found) if isinstance(e, dict) and "resource" in e]


def tree(resource):
    """The resource and, for a Bundle, its entries' resources (recursively): the resources
    that count, for every validator here, in `N resources`."""
    yield resource
    for _, inner in entries(resource):
        yield from tree(inner)


class Report:
    def __init__(self, name):
        self.name = name
        self.resources = 0
        self.errors = 0

    def problem(self, label, who_, path, message):
        self.errors += 1
        print(f"{label} {who_} {path or '-'}: {message}", flush=False)

    def run(self, paths, check_document):
        """Calls check_document(report, label, value) for each document that parses to an
        object; reports the rest. Returns the exit code."""
        for arg in paths:
            for path, reason in files(arg):
                if reason:
                    self.problem(path, "?/?", "-", reason)
                    continue
                try:
                    docs = list(documents(path))
                except (OSError, UnicodeDecodeError) as e:
                    self.problem(path, "?/?", "-", f"cannot read: {e}")
                    continue
                for label, value, err in docs:
                    if err is not None:
                        self.problem(label, "?/?", "-", f"invalid JSON: {err}")
                    elif not isinstance(value, dict):
                        self.problem(label, "?/?", "-", "expected a JSON object (a FHIR resource)")
                    else:
                        self.resources += sum(1 for _ in tree(value))
                        check_document(self, label, value)
        print(f"{self.name}: {self.resources} resources, {self.errors} errors")
        sys.stdout.flush()
        return 1 if self.errors else 0


def main(name, check_document, argv=None):
    argv = sys.argv[1:] if argv is None else argv
    script = os.path.relpath(sys.argv[0]) if sys.argv and sys.argv[0] else "tests/fhir/script.py"
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python3 {script} FILE_OR_DIR...", file=sys.stdout if argv else sys.stderr)
        sys.exit(0 if argv else 2)
    sys.exit(Report(name).run(argv, check_document))
