//! The kill -9 harness: a child process writes and acknowledges each write on stdout; the
//! parent kills it with SIGKILL at a random point, reopens the practice, and checks that
//! every acknowledged write is there, that nothing after a lost write survived (no gaps),
//! and that SQLite's, SQLCipher's, the ledger's and the projections' integrity hold.
//!
//! `CHARTKEEP_CRASH_ROUNDS` sets the number of kills (default 200); `CHARTKEEP_CRASH_SEED`
//! repeats a run (the seed is printed at the start).

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

use chartkeep::api::Session;
use chartkeep::practice::Practice;
use chartkeep::vault::header::Header;
use chartkeep::vault::keys::DbKey;
use chartkeep::vault::Secret;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::json;

use common::*;

const CHILD_DIR: &str = "CHARTKEEP_CRASH_CHILD_DIR";
const CHILD_PASSPHRASE: &str = "CHARTKEEP_CRASH_PASSPHRASE";
const CHILD_ROUND: &str = "CHARTKEEP_CRASH_ROUND";

fn family(round: u64, n: u64) -> String {
    format!("Crash{round}n{n}")
}

/// The writer the parent kills. Does nothing unless started by the parent.
#[test]
#[ignore = "started by kill_9_never_loses_an_acknowledged_write as a child process"]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let passphrase = std::env::var(CHILD_PASSPHRASE).expect("passphrase in the environment");
    let round: u64 = std::env::var(CHILD_ROUND)
        .expect("round")
        .parse()
        .expect("a round number");
    let mut out = std::io::stdout().lock();
    // libtest has printed "test child_writer ... " without a newline: end that line.
    writeln!(out).expect("stdout");
    let mut practice = try_open(Path::new(&dir), Secret::Passphrase(&passphrase))
        .unwrap_or_else(|e| panic!("the child cannot open the practice: {e:?}"));
    writeln!(out, "opened")
        .and_then(|()| out.flush())
        .expect("stdout");
    let mut session = admin(&mut practice);
    writeln!(out, "ready")
        .and_then(|()| out.flush())
        .expect("stdout");
    for n in 0..1_000 {
        let id = create_patient(&mut practice, &mut session, &family(round, n), "Kill");
        // Acknowledged only once the call returned, i.e. the commit is durable.
        writeln!(out, "ack {n} {id}")
            .and_then(|()| out.flush())
            .expect("stdout");
    }
}

/// Where the parent kills the child.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Right after spawning: usually before the practice is even open.
    Spawn,
    /// Once the practice is open: usually while the login checks the password or logs it.
    Opened,
    /// When the k-th acknowledgement arrives (k ≥ 1): usually in the middle of the next write.
    Ack(u64),
}

struct Round {
    /// (n, id) of every write the child acknowledged.
    acked: Vec<(u64, String)>,
    status: ExitStatus,
}

/// Reads whole lines only: a line cut off by the kill acknowledges nothing.
fn next_line(reader: &mut BufReader<ChildStdout>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) if line.ends_with('\n') => Some(line.trim_end().to_string()),
        Ok(_) => None,
    }
}

fn parse_ack(line: &str) -> Option<(u64, String)> {
    let rest = &line[line.find("ack ")? + 4..];
    let (n, id) = rest.split_once(' ')?;
    Some((n.parse().ok()?, id.to_string()))
}

fn spawn_child(dir: &Path, round: u64, stderr: &Path) -> Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args([
            "--exact",
            "child_writer",
            "--nocapture",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_PASSPHRASE, PASSPHRASE)
        .env(CHILD_ROUND, round.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(stderr).expect("the child's stderr file"))
        .spawn()
        .expect("spawn the child writer")
}

/// Burns a random number of iterations (no sleeping, no clock): moves the kill to a
/// different point of the child's next write.
fn jitter(rng: &mut ChaCha20Rng) {
    let n = rng.next_u64() % 200_000;
    for i in 0..n {
        std::hint::black_box(i);
    }
}

fn run_round(dir: &Path, round: u64, at: KillAt, rng: &mut ChaCha20Rng, stderr: &Path) -> Round {
    let mut child = spawn_child(dir, round, stderr);
    let mut reader = BufReader::new(child.stdout.take().expect("the child's stdout"));
    let mut acked = Vec::new();
    let reached = match at {
        KillAt::Spawn => true,
        KillAt::Opened => loop {
            match next_line(&mut reader) {
                Some(l) if l.ends_with("opened") => break true,
                Some(_) => {}
                None => break false,
            }
        },
        KillAt::Ack(k) => loop {
            match next_line(&mut reader) {
                Some(l) => {
                    if let Some(ack) = parse_ack(&l) {
                        acked.push(ack);
                        if acked.len() as u64 == k {
                            break true;
                        }
                    }
                }
                None => break false,
            }
        },
    };
    if reached {
        jitter(rng);
    }
    // SIGKILL on Unix. An error means the child already exited, which `reached` reports.
    let _ = child.kill();
    let status = child.wait().expect("wait for the child");
    // Writes acknowledged between the k-th ack and the kill count too.
    while let Some(l) = next_line(&mut reader) {
        if let Some(ack) = parse_ack(&l) {
            acked.push(ack);
        }
    }
    if !reached {
        let err = std::fs::read_to_string(stderr).unwrap_or_default();
        panic!("round {round}: the child exited on its own ({status}) before {at:?}:\n{err}");
    }
    Round { acked, status }
}

