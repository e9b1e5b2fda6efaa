//! The ledger: replay equals the live tables, guard triggers, tampering detected by
//! `verify` (or `rebuild`), and two workstations exchanging commits.
//!
//! Practices are made once (password hashing is slow) and copied per test or per
//! property-test case with `support::reopen`.

mod support;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chartkeep::api::{self, Session};
use chartkeep::ledger::verify::verify;
use chartkeep::ledger::{encoding, Applied, Signed};
use chartkeep::practice::{Practice, CATALOGUE};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value as Json};
use support::{
    arr, call, clinic, commits, count, dump, exchange, id, login, practice_with_admin, raw, reopen,
    s, send, template, Clinic, Env, Template, CLINICIAN, CLINICIAN_PW, MINUTE_MS,
};

// ---------------------------------------------------------------------------------------
// Templates

/// A practice with an administrator and a clinician (drlee), closed so it can be copied.
struct ClinicTemplate {
    t: Template,
    doc: Session,
}

fn clinic_template() -> &'static ClinicTemplate {
    static T: OnceLock<ClinicTemplate> = OnceLock::new();
    T.get_or_init(|| {
        let Clinic { env, doc, .. } = clinic(1);
        ClinicTemplate {
            t: template(env),
            doc,
        }
    })
}

fn open_clinic() -> (Env, Session) {
    let t = clinic_template();
    (reopen(&t.t), t.doc.clone())
}

/// Three workstations of one practice that have exchanged everything: A (where the
/// clinician was created), B and C, each with its own administrator. drlee is logged in on
/// A and B. A shared chart was made on A: a patient, two medications and a problem.
struct PairTemplate {
    a: Template,
    b: Template,
    c: Template,
    doc_a: Session,
    doc_b: Session,
    patient: String,
    med1: String,
    med2: String,
    problem: String,
    /// The medications' versions as everyone first read them.
    med1_version: Json,
}

fn pair_template() -> &'static PairTemplate {
    static T: OnceLock<PairTemplate> = OnceLock::new();
    T.get_or_init(|| {
        let ct = clinic_template();
        let mut a = reopen(&ct.t);
        let mut doc_a = ct.doc.clone();
        let mut b = practice_with_admin(support::next_seed(), "admin_b");
        let mut c = practice_with_admin(support::next_seed(), "admin_c");
        exchange(&mut a.practice, &mut b.practice);
        exchange(&mut a.practice, &mut c.practice);
        exchange(&mut b.practice, &mut c.practice);
        let doc_b = login(&mut b.practice, CLINICIAN, CLINICIAN_PW);
        let pa = &mut a.practice;
        let patient = id(&call(
            pa,
            &mut doc_a,
            "patient.create",
            json!({"family": "Shared", "given": ["Sam"], "birth_date": "1960-06-06", "sex": "male"}),
        ));
        let m1 = call(
            pa,
            &mut doc_a,
            "medication.add",
            json!({"patient": patient, "name": "Metoprolol", "dose": "25 mg", "frequency": "daily", "route": "oral"}),
        );
        let m2 = call(
            pa,
            &mut doc_a,
            "medication.add",
            json!({"patient": patient, "name": "Lisinopril", "dose": "10 mg", "frequency": "daily", "route": "oral"}),
        );
        let problem = id(&call(pa, &mut doc_a, "problem.add", json!({"patient": patient, "code": "I10"})));
        send(&a.practice, &mut b.practice);
        send(&a.practice, &mut c.practice);
        for (x, y) in [(&a, &b), (&a, &c)] {
            assert_eq!(x.practice.version_vector().unwrap(), y.practice.version_vector().unwrap());
        }
        PairTemplate {
            a: template(a),
            b: template(b),
            c: template(c),
            doc_a,
            doc_b,
            patient,
            med1: id(&m1),
            med2: id(&m2),
            problem,
            med1_version: m1["version"].clone(),
        }
    })
}

struct Pair {
    a: Env,
    b: Env,
    doc_a: Session,
    doc_b: Session,
}

impl Pair {
    fn on_a(&mut self, command: &str, args: Json) -> Json {
        call(&mut self.a.practice, &mut self.doc_a, command, args)
    }
    fn on_b(&mut self, command: &str, args: Json) -> Json {
        call(&mut self.b.practice, &mut self.doc_b, command, args)
    }
    /// The same command on both workstations.
    fn on_both(&mut self, command: &str, args: Json) -> (Json, Json) {
        (self.on_a(command, args.clone()), self.on_b(command, args))
    }
    fn exchange(&mut self) {
        exchange(&mut self.a.practice, &mut self.b.practice);
    }
}

fn open_pair() -> (Pair, &'static PairTemplate) {
    let t = pair_template();
    let pair = Pair {
        a: reopen(&t.a),
        b: reopen(&t.b),
        doc_a: t.doc_a.clone(),
        doc_b: t.doc_b.clone(),
    };
    (pair, t)
}

fn assert_intact(p: &mut Practice, who: &str) {
    let v = verify(p.reader()).expect("verify runs");
    assert!(
        v.problems.is_empty(),
        "{who}: verify found {:?}",
        v.problems
    );
    let r = p.rebuild(false).expect("rebuild runs");
    assert!(
        r.differences.is_empty(),
        "{who}: replay differs from live: {:?}",
        r.differences
    );
}

// ---------------------------------------------------------------------------------------
// (a) Replay equals live, whatever was done

#[derive(Debug, Clone)]
enum Op {
    NewPatient(u8),
    Phone(u8, u16),
    AddProblem(u8, u8),
    ProblemStatus(u8, u8),
    RetractProblem(u8),
    AddMed(u8, u8),
    Dose(u8, u8),
    /// An edit based on the version first read: a conflict if the dose changed since.
    StaleDose(u8, u8),
    RetractMed(u8),
    Resolve(u8),
    Vitals(u8, u8, u8),
    SignedNote(u8),
    Advance(u16),
}

const NAMES: [&str; 6] = ["Abara", "Berg", "Castillo", "Dąbrowski", "Eze", "Fournier"];
const CODES: [&str; 5] = ["I10", "E11.9", "E78.5", "J45.909", "e119"];
const STATUSES: [&str; 4] = ["active", "inactive", "resolved", "remission"];
const DRUGS: [&str; 4] = ["Metformin", "Amlodipine", "Atorvastatin", "Sertraline"];
const DOSES: [&str; 5] = ["5 mg", "10 mg", "20 mg", "40 mg", "80 mg"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<u8>().prop_map(Op::NewPatient),
        1 => (any::<u8>(), 1000u16..9999).prop_map(|(p, d)| Op::Phone(p, d)),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(p, c)| Op::AddProblem(p, c)),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(p, s)| Op::ProblemStatus(p, s)),
        1 => any::<u8>().prop_map(Op::RetractProblem),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(p, d)| Op::AddMed(p, d)),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(m, d)| Op::Dose(m, d)),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(m, d)| Op::StaleDose(m, d)),
        1 => any::<u8>().prop_map(Op::RetractMed),
        1 => any::<u8>().prop_map(Op::Resolve),
        2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(p, h, w)| Op::Vitals(p, h, w)),
        1 => any::<u8>().prop_map(Op::SignedNote),
        1 => any::<u16>().prop_map(Op::Advance),
    ]
}

