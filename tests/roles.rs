//! Roles and clinical integrity: who may retract a signed note, who sets the signature,
//! what a conflict's resolution and listing may do, that denied and failed attempts are
//! logged, that a role change takes effect at once, and that every edit names the version
//! it was made on.

mod support;

use chartkeep::api;
use serde_json::{json, Value as Json};
use support::{arr, call, call_err, clinic, count, create_user, id, login, s, Clinic};

const NURSE: &str = "nurse.kim";
const NURSE_PW: &str = "nurse-password-1";
const OTHER_DOC: &str = "dr.other";
const OTHER_PW: &str = "other-password-1";

/// A clinic with a nurse and a second clinician, and one patient with a signed note by
/// drlee. Returns the patient and the note (as signed).
fn clinic_with_signed_note(seed: u64) -> (Clinic, String, Json) {
    let mut c = clinic(seed);
    let (p, admin) = (&mut c.env.practice, &mut c.admin);
    create_user(p, admin, NURSE, "nurse", NURSE_PW);
    create_user(p, admin, OTHER_DOC, "clinician", OTHER_PW);
    let patient = c.patient("Signed", &["Sally"], "1970-01-01");
    let draft = c.doc(
        "note.add",
        json!({"patient": patient, "kind": "soap", "subjective": "cough for 3 days", "plan": "fluids"}),
    );
    let signed = c.doc(
        "note.sign",
        json!({"id": id(&draft), "version": draft["version"]}),
    );
    (c, patient, signed)
}

fn access_entries(c: &mut Clinic, action: &str, detail_like: &str) -> i64 {
    let sql = format!(
        "SELECT count(*) FROM access_log WHERE action = '{action}' AND detail LIKE '{detail_like}'"
    );
    count(c.p().reader(), &sql)
}

#[test]
fn a_signed_note_is_retracted_only_by_its_signer_or_an_administrator_and_stays_listed() {
    let (mut c, patient, note) = clinic_with_signed_note(301);
    let retract = json!({"id": id(&note), "version": note["version"], "reason": "wrong patient"});

    let mut nurse = login(c.p(), NURSE, NURSE_PW);
    let e = call_err(c.p(), &mut nurse, "note.retract", retract.clone());
    assert_eq!(e.code, "forbidden", "a nurse: {}", e.message);
    let mut other = login(c.p(), OTHER_DOC, OTHER_PW);
    let e = call_err(c.p(), &mut other, "note.retract", retract.clone());
    assert_eq!(e.code, "forbidden", "another clinician: {}", e.message);
    let e = c.doc_err(
        "note.retract",
        json!({"id": id(&note), "version": note["version"]}),
    );
    assert_eq!(e.code, "invalid_input", "no reason: {}", e.message);

    // An administrator may, with a reason; the note stays in the list, struck through.
    let out = c.admin("note.retract", retract);
    assert_eq!(out["retracted"], true);
    assert_eq!(out["retract_reason"], "wrong patient");
    let listed = c.doc("note.list", json!({"patient": patient}));
    let row = arr(&listed)
        .iter()
        .find(|n| n["id"] == note["id"])
        .expect("a retracted signed note is still listed");
    assert_eq!(
        (row["retracted"].as_bool(), row["status"].as_str()),
        (Some(true), Some("signed"))
    );
    assert_eq!(row["retract_reason"], "wrong patient");

    // A draft is retracted by anyone who writes the chart, and leaves the list.
    let draft = c.doc("note.add", json!({"patient": patient, "text": "scratch"}));
    call(
        c.p(),
        &mut nurse,
        "note.retract",
        json!({"id": id(&draft), "version": draft["version"], "reason": "duplicate"}),
    );
    let listed = c.doc("note.list", json!({"patient": patient}));
    assert!(arr(&listed).iter().all(|n| n["id"] != draft["id"]));
}

#[test]
fn the_signer_may_retract_their_own_signed_note() {
    let (mut c, _, note) = clinic_with_signed_note(302);
    let out = c.doc(
        "note.retract",
        json!({"id": id(&note), "version": note["version"], "reason": "signed on the wrong visit"}),
    );
    assert_eq!(out["retracted"], true);
}

