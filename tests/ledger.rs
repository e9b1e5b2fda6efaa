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
    arr, call, clinic, commits, count, dump, exchange, id, join, login, practice_with_admin, raw,
    reopen, s, send, template, Clinic, Env, Template, CLINICIAN, CLINICIAN_PW, MINUTE_MS,
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
/// clinician was created), B and C, which joined A's practice and were added as members by
/// A's administrator. drlee is logged in on A and B. A shared chart was made on A: a
/// patient, two medications and a problem.
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
        let mut b = join(&mut a.practice, support::ADMIN);
        let mut c = join(&mut a.practice, support::ADMIN);
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

/// Runs an edit on the version the record has now, as an editor who just read it would.
fn edit(p: &mut Practice, s: &mut Session, command: &str, mut args: Json) -> Json {
    if args.get("version").is_none() {
        let kind = command.split('.').next().unwrap_or_default();
        let id = args["id"].as_str().unwrap_or_default().to_string();
        args["version"] = call(p, s, &format!("{kind}.get"), json!({"id": id}))["version"].clone();
    }
    call(p, s, command, args)
}

impl Pair {
    fn edit_a(&mut self, command: &str, args: Json) -> Json {
        edit(&mut self.a.practice, &mut self.doc_a, command, args)
    }
    fn edit_b(&mut self, command: &str, args: Json) -> Json {
        edit(&mut self.b.practice, &mut self.doc_b, command, args)
    }
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
        let mut conn = raw(&env.practice);
        let tx = conn.transaction().expect("transaction");
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
        ("edit the lamport column", sql(format!("UPDATE ledger_commit SET lamport = lamport + 1 WHERE ord = {mid_ord}"))),
        ("move a change index row to another row", sql(format!("UPDATE ledger_change SET row = 'elsewhere' WHERE commit_ord = {mid_ord} AND idx = 0"))),
        ("change the op of a change index row", sql(format!("UPDATE ledger_change SET op = 'retract' WHERE commit_ord = {mid_ord} AND idx = 0"))),
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
    let _open = gate.open();
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
    // fields on the other. B edits with more history behind it (it recorded vitals first).
    w.on_a(
        "medication.update",
        json!({"id": t.med1, "version": v, "dose": "50 mg"}),
    );
    w.on_b(
        "vitals.record",
        json!({"patient": t.patient, "heart_rate": 72}),
    );
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
    assert_eq!(
        da, "100 mg",
        "the edit with more history (greatest Lamport counter) is shown"
    );
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
    assert_eq!(seqs, [1, 2], "B's own first commits");
    let a = &mut w.a.practice;
    let before = commits(a);