fn pick<T: Clone>(xs: &[T], i: u8) -> Option<T> {
    if xs.is_empty() {
        None
    } else {
        Some(xs[i as usize % xs.len()].clone())
    }
}

/// Moves the workstation's clock up to about four minutes on, with the user still active
/// (so the session never idles into the lock and refuses everything after).
fn advance(env: &mut Env, doc: &mut Session, ms: u16) -> Result<(), TestCaseError> {
    env.clock.advance_ms(ms as i64 * 4);
    api::call(&mut env.practice, doc, "session.info", json!({}))
        .map_err(|e| TestCaseError::fail(e.message))?;
    Ok(())
}

/// Runs one command; a refusal must leave the ledger untouched and never be a storage error.
fn attempt(
    env: &mut Env,
    doc: &mut Session,
    command: &str,
    args: Json,
) -> Result<Option<Json>, TestCaseError> {
    let before = commits(&env.practice);
    match api::call(&mut env.practice, doc, command, args.clone()) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            for never in ["storage_error", "session_locked", "forbidden"] {
                prop_assert_ne!(
                    e.code.as_str(),
                    never,
                    "{} {}: {}",
                    command,
                    args,
                    e.message
                );
            }
            prop_assert_eq!(
                commits(&env.practice),
                before,
                "refused {} wrote a commit",
                command
            );
            Ok(None)
        }
    }
}

#[derive(Default)]
struct Chart {
    patients: Vec<String>,
    problems: Vec<String>,
    meds: Vec<(String, Json)>,
}

/// The current version of a record, as an editor who just read it would send back.
fn version(env: &mut Env, doc: &mut Session, kind: &str, id: &str) -> Json {
    api::call(
        &mut env.practice,
        doc,
        &format!("{kind}.get"),
        json!({"id": id}),
    )
    .map(|r| r["version"].clone())
    .unwrap_or(Json::Null)
}

