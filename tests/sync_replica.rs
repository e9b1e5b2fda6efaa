//! What a receiving workstation does with a batch that holds bad commits: each bad one is
//! refused and recorded (so the hole shows in `sync status`), the good ones apply, and
//! nothing of a refused commit is written.

mod support;

use std::sync::{Arc, Mutex};

use chartkeep::ledger::Signed;
use chartkeep::practice::Practice;
use chartkeep::sync::replica::Replica;
use serde_json::json;
use support::*;

/// A member workstation `b` of `a`'s practice that has written `n` patients `a` lacks.
fn commits_from_member(n: usize) -> (Env, Env, Vec<Signed>) {
    let mut a = practice(1);
    let mut b = join(&mut a.practice, ADMIN);
    let mut s = login(&mut b.practice, ADMIN, ADMIN_PW);
    for i in 0..n {
        call(
            &mut b.practice,
            &mut s,
            "patient.create",
            json!({"family": format!("Batch{i}"), "given": ["Ana"], "birth_date": "1980-01-01", "sex": "female"}),
        );
    }
    let missing = b
        .practice
        .missing_for(&a.practice.version_vector().unwrap())
        .unwrap();
    (a, b, missing)
}

fn replica(p: Practice) -> (Replica, Arc<Mutex<Practice>>) {
    let cell = Arc::new(Mutex::new(p));
    (Replica::new(cell.clone()), cell)
}

fn rejected_codes(cell: &Arc<Mutex<Practice>>) -> Vec<String> {
    let p = cell.lock().unwrap();
    chartkeep::sync::status::status(&p)
        .unwrap()
        .rejected
        .into_iter()
        .map(|r| r.code)
        .collect()
}

#[test]
fn an_altered_commit_is_refused_and_reported_and_the_rest_of_the_batch_applies() {
    let (a, b, mut batch) = commits_from_member(4);
    let b_device = b.practice.device_id();
    // The third of b's new commits is altered after signing: one byte of its body.
    let last = batch.len() - 2;
    let i = batch[last].encoded.len() - 3;
    batch[last].encoded[i] ^= 0x01;
    let Env { practice, .. } = a;
    let (r, cell) = replica(practice);
    let before = cell.lock().unwrap().version_vector().unwrap();
    let o = r.apply(&b_device, &batch).unwrap();
    assert_eq!(
        o.refused, 2,
        "the altered commit and the one after it (which has a hole before it)"
    );
    assert_eq!(o.new, batch.len() - 2);
    let after = cell.lock().unwrap().version_vector().unwrap();
    assert_eq!(
        after.get(&b_device).copied().unwrap_or(0),
        before.get(&b_device).copied().unwrap_or(0) + (batch.len() as u64 - 2)
    );
    let codes = rejected_codes(&cell);
    assert!(
        codes.contains(&"ledger_bad_signature".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ledger_out_of_order".to_string()),
        "{codes:?}"
    );
    // Fetching the real commits again fills the hole, and the report clears.
    let good = b
        .practice
        .missing_for(&cell.lock().unwrap().version_vector().unwrap())
        .unwrap();
    assert_eq!(good.len(), 2);
    assert_eq!(r.apply(&b_device, &good).unwrap().new, 2);
    assert!(rejected_codes(&cell).is_empty());
    assert!(cell.lock().unwrap().verify().unwrap().ok());
}

#[test]
fn a_gap_a_forged_signature_and_garbage_each_write_nothing() {
    let (a, b, batch) = commits_from_member(3);
    let b_device = b.practice.device_id();
    let Env { practice, .. } = a;
    let (r, cell) = replica(practice);
    let digest = cell.lock().unwrap().digest().unwrap();
    // A gap: the last commit without the ones before it.
    let gap = vec![batch[batch.len() - 1].clone()];
    assert_eq!(r.apply(&b_device, &gap).unwrap().refused, 1);
    // A forged signature: right body, signature of another message.
    let mut forged = batch[0].clone();
    forged.signature = batch[1].signature;
    assert_eq!(r.apply(&b_device, &[forged]).unwrap().refused, 1);
    // Garbage that does not decode at all.
    let junk = Signed {
        encoded: b"not a commit".to_vec(),
        signature: [7; 64],
    };
    assert_eq!(r.apply(&b_device, &[junk]).unwrap().refused, 1);
    assert_eq!(
        cell.lock().unwrap().digest().unwrap(),
        digest,
        "nothing was written"
    );
    let codes = rejected_codes(&cell);
    assert!(
        codes.contains(&"ledger_out_of_order".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ledger_bad_signature".to_string()),
        "{codes:?}"
    );
    assert!(codes.contains(&"ledger_damaged".to_string()), "{codes:?}");
}