    let e = a
        .apply(&missing[1].encoded, missing[1].signature)
        .expect_err("seq 3 before seq 2");
    assert_eq!(e.code(), "ledger_out_of_order");
    assert!(e.to_string().contains("expected 1"), "{e}");
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
    // A signs the draft as read; B, not knowing, edits the same draft a minute later.
    // Neither saw the other: without the seal, the tie-break alone would pick a text.
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
    // The change id of the subjective's competing value that is (or is not) the signed one.
    let value_change = |signed: bool| {
        arr(&ca)
            .iter()
            .find(|c| c["field"] == "subjective")
            .and_then(|c| {
                arr(&c["values"])
                    .iter()
                    .find(|x| x["signed"] == signed)
                    .map(|x| s(x, "change"))
            })
            .expect("a competing value's change")
    };
    let proposal = value_change(false);
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
    let signed = value_change(true);
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

// ---------------------------------------------------------------------------------------
// (e) What sync needs of the ledger

use chartkeep::ledger::{Change, CommitBody, DeviceKey, Op as ChangeOp, Value};
use chartkeep::vault::migrate::SCHEMA_VERSION;
use support::user_id;
use uuid::Uuid;

/// `p`'s signing key, read from its key file with the wrap secret its database keeps (a
/// newer binary, or a thief holding the whole folder and its key).
fn device_key(p: &Practice) -> DeviceKey {
    use chartkeep::vault::device_key;
    let conn = raw(p);
    let wrap = device_key::wrap_secret(&conn).unwrap().unwrap();
    let device = chartkeep::ledger::Ledger::identity(&conn).unwrap().unwrap();
    let seed = device_key::load(p.dir(), &wrap, &device).unwrap().unwrap();
    DeviceKey::from_seed(seed).unwrap()
}

/// The end of `key`'s chain as `p` holds it: (seq, hash).
fn head_on(p: &Practice, key: &DeviceKey) -> (u64, [u8; 32]) {
    p.reader()
        .query_row(
            "SELECT seq, hash FROM ledger_head WHERE device = ?1",
            [key.id().as_slice()],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
        )
        .map(|(s, h)| (s, h.try_into().unwrap()))
        .unwrap_or((0, [0; 32]))
}

/// Signs `changes` as a commit of `key`'s device after (`seq`, `prev`), without storing
/// it anywhere: what that workstation would send.
#[allow(clippy::too_many_arguments)]
fn forge(
    key: &DeviceKey,
    practice: Uuid,
    schema: u32,
    (seq, prev): (u64, [u8; 32]),
    hlc_ms: i64,
    author: Uuid,
    changes: Vec<Change>,
) -> Signed {
    let body = CommitBody {
        layout: 2,
        practice,
        schema,
        device_key: key.public_key(),
        seq: seq + 1,
        hlc: chartkeep::ledger::hlc::pack(hlc_ms, 0),
        lamport: 1_000 + seq,
        author,
        prev,
        changes,
    };
    let encoded = encoding::encode(&body).unwrap();
    let signature = key.sign(&encoded);
    Signed { encoded, signature }
}

fn next_of(s: &Signed) -> (u64, [u8; 32]) {
    let b = encoding::decode(&s.encoded).unwrap();
    let c = chartkeep::ledger::Commit {
        body: b,
        encoded: s.encoded.clone(),
        signature: s.signature,
    };
    (c.body.seq, c.hash())
}

fn uid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn setting(id: u128, name: &str) -> Change {
    Change::new(
        uid(id),
        "setting",
        uid(id + 1),
        ChangeOp::Create,
        vec![("name".into(), name.into()), ("value".into(), "1".into())],
        vec![],
    )
}

fn now_ms(env: &Env) -> i64 {
    use chartkeep::clock::Clock;
    env.clock.now_ms()
}

fn apply_err(p: &mut Practice, c: &Signed) -> chartkeep::ledger::LedgerError {
    p.apply(&c.encoded, c.signature).expect_err("refused")
}

#[test]
fn commits_name_their_practice_and_schema_and_another_practices_are_refused() {
    let (mut w, _t) = open_pair();
    w.edit_b(
        "patient.update",
        json!({"id": _t.patient, "preferred": "Sammy"}),
    );
    let mine =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    let body = encoding::decode(&mine[0].encoded).unwrap();
    assert_eq!(
        (body.layout, body.practice, body.schema),
        (2, w.a.practice.practice_id(), SCHEMA_VERSION)
    );
    // A workstation of another practice: its commits are signed, valid, and foreign.
    let mut other = practice_with_admin(support::next_seed(), "other_admin");
    let foreign = other.practice.missing_for(&BTreeMap::new()).unwrap();
    let before = commits(&w.a.practice);
    let e = apply_err(&mut w.a.practice, &foreign[0]);
    assert_eq!(e.code(), "ledger_wrong_practice", "{e}");
    assert!(
        e.to_string()
            .contains(&other.practice.practice_id().to_string()),
        "{e}"
    );
    // The same bytes signed for this practice but naming the other: still refused.
    let key = device_key(&w.b.practice);
    let forged = forge(
        &key,
        other.practice.practice_id(),
        SCHEMA_VERSION,
        head_on(&w.a.practice, &key),
        now_ms(&w.a),
        user_id(&w.a.practice, "admin"),
        vec![setting(1, "x")],
    );
    assert_eq!(
        apply_err(&mut w.a.practice, &forged).code(),
        "ledger_wrong_practice"
    );
    assert_eq!(commits(&w.a.practice), before);
    let _ = &mut other;
}

#[test]
fn append_refuses_non_finite_reals_before_signing() {
    let (mut env, doc) = open_clinic();
    let p = &mut env.practice;
    let before = commits(p);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let c = Change::new(
            uid(10),
            "observation",
            uid(11),
            ChangeOp::Create,
            vec![("value_num".into(), Value::Real(bad))],
            vec![],
        );
        let e = p.commit(doc.user.id, vec![c]).expect_err("refused");
        assert_eq!(e.code(), "invalid_input", "{bad}: {e}");
        assert!(e.to_string().contains("finite"), "{e}");
    }
    // Fields out of canonical order (a caller that skipped `Change::new`) are refused too.
    let mut c = setting(12, "idle_lock_minutes");
    c.fields.reverse();
    assert_eq!(
        p.commit(doc.user.id, vec![c]).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(commits(p), before, "nothing was signed or stored");
}

#[test]
fn only_member_devices_are_accepted_and_only_administrators_change_members() {
    let (mut w, t) = open_pair();
    let now = now_ms(&w.a);
    let a = &mut w.a.practice;
    let admin = user_id(a, "admin");
    let doc = user_id(a, CLINICIAN);
    // A forged extra device: a new key with the right practice id, never added.
    let thief = DeviceKey::from_seed([42; 32]).unwrap();
    let forged = forge(
        &thief,
        a.practice_id(),
        SCHEMA_VERSION,
        (0, [0; 32]),
        now,
        admin,
        vec![setting(20, "x")],
    );
    let e = apply_err(a, &forged);
    assert_eq!(e.code(), "ledger_not_member", "{e}");
    // Even when it claims to add itself, as the founding commit did.
    let selfadd = chartkeep::ledger::member::add(uid(30), uid(31), thief.public_key(), "me", admin);
    let forged = forge(
        &thief,
        a.practice_id(),
        SCHEMA_VERSION,
        (0, [0; 32]),
        now,
        admin,
        vec![selfadd],
    );
    assert_eq!(apply_err(a, &forged).code(), "ledger_not_member");
    // A clinician cannot add a workstation; an administrator can.
    let e = a.add_member(doc, thief.public_key(), "laptop").unwrap_err();
    assert_eq!(e.code(), "ledger_not_administrator", "{e}");
    let members = a.members().unwrap();
    assert_eq!(
        members.iter().filter(|m| !m.removed).count(),
        3,
        "{members:?}"
    );
    // A workstation that joined but was not added cannot commit, here or anywhere.
    let mut d = support::joined(a);
    send(a, &mut d.practice);
    let e = d
        .practice
        .commit(admin, vec![setting(40, "y")])
        .unwrap_err();
    assert_eq!(e.code(), "ledger_not_member", "{e}");
    // A removed member: what the administrator had seen of it stays, later commits are
    // refused by every peer that holds the removal when they arrive.
    let b_key = w.b.practice.public_key();
    w.edit_b(
        "patient.update",
        json!({"id": t.patient, "preferred": "Seen"}),
    );
    send(&w.b.practice, &mut w.a.practice);
    w.edit_b(
        "patient.update",
        json!({"id": t.patient, "preferred": "Late"}),
    );
    w.a.practice.remove_member(admin, b_key).unwrap();
    let late =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    let e = apply_err(&mut w.a.practice, &late[0]);
    assert_eq!(e.code(), "ledger_not_member", "{e}");
    // C gets B's commits before the removal: it cannot know, and keeps them. (A known
    // window: commits carry no vector of what their device had seen, so a peer cannot
    // tell afterwards that the late one did not follow the removal.)
    let mut c = reopen(&pair_template().c);
    let from_b =
        w.b.practice
            .missing_for(&c.practice.version_vector().unwrap())
            .unwrap();
    assert_eq!(from_b.len(), 2);
    let from_a =
        w.a.practice
            .missing_for(&c.practice.version_vector().unwrap())
            .unwrap();
    assert_eq!(
        c.practice
            .apply(&from_b[0].encoded, from_b[0].signature)
            .unwrap(),
        Applied::New
    );
    assert_eq!(
        c.practice
            .apply(&from_b[1].encoded, from_b[1].signature)
            .unwrap(),
        Applied::New
    );
    let results = c.practice.apply_batch(&from_a).unwrap();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let shown = |p: &Practice| -> String {
        p.reader()
            .query_row(
                "SELECT preferred FROM patient WHERE id = ?1",
                [&t.patient],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(shown(&w.a.practice), "Seen");
    assert_eq!(
        shown(&c.practice),
        "Late",
        "C applied it before the removal arrived"
    );
    assert_intact(&mut w.a.practice, "A");
}

/// A catalogue as a newer binary has it: one more kind of record, a newer schema.
static REFERRAL: chartkeep::ledger::schema::EntityDef = chartkeep::ledger::schema::EntityDef {
    name: "referral",
    table: "referral",
    fields: &[chartkeep::ledger::schema::FieldDef {
        name: "reason",
        kind: chartkeep::ledger::schema::FieldKind::Text,
    }],
};
static NEWER: OnceLock<&'static chartkeep::ledger::Catalogue> = OnceLock::new();
fn newer_catalogue() -> &'static chartkeep::ledger::Catalogue {
    NEWER.get_or_init(|| {
        let mut entities: Vec<&'static chartkeep::ledger::schema::EntityDef> =
            CATALOGUE.entities.to_vec();
        entities.push(&REFERRAL);
        Box::leak(Box::new(chartkeep::ledger::Catalogue {
            entities: Box::leak(entities.into_boxed_slice()),
            derived_tables: CATALOGUE.derived_tables,
            row_hook: CATALOGUE.row_hook,
            schema_version: 99,
            member_admin: CATALOGUE.member_admin,
            seals: CATALOGUE.seals,
            unique: CATALOGUE.unique,
        }))
    })
}

#[test]
fn commits_a_newer_binary_wrote_wait_in_quarantine_and_apply_after_the_upgrade() {
    let (mut w, _t) = open_pair();
    let c = reopen(&pair_template().c);
    let admin = user_id(&w.a.practice, "admin");
    let practice = w.a.practice.practice_id();
    let (kb, kc) = (device_key(&w.b.practice), device_key(&c.practice));
    let now = now_ms(&w.a);
    let referral = Change::new(
        uid(50),
        "referral",
        uid(51),
        ChangeOp::Create,
        vec![("reason".into(), "cardiology".into())],
        vec![],
    );
    let b1 = forge(
        &kb,
        practice,
        SCHEMA_VERSION,
        head_on(&w.a.practice, &kb),
        now,
        admin,
        vec![referral],
    );
    // A later commit of the same device that this binary could apply: it waits behind.
    let b2 = forge(
        &kb,
        practice,
        SCHEMA_VERSION,
        next_of(&b1),
        now,
        admin,
        vec![setting(52, "after_referral")],
    );
    // Another device's commit that depends on the quarantined referral.
    let mut needs_referral = setting(70, "needs_referral");
    needs_referral.deps = vec![uid(50)];
    let c1 = forge(
        &kc,
        practice,
        SCHEMA_VERSION,
        head_on(&w.a.practice, &kc),
        now,
        admin,
        vec![needs_referral],
    );
    // A fourth member's commit written at a newer schema.
    let kd = DeviceKey::from_seed([77; 32]).unwrap();
    w.a.practice
        .add_member(admin, kd.public_key(), "D")
        .unwrap();
    let d1 = forge(
        &kd,
        practice,
        99,
        (0, [0; 32]),
        now,
        admin,
        vec![setting(54, "newer_schema")],
    );
    let a = &mut w.a.practice;
    let before = commits(a);
    for (s, says) in [
        (&b1, "referral"),
        (&b2, "waits for"),
        (&c1, "in device"),
        (&d1, "schema version 99"),
    ] {
        match a.apply(&s.encoded, s.signature).unwrap() {
            Applied::Quarantined(reason) => assert!(reason.contains(says), "{reason}"),
            other => panic!("expected quarantine, got {other:?}"),
        }
    }
    // Idempotent, visible, and nothing of them projected.
    assert!(matches!(
        a.apply(&b1.encoded, b1.signature).unwrap(),
        Applied::Quarantined(_)
    ));
    let held = a.quarantined().unwrap();
    assert_eq!(held.len(), 4, "{held:?}");
    assert_eq!(verify(a.reader()).unwrap().quarantined, 4);
    assert_eq!(commits(a), before);
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name IN ('after_referral', 'newer_schema', 'needs_referral')"
        ),
        0
    );
    // A forged successor of a quarantined commit is still a fork.
    let fork = forge(
        &kb,
        practice,
        SCHEMA_VERSION,
        next_of(&b1),
        now,
        admin,
        vec![setting(56, "other")],
    );
    assert_eq!(apply_err(a, &fork).code(), "ledger_fork");
    // Reopening with the same binary changes nothing.
    assert_eq!(a.retry_quarantined_with(&CATALOGUE).unwrap(), 0);
    // The upgrade: the new table exists and the catalogue knows it.
    raw(a)
        .execute_batch(
            "CREATE TABLE referral (id TEXT PRIMARY KEY NOT NULL, reason TEXT, created_change TEXT NOT NULL,
             created_at INTEGER NOT NULL, created_by TEXT NOT NULL, updated_at INTEGER NOT NULL,
             updated_by TEXT NOT NULL, retracted INTEGER NOT NULL DEFAULT 0, retract_reason TEXT);",
        )
        .unwrap();
    assert_eq!(a.retry_quarantined_with(newer_catalogue()).unwrap(), 4);
    assert!(a.quarantined().unwrap().is_empty());
    assert_eq!(commits(a), before + 4);
    assert_eq!(count(a.reader(), "SELECT count(*) FROM referral"), 1);
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name IN ('after_referral', 'newer_schema', 'needs_referral')"
        ),
        3
    );
    let v = verify(a.reader()).unwrap();
    assert!(v.problems.is_empty() && v.quarantined == 0, "{v:?}");
    // B's next real commit follows the applied chain.
    let b3 = forge(
        &kb,
        practice,
        SCHEMA_VERSION,
        next_of(&b2),
        now,
        admin,
        vec![setting(58, "later")],
    );
    assert_eq!(a.apply(&b3.encoded, b3.signature).unwrap(), Applied::New);
}