fn reopen(dir: &Path, key: &DbKey, header: &Header, keep_wal: bool) -> Practice {
    let practice = open_with(dir, key.clone(), header.clone())
        .unwrap_or_else(|e| panic!("the practice does not open after a kill: {e:?}"));
    if keep_wal {
        // Leave the WAL in place when closing, so the next child starts on a WAL that
        // grows until SQLite checkpoints it mid-write (and can be killed doing that).
        practice.keep_wal_on_close().unwrap();
    }
    practice
}

/// The heavy checks: every page's HMAC, SQLite's integrity check, the ledger's signatures
/// and chains, the projections against a replay, the access log's chain.
fn full_check(practice: &mut Practice, when: &str) {
    let report = practice.verify().expect("verify runs");
    assert!(
        report.ok(),
        "{when}: the practice does not verify: {report:#?}"
    );
}

fn check_acked(
    practice: &mut Practice,
    session: &mut Session,
    acked: &[(String, String)],
    when: &str,
) {
    for (family, id) in acked {
        let p =
            try_call(practice, session, "patient.get", json!({ "id": id })).unwrap_or_else(|e| {
                panic!("{when}: acknowledged write {family} ({id}) is lost: {e:?}")
            });
        assert_eq!(p["family"], family.as_str(), "{when}: {id}");
    }
}

/// The n of every patient this round wrote, in order.
fn written_in_round(practice: &Practice, round: u64) -> Vec<u64> {
    let prefix = format!("Crash{round}n");
    let mut stmt = practice
        .reader()
        .prepare("SELECT family FROM patient WHERE family LIKE ?1 || '%'")
        .unwrap();
    let mut ns: Vec<u64> = stmt
        .query_map([&prefix], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|f| f.unwrap()[prefix.len()..].parse().unwrap())
        .collect();
    ns.sort_unstable();
    ns
}

#[test]
fn kill_9_never_loses_an_acknowledged_write() {
    let rounds: u64 = std::env::var("CHARTKEEP_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("CHARTKEEP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!(
        "kill -9 harness: {rounds} rounds, seed {seed} (CHARTKEEP_CRASH_SEED={seed} repeats it)"
    );
    let mut rng = ChaCha20Rng::seed_from_u64(seed);

    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("practice");
    let stderr = t.path().join("child-stderr.txt");
    let (mut practice, _) = init(&dir);
    let key = practice.key().clone();
    let header = practice.header().clone();
    // One login, reused across reopenings: the parent checks without paying for PBKDF2.
    let mut session = admin(&mut practice);
    drop(practice);

    let mut all_acked: Vec<(String, String)> = Vec::new();
    let mut unacked_but_kept = 0;
    let mut killed_mid_write = 0;
    for round in 0..rounds {
        let at = match rng.next_u64() % 10 {
            0 => KillAt::Spawn,
            1 => KillAt::Opened,
            _ => KillAt::Ack(1 + rng.next_u64() % 5),
        };
        let r = run_round(&dir, round, at, &mut rng, &stderr);
        if r.status.success() {
            panic!("round {round}: the child finished instead of being killed");
        }
        let when = format!("round {round} (seed {seed}, killed at {at:?})");
        let keep_wal = rng.next_u64() % 2 == 0;
        let mut practice = reopen(&dir, &key, &header, keep_wal);

        // Every acknowledged write is there, and the writes that survived are a prefix of
        // what the child attempted: nothing after a lost write.
        let round_acked: Vec<(String, String)> = r
            .acked
            .iter()
            .map(|(n, id)| (family(round, *n), id.clone()))
            .collect();
        for (i, (n, _)) in r.acked.iter().enumerate() {
            assert_eq!(*n, i as u64, "{when}: acknowledgements in order");
        }
        check_acked(&mut practice, &mut session, &round_acked, &when);
        let written = written_in_round(&practice, round);
        let expected: Vec<u64> = (0..written.len() as u64).collect();
        assert_eq!(written, expected, "{when}: the surviving writes have a gap");
        assert!(
            written.len() >= r.acked.len(),
            "{when}: {written:?} vs {:?}",
            r.acked
        );
        if written.len() > r.acked.len() {
            unacked_but_kept += 1;
        }
        if matches!(at, KillAt::Ack(_)) {
            killed_mid_write += 1;
        }
        all_acked.extend(round_acked);

        if round % 20 == 19 || round + 1 == rounds {
            check_acked(&mut practice, &mut session, &all_acked, &when);
            full_check(&mut practice, &when);
        }
        drop(practice);
    }
    eprintln!(
        "kill -9 harness: {rounds} kills ({killed_mid_write} while writing), {} acknowledged writes all present; \
         {unacked_but_kept} rounds kept a write the kill cut off before its acknowledgement",
        all_acked.len()
    );
    assert!(
        rounds == 0 || !all_acked.is_empty() || rounds < 10,
        "the child never wrote anything"
    );
}
