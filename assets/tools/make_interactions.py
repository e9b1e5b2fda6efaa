#!/usr/bin/env python3
"""Writes assets/interactions.tsv and assets/interaction_exclusions.tsv.

Sources, read in place from ../shared/data/cds/interactions/ (relative to the
project root):

- ONC high-priority list: ONC_High_Priority_Mapped.csv (the ingredient pairs,
  by name and DrugBank id) and ONC High Priority List.xls, sheet "Revised
  Table 2" (the interaction groups with their class names).
- ONC non-interruptive list: ONC_Non_Interuptive_Mapped.csv (the pairs) and
  ONC_Non_Interuptive_List_Mapped_Formatted.csv (the same pairs with their
  group number and class names, for all but 140 of them).
- HL7 PDDI CDS IG: the warfarin + NSAIDs and digoxin + cyclosporine rules
  (the NSAID ingredient value sets listed by valueset-NSAIDS-example.xml).

Every drug is resolved to a row of assets/rxnorm_ingredients.tsv: ONC drugs by
DrugBank id, class-table and HL7 drugs by name or synonym. A drug that does not
resolve stops the script, so a new source release cannot silently lose pairs.

Pairs of the high-priority mapping that no group of the class table explains
are the "QT prolonging agents" group (21), whose members the mapping took from
CredibleMeds; those may not be redistributed, so they are written to the
exclusions file with the reason instead of the table.

Needs xlrd for the .xls (Python 3 standard library otherwise):

    python3 -m venv target/meds-venv
    target/meds-venv/bin/pip install xlrd==2.0.1
    target/meds-venv/bin/python assets/tools/make_interactions.py
"""

import csv
import os
import re
import sys

import xlrd

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "..", "shared", "data", "cds", "interactions")
ONC = os.path.join(DATA, "onc", "PDDI-Datasets")
HP_CSV = os.path.join(ONC, "ONC-High-Priority", "ONC_High_Priority_Mapped.csv")
HP_XLS = os.path.join(ONC, "ONC-High-Priority", "ONC High Priority List.xls")
NI_CSV = os.path.join(ONC, "ONC-Non-Interuptive", "ONC_Non_Interuptive_Mapped.csv")
NI_FMT = os.path.join(
    ONC, "ONC-Non-Interuptive", "ONC_Non_Interuptive_List_Mapped_Formatted.csv"
)
HL7_VOCAB = os.path.join(DATA, "hl7-pddi-cds", "input", "vocabulary")

INGREDIENTS = os.path.join(ROOT, "assets", "rxnorm_ingredients.tsv")
OUT = os.path.join(ROOT, "assets", "interactions.tsv")
EXCLUSIONS = os.path.join(ROOT, "assets", "interaction_exclusions.tsv")

HEADER = [
    "list",
    "group",
    "drug1",
    "drug1_class",
    "drug1_route",
    "drug2",
    "drug2_class",
    "drug2_route",
    "severity",
    "source",
    "citation",
    "consequence",
]
EXCLUSION_HEADER = ["list", "drug1", "drug1_drugbank", "drug2", "drug2_drugbank", "reason"]

# Spelling slips in the class table, mapped to the name the table meant.
TABLE_TYPOS = {"esmoprazole": "esomeprazole", "voreconazole": "voriconazole",
               "lisdexamefetamine": "lisdexamfetamine", "st john's wort": "st. john's wort"}
# "NSAID" stands in the protease-inhibitor column of group 23 in the revised
# sheet, where the first "Table 2" sheet has atazanavir: not a drug, skipped.
TABLE_SKIP = {"nsaid"}
# The QT group of the high-priority list; its members come from CredibleMeds.
QT_GROUP = "21"
QT_REASON = ("QT prolonging agents (ONC high-priority group 21): the class members in the "
             "mapping come from CredibleMeds' Known TdP risk list, which may not be redistributed")

# Drugs of the non-interruptive mapping that the formatted file never names,
# with the class they belong to in the paper's table, so their 140 pairs get
# their group and class names instead of none.
# Aspirin is tried as a salicylate first and as an NSAID second (group 28,
# NSAIDs + beta blockers, names no salicylate class).
NI_CLASS_OF = {
    "aspirin": ["Salicylates", "NSAID"],
    "meclofenamic acid": ["NSAID"],
    "fluticasone": ["Corticosteroids"],
    "dabigatran": ["Anticoagulants"],
    "azilsartan": ["Angiotensin II receptor antagonists"],
    "glyburide": ["Sulfonylureas"],
}

HL7_WARFARIN_CONSEQUENCE = ("Bleeding risk, above all upper gastrointestinal bleeding; the rule "
                            "suggests acetaminophen instead of the NSAID")
