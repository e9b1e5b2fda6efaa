//! Build script: validates the clinical code sets in `assets/` and embeds them.
//!
//! The code sets are data files that people edit by hand (CVX, LOINC) or
//! regenerate once a year (ICD-10-CM). A typo in them would otherwise surface
//! as a wrong code in a patient chart, so every row is checked here and a bad
//! row fails the build with `assets/<file>:<line>: <what is wrong>`.
//!
//! Outputs in `OUT_DIR`, read by `src/codes/` through `include_bytes!`:
//! - `icd10cm.tsv.deflate`: the ICD-10-CM rows without the header, raw
//!   deflate (about 8 MB of text becomes about 0.7 MB of binary);
//! - `cvx.tsv`, `loinc.tsv`: the small tables without their header, plain;
//! - `rxnorm_ingredients.tsv`, `interactions.tsv`, `allergy_classes.tsv`,
//!   `cross_reactivity.tsv`: the medication-safety knowledge read by
//!   `src/care/medication_safety/`, without their header. The interaction
//!   exclusions are validated but not embedded: only tests read them.
//! - `visit_kinds.tsv`: the SNOMED CT visit kinds the visit form offers so that
//!   quality measures count a visit (check digit, no duplicates, words given).
//! - `care_code_lists.json`, `preventive_rules.json`, `registries.json`: the
//!   preventive-care rule table, the monitoring registries and the code lists
//!   and medication classes they name, read by `src/care/`. Checked here: the
//!   shape the engine needs, every code well formed for its system (LOINC and
//!   SNOMED CT check digits, ICD-10-CM codes present in the table with the
//!   table's description, HCPCS and ICD-10-PCS shapes, no CPT), every list,
//!   class and ingredient named exists.
//!
//! The checks are hand-written (no regex crate) so the build needs nothing
//! but `miniz_oxide` and `serde_json` (for the JSON rule tables).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process;

/// The LOINC and SNOMED CT check digits, shared with the engine (`codes::check_digits`).
#[path = "src/codes/check_digits.rs"]
mod check_digits;
use check_digits::{is_sctid, loinc_problem};

const ICD10_FILE: &str = "assets/icd10cm.tsv";
const CVX_FILE: &str = "assets/cvx.tsv";
const LOINC_FILE: &str = "assets/loinc.tsv";
const INGREDIENTS_FILE: &str = "assets/rxnorm_ingredients.tsv";
const INTERACTIONS_FILE: &str = "assets/interactions.tsv";
const EXCLUSIONS_FILE: &str = "assets/interaction_exclusions.tsv";
const ALLERGY_CLASSES_FILE: &str = "assets/allergy_classes.tsv";
const CROSS_REACTIVITY_FILE: &str = "assets/cross_reactivity.tsv";
const CODE_LISTS_FILE: &str = "assets/care_code_lists.json";
const PREVENTIVE_FILE: &str = "assets/preventive_rules.json";
const REGISTRIES_FILE: &str = "assets/registries.json";
const VISIT_KINDS_FILE: &str = "assets/visit_kinds.tsv";

const ICD10_HEADER: &str = "code\tbillable\tdescription";
const CVX_HEADER: &str = "code\tshort_name\tfull_name\tstatus";
const LOINC_HEADER: &str = "code\tcategory\tdisplay\tunit\tpanel";
const INGREDIENTS_HEADER: &str = "rxcui\tname\tdrugbank\trxcui_source\tsynonyms";
const INTERACTIONS_HEADER: &str = "list\tgroup\tdrug1\tdrug1_class\tdrug1_route\tdrug2\tdrug2_class\tdrug2_route\tseverity\tsource\tcitation\tconsequence";
const EXCLUSIONS_HEADER: &str = "list\tdrug1\tdrug1_drugbank\tdrug2\tdrug2_drugbank\treason";
const ALLERGY_CLASSES_HEADER: &str = "class\tkind\tname\tterms\tmembers\tstatement\tsources";
const VISIT_KINDS_HEADER: &str = "code\tdisplay\tvalue_set";
const CROSS_REACTIVITY_HEADER: &str = "from_class\tto_class\tseverity\trisk\tstatement\tsources";

/// The CVX status vocabulary the CDC table uses.
const CVX_STATUSES: [&str; 5] = ["Active", "Inactive", "Non-US", "Never Active", "Pending"];
const LOINC_CATEGORIES: [&str; 2] = ["vital", "lab"];

/// Where a verified RxCUI came from (see assets/README.md); tests re-check each
/// row against its source.
const RXCUI_SOURCES: [&str; 2] = ["hl7-pddi", "cpic"];
const INTERACTION_LISTS: [&str; 3] = ["high_priority", "non_interruptive", "hl7_pddi"];
const INTERACTION_SOURCES: [&str; 3] = ["onc-mapped-csv", "onc-class-table", "hl7-pddi-cql"];
const ROUTES: [&str; 3] = ["any", "systemic", "topical"];
const SEVERITIES: [&str; 2] = ["interruptive", "informational"];
const CLASS_KINDS: [&str; 2] = ["class", "group"];
/// The citation keys the medication-safety tables may use; the texts live in
/// `src/care/medication_safety/citations.rs`, whose test checks every key has one.
const CITATIONS: [&str; 9] = [
    "phansalkar2012",
    "phansalkar2013",
    "ayvaz2015",
    "hl7-pddi",
    "aaaai2022",
    "jtfpp2010",
    "haymore2008",
    "acr-contrast",
    "who-atc",
];

/// Deflate level for the ICD-10-CM blob: 6 keeps build.rs well under a second
/// even when `miniz_oxide` is compiled without optimisation (release builds
/// compile build dependencies at opt-level 0), at a cost of a few percent in
/// size over level 9.
const ICD10_DEFLATE_LEVEL: u8 = 6;

/// Stop listing problems after this many: a wholesale mistake (wrong file,
/// wrong delimiter) would otherwise print one line per row.
const MAX_REPORTED: usize = 50;

