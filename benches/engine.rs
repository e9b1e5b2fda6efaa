//! Engine benchmarks on a demo practice (100,000 patients by default).
//!
//! `cargo bench --bench engine` builds (once, cached in target/bench-practice-N) a demo
//! practice, then measures with criterion and prints a latency table with p50/p95 and the
//! ratios against baselines measured in the same run:
//! - patient search through the engine vs. a raw FTS5 query on the same index;
//! - opening a 10-year chart (summary + timeline);
//! - one clinical write (a vitals form: signed commit + projections + fsync) vs. a raw
//!   single-row SQLCipher transaction on a file with the same settings;
//! - rebuild throughput (changes/s) and the engine's memory.
//!
//! Under `cargo test` (no `--bench` argument) it runs once on a tiny practice, as a smoke
//! test. `CHARTKEEP_BENCH_PATIENTS` changes the practice size.

use std::path::Path;
use std::time::{Duration, Instant};

use chartkeep::api::{self, Session};
use chartkeep::practice::Practice;
use criterion::{black_box, Criterion};
use serde_json::json;

#[path = "common/practice.rs"]
mod practice;

use practice::{bench_mode, measure, patients, Latency};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Search terms people type: the first letters of a family and a given name, from real rows.
fn search_queries(p: &Practice, n: usize) -> Vec<String> {
    let mut stmt = p
        .reader()
        .prepare("SELECT family, given, birth_date FROM patient ORDER BY id LIMIT ?1")
        .unwrap();
    let rows = stmt
        .query_map([n as i64 * 37], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    rows.filter_map(Result::ok)
        .step_by(37)
        .enumerate()
        .map(|(i, (family, given, birth))| {
            let given: Vec<String> = serde_json::from_str(&given).unwrap_or_default();
            let fam: String = family.chars().take(4).collect();
            let giv: String = given
                .first()
                .map(|g| g.chars().take(3).collect())
                .unwrap_or_default();
            match i % 3 {
                0 => format!("{fam} {giv}"),
                1 => format!("{giv} {fam}"),
                _ => format!("{fam} {birth}"),
            }
        })
        .collect()
}

/// A file with the same SQLCipher settings as the practice, for the raw write baseline.
fn raw_baseline(dir: &Path, key: &chartkeep::vault::keys::DbKey) -> rusqlite::Connection {
    let path = dir.join("raw-baseline.db");
    let _ = std::fs::remove_file(&path);
    let gate = chartkeep::vault::db::Gate::default();
    let c = chartkeep::vault::db::open(
        &path,
        key,
        chartkeep::vault::db::Access::Write { create: true },
        &gate,
    )
    .unwrap();
    c.execute_batch("CREATE TABLE raw (id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    c
}

fn main() {
    let n = patients();
    let iterations = if bench_mode() { 400 } else { 3 };
    let (mut p, showcase) = practice::practice(n);
    let mut session: Session =
        api::login(&mut p, "drlee", chartkeep::demo::DEMO_PASSWORD).expect("login");
    let queries = search_queries(&p, 200);
    let fts: Vec<String> = queries
        .iter()
        .map(|q| chartkeep::chart::search::fts_query(q).unwrap())
        .collect();

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(if bench_mode() { 50 } else { 10 });
    if !bench_mode() {
        c = c
            .warm_up_time(Duration::from_millis(10))
            .measurement_time(Duration::from_millis(50));
    }

    // Search: engine vs raw FTS5 on the same index.
    let search = measure("patient.search (api)", iterations, |i| {
        let q = &queries[i % queries.len()];
        black_box(api::call(&mut p, &mut session, "patient.search", json!({"query": q})).unwrap());
    });
    let raw_search = measure("raw FTS5 query (same SQL)", iterations, |i| {
        let mut stmt = p
            .reader()
            .prepare_cached(
                "SELECT rowid FROM patient_fts WHERE patient_fts MATCH ?1 ORDER BY rank LIMIT 25",
            )
            .unwrap();
        let ids: Vec<i64> = stmt
            .query_map([&fts[i % fts.len()]], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        black_box(ids);
    });
    c.bench_function("patient_search", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            api::call(
                &mut p,
                &mut session,
                "patient.search",
                json!({"query": queries[i % queries.len()]}),
            )
            .unwrap()
        })
    });

    let summary_only = measure("chart.summary (10-year chart)", iterations.min(200), |_| {
        black_box(
            api::call(
                &mut p,
                &mut session,
                "chart.summary",
                json!({"patient": showcase}),
            )
            .unwrap(),
        );
    });
    let timeline_only = measure(
        "chart.timeline (10-year chart, 200 events)",
        iterations.min(200),
        |_| {
            black_box(
                api::call(
                    &mut p,
                    &mut session,
                    "chart.timeline",
                    json!({"patient": showcase, "limit": 200}),
                )
                .unwrap(),
            );
        },
    );
    // Opening a 10-year chart: summary + timeline.
    let open_chart = measure(
        "chart open (summary + timeline)",
        iterations.min(200),
        |_| {
            black_box(
                api::call(
                    &mut p,
                    &mut session,
                    "chart.summary",
                    json!({"patient": showcase}),
                )
                .unwrap(),
            );
            black_box(
                api::call(
                    &mut p,
                    &mut session,
                    "chart.timeline",
                    json!({"patient": showcase, "limit": 200}),
                )
                .unwrap(),
            );
        },
    );
    c.bench_function("chart_open_10y", |b| {
        b.iter(|| {
            api::call(
                &mut p,
                &mut session,
                "chart.summary",
                json!({"patient": showcase}),
            )
            .unwrap();
            api::call(
                &mut p,
                &mut session,
                "chart.timeline",
                json!({"patient": showcase, "limit": 200}),
            )
            .unwrap()
        })
    });

    // One clinical write vs a raw single-row SQLCipher transaction, same file settings.
    let key = p.key().clone();
    let mut raw = raw_baseline(p.dir(), &key);
    let write_patients: Vec<String> = {
        let mut stmt = p
            .reader()
            .prepare("SELECT id FROM patient LIMIT 500")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let write = measure("vitals form write (api)", iterations, |i| {
        let pt = &write_patients[i % write_patients.len()];
        black_box(
            api::call(&mut p, &mut session, "vitals.record",
                json!({"patient": pt, "systolic": 120 + (i % 20) as i64, "diastolic": 80, "heart_rate": 70, "temperature": 36.8, "weight": 70.0, "height": 170.0}))
            .unwrap(),
        );
    });
    let raw_write = measure("raw single-row transaction", iterations, |i| {
        let tx = raw.transaction().unwrap();
        tx.execute("INSERT INTO raw (v) VALUES (?1)", [format!("row {i}")])
            .unwrap();
        tx.commit().unwrap();
    });

    let serving_rss = rss_kib("VmRSS:");
    // Rebuild throughput on the whole practice (replay into fresh projections, compare).
    let t = Instant::now();
    let report = p.rebuild(false).unwrap();
    let rebuild_time = t.elapsed();
    assert!(
        report.differences.is_empty(),
        "rebuild differs from live tables: {:?}",
        &report.differences[..report.differences.len().min(5)]
    );
    let rate = report.changes as f64 / rebuild_time.as_secs_f64();

    c.final_summary();
    let rows = [
        &search,
        &raw_search,
        &summary_only,
        &timeline_only,
        &open_chart,
        &write,
        &raw_write,
    ];
    println!("\n## Latency ({n} patients, {iterations} iterations each)\n");
    println!("| measurement | p50 | p95 |");
    println!("|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.3} ms | {:.3} ms |",
            r.name,
            r.p50.as_secs_f64() * 1e3,
            r.p95.as_secs_f64() * 1e3
        );
    }
    let ratio = |a: &Latency, b: &Latency| a.p95.as_secs_f64() / b.p95.as_secs_f64();
    println!(
        "\nsearch p95 / raw FTS5 p95 = {:.2}",
        ratio(&search, &raw_search)
    );
    println!(
        "write p95 / raw transaction p95 = {:.2}",
        ratio(&write, &raw_write)
    );
    println!(
        "rebuild: {} commits, {} changes in {:.2?} = {:.0} changes/s",
        report.commits, report.changes, rebuild_time, rate
    );
    println!(
        "memory: {} MiB resident while serving (before rebuild); peak {} MiB (rebuild included)",
        serving_rss / 1024,
        rss_kib("VmHWM:") / 1024
    );
    let _ = std::fs::remove_file(p.dir().join("raw-baseline.db"));
}
