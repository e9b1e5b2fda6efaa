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
//! - `cvx.tsv`, `loinc.tsv`: the small tables without their header, plain.
//!
//! The checks are hand-written (no regex crate) so the build needs nothing
//! but `miniz_oxide`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process;

const ICD10_FILE: &str = "assets/icd10cm.tsv";
const CVX_FILE: &str = "assets/cvx.tsv";
const LOINC_FILE: &str = "assets/loinc.tsv";

const ICD10_HEADER: &str = "code\tbillable\tdescription";
const CVX_HEADER: &str = "code\tshort_name\tfull_name\tstatus";
const LOINC_HEADER: &str = "code\tcategory\tdisplay\tunit\tpanel";

/// The CVX status vocabulary the CDC table uses.
const CVX_STATUSES: [&str; 5] = ["Active", "Inactive", "Non-US", "Never Active", "Pending"];
const LOINC_CATEGORIES: [&str; 2] = ["vital", "lab"];

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

/// `^\d{1,7}-\d$` with a correct mod-10 check digit.
fn loinc_problem(code: &str) -> Option<String> {
    let Some((body, check)) = code.split_once('-') else {
        return Some(format!(
            "LOINC code {code:?} has no '-' before its check digit"
        ));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(body) || body.len() > 7 || !digits(check) || check.len() != 1 {
        return Some(format!(
            "LOINC code {code:?} must be 1 to 7 digits, '-', one check digit"
        ));
    }
    let expected = loinc_check_digit(body);
    let found = check.as_bytes()[0] - b'0';
    if expected != found {
        return Some(format!(
            "LOINC code {code:?} has check digit {found}, expected {expected}"
        ));
    }
    None
}

/// The LOINC check digit: the Luhn (mod 10) algorithm over the digits before
/// the hyphen, doubling every other digit starting from the rightmost.
fn loinc_check_digit(body: &str) -> u8 {
    let mut sum = 0u32;
    for (position, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if position % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - sum % 10) % 10) as u8
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
    for file in [ICD10_FILE, CVX_FILE, LOINC_FILE, "build.rs"] {
        println!("cargo:rerun-if-changed={file}");
    }
    let root =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let icd10 = read(&root, ICD10_FILE);
    let cvx = read(&root, CVX_FILE);
    let loinc = read(&root, LOINC_FILE);

    let mut reports = [
        Report::new(ICD10_FILE),
        Report::new(CVX_FILE),
        Report::new(LOINC_FILE),
    ];
    let icd10_rows = check_icd10(&icd10, &mut reports[0]);
    check_cvx(&cvx, &mut reports[1]);
    check_loinc(&loinc, &mut reports[2]);
    let problems: Vec<String> = reports.iter().flat_map(Report::lines).collect();
    if !problems.is_empty() {
        fail(&problems);
    }
    if icd10_rows == 0 {
        fail(&[format!("{ICD10_FILE}:2: the table has no codes")]);
    }

    let packed =
        miniz_oxide::deflate::compress_to_vec(body(&icd10).as_bytes(), ICD10_DEFLATE_LEVEL);
    write(&out_dir, "icd10cm.tsv.deflate", &packed);
    write(&out_dir, "cvx.tsv", body(&cvx).as_bytes());
    write(&out_dir, "loinc.tsv", body(&loinc).as_bytes());
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