#[test]
fn a_commit_dated_more_than_a_day_ahead_is_refused() {
    let (mut w, t) = open_pair();
    w.b.clock.advance_ms(25 * 60 * MINUTE_MS);
    w.doc_b = login(&mut w.b.practice, CLINICIAN, CLINICIAN_PW);
    w.edit_b(
        "patient.update",
        json!({"id": t.patient, "preferred": "Future"}),
    );
    let from_b =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    let before = commits(&w.a.practice);
    let e = apply_err(&mut w.a.practice, &from_b[0]);
    assert_eq!(e.code(), "ledger_clock_ahead", "{e}");
    assert_eq!(commits(&w.a.practice), before);
    // Within a day of A's clock it is fine.
    w.a.clock.advance_ms(2 * 60 * MINUTE_MS);
    assert_eq!(
        w.a.practice
            .apply(&from_b[0].encoded, from_b[0].signature)
            .unwrap(),
        Applied::New
    );
}

/// The dose shown on A and B after both edited it concurrently, with B's clock `skew_ms`
/// off A's, and B having made `b_first` other commits first.
fn concurrent_dose_winner(skew_ms: i64, b_first: usize) -> (String, String) {
    let (mut w, t) = open_pair();
    w.b.clock.advance_ms(skew_ms);
    w.doc_b = login(&mut w.b.practice, CLINICIAN, CLINICIAN_PW);
    for i in 0..b_first {
        w.on_b(
            "vitals.record",
            json!({"patient": t.patient, "heart_rate": 60 + i}),
        );
    }
    w.edit_a("medication.update", json!({"id": t.med1, "dose": "50 mg"}));
    w.edit_b("medication.update", json!({"id": t.med1, "dose": "75 mg"}));
    w.exchange();
    let (x, y) = w.on_both("medication.get", json!({"id": t.med1}));
    (s(&x, "dose"), s(&y, "dose"))
}

