//! Applying a peer's commits one transaction each vs one batch (`apply_batch`).
//!
//! `cargo bench --bench ledger_batch` makes a practice A and a member workstation B, lets
//! B make 1,000 small commits (one setting each), then applies them to fresh copies of A
//! both ways in the same run, and prints the median of each and their ratio. Each commit
//! of the per-commit way is its own transaction and fsync (`synchronous=FULL`); the batch
//! is one transaction, one savepoint per commit and one fsync.
//!
//! Under `cargo test` (no `--bench` argument) it runs once on 20 commits, as a smoke test.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chartkeep::clock::{ManualClock, SeededIds};
use chartkeep::ledger::{Applied, Change, Op, Signed, Value};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::header::Header;
use chartkeep::vault::keys::DbKey;
use chartkeep::vault::KeyPlan;
use criterion::Criterion;

const START_MS: i64 = 1_793_534_400_000;

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// A closed practice A (its folder, key and header) and B's commits for it.
struct Setup {
    dir: tempfile::TempDir,
    key: DbKey,
    header: Header,
    commits: Vec<Signed>,
}

fn setup(n: usize) -> Setup {
    let clock = Arc::new(ManualClock::new(START_MS));
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut a, _) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("bench passphrase".into()),
        Admin {
            name: "admin",
            password: "bench-admin-pass-1",
        },
        clock.clone(),
        Arc::new(SeededIds::new(1)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    let b_dir = tempfile::tempdir().expect("temp dir");
    let (mut b, _) = Practice::join(
        b_dir.path(),
        a.practice_id(),
        KeyPlan::Passphrase("bench passphrase".into()),
        clock.clone(),
        Arc::new(SeededIds::new(2)),
        &ring::rand::SystemRandom::new(),
    )
    .expect("join");
    let admin: String = a
        .reader()
        .query_row("SELECT id FROM app_user", [], |r| r.get(0))
        .unwrap();
    let admin = uuid::Uuid::parse_str(&admin).unwrap();
    a.add_member(admin, b.public_key(), "B").expect("add B");
    for c in a.missing_for(&Default::default()).unwrap() {
        b.apply(&c.encoded, c.signature)
            .expect("B takes A's ledger");
    }
    let have = a.version_vector().unwrap();
    for i in 0..n {
        clock.advance_ms(1);
        let now = START_MS + i as i64;
        let ids = SeededIds::new(1_000 + i as u64);
        use chartkeep::clock::IdSource;
        let change = Change::new(
            ids.uuid_v7(now),
            "setting",
            ids.uuid_v7(now),
            Op::Create,
            vec![
                ("name".into(), Value::from(format!("bench_{i}"))),
                ("value".into(), Value::from("1")),
            ],
            vec![],
        );
        b.commit(admin, vec![change]).expect("B commits");
    }
    let commits = b.missing_for(&have).unwrap();
    assert_eq!(commits.len(), n);
    let key = a.key().clone();
    let header = a.header().clone();
    drop(a);
    Setup {
        dir,
        key,
        header,
        commits,
    }
}

/// A fresh copy of A, open.
fn fresh(s: &Setup) -> (Practice, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(s.dir.path(), dir.path());
    let p = Practice::open(
        dir.path(),
        s.key.clone(),
        s.header.clone(),
        Arc::new(ManualClock::new(START_MS + 10_000_000)),
        Arc::new(SeededIds::new(3)),
    )
    .expect("open copy");
    (p, dir)
}

fn per_commit(p: &mut Practice, commits: &[Signed]) {
    for c in commits {
        assert_eq!(p.apply(&c.encoded, c.signature).unwrap(), Applied::New);
    }
}

fn batch(p: &mut Practice, commits: &[Signed]) {
    for r in p.apply_batch(commits).unwrap() {
        assert_eq!(r.unwrap(), Applied::New);
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let n = if bench_mode() { 1_000 } else { 20 };
    let s = setup(n);
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(if bench_mode() { 500 } else { 10 }))
        .measurement_time(Duration::from_secs(if bench_mode() { 20 } else { 1 }));
    let mut times: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut group = c.benchmark_group(format!("apply {n} small commits"));
    for (name, f) in [
        (
            "per-commit apply",
            per_commit as fn(&mut Practice, &[Signed]),
        ),
        ("apply_batch", batch),
    ] {
        let mut seen = Vec::new();
        group.bench_function(name, |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (mut p, dir) = fresh(&s);
                    let t = Instant::now();
                    f(&mut p, &s.commits);
                    let d = t.elapsed();
                    total += d;
                    seen.push(d);
                    drop(p);
                    drop(dir);
                }
                total
            })
        });
        times.push((name, seen));
    }
    group.finish();
    c.final_summary();
    let medians: Vec<(&str, Duration)> = times
        .into_iter()
        .map(|(name, t)| (name, median(t)))
        .collect();
    for (name, m) in &medians {
        println!(
            "{name:>18}: median {m:.1?} for {n} commits ({:.0} commits/s)",
            n as f64 / m.as_secs_f64()
        );
    }
    println!(
        "per-commit / batch: {:.1}x",
        medians[0].1.as_secs_f64() / medians[1].1.as_secs_f64()
    );
}
