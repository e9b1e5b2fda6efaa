//! Sync between workstations, as separate `chartkeep` processes with their own data
//! folders talking over loopback: pairing, converging, partitions, removal, and a peer or
//! a stranger that misbehaves on the wire.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value as Json};
use tempfile::TempDir;

const PASSPHRASE: &str = "a long passphrase";
const ADMIN_PASSWORD: &str = "admin-password-1";
/// A name that must never cross the wire in plain text.
const CANARY: &str = "Quillfeather";

/// One workstation: a data folder and a `HOME` of its own.
struct Station {
    root: TempDir,
}

impl Station {
    fn new() -> Station {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        Station { root }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("practice")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chartkeep"));
        c.env_clear()
            .env("HOME", self.root.path().join("home"))
            .env("CHARTKEEP_PASSPHRASE", PASSPHRASE)
            .env("CHARTKEEP_USER", "admin")
            .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .arg("--data")
            .arg(self.data())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "chartkeep {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new practice with administrator `admin`, passphrase-protected.
    fn founding() -> Station {
        let s = Station::new();
        s.ok(&["init", "--no-keychain", "--admin", "admin"]);
        s
    }

    fn call(&self, command: &str, args: Json) -> Json {
        serde_json::from_str(&self.ok(&["call", command, &args.to_string()])).unwrap()
    }

    fn invite(&self) -> String {
        let out = self.ok(&["sync", "invite"]);
        out.lines()
            .find_map(|l| l.strip_prefix("code: "))
            .expect("a code: line")
            .to_string()
    }

    fn join(&self, code: &str, address: &str) -> Output {
        self.cmd()
            .env("CHARTKEEP_NEW_PASSPHRASE", PASSPHRASE)
            .args([
                "sync",
                "join",
                "--no-keychain",
                "--code",
                code,
                "--address",
                address,
            ])
            .output()
            .unwrap()
    }

    /// A new workstation joined through `member`'s listener at `address`.
    fn joined(member: &Station, address: &str) -> Station {
        let s = Station::new();
        let out = s.join(&member.invite(), address);
        assert!(
            out.status.success(),
            "join failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        s
    }

    fn once(&self, peer: &str) -> Output {
        self.run(&["sync", "once", "--peer", peer])
    }

    fn once_ok(&self, peer: &str) {
        let out = self.once(peer);
        assert!(
            out.status.success(),
            "sync once failed: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn digest(&self) -> String {
        let out = self.ok(&["verify", "--digest"]);
        out.lines()
            .last()
            .and_then(|l| l.strip_prefix("digest: "))
            .expect("digest: HEX as the last line")
            .to_string()
    }

    fn status(&self) -> Json {
        serde_json::from_str(&self.ok(&["sync", "status", "--json"])).unwrap()
    }

    fn serve(&self, extra: &[&str]) -> Peer {
        let mut child = self
            .cmd()
            .args([
                "sync",
                "run",
                "--listen",
                "127.0.0.1:0",
                "--no-mdns",
                "--interval",
                "3600",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening: ")
            .unwrap_or_else(|| panic!("sync run printed {line:?}"))
            .to_string();
        Peer { child, address }
    }
}

/// A running `chartkeep sync run`.
struct Peer {
    child: Child,
    address: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn patient(s: &Station, family: &str) -> String {
    let p = s.call(
        "patient.create",
        json!({"family": family, "given": ["Ada"], "birth_date": "1980-04-05", "sex": "female"}),
    );
    p["id"].as_str().unwrap().to_string()
}

fn conflicts(s: &Station) -> Vec<(String, String)> {
    let list = s.call("conflict.list", json!({}));
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["row"].as_str().unwrap().to_string(),
                c["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn chrono_today() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn three_workstations_pair_write_on_each_and_converge_to_one_digest() {
    let a = Station::founding();
    patient(&a, "Founding");
    let srv = a.serve(&[]);
    let b = Station::joined(&a, &srv.address);
    let c = Station::joined(&a, &srv.address);
    // Staff log in on a joined workstation with the password they already have.
    patient(&b, "Written-on-b");
    patient(&c, "Written-on-c");
    // Written on the founding workstation while its listener runs (another process).
    patient(&a, "Written-on-a");
    b.once_ok(&srv.address);
    c.once_ok(&srv.address);
    b.once_ok(&srv.address);
    let d = a.digest();
    assert_eq!(b.digest(), d);
    assert_eq!(c.digest(), d);
    // c's patient reached b through a: relayed, still verified by c's signature.
    let hits = b.call("patient.search", json!({"query": "Written-on-c"}));
    assert_eq!(hits.as_array().unwrap().len(), 1);
    for s in [&a, &b, &c] {
        s.ok(&["verify"]);
    }
    // The access logs replicate too: an audit report on a covers what happened on c.
    // The access log names a workstation by the first 16 hex digits of its device id.
    let c_name = c.status()["device"].as_str().unwrap()[..16].to_string();
    let today = chrono_today();
    let report = a.call("audit.report", json!({"from": today, "to": today}));
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["workstation"] == c_name.as_str() && e["action"] == "login"),
        "a's audit report lacks c's logins: {report}"
    );
    let st = b.status();
    assert_eq!(st["state"], "synced", "{st}");
    assert_eq!(st["peers"][0]["pending_in"], 0);
    assert_eq!(st["peers"][0]["pending_out"], 0);
}

#[test]
fn a_partition_heals_with_conflicts_exactly_where_fields_were_edited_concurrently() {
    let a = Station::founding();
    let srv = a.serve(&[]);
    let b = Station::joined(&a, &srv.address);
    let id = patient(&a, "Partitioned");
    b.once_ok(&srv.address);
    // Apart: both edit the name she goes by; only a edits the email, only b the language.
    let version = a.call("patient.get", json!({"id": id}))["version"].clone();
    a.call(
        "patient.update",
        json!({"id": id, "version": version, "preferred": "Addie", "email": "ada@example.org"}),
    );
    b.call(
        "patient.update",
        json!({"id": id, "version": version, "preferred": "Dee", "language": "fr"}),
    );
    // The same new patient registered at both front desks while apart.
    let twin_a = patient(&a, "Registered-twice");
    let twin_b = patient(&b, "Registered-twice");
    b.once_ok(&srv.address);
    for s in [&a, &b] {
        let dups = s.call("duplicate.list", json!({}));
        let flagged = dups
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == "name_and_birth_date")
            .unwrap_or_else(|| panic!("the patient registered twice is not flagged: {dups}"));
        let mut rows: Vec<&str> = flagged["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        rows.sort();
        let mut expected = vec![twin_a.as_str(), twin_b.as_str()];
        expected.sort();
        assert_eq!(rows, expected);
        // Their MRNs differ: each workstation numbers in its own block.
        let ma = s.call("patient.get", json!({"id": twin_a}))["mrn"].clone();
        let mb = s.call("patient.get", json!({"id": twin_b}))["mrn"].clone();
        assert_ne!(ma, mb);
    }
    assert_eq!(a.digest(), b.digest());
    let expected = vec![(id.clone(), "preferred".to_string())];
    assert_eq!(conflicts(&a), expected);
    assert_eq!(conflicts(&b), expected);
    let p = b.call("patient.get", json!({"id": id}));
    assert_eq!(p["email"], "ada@example.org");
    assert_eq!(p["language"], "fr");
    // A person settles it on one workstation; the resolution reaches the other.
    let c = &b.call("conflict.list", json!({}))[0];
    let keep = c["values"][1]["change"].as_str().unwrap().to_string();
    b.call(
        "conflict.resolve",
        json!({"row": id, "field": "preferred", "choose": keep}),
    );
    b.once_ok(&srv.address);
    assert!(conflicts(&a).is_empty());
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn a_wrong_code_fails_clearly_and_three_wrong_tries_spend_it() {
    let a = Station::founding();
    let srv = a.serve(&[]);
    let code = a.invite();
    let wrong = if code.starts_with('9') {
        "1111-1111"
    } else {
        "9999-9999"
    };
    let j = Station::new();
    for left in ["2 tries left", "1 try left", "spent"] {
        let out = j.join(wrong, &srv.address);
        assert!(!out.status.success());
        let e = stderr(&out);
        assert!(
            e.contains("pairing code is wrong") && e.contains(left),
            "{e}"
        );
        // Nothing half-made is left behind.
        assert!(!j.data().join("chartkeep.db").exists());
    }
    let out = j.join(&code, &srv.address);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no pairing code"), "{}", stderr(&out));
    // A new code works.
    let ok = j.join(&a.invite(), &srv.address);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn strangers_and_removed_workstations_are_refused_before_any_data_moves() {
    let a = Station::founding();
    patient(&a, "Member-data");
    let srv = a.serve(&[]);
    // Another practice's workstation (never paired) is refused in the TLS handshake.
    let stranger = Station::founding();
    let before = a.digest();
    let out = stranger.once(&srv.address);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("secure connection failed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stranger
            .call("patient.search", json!({"query": "Member-data"}))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A member that an administrator removes (a lost laptop) is refused from then on.
    let b = Station::joined(&a, &srv.address);
    let device = b.status()["device"].as_str().unwrap().to_string();
    a.ok(&["sync", "remove", &device]);
    patient(&b, "Written-after-removal");
    let out = b.once(&srv.address);
    assert!(!out.status.success(), "a removed workstation synced");
    assert_eq!(
        a.call("patient.search", json!({"query": "Written-after-removal"}))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_ne!(a.digest(), before, "the removal itself is a commit");
    a.ok(&["verify"]);
}

/// Forwards one connection at a time to `to`, keeping every byte each way.
struct Tap {
    address: String,
    client_bytes: Arc<Mutex<Vec<u8>>>,
    wire: Arc<Mutex<Vec<u8>>>,
}

fn tap(to: &str) -> Tap {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let client_bytes = Arc::new(Mutex::new(Vec::new()));
    let wire = Arc::new(Mutex::new(Vec::new()));
    let (cb, w, to) = (client_bytes.clone(), wire.clone(), to.to_string());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { break };
            let server = TcpStream::connect(&to).unwrap();
            let pipe =
                |mut from: TcpStream, mut into: TcpStream, keep: Vec<Arc<Mutex<Vec<u8>>>>| {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            for k in &keep {
                                k.lock().unwrap().extend_from_slice(&buf[..n]);
                            }
                            if into.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = into.shutdown(std::net::Shutdown::Write);
                    })
                };
            let up = pipe(
                client.try_clone().unwrap(),
                server.try_clone().unwrap(),
                vec![cb.clone(), w.clone()],
            );
            let down = pipe(server, client, vec![w.clone()]);
            let _ = up.join();
            let _ = down.join();
        }
    });
    Tap {
        address,
        client_bytes,
        wire,
    }
}

#[test]
fn no_patient_text_crosses_the_wire_and_a_replayed_session_is_refused() {
    let a = Station::founding();
    let srv = a.serve(&[]);
    let b = Station::joined(&a, &srv.address);
    patient(&b, CANARY);
    let t = tap(&srv.address);
    b.once_ok(&t.address);
    assert_eq!(
        a.call("patient.search", json!({"query": CANARY}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let wire = t.wire.lock().unwrap().clone();
    assert!(wire.len() > 1000, "the tap saw the exchange");
    assert!(
        !wire.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "the canary name crossed the wire in plain text"
    );
    // The client's bytes replayed verbatim on a new connection get nowhere: TLS 1.3's
    // handshake is fresh each time, so the server closes without applying anything.
    patient(&b, "Never-sent");
    let replay = t.client_bytes.lock().unwrap().clone();
    let before = a.digest();
    let mut s = TcpStream::connect(&srv.address).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(&replay);
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
    assert_eq!(a.digest(), before);
}

fn cut_off(address: &str, send: &[u8]) -> bool {
    let mut s = TcpStream::connect(address).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(send);
    let mut buf = [0u8; 256];
    // The server closes (0) or resets; a timeout would mean it kept the connection.
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

#[test]
fn malformed_oversized_and_slow_connections_are_cut_off_without_harm() {
    let a = Station::founding();
    patient(&a, "Still-here");
    let srv = a.serve(&["--frame-deadline", "1"]);
    let before = a.digest();
    // Neither TLS nor pairing.
    assert!(cut_off(&srv.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    // A pairing frame announcing 1 GB.
    assert!(cut_off(&srv.address, &[0x40, 0, 0, 0]));
    // A pairing request that is garbage after the magic.
    let mut bad = 20u32.to_be_bytes().to_vec();
    bad.extend_from_slice(b"CKPAIR01\x20garbage!!!!");
    assert!(cut_off(&srv.address, &bad));
    // A slow loris: connects and sends one byte of a TLS record, then nothing.
    assert!(cut_off(&srv.address, &[0x16]));
    // A TLS ClientHello cut short.
    assert!(cut_off(&srv.address, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    assert_eq!(a.digest(), before);
    // The listener still serves members.
    let b = Station::joined(&a, &srv.address);
    b.once_ok(&srv.address);
    assert_eq!(b.digest(), a.digest());
}

#[cfg(unix)]
#[test]
fn a_peer_killed_while_receiving_resumes_and_converges_with_nothing_lost_or_doubled() {
    let a = Station::founding();
    a.ok(&["demo", "--patients", "120", "--seed", "3"]);
    let srv = a.serve(&[]);
    let b = Station::joined(&a, &srv.address);
    // More for b to receive, then kill b's receiving process at different moments.
    a.ok(&["demo", "--patients", "120", "--seed", "4"]);
    let mut killed = 0;
    for round in 0..6u64 {
        let mut child = b
            .cmd()
            .args(["sync", "once", "--peer", &srv.address])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Different points in the exchange each round: the open (KDF), the handshake,
        // the batches, the final vectors.
        std::thread::sleep(Duration::from_millis(150 + round * 90));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let _ = child.wait();
        b.ok(&["verify"]);
    }
    assert!(killed > 0, "no round was killed while running");
    b.once_ok(&srv.address);
    assert_eq!(b.digest(), a.digest());
    b.ok(&["verify"]);
    let vectors = b.status();
    assert_eq!(
        vectors["rejected"].as_array().unwrap().len(),
        0,
        "{vectors}"
    );
}

#[test]
fn the_status_says_who_is_there_and_what_is_pending() {
    let a = Station::founding();
    let srv = a.serve(&[]);
    let b = Station::joined(&a, &srv.address);
    let st = a.status();
    assert_eq!(st["listening"], srv.address.as_str());
    let peers = st["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1, "{st}");
    assert_eq!(peers[0]["device"], b.status()["device"]);
    // Work on b waits to be sent until the next exchange.
    patient(&b, "Pending");
    let pending = b.status()["peers"][0]["pending_out"].as_u64().unwrap();
    assert!(pending >= 1, "{}", b.status());
    b.once_ok(&srv.address);
    assert_eq!(b.status()["peers"][0]["pending_out"], 0);
    let devices = a.call("device.list", json!({}));
    assert_eq!(devices.as_array().unwrap().len(), 2);
}
