//! CDC's CDSi test cases for healthy children and adults (v4.45, 1,013
//! cases) run against the engine and the shipped 4.64 supporting data.
//!
//! Each case is evaluated at its own assessment date and passes when every
//! expected field matches: each dose's evaluation status (and reason, where
//! the case gives one), the series status, the forecast dose number and the
//! earliest, recommended and past-due dates. A dose can fail more than one
//! check (too young and too soon); the workbook names one reason, which must
//! be among the reasons the engine gives. Cases that disagree for a known
//! reason are listed in `tests/data/cdsi/exceptions.tsv`; the test fails on
//! any other failure, and on a listed case that now passes (the list only
//! shrinks). The workbook is read in place from `../shared/data/cds/`; when
//! it is absent the test skips, unless `CHARTKEEP_REQUIRE_CDSI=1`.
//!
//! The per-group table is printed and written to
//! `<target>/test-artifacts/cdsi-report.md`.
//!
//! Run: `cargo test --test cdsi_cases -- --nocapture`.

use calamine::{open_workbook, Data, DataType, Reader, Xlsx};
use chartkeep::care::immunization::data::FILES;
use chartkeep::care::immunization::{
    evaluate, Dose, EvaluationStatus, Patient, Sex, VaccineGroupReport,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

const WORKBOOK: &str =
    "../shared/data/cds/immunization/cdsi-healthy-childhood-and-adult-test-cases-v4.45.xlsx";
const SHEET: &str = "FITS Exported TestCases";
const EXCEPTIONS: &str = "tests/data/cdsi/exceptions.tsv";
const SUPPORTING_ZIP: &str = "../shared/data/cds/immunization/supporting-data-4.64-508.zip";
/// SHA-1 of CDC's release zip, as recorded in `assets/README.md`.
const SUPPORTING_ZIP_SHA1: &str = "1950cd8ed1f5f79f7afd851b251344d942519b86";
const ZIP_XML_FOLDER: &str = "Version 4.64 - 508/XML/";

/// The workbook's vaccine group column, to CDC's schedule names.
fn vaccine_group(code: &str) -> Option<&'static str> {
    Some(match code {
        "DTAP" => "DTaP/Tdap/Td",
        "POL" => "Polio",
        "HPV" => "HPV",
        "HIB" => "Hib",
        "COVID-19" => "COVID-19",
        "PCV" => "Pneumococcal",
        "HepB" => "HepB",
        "MMR" => "MMR",
        "VAR" => "Varicella",
        "ROTA" => "Rotavirus",
        "MCV" => "Meningococcal",
        "MENB" => "Meningococcal B",
        "ZOSTER" => "Zoster",
        "FLU" => "Influenza",
        "HepA" => "HepA",
        "RSV" => "RSV",
        _ => return None,
    })
}

struct ExpectedDose {
    date: NaiveDate,
    cvx: String,
    mvx: Option<String>,
    status: String,
    reason: String,
}

struct Case {
    id: String,
    name: String,
    birth: NaiveDate,
    sex: Sex,
    doses: Vec<ExpectedDose>,
    series_status: String,
    dose_number: String,
    earliest: Option<NaiveDate>,
    recommended: Option<NaiveDate>,
    past_due: Option<NaiveDate>,
    group: String,
    assessment: NaiveDate,
}

fn cell_text(row: &[Data], col: usize) -> String {
    match row.get(col) {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.trim().to_string(),
        Some(Data::Float(f)) if f.fract() == 0.0 => format!("{}", *f as i64),
        Some(other) => other.to_string().trim().to_string(),
    }
}

fn cell_date(row: &[Data], col: usize) -> Option<NaiveDate> {
    let cell = row.get(col)?;
    if let Some(dt) = cell.as_datetime() {
        return Some(dt.date());
    }
    let text = cell_text(row, col);
    NaiveDate::parse_from_str(&text, "%m/%d/%Y").ok()
}

fn read_cases(path: &Path) -> Vec<Case> {
    let mut book: Xlsx<_> = open_workbook(path).expect("open the CDSi workbook");
    let range = book.worksheet_range(SHEET).expect("the test-case sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .expect("a header row")
        .iter()
        .map(|c| c.to_string().trim().to_string())
        .collect();
    let col = |name: &str| -> usize {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name} in {SHEET}"))
    };
    let mut cases = Vec::new();
    for row in rows {
        let id = cell_text(row, col("CDC_Test_ID"));
        if id.is_empty() {
            continue;
        }
        let mut doses = Vec::new();
        for n in 1..=7 {
            let Some(date) = cell_date(row, col(&format!("Date_Administered_{n}"))) else {
                continue;
            };
            let mvx = cell_text(row, col(&format!("MVX_{n}")));
            doses.push(ExpectedDose {
                date,
                cvx: cell_text(row, col(&format!("CVX_{n}"))),
                mvx: (!mvx.is_empty()).then_some(mvx),
                status: cell_text(row, col(&format!("Evaluation_Status_{n}"))),
                reason: cell_text(row, col(&format!("Evaluation_Reason_{n}"))),
            });
        }
        cases.push(Case {
            name: cell_text(row, col("Test_Case_Name")),
            birth: cell_date(row, col("DOB")).unwrap_or_else(|| panic!("{id}: DOB")),
            sex: match cell_text(row, col("gender")).as_str() {
                "F" => Sex::Female,
                "M" => Sex::Male,
                _ => Sex::Unknown,
            },
            doses,
            series_status: cell_text(row, col("Series_Status")),
            dose_number: cell_text(row, col("Forecast_#")),
            earliest: cell_date(row, col("Earliest_Date")),
            recommended: cell_date(row, col("Recommended_Date")),
            past_due: cell_date(row, col("Past_Due_Date")),
            group: cell_text(row, col("Vaccine_Group")),
            assessment: cell_date(row, col("Assessment_Date"))
                .unwrap_or_else(|| panic!("{id}: Assessment_Date")),
            id,
        });
    }
    cases
}

