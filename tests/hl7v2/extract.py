"""Reads one HL7 v2 file with python-hl7 (PyPI `hl7`, pinned in scripts/hl7-venv.sh) and
prints, as JSON, the fields tests/hl7v2.rs compares with Chartkeep's own parser.

    python3 tests/hl7v2/extract.py FILE.hl7

python-hl7 splits segments on carriage returns only, so line feeds (files saved with `\n` or
`\r\n`) are turned into `\r` first, and blank lines dropped; nothing else is changed. Every
value comes from `extract_field`, which unescapes (`\\S\\` -> `^`) as HL7 says; a whole field
(OBX-5, OBX-7) is the field's text passed through python-hl7's `unescape`.
"""

import json
import re
import sys

import hl7


def main(path):
    with open(path, newline="") as f:
        text = f.read()
    lines = [line for line in re.split(r"\r\n|\r|\n", text) if line]
    msg = hl7.parse("\r".join(lines))

    def get(seg, field, rep=1, comp=1, sub=1):
        try:
            return seg.extract_field(1, field, rep, comp, sub)
        except IndexError:
            return ""

    def reps(seg, field):
        """The field's repetitions' first components, as python-hl7 splits them."""
        if field >= len(seg):
            return []
        value = seg(field)
        count = len(value) if isinstance(value[0], hl7.Repetition) else 1
        out = [get(seg, field, r) for r in range(1, count + 1)]
        return [v for v in out if v]

    def whole(seg, field):
        if field >= len(seg):
            return ""
        return msg.unescape(str(seg(field)))

    msh = msg.segment("MSH")
    out = {
        "msh9": [get(msh, 9, 1, 1), get(msh, 9, 1, 2)],
        "msh10": get(msh, 10),
        "msh12": get(msh, 12),
    }
    try:
        pid = msg.segment("PID")
    except KeyError:
        pid = None
    if pid is not None:
        out["pid"] = {
            "id": get(pid, 3, 1, 1),
            "authority": get(pid, 3, 1, 4, 1),
            "type": get(pid, 3, 1, 5),
            "family": get(pid, 5, 1, 1),
            "given": get(pid, 5, 1, 2),
            "birth": get(pid, 7),
            "sex": get(pid, 8),
        }
    try:
        obxs = msg.segments("OBX")
    except KeyError:
        obxs = []
    out["obx"] = [
        {
            "value_type": get(obx, 2),
            "id": get(obx, 3, 1, 1),
            "id_system": get(obx, 3, 1, 3),
            "value": whole(obx, 5),
            "value_components": [get(obx, 5, 1, c) for c in range(1, 5)],
            "units": get(obx, 6, 1, 1),
            "range": whole(obx, 7),
            "flags": reps(obx, 8),
            "status": get(obx, 11),
            "observed_at": get(obx, 14),
        }
        for obx in obxs
    ]
    try:
        obrs = msg.segments("OBR")
    except KeyError:
        obrs = []
    out["obr"] = [
        {
            "placer": get(obr, 2),
            "filler": get(obr, 3),
            "service": get(obr, 4, 1, 1),
            "observed_at": get(obr, 7),
            "status": get(obr, 25),
        }
        for obr in obrs
    ]
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
