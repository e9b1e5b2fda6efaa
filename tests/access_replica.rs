//! The access logs replicate: every workstation keeps its own signed chain and holds
//! read-only copies of the others', so an administrator's audit report on any workstation
//! covers the whole practice, and a copy can never hold an entry its workstation did not
//! sign.

mod support;

use chartkeep::access::replica::LogEntry;
use chartkeep::practice::Practice;
use serde_json::{json, Value as Json};
use support::*;

fn device_of(p: &Practice) -> [u8; 32] {
    chartkeep::ledger::commit::device_id(&p.public_key())
}

/// Sends `to` every access-log entry `from` holds (own or copied) that `to` lacks, as the
/// sync protocol does: by `to`'s log vector, a page at a time. Returns how many were new.
fn send_log(from: &Practice, to: &mut Practice) -> usize {
    let have = to.access_log_vector().expect("log vector");
    let mut n = 0;
    for (device, held) in from.access_log_vector().expect("log vector") {
        let mut after = have.get(&device).copied().unwrap_or(0);
        while after < held {
            let page = from
                .access_entries_after(&device, after, 3)
                .expect("entries after");
            let Some(last) = page.last() else { break };
            after = last.seq;
            for (i, r) in to
                .apply_access_copies(&page)
                .expect("apply copies")
                .into_iter()
                .enumerate()
            {
                match r {
                    Ok(true) => n += 1,
                    Ok(false) => {}
                    Err(e) => panic!("entry {} refused: {} {e}", page[i].seq, e.code()),
                }
            }
        }
    }
    n
}

fn report(p: &mut Practice) -> Vec<Json> {
    let mut admin = login(p, ADMIN, ADMIN_PW);
    let v = call(
        p,
        &mut admin,
        "audit.report",
        json!({"from": TODAY, "to": TODAY}),
    );
    arr(&v).clone()
}

/// Two workstations of one practice, each with reads of the same patient, before any
/// access-log entry was exchanged. Returns them and the patient's id.
fn two_workstations() -> (Env, Env, String) {
    let mut a = practice(next_seed());
    let mut b = join(&mut a.practice, ADMIN);
    let mut admin_a = login(&mut a.practice, ADMIN, ADMIN_PW);
    let patient = id(&call(
        &mut a.practice,
        &mut admin_a,
        "patient.create",
        json!({"family": "Okafor", "given": ["Ada"], "birth_date": "1970-03-04", "sex": "female"}),
    ));
    exchange(&mut a.practice, &mut b.practice);
    call(
        &mut a.practice,
        &mut admin_a,
        "patient.get",
        json!({"id": patient}),
    );
    b.clock.advance_ms(MINUTE_MS);
    let mut admin_b = login(&mut b.practice, ADMIN, ADMIN_PW);
    call(
        &mut b.practice,
        &mut admin_b,
        "patient.get",
        json!({"id": patient}),
    );
    call(
        &mut b.practice,
        &mut admin_b,
        "patient.search",
        json!({"query": "okafor"}),
    );
    (a, b, patient)
}

fn reads_of(entries: &[Json], patient: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["patient"] == json!(patient) && e["action"] == json!("read"))
        .map(|e| s(e, "workstation"))
        .collect()
}

#[test]
fn an_audit_report_on_either_workstation_shows_the_reads_made_on_both() {
    let (mut a, mut b, patient) = two_workstations();
    let (wa, wb) = (a.practice.workstation(), b.practice.workstation());
    assert_eq!(
        reads_of(&report(&mut a.practice), &patient),
        vec![wa.clone()]
    );

    assert!(send_log(&b.practice, &mut a.practice) > 0);
    assert!(send_log(&a.practice, &mut b.practice) > 0);

    for p in [&mut a.practice, &mut b.practice] {
        let entries = report(p);
        assert_eq!(
            reads_of(&entries, &patient),
            vec![wa.clone(), wb.clone()],
            "both reads, in time order, each naming its workstation"
        );
        let times: Vec<String> = entries.iter().map(|e| s(e, "at")).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "the report is in time order");
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == json!("search") && s(e, "workstation") == wb),
            "the search made on B shows too"
        );
        let mut admin = login(p, ADMIN, ADMIN_PW);
        let csv = call(
            p,
            &mut admin,
            "audit.export",
            json!({"from": TODAY, "to": TODAY, "patient": patient}),
        );
        let csv = s(&csv, "csv");
        assert!(csv.contains(&wa) && csv.contains(&wb), "{csv}");
        let verified = call(p, &mut admin, "audit.verify", json!({}));
        assert_eq!(verified["ok"], json!(true));
        let report = p.verify().expect("verify");
        assert!(report.ok(), "{report:?}");
    }
}