/// The problems found in one file, by line number.
struct Report {
    file: &'static str,
    problems: Vec<(usize, String)>,
}

impl Report {
    fn new(file: &'static str) -> Self {
        Report {
            file,
            problems: Vec::new(),
        }
    }

    fn add(&mut self, line: usize, what: impl Into<String>) {
        self.problems.push((line, what.into()));
    }

    /// The problems in line order, each as `assets/<file>:<line>: <what>`.
    fn lines(&self) -> Vec<String> {
        let mut problems = self.problems.clone();
        problems.sort_by_key(|(line, _)| *line);
        problems
            .into_iter()
            .map(|(line, what)| format!("{}:{line}: {what}", self.file))
            .collect()
    }
}

/// One data row: its 1-based line number in the file and its fields.
struct Row<'a> {
    line: usize,
    fields: Vec<&'a str>,
}

/// Splits a TSV file into rows after checking the header and the shape of
/// every line (LF endings, no blank lines, exactly as many fields as the
/// header, no padding around a field). Lines of the wrong shape are reported
/// and left out; a stray CR is reported and the line still checked.
fn split_rows<'a>(text: &'a str, header: &str, report: &mut Report) -> Vec<Row<'a>> {
    if text.is_empty() {
        report.add(1, "file is empty");
        return Vec::new();
    }
    let columns = header.split('\t').count();
    let last = text.split('\n').count();
    let mut rows = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = match raw.strip_suffix('\r') {
            Some(line) => {
                report.add(number, "line ends with CR; use LF line endings");
                line
            }
            None => raw,
        };
        if number == 1 {
            if line != header {
                report.add(1, format!("header must be {header:?}, found {line:?}"));
            }
            continue;
        }
        if line.is_empty() {
            // The newline that ends the file leaves one empty last piece.
            if number != last {
                report.add(number, "blank line");
            }
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != columns {
            report.add(
                number,
                format!("expected {columns} columns, found {}", fields.len()),
            );
            continue;
        }
        if let Some(field) = fields.iter().find(|f| f.trim() != **f) {
            report.add(
                number,
                format!("field {field:?} has leading or trailing whitespace"),
            );
            continue;
        }
        rows.push(Row {
            line: number,
            fields,
        });
    }
    if !text.ends_with('\n') {
        report.add(last, "file must end with a newline");
    }
    rows
}

/// `^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$`.
///
/// The second character is usually a digit, but the April 2026 release added
/// the category `QA0` (genetic disorders), so letters are allowed there too.
fn is_icd10_code(code: &str) -> bool {
    let b = code.as_bytes();
    let upper_alnum = |c: u8| c.is_ascii_digit() || c.is_ascii_uppercase();
    if b.len() < 3 || !b[0].is_ascii_uppercase() || !upper_alnum(b[1]) || !upper_alnum(b[2]) {
        return false;
    }
    match b.len() {
        3 => true,
        5..=8 => b[3] == b'.' && b[4..].iter().all(|&c| upper_alnum(c)),
        _ => false,
    }
}

/// Validates the ICD-10-CM table: code format, billable flag, description,
/// strictly increasing (so sorted and duplicate-free) byte order, and a
/// billable flag that agrees with the hierarchy (a code is billable exactly
/// when no other code extends it).
fn check_icd10(text: &str, report: &mut Report) -> usize {
    let rows = split_rows(text, ICD10_HEADER, report);
    let mut previous: Option<&Row> = None;
    for row in &rows {
        let [code, billable, description] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if !is_icd10_code(code) {
            report.add(
                row.line,
                format!("ICD-10-CM code {code:?} is not like A00, A00.0 or S00.01XA"),
            );
        }
        if billable != "0" && billable != "1" {
            report.add(
                row.line,
                format!("billable must be 0 or 1, found {billable:?}"),
            );
        }
        if description.is_empty() {
            report.add(row.line, format!("code {code} has an empty description"));
        }
        if let Some(prev) = previous {
            let prev_code = prev.fields[0];
            match code.cmp(prev_code) {
                Ordering::Equal => report.add(
                    row.line,
                    format!("duplicate code {code} (also on line {})", prev.line),
                ),
                Ordering::Less => report.add(
                    row.line,
                    format!(
                        "code {code} is out of order: it sorts before {prev_code} on line {}",
                        prev.line
                    ),
                ),
                Ordering::Greater => {
                    check_billable_against_next(prev, code.starts_with(prev_code), report);
                }
            }
        }
        previous = Some(row);
    }
    if let Some(last) = previous {
        check_billable_against_next(last, false, report);
    }
    rows.len()
}

/// In a sorted table a code's children follow it directly, so a code has
/// children exactly when the next code extends it.
fn check_billable_against_next(row: &Row, has_children: bool, report: &mut Report) {
    let (code, billable) = (row.fields[0], row.fields[1]);
    if has_children && billable == "1" {
        report.add(
            row.line,
            format!("code {code} is marked billable but has subcodes"),
        );
    } else if !has_children && billable == "0" {
        report.add(
            row.line,
            format!("code {code} has no subcodes, so it must be billable (1)"),
        );
    }
}