#[test]
fn signing_fields_are_set_only_by_note_sign_to_the_caller_and_the_engine_clock() {
    let (mut c, patient, signed) = clinic_with_signed_note(303);
    for field in ["signed_by", "signed_at", "signed_digest"] {
        let mut req = json!({"patient": patient, "text": "forged"});
        req[field] = json!(if field == "signed_at" {
            "2026-01-01T00:00:00Z"
        } else {
            "someone"
        });
        let e = c.doc_err("note.add", req.clone());
        assert_eq!(e.code, "invalid_input", "add with {field}: {}", e.message);
        assert!(e.message.contains(field), "{}", e.message);

        let draft = c.doc("note.add", json!({"patient": patient, "text": "draft"}));
        let mut upd = json!({"id": id(&draft), "version": draft["version"]});
        upd[field] = req[field].clone();
        let e = c.doc_err("note.update", upd);
        assert_eq!(
            e.code, "invalid_input",
            "update with {field}: {}",
            e.message
        );
    }
    let doc_id = c.doc.user.id.to_string();
    assert_eq!(
        signed["signed_by"],
        doc_id.as_str(),
        "the signer is the caller"
    );
    assert_eq!(
        signed["signed_at"],
        support::START,
        "the engine's clock, not the caller's"
    );
    assert_eq!(
        signed["signed_digest"]
            .as_str()
            .map(str::len)
            .unwrap_or_default(),
        64,
        "a SHA-256 digest of the signed content: {signed}"
    );
}

#[test]
fn conflict_resolution_needs_the_edit_permission_and_passes_validation() {
    let (mut c, patient, _) = clinic_with_signed_note(304);
    let allergy = c.doc(
        "allergy.add",
        json!({"patient": patient, "substance": "penicillin", "severity": "mild"}),
    );
    // Two edits made on the same version: a conflict, as two workstations would make.
    for severity in ["moderate", "severe"] {
        c.doc(
            "allergy.update",
            json!({"id": id(&allergy), "version": allergy["version"], "severity": severity}),
        );
    }
    let e = c.doc_err(
        "conflict.resolve",
        json!({"row": id(&allergy), "field": "severity", "value": "apocalyptic"}),
    );
    assert_eq!(
        e.code, "invalid_input",
        "a value an edit refuses: {}",
        e.message
    );
    // The administrator settles conflicts but does not write the chart.
    let e = c.admin_err(
        "conflict.resolve",
        json!({"row": id(&allergy), "field": "severity", "value": "severe"}),
    );
    assert_eq!(e.code, "forbidden", "{}", e.message);
    let out = c.doc(
        "conflict.resolve",
        json!({"row": id(&allergy), "field": "severity", "value": "severe"}),
    );
    assert_eq!(out["severity"], "severe");

    // A user's role and password hash: values an account edit would refuse are refused.
    let users = c.admin("user.list", json!({}));
    let nurse = arr(&users)
        .iter()
        .find(|u| u["name"] == NURSE)
        .expect("nurse")
        .clone();
    for role in ["billing", "front_desk"] {
        c.admin(
            "user.update",
            json!({"name": NURSE, "version": nurse["version"], "role": role}),
        );
    }
    for pw in ["first-new-password", "second-new-password"] {
        c.admin(
            "user.update",
            json!({"name": NURSE, "version": nurse["version"], "password": pw}),
        );
    }
    let row = id(&nurse);
    let e = c.admin_err(
        "conflict.resolve",
        json!({"row": row, "field": "role", "value": "superuser"}),
    );
    assert_eq!(e.code, "invalid_input", "{}", e.message);
    let e = c.admin_err(
        "conflict.resolve",
        json!({"row": row, "field": "password_hash", "value": "pbkdf2-sha256$600000$00$00"}),
    );
    assert_eq!(
        e.code, "invalid_input",
        "a free password hash: {}",
        e.message
    );
    let e = c.doc_err(
        "conflict.resolve",
        json!({"row": row, "field": "role", "value": "clinician"}),
    );
    assert_eq!(
        e.code, "forbidden",
        "a clinician on an account: {}",
        e.message
    );
    let out = c.admin(
        "conflict.resolve",
        json!({"row": row, "field": "role", "value": "billing"}),
    );
    assert_eq!(out["role"], "billing");
}

