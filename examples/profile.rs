//! A profiling harness for `perf record`: repeats one engine operation on a cached benchmark
//! practice (built by `cargo bench --bench engine`).
//!
//! `cargo build --release --example profile && perf record -g target/release/examples/profile search target/bench-practice-10000-schema2`
//!
//! Operations: search, summary, timeline, write, rebuild.

use std::sync::Arc;

use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::Practice;
use chartkeep::vault::{self, Secret};
use serde_json::json;

fn main() {
    // Phase timings (no patient data): CHARTKEEP_LOG=chartkeep=debug
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CHARTKEEP_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let what = args
        .next()
        .expect("an operation: search, summary, timeline, write, rebuild");
    let dir = std::path::PathBuf::from(args.next().expect("a benchmark practice folder"));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bench-ready.json")).unwrap())
            .unwrap();
    let showcase = info["showcase"].as_str().unwrap().to_string();
    let (key, header) = vault::unlock(&dir, Secret::Passphrase("benchmark passphrase")).unwrap();
    let mut p = Practice::open(
        &dir,
        key,
        header,
        Arc::new(SystemClock),
        Arc::new(RandomIds),
    )
    .unwrap();
    let mut s = chartkeep::api::login(&mut p, "drlee", chartkeep::demo::DEMO_PASSWORD).unwrap();
    let call = |p: &mut Practice,
                s: &mut chartkeep::api::Session,
                c: &str,
                a: serde_json::Value| { chartkeep::api::call(p, s, c, a).unwrap() };
    let t = std::time::Instant::now();
    match what.as_str() {
        "search" => {
            for i in 0..3000 {
                call(
                    &mut p,
                    &mut s,
                    "patient.search",
                    json!({"query": if i % 2 == 0 { "gar an" } else { "smi jo" }}),
                );
            }
        }
        "summary" => {
            for _ in 0..200 {
                call(
                    &mut p,
                    &mut s,
                    "chart.summary",
                    json!({"patient": showcase}),
                );
            }
        }
        "timeline" => {
            for _ in 0..200 {
                call(
                    &mut p,
                    &mut s,
                    "chart.timeline",
                    json!({"patient": showcase, "limit": 200}),
                );
            }
        }
        "write" => {
            let pts: Vec<String> = {
                let mut st = p
                    .reader()
                    .prepare("SELECT id FROM patient LIMIT 500")
                    .unwrap();
                st.query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            };
            for i in 0..1000 {
                call(
                    &mut p,
                    &mut s,
                    "vitals.record",
                    json!({"patient": pts[i % pts.len()], "systolic": 120, "diastolic": 80, "heart_rate": 70,
                           "temperature": 36.8, "weight": 70.0, "height": 170.0}),
                );
            }
        }
        "rebuild" => {
            let r = p.rebuild(false).unwrap();
            eprintln!("{} changes", r.changes);
        }
        other => panic!("unknown operation {other}"),
    }
    eprintln!("{what}: {:?}", t.elapsed());
}