HL7_DIGOXIN_CONSEQUENCE = ("Increased risk of digoxin toxicity (anorexia, nausea, vomiting, visual "
                           "changes, cardiac arrhythmias)")


def fail(message):
    sys.exit(f"make_interactions.py: {message}")


def norm(text):
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().lower()


def norm_class(text):
    return re.sub(r"\s+", " ", text).strip()


class Ingredients:
    def __init__(self, path):
        self.by_db = {}
        self.by_term = {}
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                name = row["name"]
                if row["drugbank"]:
                    self.by_db[row["drugbank"]] = name
                self.by_term[name] = name
                for syn in filter(None, (s.strip() for s in row["synonyms"].split(";"))):
                    self.by_term.setdefault(syn, name)

    def by_id(self, drugbank, source_name):
        name = self.by_db.get(drugbank)
        if name is None:
            fail(f"{source_name} ({drugbank}) is not in {INGREDIENTS}; add a row for it")
        return name

    def by_name(self, text):
        key = norm(text)
        key = TABLE_TYPOS.get(key, key)
        name = self.by_term.get(key)
        if name is None:
            fail(f"{text!r} is not a name or synonym in {INGREDIENTS}; add it")
        return name


def read_dollar_pairs(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    pairs = []
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            continue
        fields = line.split("$")
        if len(fields) < 4:
            fail(f"{path}: line {line!r} has fewer than 4 '$' fields")
        pairs.append((fields[0].strip(), fields[1].strip(), fields[2].strip(), fields[3].strip()))
    return pairs


def read_hp_groups(ingredients):
    """Revised Table 2: one group per numbered row; an empty class cell keeps the class above."""
    sheet = xlrd.open_workbook(HP_XLS).sheet_by_name("Revised Table 2")
    groups = []
    group = None
    for r in range(2, sheet.nrows):
        cells = [str(c.value).strip() for c in sheet.row(r)][:5]
        number, obj_class, obj, pre_class, pre = cells
        if number:
            group = {"n": str(int(float(number))), "obj": {}, "pre": {}}
            groups.append(group)
            current_obj, current_pre = obj_class, pre_class
        if group is None:
            continue
        if obj_class:
            current_obj = obj_class
        if pre_class:
            current_pre = pre_class
        for drug, cls, side in ((obj, current_obj, "obj"), (pre, current_pre, "pre")):
            if drug and norm(drug) not in TABLE_SKIP:
                group[side][ingredients.by_name(drug)] = norm_class(cls)
    return groups


def hp_rows(ingredients):
    groups = read_hp_groups(ingredients)
    rows, exclusions, seen, excluded = [], [], set(), set()
    for name1, db1, name2, db2 in read_dollar_pairs(HP_CSV):
        a, b = ingredients.by_id(db1, name1), ingredients.by_id(db2, name2)
        hits = []
        for g in groups:
            if a in g["obj"] and b in g["pre"]:
                hits.append((g, a, b))
            elif b in g["obj"] and a in g["pre"]:
                hits.append((g, b, a))
        if not hits:
            # The mapping lists most QT pairs in both orders; one row each.
            if frozenset((a, b)) not in excluded:
                excluded.add(frozenset((a, b)))
                exclusions.append(["high_priority", a, db1, b, db2, QT_REASON])
            continue
        g, obj, pre = hits[0]
        key = frozenset((obj, pre))
        if key in seen:
            continue
        seen.add(key)
        rows.append(hp_row(g, obj, pre, "onc-mapped-csv"))
    # Pairs the class table lists that the mapping lacks (febuxostat, methylene
    # blue, moclobamide, ...): the table is the paper's own list, so they ship too.
    for g in groups:
        if g["n"] == QT_GROUP:
            continue
        for obj in g["obj"]:
            for pre in g["pre"]:
                key = frozenset((obj, pre))
                if obj == pre or key in seen:
                    continue
                seen.add(key)
                rows.append(hp_row(g, obj, pre, "onc-class-table"))
    return rows, exclusions


def hp_row(group, obj, pre, source):
    return ["high_priority", "onc-hp-" + group["n"], obj, group["obj"][obj], "any",
            pre, group["pre"][pre], "any", "interruptive", source,
            "phansalkar2012; ayvaz2015" if source == "onc-mapped-csv" else "phansalkar2012", ""]


def ni_rows(ingredients):
    with open(NI_FMT, encoding="utf-8-sig", newline="") as f:
        formatted = list(csv.reader(f))
    by_pair = {}
    members = {}  # (group, class) -> ingredient names
    sides = {}  # group -> (class1, class2)
    for rec in formatted:
        group, c1, n1, d1, c2, n2, d2 = rec[0], rec[1], rec[2], rec[3], rec[6], rec[7], rec[8]
        a, b = ingredients.by_id(d1, n1), ingredients.by_id(d2, n2)
        c1, c2 = norm_class(c1), norm_class(c2)
        by_pair[frozenset((a, b))] = (group, a, c1, b, c2)
        members.setdefault((group, c1), set()).add(a)
        members.setdefault((group, c2), set()).add(b)
        sides[group] = (c1, c2)
    rows, seen = [], set()
    for name1, db1, name2, db2 in read_dollar_pairs(NI_CSV):
        a, b = ingredients.by_id(db1, name1), ingredients.by_id(db2, name2)
        key = frozenset((a, b))
        if key in seen:
            continue
        seen.add(key)
        found = by_pair.get(key) or infer_ni_group(a, b, members, sides)
        if found:
            group, x, cx, y, cy = found
            rows.append(["non_interruptive", "onc-ni-" + group, x, cx, "any", y, cy, "any",
                         "informational", "onc-mapped-csv", "phansalkar2013; ayvaz2015", ""])
        else:
            rows.append(["non_interruptive", "", a, "", "any", b, "", "any",
                         "informational", "onc-mapped-csv", "phansalkar2013; ayvaz2015", ""])
    return rows


def infer_ni_group(a, b, members, sides):
    """The group whose two classes hold a and b, counting NI_CLASS_OF for the unnamed drugs."""
    def in_class(drug, group, cls, choice):
        if drug in members.get((group, cls), ()):
            return True
        wanted = NI_CLASS_OF.get(drug)
        if not wanted:
            return False
        return cls.lower().startswith(wanted[min(choice, len(wanted) - 1)].lower())

    for choice in range(max(len(NI_CLASS_OF.get(d, [])) for d in (a, b)) or 1):
        found = []
        for group, (c1, c2) in sides.items():
            if in_class(a, group, c1, choice) and in_class(b, group, c2, choice):
                found.append((group, a, c1, b, c2))
            elif in_class(b, group, c1, choice) and in_class(a, group, c2, choice):
                found.append((group, b, c1, a, c2))
        if len(found) == 1:
            return found[0]
    return None


def hl7_rows(ingredients):
    with open(os.path.join(HL7_VOCAB, "valueset-NSAIDS-example.xml"), encoding="utf-8") as f:
        text = f.read()
    nsaids = re.findall(r"ValueSet/valueset-([a-z]+)\"", text)
    if len(nsaids) < 10:
        fail("valueset-NSAIDS-example.xml lists fewer than 10 NSAID value sets")
    rows = []
    for vs in nsaids:
        nsaid = ingredients.by_name("mefenamic acid" if vs == "mefenamate" else vs)
        if nsaid == "diclofenac":
            rows.append(["hl7_pddi", "hl7-warfarin-nsaids", "warfarin", "Warfarins", "any",
                         nsaid, "Topical diclofenac", "topical", "informational",
                         "hl7-pddi-cql", "hl7-pddi", HL7_WARFARIN_CONSEQUENCE])
            route = "systemic"
        else:
            route = "any"
        rows.append(["hl7_pddi", "hl7-warfarin-nsaids", "warfarin", "Warfarins", "any",
                     nsaid, "NSAIDs", route, "interruptive", "hl7-pddi-cql", "hl7-pddi",
                     HL7_WARFARIN_CONSEQUENCE])
    rows.append(["hl7_pddi", "hl7-digoxin-cyclosporine", "digoxin", "Digoxin", "any",
                 "cyclosporine", "Cyclosporine", "any", "interruptive", "hl7-pddi-cql",
                 "hl7-pddi", HL7_DIGOXIN_CONSEQUENCE])
    return rows


def write_tsv(path, header, rows):
    for row in rows:
        for field in row:
            if "\t" in field or "\n" in field:
                fail(f"field {field!r} holds a tab or newline")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(row) + "\n")


def main():
    for path in (HP_CSV, HP_XLS, NI_CSV, NI_FMT, HL7_VOCAB):
        if not os.path.exists(path):
            fail(f"{path} not found")
    ingredients = Ingredients(INGREDIENTS)
    hp, exclusions = hp_rows(ingredients)
    ni = ni_rows(ingredients)
    hl7 = hl7_rows(ingredients)
    order = {"high_priority": 0, "non_interruptive": 1, "hl7_pddi": 2}
    rows = sorted(hp + ni + hl7, key=lambda r: (order[r[0]], r[1], r[2], r[5], r[7]))
    exclusions.sort(key=lambda r: (r[1], r[3]))
    write_tsv(OUT, HEADER, rows)
    write_tsv(EXCLUSIONS, EXCLUSION_HEADER, exclusions)
    print(f"{OUT}: {len(rows)} rows (high priority {len(hp)}, non-interruptive {len(ni)}, "
          f"HL7 PDDI {len(hl7)}); {EXCLUSIONS}: {len(exclusions)} rows")


if __name__ == "__main__":
    main()