#[test]
fn re_applying_entries_already_held_changes_nothing() {
    let (mut a, b, _) = two_workstations();
    let device = device_of(&b.practice);
    let entries = b.practice.access_entries_after(&device, 0, 100).unwrap();
    assert!(entries.len() >= 3, "login, read, search");
    let first = a.practice.apply_access_copies(&entries).unwrap();
    assert!(first.iter().all(|r| matches!(r, Ok(true))), "{first:?}");
    let again = a.practice.apply_access_copies(&entries).unwrap();
    assert!(again.iter().all(|r| matches!(r, Ok(false))), "{again:?}");
    assert_eq!(
        a.practice.access_log_vector().unwrap()[&device],
        entries.last().unwrap().seq
    );
    // A's own entries, sent back to A, are not copied: its log is the original.
    let own = device_of(&a.practice);
    let mine = a.practice.access_entries_after(&own, 0, 100).unwrap();
    let back = a.practice.apply_access_copies(&mine).unwrap();
    assert!(back.iter().all(|r| matches!(r, Ok(false))), "{back:?}");
    assert_eq!(
        count(a.practice.reader(), "SELECT count(*) FROM access_log_copy"),
        entries.len() as i64
    );
}

#[test]
fn entries_go_through_the_wire_encoding_unchanged_and_apply() {
    let (mut a, b, _) = two_workstations();
    let entries = b
        .practice
        .access_entries_after(&device_of(&b.practice), 0, 100)
        .unwrap();
    let wire = chartkeep::access::replica::encode_batch(&entries);
    let back = chartkeep::access::replica::decode_batch(&wire).unwrap();
    assert_eq!(back, entries);
    for e in &entries {
        assert_eq!(&LogEntry::from_bytes(&e.to_bytes()).unwrap(), e);
    }
    let applied = a.practice.apply_access_copies(&back).unwrap();
    assert!(applied.iter().all(|r| matches!(r, Ok(true))));
}

/// Applies one entry and returns its error code.
fn refused(p: &mut Practice, e: LogEntry) -> String {
    let mut out = p.apply_access_copies(&[e]).unwrap();
    match out.remove(0) {
        Ok(new) => panic!("accepted (new: {new})"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.code().to_string()
        }
    }
}

#[test]
fn altered_forged_and_gapped_entries_are_refused_and_the_rest_go_on() {
    let (mut a, b, _) = two_workstations();
    let device = device_of(&b.practice);
    let entries = b.practice.access_entries_after(&device, 0, 100).unwrap();
    assert!(entries.len() >= 3);

    // The first entry, altered on the way: its hash no longer recomputes.
    let mut altered = entries[0].clone();
    altered.user_name = "someone else".into();
    assert_eq!(
        refused(&mut a.practice, altered),
        "access_log_entry_altered"
    );
    // A patient added where there was none.
    let mut altered = entries[0].clone();
    altered.patient = Some(String::new());
    assert_eq!(
        refused(&mut a.practice, altered),
        "access_log_entry_altered"
    );
    // Its signature damaged.
    let mut forged = entries[0].clone();
    forged.signature[0] ^= 1;
    assert_eq!(refused(&mut a.practice, forged), "access_log_bad_signature");
    // Claimed by another member: the hash names the device, so it no longer recomputes.
    let mut other = entries[0].clone();
    other.device = device_of(&a.practice);
    assert_eq!(refused(&mut a.practice, other), "access_log_entry_altered");

    // A gap: the first entry, then the third.
    let out = a
        .practice
        .apply_access_copies(&[entries[0].clone(), entries[2].clone()])
        .unwrap();
    assert!(matches!(out[0], Ok(true)), "{out:?}");
    assert_eq!(out[1].as_ref().unwrap_err().code(), "access_log_gap");
    // A bad entry in a batch does not stop the others.
    let mut bad = entries[1].clone();
    bad.detail.push('!');
    let out = a
        .practice
        .apply_access_copies(&[bad, entries[1].clone(), entries[2].clone()])
        .unwrap();
    assert_eq!(
        out[0].as_ref().unwrap_err().code(),
        "access_log_entry_altered"
    );
    assert!(
        matches!(out[1], Ok(true)) && matches!(out[2], Ok(true)),
        "{out:?}"
    );
    assert!(a.practice.verify().unwrap().ok());
}