/// Validates the CVX table: 1–3 digit codes in the CDC's canonical form
/// (single-digit codes carry one leading zero, as in `03`), no duplicates
/// even up to leading zeros, non-empty names, a known status.
fn check_cvx(text: &str, report: &mut Report) -> usize {
    let rows = split_rows(text, CVX_HEADER, report);
    let mut seen: HashMap<u32, usize> = HashMap::new();
    for row in &rows {
        let [code, short_name, full_name, status] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        let all_digits = !code.is_empty() && code.bytes().all(|c| c.is_ascii_digit());
        if !all_digits || code.len() > 3 {
            report.add(row.line, format!("CVX code {code:?} must be 1 to 3 digits"));
        } else {
            let value: u32 = code.parse().expect("1 to 3 ASCII digits");
            let canonical = if value < 10 {
                format!("{value:02}")
            } else {
                value.to_string()
            };
            if code != canonical {
                report.add(
                    row.line,
                    format!("CVX code {code:?} must be written {canonical:?}"),
                );
            }
            if let Some(first) = seen.insert(value, row.line) {
                report.add(
                    row.line,
                    format!("duplicate CVX code {code} (also on line {first})"),
                );
            }
        }
        if short_name.is_empty() {
            report.add(row.line, format!("CVX {code} has an empty short_name"));
        }
        if full_name.is_empty() {
            report.add(row.line, format!("CVX {code} has an empty full_name"));
        }
        if !CVX_STATUSES.contains(&status) {
            report.add(
                row.line,
                format!("CVX status {status:?} is not one of {CVX_STATUSES:?}"),
            );
        }
    }
    rows.len()
}

/// Validates the LOINC table: code format and check digit, category, a
/// non-empty display, no duplicates, and a panel column that names another
/// code of the same file (or is empty).
fn check_loinc(text: &str, report: &mut Report) -> usize {
    let rows = split_rows(text, LOINC_HEADER, report);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        let [code, category, display, _unit, _panel] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if let Some(problem) = loinc_problem(code) {
            report.add(row.line, problem);
        }
        if let Some(first) = seen.insert(code, row.line) {
            report.add(
                row.line,
                format!("duplicate LOINC code {code} (also on line {first})"),
            );
        }
        if !LOINC_CATEGORIES.contains(&category) {
            report.add(
                row.line,
                format!("category {category:?} is not one of {LOINC_CATEGORIES:?}"),
            );
        }
        if display.is_empty() {
            report.add(row.line, format!("LOINC {code} has an empty display"));
        }
    }
    let codes: HashSet<&str> = seen.keys().copied().collect();
    for row in &rows {
        let (code, panel) = (row.fields[0], row.fields[4]);
        if panel.is_empty() {
            continue;
        }
        if panel == code {
            report.add(row.line, format!("LOINC {code} names itself as its panel"));
        } else if !codes.contains(panel) {
            report.add(
                row.line,
                format!("panel {panel} of LOINC {code} is not a code in this file"),
            );
        }
    }
    rows.len()
}

/// Splits a `; `-separated list field; an empty field is an empty list.
fn list_items(field: &str) -> Vec<&str> {
    if field.is_empty() {
        Vec::new()
    } else {
        field.split("; ").collect()
    }
}

/// Reports an empty item, padding, or an item listed twice in one list field.
fn check_list(line: usize, what: &str, field: &str, report: &mut Report) {
    let mut seen = HashSet::new();
    for item in list_items(field) {
        if item.is_empty() || item.trim() != item || item.contains(';') {
            report.add(
                line,
                format!("{what} {field:?} must be items separated by \"; \""),
            );
            return;
        }
        if !seen.insert(item) {
            report.add(line, format!("{what} lists {item:?} twice"));
        }
    }
}

fn is_rxcui(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 8
        && code.bytes().all(|c| c.is_ascii_digit())
        && !code.starts_with('0')
}

fn is_drugbank_id(id: &str) -> bool {
    id.len() == 7 && id.starts_with("DB") && id[2..].bytes().all(|c| c.is_ascii_digit())
}

/// Validates the ingredient table and returns its names (line by name) and
/// DrugBank ids by name. A name must be lower case, unique and not another
/// row's synonym; a synonym may stand in several rows, which is how a brand
/// of a combination product (Augmentin) names all its ingredients.
fn check_ingredients<'a>(
    text: &'a str,
    report: &mut Report,
) -> (HashMap<&'a str, usize>, HashMap<&'a str, &'a str>) {
    let rows = split_rows(text, INGREDIENTS_HEADER, report);
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut drugbank: HashMap<&str, &str> = HashMap::new();
    let mut rxcuis: HashMap<&str, usize> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        let [rxcui, name, db, source, synonyms] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if name.is_empty() || name.to_lowercase() != name {
            report.add(
                row.line,
                format!("name {name:?} must be non-empty and lower case"),
            );
        }
        if let Some(first) = names.insert(name, row.line) {
            report.add(
                row.line,
                format!("duplicate ingredient {name:?} (also on line {first})"),
            );
        }
        if rxcui.is_empty() != source.is_empty() {
            report.add(
                row.line,
                format!("{name}: rxcui and rxcui_source must both be set or both be empty"),
            );
        }
        if !rxcui.is_empty() {
            if !is_rxcui(rxcui) {
                report.add(
                    row.line,
                    format!("{name}: RxCUI {rxcui:?} must be 1 to 8 digits"),
                );
            }
            if let Some(first) = rxcuis.insert(rxcui, row.line) {
                report.add(
                    row.line,
                    format!("{name}: duplicate RxCUI {rxcui} (also on line {first})"),
                );
            }
        }
        if !source.is_empty() && !RXCUI_SOURCES.contains(&source) {
            report.add(
                row.line,
                format!("{name}: rxcui_source {source:?} is not one of {RXCUI_SOURCES:?}"),
            );
        }
        if !db.is_empty() {
            if !is_drugbank_id(db) {
                report.add(
                    row.line,
                    format!("{name}: DrugBank id {db:?} is not like DB00945"),
                );
            }
            if let Some(first) = ids.insert(db, row.line) {
                report.add(
                    row.line,
                    format!("{name}: duplicate DrugBank id {db} (also on line {first})"),
                );
            }
            drugbank.insert(name, db);
        }
        check_list(row.line, "synonyms", synonyms, report);
        for syn in list_items(synonyms) {
            if syn.to_lowercase() != syn {
                report.add(
                    row.line,
                    format!("{name}: synonym {syn:?} must be lower case"),
                );
            }
            if syn == name {
                report.add(row.line, format!("{name}: synonym repeats the name"));
            }
        }
    }
    for row in &rows {
        for syn in list_items(row.fields[4]) {
            if let Some(other) = names.get(syn) {
                report.add(
                    row.line,
                    format!(
                        "synonym {syn:?} of {} is the name of the ingredient on line {other}",
                        row.fields[1]
                    ),
                );
            }
        }
    }
    (names, drugbank)
}