fn run_op(
    env: &mut Env,
    doc: &mut Session,
    chart: &mut Chart,
    op: &Op,
) -> Result<(), TestCaseError> {
    let (command, args) = match *op {
        Op::NewPatient(n) => (
            "patient.create",
            json!({"family": NAMES[n as usize % NAMES.len()], "given": ["Test"], "birth_date": "1950-01-01", "sex": "female"}),
        ),
        Op::Phone(p, digits) => match pick(&chart.patients, p) {
            Some(p) => (
                "patient.update",
                json!({"id": p, "version": version(env, doc, "patient", &p), "phones": [format!("555-01{digits}")]}),
            ),
            None => return Ok(()),
        },
        Op::AddProblem(p, c) => match pick(&chart.patients, p) {
            Some(p) => (
                "problem.add",
                json!({"patient": p, "code": CODES[c as usize % CODES.len()]}),
            ),
            None => return Ok(()),
        },
        Op::ProblemStatus(i, st) => match pick(&chart.problems, i) {
            Some(id) => (
                "problem.update",
                json!({"id": id, "version": version(env, doc, "problem", &id), "status": STATUSES[st as usize % STATUSES.len()]}),
            ),
            None => return Ok(()),
        },
        Op::RetractProblem(i) => match pick(&chart.problems, i) {
            Some(id) => (
                "problem.retract",
                json!({"id": id, "version": version(env, doc, "problem", &id), "reason": "entered in error"}),
            ),
            None => return Ok(()),
        },
        Op::AddMed(p, d) => match pick(&chart.patients, p) {
            Some(p) => (
                "medication.add",
                json!({"patient": p, "name": DRUGS[d as usize % DRUGS.len()], "dose": DOSES[0]}),
            ),
            None => return Ok(()),
        },
        Op::Dose(i, d) => match pick(&chart.meds, i) {
            Some((id, _)) => (
                "medication.update",
                json!({"id": id, "version": version(env, doc, "medication", &id), "dose": DOSES[d as usize % DOSES.len()]}),
            ),
            None => return Ok(()),
        },
        Op::StaleDose(i, d) => match pick(&chart.meds, i) {
            Some((id, v)) => (
                "medication.update",
                json!({"id": id, "version": v, "dose": DOSES[d as usize % DOSES.len()]}),
            ),
            None => return Ok(()),
        },
        Op::RetractMed(i) => match pick(&chart.meds, i) {
            Some((id, _)) => (
                "medication.retract",
                json!({"id": id, "version": version(env, doc, "medication", &id), "reason": "wrong drug"}),
            ),
            None => return Ok(()),
        },
        Op::Resolve(k) => {
            let open = api::call(&mut env.practice, doc, "conflict.list", json!({}))
                .map_err(|e| TestCaseError::fail(e.message))?;
            let Some(c) = pick(arr(&open), 0) else {
                return Ok(());
            };
            let values = arr(&c["values"]);
            let choose = s(&values[k as usize % values.len()], "change");
            (
                "conflict.resolve",
                json!({"row": c["row"], "field": c["field"], "choose": choose}),
            )
        }
        Op::Vitals(p, h, w) => match pick(&chart.patients, p) {
            Some(p) => (
                "vitals.record",
                json!({"patient": p, "height": 100 + h as u32 % 100, "weight": 40.0 + w as f64 / 2.0, "heart_rate": 60 + h % 40}),
            ),
            None => return Ok(()),
        },
        Op::SignedNote(p) => {
            let Some(p) = pick(&chart.patients, p) else {
                return Ok(());
            };
            let Some(note) = attempt(
                env,
                doc,
                "note.add",
                json!({"patient": p, "kind": "free", "text": "seen"}),
            )?
            else {
                return Ok(());
            };
            attempt(
                env,
                doc,
                "note.sign",
                json!({"id": note["id"], "version": note["version"]}),
            )?;
            (
                "note.amend",
                json!({"id": note["id"], "text": "corrected", "reason": "typo"}),
            )
        }
        Op::Advance(ms) => return advance(env, doc, ms),
    };
    if let Some(v) = attempt(env, doc, command, args)? {
        match command {
            "patient.create" => chart.patients.push(id(&v)),
            "problem.add" => chart.problems.push(id(&v)),
            "medication.add" => chart.meds.push((id(&v), v["version"].clone())),
            _ => {}
        }
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

#[test]
fn prop_replay_equals_live_after_any_sequence_of_edits() {
    clinic_template();
    let result = runner(32).run(&prop::collection::vec(op(), 1..30), |ops| {
        let (mut env, mut doc) = open_clinic();
        let mut chart = Chart::default();
        for o in &ops {
            run_op(&mut env, &mut doc, &mut chart, o)?;
        }
        let n = commits(&env.practice);
        let report = env
            .practice
            .rebuild(false)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(report.commits as i64, n);
        prop_assert!(
            report.differences.is_empty(),
            "replay differs from live: {:?}",
            report.differences
        );
        let v = verify(env.practice.reader()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(v.problems.is_empty(), "verify: {:?}", v.problems);
        prop_assert_eq!(v.commits as i64, n);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------
// (b) Guard triggers

/// A practice copy with something in every ledger-derived table: a conflict, an amendment.
fn busy_clinic() -> (Env, Session, String) {
    let (mut env, mut doc) = open_clinic();
    let p = &mut env.practice;
    let patient = id(&call(
        p,
        &mut doc,
        "patient.create",
        json!({"family": "Guarded", "given": ["Gus"], "birth_date": "1970-01-01", "sex": "male", "phones": ["555-222-3333"]}),
    ));
    call(
        p,
        &mut doc,
        "problem.add",
        json!({"patient": patient, "code": "I10"}),
    );
    let med = call(
        p,
        &mut doc,
        "medication.add",
        json!({"patient": patient, "name": "Warfarin", "dose": "5 mg"}),
    );
    call(
        p,
        &mut doc,
        "medication.update",
        json!({"id": id(&med), "version": med["version"], "dose": "7.5 mg"}),
    );
    call(
        p,
        &mut doc,
        "medication.update",
        json!({"id": id(&med), "version": med["version"], "dose": "2.5 mg"}),
    );
    let draft = call(
        p,
        &mut doc,
        "note.add",
        json!({"patient": patient, "kind": "free", "text": "INR high"}),
    );
    let note = id(&draft);
    call(
        p,
        &mut doc,
        "note.sign",
        json!({"id": note, "version": draft["version"]}),
    );
    call(
        p,
        &mut doc,
        "note.amend",
        json!({"id": note, "text": "INR 4.1", "reason": "value"}),
    );
    call(
        p,
        &mut doc,
        "vitals.record",
        json!({"patient": patient, "heart_rate": 80}),
    );
    assert_eq!(count(p.reader(), "SELECT count(*) FROM ledger_conflict"), 1);
    (env, doc, patient)
}

#[test]
fn guard_triggers_refuse_writes_outside_the_ledger() {
    let (mut env, _doc, _) = busy_clinic();
    let statements = [
        "INSERT INTO patient (id, family, created_change, created_at, created_by, updated_at, updated_by) VALUES ('forged', 'Forged', 'x', 0, 'x', 0, 'x')",
        "UPDATE patient SET family = 'Renamed'",
        "UPDATE problem SET status = 'resolved'",
        "DELETE FROM problem",
        "UPDATE medication SET dose = '500 mg'",
        "DELETE FROM medication",
        "UPDATE note SET text = 'rewritten'",
        "UPDATE observation SET value_num = 1",
        "UPDATE app_user SET role = 'administrator'",
        "INSERT INTO setting (id, name, value, created_change, created_at, created_by, updated_at, updated_by) VALUES ('s', 'idle_lock_minutes', '240', 'x', 0, 'x', 0, 'x')",
        "UPDATE ledger_commit SET author = 'someone'",
        "DELETE FROM ledger_commit WHERE ord = (SELECT max(ord) FROM ledger_commit)",
        "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature) SELECT randomblob(32), device, seq + 1000, hlc, author, body, signature FROM ledger_commit WHERE ord = 1",
        "UPDATE ledger_change SET op = 'set'",
        "DELETE FROM ledger_change WHERE commit_ord = (SELECT max(commit_ord) FROM ledger_change)",
        "INSERT INTO ledger_change (id, commit_ord, idx, entity, row, op) VALUES ('bogus', 1, 9, 'problem', 'r', 'set')",
        "INSERT INTO ledger_field_head (row, field, change, hlc, device, author, value) VALUES ('r', 'dose', 'c', 0, x'00', 'a', 'v')",
        "UPDATE ledger_field_head SET value = 'forged'",
        "DELETE FROM ledger_field_head",
        "INSERT INTO ledger_conflict (row, field, entity) VALUES ('r', 'dose', 'medication')",
        "UPDATE ledger_conflict SET entity = 'nobody'",
        "DELETE FROM ledger_conflict",
        "INSERT INTO amendment (id, entity, row, fields, author, hlc) VALUES ('a', 'note', 'r', '{}', 'x', 0)",
        "UPDATE amendment SET fields = '{}'",
        "DELETE FROM amendment",
        "UPDATE ledger_head SET seq = seq + 5",
        "DELETE FROM ledger_head",
    ];
    let mut got_through = Vec::new();
    for sql in statements {
        let tx = env.practice.writer().transaction().expect("transaction");
        match tx.execute(sql, []) {
            Ok(n) if n > 0 => got_through.push(format!("{sql}  ({n} row(s))")),
            Ok(_) => panic!("the statement touched no row, so it tests nothing: {sql}"),
            Err(e) => {
                let m = e.to_string();
                assert!(
                    m.contains("ledger") || m.contains("append-only"),
                    "{sql} failed for another reason than the guard: {m}"
                );
            }
        }
        tx.rollback().expect("rollback");
    }
    for sql in [
        "DELETE FROM access_log",
        "UPDATE patient SET family = 'x'",
        "INSERT INTO practice_meta VALUES ('k', 'v')",
    ] {
        env.practice
            .reader()
            .execute(sql, [])
            .expect_err("the read connection cannot write");
    }
    assert_intact(&mut env.practice, "after the refused writes");
    assert!(
        got_through.is_empty(),
        "writes outside the ledger that no guard refused:\n{}",
        got_through.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// (c) Tampering

const APPEND_ONLY_TRIGGERS: [&str; 9] = [
    "ledger_commit_no_update",
    "ledger_commit_no_delete",
    "ledger_commit_gate",
    "ledger_change_no_update",
    "ledger_change_no_delete",
    "ledger_change_gate",
    "ledger_head_gate_insert",
    "ledger_head_gate_update",
    "ledger_head_no_delete",
];

fn drop_ledger_triggers(conn: &rusqlite::Connection) {
    for t in APPEND_ONLY_TRIGGERS {
        conn.execute_batch(&format!("DROP TRIGGER {t};"))
            .expect("drop trigger");
    }
}

struct StoredCommit {
    ord: i64,
    body: Vec<u8>,
    signature: Vec<u8>,
}

fn stored(conn: &rusqlite::Connection) -> Vec<StoredCommit> {
    let mut stmt = conn
        .prepare("SELECT ord, body, signature FROM ledger_commit ORDER BY ord")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(StoredCommit {
                ord: r.get(0)?,
                body: r.get(1)?,
                signature: r.get(2)?,
            })
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Where the author's bytes start in an encoded commit body (see `ledger::encoding`).
fn author_offset(body: &[u8]) -> usize {
    let seq = encoding::decode(body).expect("decodes").seq;
    assert!(seq < 128, "one-byte varint seq");
    4 + 32 + 1 + 8
}

fn flipped(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    bytes[at] ^= 0x01;
    bytes
}

type Tamper = Box<dyn Fn(&rusqlite::Connection)>;

#[test]
fn tampering_with_stored_commits_is_detected() {
    let (env, _doc, _) = busy_clinic();
    let mut conn = raw(&env.practice);
    let clean = verify(&conn).unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert!(clean.commits >= 10);
    let all = stored(&conn);
    let mid = &all[all.len() / 2];
    let (mid_ord, mid_body, mid_sig) = (mid.ord, mid.body.clone(), mid.signature.clone());
    let last_ord = all.last().unwrap().ord;
    let (a, b) = (all[3].ord, all[4].ord);
    let dose_commit = all
        .iter()
        .find(|c| c.body.windows(6).any(|w| w == b"7.5 mg"))
        .expect("the dose edit");
    let dose_at = dose_commit
        .body
        .windows(6)
        .position(|w| w == b"7.5 mg")
        .unwrap();
    let (dose_ord, dose_body) = (dose_commit.ord, dose_commit.body.clone());

    let upd_body = |ord: i64, body: Vec<u8>| -> Tamper {
        Box::new(move |c| {
            c.execute(
                "UPDATE ledger_commit SET body = ?1 WHERE ord = ?2",
                rusqlite::params![body, ord],
            )
            .unwrap();
        })
    };
    let sql = |q: String| -> Tamper { Box::new(move |c| c.execute_batch(&q).unwrap()) };
    let cases: Vec<(&str, Tamper)> = vec![
        ("edit a byte of a commit body (author)", upd_body(mid_ord, flipped(mid_body.clone(), author_offset(&mid_body)))),
        ("edit a byte of a field value (dose 7.5 → 6.5)", upd_body(dose_ord, flipped(dose_body.clone(), dose_at))),
        ("edit the last byte of a body", upd_body(mid_ord, flipped(mid_body.clone(), mid_body.len() - 1))),
        ("edit a signature", {
            let sig = flipped(mid_sig.clone(), 10);
            Box::new(move |c| {
                c.execute("UPDATE ledger_commit SET signature = ?1 WHERE ord = ?2", rusqlite::params![sig, mid_ord]).unwrap();
            })
        }),
        ("edit the author column", sql(format!(
            "UPDATE ledger_commit SET author = '00000000-0000-7000-8000-000000000001' WHERE ord = {mid_ord}"
        ))),
        ("edit the seq column", sql(format!("UPDATE ledger_commit SET seq = seq + 500 WHERE ord = {mid_ord}"))),
        ("edit the hlc column", sql(format!("UPDATE ledger_commit SET hlc = hlc + 1 WHERE ord = {mid_ord}"))),
        ("delete a commit (and its change rows)", sql(format!(
            "DELETE FROM ledger_change WHERE commit_ord = {mid_ord}; DELETE FROM ledger_commit WHERE ord = {mid_ord};"
        ))),
        ("insert a forged commit (copy with a new seq)", sql(format!(
            "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature)
             SELECT randomblob(32), device, (SELECT max(seq) + 1 FROM ledger_commit), hlc, author, body, signature
             FROM ledger_commit WHERE ord = {mid_ord}"
        ))),
        ("insert a forged commit and move the head to it", sql(format!(
            "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature)
             SELECT randomblob(32), device, (SELECT max(seq) + 1 FROM ledger_commit), hlc, author, body, signature
             FROM ledger_commit WHERE ord = {mid_ord};
             UPDATE ledger_head SET seq = seq + 1, hash = (SELECT hash FROM ledger_commit ORDER BY ord DESC LIMIT 1);"
        ))),
        ("reorder: swap the bodies of two commits", sql(format!(
            "UPDATE ledger_commit SET body = CASE ord WHEN {a} THEN (SELECT body FROM ledger_commit WHERE ord = {b})
                                                  ELSE (SELECT body FROM ledger_commit WHERE ord = {a}) END
             WHERE ord IN ({a}, {b})"
        ))),
        ("reorder: swap two whole commits", sql(format!(
            "CREATE TEMP TABLE swap AS SELECT * FROM ledger_commit WHERE ord IN ({a}, {b});
             UPDATE ledger_commit SET hash = randomblob(32), seq = -seq WHERE ord IN ({a}, {b});
             UPDATE ledger_commit SET (hash, seq, hlc, author, body, signature) =
               (SELECT hash, seq, hlc, author, body, signature FROM temp.swap s
                WHERE s.ord = CASE ledger_commit.ord WHEN {a} THEN {b} ELSE {a} END)
             WHERE ord IN ({a}, {b});
             DROP TABLE temp.swap;"
        ))),
        ("delete a ledger_change row", sql(format!(
            "DELETE FROM ledger_change WHERE commit_ord = {mid_ord} AND idx = 0"
        ))),
        ("insert a bogus ledger_change row", sql(format!(
            "INSERT INTO ledger_change (id, commit_ord, idx, entity, row, op)
             VALUES ('01900000-0000-7000-8000-000000000000', {mid_ord}, 7, 'problem', 'r', 'set')"
        ))),
        ("point a ledger_change row at another commit", sql(format!(
            "UPDATE ledger_change SET commit_ord = {last_ord} WHERE commit_ord = {mid_ord} AND idx = 0"
        ))),
        ("delete the head row", sql("DELETE FROM ledger_head".to_string())),
    ];
    let mut undetected = Vec::new();
    for (name, tamper) in &cases {
        let tx = conn.transaction().unwrap();
        drop_ledger_triggers(&tx);
        tamper(&tx);
        let report = verify(&tx);
        tx.rollback().unwrap();
        match report {
            Ok(r) if r.problems.is_empty() => undetected.push(name.to_string()),
            Ok(_) => {}
            Err(e) => undetected.push(format!("{name}: verify failed to run: {e}")),
        }
        let after = verify(&conn).unwrap();
        assert!(
            after.problems.is_empty(),
            "rollback after '{name}' left {:?}",
            after.problems
        );
    }
    assert!(
        undetected.is_empty(),
        "tampering verify did not report:\n{}",
        undetected.join("\n")
    );
}

/// A new patient with one problem (type 2 diabetes); returns the problem's id.
fn patient_with_problem(p: &mut Practice, doc: &mut Session, family: &str, given: &str) -> String {
    let patient = id(&call(
        p,
        doc,
        "patient.create",
        json!({"family": family, "given": [given], "birth_date": "1970-01-01", "sex": "female"}),
    ));
    id(&call(
        p,
        doc,
        "problem.add",
        json!({"patient": patient, "code": "E11.9"}),
    ))
}

#[test]
fn a_cut_off_last_commit_shows_in_rebuild() {
    let (mut env, mut doc) = open_clinic();
    let p = &mut env.practice;
    patient_with_problem(p, &mut doc, "Truncated", "Tia");
    assert_intact(p, "before");
    let conn = raw(p);
    drop_ledger_triggers(&conn);
    conn.execute_batch(
        "DELETE FROM ledger_change WHERE commit_ord = (SELECT max(ord) FROM ledger_commit);
         DELETE FROM ledger_commit WHERE ord = (SELECT max(ord) FROM ledger_commit);
         UPDATE ledger_head SET seq = seq - 1,
                hash = (SELECT hash FROM ledger_commit c WHERE c.device = ledger_head.device ORDER BY seq DESC LIMIT 1);",
    )
    .unwrap();
    drop(conn);
    let report = p.rebuild(false).expect("rebuild runs");
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.table == "problem" && d.kind == "missing"),
        "the problem of the cut-off commit is in the live table but not in the ledger: {:?}",
        report.differences
    );
    assert_eq!(
        count(p.reader(), "SELECT count(*) FROM problem"),
        1,
        "the check changed nothing"
    );
}

#[test]
fn a_real_rebuild_puts_altered_projections_back_and_leaves_no_scratch_file_behind() {
    let (mut env, mut doc) = open_clinic();
    let p = &mut env.practice;
    let problem = patient_with_problem(p, &mut doc, "Altered", "Ada");
    assert_intact(p, "before");
    // A stray tool with the key writes around the ledger: it edits a problem, adds a row
    // nobody committed, and removes the patient from the search index.
    let gate = chartkeep::vault::db::Gate::default();
    let conn = chartkeep::vault::db::open(
        &chartkeep::vault::db_path(p.dir()),
        p.key(),
        chartkeep::vault::db::Access::Write { create: false },
        &gate,
    )
    .unwrap();
    gate.open();
    conn.execute_batch(&format!(
        "UPDATE problem SET status = 'resolved' WHERE id = '{problem}';
         INSERT INTO problem (id, patient, display, status, created_change, created_at, created_by, updated_at, updated_by)
             SELECT '00000000-0000-7000-8000-000000000001', patient, 'forged', 'active', created_change, created_at, created_by, updated_at, updated_by FROM problem;
         DELETE FROM patient_fts;"
    ))
    .unwrap();
    drop(conn);
    let found = |p: &mut Practice, doc: &mut Session| {
        arr(&call(
            p,
            doc,
            "patient.search",
            json!({"query": "altered ada"}),
        ))
        .len()
    };
    assert_eq!(found(p, &mut doc), 0, "the search index was emptied");
    // A rebuild that was killed left its scratch file behind; the next one replaces it.
    std::fs::write(
        p.dir().join(chartkeep::vault::db::SCRATCH_FILE),
        b"left by a killed rebuild",
    )
    .unwrap();

    let report = p.rebuild(true).expect("rebuild runs");
    let named = |table: &str, kind: &str| {
        report
            .differences
            .iter()
            .any(|d| d.table == table && d.kind == kind)
    };
    assert!(
        named("problem", "missing") && named("problem", "extra"),
        "{:?}",
        report.differences
    );
    assert!(named("patient_fts", "extra"), "{:?}", report.differences);
    assert!(report.replaced);

    let status: String = p
        .reader()
        .query_row(
            "SELECT status FROM problem WHERE id = ?1",
            [&problem],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        status, "active",
        "the edited problem is back as the ledger has it"
    );
    assert_eq!(
        count(p.reader(), "SELECT count(*) FROM problem"),
        1,
        "the forged row is gone"
    );
    assert_eq!(found(p, &mut doc), 1, "search finds the patient again");
    assert_intact(p, "after");
    let left: Vec<String> = std::fs::read_dir(p.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("rebuild"))
        .collect();
    assert!(left.is_empty(), "scratch files left behind: {left:?}");
}

// ---------------------------------------------------------------------------------------
// (d) Two workstations

fn dose(p: &mut Pair, med: &str) -> (String, String) {
    let (a, b) = p.on_both("medication.get", json!({"id": med}));
    (s(&a, "dose"), s(&b, "dose"))
}

fn values(conflict: &Json) -> Vec<String> {
    let mut v: Vec<String> = arr(&conflict["values"])
        .iter()
        .map(|x| s(x, "value"))
        .collect();
    v.sort();
    v
}

#[test]
fn concurrent_edits_on_two_devices_converge_and_conflicts_are_resolved() {
    let (mut w, t) = open_pair();
    let (va, vb) = w.on_both("medication.get", json!({"id": t.med1}));
    assert_eq!(va["version"], vb["version"], "both read the same version");
    let v = va["version"].clone();
    let v2 = w.on_a("medication.get", json!({"id": t.med2}))["version"].clone();

    // Neither workstation sees the other: the same field on one medication, different
    // fields on the other. B edits a minute later.
    w.on_a(
        "medication.update",
        json!({"id": t.med1, "version": v, "dose": "50 mg"}),
    );
    w.b.clock.advance_ms(MINUTE_MS);
    w.on_b(
        "medication.update",
        json!({"id": t.med1, "version": v, "dose": "100 mg"}),
    );
    w.on_a(
        "medication.update",
        json!({"id": t.med2, "version": v2, "route": "sublingual"}),
    );
    w.on_b(
        "medication.update",
        json!({"id": t.med2, "version": v2, "frequency": "twice daily"}),
    );
    let (ca, cb) = w.on_both("conflict.list", json!({}));
    assert!(
        arr(&ca).is_empty() && arr(&cb).is_empty(),
        "no conflict before the exchange"
    );

    w.exchange();
    let (da, db) = dose(&mut w, &t.med1);
    assert_eq!(da, db, "both workstations show the same dose");
    assert_eq!(da, "100 mg", "the later edit (greatest HLC) is shown");
    let doc_id = w.doc_a.user.id.to_string();
    let (ca, cb) = w.on_both("conflict.list", json!({"patient": t.patient}));
    for (who, list) in [("A", &ca), ("B", &cb)] {
        let list = arr(list);
        assert_eq!(list.len(), 1, "{who}: one conflict: {list:?}");
        let c = &list[0];
        assert_eq!(
            (c["row"].as_str(), c["field"].as_str()),
            (Some(t.med1.as_str()), Some("dose")),
            "{who}"
        );
        assert_eq!(c["entity"], "medication");
        assert_eq!(c["patient"], json!(t.patient));
        assert_eq!(
            values(c),
            ["100 mg", "50 mg"],
            "{who}: both values are kept"
        );
        assert_eq!(c["shown"], "100 mg", "{who}");
        for x in arr(&c["values"]) {
            assert_eq!(x["author"], json!(doc_id));
            assert_eq!(x["author_name"], "drlee");
        }
    }
    let (ma, mb) = w.on_both("medication.get", json!({"id": t.med2}));
    for m in [&ma, &mb] {
        assert_eq!(
            (m["route"].as_str(), m["frequency"].as_str()),
            (Some("sublingual"), Some("twice daily"))
        );
        assert_eq!(m["dose"], "10 mg");
    }
    let (sa, sb) = w.on_both("chart.summary", json!({"patient": t.patient}));
    assert_eq!(sa["open_conflicts"], json!(1));
    assert_eq!(sb["open_conflicts"], json!(1));
    let meds = |sum: &Json| -> Vec<(String, String, String, String)> {
        arr(&sum["medications"])
            .iter()
            .map(|m| (s(m, "name"), s(m, "dose"), s(m, "frequency"), s(m, "route")))
            .collect()
    };
    assert_eq!(meds(&sa), meds(&sb));

    // Settle it on A with the value that is not shown.
    let fifty = arr(&arr(&ca)[0]["values"])
        .iter()
        .find(|x| x["value"] == "50 mg")
        .map(|x| s(x, "change"))
        .unwrap();
    let settled = w.on_a(
        "conflict.resolve",
        json!({"row": t.med1, "field": "dose", "choose": fifty}),
    );
    assert_eq!(settled["dose"], "50 mg");
    assert!(arr(&w.on_a("conflict.list", json!({}))).is_empty());
    w.exchange();
    let (ca, cb) = w.on_both("conflict.list", json!({}));
    assert!(arr(&ca).is_empty(), "A: {ca}");
    assert!(arr(&cb).is_empty(), "B: {cb}");
    assert_eq!(
        dose(&mut w, &t.med1),
        ("50 mg".to_string(), "50 mg".to_string())
    );
    let (sa, sb) = w.on_both("chart.summary", json!({"patient": t.patient}));
    assert_eq!(
        (sa["open_conflicts"].clone(), sb["open_conflicts"].clone()),
        (json!(0), json!(0))
    );
    let (ha, hb) = w.on_both("medication.history", json!({"id": t.med1}));
    for h in [&ha, &hb] {
        let ops: Vec<String> = arr(h).iter().map(|e| s(e, "op")).collect();
        assert_eq!(ops.iter().filter(|o| *o == "set").count(), 2, "{ops:?}");
        assert_eq!(ops.last().map(String::as_str), Some("resolve"));
    }
    assert_intact(&mut w.a.practice, "A");
    assert_intact(&mut w.b.practice, "B");
}

#[test]
fn both_devices_show_identical_records_and_conflicts_after_exchange() {
    let (mut w, t) = open_pair();
    let v = w.on_a("medication.get", json!({"id": t.med1}))["version"].clone();
    w.on_a(
        "medication.update",
        json!({"id": t.med1, "version": v, "dose": "50 mg"}),
    );
    w.b.clock.advance_ms(MINUTE_MS);
    w.on_b(
        "medication.update",
        json!({"id": t.med1, "version": v, "dose": "100 mg"}),
    );
    w.exchange();
    let mut differ = Vec::new();
    for (command, args) in [
        ("medication.get", json!({"id": t.med1})),
        ("conflict.list", json!({"patient": t.patient})),
        ("chart.summary", json!({"patient": t.patient})),
    ] {
        let (a, b) = w.on_both(command, args);
        if a != b {
            differ.push(format!("{command}:\n  A: {a}\n  B: {b}"));
        }
    }
    assert!(
        differ.is_empty(),
        "the workstations disagree:\n{}",
        differ.join("\n")
    );
}

#[test]
fn apply_is_idempotent_ordered_and_checks_signatures() {
    let (mut w, t) = open_pair();
    let first = w.on_b(
        "medication.update",
        json!({"id": t.med1, "version": t.med1_version, "dose": "12.5 mg"}),
    );
    w.on_b(
        "medication.update",
        json!({"id": t.med1, "version": first["version"], "frequency": "twice daily"}),
    );
    let missing: Vec<Signed> =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    let seqs: Vec<u64> = missing
        .iter()
        .map(|m| encoding::decode(&m.encoded).unwrap().seq)
        .collect();
    assert_eq!(seqs, [2, 3], "B's own commits after its administrator's");
    let a = &mut w.a.practice;
    let before = commits(a);

    let e = a
        .apply(&missing[1].encoded, missing[1].signature)
        .expect_err("seq 3 before seq 2");
    assert_eq!(e.code(), "ledger_out_of_order");
    assert!(e.to_string().contains("expected 2"), "{e}");
    let bad_author = flipped(
        missing[0].encoded.clone(),
        author_offset(&missing[0].encoded),
    );
    let at = missing[0]
        .encoded
        .windows(7)
        .position(|x| x == b"12.5 mg")
        .expect("the dose in the body");
    let bad_value = flipped(missing[0].encoded.clone(), at);
    let mut bad_sig = missing[0].signature;
    bad_sig[0] ^= 0x80;
    for (what, encoded, sig) in [
        ("a flipped author byte", bad_author, missing[0].signature),
        (
            "a flipped byte in the dose",
            bad_value,
            missing[0].signature,
        ),
        (
            "a flipped signature byte",
            missing[0].encoded.clone(),
            bad_sig,
        ),
        (
            "another commit's signature",
            missing[0].encoded.clone(),
            missing[1].signature,
        ),
    ] {
        let e = a.apply(&encoded, sig).expect_err(what);
        assert_eq!(e.code(), "ledger_bad_signature", "{what}: {e}");
    }
    assert_eq!(commits(a), before, "nothing was written");
    assert_eq!(
        s(
            &call(a, &mut w.doc_a, "medication.get", json!({"id": t.med1})),
            "dose"
        ),
        "25 mg"
    );

    assert_eq!(
        a.apply(&missing[0].encoded, missing[0].signature).unwrap(),
        Applied::New
    );
    assert_eq!(
        a.apply(&missing[0].encoded, missing[0].signature).unwrap(),
        Applied::AlreadyHad
    );
    assert_eq!(
        a.apply(&missing[1].encoded, missing[1].signature).unwrap(),
        Applied::New
    );
    assert_eq!(
        a.apply(&missing[1].encoded, missing[1].signature).unwrap(),
        Applied::AlreadyHad
    );
    let everything = w.b.practice.missing_for(&BTreeMap::new()).unwrap();
    for c in &everything {
        assert_eq!(
            a.apply(&c.encoded, c.signature).unwrap(),
            Applied::AlreadyHad
        );
    }
    assert_eq!(commits(a), before + 2);
    let m = call(a, &mut w.doc_a, "medication.get", json!({"id": t.med1}));
    assert_eq!(
        (s(&m, "dose"), s(&m, "frequency")),
        ("12.5 mg".to_string(), "twice daily".to_string())
    );
    assert_eq!(
        a.version_vector().unwrap(),
        w.b.practice.version_vector().unwrap()
    );
    assert_intact(a, "A");
}

/// One workstation's edits of the shared chart, made without seeing the other's.
#[derive(Debug, Clone)]
enum DevOp {
    Dose(u8),
    StaleDose(u8),
    Frequency(bool, u8),
    Route(u8),
    ProblemStatus(u8),
    RetractMed2,
    AddProblem(u8),
    Vitals(u8),
    Preferred(u8),
    Resolve(u8),
    Advance(u16),
}

fn dev_op() -> impl Strategy<Value = DevOp> {
    prop_oneof![
        3 => any::<u8>().prop_map(DevOp::Dose),
        2 => any::<u8>().prop_map(DevOp::StaleDose),
        2 => (any::<bool>(), any::<u8>()).prop_map(|(m, f)| DevOp::Frequency(m, f)),
        2 => any::<u8>().prop_map(DevOp::Route),
        2 => any::<u8>().prop_map(DevOp::ProblemStatus),
        1 => Just(DevOp::RetractMed2),
        1 => any::<u8>().prop_map(DevOp::AddProblem),
        1 => any::<u8>().prop_map(DevOp::Vitals),
        1 => any::<u8>().prop_map(DevOp::Preferred),
        1 => any::<u8>().prop_map(DevOp::Resolve),
        2 => any::<u16>().prop_map(DevOp::Advance),
    ]
}

const FREQUENCIES: [&str; 3] = ["daily", "twice daily", "at night"];
const ROUTES: [&str; 3] = ["oral", "sublingual", "IV"];

fn run_dev_op(
    env: &mut Env,
    doc: &mut Session,
    t: &PairTemplate,
    op: &DevOp,
) -> Result<(), TestCaseError> {
    let pick = |xs: &[&str], i: u8| xs[i as usize % xs.len()].to_string();
    let (command, args) = match *op {
        DevOp::Dose(d) => (
            "medication.update",
            json!({"id": t.med1, "version": version(env, doc, "medication", &t.med1), "dose": pick(&DOSES, d)}),
        ),
        DevOp::StaleDose(d) => (
            "medication.update",
            json!({"id": t.med1, "version": t.med1_version, "dose": pick(&DOSES, d)}),
        ),
        DevOp::Frequency(second, f) => ("medication.update", {
            let med = if second { &t.med2 } else { &t.med1 };
            json!({"id": med, "version": version(env, doc, "medication", med), "frequency": pick(&FREQUENCIES, f)})
        }),
        DevOp::Route(r) => (
            "medication.update",
            json!({"id": t.med2, "version": version(env, doc, "medication", &t.med2), "route": pick(&ROUTES, r)}),
        ),
        DevOp::ProblemStatus(st) => (
            "problem.update",
            json!({"id": t.problem, "version": version(env, doc, "problem", &t.problem), "status": pick(&STATUSES, st)}),
        ),
        DevOp::RetractMed2 => (
            "medication.retract",
            json!({"id": t.med2, "version": version(env, doc, "medication", &t.med2), "reason": "duplicate"}),
        ),
        DevOp::AddProblem(c) => (
            "problem.add",
            json!({"patient": t.patient, "code": pick(&CODES, c)}),
        ),
        DevOp::Vitals(h) => (
            "vitals.record",
            json!({"patient": t.patient, "heart_rate": 50 + h % 60}),
        ),
        DevOp::Preferred(n) => (
            "patient.update",
            json!({"id": t.patient, "version": version(env, doc, "patient", &t.patient), "preferred": pick(&NAMES, n)}),
        ),
        DevOp::Resolve(k) => {
            let open = api::call(&mut env.practice, doc, "conflict.list", json!({}))
                .map_err(|e| TestCaseError::fail(e.message))?;
            let Some(c) = arr(&open).first().cloned() else {
                return Ok(());
            };
            let values = arr(&c["values"]);
            let choose = s(&values[k as usize % values.len()], "change");
            (
                "conflict.resolve",
                json!({"row": c["row"], "field": c["field"], "choose": choose}),
            )
        }
        DevOp::Advance(ms) => return advance(env, doc, ms),
    };
    attempt(env, doc, command, args)?;
    Ok(())
}

/// What the chart holds: every projection row (without the last-edited stamps), every
/// competing field value, the open conflicts, amendments and the search index.
fn content(p: &Practice) -> BTreeMap<String, Vec<String>> {
    let conn = p.reader();
    let mut out = BTreeMap::new();
    for e in CATALOGUE.entities {
        out.insert(
            e.table.to_string(),
            dump(conn, e.table, &["updated_at", "updated_by"]),
        );
    }
    out.insert(
        "ledger_field_head".into(),
        dump(conn, "ledger_field_head", &[]),
    );
    out.insert("amendment".into(), dump(conn, "amendment", &[]));
    out.insert("patient_fts".into(), dump(conn, "patient_fts", &[]));
    let mut stmt = conn
        .prepare("SELECT DISTINCT row || ' ' || field FROM ledger_conflict ORDER BY 1")
        .unwrap();
    let open: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    out.insert("open conflicts".into(), open);
    out
}

fn diff(x: &BTreeMap<String, Vec<String>>, y: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::new();
    for (table, rows) in x {
        let other = &y[table];
        for r in rows.iter().filter(|r| !other.contains(r)) {
            out.push_str(&format!("\n  only in first  {table}: {r}"));
        }
        for r in other.iter().filter(|r| !rows.contains(r)) {
            out.push_str(&format!("\n  only in second {table}: {r}"));
        }
    }
    out
}

fn apply_all(to: &mut Practice, commits: &[Signed]) -> Result<(), TestCaseError> {
    for c in commits {
        to.apply(&c.encoded, c.signature)
            .map_err(|e| TestCaseError::fail(format!("apply: {} {e}", e.code())))?;
    }
    Ok(())
}

#[test]
fn prop_any_delivery_order_converges() {
    let t = pair_template();
    let strategy = (
        prop::collection::vec(dev_op(), 0..10),
        prop::collection::vec(dev_op(), 0..10),
        prop::collection::vec(any::<bool>(), 1..24),
    );
    let result = runner(32).run(&strategy, |(ops_a, ops_b, picks)| {
        let mut a = reopen(&t.a);
        let mut b = reopen(&t.b);
        let mut c = reopen(&t.c);
        let (mut doc_a, mut doc_b) = (t.doc_a.clone(), t.doc_b.clone());
        for o in &ops_a {
            run_dev_op(&mut a, &mut doc_a, t, o)?;
        }
        for o in &ops_b {
            run_dev_op(&mut b, &mut doc_b, t, o)?;
        }
        let base = c.practice.version_vector().unwrap();
        let from_a = a.practice.missing_for(&base).unwrap();
        let from_b = b.practice.missing_for(&base).unwrap();

        // C gets both streams interleaved at random (each in its own order); A and B
        // get each other's stream after their own.
        let (mut i, mut j, mut k) = (0, 0, 0);
        while i < from_a.len() || j < from_b.len() {
            let take_a = j >= from_b.len() || (i < from_a.len() && picks[k % picks.len()]);
            k += 1;
            if take_a {
                apply_all(&mut c.practice, &from_a[i..=i])?;
                i += 1;
            } else {
                apply_all(&mut c.practice, &from_b[j..=j])?;
                j += 1;
            }
        }
        apply_all(&mut a.practice, &from_b)?;
        apply_all(&mut b.practice, &from_a)?;

        let (ca, cb, cc) = (
            content(&a.practice),
            content(&b.practice),
            content(&c.practice),
        );
        prop_assert!(ca == cb, "A and B differ:{}", diff(&ca, &cb));
        prop_assert!(ca == cc, "A and C (interleaved) differ:{}", diff(&ca, &cc));
        for (who, env) in [("A", &mut a), ("B", &mut b), ("C", &mut c)] {
            let r = env
                .practice
                .rebuild(false)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(
                r.differences.is_empty(),
                "{}: replay differs from live: {:?}",
                who,
                r.differences
            );
            let v =
                verify(env.practice.reader()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(v.problems.is_empty(), "{}: {:?}", who, v.problems);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_draft_edited_elsewhere_while_it_was_signed_keeps_the_signed_text() {
    let (mut w, t) = open_pair();
    let draft = w.on_a(
        "note.add",
        json!({"patient": t.patient, "kind": "soap", "subjective": "as signed", "plan": "rest"}),
    );
    w.exchange();
    let v = draft["version"].clone();
    // A signs the draft as read; B, not knowing, edits the same draft a minute later (its
    // HLC is greater, so without the seal its text would win).
    w.on_a("note.sign", json!({"id": id(&draft), "version": v}));
    w.b.clock.advance_ms(MINUTE_MS);
    w.on_b(
        "note.update",
        json!({"id": id(&draft), "version": v, "subjective": "rewritten elsewhere", "plan": "surgery"}),
    );
    w.exchange();
    let (na, nb) = w.on_both("note.get", json!({"id": id(&draft)}));
    for (who, n) in [("A", &na), ("B", &nb)] {
        assert_eq!(
            (
                n["subjective"].as_str(),
                n["plan"].as_str(),
                n["status"].as_str()
            ),
            (Some("as signed"), Some("rest"), Some("signed")),
            "{who}: the signed text stays: {n}"
        );
    }
    // B's text is not lost: it stays beside the signed text as a proposal to review.
    let (ca, cb) = w.on_both("conflict.list", json!({"patient": t.patient}));
    for (who, list) in [("A", &ca), ("B", &cb)] {
        let c = arr(list)
            .iter()
            .find(|c| c["field"] == "subjective")
            .unwrap_or_else(|| panic!("{who}: the edit is kept as a conflict: {list}"));
        assert_eq!(c["signed"], true);
        assert_eq!(c["shown"], "as signed");
        assert!(arr(&c["values"])
            .iter()
            .any(|x| x["value"] == "rewritten elsewhere" && x["signed"] == false));
    }
    let proposal = arr(&ca)
        .iter()
        .find(|c| c["field"] == "subjective")
        .and_then(|c| {
            arr(&c["values"])
                .iter()
                .find(|x| x["signed"] == false)
                .map(|x| s(x, "change"))
        })
        .expect("the proposal's change");
    let e = api::call(
        &mut w.a.practice,
        &mut w.doc_a,
        "conflict.resolve",
        json!({"row": id(&draft), "field": "subjective", "choose": proposal}),
    )
    .expect_err("the unsigned text cannot replace the signed text");
    assert_eq!(e.code, "record_immutable", "{}", e.message);
    assert_intact(&mut w.a.practice, "A");
    assert_intact(&mut w.b.practice, "B");
    for p in [&mut w.a.practice, &mut w.b.practice] {
        let report = p.verify().expect("verify");
        assert!(report.signed_notes.is_empty(), "{:?}", report.signed_notes);
    }

    // Keeping the signed text settles it everywhere.
    let signed = arr(&ca)
        .iter()
        .find(|c| c["field"] == "subjective")
        .and_then(|c| {
            arr(&c["values"])
                .iter()
                .find(|x| x["signed"] == true)
                .map(|x| s(x, "change"))
        })
        .expect("the signed value's change");
    w.on_a(
        "conflict.resolve",
        json!({"row": id(&draft), "field": "subjective", "choose": signed}),
    );
    w.exchange();
    let note = w.on_b("note.get", json!({"id": id(&draft)}));
    assert_eq!(note["subjective"], "as signed");
    let open = w.on_b("conflict.list", json!({"patient": t.patient}));
    assert!(
        arr(&open).iter().all(|c| c["field"] != "subjective"),
        "settled on B too: {open}"
    );
    assert_intact(&mut w.a.practice, "A");
    assert_intact(&mut w.b.practice, "B");
}

#[test]
fn verify_reports_a_signed_note_whose_text_was_changed_behind_the_ledger() {
    let (mut env, mut doc) = open_clinic();
    let p = &mut env.practice;
    let patient = id(&call(
        p,
        &mut doc,
        "patient.create",
        json!({"family": "Tamper", "given": ["Tom"], "birth_date": "1950-05-05", "sex": "male"}),
    ));
    let draft = call(
        p,
        &mut doc,
        "note.add",
        json!({"patient": patient, "text": "no fracture seen"}),
    );
    call(
        p,
        &mut doc,
        "note.sign",
        json!({"id": id(&draft), "version": draft["version"]}),
    );
    assert!(p.verify().expect("verify").ok());
    let conn = raw(p);
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'note'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t};")).unwrap();
    }
    conn.execute(
        "UPDATE note SET text = 'fracture seen' WHERE id = ?1",
        [id(&draft)],
    )
    .unwrap();
    drop(conn);
    let report = p.verify().expect("verify");
    assert_eq!(report.signed_notes.len(), 1, "{:?}", report.signed_notes);
    assert!(!report.ok());
}