#[test]
fn an_entry_from_a_workstation_the_ledger_does_not_know_is_refused() {
    let (mut a, _b, _) = two_workstations();
    // A workstation of another practice, which nobody here paired.
    let mut stranger = practice(next_seed());
    let mut s_admin = login(&mut stranger.practice, ADMIN, ADMIN_PW);
    call(
        &mut stranger.practice,
        &mut s_admin,
        "patient.search",
        json!({"query": "x"}),
    );
    let entries = stranger
        .practice
        .access_entries_after(&device_of(&stranger.practice), 0, 10)
        .unwrap();
    let out = a.practice.apply_access_copies(&entries).unwrap();
    assert!(!out.is_empty());
    for r in out {
        assert_eq!(r.unwrap_err().code(), "access_log_unknown_device");
    }
    assert_eq!(
        count(a.practice.reader(), "SELECT count(*) FROM access_log_copy"),
        0
    );
}

#[test]
fn a_copy_is_relayed_by_a_third_workstation_and_checks_there() {
    let (mut a, b, patient) = two_workstations();
    let wb = b.practice.workstation();
    send_log(&b.practice, &mut a.practice);
    // C never talks to B: it gets B's entries from A's copy.
    let mut c = join(&mut a.practice, ADMIN);
    send_log(&a.practice, &mut c.practice);
    assert!(reads_of(&report(&mut c.practice), &patient).contains(&wb));
    assert!(c.practice.verify().unwrap().ok());
}

#[test]
fn a_removed_workstations_past_entries_stay_valid() {
    let (mut a, b, _) = two_workstations();
    send_log(&b.practice, &mut a.practice);
    let admin = user_id(&a.practice, ADMIN);
    a.practice
        .remove_member(admin, b.practice.public_key())
        .unwrap();
    let report = a.practice.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    // Another workstation that learns of the removal first still takes them.
    let mut c = join(&mut a.practice, ADMIN);
    send_log(&b.practice, &mut c.practice);
    assert!(c.practice.verify().unwrap().ok());
}

#[test]
fn a_workstation_whose_log_started_anew_shows_as_a_fork() {
    let (mut a, b, _) = two_workstations();
    send_log(&b.practice, &mut a.practice);
    let device = device_of(&b.practice);
    // B's access log file is lost; it starts a new log, signed by the same device.
    let t = template(b);
    std::fs::remove_file(t.dir.path().join("chartkeep-access.db")).unwrap();
    let b = reopen(&t);
    let restarted = b.practice.access_entries_after(&device, 0, 10).unwrap();
    assert_eq!(restarted[0].action, "log_started");
    assert_eq!(
        refused(&mut a.practice, restarted[0].clone()),
        "access_log_fork"
    );
    assert!(
        a.practice.verify().unwrap().ok(),
        "A's copy is still the old log, intact"
    );
}