fn check_ingredient_ref(
    line: usize,
    name: &str,
    names: &HashMap<&str, usize>,
    report: &mut Report,
) {
    if !names.contains_key(name) {
        report.add(
            line,
            format!("{name:?} is not an ingredient in {INGREDIENTS_FILE}"),
        );
    }
}

fn check_citations(line: usize, field: &str, report: &mut Report) {
    check_list(line, "sources", field, report);
    let keys = list_items(field);
    if keys.is_empty() {
        report.add(line, "no citation given");
    }
    for key in keys {
        if !CITATIONS.contains(&key) {
            report.add(
                line,
                format!("citation {key:?} is not one of {CITATIONS:?}"),
            );
        }
    }
}

/// Validates the interaction table: known list, severity, routes, source and
/// citation; both drugs in the ingredient table and different; no pair twice
/// in one list (in either order, for the same routes).
fn check_interactions(text: &str, names: &HashMap<&str, usize>, report: &mut Report) -> usize {
    let rows = split_rows(text, INTERACTIONS_HEADER, report);
    let mut seen: HashMap<(&str, &str, &str, &str, &str), usize> = HashMap::new();
    for row in &rows {
        let [list, _group, d1, _c1, r1, d2, _c2, r2, severity, source, citation, _consequence] =
            row.fields[..]
        else {
            unreachable!("split_rows checked the column count")
        };
        if !INTERACTION_LISTS.contains(&list) {
            report.add(
                row.line,
                format!("list {list:?} is not one of {INTERACTION_LISTS:?}"),
            );
        }
        check_ingredient_ref(row.line, d1, names, report);
        check_ingredient_ref(row.line, d2, names, report);
        if d1 == d2 {
            report.add(row.line, format!("{d1} interacts with itself"));
        }
        for route in [r1, r2] {
            if !ROUTES.contains(&route) {
                report.add(
                    row.line,
                    format!("route {route:?} is not one of {ROUTES:?}"),
                );
            }
        }
        if !SEVERITIES.contains(&severity) {
            report.add(
                row.line,
                format!("severity {severity:?} is not one of {SEVERITIES:?}"),
            );
        }
        if !INTERACTION_SOURCES.contains(&source) {
            report.add(
                row.line,
                format!("source {source:?} is not one of {INTERACTION_SOURCES:?}"),
            );
        }
        check_citations(row.line, citation, report);
        let key = if (d1, r1) <= (d2, r2) {
            (list, d1, r1, d2, r2)
        } else {
            (list, d2, r2, d1, r1)
        };
        if let Some(first) = seen.insert(key, row.line) {
            report.add(
                row.line,
                format!("duplicate pair {d1} + {d2} in {list} (also on line {first})"),
            );
        }
    }
    rows.len()
}

/// Validates the exclusions: each names two ingredients (with the DrugBank ids
/// the source gave, which must agree with the ingredient table) and a reason.
fn check_exclusions(
    text: &str,
    names: &HashMap<&str, usize>,
    drugbank: &HashMap<&str, &str>,
    report: &mut Report,
) {
    let rows = split_rows(text, EXCLUSIONS_HEADER, report);
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for row in &rows {
        let [list, d1, db1, d2, db2, reason] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if !INTERACTION_LISTS.contains(&list) {
            report.add(
                row.line,
                format!("list {list:?} is not one of {INTERACTION_LISTS:?}"),
            );
        }
        for (name, db) in [(d1, db1), (d2, db2)] {
            check_ingredient_ref(row.line, name, names, report);
            if drugbank.get(name).is_some_and(|known| *known != db) {
                report.add(
                    row.line,
                    format!("{name}: DrugBank id {db} differs from {INGREDIENTS_FILE}"),
                );
            }
        }
        if reason.is_empty() {
            report.add(row.line, "an exclusion needs a reason");
        }
        let key = if d1 <= d2 {
            (list, d1, d2)
        } else {
            (list, d2, d1)
        };
        if let Some(first) = seen.insert(key, row.line) {
            report.add(
                row.line,
                format!("duplicate exclusion {d1} + {d2} (also on line {first})"),
            );
        }
    }
}

/// Validates the allergy classes and returns their ids: id format, kind,
/// members in the ingredient table, a statement, citations, and no allergy
/// term shared by two classes or equal to an ingredient name.
fn check_allergy_classes<'a>(
    text: &'a str,
    names: &HashMap<&str, usize>,
    report: &mut Report,
) -> HashSet<&'a str> {
    let rows = split_rows(text, ALLERGY_CLASSES_HEADER, report);
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut terms: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        let [id, kind, name, class_terms, members, statement, sources] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if id.is_empty()
            || !id
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        {
            report.add(
                row.line,
                format!("class id {id:?} must be lower case letters, digits and '_'"),
            );
        }
        if let Some(first) = ids.insert(id, row.line) {
            report.add(
                row.line,
                format!("duplicate class {id} (also on line {first})"),
            );
        }
        if !CLASS_KINDS.contains(&kind) {
            report.add(
                row.line,
                format!("kind {kind:?} is not one of {CLASS_KINDS:?}"),
            );
        }
        if name.is_empty() || statement.is_empty() {
            report.add(row.line, format!("class {id} needs a name and a statement"));
        }
        check_list(row.line, "terms", class_terms, report);
        for term in list_items(class_terms) {
            if term.to_lowercase() != term {
                report.add(row.line, format!("term {term:?} must be lower case"));
            }
            if names.contains_key(term) {
                report.add(row.line, format!("term {term:?} is an ingredient name; an allergy to it is to the ingredient"));
            }
            if let Some(first) = terms.insert(term, row.line) {
                report.add(
                    row.line,
                    format!("term {term:?} also names the class on line {first}"),
                );
            }
        }
        check_list(row.line, "members", members, report);
        if list_items(members).is_empty() {
            report.add(row.line, format!("class {id} has no members"));
        }
        for member in list_items(members) {
            check_ingredient_ref(row.line, member, names, report);
        }
        check_citations(row.line, sources, report);
    }
    ids.into_keys().collect()
}