#[test]
fn the_conflict_winner_does_not_depend_on_wall_clocks() {
    for b_first in [0, 3] {
        let ahead = concurrent_dose_winner(60 * MINUTE_MS, b_first);
        let behind = concurrent_dose_winner(-60 * MINUTE_MS, b_first);
        assert_eq!(ahead.0, ahead.1, "A and B agree");
        assert_eq!(ahead, behind, "moving B's clock changed the winner");
    }
    // The edit made on top of more history (a greater Lamport counter) is shown.
    assert_eq!(concurrent_dose_winner(-60 * MINUTE_MS, 3).0, "75 mg");
}

#[test]
fn prop_winners_are_the_same_whatever_the_clocks_and_arrival_order() {
    let t = pair_template();
    let strategy = (
        prop::collection::vec(
            dev_op().prop_filter("no clock moves", |o| !matches!(o, DevOp::Advance(_))),
            1..8,
        ),
        prop::collection::vec(
            dev_op().prop_filter("no clock moves", |o| !matches!(o, DevOp::Advance(_))),
            1..8,
        ),
        -(20i64 * 60)..(20 * 60),
        any::<bool>(),
    );
    let shown = |p: &Practice| -> Vec<String> {
        let mut out = dump(
            p.reader(),
            "medication",
            &["created_at", "updated_at", "updated_by"],
        );
        out.retain(|r| r.contains(&t.med1) || r.contains(&t.med2));
        out.extend(
            dump(
                p.reader(),
                "problem",
                &["created_at", "updated_at", "updated_by"],
            )
            .into_iter()
            .filter(|r| r.contains(&t.problem)),
        );
        out.extend(dump(
            p.reader(),
            "patient",
            &["created_at", "updated_at", "updated_by"],
        ));
        out
    };
    let result = runner(12).run(&strategy, |(ops_a, ops_b, skew_min, b_first)| {
        let mut runs = Vec::new();
        for skew in [0, skew_min * MINUTE_MS] {
            let mut a = support::reopen_seeded(&t.a, 5_000_001);
            let mut b = support::reopen_seeded(&t.b, 5_000_002);
            b.clock.advance_ms(skew);
            let mut doc_b = login(&mut b.practice, CLINICIAN, CLINICIAN_PW);
            let mut doc_a = t.doc_a.clone();
            for o in &ops_a {
                run_dev_op(&mut a, &mut doc_a, t, o)?;
            }
            for o in &ops_b {
                run_dev_op(&mut b, &mut doc_b, t, o)?;
            }
            // Arrival order differs between runs as well.
            if b_first ^ (skew != 0) {
                exchange(&mut b.practice, &mut a.practice);
            } else {
                exchange(&mut a.practice, &mut b.practice);
            }
            let (sa, sb) = (shown(&a.practice), shown(&b.practice));
            prop_assert_eq!(&sa, &sb, "A and B differ");
            runs.push(sa);
        }
        prop_assert_eq!(&runs[0], &runs[1], "the clocks changed what is shown");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_second_commit_at_the_same_seq_is_reported_as_a_fork() {
    let t = pair_template();
    let mut a = reopen(&t.a);
    // Two copies of B's folder: the same key, two different histories.
    let mut b1 = reopen(&t.b);
    let mut b2 = reopen(&t.b);
    let (mut d1, mut d2) = (t.doc_b.clone(), t.doc_b.clone());
    edit(
        &mut b1.practice,
        &mut d1,
        "patient.update",
        json!({"id": t.patient, "preferred": "One"}),
    );
    edit(
        &mut b2.practice,
        &mut d2,
        "patient.update",
        json!({"id": t.patient, "preferred": "Two"}),
    );
    edit(
        &mut b2.practice,
        &mut d2,
        "patient.update",
        json!({"id": t.patient, "preferred": "Three"}),
    );
    send(&b1.practice, &mut a.practice);
    let mut before_b = a.practice.version_vector().unwrap();
    before_b.remove(&device_key(&b2.practice).id());
    let theirs = b2.practice.missing_for(&before_b).unwrap();
    let hash = |s: &Signed| hex::encode(next_of(s).1);
    let ours = hash(
        &b1.practice
            .missing_for(&BTreeMap::new())
            .unwrap()
            .into_iter()
            .last()
            .unwrap(),
    );
    let e = apply_err(&mut a.practice, &theirs[0]);
    assert_eq!(e.code(), "ledger_fork", "{e}");
    let m = e.to_string();
    assert!(
        m.contains(&ours) && m.contains(&hash(&theirs[0])),
        "names both hashes: {m}"
    );
    // The commit after the other branch's is a fork too, not an out-of-order commit.
    let e = apply_err(&mut a.practice, &theirs[1]);
    assert_eq!(e.code(), "ledger_fork", "{e}");
    assert!(e.to_string().contains(&ours), "{e}");
}

#[test]
fn an_own_commit_coming_back_keeps_the_chain_end_right() {
    let t = pair_template();
    let mut a = reopen(&t.a);
    let mut old = reopen(&t.b);
    let mut new = reopen(&t.b);
    let mut doc = t.doc_b.clone();
    edit(
        &mut new.practice,
        &mut doc,
        "patient.update",
        json!({"id": t.patient, "preferred": "Echo"}),
    );
    // B's newer copy sends its commit to A, which echoes it back to B's older copy.
    send(&new.practice, &mut a.practice);
    assert_eq!(send(&a.practice, &mut old.practice), 1);
    let mut doc = t.doc_b.clone();
    edit(
        &mut old.practice,
        &mut doc,
        "patient.update",
        json!({"id": t.patient, "preferred": "After echo"}),
    );
    assert_intact(&mut old.practice, "B after its own commit came back");
    assert_eq!(
        send(&old.practice, &mut a.practice),
        1,
        "A takes the next commit: no fork"
    );
    assert_intact(&mut a.practice, "A");
}

#[test]
fn a_child_record_before_its_parent_names_the_missing_change() {
    let t = pair_template();
    let mut a = reopen(&t.a);
    let mut b = reopen(&t.b);
    let mut c = reopen(&t.c);
    let (mut doc_a, mut doc_b) = (t.doc_a.clone(), t.doc_b.clone());
    let patient = id(&call(
        &mut a.practice,
        &mut doc_a,
        "patient.create",
        json!({"family": "Parent", "given": ["Pat"], "birth_date": "1980-01-01", "sex": "female"}),
    ));
    let note = id(&call(
        &mut a.practice,
        &mut doc_a,
        "note.add",
        json!({"patient": t.patient, "kind": "free", "text": "Seen"}),
    ));
    edit(
        &mut a.practice,
        &mut doc_a,
        "note.sign",
        json!({"id": note}),
    );
    send(&a.practice, &mut b.practice);
    call(
        &mut b.practice,
        &mut doc_b,
        "problem.add",
        json!({"patient": patient, "code": "I10"}),
    );
    call(
        &mut b.practice,
        &mut doc_b,
        "note.amend",
        json!({"id": note, "text": "Seen twice", "reason": "typo"}),
    );
    let b_key = b.practice.public_key();
    let from_b: Vec<Signed> = b
        .practice
        .missing_for(&c.practice.version_vector().unwrap())
        .unwrap()
        .into_iter()
        .filter(|s| encoding::decode(&s.encoded).unwrap().device_key == b_key)
        .collect();
    let created = |row: &str| -> String {
        a.practice.reader().query_row("SELECT created_change FROM patient WHERE id = ?1 UNION ALL SELECT created_change FROM note WHERE id = ?1", [row], |r| r.get(0)).unwrap()
    };
    for (commit, parent) in [
        (&from_b[0], created(&patient)),
        (&from_b[1], created(&note)),
    ] {
        let body = encoding::decode(&commit.encoded).unwrap();
        assert!(
            body.changes[0].deps.iter().any(|d| d.to_string() == parent),
            "{:?}",
            body.changes[0].deps
        );
    }
    let e = apply_err(&mut c.practice, &from_b[0]);
    assert_eq!(e.code(), "ledger_missing_dependency", "{e}");
    assert!(
        e.to_string().contains(&created(&patient)),
        "names the change to fetch: {e}"
    );
    send(&a.practice, &mut c.practice);
    assert_eq!(send(&b.practice, &mut c.practice), 2);
    assert_intact(&mut c.practice, "C");
}

#[test]
fn commits_after_reads_one_device_page_by_page() {
    let (mut w, t) = open_pair();
    for i in 0..5 {
        w.on_b(
            "vitals.record",
            json!({"patient": t.patient, "heart_rate": 60 + i}),
        );
    }
    let device = device_key(&w.b.practice).id();
    let conn = w.b.practice.reader();
    let page = chartkeep::ledger::commits_after(conn, &device, 1, 3).unwrap();
    let seqs: Vec<u64> = page.iter().map(|s| next_of(s).0).collect();
    assert_eq!(seqs, [2, 3, 4]);
    let rest = chartkeep::ledger::commits_after(conn, &device, 4, 3).unwrap();
    assert_eq!(rest.iter().map(|s| next_of(s).0).collect::<Vec<_>>(), [5]);
    let plan: String = conn
        .query_row("EXPLAIN QUERY PLAN SELECT body FROM ledger_commit WHERE device = x'00' AND seq > 1 ORDER BY seq LIMIT 3", [], |r| r.get(3))
        .unwrap();
    assert!(plan.contains("USING INDEX"), "{plan}");
}

#[test]
fn a_forged_signature_in_a_batch_is_refused_in_its_place_and_the_rest_apply() {
    // Signatures are checked for the whole batch at once; the one that fails must still be
    // found, refused on its own, and everything that does not depend on it applied.
    let (mut w, t) = open_pair();
    for i in 0..3 {
        w.on_b(
            "vitals.record",
            json!({"patient": t.patient, "heart_rate": 70 + i}),
        );
    }
    let mut batch =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    let n = batch.len();
    assert_eq!(n, 3, "the three vitals forms");
    // The last vitals form, forged: its signature no longer matches.
    batch[n - 1].signature[10] ^= 0x40;
    let before = commits(&w.a.practice);
    let results = w.a.practice.apply_batch(&batch).unwrap();
    let codes: Vec<&str> = results
        .iter()
        .map(|r| match r {
            Ok(_) => "ok",
            Err(e) => e.code(),
        })
        .collect();
    let mut expected = vec!["ok"; n - 1];
    expected.push("ledger_bad_signature");
    assert_eq!(codes, expected);
    assert_eq!(commits(&w.a.practice), before + n as i64 - 1);
}

#[test]
fn a_bad_commit_in_a_batch_is_rolled_back_alone() {
    let (mut w, t) = open_pair();
    let kb = device_key(&w.b.practice);
    let admin = user_id(&w.a.practice, "admin");
    for i in 0..2 {
        w.on_b(
            "vitals.record",
            json!({"patient": t.patient, "heart_rate": 70 + i}),
        );
    }
    let good =
        w.b.practice
            .missing_for(&w.a.practice.version_vector().unwrap())
            .unwrap();
    // B's third commit: a setting that projects, then an edit of a row nobody has. The
    // first change is written before the second fails; the savepoint must undo it.
    let bad = forge(
        &kb,
        w.a.practice.practice_id(),
        SCHEMA_VERSION,
        next_of(&good[1]),
        now_ms(&w.a),
        admin,
        vec![
            setting(60, "half_written"),
            Change::new(
                uid(62),
                "setting",
                uid(99),
                ChangeOp::Set,
                vec![("value".into(), "2".into())],
                vec![],
            ),
        ],
    );
    let c = reopen(&pair_template().c);
    let kc = device_key(&c.practice);
    let other = forge(
        &kc,
        w.a.practice.practice_id(),
        SCHEMA_VERSION,
        head_on(&w.a.practice, &kc),
        now_ms(&w.a),
        admin,
        vec![setting(64, "from_c")],
    );
    let now = now_ms(&w.a);
    let a = &mut w.a.practice;
    let before = commits(a);
    let batch = [good[0].clone(), bad, good[1].clone(), other];
    let results = a.apply_batch(&batch).unwrap();
    let codes: Vec<&str> = results
        .iter()
        .map(|r| match r {
            Ok(_) => "ok",
            Err(e) => e.code(),
        })
        .collect();
    assert_eq!(codes, ["ok", "ledger_out_of_order", "ok", "ok"]);
    let bad = forge(
        &kb,
        a.practice_id(),
        SCHEMA_VERSION,
        head_on(a, &kb),
        now,
        admin,
        vec![
            setting(66, "half_written"),
            Change::new(
                uid(68),
                "setting",
                uid(99),
                ChangeOp::Set,
                vec![("value".into(), "2".into())],
                vec![],
            ),
        ],
    );
    let results = a.apply_batch(&[bad]).unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().code(), "not_found");
    assert_eq!(commits(a), before + 3);
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name = 'half_written'"
        ),
        0
    );
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name = 'from_c'"
        ),
        1
    );
    assert_intact(a, "A after the batches");
}

