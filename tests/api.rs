//! The dispatcher's guarantees: the permission matrix, the access log (and its tamper
//! check), and the idle lock.

mod support;

use chartkeep::api::{self, Session};
use serde_json::{json, Value as Json};
use support::{
    arr, call, call_err, count, create_user, id, login, raw, s, shared, ADMIN, ADMIN_PW, MINUTE_MS,
    TODAY,
};

const STAFF_PW: &str = "staff-password-1";

/// Who may run what. `true` = allowed, `false` = refused with `forbidden`.
const MATRIX: &[(&str, &str, bool)] = &[
    ("front_desk", "patient.create", true),
    ("front_desk", "patient.search", true),
    ("front_desk", "patient.get", true),
    ("front_desk", "coverage.list", true),
    ("front_desk", "chart.summary", false),
    ("front_desk", "problem.add", false),
    ("front_desk", "problem.list", false),
    ("front_desk", "note.sign", false),
    ("front_desk", "medication.list", false),
    ("front_desk", "audit.report", false),
    ("nurse", "vitals.record", true),
    ("nurse", "chart.summary", true),
    ("nurse", "medication.list", true),
    ("nurse", "note.sign", false),
    ("nurse", "user.create", false),
    ("nurse", "conflict.resolve", false),
    ("billing", "coverage.list", true),
    ("billing", "encounter.list", true),
    ("billing", "problem.list", true),
    ("billing", "patient.search", true),
    ("billing", "note.list", false),
    ("billing", "medication.list", false),
    ("billing", "chart.summary", false),
    ("billing", "problem.add", false),
    ("administrator", "user.create", true),
    ("administrator", "audit.report", true),
    ("administrator", "audit.verify", true),
    ("administrator", "patient.search", true),
    ("administrator", "problem.add", false),
    ("administrator", "chart.summary", false),
    ("administrator", "note.list", false),
    ("clinician", "user.create", false),
    ("clinician", "audit.report", false),
    ("clinician", "audit.export", false),
    ("nurse", "audit.export", false),
    ("administrator", "audit.export", true),
    ("clinician", "setting.set", false),
    ("clinician", "problem.add", true),
    ("clinician", "note.sign", true),
    ("clinician", "chart.summary", true),
];

/// Valid arguments for each command in the matrix, so an allowed call succeeds and a
/// refusal can only come from the permission check.
fn args_for(command: &str, patient: &str, note: &Json, n: usize) -> Json {
    match command {
        "patient.create" => {
            json!({"family": "Matrix", "given": ["Case"], "birth_date": "1999-09-09", "sex": "other"})
        }
        "patient.search" => json!({"query": "matrix"}),
        "patient.get" => json!({"id": patient}),
        "chart.summary" | "coverage.list" | "encounter.list" | "problem.list"
        | "medication.list" | "note.list" => {
            json!({"patient": patient})
        }
        "problem.add" => json!({"patient": patient, "code": "I10"}),
        "vitals.record" => json!({"patient": patient, "heart_rate": 70}),
        "note.sign" => json!({"id": id(note), "version": note["version"]}),
        "user.create" => {
            json!({"name": format!("matrix{n}"), "role": "front_desk", "password": STAFF_PW})
        }
        "audit.report" | "audit.export" => json!({"from": TODAY, "to": TODAY}),
        "audit.verify" => json!({}),
        "setting.set" => json!({"name": format!("matrix_setting_{n}"), "value": "15"}),
        "conflict.resolve" => json!({"row": patient, "field": "family", "value": "X"}),
        other => panic!("no arguments for {other}"),
    }
}

