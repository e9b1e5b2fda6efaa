//! Decision-support benchmarks (issue 10 §6) on the same cached demo practice as the
//! engine benchmark (100,000 patients by default, plus the 10-year showcase chart).
//!
//! `cargo bench --bench care` prints a table for BENCHMARKS.md:
//! - the Due panel (`cds.due`: preventive rules, CDSi forecast, registries) of the 10-year
//!   chart, p50/p95 over 200 calls; baseline `chart.summary` of the same chart;
//! - the medication safety check (`cds.check`) of a new medication against that chart's
//!   active medications and allergies, p50/p95 over 400 calls; baseline `medication.list`;
//! - the immunization forecast of the chart alone (`immunization.forecast`);
//! - the practice-wide due list for a month (`cds.due_list`) and the registries
//!   (`registry.list`), median of 3 runs; baselines: reading every chart into the rules'
//!   inputs alone (`care::chart_facts::for_practice`), and one raw scan of the observation
//!   table, the largest the lists read.
//!
//! Under `cargo test` it runs once on a tiny practice, as a smoke test.

#[path = "common/practice.rs"]
mod practice;

use std::time::{Duration, Instant};

use chartkeep::api::{self, Session};
use serde_json::{json, Value as Json};

use practice::{bench_mode, measure, patients, Latency};

fn median_of(runs: usize, mut f: impl FnMut() -> Json) -> (Duration, Json) {
    let mut times = Vec::new();
    let mut last = Json::Null;
    for _ in 0..runs {
        let t = Instant::now();
        last = f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], last)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n = patients();
    let (iterations, runs) = if bench_mode() { (400, 3) } else { (3, 1) };
    let (mut p, showcase) = practice::practice(n);
    let mut s: Session =
        api::login(&mut p, "drlee", chartkeep::demo::DEMO_PASSWORD).expect("login");
    let mut call = |p: &mut chartkeep::practice::Practice, c: &str, a: Json| -> Json {
        api::call(p, &mut s, c, a).unwrap_or_else(|e| panic!("{c}: {} {}", e.code, e.message))
    };

    let meds = call(&mut p, "medication.list", json!({"patient": showcase}));
    let active = meds
        .as_array()
        .map(|m| m.iter().filter(|m| m["status"] == "active").count())
        .unwrap_or(0);
    let mut lat: Vec<Latency> = Vec::new();
    lat.push(measure("chart.summary (baseline)", iterations / 2, |_| {
        call(&mut p, "chart.summary", json!({"patient": showcase}));
    }));
    lat.push(measure("cds.due (Due panel)", iterations / 2, |_| {
        call(&mut p, "cds.due", json!({"patient": showcase}));
    }));
    lat.push(measure("immunization.forecast", iterations / 2, |_| {
        call(
            &mut p,
            "immunization.forecast",
            json!({"patient": showcase}),
        );
    }));
    lat.push(measure("medication.list (baseline)", iterations, |_| {
        call(&mut p, "medication.list", json!({"patient": showcase}));
    }));
    let candidates = [
        "Ibuprofen 400 MG Oral Tablet",
        "Clarithromycin 500 MG Oral Tablet",
        "Amoxicillin 500 MG Oral Capsule",
        "Simvastatin 40 MG Oral Tablet",
        "Grandma's tea",
    ];
    lat.push(measure("cds.check (alert check)", iterations, |i| {
        call(
            &mut p,
            "cds.check",
            json!({"patient": showcase, "item": {"type": "medication", "name": candidates[i % candidates.len()], "dose": "1 tablet"}}),
        );
    }));

    let (facts_t, _) = median_of(runs, || {
        let needs = chartkeep::care::chart_facts::Needs {
            result_codes: chartkeep::care::preventive::RuleSet::shipped().result_codes(|_| true),
            doses: false,
        };
        let charts = chartkeep::care::chart_facts::for_practice(
            p.reader(),
            &needs,
            p.spare_reader().unwrap(),
        )
        .expect("facts");
        json!(charts.len())
    });
    let (raw_t, rows) = median_of(runs, || {
        let mut stmt = p
            .reader()
            .prepare(
                "SELECT patient, code, value_num, effective FROM observation WHERE retracted = 0",
            )
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut count = 0u64;
        while let Some(r) = rows.next().unwrap() {
            let _: Option<String> = r.get(1).unwrap();
            count += 1;
        }
        json!(count)
    });
    // What the Population screen asks for (the counts and a page of rows), what an export
    // asks for (every row as CSV), and every row as JSON, once.
    let (due_t, due) = median_of(runs, || {
        call(&mut p, "cds.due_list", json!({"limit": 5000}))
    });
    let (csv_t, csv) = median_of(runs, || {
        call(&mut p, "cds.due_list", json!({"csv": true, "limit": 0}))
    });
    let (all_t, _) = median_of(1, || call(&mut p, "cds.due_list", json!({})));
    let (reg_t, regs) = median_of(runs, || call(&mut p, "registry.list", json!({})));

    println!();
    println!(
        "Decision support, {n} demo patients + the 10-year chart ({active} active medications)"
    );
    println!();
    println!("| measurement | p50 | p95 |");
    println!("| --- | --- | --- |");
    for l in &lat {
        println!("| {} | {} | {} |", l.name, ms(l.p50), ms(l.p95));
    }
    println!();
    println!("| practice-wide (median of {runs}) | time |");
    println!("| --- | --- |");
    println!(
        "| raw scan of the observation table ({rows} rows, baseline) | {} |",
        ms(raw_t)
    );
    println!(
        "| every chart read into the rules' inputs (chart_facts) | {} |",
        ms(facts_t)
    );
    println!(
        "| cds.due_list, this month, counts and the first 5,000 of {} rows ({} patients) | {} |",
        due["rows_total"],
        due["patients"],
        ms(due_t)
    );
    println!(
        "| cds.due_list, this month, every row as CSV ({} MB) | {} |",
        csv["csv"].as_str().map_or(0, str::len) / 1_000_000,
        ms(csv_t)
    );
    println!(
        "| cds.due_list, this month, every row as JSON (one run) | {} |",
        ms(all_t)
    );
    println!(
        "| registry.list ({} lists, {} patients on them) | {} |",
        regs["lists"].as_array().map_or(0, Vec::len),
        regs["lists"].as_array().map_or(0, |l| l
            .iter()
            .map(|l| l["count"].as_u64().unwrap_or(0))
            .sum::<u64>()),
        ms(reg_t)
    );

    measures(&mut p, runs, iterations / 4);
}

