//! Medical record numbers stay unique across workstations that register patients while
//! apart: the founding workstation numbers as it always did, every workstation added
//! since carries a block number of its own, the same on every workstation.

mod support;

use chartkeep::practice::Practice;
use serde_json::json;
use support::*;

/// Registers `n` patients on `p` as its administrator; their MRNs in order.
fn register(p: &mut Practice, family: &str, n: usize) -> Vec<String> {
    let mut admin = login(p, ADMIN, ADMIN_PW);
    (0..n)
        .map(|i| {
            let v = call(
                p,
                &mut admin,
                "patient.create",
                json!({"family": family, "given": [format!("P{i}")], "birth_date": "1980-01-01", "sex": "unknown"}),
            );
            s(&v, "mrn")
        })
        .collect()
}

fn duplicates(p: &mut Practice) -> usize {
    let mut admin = login(p, ADMIN, ADMIN_PW);
    arr(&call(p, &mut admin, "duplicate.list", json!({}))).len()
}

/// The MRN block each workstation's ledger records for `of`.
fn block_of(p: &Practice, of: &Practice) -> Option<i64> {
    let device = hex::encode(chartkeep::ledger::commit::device_id(&of.public_key()));
    p.reader()
        .query_row(
            "SELECT mrn_block FROM ledger_device WHERE device = ?1",
            [device],
            |r| r.get(0),
        )
        .expect("member row")
}

#[test]
fn workstations_apart_hand_out_mrns_that_do_not_collide() {
    let mut a = practice(next_seed());
    let mut b = join(&mut a.practice, ADMIN);
    let mut c = join(&mut a.practice, ADMIN);
    exchange(&mut a.practice, &mut b.practice);
    exchange(&mut a.practice, &mut c.practice);

    // Apart: each registers patients knowing nothing of the others'.
    let on_a = register(&mut a.practice, "Alpha", 3);
    let on_b = register(&mut b.practice, "Beta", 3);
    let on_c = register(&mut c.practice, "Gamma", 2);
    assert_eq!(
        on_a,
        ["0000001", "0000002", "0000003"],
        "the founding workstation keeps plain seven-digit numbers"
    );
    assert_eq!(on_b, ["10000001", "10000002", "10000003"]);
    assert_eq!(on_c, ["20000001", "20000002"]);
    for mrn in on_a.iter().chain(&on_b).chain(&on_c) {
        assert!(
            mrn.len() <= 8 && mrn.bytes().all(|b| b.is_ascii_digit()),
            "short and digits only: {mrn}"
        );
    }

    exchange(&mut a.practice, &mut b.practice);
    exchange(&mut a.practice, &mut c.practice);
    exchange(&mut a.practice, &mut b.practice);
    for p in [&mut a.practice, &mut b.practice, &mut c.practice] {
        assert_eq!(duplicates(p), 0, "no MRN was given twice");
        assert_eq!(
            count(p.reader(), "SELECT count(DISTINCT mrn) FROM patient"),
            8
        );
    }
    // Each block is the same whichever workstation reads it.
    for p in [&a.practice, &b.practice, &c.practice] {
        assert_eq!(block_of(p, &a.practice), None);
        assert_eq!(block_of(p, &b.practice), Some(1));
        assert_eq!(block_of(p, &c.practice), Some(2));
    }

    // Numbering goes on densely in each block, whatever the others registered meanwhile.
    assert_eq!(register(&mut a.practice, "Alpha", 1), ["0000004"]);
    assert_eq!(register(&mut b.practice, "Beta", 1), ["10000004"]);
}

#[test]
fn a_member_added_on_another_workstation_gets_the_next_block() {
    let mut a = practice(next_seed());
    let mut b = join(&mut a.practice, ADMIN);
    // B's administrator adds D, knowing of block 1 (B's own).
    let mut d = join(&mut b.practice, ADMIN);
    exchange(&mut a.practice, &mut b.practice);
    exchange(&mut b.practice, &mut d.practice);
    assert_eq!(block_of(&a.practice, &d.practice), Some(2));
    assert_eq!(register(&mut d.practice, "Delta", 1), ["20000001"]);
}

/// The one case blocks cannot prevent: two administrators adding workstations on two
/// machines that were apart choose the same block. The duplicate detection lists the
/// MRNs that then collide.
#[test]
fn members_added_concurrently_on_two_workstations_collide_only_as_listed_duplicates() {
    let mut a = practice(next_seed());
    let mut b = join(&mut a.practice, ADMIN);
    let mut c = join(&mut a.practice, ADMIN);
    let mut d = join(&mut b.practice, ADMIN);
    assert_eq!(block_of(&a.practice, &c.practice), Some(2));
    assert_eq!(block_of(&b.practice, &d.practice), Some(2));
    let on_c = register(&mut c.practice, "Gamma", 1);
    let on_d = register(&mut d.practice, "Delta", 1);
    assert_eq!(on_c, on_d);
    exchange(&mut a.practice, &mut c.practice);
    exchange(&mut b.practice, &mut d.practice);
    exchange(&mut a.practice, &mut b.practice);
    assert_eq!(
        duplicates(&mut a.practice),
        1,
        "the collision is listed to settle"
    );
}