/// Rows a commit creates alike (a form's results) are written many to a statement; a
/// row among them that already exists is still refused by name, and nothing of its commit
/// stays, while the batch's next commit applies.
#[test]
fn a_repeated_row_among_a_commits_alike_creates_is_refused_by_name() {
    let (mut w, _t) = open_pair();
    let kb = device_key(&w.b.practice);
    let admin = user_id(&w.a.practice, "admin");
    let now = now_ms(&w.a);
    let a = &mut w.a.practice;
    let before = commits(a);
    let mut again = setting(74, "third");
    again.row = uid(73);
    let bad = forge(
        &kb,
        a.practice_id(),
        SCHEMA_VERSION,
        head_on(a, &kb),
        now,
        admin,
        vec![setting(70, "first"), setting(72, "second"), again],
    );
    let good = forge(
        &kb,
        a.practice_id(),
        SCHEMA_VERSION,
        head_on(a, &kb),
        now,
        admin,
        vec![setting(76, "instead"), setting(78, "and_this")],
    );
    let results = a.apply_batch(&[bad, good]).unwrap();
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(
        err.to_string()
            .contains(&format!("a setting with id {} already exists", uid(73))),
        "{err}"
    );
    assert!(results[1].is_ok(), "{:?}", results[1]);
    assert_eq!(commits(a), before + 1);
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name IN ('first', 'second', 'third')"
        ),
        0
    );
    assert_eq!(
        count(
            a.reader(),
            "SELECT count(*) FROM setting WHERE name IN ('instead', 'and_this')"
        ),
        2
    );
    assert_intact(a, "A after the refused commit");
}