/// Validates the visit kinds: a SNOMED CT concept id with a valid check digit, once
/// each, with its words and the value set it comes from.
fn check_visit_kinds(text: &str, report: &mut Report) -> usize {
    let rows = split_rows(text, VISIT_KINDS_HEADER, report);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        let [code, display, value_set] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        if !is_sctid(code) {
            report.add(
                row.line,
                format!("{code:?} is not a SNOMED CT concept id (its check digit fails)"),
            );
        }
        if let Some(first) = seen.insert(code, row.line) {
            report.add(
                row.line,
                format!("duplicate visit kind {code} (also on line {first})"),
            );
        }
        if display.trim().is_empty() || value_set.trim().is_empty() {
            report.add(
                row.line,
                format!("visit kind {code} needs its words and its value set"),
            );
        }
    }
    rows.len()
}

/// Validates the cross-reactivity rules: both classes exist and differ, a
/// severity, a risk, a statement and citations; no pair twice.
fn check_cross_reactivity(text: &str, classes: &HashSet<&str>, report: &mut Report) {
    let rows = split_rows(text, CROSS_REACTIVITY_HEADER, report);
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for row in &rows {
        let [from, to, severity, risk, statement, sources] = row.fields[..] else {
            unreachable!("split_rows checked the column count")
        };
        for class in [from, to] {
            if !classes.contains(class) {
                report.add(
                    row.line,
                    format!("{class:?} is not a class in {ALLERGY_CLASSES_FILE}"),
                );
            }
        }
        if from == to {
            report.add(
                row.line,
                format!("{from} cross-reacts with itself; same-class alerts need no rule"),
            );
        }
        if !SEVERITIES.contains(&severity) {
            report.add(
                row.line,
                format!("severity {severity:?} is not one of {SEVERITIES:?}"),
            );
        }
        if risk.is_empty() || statement.is_empty() {
            report.add(row.line, "a rule needs a risk and a statement");
        }
        check_citations(row.line, sources, report);
        if let Some(first) = seen.insert((from, to), row.line) {
            report.add(
                row.line,
                format!("duplicate rule {from} -> {to} (also on line {first})"),
            );
        }
    }
}

/// The data lines of a validated file, header dropped.
fn body(text: &str) -> &str {
    text.split_once('\n').map_or("", |(_, rest)| rest)
}

fn read(root: &Path, file: &str) -> String {
    let path = root.join(file);
    match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => fail(&[format!("{file}:1: cannot read {}: {err}", path.display())]),
    }
}

fn write(out_dir: &Path, name: &str, bytes: &[u8]) {
    let path = out_dir.join(name);
    if let Err(err) = fs::write(&path, bytes) {
        fail(&[format!("cannot write {}: {err}", path.display())]);
    }
}

fn fail(problems: &[String]) -> ! {
    eprintln!("error: the clinical code sets in assets/ are invalid");
    for problem in problems.iter().take(MAX_REPORTED) {
        eprintln!("{problem}");
    }
    if problems.len() > MAX_REPORTED {
        eprintln!("... and {} more", problems.len() - MAX_REPORTED);
    }
    process::exit(1);
}

fn main() {
    for file in [
        ICD10_FILE,
        CVX_FILE,
        LOINC_FILE,
        INGREDIENTS_FILE,
        INTERACTIONS_FILE,
        EXCLUSIONS_FILE,
        ALLERGY_CLASSES_FILE,
        CROSS_REACTIVITY_FILE,
        CODE_LISTS_FILE,
        PREVENTIVE_FILE,
        REGISTRIES_FILE,
        VISIT_KINDS_FILE,
        "build.rs",
    ] {
        println!("cargo:rerun-if-changed={file}");
    }
    let root =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let icd10 = read(&root, ICD10_FILE);
    let cvx = read(&root, CVX_FILE);
    let loinc = read(&root, LOINC_FILE);
    let ingredients = read(&root, INGREDIENTS_FILE);
    let interactions = read(&root, INTERACTIONS_FILE);
    let exclusions = read(&root, EXCLUSIONS_FILE);
    let allergy_classes = read(&root, ALLERGY_CLASSES_FILE);
    let cross_reactivity = read(&root, CROSS_REACTIVITY_FILE);
    let visit_kinds = read(&root, VISIT_KINDS_FILE);

    let mut reports = [
        Report::new(ICD10_FILE),
        Report::new(CVX_FILE),
        Report::new(LOINC_FILE),
        Report::new(INGREDIENTS_FILE),
        Report::new(INTERACTIONS_FILE),
        Report::new(EXCLUSIONS_FILE),
        Report::new(ALLERGY_CLASSES_FILE),
        Report::new(CROSS_REACTIVITY_FILE),
        Report::new(VISIT_KINDS_FILE),
    ];
    let icd10_rows = check_icd10(&icd10, &mut reports[0]);
    check_cvx(&cvx, &mut reports[1]);
    check_loinc(&loinc, &mut reports[2]);
    let (names, drugbank) = check_ingredients(&ingredients, &mut reports[3]);
    let interaction_rows = check_interactions(&interactions, &names, &mut reports[4]);
    check_exclusions(&exclusions, &names, &drugbank, &mut reports[5]);
    let classes = check_allergy_classes(&allergy_classes, &names, &mut reports[6]);
    check_cross_reactivity(&cross_reactivity, &classes, &mut reports[7]);
    let kinds = check_visit_kinds(&visit_kinds, &mut reports[8]);
    let problems: Vec<String> = reports.iter().flat_map(Report::lines).collect();
    if !problems.is_empty() {
        fail(&problems);
    }
    if icd10_rows == 0 {
        fail(&[format!("{ICD10_FILE}:2: the table has no codes")]);
    }
    if kinds == 0 {
        fail(&[format!(
            "{VISIT_KINDS_FILE}:2: the table has no visit kinds"
        )]);
    }
    if interaction_rows == 0 {
        fail(&[format!(
            "{INTERACTIONS_FILE}:2: the table has no interactions"
        )]);
    }

    let packed =
        miniz_oxide::deflate::compress_to_vec(body(&icd10).as_bytes(), ICD10_DEFLATE_LEVEL);
    write(&out_dir, "icd10cm.tsv.deflate", &packed);
    write(&out_dir, "cvx.tsv", body(&cvx).as_bytes());
    write(&out_dir, "loinc.tsv", body(&loinc).as_bytes());
    write(
        &out_dir,
        "rxnorm_ingredients.tsv",
        body(&ingredients).as_bytes(),
    );
    write(&out_dir, "interactions.tsv", body(&interactions).as_bytes());
    write(&out_dir, "visit_kinds.tsv", body(&visit_kinds).as_bytes());
    write(
        &out_dir,
        "allergy_classes.tsv",
        body(&allergy_classes).as_bytes(),
    );
    write(
        &out_dir,
        "cross_reactivity.tsv",
        body(&cross_reactivity).as_bytes(),
    );
    let known = Known::new(&icd10, &cvx, &loinc, &names);
    let code_lists = read(&root, CODE_LISTS_FILE);
    let preventive = read(&root, PREVENTIVE_FILE);
    let registries = read(&root, REGISTRIES_FILE);
    let problems = check_care_json(&known, &code_lists, &preventive, &registries);
    if !problems.is_empty() {
        fail(&problems);
    }
    write(&out_dir, "care_code_lists.json", code_lists.as_bytes());
    write(&out_dir, "preventive_rules.json", preventive.as_bytes());
    write(&out_dir, "registries.json", registries.as_bytes());
    embed_ui(&root, &out_dir);
}