#[test]
fn conflict_list_shows_only_what_the_role_may_read_never_secrets_and_logs_each_chart() {
    let (mut c, patient, _) = clinic_with_signed_note(305);
    let users = c.admin("user.list", json!({}));
    let nurse = arr(&users)
        .iter()
        .find(|u| u["name"] == NURSE)
        .expect("nurse")
        .clone();
    for pw in ["first-new-password", "second-new-password"] {
        c.admin(
            "user.update",
            json!({"name": NURSE, "version": nurse["version"], "password": pw}),
        );
    }
    let med = c.doc(
        "medication.add",
        json!({"patient": patient, "name": "Metformin", "dose": "500 mg"}),
    );
    for dose in ["1000 mg", "850 mg"] {
        c.doc(
            "medication.update",
            json!({"id": id(&med), "version": med["version"], "dose": dose}),
        );
    }

    let admin_view = c.admin("conflict.list", json!({}));
    let pw = arr(&admin_view)
        .iter()
        .find(|x| x["field"] == "password_hash")
        .expect("the administrator sees the account conflict");
    assert!(
        !pw.to_string().contains("pbkdf2"),
        "no password hash is ever shown: {pw}"
    );
    assert!(
        arr(&admin_view).iter().all(|x| x["entity"] != "medication"),
        "an administrator does not read the chart"
    );

    let before = count(
        c.p().reader(),
        &format!("SELECT count(*) FROM access_log WHERE category = 'conflicts' AND patient = '{patient}'"),
    );
    let doc_view = c.doc("conflict.list", json!({}));
    assert!(arr(&doc_view).iter().any(|x| x["entity"] == "medication"));
    assert!(
        arr(&doc_view).iter().all(|x| x["entity"] != "user"),
        "a clinician does not see accounts"
    );
    let after = count(
        c.p().reader(),
        &format!("SELECT count(*) FROM access_log WHERE category = 'conflicts' AND patient = '{patient}'"),
    );
    assert_eq!(after, before + 1, "the chart shown is logged");

    let mut front = {
        let (p, a) = (&mut c.env.practice, &mut c.admin);
        create_user(p, a, "desk.joe", "front_desk", "front-desk-pass-1");
        login(p, "desk.joe", "front-desk-pass-1")
    };
    let desk_view = call(c.p(), &mut front, "conflict.list", json!({}));
    assert!(
        arr(&desk_view).is_empty(),
        "front desk sees no clinical conflicts: {desk_view}"
    );
}