#[test]
fn verify_reports_an_index_row_or_amendment_moved_to_another_row() {
    let (env, _doc, patient) = busy_clinic();
    let mut conn = raw(&env.practice);
    let cases = [
        "UPDATE ledger_change SET row = (SELECT c.row FROM ledger_change c WHERE c.op = 'create' AND c.row NOT IN (SELECT row FROM ledger_change WHERE op = 'amend') LIMIT 1) WHERE op = 'amend'",
        "UPDATE ledger_change SET entity = 'patient' WHERE op = 'amend'",
        "UPDATE ledger_change SET op = 'set' WHERE op = 'retract' OR op = 'amend'",
        "UPDATE amendment SET row = 'PATIENT'",
        "UPDATE amendment SET fields = '{\"text\":\"rewritten\"}'",
        "DELETE FROM amendment",
        "INSERT INTO amendment (id, entity, row, fields, author, hlc) VALUES ('forged', 'note', 'r', '{}', 'x', 0)",
    ];
    for sql in cases {
        let sql = sql.replace("PATIENT", &patient);
        let tx = conn.transaction().unwrap();
        drop_ledger_triggers(&tx);
        tx.execute_batch("DROP TRIGGER amendment_gate_update; DROP TRIGGER amendment_gate_delete; DROP TRIGGER amendment_gate_insert;").unwrap();
        let n = tx.execute(&sql, []).unwrap();
        assert!(n > 0, "touched nothing: {sql}");
        let report = verify(&tx).unwrap();
        tx.rollback().unwrap();
        assert!(!report.problems.is_empty(), "verify did not report: {sql}");
    }
}

