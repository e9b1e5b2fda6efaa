//! Sync over loopback: how fast commits converge between workstations, and how many
//! bytes they cost on the wire (TLS records included).
//!
//! `cargo bench --bench sync` builds, once, a founding workstation A holding 10,000 vitals
//! forms (one commit each: the form a nurse saves) and an empty member B. Each run copies
//! both folders fresh, starts A's listener (the same runner the desktop app and `sync run`
//! use) and times B's exchange with it until both hold the same commits. A second scenario
//! partitions three workstations, writes 3,000 forms on each side and times the heal. It
//! also measures an idle round (nothing to send) and an idle listener's CPU. Medians over
//! `SYNC_BENCH_RUNS` runs (default 3); under `cargo test` it runs once on 60 commits.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chartkeep::api::{self, Session};
use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::{Admin, Practice};
use chartkeep::sync::exchange::{self, Report};
use chartkeep::sync::frame::Limits;
use chartkeep::sync::replica::{Local, Replica};
use chartkeep::sync::runner;
use chartkeep::vault::header::Header;
use chartkeep::vault::keys::DbKey;
use chartkeep::vault::KeyPlan;
use serde_json::json;

const ADMIN_PW: &str = "bench-admin-pass-1";

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

/// A closed workstation folder to copy for each run.
struct Template {
    dir: tempfile::TempDir,
    key: DbKey,
    header: Header,
}

fn close(p: Practice, dir: tempfile::TempDir) -> Template {
    let (key, header) = (p.key().clone(), p.header().clone());
    drop(p);
    Template { dir, key, header }
}

fn open(t: &Template) -> (Practice, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(t.dir.path(), dir.path());
    let p = Practice::open(
        dir.path(),
        t.key.clone(),
        t.header.clone(),
        Arc::new(SystemClock),
        Arc::new(RandomIds),
    )
    .expect("open copy");
    (p, dir)
}

fn founding() -> (Practice, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (p, _) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("bench passphrase".into()),
        Admin {
            name: "admin",
            password: ADMIN_PW,
        },
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    let mut p = p;
    let mut s = api::login(&mut p, "admin", ADMIN_PW).expect("login");
    api::call(
        &mut p,
        &mut s,
        "user.create",
        json!({"name": "nurse", "role": "nurse", "password": ADMIN_PW}),
    )
    .expect("nurse");
    (p, dir)
}

/// A new member of `of`'s practice, paired with it (and with `of` paired back).
fn member(of: &mut Practice, seed: u64) -> (Practice, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (p, _) = Practice::join(
        dir.path(),
        of.practice_id(),
        KeyPlan::Passphrase("bench passphrase".into()),
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        &ring::rand::SystemRandom::new(),
    )
    .expect("join");
    let admin = api::login(of, "admin", ADMIN_PW).expect("login").user.id;
    of.add_member(admin, p.public_key(), &format!("bench {seed}"))
        .expect("add member");
    p.sync_state()
        .peer_paired(&of.device_id(), "founding", None, 0)
        .expect("pair");
    of.sync_state()
        .peer_paired(&p.device_id(), "member", None, 0)
        .expect("pair");
    (p, dir)
}

/// `n` vitals forms, one commit each, on `p` (patients first, one commit each, counted).
fn write_forms(p: &mut Practice, n: usize, tag: &str) {
    let mut s: Session = api::login(p, "nurse", ADMIN_PW).expect("login");
    let patients = (n / 20).max(1);
    let mut ids = Vec::new();
    for i in 0..patients {
        let v = api::call(
            p,
            &mut s,
            "patient.create",
            json!({"family": format!("Bench{tag}{i}"), "given": ["Pat"], "birth_date": "1970-01-01", "sex": "female"}),
        )
        .expect("patient");
        ids.push(v["id"].as_str().expect("id").to_string());
    }
    for i in 0..n.saturating_sub(patients) {
        api::call(
            p,
            &mut s,
            "vitals.record",
            json!({
                "patient": ids[i % ids.len()],
                "systolic": 110 + (i % 40) as i64,
                "diastolic": 70 + (i % 20) as i64,
                "heart_rate": 60 + (i % 30) as i64,
                "temperature": 36.6,
                "resp_rate": 16,
                "spo2": 98,
                "weight": 70.5,
                "height": 170
            }),
        )
        .expect("vitals");
    }
}

struct Listening {
    handle: runner::Handle,
    address: String,
}

async fn listen(replica: Replica) -> Listening {
    let handle = runner::start(
        replica,
        runner::Config {
            listen: Some("127.0.0.1:0".parse().expect("address")),
            mdns: false,
            interval: Duration::from_secs(3600),
            // Only the timed dials sync, so each figure is one exchange.
            dial: false,
            ..runner::Config::default()
        },
        Arc::new(ring::rand::SystemRandom::new()),
    )
    .await
    .expect("runner");
    let address = handle.listening().expect("listening").to_string();
    Listening { handle, address }
}

