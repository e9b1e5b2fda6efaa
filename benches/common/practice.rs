//! The demo practice the engine and care benchmarks measure, built once per size and
//! schema into the target folder and reused, plus the latency helpers both print with.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::{self, KeyPlan, Secret};
use serde_json::{json, Value as Json};

pub const PASSPHRASE: &str = "benchmark passphrase";
pub const ADMIN_PASSWORD: &str = "benchmark-admin-1";

pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `CHARTKEEP_BENCH_PATIENTS`, else 100,000 under `--bench` and 20 as a smoke test.
pub fn patients() -> usize {
    std::env::var("CHARTKEEP_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode() { 100_000 } else { 20 })
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Opens the cached demo practice, building it first if needed.
pub fn practice(n: usize) -> (Practice, String) {
    // The cached practice is named for the schema it was built with, so a binary with
    // other migrations builds its own instead of refusing an old one.
    let schema = chartkeep::vault::migrate::latest(chartkeep::vault::migrate::MIGRATIONS);
    let dir = target_dir().join(format!("bench-practice-{n}-schema{schema}"));
    let marker = dir.join("bench-ready.json");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let (mut p, _) = Practice::init(
            &dir,
            KeyPlan::Passphrase(PASSPHRASE.into()),
            Admin {
                name: "admin",
                password: ADMIN_PASSWORD,
            },
            Arc::new(SystemClock),
            Arc::new(RandomIds),
            &ring::rand::SystemRandom::new(),
        )
        .expect("init");
        let t = Instant::now();
        let report = chartkeep::demo::populate(&mut p, n, 1, &mut |done| {
            if done % 10_000 == 0 {
                eprintln!("  demo: {done}/{n} patients ({:.0?})", t.elapsed());
            }
        })
        .expect("demo");
        let showcase = chartkeep::demo::showcase_chart(&mut p, 10, 2).expect("showcase");
        eprintln!("demo practice of {n} patients built in {:.1?}", t.elapsed());
        std::fs::write(
            &marker,
            json!({"report": report, "showcase": showcase.to_string()}).to_string(),
        )
        .unwrap();
        drop(p);
    }
    let info: Json = serde_json::from_str(&std::fs::read_to_string(&marker).unwrap()).unwrap();
    let (key, header) = vault::unlock(&dir, Secret::Passphrase(PASSPHRASE)).expect("unlock");
    let p = Practice::open(
        &dir,
        key,
        header,
        Arc::new(SystemClock),
        Arc::new(RandomIds),
    )
    .expect("open");
    (p, info["showcase"].as_str().unwrap().to_string())
}

pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i]
}

pub struct Latency {
    pub name: &'static str,
    pub p50: Duration,
    pub p95: Duration,
}

pub fn measure(name: &'static str, iterations: usize, mut f: impl FnMut(usize)) -> Latency {
    // A smoke run divides a tiny iteration count; at least one timing keeps the
    // percentiles defined.
    let iterations = iterations.max(1);
    // Warm up over the whole input set, so neither side of a ratio pays for cold pages
    // the other then finds cached.
    for i in 0..iterations.min(200) {
        f(i);
    }
    let mut times: Vec<Duration> = (0..iterations)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    times.sort();
    Latency {
        name,
        p50: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
    }
}