fn show(d: Option<NaiveDate>) -> String {
    d.map_or("-".into(), |d| d.to_string())
}

/// Every difference between the expected and the actual answer.
fn differences(case: &Case) -> Vec<String> {
    let Some(group_name) = vaccine_group(&case.group) else {
        return vec![format!("unknown vaccine group {}", case.group)];
    };
    let patient = Patient {
        birth_date: case.birth,
        sex: case.sex,
        observations: Vec::new(),
    };
    let doses: Vec<Dose> = case
        .doses
        .iter()
        .map(|d| Dose {
            date: d.date,
            cvx: d.cvx.clone(),
            mvx: d.mvx.clone(),
        })
        .collect();
    let report = match evaluate(&patient, &doses, case.assessment) {
        Ok(r) => r,
        Err(e) => return vec![format!("error: {e}")],
    };
    let Some(group) = report.vaccine_group(group_name) else {
        return vec![format!("no forecast for {group_name}")];
    };
    let mut diffs = Vec::new();
    for (i, expected) in case.doses.iter().enumerate() {
        // The workbook also gives the status of doses that carry none of the
        // group's antigens (the varicella dose in an MMR case): those are
        // compared with the dose's own evaluation, the worst over its antigens.
        let (status, reasons) = match group.dose(i) {
            Some(a) => (a.status, a.reasons.clone()),
            None => match report.doses[i]
                .evaluations
                .iter()
                .max_by_key(|e| severity(e.status))
            {
                Some(e) => (e.status, e.reasons.clone()),
                None => {
                    diffs.push(format!("dose {}: not evaluated", i + 1));
                    continue;
                }
            },
        };
        let status = status.label().to_string();
        let reasons: Vec<&str> = reasons.iter().map(|r| r.label()).collect();
        let reason = reasons.join(", ");
        if !status.eq_ignore_ascii_case(&expected.status) {
            diffs.push(format!(
                "dose {}: status {status} ({reason}), expected {} ({})",
                i + 1,
                expected.status,
                expected.reason
            ));
        } else if !expected.reason.is_empty()
            && !reasons
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&expected.reason))
        {
            diffs.push(format!(
                "dose {}: reason '{reason}', expected '{}'",
                i + 1,
                expected.reason
            ));
        }
    }
    compare_forecast(case, group, &mut diffs);
    diffs
}

fn severity(status: EvaluationStatus) -> u8 {
    match status {
        EvaluationStatus::Valid => 0,
        EvaluationStatus::Extraneous => 1,
        EvaluationStatus::SubStandard => 2,
        EvaluationStatus::NotValid => 3,
    }
}

fn compare_forecast(case: &Case, group: &VaccineGroupReport, diffs: &mut Vec<String>) {
    if !group
        .status
        .label()
        .eq_ignore_ascii_case(&case.series_status)
    {
        diffs.push(format!(
            "series status {}, expected {} ({})",
            group.status.label(),
            case.series_status,
            group.reasons.join("; ")
        ));
    }
    let number = group
        .forecast_dose_number
        .map_or(String::new(), |n| n.to_string());
    let expected_number = if case.dose_number == "-" {
        String::new()
    } else {
        case.dose_number.clone()
    };
    if number != expected_number {
        diffs.push(format!(
            "forecast dose {number:?}, expected {expected_number:?}"
        ));
    }
    for (what, actual, expected) in [
        ("earliest", group.earliest_date, case.earliest),
        ("recommended", group.recommended_date, case.recommended),
        ("past due", group.past_due_date, case.past_due),
    ] {
        if actual != expected {
            diffs.push(format!(
                "{what} {}, expected {}",
                show(actual),
                show(expected)
            ));
        }
    }
    if !diffs.is_empty() {
        diffs.push(format!("series: {}", group.series_names()));
    }
}

fn read_exceptions(root: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root.join(EXCEPTIONS)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once('\t').unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "{EXCEPTIONS}: case {id} needs a reason after a tab"
            );
            (id.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

fn artifact_path() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join("test-artifacts")
        .join("cdsi-report.md")
}