/// Dials with `replica`'s one TLS client settings (as the runner keeps them), so a second
/// round resumes the session.
async fn dial(replica: &(Replica, Local), address: &str) -> Report {
    let (replica, local) = replica;
    replica.refresh(local).expect("roster");
    exchange::connect(address, replica.clone(), local, None, 0, Limits::default())
        .await
        .expect("exchange")
}

fn replica(p: Practice) -> Replica {
    Replica::new(Arc::new(Mutex::new(p)))
}

fn dialer(p: Practice) -> (Replica, Local) {
    let r = replica(p);
    let l = r.local().expect("local");
    (r, l)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    let bench = bench_mode();
    let one_way = if bench {
        std::env::var("SYNC_BENCH_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000)
    } else {
        60
    };
    let each_side = if bench { 3_000 } else { 30 };
    let runs: usize = if bench {
        std::env::var("SYNC_BENCH_RUNS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3)
    } else {
        1
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    eprintln!("setting up: {one_way} forms on A, an empty member B, a member C");
    let t = Instant::now();
    let (mut a, a_dir) = founding();
    let (b, b_dir) = member(&mut a, 2);
    let (c, c_dir) = member(&mut a, 3);
    let members_only = {
        // B and C learn of each other through A before anything else is written.
        let a_t = close(a, a_dir);
        let (a2, a2_dir) = open(&a_t);
        (a_t, a2, a2_dir)
    };
    let (a_members, mut a, a_dir) = members_only;
    write_forms(&mut a, one_way, "a");
    let a_full = close(a, a_dir);
    if std::env::var("SYNC_BENCH_SIZES").is_ok() {
        let (a, _d) = open(&a_full);
        let all = a.missing_for(&Default::default()).expect("all");
        let raw: usize = all.iter().map(|c| c.encoded.len() + 64).sum();
        eprintln!(
            "{} commits, {:.0} B raw each",
            all.len(),
            raw as f64 / all.len() as f64
        );
        let last = &all[all.len() - 1].encoded;
        eprintln!(
            "{}",
            String::from_utf8_lossy(last).replace(|c: char| c.is_control(), "·")
        );
        for level in [1u8, 3, 6, 9] {
            let mut buf = Vec::new();
            for c in &all {
                buf.extend_from_slice(&c.encoded);
                buf.extend_from_slice(&c.signature);
            }
            let z = miniz_oxide::deflate::compress_to_vec(&buf, level);
            eprintln!(
                "level {level}: {:.0} B each",
                z.len() as f64 / all.len() as f64
            );
        }
    }
    let b_empty = close(b, b_dir);
    let c_empty = close(c, c_dir);
    eprintln!("set up in {:.1} s", t.elapsed().as_secs_f64());

    // 0. The floor: applying the same commits to an empty B straight from memory, in
    // batches of the size the exchange sends, with no network and no reading on A.
    let mut floor = Vec::new();
    for _ in 0..runs {
        let all = {
            let (a, _ad) = open(&a_full);
            a.missing_for(&Default::default()).expect("all")
        };
        let (mut b, _bd) = open(&b_empty);
        let (t, cpu) = (Instant::now(), cpu_seconds());
        for chunk in all.chunks(780) {
            b.apply_batch(chunk).expect("apply");
        }
        floor.push(t.elapsed().as_secs_f64());
        eprintln!(
            "floor: {} commits applied in {:.3} s ({:.2} s of CPU)",
            all.len(),
            floor.last().unwrap(),
            cpu_seconds() - cpu
        );
    }

    if std::env::var("SYNC_BENCH_ONLY_FLOOR").is_ok() {
        return;
    }

    // 1. 10,000 commits from A to an empty B.
    let mut times = Vec::new();
    let mut per_commit = Vec::new();
    let mut idle_bytes = Vec::new();
    let mut idle_times = Vec::new();
    for run in 0..runs {
        let (a, _ad) = open(&a_full);
        let (b, _bd) = open(&b_empty);
        let (ra, rb) = (replica(a), dialer(b));
        let (report, elapsed, idle, idle_elapsed) = rt.block_on(async {
            let l = listen(ra.clone()).await;
            let t = Instant::now();
            let report = dial(&rb, &l.address).await;
            let elapsed = t.elapsed();
            let t = Instant::now();
            let idle = dial(&rb, &l.address).await;
            let idle_elapsed = t.elapsed();
            l.handle.stop().await;
            (report, elapsed, idle, idle_elapsed)
        });
        assert!(report.converged, "A and B did not converge");
        assert!(
            report.received.new >= one_way,
            "B got {} commits",
            report.received.new
        );
        assert!(idle.converged && idle.received.new == 0);
        times.push(elapsed.as_secs_f64());
        per_commit.push((report.bytes_in + report.bytes_out) as f64 / report.received.new as f64);
        idle_bytes.push((idle.bytes_in + idle.bytes_out) as f64);
        idle_times.push(idle_elapsed.as_secs_f64());
        eprintln!(
            "run {run}: {} commits in {:.3} s, {:.0} B/commit, idle round {:.0} B in {:.1} ms",
            report.received.new,
            elapsed.as_secs_f64(),
            per_commit.last().unwrap(),
            idle_bytes.last().unwrap(),
            idle_elapsed.as_secs_f64() * 1000.0
        );
    }

    // 2. Three workstations, partitioned {A} | {B, C}: 3,000 forms on A, 3,000 on B (which
    // C already has), then the heal: B and C each exchange with A.
    let mut heal_times = Vec::new();
    for run in 0..runs {
        let (a, _ad) = open(&a_members);
        let (b, _bd) = open(&b_empty);
        let (c, _cd) = open(&c_empty);
        let (ra, rb, rc) = (dialer(a), dialer(b), dialer(c));
        let elapsed = rt.block_on(async {
            // Everyone starts even: B and C hold A's membership commits.
            let la = listen(ra.0.clone()).await;
            dial(&rb, &la.address).await;
            dial(&rc, &la.address).await;
            ra.0.run(|p| {
                write_forms(p, each_side, "pa");
                Ok(())
            })
            .expect("write a");
            rb.0.run(|p| {
                write_forms(p, each_side, "pb");
                Ok(())
            })
            .expect("write b");
            let lb = listen(rb.0.clone()).await;
            let r = dial(&rc, &lb.address).await;
            assert!(r.converged);
            let t = Instant::now();
            let r1 = dial(&rb, &la.address).await;
            let first = t.elapsed();
            let r2 = dial(&rc, &la.address).await;
            let elapsed = t.elapsed();
            eprintln!(
                "  B ↔ A (both ways) {:.3} s, then C ← A {:.3} s",
                first.as_secs_f64(),
                (elapsed - first).as_secs_f64()
            );
            assert!(r1.converged && r2.converged, "the heal did not converge");
            la.handle.stop().await;
            lb.handle.stop().await;
            elapsed
        });
        let vs: Vec<_> = [&ra, &rb, &rc]
            .iter()
            .map(|r| r.0.vectors().expect("vector").0)
            .collect();
        assert!(
            vs[0] == vs[1] && vs[1] == vs[2],
            "not all three hold the same commits"
        );
        heal_times.push(elapsed.as_secs_f64());
        eprintln!("heal run {run}: {:.3} s", elapsed.as_secs_f64());
    }

    // 3. An idle listener's CPU over 10 s of dialing it every second.
    let cpu = if bench {
        let (a, _ad) = open(&a_full);
        let (b, _bd) = open(&b_empty);
        let (ra, rb) = (replica(a), dialer(b));
        rt.block_on(async {
            let la = listen(ra.clone()).await;
            dial(&rb, &la.address).await;
            let before = cpu_seconds();
            let t = Instant::now();
            tokio::time::sleep(Duration::from_secs(10)).await;
            let idle_cpu = (cpu_seconds() - before) / t.elapsed().as_secs_f64();
            la.handle.stop().await;
            idle_cpu
        })
    } else {
        0.0
    };

    println!("| measurement | median | runs |");
    println!("| --- | --- | --- |");
    let (t, f) = (median(times), median(floor));
    println!("| {one_way} commits A → empty B, converged | {t:.3} s | {runs} |");
    println!("| the same commits applied to B from memory (apply_batch, no network) | {f:.3} s | {runs} |");
    println!("| exchange ÷ apply alone | {:.2}× | |", t / f);
    println!(
        "| bytes on the wire per commit (both ways, TLS included) | {:.0} B | {runs} |",
        median(per_commit)
    );
    println!(
        "| idle round (nothing to send): bytes | {:.0} B | {runs} |",
        median(idle_bytes)
    );
    println!(
        "| idle round: time | {:.1} ms | {runs} |",
        median(idle_times) * 1000.0
    );
    println!(
        "| partition heal, 3 workstations, {each_side} + {each_side} commits | {:.3} s | {runs} |",
        median(heal_times)
    );
    if bench {
        println!(
            "| idle listener CPU (share of one core over 10 s) | {:.4} | 1 |",
            cpu
        );
    }
}
