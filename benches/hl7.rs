//! One HL7 v2 message applied: `hl7.receive` of an ORU^R01 through the API as the listener
//! and `chartkeep import hl7v2` call it (parse, patient match, validation, one signed commit
//! with its projections and fsync, the ACK), on a demo practice of 10,000 patients.
//!
//! `cargo bench --bench hl7` prints p50/p95 over 300 messages of each kind: a new result
//! (its own control id and order number), a corrected result (OBX-11 C superseding the
//! one before), and a resent message (applied once: only the look-up). Under `cargo test`
//! it runs a few messages on a tiny practice, as a smoke test. `CHARTKEEP_BENCH_PATIENTS`
//! changes the practice size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chartkeep::api::{self, Session};
use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::KeyPlan;
use serde_json::json;

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn patients() -> usize {
    std::env::var("CHARTKEEP_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode() { 10_000 } else { 20 })
}

/// NIST ELR sample case 1 (tests/data/hl7v2), with a new control id and filler order
/// number, and OBX-11 as given.
fn message(n: usize, order: usize, status: &str) -> String {
    include_str!("../tests/data/hl7v2/nist-oru-r01-2.5.1-case1.hl7")
        .replace("NIST-100929110701660", &format!("BENCH-{n}"))
        .replace("9700123^Lab", &format!("B{order}^Lab"))
        .replace("|H|||F|||", &format!("|H|||{status}|||"))
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn measure(name: &str, n: usize, mut f: impl FnMut(usize)) {
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<42} p50 {:>7.2} ms   p95 {:>7.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3
    );
}

fn receive(p: &mut Practice, s: &mut Session, text: &str, outcome: &str) {
    let r = api::call(p, s, "hl7.receive", json!({ "message": text })).expect("hl7.receive");
    assert_eq!(r["outcome"], outcome, "{r}");
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, _) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("benchmark passphrase".into()),
        Admin {
            name: "admin",
            password: "benchmark-admin-1",
        },
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    let n = patients();
    let t = Instant::now();
    chartkeep::demo::populate(&mut p, n, 1, &mut |_| {}).expect("demo");
    eprintln!("demo practice of {n} patients in {:.1?}", t.elapsed());
    let mut s = api::login(&mut p, "drlee", chartkeep::demo::DEMO_PASSWORD).expect("login");
    api::call(
        &mut p,
        &mut s,
        "patient.create",
        json!({"family": "Johnson", "given": ["Philip"], "birth_date": "2007-05-26",
               "sex": "male", "mrn": "9817566735"}),
    )
    .expect("patient");
    let runs = if bench_mode() { 300 } else { 3 };
    // Warm-up: the statements and pages every message uses.
    for i in 0..runs.min(20) {
        receive(
            &mut p,
            &mut s,
            &message(1_000_000 + i, 1_000_000 + i, "F"),
            "applied",
        );
    }
    measure("hl7.receive, a new result", runs, |i| {
        receive(&mut p, &mut s, &message(i, i, "F"), "applied")
    });
    measure("hl7.receive, a correction (OBX-11 C)", runs, |i| {
        receive(&mut p, &mut s, &message(runs + i, i, "C"), "applied")
    });
    measure("hl7.receive, the same message again", runs, |i| {
        receive(&mut p, &mut s, &message(i, i, "F"), "duplicate")
    });
}