/// The built web UI (`ui/dist`, made by `npm run build` in `ui/`) as a table of files that
/// `chartkeep serve` answers from memory, so serving needs no Node and no files beside the
/// binary. A build without it still compiles; serve then says how to build the UI.
fn embed_ui(root: &Path, out_dir: &Path) {
    let dist = root.join("ui/dist");
    println!("cargo:rerun-if-changed=ui/dist");
    let mut files = Vec::new();
    let mut dirs = vec![dist.clone()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Ok(rel) = p.strip_prefix(&dist) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                files.push((rel, p.clone()));
            }
        }
    }
    files.sort();
    let built = files.iter().any(|(rel, _)| rel == "index.html");
    let mut code = format!(
        "/// Whether `ui/dist` held a built UI when this binary was compiled.\npub const BUILT: bool = {built};\n\
         /// Every file of the built UI: its path under `ui/dist` and its bytes.\npub static FILES: &[(&str, &[u8])] = &[\n"
    );
    if built {
        for (rel, path) in &files {
            code.push_str(&format!(
                "    ({rel:?}, include_bytes!({:?})),\n",
                path.display().to_string()
            ));
        }
    }
    code.push_str("];\n");
    write(out_dir, "ui_files.rs", code.as_bytes());
}

/// What the JSON rule tables may refer to: the other code sets' contents.
struct Known<'a> {
    /// ICD-10-CM code to description.
    icd10: HashMap<&'a str, &'a str>,
    cvx: HashSet<&'a str>,
    /// LOINC code to display, for the codes `assets/loinc.tsv` lists.
    loinc: HashMap<&'a str, &'a str>,
    ingredients: HashSet<&'a str>,
    lists: HashSet<String>,
    classes: HashSet<String>,
}

impl<'a> Known<'a> {
    fn new(icd10: &'a str, cvx: &'a str, loinc: &'a str, names: &HashMap<&'a str, usize>) -> Self {
        let rows = |text: &'a str| {
            body(text)
                .lines()
                .map(|l| l.split('\t').collect::<Vec<_>>())
        };
        Known {
            icd10: rows(icd10)
                .filter(|f| f.len() == 3)
                .map(|f| (f[0], f[2]))
                .collect(),
            cvx: rows(cvx).filter_map(|f| f.first().copied()).collect(),
            loinc: rows(loinc)
                .filter(|f| f.len() >= 3)
                .map(|f| (f[0], f[2]))
                .collect(),
            ingredients: names.keys().copied().collect(),
            lists: HashSet::new(),
            classes: HashSet::new(),
        }
    }
}