#[test]
fn permission_matrix_is_enforced_for_every_role() {
    let mut guard = shared();
    let c = &mut *guard;
    let mut sessions: Vec<(&str, Session)> = vec![
        ("administrator", c.admin.clone()),
        ("clinician", c.doc.clone()),
    ];
    for (name, role) in [
        ("nurse1", "nurse"),
        ("desk1", "front_desk"),
        ("bill1", "billing"),
    ] {
        create_user(&mut c.env.practice, &mut c.admin, name, role, STAFF_PW);
        sessions.push((role, login(&mut c.env.practice, name, STAFF_PW)));
    }
    for (role, session) in &sessions {
        let info = call(
            &mut c.env.practice,
            &mut session.clone(),
            "session.info",
            json!({}),
        );
        assert_eq!(info["role"], *role);
    }
    let patient = c.patient("Matrixpatient", &["Pat"], "1990-02-02");

    let mut failures = Vec::new();
    for (n, (role, command, allowed)) in MATRIX.iter().enumerate() {
        let note = c.doc(
            "note.add",
            json!({"patient": patient, "kind": "free", "text": "seen today"}),
        );
        let session = &mut sessions
            .iter_mut()
            .find(|(r, _)| r == role)
            .expect("a session per role")
            .1;
        let commits = c.commits();
        let reads = count(c.env.practice.reader(), "SELECT count(*) FROM access_log");
        let result = api::call(
            &mut c.env.practice,
            session,
            command,
            args_for(command, &patient, &note, n),
        );
        match (result, allowed) {
            (Ok(_), true) => {}
            (Err(e), true) => failures.push(format!(
                "{role} may {command} but got {}: {}",
                e.code, e.message
            )),
            (Ok(v), false) => {
                failures.push(format!("{role} may not {command} but it returned {v}"))
            }
            (Err(e), false) => {
                if e.code != "forbidden" || !e.message.contains(role) {
                    failures.push(format!(
                        "{role} {command}: expected forbidden naming the role, got {} {}",
                        e.code, e.message
                    ));
                }
                if c.commits() != commits {
                    failures.push(format!(
                        "{role} {command}: refused, yet a commit was written"
                    ));
                }
                // The refusal itself is logged, and nothing else.
                let logged = count(c.env.practice.reader(), "SELECT count(*) FROM access_log");
                let denied: String = c
                    .env
                    .practice
                    .reader()
                    .query_row(
                        "SELECT action || ' ' || detail FROM access_log ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap_or_default();
                if logged != reads + 1 || denied != format!("denied {command}: forbidden") {
                    failures.push(format!(
                        "{role} {command}: refused, but the log has {} new entries, the last '{denied}'",
                        logged - reads
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix broken:\n{}",
        failures.join("\n")
    );
}

/// The access-log entries of one user about one patient, as `audit.report` gives them.
fn report(c: &mut support::Clinic, filter: Json) -> Vec<Json> {
    let mut args = json!({"from": TODAY, "to": TODAY});
    for (k, v) in filter.as_object().unwrap() {
        args[k] = v.clone();
    }
    arr(&c.admin("audit.report", args)).clone()
}

#[test]
fn the_access_log_exports_as_csv_filtered_by_action_and_the_export_is_logged() {
    let mut c = shared();
    let p = c.patient("Csvexport", &["Cat"], "1970-01-01");
    c.doc("chart.summary", json!({"patient": p}));
    let reads = report(&mut c, json!({"patient": p, "action": "read"}));
    assert!(!reads.is_empty());
    assert!(reads.iter().all(|e| e["action"] == "read"));
    let out = c.admin(
        "audit.export",
        json!({"from": TODAY, "to": TODAY, "patient": p, "action": "read"}),
    );
    assert_eq!(out["rows"], json!(reads.len()));
    let csv = s(&out, "csv");
    assert!(csv.starts_with("seq,at,user,patient,action,category,workstation,detail\r\n"));
    assert_eq!(csv.matches("\r\n").count(), reads.len() + 1);
    assert!(csv.contains(&format!(",drlee,{p},read,chart,")), "{csv}");
    let exports = report(&mut c, json!({"user": ADMIN, "action": "export"}));
    let last = exports.last().expect("the export is logged");
    assert_eq!(last["category"], "access_log");
    assert!(s(last, "detail").contains(&p), "{last}");
}

#[test]
fn chart_reads_are_logged_and_reported() {
    let mut c = shared();
    let p = c.patient("Whitfield", &["Ann"], "1977-03-03");
    let workstation = c.p().workstation();
    let log_size =
        |c: &mut support::Clinic| count(c.p().reader(), "SELECT count(*) FROM access_log");

    let n = log_size(&mut c);
    c.doc("chart.summary", json!({"patient": p}));
    assert_eq!(log_size(&mut c), n + 1, "chart.summary logs one entry");
    c.doc("patient.search", json!({"query": "whitfield"}));
    assert_eq!(log_size(&mut c), n + 2, "patient.search logs one entry");
    c.doc("problem.list", json!({"patient": p}));
    assert_eq!(log_size(&mut c), n + 3, "problem.list logs one entry");

    let mine: Vec<Json> = report(&mut c, json!({"user": "drlee", "patient": p}))
        .into_iter()
        .filter(|e| e["action"] != "search")
        .collect();
    assert_eq!(mine.len(), 2, "the two reads of this chart: {mine:?}");
    let summary = &mine[0];
    assert_eq!(summary["user"], "drlee");
    assert_eq!(summary["patient"], json!(p));
    assert_eq!(summary["action"], "read");
    assert_eq!(summary["category"], "chart");
    assert_eq!(summary["workstation"], json!(workstation));
    assert_eq!(summary["at"], support::START);
    let problems = &mine[1];
    assert_eq!(
        (problems["action"].as_str(), problems["category"].as_str()),
        (Some("read"), Some("problem"))
    );
    assert_eq!(problems["patient"], json!(p));
    assert_eq!(problems["workstation"], json!(workstation));

    let searches: Vec<Json> = report(&mut c, json!({"user": "drlee"}))
        .into_iter()
        .filter(|e| e["action"] == "search")
        .collect();
    let search = searches.last().expect("the search is logged");
    assert_eq!(search["category"], "demographics");
    assert_eq!(search["user"], "drlee");
    assert_eq!(search["workstation"], json!(workstation));

    // Filters: another user, another patient, other dates.
    assert!(report(&mut c, json!({"user": ADMIN, "patient": p})).is_empty());
    let other = c.patient("Otherchart", &["Oz"], "1978-04-04");
    assert!(
        report(&mut c, json!({"patient": other})).is_empty(),
        "creating a chart is not a read"
    );
    assert!(report(
        &mut c,
        json!({"from": "2026-10-01", "to": "2026-10-31", "patient": p})
    )
    .is_empty());
    assert!(report(
        &mut c,
        json!({"from": "2026-11-02", "to": "2026-12-31", "patient": p})
    )
    .is_empty());
    assert_eq!(
        report(
            &mut c,
            json!({"from": "2026-01-01", "to": "2026-12-31", "patient": p})
        )
        .len(),
        3,
        "the summary, the search that showed this chart, and the problem list"
    );
    let mut admin = c.admin.clone();
    let e = call_err(
        c.p(),
        &mut admin,
        "audit.report",
        json!({"from": "2026-02-30", "to": TODAY}),
    );
    support::assert_error(&e, "invalid_input", "from");

    let v = c.admin("audit.verify", json!({}));
    assert_eq!(v["ok"], json!(true));
    assert!(v["entries"].as_u64().unwrap() >= 3);
}

#[test]
fn a_tampered_access_log_is_detected() {
    let mut env = support::practice(support::next_seed());
    let mut admin = login(&mut env.practice, ADMIN, ADMIN_PW);
    let p = id(&call(
        &mut env.practice,
        &mut admin,
        "patient.create",
        json!({"family": "Tamper", "given": ["Tom"], "birth_date": "1980-01-01", "sex": "male"}),
    ));
    call(
        &mut env.practice,
        &mut admin,
        "patient.get",
        json!({"id": p}),
    );
    call(
        &mut env.practice,
        &mut admin,
        "patient.search",
        json!({"query": "tamper"}),
    );
    let v = call(&mut env.practice, &mut admin, "audit.verify", json!({}));
    assert_eq!(v, json!({"entries": 3, "ok": true}), "login, read, search");

    let mut conn = raw(&env.practice);
    let e = conn
        .execute(
            "UPDATE access_log SET user_name = 'nobody' WHERE seq = 2",
            [],
        )
        .expect_err("the access log refuses updates");
    assert!(e.to_string().contains("append-only"), "{e}");
    conn.execute("DELETE FROM access_log WHERE seq = 2", [])
        .expect_err("the access log refuses deletes");

    // A deleted entry, with the trigger dropped (rolled back afterwards).
    {
        let tx = conn.transaction().unwrap();
        tx.execute_batch(
            "DROP TRIGGER access_log_no_delete; DELETE FROM access_log WHERE seq = 2;",
        )
        .unwrap();
        let e = chartkeep::access::audit::verify(&tx).expect_err("a deleted entry is detected");
        assert_eq!(e.code(), "access_log_damaged");
        tx.rollback().unwrap();
    }
    assert_eq!(
        call(&mut env.practice, &mut admin, "audit.verify", json!({}))["ok"],
        json!(true)
    );

    // An edited entry, for good.
    conn.execute_batch("DROP TRIGGER access_log_no_update;")
        .unwrap();
    let p_other = "00000000-0000-7000-8000-000000000000";
    conn.execute(
        "UPDATE access_log SET patient = ?1 WHERE seq = 2",
        [p_other],
    )
    .unwrap();
    let e = call_err(&mut env.practice, &mut admin, "audit.verify", json!({}));
    assert_eq!(e.code, "access_log_damaged", "{}", e.message);
    assert!(
        e.message.contains("entry 2"),
        "names the entry: {}",
        e.message
    );
}

/// Each case, applied inside a transaction with the append-only trigger dropped, must make
/// `verify` report the entry it touched.
fn assert_detected(conn: &mut rusqlite::Connection, cases: &[(&str, &str)]) {
    for (what, sql) in cases {
        let tx = conn.transaction().unwrap();
        tx.execute_batch("DROP TRIGGER access_log_no_update;")
            .unwrap();
        assert!(tx.execute(sql, []).unwrap() > 0, "{what}: touched nothing");
        let e = chartkeep::access::audit::verify(&tx).expect_err(&format!("{what}: not detected"));
        assert_eq!(e.code(), "access_log_damaged", "{what}");
        tx.rollback().unwrap();
    }
}

#[test]
fn access_log_entries_are_signed_and_tell_no_patient_from_an_empty_one() {
    let mut env = support::practice(support::next_seed());
    let mut admin = login(&mut env.practice, ADMIN, ADMIN_PW);
    call(
        &mut env.practice,
        &mut admin,
        "patient.search",
        json!({"query": "nobody"}),
    );
    let mut conn = raw(&env.practice);
    let unsigned = count(
        &conn,
        "SELECT count(*) FROM access_log WHERE layout <> 2 OR signature IS NULL OR device IS NULL",
    );
    assert_eq!(unsigned, 0, "every new entry is signed");
    assert_detected(
        &mut conn,
        &[
            // Before, a NULL patient hashed like an empty one: this passed.
            (
                "no patient made empty",
                "UPDATE access_log SET patient = '' WHERE seq = 1",
            ),
            (
                "a zeroed signature",
                "UPDATE access_log SET signature = zeroblob(64) WHERE seq = 1",
            ),
            (
                "another signer",
                "UPDATE access_log SET device = zeroblob(32) WHERE seq = 1",
            ),
            (
                "an unsigned entry after signed ones",
                "UPDATE access_log SET layout = 1 WHERE seq = 2",
            ),
        ],
    );
    assert_eq!(
        call(&mut env.practice, &mut admin, "audit.verify", json!({}))["ok"],
        json!(true)
    );
}

#[test]
fn an_access_log_entry_is_on_disk_before_the_read_is_answered() {
    let env = support::practice(support::next_seed());
    let sync: i64 = env
        .practice
        .reader()
        .query_row("PRAGMA access.synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "access log synchronous=FULL");
}

#[test]
fn idle_sessions_lock_after_the_configured_minutes() {
    let mut env = support::practice(support::next_seed());
    let clock = env.clock.clone();
    let mut admin = login(&mut env.practice, ADMIN, ADMIN_PW);
    assert_eq!(
        call(&mut env.practice, &mut admin, "session.info", json!({}))["idle_lock_minutes"],
        json!(10)
    );

    clock.advance_ms(9 * MINUTE_MS);
    call(&mut env.practice, &mut admin, "session.info", json!({}));
    clock.advance_ms(9 * MINUTE_MS);
    call(&mut env.practice, &mut admin, "session.info", json!({}));
    clock.advance_ms(11 * MINUTE_MS);
    let e = call_err(&mut env.practice, &mut admin, "session.info", json!({}));
    assert_eq!(e.code, "session_locked");
    assert!(e.message.contains("10 minutes"), "{}", e.message);
    assert!(admin.is_locked());
    let e = call_err(
        &mut env.practice,
        &mut admin,
        "patient.search",
        json!({"query": "x"}),
    );
    assert_eq!(e.code, "session_locked", "a locked session stays locked");

    let wrong = admin.unlock(&mut env.practice, "not-the-password");
    assert_eq!(wrong.expect_err("wrong password").code, "wrong_password");
    assert!(admin.is_locked());
    admin
        .unlock(&mut env.practice, ADMIN_PW)
        .expect("unlock with the password");
    call(&mut env.practice, &mut admin, "session.info", json!({}));

    let set = call(
        &mut env.practice,
        &mut admin,
        "setting.set",
        json!({"name": "idle_lock_minutes", "value": 2}),
    );
    assert_eq!(set, json!({"name": "idle_lock_minutes", "value": "2"}));
    for bad in [json!("0"), json!("abc"), json!(241)] {
        let e = call_err(
            &mut env.practice,
            &mut admin,
            "setting.set",
            json!({"name": "idle_lock_minutes", "value": bad}),
        );
        support::assert_error(&e, "invalid_input", "value");
    }
    // The running session keeps the limit it started with; a new login takes the new one.
    clock.advance_ms(5 * MINUTE_MS);
    call(&mut env.practice, &mut admin, "session.info", json!({}));
    let mut fresh = login(&mut env.practice, ADMIN, ADMIN_PW);
    assert_eq!(
        call(&mut env.practice, &mut fresh, "session.info", json!({}))["idle_lock_minutes"],
        json!(2)
    );
    clock.advance_ms(MINUTE_MS + MINUTE_MS / 2);
    call(&mut env.practice, &mut fresh, "session.info", json!({}));
    clock.advance_ms(3 * MINUTE_MS);
    let e = call_err(&mut env.practice, &mut fresh, "session.info", json!({}));
    assert_eq!(e.code, "session_locked");
    assert!(e.message.contains("2 minutes"), "{}", e.message);

    // Changing it again (on the version read) updates the one setting rather than adding
    // another.
    let listed = call(&mut env.practice, &mut admin, "setting.list", json!({}));
    call(
        &mut env.practice,
        &mut admin,
        "setting.set",
        json!({"name": "idle_lock_minutes", "value": "30", "version": arr(&listed)[0]["version"]}),
    );
    let settings = count(
        env.practice.reader(),
        "SELECT count(*) FROM setting WHERE name = 'idle_lock_minutes'",
    );
    assert_eq!(settings, 1);
    let mut third = login(&mut env.practice, ADMIN, ADMIN_PW);
    assert_eq!(
        s(
            &call(&mut env.practice, &mut third, "session.info", json!({})),
            "user"
        ),
        ADMIN
    );
    assert_eq!(
        call(&mut env.practice, &mut third, "session.info", json!({}))["idle_lock_minutes"],
        json!(30)
    );
}

#[test]
fn failed_logins_are_refused_and_logged() {
    let mut c = shared();
    let before = count(
        c.p().reader(),
        "SELECT count(*) FROM access_log WHERE action = 'login_failed'",
    );
    let e = api::login(c.p(), support::CLINICIAN, "wrong-password-9").expect_err("wrong password");
    assert_eq!(e.code, "wrong_password");
    let e = api::login(c.p(), "nosuchuser", "whatever-password").expect_err("unknown user");
    assert_eq!(
        e.code, "wrong_password",
        "unknown users look like wrong passwords"
    );
    let after = count(
        c.p().reader(),
        "SELECT count(*) FROM access_log WHERE action = 'login_failed'",
    );
    assert_eq!(after, before + 2);
}

#[test]
fn user_accounts_can_be_listed_changed_and_disabled() {
    let mut c = shared();
    c.admin("user.create", json!({"name": "temp.nurse", "role": "front_desk", "password": STAFF_PW, "display_name": "Temp"}));
    let users = c.admin("user.list", json!({}));
    let temp = arr(&users)
        .iter()
        .find(|u| u["name"] == "temp.nurse")
        .expect("listed")
        .clone();
    assert_eq!(
        (temp["role"].as_str(), temp["active"].as_bool()),
        (Some("front_desk"), Some(true))
    );
    assert!(
        arr(&users).iter().all(|u| u.get("password_hash").is_none()),
        "no hashes in the list"
    );
    let e = c.admin_err(
        "user.create",
        json!({"name": "temp.nurse", "role": "nurse", "password": STAFF_PW}),
    );
    assert_eq!(e.code, "invalid_input", "a taken name: {}", e.message);
    let e = c.admin_err(
        "user.create",
        json!({"name": "weak", "role": "nurse", "password": "short"}),
    );
    assert_eq!(e.code, "invalid_input", "a weak password: {}", e.message);
    let e = c.admin_err(
        "user.create",
        json!({"name": "boss", "role": "overlord", "password": STAFF_PW}),
    );
    assert_eq!(e.code, "invalid_input", "an unknown role: {}", e.message);

    let changed = c.admin(
        "user.update",
        json!({"name": "temp.nurse", "version": temp["version"], "role": "nurse"}),
    );
    assert_eq!(changed["role"], "nurse");
    let mut s1 = login(c.p(), "temp.nurse", STAFF_PW);
    assert_eq!(
        call(c.p(), &mut s1, "session.info", json!({}))["role"],
        "nurse",
        "the new role applies at login"
    );
    c.admin(
        "user.update",
        json!({"name": "temp.nurse", "version": changed["version"], "active": false}),
    );
    let e =
        api::login(c.p(), "temp.nurse", STAFF_PW).expect_err("a disabled account cannot log in");
    assert_eq!(e.code, "account_disabled");
    let h = c.doc("patient.search", json!({"query": "nobodyatall"}));
    assert!(arr(&h).is_empty());
}

#[test]
fn a_search_is_logged_against_the_charts_it_showed() {
    let mut c = shared();
    let p = c.patient("Quillfeather", &["Quinn"], "1944-04-04");
    let before = count(c.p().reader(), "SELECT max(seq) FROM access_log");
    let found = c.doc("patient.search", json!({"query": "quillfeather"}));
    assert_eq!(arr(&found).len(), 1);
    // Who saw which chart: the demographics a search shows are a disclosure of that chart.
    let named = count(
        c.p().reader(),
        &format!("SELECT count(*) FROM access_log WHERE seq > {before} AND (patient = '{p}' OR detail LIKE '%{p}%')"),
    );
    assert!(
        named >= 1,
        "the search's access-log entry does not say which patient was shown"
    );
}