#[test]
fn a_copy_edited_in_the_database_fails_verify() {
    let (mut a, b, _) = two_workstations();
    send_log(&b.practice, &mut a.practice);
    let conn = raw(&a.practice);
    let e = conn
        .execute("UPDATE access_log_copy SET user_name = 'x'", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    conn.execute("DELETE FROM access_log_copy", []).unwrap_err();
    conn.execute_batch(
        "DROP TRIGGER access_log_copy_no_update; UPDATE access_log_copy SET detail = 'edited' WHERE seq = 2;",
    )
    .unwrap();
    let mut admin = login(&mut a.practice, ADMIN, ADMIN_PW);
    let e = call_err(&mut a.practice, &mut admin, "audit.verify", json!({}));
    assert_eq!(e.code, "access_log_damaged");
    assert!(
        e.message.contains(&b.practice.workstation()),
        "{}",
        e.message
    );
    assert!(e.message.contains("entry 2"), "{}", e.message);
}

/// A workstation restored from a backup is a new device whose log continues the log it
/// was restored from: it serves both chains, the old device's entries and its own, and
/// the old workstation's later entries continue its copy there.
#[test]
fn a_restored_workstation_serves_the_log_it_inherited_and_its_own() {
    use chartkeep::vault::{self, backup, Secret};
    use std::sync::Arc;

    let mut a = practice(next_seed());
    let mut b = join(&mut a.practice, ADMIN);
    let mut admin_a = login(&mut a.practice, ADMIN, ADMIN_PW);
    call(
        &mut a.practice,
        &mut admin_a,
        "patient.search",
        json!({"query": "before the backup"}),
    );
    let file = a.dir.path().join("a.ckbackup");
    a.practice
        .backup(&file, &ring::rand::SystemRandom::new())
        .unwrap();
    let contents = backup::read_backup(&file).unwrap();
    let key = backup::unlock_backup(&contents, None, Some("test passphrase")).unwrap();
    let rdir = tempfile::tempdir().unwrap();
    backup::restore_into(&contents, &key, rdir.path()).unwrap();
    let (key, header) = vault::unlock(rdir.path(), Secret::Passphrase("test passphrase")).unwrap();
    let mut r = Practice::open(
        rdir.path(),
        key,
        header,
        Arc::new(chartkeep::clock::ManualClock::at(START)),
        Arc::new(chartkeep::clock::SeededIds::new(next_seed())),
    )
    .unwrap();
    assert!(r.restored_from().is_some());
    // Both go on recording: A in its own log, R in the log it inherited.
    let mut admin_r = login(&mut r, ADMIN, ADMIN_PW);
    call(
        &mut r,
        &mut admin_r,
        "patient.search",
        json!({"query": "on r"}),
    );
    call(
        &mut a.practice,
        &mut admin_a,
        "patient.search",
        json!({"query": "after the backup"}),
    );
    exchange(&mut r, &mut a.practice);
    exchange(&mut a.practice, &mut b.practice);

    let (da, dr) = (device_of(&a.practice), device_of(&r));
    let vector = r.access_log_vector().unwrap();
    assert!(
        vector.contains_key(&da) && vector.contains_key(&dr),
        "both chains are served"
    );
    let first_of_r = r.access_entries_after(&dr, 0, 1).unwrap();
    assert!(
        first_of_r[0].seq > 1,
        "R's chain starts after what it inherited"
    );

    // B hears of A's log from R first, then from A itself; R gets A's later entries.
    send_log(&r, &mut b.practice);
    assert!(send_log(&a.practice, &mut b.practice) > 0);
    assert!(send_log(&a.practice, &mut r) > 0);
    let (wa, wr) = (a.practice.workstation(), r.workstation());
    for (who, p) in [("B", &mut b.practice), ("R", &mut r)] {
        let searches_on = |entries: &[Json], w: &str| {
            entries
                .iter()
                .filter(|e| e["action"] == json!("search") && s(e, "workstation") == w)
                .count()
        };
        let entries = report(p);
        assert_eq!(
            searches_on(&entries, &wa),
            2,
            "{who}: A's, before and after the backup"
        );
        assert_eq!(searches_on(&entries, &wr), 1, "{who}: R's own");
        let v = p.verify().unwrap();
        assert!(v.ok(), "{who}: {v:?}");
    }
    // The reports just made were logged on R: B catches up with them.
    send_log(&r, &mut b.practice);
    let (vr, vb) = (
        r.access_log_vector().unwrap(),
        b.practice.access_log_vector().unwrap(),
    );
    for d in [da, dr] {
        assert_eq!(vr[&d], vb[&d], "R and B hold the same of A's and R's logs");
    }
}

mod any_arrival_order {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// A closed pair: A before any copy, and B's entries (more than one page's worth).
    fn fixture() -> &'static (Template, Vec<LogEntry>) {
        static PAIR: OnceLock<(Template, Vec<LogEntry>)> = OnceLock::new();
        PAIR.get_or_init(|| {
            let (a, mut b, _) = two_workstations();
            let mut admin_b = login(&mut b.practice, ADMIN, ADMIN_PW);
            for q in ["one", "two", "three", "four"] {
                call(
                    &mut b.practice,
                    &mut admin_b,
                    "patient.search",
                    json!({"query": q}),
                );
            }
            let entries = b
                .practice
                .access_entries_after(&device_of(&b.practice), 0, 100)
                .unwrap();
            (template(a), entries)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Entries arriving in any order, repeated, in batches of any size: each is taken
        /// once, only when it continues the copy, and after enough rounds the copy is the
        /// whole log, verified.
        #[test]
        fn the_copy_converges_to_the_whole_log(
            order in Just((0..fixture().1.len()).collect::<Vec<usize>>()).prop_shuffle(),
            repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            batch in 1..5usize,
        ) {
            let (t, entries) = fixture();
            let mut a = reopen(t);
            let mut arrivals: Vec<LogEntry> = order.iter().map(|&i| entries[i].clone()).collect();
            for r in &repeats {
                arrivals.push(entries[r.index(entries.len())].clone());
            }
            let mut taken = 0;
            for _round in 0..entries.len() {
                for chunk in arrivals.chunks(batch) {
                    for r in a.practice.apply_access_copies(chunk).unwrap() {
                        match r {
                            Ok(true) => taken += 1,
                            Ok(false) => {}
                            Err(e) => prop_assert_eq!(e.code(), "access_log_gap"),
                        }
                    }
                }
            }
            prop_assert_eq!(taken, entries.len(), "each entry taken exactly once");
            let got = a
                .practice
                .access_entries_after(&entries[0].device, 0, 100)
                .unwrap();
            prop_assert_eq!(&got, entries);
            prop_assert!(a.practice.verify().unwrap().ok());
        }
    }
}
