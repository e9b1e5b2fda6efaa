#!/usr/bin/env python3
"""Convert the CMS ICD-10-CM tabular list into assets/icd10cm.tsv.

Run once per code-set release; the TSV is committed and build.rs embeds it,
so no build or CI step needs Python.

Input: the `simple-icd-10-cm` wheel from PyPI (it bundles the CMS tabular XML
and the list of valid codes for one release, and expands the 7th-character
extensions exactly as the tabular list's sevenChrDef rules prescribe).

    python3 assets/tools/convert_icd10cm.py \
        simple_icd_10_cm-1.5.0-py3-none-any.whl assets/icd10cm.tsv

Output: one line per code (categories, subcategories and 7th-character
extended codes; chapters and blocks are not codes and are skipped):

    code<TAB>billable<TAB>description

`billable` is 1 for a leaf of the hierarchy (a code valid on a claim) and 0
for a header that has children. Rows are sorted by code (byte order).
"""

import sys


def clean(text: str) -> str:
    """Collapse whitespace so a description never breaks the TSV layout."""
    return " ".join(text.split())


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    wheel, out_path = sys.argv[1], sys.argv[2]
    # A wheel is a zip archive: importing straight from it avoids unpacking.
    sys.path.insert(0, wheel)
    import simple_icd_10_cm as cm  # noqa: E402  (import after sys.path edit)

    rows = {}
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code):
            continue
        if code in rows:
            continue
        billable = 1 if cm.is_leaf(code) else 0
        desc = clean(cm.get_description(code))
        if not desc:
            raise SystemExit(f"empty description for {code}")
        rows[code] = (billable, desc)

    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("code\tbillable\tdescription\n")
        for code in sorted(rows, key=lambda c: c.encode("utf-8")):
            billable, desc = rows[code]
            f.write(f"{code}\t{billable}\t{desc}\n")
    print(f"wrote {len(rows)} codes to {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