/// The five quality measures over the whole practice (one load, median of `runs`) and one
/// measure for one patient, after importing the test value sets (the VSAC expansions in
/// `../shared/data/cds/ecqm`, for tests only) into the cached practice once.
fn measures(p: &mut chartkeep::practice::Practice, runs: usize, iterations: usize) {
    use chartkeep::care::measures::{self, value_sets, Measure};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/cds/ecqm/input/vocabulary/valueset/external");
    if !dir.exists() {
        println!(
            "\n(no value sets at {}: quality measures not measured)",
            dir.display()
        );
        return;
    }
    let vs = value_sets::ValueSets::load(p.reader()).expect("value sets");
    if Measure::ALL
        .iter()
        .any(|m| !measures::missing(*m, &vs).is_empty())
    {
        let (sets, skipped) = value_sets::read_dir(&dir).expect("value set files");
        let mut admin = api::login(p, "admin", practice::ADMIN_PASSWORD).expect("admin");
        let report = value_sets::ValueSetImport {
            skipped,
            ..Default::default()
        };
        api::import_value_sets(p, &mut admin, &sets, report).expect("import value sets");
    }
    let mp = measures::period(
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    )
    .unwrap();
    let (all_t, evals) = median_of(runs, || {
        let e = measures::evaluate_many(p.reader(), &Measure::ALL, mp, None).expect("measures");
        json!(e
            .iter()
            .map(|e| (e.measure.id(), e.groups[0].initial_population.count))
            .collect::<Vec<_>>())
    });
    let patient = {
        let mut stmt = p
            .reader()
            .prepare("SELECT patient FROM observation WHERE code = '4548-4' LIMIT 1")
            .unwrap();
        let id: String = stmt.query_row([], |r| r.get(0)).unwrap();
        uuid::Uuid::parse_str(&id).unwrap()
    };
    let one = measure("CMS122 for one patient", iterations, |_| {
        measures::evaluate(p.reader(), Measure::CMS122, mp, Some(patient)).expect("one");
    });
    println!();
    println!("| quality measures, 2025 | time |");
    println!("| --- | --- |");
    println!(
        "| all five, whole practice, one load (median of {runs}; initial populations {evals}) | {} |",
        ms(all_t)
    );
    println!(
        "| CMS122 for one patient (p50 / p95 of {iterations}) | {} / {} |",
        ms(one.p50),
        ms(one.p95)
    );
}