#[test]
fn the_projection_gate_closes_when_a_writer_panics() {
    let gate = chartkeep::vault::db::Gate::default();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _open = gate.open();
        assert!(gate.is_open());
        panic!("a bug in projection code");
    }));
    assert!(panicked.is_err());
    assert!(
        !gate.is_open(),
        "a panic must not leave projection writes allowed"
    );
}

#[test]
fn verify_reports_a_forged_workstation_written_in_with_the_database_key() {
    let (env, _doc) = open_clinic();
    let p = &env.practice;
    let practice_id: String = p
        .reader()
        .query_row(
            "SELECT value FROM practice_meta WHERE key = 'practice_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let stranger = DeviceKey::from_seed([7; 32]).unwrap();
    let author = support::user_id(p, support::ADMIN);
    let forged = forge(
        &stranger,
        Uuid::parse_str(&practice_id).unwrap(),
        SCHEMA_VERSION,
        (0, [0; 32]),
        now_ms(&env),
        author,
        vec![setting(900, "forged")],
    );
    let (seq, hash) = next_of(&forged);
    let body = encoding::decode(&forged.encoded).unwrap();
    let conn = raw(p);
    drop_ledger_triggers(&conn);
    conn.execute(
        "INSERT INTO ledger_commit (hash, device, seq, hlc, author, body, signature, lamport) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            hash.as_slice(),
            stranger.id().as_slice(),
            seq as i64,
            body.hlc as i64,
            author.to_string(),
            forged.encoded,
            forged.signature.as_slice(),
            body.lamport as i64
        ],
    )
    .unwrap();
    let report = verify(&conn).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("was not a member of the practice")),
        "{:?}",
        report.problems
    );
}

#[test]
fn an_anchor_shows_a_history_rewritten_or_removed_after_it_was_taken() {
    let (mut env, mut doc) = open_clinic();
    let p = &mut env.practice;
    patient_with_problem(p, &mut doc, "Anchored", "Ann");
    let anchor = p.anchor().expect("anchor");
    assert!(!anchor.statement.heads.is_empty());
    // Later work does not contradict it.
    patient_with_problem(p, &mut doc, "Later", "Lee");
    assert_eq!(p.check_anchor(&anchor).unwrap(), Vec::<String>::new());

    // An edited anchor file is refused.
    let mut edited = anchor.clone();
    edited.statement.at = "2020-01-01T00:00:00Z".into();
    let problems = p.check_anchor(&edited).unwrap();
    assert!(
        problems.iter().any(|x| x.contains("signature")),
        "{problems:?}"
    );

    // A commit the anchor saw, re-signed (its hash changes), or its device's history cut.
    let head = &anchor.statement.heads[0];
    let device = hex::decode(&head.device).unwrap();
    let mut conn = raw(p);
    conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    for (what, sql, expect) in [
        (
            "rewritten",
            "UPDATE ledger_commit SET hash = zeroblob(32) WHERE device = ?1 AND seq = ?2",
            "history rewritten",
        ),
        (
            "removed",
            "DELETE FROM ledger_commit WHERE device = ?1 AND seq >= ?2",
            "history removed",
        ),
    ] {
        let tx = conn.transaction().unwrap();
        drop_ledger_triggers(&tx);
        tx.execute(sql, rusqlite::params![device, head.seq as i64])
            .unwrap();
        let problems =
            chartkeep::ledger::anchor::check(&tx, &p.header().practice_id, &anchor).unwrap();
        tx.rollback().unwrap();
        assert!(
            problems.iter().any(|x| x.contains(expect)),
            "{what}: {problems:?}"
        );
    }
    // The access log's anchored entry, rewritten.
    conn.execute_batch("DROP TRIGGER access_log_no_update;")
        .unwrap();
    let log = anchor.statement.access_log.clone().expect("a log head");
    conn.execute(
        "UPDATE access_log SET hash = zeroblob(32) WHERE seq = ?1",
        [log.seq],
    )
    .unwrap();
    drop(conn);
    let problems = p.check_anchor(&anchor).unwrap();
    assert!(
        problems.iter().any(|x| x.contains("access log entry")),
        "{problems:?}"
    );
}