/// Problems in the three JSON files, each as `assets/<file>: <path>: <what>`.
fn check_care_json(
    known: &Known,
    code_lists: &str,
    preventive: &str,
    registries: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let parse = |file: &str, text: &str, problems: &mut Vec<String>| match serde_json::from_str::<
        serde_json::Value,
    >(text)
    {
        Ok(value) => Some(value),
        Err(err) => {
            problems.push(format!("{file}:{}: not valid JSON: {err}", err.line()));
            None
        }
    };
    let (Some(lists), Some(rules), Some(regs)) = (
        parse(CODE_LISTS_FILE, code_lists, &mut problems),
        parse(PREVENTIVE_FILE, preventive, &mut problems),
        parse(REGISTRIES_FILE, registries, &mut problems),
    ) else {
        return problems;
    };
    let mut known = Known {
        icd10: known.icd10.clone(),
        cvx: known.cvx.clone(),
        loinc: known.loinc.clone(),
        ingredients: known.ingredients.clone(),
        lists: HashSet::new(),
        classes: HashSet::new(),
    };
    let mut add =
        |file: &str, path: &str, what: String| problems.push(format!("{file}: {path}: {what}"));

    // Code lists and classes.
    need_string(&lists, "version", CODE_LISTS_FILE, "", &mut add);
    match lists.get("code_lists").and_then(|v| v.as_object()) {
        None => add(
            CODE_LISTS_FILE,
            "code_lists",
            "must be an object of named lists".into(),
        ),
        Some(map) => {
            for (name, list) in map {
                let path = format!("code_lists.{name}");
                check_id(name, CODE_LISTS_FILE, &path, &mut add);
                need_string(list, "label", CODE_LISTS_FILE, &path, &mut add);
                need_string(list, "source", CODE_LISTS_FILE, &path, &mut add);
                if list
                    .get("codes")
                    .and_then(|c| c.as_array())
                    .is_none_or(|c| c.is_empty())
                {
                    add(
                        CODE_LISTS_FILE,
                        &path,
                        "needs a non-empty codes array".into(),
                    );
                }
                known.lists.insert(name.clone());
            }
        }
    }
    match lists.get("medication_classes").and_then(|v| v.as_object()) {
        None => add(
            CODE_LISTS_FILE,
            "medication_classes",
            "must be an object of named classes".into(),
        ),
        Some(map) => {
            for (name, class) in map {
                let path = format!("medication_classes.{name}");
                check_id(name, CODE_LISTS_FILE, &path, &mut add);
                need_string(class, "label", CODE_LISTS_FILE, &path, &mut add);
                need_string(class, "source", CODE_LISTS_FILE, &path, &mut add);
                if class
                    .get("ingredients")
                    .and_then(|c| c.as_array())
                    .is_none_or(|c| c.is_empty())
                {
                    add(
                        CODE_LISTS_FILE,
                        &path,
                        "needs a non-empty ingredients array".into(),
                    );
                }
                known.classes.insert(name.clone());
            }
        }
    }
    walk(&lists, "", CODE_LISTS_FILE, &known, &mut add);

    // Preventive rules.
    need_string(&rules, "version", PREVENTIVE_FILE, "", &mut add);
    for key in [
        "due_soon_days",
        "overdue_after_days",
        "decline_valid_months",
    ] {
        if rules
            .pointer(&format!("/defaults/{key}"))
            .and_then(|v| v.as_u64())
            .is_none()
        {
            add(
                PREVENTIVE_FILE,
                &format!("defaults.{key}"),
                "must be a whole number".into(),
            );
        }
    }
    let mut ids = HashSet::new();
    for (i, rule) in rules
        .get("rules")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("rules[{i}]");
        let id = rule.get("id").and_then(|v| v.as_str()).unwrap_or("");
        check_id(id, PREVENTIVE_FILE, &format!("{path}.id"), &mut add);
        if !ids.insert(id.to_string()) {
            add(
                PREVENTIVE_FILE,
                &format!("{path}.id"),
                format!("duplicate rule id {id:?}"),
            );
        }
        for key in ["title", "statement", "citation"] {
            need_string(rule, key, PREVENTIVE_FILE, &path, &mut add);
        }
        let grade = rule.get("grade").and_then(|v| v.as_str()).unwrap_or("");
        if !["A", "B", "A/B"].contains(&grade) {
            add(
                PREVENTIVE_FILE,
                &format!("{path}.grade"),
                format!("grade {grade:?} is not A, B or A/B (only A and B recommendations ship)"),
            );
        }
        let date = rule.get("date").and_then(|v| v.as_str()).unwrap_or("");
        if !is_date(date) {
            add(
                PREVENTIVE_FILE,
                &format!("{path}.date"),
                format!("{date:?} is not a YYYY-MM-DD date"),
            );
        }
        match rule.get("interval") {
            Some(serde_json::Value::String(s)) if s == "once" || s == "while_active" => {}
            Some(v)
                if v.pointer("/every/months")
                    .and_then(|m| m.as_u64())
                    .is_some_and(|m| m > 0) => {}
            _ => add(
                PREVENTIVE_FILE,
                &format!("{path}.interval"),
                "must be \"once\", \"while_active\" or {\"every\": {\"months\": N}} with N ≥ 1"
                    .into(),
            ),
        }
        if rule.get("population").and_then(|v| v.as_object()).is_none() {
            add(
                PREVENTIVE_FILE,
                &format!("{path}.population"),
                "must be an object".into(),
            );
        }
        if let (Some(min), Some(max)) = (
            rule.pointer("/population/min_age").and_then(|v| v.as_u64()),
            rule.pointer("/population/max_age").and_then(|v| v.as_u64()),
        ) {
            if min > max {
                add(
                    PREVENTIVE_FILE,
                    &format!("{path}.population"),
                    format!("min_age {min} is above max_age {max}"),
                );
            }
        }
        if rule
            .get("satisfied_by")
            .and_then(|v| v.as_array())
            .is_none_or(|a| a.is_empty())
        {
            add(
                PREVENTIVE_FILE,
                &format!("{path}.satisfied_by"),
                "name at least one way to meet the rule".into(),
            );
        }
    }
    if ids.is_empty() {
        add(PREVENTIVE_FILE, "rules", "the table has no rules".into());
    }
    walk(&rules, "", PREVENTIVE_FILE, &known, &mut add);

    // Registries.
    need_string(&regs, "version", REGISTRIES_FILE, "", &mut add);
    let mut ids = HashSet::new();
    for (i, reg) in regs
        .get("registries")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("registries[{i}]");
        let id = reg.get("id").and_then(|v| v.as_str()).unwrap_or("");
        check_id(id, REGISTRIES_FILE, &format!("{path}.id"), &mut add);
        if !ids.insert(id.to_string()) {
            add(
                REGISTRIES_FILE,
                &format!("{path}.id"),
                format!("duplicate registry id {id:?}"),
            );
        }
        need_string(reg, "title", REGISTRIES_FILE, &path, &mut add);
        for (j, flag) in reg
            .get("flag_when")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = flag.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            if ![
                "latest_result",
                "no_result_within",
                "blood_pressure_at_least",
                "overdue_vaccines",
            ]
            .contains(&kind)
            {
                add(
                    REGISTRIES_FILE,
                    &format!("{path}.flag_when[{j}].kind"),
                    format!("unknown flag kind {kind:?}"),
                );
            }
        }
        if reg
            .get("flag_when")
            .and_then(|v| v.as_array())
            .is_none_or(|a| a.is_empty())
        {
            add(
                REGISTRIES_FILE,
                &format!("{path}.flag_when"),
                "give at least one flag".into(),
            );
        }
    }
    walk(&regs, "", REGISTRIES_FILE, &known, &mut add);
    problems
}