#[test]
fn denied_and_failed_commands_are_logged() {
    let (mut c, patient, note) = clinic_with_signed_note(306);
    let mut nurse = login(c.p(), NURSE, NURSE_PW);
    let before = access_entries(&mut c, "denied", "note.sign%");
    let e = call_err(
        c.p(),
        &mut nurse,
        "note.sign",
        json!({"id": id(&note), "version": note["version"]}),
    );
    assert_eq!(e.code, "forbidden");
    assert_eq!(access_entries(&mut c, "denied", "note.sign%"), before + 1);
    let logged: String = c
        .p()
        .reader()
        .query_row(
            "SELECT patient FROM access_log WHERE action = 'denied' ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("the denied attempt names the chart");
    assert_eq!(logged, patient);

    let before = access_entries(&mut c, "failed", "medication.add: invalid_input");
    c.doc_err("medication.add", json!({"patient": patient}));
    assert_eq!(
        access_entries(&mut c, "failed", "medication.add: invalid_input"),
        before + 1
    );
}

#[test]
fn backup_needs_an_administrator_and_is_logged() {
    let (mut c, _, _) = clinic_with_signed_note(307);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("practice.ckbackup");
    let e = api::backup(
        &mut c.env.practice,
        &mut c.doc,
        &file,
        &ring::rand::SystemRandom::new(),
    )
    .expect_err("a clinician");
    assert_eq!(e.code, "forbidden");
    assert!(!file.exists(), "nothing is written");
    assert_eq!(access_entries(&mut c, "denied", "practice.backup%"), 1);
    api::backup(
        &mut c.env.practice,
        &mut c.admin,
        &file,
        &ring::rand::SystemRandom::new(),
    )
    .expect("an administrator");
    assert!(file.exists());
    assert_eq!(access_entries(&mut c, "export", "backup to %"), 1);
}

#[test]
fn a_disabled_or_demoted_user_loses_rights_on_the_next_command() {
    let (mut c, patient, _) = clinic_with_signed_note(308);
    let mut other = login(c.p(), OTHER_DOC, OTHER_PW);
    call(
        c.p(),
        &mut other,
        "chart.summary",
        json!({"patient": patient}),
    );
    let users = c.admin("user.list", json!({}));
    let row = arr(&users)
        .iter()
        .find(|u| u["name"] == OTHER_DOC)
        .expect("listed")
        .clone();
    let demoted = c.admin(
        "user.update",
        json!({"name": OTHER_DOC, "version": row["version"], "role": "front_desk"}),
    );
    let e = call_err(
        c.p(),
        &mut other,
        "chart.summary",
        json!({"patient": patient}),
    );
    assert_eq!(e.code, "forbidden", "demoted mid-session: {}", e.message);
    c.admin(
        "user.update",
        json!({"name": OTHER_DOC, "version": demoted["version"], "active": false}),
    );
    let e = call_err(c.p(), &mut other, "patient.get", json!({"id": patient}));
    assert_eq!(e.code, "account_disabled", "{}", e.message);
    assert!(other.is_locked(), "a disabled account's session locks");
}

#[test]
fn an_edit_without_the_version_it_was_made_on_is_refused() {
    let (mut c, patient, note) = clinic_with_signed_note(309);
    let med = c.doc(
        "medication.add",
        json!({"patient": patient, "name": "Aspirin", "dose": "81 mg"}),
    );
    let draft = c.doc("note.add", json!({"patient": patient, "text": "draft"}));
    let order = c.doc(
        "order.add",
        json!({"patient": patient, "kind": "lab", "description": "HbA1c"}),
    );
    let commits = c.commits();
    for (command, args) in [
        (
            "medication.update",
            json!({"id": id(&med), "dose": "325 mg"}),
        ),
        (
            "medication.retract",
            json!({"id": id(&med), "reason": "duplicate"}),
        ),
        ("patient.update", json!({"id": patient, "preferred": "Sal"})),
        ("note.sign", json!({"id": id(&draft)})),
        (
            "order.result",
            json!({"id": id(&order), "summary": "6.1 %"}),
        ),
        (
            "note.retract",
            json!({"id": id(&note), "reason": "wrong chart"}),
        ),
    ] {
        let e = c.doc_err(command, args);
        support::assert_error(&e, "invalid_input", "version");
    }
    let e = c.admin_err("user.update", json!({"name": NURSE, "role": "billing"}));
    support::assert_error(&e, "invalid_input", "version");
    c.admin(
        "setting.set",
        json!({"name": "idle_lock_minutes", "value": "15"}),
    );
    let e = c.admin_err(
        "setting.set",
        json!({"name": "idle_lock_minutes", "value": "20"}),
    );
    support::assert_error(&e, "invalid_input", "version");
    let settings = c.admin("setting.list", json!({}));
    let idle = arr(&settings)
        .iter()
        .find(|x| x["name"] == "idle_lock_minutes")
        .expect("listed");
    c.admin(
        "setting.set",
        json!({"name": "idle_lock_minutes", "value": "20", "version": idle["version"]}),
    );
    assert_eq!(
        c.commits(),
        commits + 2,
        "only the two good settings were saved"
    );
    assert_eq!(s(&c.admin("setting.list", json!({}))[0], "value"), "20");
}

#[test]
fn the_last_active_administrator_cannot_be_demoted_or_disabled() {
    let mut c = clinic(310);
    let users = c.admin("user.list", json!({}));
    let admin = arr(&users)
        .iter()
        .find(|u| u["name"] == support::ADMIN)
        .expect("admin")
        .clone();
    for change in [json!({"role": "clinician"}), json!({"active": false})] {
        let mut req = json!({"name": support::ADMIN, "version": admin["version"]});
        for (k, v) in change.as_object().expect("object") {
            req[k] = v.clone();
        }
        let e = c.admin_err("user.update", req);
        assert_eq!(e.code, "invalid_input", "{}", e.message);
        assert!(
            e.message.contains("only active administrator"),
            "{}",
            e.message
        );
    }
    // With a second administrator, the first may step down.
    let (p, a) = (&mut c.env.practice, &mut c.admin);
    create_user(p, a, "second.admin", "administrator", "second-admin-pass");
    let out = c.admin(
        "user.update",
        json!({"name": support::ADMIN, "version": admin["version"], "role": "clinician"}),
    );
    assert_eq!(out["role"], "clinician");
}