#[test]
fn cdsi_healthy_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(WORKBOOK);
    if !path.exists() {
        if std::env::var("CHARTKEEP_REQUIRE_CDSI").as_deref() == Ok("1") {
            panic!("CHARTKEEP_REQUIRE_CDSI=1 but {WORKBOOK} not found");
        }
        println!("skipping CDSi healthy cases: {WORKBOOK} not found");
        return;
    }
    let cases = read_cases(&path);
    assert!(cases.len() > 1000, "read {} cases", cases.len());
    let exceptions = read_exceptions(root);

    let mut per_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failed: HashMap<String, Vec<String>> = HashMap::new();
    let mut failed_order = Vec::new();
    for case in &cases {
        let diffs = differences(case);
        let entry = per_group.entry(case.group.clone()).or_default();
        entry.0 += 1;
        if diffs.is_empty() {
            entry.1 += 1;
        } else {
            failed_order.push(case.id.clone());
            failed.insert(case.id.clone(), diffs);
        }
    }
    let total = cases.len();
    let passed = total - failed.len();

    let mut table = String::new();
    let _ = writeln!(
        table,
        "# CDSi healthy test cases v4.45 against supporting data 4.64\n"
    );
    let _ = writeln!(
        table,
        "{passed} of {total} cases pass ({:.2} %); {} adjudicated exceptions.\n",
        100.0 * passed as f64 / total as f64,
        exceptions.len()
    );
    let _ = writeln!(
        table,
        "| vaccine group | cases | pass | rate |\n|---|---:|---:|---:|"
    );
    for (group, (n, ok)) in &per_group {
        let _ = writeln!(
            table,
            "| {group} | {n} | {ok} | {:.1} % |",
            100.0 * *ok as f64 / *n as f64
        );
    }
    let _ = writeln!(table, "\n## Failing cases\n");
    let by_id: HashMap<&str, &Case> = cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for id in &failed_order {
        let case = by_id[id.as_str()];
        let note = exceptions
            .get(id)
            .map_or(String::from("NOT LISTED"), |r| format!("exception: {r}"));
        let _ = writeln!(table, "- {id} ({}, {}): {note}", case.group, case.name);
        for d in &failed[id] {
            let _ = writeln!(table, "  - {d}");
        }
    }
    println!("{table}");
    let artifact = artifact_path();
    if let Some(dir) = artifact.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&artifact, &table);
    println!("written to {}", artifact.display());

    let unexpected: Vec<&String> = failed_order
        .iter()
        .filter(|id| !exceptions.contains_key(*id))
        .collect();
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let now_passing: Vec<&String> = exceptions
        .keys()
        .filter(|id| ids.contains(id.as_str()) && !failed.contains_key(*id))
        .collect();
    let unknown: Vec<&String> = exceptions
        .keys()
        .filter(|id| !ids.contains(id.as_str()))
        .collect();
    assert!(
        unexpected.is_empty() && now_passing.is_empty() && unknown.is_empty(),
        "{} cases fail that {EXCEPTIONS} does not list: {unexpected:?}\n\
         listed cases that now pass (remove them from the list): {now_passing:?}\n\
         listed ids that are not test cases: {unknown:?}",
        unexpected.len()
    );
}

/// `assets/cdsi/` (embedded in the binary) holds CDC's XML files unmodified:
/// byte for byte the ones in the release zip, and all of them.
#[test]
fn shipped_supporting_data_equals_the_cdc_release() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(SUPPORTING_ZIP);
    if !path.exists() {
        if std::env::var("CHARTKEEP_REQUIRE_CDSI").as_deref() == Ok("1") {
            panic!("CHARTKEEP_REQUIRE_CDSI=1 but {SUPPORTING_ZIP} not found");
        }
        println!("skipping CDSi supporting data check: {SUPPORTING_ZIP} not found");
        return;
    }
    let bytes = std::fs::read(&path).expect("read the release zip");
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &bytes);
    assert_eq!(
        hex::encode(digest.as_ref()),
        SUPPORTING_ZIP_SHA1,
        "{SUPPORTING_ZIP}"
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut in_zip = BTreeSet::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("a zip entry");
        let Some(name) = entry
            .name()
            .strip_prefix(ZIP_XML_FOLDER)
            .map(str::to_string)
        else {
            continue;
        };
        if !name.ends_with(".xml") {
            continue;
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("inflate");
        let shipped = FILES
            .iter()
            .find(|(file, _)| *file == name)
            .unwrap_or_else(|| panic!("{name} is in CDC's release but not in assets/cdsi/"));
        assert!(
            shipped.1.as_bytes() == content.as_slice(),
            "assets/cdsi/{name} differs from CDC's"
        );
        let on_disk = std::fs::read(root.join("assets/cdsi").join(&name)).expect("the asset file");
        assert!(
            on_disk == content,
            "assets/cdsi/{name} on disk differs from CDC's"
        );
        in_zip.insert(name);
    }
    for (file, _) in FILES {
        assert!(
            in_zip.contains(*file),
            "assets/cdsi/{file} is not in CDC's release"
        );
    }
}