fn need_string(
    value: &serde_json::Value,
    key: &str,
    file: &str,
    path: &str,
    add: &mut impl FnMut(&str, &str, String),
) {
    if value
        .get(key)
        .and_then(|v| v.as_str())
        .is_none_or(|s| s.trim().is_empty())
    {
        add(
            file,
            &join_path(path, key),
            "must be a non-empty string".into(),
        );
    }
}

fn check_id(id: &str, file: &str, path: &str, add: &mut impl FnMut(&str, &str, String)) {
    if id.is_empty()
        || !id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
    {
        add(
            file,
            path,
            format!("id {id:?} must be lower case letters, digits and '_'"),
        );
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]
        }
        _ => false,
    }
}

/// Walks a JSON value and checks every code, LOINC entry, list, class and
/// ingredient it names, wherever it appears.
fn walk(
    value: &serde_json::Value,
    path: &str,
    file: &str,
    known: &Known,
    add: &mut impl FnMut(&str, &str, String),
) {
    match value {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), file, known, add);
            }
        }
        serde_json::Value::Object(map) => {
            if let (Some(system), Some(code)) = (
                map.get("system").and_then(|v| v.as_str()),
                map.get("code").and_then(|v| v.as_str()),
            ) {
                let display = map.get("display").and_then(|v| v.as_str()).unwrap_or("");
                if display.trim().is_empty() {
                    add(file, path, format!("code {code} needs a display"));
                }
                if let Some(problem) = code_problem(system, code, display, known) {
                    add(file, path, problem);
                }
            }
            for (key, item) in map {
                let here = join_path(path, key);
                match (key.as_str(), item) {
                    ("loinc", serde_json::Value::Array(codes)) => {
                        for (i, c) in codes.iter().enumerate() {
                            let p = format!("{here}[{i}]");
                            let code = c.get("code").and_then(|v| v.as_str()).unwrap_or("");
                            let display = c.get("display").and_then(|v| v.as_str()).unwrap_or("");
                            if display.trim().is_empty() {
                                add(file, &p, format!("LOINC {code} needs a display"));
                            }
                            if let Some(problem) = code_problem("loinc", code, display, known) {
                                add(file, &p, problem);
                            }
                        }
                    }
                    ("list", serde_json::Value::String(name)) if !known.lists.contains(name) => {
                        add(
                            file,
                            &here,
                            format!("no code list {name:?} in {CODE_LISTS_FILE}"),
                        )
                    }
                    ("class" | "medication_class", serde_json::Value::String(name))
                        if !known.classes.contains(name) =>
                    {
                        add(
                            file,
                            &here,
                            format!("no medication class {name:?} in {CODE_LISTS_FILE}"),
                        )
                    }
                    ("ingredients", serde_json::Value::Array(names)) => {
                        for (i, n) in names.iter().enumerate() {
                            let name = n.as_str().unwrap_or("");
                            if !known.ingredients.contains(name) {
                                add(
                                    file,
                                    &format!("{here}[{i}]"),
                                    format!("{name:?} is not an ingredient in {INGREDIENTS_FILE}"),
                                );
                            }
                        }
                    }
                    _ => walk(item, &here, file, known, add),
                }
            }
        }
        _ => {}
    }
}

/// Why a code is wrong for its system, or `None`.
fn code_problem(system: &str, code: &str, display: &str, known: &Known) -> Option<String> {
    match system {
        "icd10cm" => match known.icd10.get(code) {
            None => Some(format!("ICD-10-CM {code:?} is not in {ICD10_FILE}")),
            Some(description) if *description != display => Some(format!(
                "ICD-10-CM {code} is {description:?} in {ICD10_FILE}, not {display:?}"
            )),
            Some(_) => None,
        },
        "loinc" => loinc_problem(code).or_else(|| match known.loinc.get(code) {
            Some(expected) if *expected != display => Some(format!(
                "LOINC {code} is {expected:?} in {LOINC_FILE}, not {display:?}"
            )),
            _ => None,
        }),
        "snomed" => (!is_sctid(code))
            .then(|| format!("SNOMED CT id {code:?} has a wrong check digit or shape")),
        "hcpcs" => {
            let b = code.as_bytes();
            let ok = b.len() == 5
                && (b'A'..=b'V').contains(&b[0])
                && b[1..].iter().all(u8::is_ascii_digit);
            (!ok).then(|| format!("HCPCS {code:?} is not a letter A-V and four digits"))
        }
        "icd10pcs" => {
            let ok = code.len() == 7
                && code.bytes().all(|c| {
                    c.is_ascii_digit() || (c.is_ascii_uppercase() && c != b'I' && c != b'O')
                });
            (!ok).then(|| {
                format!("ICD-10-PCS {code:?} is not 7 characters (digits, letters but I and O)")
            })
        }
        "cvx" => (!known.cvx.contains(code)).then(|| format!("CVX {code:?} is not in {CVX_FILE}")),
        "cpt" => Some(format!(
            "CPT {code:?}: CPT is AMA content and may not ship; use SNOMED CT, HCPCS or LOINC"
        )),
        other => Some(format!(
            "unknown code system {other:?} (use icd10cm, snomed, loinc, hcpcs, icd10pcs or cvx)"
        )),
    }
}