#[test]
fn a_vouch_counts_only_from_a_member_and_only_for_the_key_it_names() {
    let (mut env, _doc) = open_clinic();
    let practice = env.practice.practice_id();
    let author = support::user_id(&env.practice, support::ADMIN);
    let member = device_key(&env.practice);
    let now = now_ms(&env);
    let (stranger, other) = (
        DeviceKey::from_seed([11; 32]).unwrap(),
        DeviceKey::from_seed([12; 32]).unwrap(),
    );
    let joining = |key: &DeviceKey, voucher: &DeviceKey, for_key: &DeviceKey| {
        let vouch = voucher.sign(&chartkeep::ledger::member::vouch_message(
            &practice,
            &for_key.public_key(),
        ));
        let change = chartkeep::ledger::member::add_vouched(
            uid(950),
            uid(951),
            key.public_key(),
            "restored",
            author,
            voucher.public_key(),
            vouch,
        );
        forge(
            key,
            practice,
            SCHEMA_VERSION,
            (0, [0; 32]),
            now,
            author,
            vec![change],
        )
    };
    for (what, c) in [
        (
            "vouched by a non-member",
            joining(&stranger, &other, &stranger),
        ),
        (
            "a member's vouch for another key",
            joining(&stranger, &member, &other),
        ),
    ] {
        let e = apply_err(&mut env.practice, &c);
        assert_eq!(e.code(), "ledger_not_member", "{what}: {e}");
    }
    let ok = joining(&stranger, &member, &stranger);
    env.practice
        .apply(&ok.encoded, ok.signature)
        .expect("a member's vouch for this very key admits it");
}

#[test]
fn an_mrn_or_user_name_given_twice_while_apart_is_listed_and_settled_by_changing_one() {
    let (mut w, _t) = open_pair();
    let register = |mrn: &str, given: &str| json!({"family": "Twice", "given": [given], "birth_date": "1971-07-07", "sex": "female", "mrn": mrn});
    let pa = w.on_a("patient.create", register("7777777", "Ann"));
    let pb = w.on_b("patient.create", register("7777777", "Bea"));
    assert!(arr(&w.on_a("duplicate.list", json!({}))).is_empty());
    w.exchange();
    let (da, db) = w.on_both("duplicate.list", json!({}));
    for (who, list) in [("A", &da), ("B", &db)] {
        let list = arr(list);
        assert_eq!(list.len(), 1, "{who}: {list:?}");
        assert_eq!(
            (list[0]["entity"].as_str(), list[0]["value"].as_str()),
            (Some("patient"), Some("7777777"))
        );
        let mut rows: Vec<String> = arr(&list[0]["rows"])
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        rows.sort();
        let mut want = vec![id(&pa), id(&pb)];
        want.sort();
        assert_eq!(rows, want, "{who}");
    }
    w.edit_a("patient.update", json!({"id": id(&pb), "mrn": "7777778"}));
    w.exchange();
    let (da, db) = w.on_both("duplicate.list", json!({}));
    assert!(
        arr(&da).is_empty() && arr(&db).is_empty(),
        "settled: {da} {db}"
    );

    // Two accounts named alike: neither logs in until an administrator renames one.
    let pw = "temporary-pass-1";
    let mut admin_a = login(&mut w.a.practice, support::ADMIN, support::ADMIN_PW);
    let mut admin_b = login(&mut w.b.practice, support::ADMIN, support::ADMIN_PW);
    let new = json!({"name": "temp.nurse", "role": "nurse", "password": pw});
    call(&mut w.a.practice, &mut admin_a, "user.create", new.clone());
    call(&mut w.b.practice, &mut admin_b, "user.create", new);
    w.exchange();
    for p in [&mut w.a.practice, &mut w.b.practice] {
        let e = api::login(p, "temp.nurse", pw).expect_err("a duplicated name");
        assert_eq!(e.code, "duplicate_user_name", "{}", e.message);
    }
    let users = call(&mut w.a.practice, &mut admin_a, "user.list", json!({}));
    let twin = arr(&users)
        .iter()
        .find(|u| u["name"] == "temp.nurse")
        .unwrap()
        .clone();
    call(
        &mut w.a.practice,
        &mut admin_a,
        "user.update",
        json!({"id": twin["id"], "version": twin["version"], "new_name": "temp.nurse2"}),
    );
    w.exchange();
    for p in [&mut w.a.practice, &mut w.b.practice] {
        api::login(p, "temp.nurse", pw).expect("the one left keeps its name");
        api::login(p, "temp.nurse2", pw).expect("the renamed one");
    }
    assert_intact(&mut w.a.practice, "A");
    assert_intact(&mut w.b.practice, "B");
}

/// An import writes many commits in one SQLite transaction (`Practice::batch`). A commit
/// that fails inside it takes the batch's commits since its last checkpoint with it (the
/// transaction may hold part of the failed one), says so, and the next commit follows the
/// durable head: the chain has no gap and verifies.
#[test]
fn a_failed_commit_in_a_batch_undoes_the_batch_since_its_checkpoint_and_the_chain_stays_whole() {
    let (mut env, doc) = open_clinic();
    let p = &mut env.practice;
    let before = commits(p);
    p.batch(|p| -> Result<(), chartkeep::ledger::LedgerError> {
        p.commit(doc.user.id, vec![setting(50, "batch_a")])?;
        p.checkpoint()?;
        p.commit(doc.user.id, vec![setting(60, "batch_b")])?;
        assert!(!p.take_batch_lost());
        // The same row created again: refused while storing, inside the transaction.
        let again = Change::new(
            uid(70),
            "setting",
            uid(51),
            ChangeOp::Create,
            vec![
                ("name".into(), "batch_a".into()),
                ("value".into(), "2".into()),
            ],
            vec![],
        );
        assert!(p.commit(doc.user.id, vec![again]).is_err());
        assert!(
            p.take_batch_lost(),
            "the batch since the checkpoint is lost"
        );
        p.commit(doc.user.id, vec![setting(80, "batch_c")])?;
        Ok(())
    })
    .expect("batch");
    assert_eq!(commits(p), before + 2, "a (checkpointed) and c");
    let names: Vec<String> = p
        .reader()
        .prepare("SELECT name FROM setting WHERE name LIKE 'batch_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names, ["batch_a", "batch_c"]);
    assert_intact(p, "after the batch");
}
