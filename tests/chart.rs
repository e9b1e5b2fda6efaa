//! The clinical record through `api::call`: every kind of record and command, patient
//! search, codes, summary, timeline, vitals, labs, orders, notes, documents, and bad input
//! that must be refused with nothing written.

mod support;

use chartkeep::api::ApiError;
use chartkeep::chart::RECORD_KINDS;
use serde_json::{json, Value as Json};
use support::{arr, assert_error, b64, id, png_bytes, s, shared, Clinic};

/// Numbers compare by value (72 and 72.0 are the same measurement), everything else exactly.
fn same(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// A valid record of each kind and a valid edit of it. A new kind of record fails here
/// until it gets a sample, so no kind goes untested.
fn samples(kind: &str) -> (Json, Json) {
    match kind {
        "coverage" => (
            json!({"payer": "Acme Health", "member_id": "M-1001", "relation": "self", "priority": 1}),
            json!({"group_number": "G-77"}),
        ),
        "problem" => (
            json!({"code": "I10", "onset_date": "2015-04-01"}),
            json!({"note": "well controlled"}),
        ),
        "medication" => (
            json!({"name": "Lisinopril", "dose": "10 mg", "route": "oral", "frequency": "daily", "start_date": "2015-04-02"}),
            json!({"dose": "20 mg"}),
        ),
        "allergy" => (
            json!({"substance": "Penicillin", "category": "medication", "reactions": ["hives"], "severity": "moderate"}),
            json!({"severity": "severe"}),
        ),
        "immunization" => (
            json!({"cvx": "140", "date": "2025-10-01", "lot": "AB12"}),
            json!({"site": "left deltoid"}),
        ),
        "encounter" => (
            json!({"start": "2026-10-01T09:00:00Z", "type": "office visit", "location": "Room 3"}),
            json!({"end": "2026-10-01T09:30:00Z"}),
        ),
        "observation" => (
            json!({"code": "8867-4", "value_num": 72, "effective": "2026-10-01T09:05:00Z"}),
            json!({"value_num": 74}),
        ),
        "note" => (
            json!({"kind": "soap", "title": "Follow-up", "subjective": "feels well"}),
            json!({"plan": "return in 3 months"}),
        ),
        "order" => (
            json!({"kind": "lab", "description": "Hemoglobin A1c", "code": "4548-4"}),
            json!({"description": "Hemoglobin A1c, fasting"}),
        ),
        "procedure" => (
            json!({"description": "Appendectomy", "date": "2010-05-05", "surgical": true}),
            json!({"performer": "Dr. Smith"}),
        ),
        "hospitalization" => (
            json!({"admit_date": "2019-02-01", "discharge_date": "2019-02-05", "facility": "General Hospital"}),
            json!({"note": "pneumonia"}),
        ),
        "family_history" => (
            json!({"relative": "mother", "condition": "breast cancer", "onset_age": 52}),
            json!({"deceased": true}),
        ),
        "social_history" => (
            json!({"tobacco_status": "former", "alcohol_status": "occasional", "recorded_date": "2026-10-01"}),
            json!({"alcohol_drinks_per_week": 2.0}),
        ),
        "decline" => (
            json!({"rule": "colorectal_cancer_screening", "date": "2026-10-01", "reason": "not now"}),
            json!({"reason": "wants to talk it over at the next visit"}),
        ),
        "document" => (
            json!({"title": "Referral letter", "content": b64(&png_bytes()), "date": "2026-10-01"}),
            // The file is sent again: see document_title_can_change_without_resending_the_file.
            json!({"title": "Referral letter (signed)", "content": b64(&png_bytes())}),
        ),
        other => panic!("no sample for the record kind '{other}': add one to samples()"),
    }
}

fn try_call(c: &mut Clinic, command: &str, args: Json) -> Result<Json, String> {
    c.try_doc(command, args.clone())
        .map_err(|e| format!("{command} {args}: {} — {}", e.code, e.message))
}

fn try_err(c: &mut Clinic, command: &str, args: Json) -> Result<ApiError, String> {
    match c.try_doc(command, args.clone()) {
        Ok(v) => Err(format!(
            "{command} should have been refused but returned {v}"
        )),
        Err(e) => Ok(e),
    }
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn with(base: &Json, extra: &[(&str, Json)]) -> Json {
    let mut v = base.clone();
    for (k, x) in extra {
        v[*k] = x.clone();
    }
    v
}

/// add → get → update with version → history → retract → list → update refused.
fn exercise_kind(c: &mut Clinic, kind: &str, patient: &str) -> Result<(), String> {
    let doc_id = c.doc.user.id.to_string();
    let (add, upd) = samples(kind);
    let n0 = c.commits();

    let added = try_call(
        c,
        &format!("{kind}.add"),
        with(&add, &[("patient", json!(patient))]),
    )?;
    check(c.commits() == n0 + 1, || {
        "add did not write exactly one commit".into()
    })?;
    let rid = added
        .get("id")
        .and_then(Json::as_str)
        .ok_or("add returned no id")?
        .to_string();
    let v1 = added.get("version").cloned().unwrap_or(Json::Null);
    check(v1.as_array().is_some_and(|v| !v.is_empty()), || {
        format!("add returned no version: {added}")
    })?;
    let got = try_call(c, &format!("{kind}.get"), json!({"id": rid}))?;
    check(got["patient"] == json!(patient), || {
        format!("get: wrong patient in {got}")
    })?;
    for (k, v) in add.as_object().into_iter().flatten() {
        if k == "content" {
            continue; // Bytes come back through document.content only.
        }
        check(same(&got[k], v), || {
            format!("get: field {k} is {} instead of {v}", got[k])
        })?;
    }

    let updated = try_call(
        c,
        &format!("{kind}.update"),
        with(&upd, &[("id", json!(rid)), ("version", v1.clone())]),
    )?;
    check(c.commits() == n0 + 2, || {
        "update did not write exactly one commit".into()
    })?;
    for (k, v) in upd
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| *k != "content")
    {
        check(same(&updated[k], v), || {
            format!("update: field {k} is {} instead of {v}", updated[k])
        })?;
    }
    let v2 = updated.get("version").cloned().unwrap_or(Json::Null);
    check(
        v2.as_array().is_some_and(|v| !v.is_empty()) && v2 != v1,
        || format!("update returned no new version: {v1} then {v2}"),
    )?;
    let again = try_call(c, &format!("{kind}.get"), json!({"id": rid}))?;
    for (k, v) in add.as_object().into_iter().flatten() {
        if k == "content" || upd.get(k).is_some() {
            continue;
        }
        check(same(&again[k], v), || {
            format!("update changed untouched field {k}")
        })?;
    }

    let hist = try_call(c, &format!("{kind}.history"), json!({"id": rid}))?;
    let h = hist.as_array().ok_or("history is not a list")?;
    check(h.len() == 2, || {
        format!("history should hold 2 changes: {hist}")
    })?;
    check(h[0]["op"] == "create" && h[1]["op"] == "set", || {
        format!("history ops: {hist}")
    })?;
    for e in h {
        check(
            e["author"] == json!(doc_id) && e["author_name"] == "drlee",
            || format!("history author: {e}"),
        )?;
    }
    for k in upd.as_object().into_iter().flatten().map(|(k, _)| k) {
        check(h[1]["fields"].get(k).is_some(), || {
            format!("history of the update lacks {k}: {}", h[1])
        })?;
    }

    let e = try_err(
        c,
        &format!("{kind}.retract"),
        json!({"id": rid, "version": v2}),
    )?;
    check(
        e.code == "invalid_input" && e.message.contains("reason"),
        || format!("retract without reason: {} {}", e.code, e.message),
    )?;
    let r = try_call(
        c,
        &format!("{kind}.retract"),
        json!({"id": rid, "version": v2, "reason": "entered on the wrong chart"}),
    )?;
    check(
        r["retracted"] == json!(true) && r["retract_reason"] == "entered on the wrong chart",
        || format!("retract result: {r}"),
    )?;
    check(c.commits() == n0 + 3, || {
        "retract did not write exactly one commit".into()
    })?;
    let listed = try_call(c, &format!("{kind}.list"), json!({"patient": patient}))?;
    check(
        !listed
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| x["id"] == json!(rid)),
        || "a retracted record is still listed by default".into(),
    )?;
    let all = try_call(
        c,
        &format!("{kind}.list"),
        json!({"patient": patient, "include_retracted": true}),
    )?;
    let kept = all
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["id"] == json!(rid))
        .cloned();
    check(
        kept.as_ref().is_some_and(|k| k["retracted"] == json!(true)),
        || format!("include_retracted should return the retracted record: {all}"),
    )?;
    let e = try_err(
        c,
        &format!("{kind}.update"),
        with(&upd, &[("id", json!(rid))]),
    )?;
    check(e.code == "record_immutable", || {
        format!("update after retract: {} {}", e.code, e.message)
    })?;
    let hist = try_call(c, &format!("{kind}.history"), json!({"id": rid}))?;
    check(
        hist.as_array()
            .is_some_and(|h| h.len() == 3 && h[2]["op"] == "retract"),
        || format!("history after retract: {hist}"),
    )?;
    check(c.commits() == n0 + 3, || {
        "a refused command wrote a commit".into()
    })?;
    Ok(())
}

#[test]
fn every_record_kind_supports_add_get_update_history_retract() {
    let mut c = shared();
    let patient = c.patient("Everykind", &["Rita"], "1980-01-01");
    let mut failures = Vec::new();
    for def in RECORD_KINDS {
        if let Err(e) = exercise_kind(&mut c, def.name, &patient) {
            failures.push(format!("{}: {e}", def.name));
        }
    }
    assert!(
        failures.is_empty(),
        "record kinds that failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn patient_create_returns_id_and_mrn_and_search_finds_by_every_key() {
    let mut c = shared();
    let ana = c.doc(
        "patient.create",
        json!({"family": "García", "given": ["Ana", "María"], "birth_date": "1984-03-07", "sex": "female", "phones": ["555-123-4567"]}),
    );
    let ana_id = id(&ana);
    let mrn = s(&ana, "mrn");
    assert!(
        !mrn.is_empty() && mrn.chars().all(|c| c.is_ascii_digit()),
        "mrn: {mrn}"
    );
    assert_eq!(ana["family"], "García");
    assert_eq!(ana["given"], json!(["Ana", "María"]));
    assert_eq!(ana["birth_date"], "1984-03-07");
    assert_eq!(ana["sex"], "female");
    let luis = id(&c.doc(
        "patient.create",
        json!({"family": "Garcia", "given": ["Luis"], "birth_date": "1979-11-23", "sex": "male", "phones": ["(555) 987-6543"]}),
    ));
    let jose = c.doc(
        "patient.create",
        json!({"family": "Nuñez", "given": ["José"], "birth_date": "1990-06-15", "sex": "male"}),
    );
    assert_ne!(s(&jose, "mrn"), mrn, "every patient gets their own MRN");
    let jose = id(&jose);

    let cases: &[(&str, &[&str])] = &[
        ("ana garcía", &[&ana_id]),
        ("garcia ana", &[&ana_id]),
        ("García, Ana", &[&ana_id]),
        ("gar an", &[&ana_id]),
        ("maria garcia", &[&ana_id]),
        ("MARÍA", &[&ana_id]),
        ("garcía luis", &[&luis]),
        ("garcia", &[&ana_id, &luis]),
        ("nunez jose", &[&jose]),
        ("NÚÑEZ", &[&jose]),
        ("1984-03-07", &[&ana_id]),
        ("03/07/1984", &[&ana_id]),
        ("7.3.1984", &[&ana_id]),
        ("garcia 1984-03-07", &[&ana_id]),
        ("5551234567", &[&ana_id]),
        ("555-123-4567", &[&ana_id]),
        ("(555) 123-4567", &[&ana_id]),
        ("1234567", &[&ana_id]),
        ("4567", &[&ana_id]),
        ("6543", &[&luis]),
        // Nothing matches these.
        ("smith", &[]),
        ("garcia luisa", &[]),
        ("ana 1979-11-23", &[]),
        ("1984-03-08", &[]),
        ("9999", &[]),
    ];
    let mut failures = Vec::new();
    for (query, want) in cases {
        let found = c.doc("patient.search", json!({"query": query}));
        let mut got: Vec<String> = arr(&found).iter().map(id).collect();
        got.sort();
        let mut want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
        want.sort();
        if got != want {
            failures.push(format!("{query:?}: found {got:?}, expected {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "searches that went wrong:\n{}",
        failures.join("\n")
    );
    let found = c.doc("patient.search", json!({"query": "ana garcia"}));
    assert_eq!(arr(&found)[0]["name"], "García, Ana María");
}

#[test]
fn every_assigned_mrn_finds_its_patient() {
    // A practice of its own, so the MRNs handed out are known: 0000001, 0000002, ...
    let mut env = support::practice(support::next_seed());
    let mut admin = support::login(&mut env.practice, support::ADMIN, support::ADMIN_PW);
    let mut patients = Vec::new();
    for i in 0..15 {
        let p = support::call(
            &mut env.practice,
            &mut admin,
            "patient.create",
            json!({"family": format!("Mrn{i}"), "given": ["Test"], "birth_date": "2000-01-01", "sex": "unknown"}),
        );
        patients.push((id(&p), s(&p, "mrn")));
    }
    assert_eq!(patients[10].1, "0000011", "MRNs are sequential");
    let mut failures = Vec::new();
    for (pid, mrn) in &patients {
        let found = support::call(
            &mut env.practice,
            &mut admin,
            "patient.search",
            json!({"query": mrn}),
        );
        let ids: Vec<String> = arr(&found).iter().map(id).collect();
        if ids != [pid.clone()] {
            failures.push(format!("MRN {mrn} found {ids:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "patients not found by their MRN:\n{}",
        failures.join("\n")
    );
}

#[test]
fn problem_codes_are_checked_against_icd10() {
    let mut c = shared();
    let p = c.patient("Okafor", &["Chidi"], "1970-02-02");
    let a = c.doc("problem.add", json!({"patient": p, "code": "E11.9"}));
    assert_eq!(a["code"], "E11.9");
    assert_eq!(
        a["display"],
        "Type 2 diabetes mellitus without complications"
    );
    assert_eq!(a["status"], "active");
    let b = c.doc("problem.add", json!({"patient": p, "code": "e119"}));
    assert_eq!(
        b["code"], "E11.9",
        "the code is stored in its canonical form"
    );
    assert_eq!(
        b["display"],
        "Type 2 diabetes mellitus without complications"
    );
    // A display the clinician typed is kept.
    let d = c.doc(
        "problem.add",
        json!({"patient": p, "code": "I10", "display": "HTN"}),
    );
    assert_eq!(d["display"], "HTN");

    let before = c.commits();
    for bad in ["E11.999", "E11.99999", "ZZZ", "11.9"] {
        let e = c.doc_err("problem.add", json!({"patient": p, "code": bad}));
        assert_error(&e, "invalid_code", "code");
        assert!(
            e.message.contains(bad),
            "the message should quote {bad}: {}",
            e.message
        );
    }
    let e = c.doc_err(
        "problem.update",
        json!({"id": id(&a), "version": a["version"], "code": "E11.999"}),
    );
    assert_error(&e, "invalid_code", "code");
    assert_eq!(c.commits(), before, "a refused code wrote nothing");
    let list = c.doc("problem.list", json!({"patient": p}));
    assert_eq!(arr(&list).len(), 3);
    assert_eq!(c.doc("problem.get", json!({"id": id(&a)}))["code"], "E11.9");
}

#[test]
fn chart_summary_shows_active_problems_meds_allergies_and_latest_vitals() {
    let mut c = shared();
    let p = c.patient("Lindqvist", &["Eva"], "1965-05-05");
    c.doc(
        "problem.add",
        json!({"patient": p, "code": "I10", "onset_date": "2010-01-01"}),
    );
    c.doc(
        "problem.add",
        json!({"patient": p, "code": "E78.5", "status": "resolved", "onset_date": "2011-01-01", "resolved_date": "2012-01-01"}),
    );
    let wrong = c.doc("problem.add", json!({"patient": p, "code": "J45.909"}));
    c.doc(
        "problem.retract",
        json!({"id": id(&wrong), "version": wrong["version"], "reason": "wrong patient"}),
    );
    c.doc(
        "medication.add",
        json!({"patient": p, "name": "Lisinopril", "dose": "10 mg"}),
    );
    c.doc(
        "medication.add",
        json!({"patient": p, "name": "Atorvastatin", "status": "stopped"}),
    );
    c.doc(
        "allergy.add",
        json!({"patient": p, "substance": "Peanut", "category": "food", "severity": "severe"}),
    );
    c.doc(
        "vitals.record",
        json!({"patient": p, "effective": "2026-10-01T09:00:00Z", "systolic": 130, "diastolic": 85}),
    );
    c.doc(
        "vitals.record",
        json!({"patient": p, "effective": "2026-10-20T09:00:00Z", "systolic": 125, "diastolic": 80, "heart_rate": 66}),
    );
    let e = c.doc_err("allergy.none", json!({"patient": p}));
    assert_error(&e, "invalid_input", "allergies");

    let sum = c.doc("chart.summary", json!({"patient": p}));
    assert_eq!(sum["patient"]["id"], json!(p));
    assert_eq!(sum["patient"]["name"], "Lindqvist, Eva");
    let problems: Vec<&str> = arr(&sum["problems"])
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(
        problems,
        ["I10"],
        "only active problems, no resolved or retracted ones"
    );
    let meds: Vec<&str> = arr(&sum["medications"])
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert_eq!(meds, ["Lisinopril"]);
    let allergies: Vec<&str> = arr(&sum["allergies"])
        .iter()
        .filter_map(|x| x["substance"].as_str())
        .collect();
    assert_eq!(allergies, ["Peanut"]);
    assert_eq!(sum["no_known_allergies"], json!(false));
    let vital = |code: &str| {
        arr(&sum["vitals"])
            .iter()
            .find(|v| v["code"] == code)
            .unwrap_or_else(|| panic!("no vital {code} in {}", sum["vitals"]))
            .clone()
    };
    assert!(
        same(&vital("8480-6")["value_num"], &json!(125)),
        "latest systolic"
    );
    assert_eq!(vital("8480-6")["effective"], "2026-10-20T09:00:00Z");
    assert!(
        same(&vital("8462-4")["value_num"], &json!(80)),
        "latest diastolic"
    );
    assert!(same(&vital("8867-4")["value_num"], &json!(66)));
    assert_eq!(sum["open_conflicts"], json!(0));

    let q = c.patient("Moreau", &["Lea"], "1992-09-09");
    let before = c.doc("chart.summary", json!({"patient": q}));
    assert_eq!(
        before["no_known_allergies"],
        json!(false),
        "nothing recorded is not 'no known allergies'"
    );
    let nka = c.doc("allergy.none", json!({"patient": q}));
    assert_eq!(nka["no_known"], json!(true));
    let sum = c.doc("chart.summary", json!({"patient": q}));
    assert_eq!(sum["no_known_allergies"], json!(true));
    assert_eq!(arr(&sum["allergies"]).len(), 1);
}

#[test]
fn timeline_is_newest_first_and_filters_by_kind_and_date() {
    let mut c = shared();
    let p = c.patient("Tanaka", &["Hiro"], "1950-01-01");
    c.doc(
        "encounter.add",
        json!({"patient": p, "start": "2024-05-01T10:00:00Z", "type": "office visit"}),
    );
    c.doc(
        "problem.add",
        json!({"patient": p, "code": "E11.9", "onset_date": "2022-03-01"}),
    );
    c.doc(
        "medication.add",
        json!({"patient": p, "name": "Metformin", "start_date": "2023-06-01"}),
    );
    c.doc(
        "immunization.add",
        json!({"patient": p, "cvx": "140", "date": "2025-01-15"}),
    );
    c.doc(
        "observation.add",
        json!({"patient": p, "code": "8867-4", "value_num": 70, "effective": "2021-08-08T08:00:00Z"}),
    );
    let gone = c.doc(
        "encounter.add",
        json!({"patient": p, "start": "2024-06-01T10:00:00Z"}),
    );
    c.doc(
        "encounter.retract",
        json!({"id": id(&gone), "version": gone["version"], "reason": "duplicate"}),
    );

    let kinds = |t: &Json| -> Vec<String> { arr(t).iter().map(|e| s(e, "kind")).collect() };
    let t = c.doc("chart.timeline", json!({"patient": p}));
    assert_eq!(
        kinds(&t),
        [
            "immunization",
            "encounter",
            "medication",
            "problem",
            "observation"
        ],
        "newest first: {t}"
    );
    let dates: Vec<String> = arr(&t).iter().map(|e| s(e, "date")).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    let t = c.doc(
        "chart.timeline",
        json!({"patient": p, "kinds": ["encounter", "problem"]}),
    );
    assert_eq!(kinds(&t), ["encounter", "problem"]);
    let t = c.doc(
        "chart.timeline",
        json!({"patient": p, "from": "2023-01-01", "to": "2024-12-31"}),
    );
    assert_eq!(kinds(&t), ["encounter", "medication"]);
    let t = c.doc("chart.timeline", json!({"patient": p, "to": "2024-05-01"}));
    assert_eq!(
        kinds(&t),
        ["encounter", "medication", "problem", "observation"],
        "'to' takes the whole day"
    );
    let t = c.doc(
        "chart.timeline",
        json!({"patient": p, "from": "2025-01-15"}),
    );
    assert_eq!(kinds(&t), ["immunization"], "'from' is inclusive");
    let e = c.doc_err(
        "chart.timeline",
        json!({"patient": p, "kinds": ["horoscope"]}),
    );
    assert_error(&e, "invalid_input", "kinds");
}

#[test]
fn observation_series_is_oldest_first() {
    let mut c = shared();
    let p = c.patient("Svensson", &["Nils"], "1955-04-04");
    for (when, v) in [
        ("2026-03-01T09:00:00Z", 120),
        ("2025-01-01T09:00:00Z", 140),
        ("2026-07-01T09:00:00Z", 118),
    ] {
        c.doc(
            "observation.add",
            json!({"patient": p, "code": "8480-6", "value_num": v, "effective": when}),
        );
    }
    let wrong = c.doc(
        "observation.add",
        json!({"patient": p, "code": "8480-6", "value_num": 300, "effective": "2026-05-01T09:00:00Z"}),
    );
    c.doc(
        "observation.retract",
        json!({"id": id(&wrong), "version": wrong["version"], "reason": "wrong patient"}),
    );
    c.doc(
        "observation.add",
        json!({"patient": p, "code": "8462-4", "value_num": 80, "effective": "2026-04-01T09:00:00Z"}),
    );
    let series = c.doc(
        "observation.series",
        json!({"patient": p, "code": "8480-6"}),
    );
    let points: Vec<(String, f64)> = arr(&series)
        .iter()
        .map(|x| (s(x, "effective"), x["value_num"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        points,
        [
            ("2025-01-01T09:00:00Z".to_string(), 140.0),
            ("2026-03-01T09:00:00Z".to_string(), 120.0),
            ("2026-07-01T09:00:00Z".to_string(), 118.0)
        ]
    );
    let series = c.doc(
        "observation.series",
        json!({"patient": p, "code": "8480-6", "from": "2026-01-01"}),
    );
    assert_eq!(arr(&series).len(), 2);
}

#[test]
fn vitals_form_is_one_commit_with_bmi_and_implausible_values_are_refused() {
    let mut c = shared();
    let p = c.patient("Kowalski", &["Jan"], "1988-08-08");
    let before = c.commits();
    let saved = c.doc(
        "vitals.record",
        json!({"patient": p, "effective": "2026-10-30T09:30:00Z", "systolic": 128, "diastolic": 82,
               "heart_rate": 72, "height": 170, "weight": 72.5}),
    );
    assert_eq!(c.commits(), before + 1, "the whole form is one commit");
    let obs = arr(&saved);
    assert_eq!(obs.len(), 6, "five measures and the BMI: {saved}");
    let bmi = obs
        .iter()
        .find(|o| o["code"] == "39156-5")
        .expect("a BMI observation");
    assert!(
        same(&bmi["value_num"], &json!(25.1)),
        "BMI of 170 cm / 72.5 kg: {bmi}"
    );
    assert_eq!(bmi["unit"], "kg/m2");
    let panel = &obs[0]["panel_id"];
    assert!(panel.is_string());
    for o in obs {
        assert_eq!(&o["panel_id"], panel, "one form, one panel");
        assert_eq!(o["effective"], "2026-10-30T09:30:00Z");
        assert_eq!(o["category"], "vital");
        assert_eq!(o["patient"], json!(p));
    }
    let changes = support::count(
        c.p().reader(),
        "SELECT count(*) FROM ledger_change WHERE commit_ord = (SELECT max(ord) FROM ledger_commit)",
    );
    assert_eq!(changes, 6);

    let before = c.commits();
    let bad = [
        (json!({"systolic": 400, "diastolic": 80}), "systolic"),
        (json!({"heart_rate": 5}), "heart_rate"),
        (json!({"weight": 0}), "weight"),
        (json!({"temperature": 50}), "temperature"),
        (json!({"systolic": 80, "diastolic": 120}), "diastolic"),
        (json!({"systolic": 120}), "diastolic"),
        (json!({"heart_rate": "fast"}), "heart_rate"),
        (json!({"heart_rate": 70, "pulse": 70}), "pulse"),
        (
            json!({"heart_rate": 70, "effective": "2027-01-01T00:00:00Z"}),
            "effective",
        ),
        (json!({}), "vitals"),
    ];
    for (form, field) in bad {
        let mut args = form.clone();
        args["patient"] = json!(p);
        let e = c.doc_err("vitals.record", args);
        assert_error(&e, "invalid_input", field);
    }
    assert_eq!(c.commits(), before, "refused vitals wrote nothing");
}

#[test]
fn lab_results_are_flagged_from_reference_ranges() {
    let mut c = shared();
    let p = c.patient("Dubois", &["Marc"], "1971-01-21");
    let before = c.commits();
    let saved = c.doc(
        "labs.record",
        json!({"patient": p, "panel": "24321-2", "effective": "2026-10-29T08:00:00Z", "results": [
            {"code": "2345-7", "value_num": 120, "unit": "mg/dL", "ref_low": 70, "ref_high": 99},
            {"code": "2823-3", "value_num": 3.0, "unit": "mmol/L", "ref_low": 3.5, "ref_high": 5.1},
            {"code": "2951-2", "value_num": 140, "unit": "mmol/L", "ref_low": 136, "ref_high": 145},
            {"code": "718-7", "value_num": 9.0, "unit": "g/dL", "ref_low": 12, "flag": "LL"}
        ]}),
    );
    assert_eq!(c.commits(), before + 1);
    let flag = |code: &str| {
        arr(&saved)
            .iter()
            .find(|o| o["code"] == code)
            .map(|o| o["flag"].clone())
            .unwrap_or(Json::Null)
    };
    assert_eq!(flag("2345-7"), "H");
    assert_eq!(flag("2823-3"), "L");
    assert_eq!(flag("2951-2"), "N");
    assert_eq!(flag("718-7"), "LL", "a flag given by the lab is kept");
    for o in arr(&saved) {
        assert_eq!(o["category"], "lab");
        assert_eq!(o["panel"], "24321-2");
    }
    let sum = c.doc("chart.summary", json!({"patient": p}));
    assert_eq!(arr(&sum["labs"]).len(), 4);

    let before = c.commits();
    let e = c.doc_err("labs.record", json!({"patient": p, "results": []}));
    assert_error(&e, "invalid_input", "results");
    let bad_code = c.doc_err(
        "labs.record",
        json!({"patient": p, "results": [{"code": "2345-7", "value_num": 90}, {"code": "2345-8", "value_num": 1}]}),
    );
    assert!(
        bad_code.message.contains("results[1]"),
        "names the bad result: {}",
        bad_code.message
    );
    assert_eq!(c.commits(), before, "a bad result saves none of the panel");
    // A bad LOINC code is `invalid_code` through observation.add; a lab form must say the same.
    assert_eq!(bad_code.code, "invalid_code", "{}", bad_code.message);
}

#[test]
fn order_result_completes_the_order_and_links_results() {
    let mut c = shared();
    let p = c.patient("Nakamura", &["Yui"], "1983-03-13");
    let order = c.doc(
        "order.add",
        json!({"patient": p, "kind": "lab", "description": "Hemoglobin A1c", "code": "4548-4"}),
    );
    assert_eq!(order["status"], "ordered");
    let oid = id(&order);
    let sum = c.doc("chart.summary", json!({"patient": p}));
    assert!(
        arr(&sum["orders"]).iter().any(|o| o["id"] == json!(oid)),
        "open orders show"
    );

    let before = c.commits();
    let res = c.doc(
        "order.result",
        json!({"id": oid, "version": order["version"], "effective": "2026-10-31T10:00:00Z", "summary": "above goal",
               "results": [{"code": "4548-4", "value_num": 7.2, "unit": "%", "ref_high": 5.6}]}),
    );
    assert_eq!(
        c.commits(),
        before + 1,
        "results and the order's completion are one commit"
    );
    assert_eq!(res["order"]["status"], "completed");
    assert_eq!(res["order"]["result_summary"], "above goal");
    assert_eq!(res["order"]["result_at"], "2026-10-31T10:00:00Z");
    let results = arr(&res["results"]);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["order_ref"], json!(oid));
    assert_eq!(results[0]["patient"], json!(p));
    assert_eq!(results[0]["flag"], "H");
    let got = c.doc("order.get", json!({"id": oid}));
    assert_eq!(got["status"], "completed");
    let sum = c.doc("chart.summary", json!({"patient": p}));
    assert!(
        !arr(&sum["orders"]).iter().any(|o| o["id"] == json!(oid)),
        "completed orders leave the open list"
    );

    let before = c.commits();
    let e = c.doc_err(
        "order.result",
        json!({"id": oid, "version": got["version"]}),
    );
    assert_error(&e, "invalid_input", "results");
    assert_eq!(c.commits(), before);
}

#[test]
fn signed_notes_are_immutable_and_take_amendments_and_addenda() {
    let mut c = shared();
    let p = c.patient("Haddad", &["Omar"], "1975-07-07");
    let note = c.doc(
        "note.add",
        json!({"patient": p, "kind": "soap", "title": "Cough", "subjective": "cough for 3 days"}),
    );
    assert_eq!(note["status"], "draft");
    let nid = id(&note);
    let e = c.doc_err(
        "note.add",
        json!({"patient": p, "kind": "soap", "status": "signed"}),
    );
    assert_error(&e, "invalid_input", "status");
    let e = c.doc_err("note.amend", json!({"id": nid, "text": "x", "reason": "y"}));
    assert_error(&e, "invalid_input", "id");
    let edited = c.doc(
        "note.update",
        json!({"id": nid, "version": note["version"], "assessment": "viral URI", "plan": "fluids"}),
    );
    let empty = c.doc("note.add", json!({"patient": p, "kind": "free"}));
    let e = c.doc_err(
        "note.sign",
        json!({"id": id(&empty), "version": empty["version"]}),
    );
    assert_error(&e, "invalid_input", "text");

    let signed = c.doc(
        "note.sign",
        json!({"id": nid, "version": edited["version"]}),
    );
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["signed_by"], c.doc.user.id.to_string().as_str());
    assert_eq!(signed["signed_at"], support::START);
    assert_eq!(signed["assessment"], "viral URI");

    let before = c.commits();
    let e = c.doc_err(
        "note.update",
        json!({"id": nid, "version": signed["version"], "plan": "antibiotics"}),
    );
    assert_eq!(e.code, "record_immutable", "{}", e.message);
    let e = c.doc_err(
        "note.sign",
        json!({"id": nid, "version": signed["version"]}),
    );
    assert_eq!(e.code, "record_immutable");
    let e = c.doc_err(
        "note.amend",
        json!({"id": nid, "text": "left ear, not right"}),
    );
    assert_error(&e, "invalid_input", "reason");
    let e = c.doc_err(
        "note.amend",
        json!({"id": nid, "text": "  ", "reason": "typo"}),
    );
    assert_error(&e, "invalid_input", "text");
    assert_eq!(c.commits(), before, "refused edits wrote nothing");

    let amended = c.doc(
        "note.amend",
        json!({"id": nid, "text": "left ear, not right", "reason": "wrong side documented"}),
    );
    assert_eq!(arr(&amended["amendments"]).len(), 1);
    c.doc(
        "note.addendum",
        json!({"id": nid, "text": "culture pending"}),
    );
    assert_eq!(c.commits(), before + 2);

    let got = c.doc("note.get", json!({"id": nid}));
    assert_eq!(got["plan"], "fluids", "the signed text is unchanged");
    assert_eq!(got["status"], "signed");
    let a = arr(&got["amendments"]);
    assert_eq!(a.len(), 2, "{got}");
    assert_eq!(a[0]["fields"]["kind"], "amendment");
    assert_eq!(a[0]["fields"]["text"], "left ear, not right");
    assert_eq!(a[0]["fields"]["reason"], "wrong side documented");
    assert_eq!(a[1]["fields"]["kind"], "addendum");
    assert_eq!(a[1]["fields"]["text"], "culture pending");
    for x in a {
        assert_eq!(x["author"], json!(c.doc.user.id.to_string()));
    }
    let hist = c.doc("note.history", json!({"id": nid}));
    let ops: Vec<String> = arr(&hist).iter().map(|h| s(h, "op")).collect();
    assert_eq!(ops, ["create", "set", "set", "amend", "amend"]);
}

#[test]
fn documents_keep_their_bytes_and_refuse_big_or_unknown_files() {
    let mut c = shared();
    let p = c.patient("Ivanova", &["Olga"], "1982-12-12");
    let png = png_bytes();
    let doc = c.doc(
        "document.add",
        json!({"patient": p, "title": "Rash photo", "kind": "photo", "content": b64(&png)}),
    );
    assert_eq!(doc["mime"], "image/png");
    assert_eq!(doc["size"], json!(png.len()));
    assert_eq!(
        doc["sha256"],
        json!(hex::encode(
            ring::digest::digest(&ring::digest::SHA256, &png).as_ref()
        ))
    );
    assert!(
        doc.get("content").is_none(),
        "bytes only come through document.content"
    );
    let got = c.doc("document.content", json!({"id": id(&doc)}));
    assert_eq!(got["mime"], "image/png");
    assert_eq!(got["title"], "Rash photo");
    assert_eq!(got["content"], json!(b64(&png)), "the same bytes come back");

    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let d = c.doc(
        "document.add",
        json!({"patient": p, "title": "Letter", "content": b64(&pdf)}),
    );
    assert_eq!(d["mime"], "application/pdf");

    let before = c.commits();
    let mut big = png.clone();
    big.resize(20 * 1024 * 1024 + 1, 0);
    let e = c.doc_err(
        "document.add",
        json!({"patient": p, "title": "Huge scan", "content": b64(&big)}),
    );
    assert_eq!(e.code, "too_large", "{}", e.message);
    assert!(e.message.contains("20 MB"), "{}", e.message);
    let e = c.doc_err(
        "document.add",
        json!({"patient": p, "title": "Notes", "content": b64(b"just some plain text, not a scan")}),
    );
    assert_error(&e, "invalid_input", "content");
    let e = c.doc_err(
        "document.add",
        json!({"patient": p, "title": "Notes", "content": "not base64!"}),
    );
    assert_error(&e, "invalid_input", "content");
    let e = c.doc_err("document.add", json!({"patient": p, "content": b64(&png)}));
    assert_error(&e, "invalid_input", "title");
    assert_eq!(c.commits(), before, "refused documents wrote nothing");
}

#[test]
fn bad_input_is_refused_with_a_code_naming_the_field_and_nothing_is_written() {
    let mut c = shared();
    let p = c.patient("Bauer", &["Karl"], "1960-01-01");
    let prob = id(&c.doc("problem.add", json!({"patient": p, "code": "I10"})));
    let pt = |extra: Json| {
        let mut v =
            json!({"family": "Zed", "given": ["Q"], "birth_date": "1999-01-01", "sex": "male"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases: Vec<(&str, Json, &str, &str)> = vec![
        (
            "patient.create",
            pt(json!({"birth_date": "2023-02-30"})),
            "invalid_input",
            "birth_date",
        ),
        (
            "patient.create",
            pt(json!({"birth_date": "2027-01-01"})),
            "invalid_input",
            "birth_date",
        ),
        (
            "patient.create",
            pt(json!({"birth_date": "1850-01-01"})),
            "invalid_input",
            "birth_date",
        ),
        (
            "patient.create",
            pt(json!({"birth_date": 19990101})),
            "invalid_input",
            "birth_date",
        ),
        (
            "patient.create",
            pt(json!({"given": "Ana"})),
            "invalid_input",
            "given",
        ),
        (
            "patient.create",
            pt(json!({"sex": "robot"})),
            "invalid_input",
            "sex",
        ),
        (
            "patient.create",
            pt(json!({"favourite_colour": "blue"})),
            "invalid_input",
            "favourite_colour",
        ),
        (
            "patient.create",
            pt(json!({"family": ""})),
            "invalid_input",
            "family",
        ),
        (
            "patient.create",
            pt(json!({"phones": "555"})),
            "invalid_input",
            "phones",
        ),
        (
            "problem.add",
            json!({"patient": p, "code": "I10", "onset_date": "1950-01-01"}),
            "invalid_input",
            "onset_date",
        ),
        (
            "problem.add",
            json!({"patient": p, "code": "I10", "onset_date": "2023-02-30"}),
            "invalid_input",
            "onset_date",
        ),
        (
            "problem.add",
            json!({"patient": p, "code": "I10", "onset_date": "2026-12-01"}),
            "invalid_input",
            "onset_date",
        ),
        (
            "problem.add",
            json!({"patient": p, "display": "x", "colour": "red"}),
            "invalid_input",
            "colour",
        ),
        (
            "problem.add",
            json!({"patient": p}),
            "invalid_input",
            "display",
        ),
        (
            "problem.add",
            json!({"display": "x"}),
            "invalid_input",
            "patient",
        ),
        (
            "problem.add",
            json!({"patient": "not-an-id", "display": "x"}),
            "invalid_input",
            "patient",
        ),
        (
            "problem.update",
            json!({"id": prob, "status": "bogus"}),
            "invalid_input",
            "status",
        ),
        (
            "problem.update",
            json!({"id": prob, "version": "v1", "note": "x"}),
            "invalid_input",
            "version",
        ),
        (
            "problem.update",
            json!({"id": prob}),
            "invalid_input",
            "request",
        ),
        (
            "medication.add",
            json!({"patient": p, "name": "Aspirin", "dose": 81}),
            "invalid_input",
            "dose",
        ),
        (
            "medication.add",
            json!({"patient": p, "name": "Aspirin", "start_date": 20200101}),
            "invalid_input",
            "start_date",
        ),
        (
            "medication.add",
            json!({"patient": p, "name": "Aspirin", "start_date": "2020-01-01", "stop_date": "2019-01-01"}),
            "invalid_input",
            "stop_date",
        ),
        (
            "encounter.add",
            json!({"patient": p, "start": "2023-02-30T10:00:00Z"}),
            "invalid_input",
            "start",
        ),
        (
            "immunization.add",
            json!({"patient": p, "cvx": "140", "date": "2027-01-01"}),
            "invalid_input",
            "date",
        ),
        (
            "immunization.add",
            json!({"patient": p, "cvx": "140", "date": "2023-13-01"}),
            "invalid_input",
            "date",
        ),
        (
            "immunization.add",
            json!({"patient": p, "cvx": "99999", "date": "2020-01-01"}),
            "invalid_code",
            "cvx",
        ),
        (
            "observation.add",
            json!({"patient": p, "code": "8480-5", "value_num": 120, "effective": "2026-10-01T09:00:00Z"}),
            "invalid_code",
            "code",
        ),
        (
            "observation.add",
            json!({"patient": p, "code": "8480-6", "effective": "2026-10-01T09:00:00Z"}),
            "invalid_input",
            "value_num",
        ),
        (
            "family_history.add",
            json!({"patient": p, "relative": "father", "condition": "x", "onset_age": 300}),
            "invalid_input",
            "onset_age",
        ),
        (
            "allergy.add",
            json!({"patient": p, "substance": "Latex", "severity": "extreme"}),
            "invalid_input",
            "severity",
        ),
        (
            "allergy.add",
            json!({"patient": p, "substance": "Latex", "reactions": "rash"}),
            "invalid_input",
            "reactions",
        ),
        (
            "coverage.add",
            json!({"patient": p, "payer": "Acme"}),
            "invalid_input",
            "member_id",
        ),
        ("chart.summary", json!({}), "invalid_input", "patient"),
        (
            "patient.search",
            json!({"query": "  "}),
            "invalid_input",
            "query",
        ),
    ];
    let before = c.commits();
    let mut failures = Vec::new();
    for (command, args, code, field) in &cases {
        match c.try_doc(command, args.clone()) {
            Ok(v) => failures.push(format!("{command} {args}: accepted, returned {v}")),
            Err(e) => {
                if e.code != *code || !e.message.contains(field) || e.message.trim().is_empty() {
                    failures.push(format!(
                        "{command} {args}: got {} \"{}\", expected {code} naming '{field}'",
                        e.code, e.message
                    ));
                }
            }
        }
    }
    for args in [json!([1, 2]), json!("patient"), json!(null), json!(42)] {
        let e = c.doc_err("patient.create", args);
        assert_eq!(e.code, "invalid_input");
        assert!(e.message.contains("JSON object"), "{}", e.message);
    }
    for command in [
        "patient.explode",
        "nonsense",
        "problem.frobnicate",
        "",
        "prescription.add",
        ".add",
    ] {
        let e = c.doc_err(command, json!({}));
        assert_eq!(e.code, "unknown_command", "{command}: {}", e.message);
        assert!(!e.message.is_empty());
    }
    assert!(
        failures.is_empty(),
        "bad input handled wrongly:\n{}",
        failures.join("\n")
    );
    assert_eq!(c.commits(), before, "nothing was written");
    assert_eq!(arr(&c.doc("problem.list", json!({"patient": p}))).len(), 1);
}

#[test]
fn fields_named_reason_are_kept() {
    let mut c = shared();
    let p = c.patient("Reasoner", &["Ida"], "1961-06-06");
    let mut failures = Vec::new();
    let cases = [
        (
            "encounter",
            json!({"start": "2026-10-02T09:00:00Z", "reason": "chest pain"}),
        ),
        (
            "order",
            json!({"kind": "imaging", "description": "Chest X-ray", "reason": "chest pain"}),
        ),
        (
            "hospitalization",
            json!({"admit_date": "2020-02-01", "reason": "pneumonia"}),
        ),
        (
            "medication",
            json!({"name": "Aspirin", "reason": "secondary prevention"}),
        ),
        (
            "immunization",
            json!({"cvx": "140", "date": "2026-10-01", "status": "refused", "reason": "patient declined"}),
        ),
    ];
    for (kind, mut args) in cases {
        args["patient"] = json!(p);
        match c.try_doc(&format!("{kind}.add"), args) {
            Ok(v) if v["reason"] == json!(null) => {
                failures.push(format!("{kind}.add dropped 'reason': {v}"))
            }
            Ok(v) => {
                let upd = json!({"id": id(&v), "version": v["version"], "reason": "changed"});
                match c.try_doc(&format!("{kind}.update"), upd) {
                    Ok(u) if u["reason"] == "changed" => {}
                    Ok(u) => failures.push(format!("{kind}.update ignored 'reason': {u}")),
                    Err(e) => failures.push(format!(
                        "{kind}.update of 'reason': {} — {}",
                        e.code, e.message
                    )),
                }
            }
            Err(e) => failures.push(format!("{kind}.add: {} — {}", e.code, e.message)),
        }
    }
    assert!(
        failures.is_empty(),
        "the clinical field 'reason' is lost:\n{}",
        failures.join("\n")
    );
}

#[test]
fn document_title_can_change_without_resending_the_file() {
    let mut c = shared();
    let p = c.patient("Retitle", &["Uma"], "1993-03-03");
    let png = png_bytes();
    let doc = c.doc(
        "document.add",
        json!({"patient": p, "title": "Scan", "content": b64(&png)}),
    );
    let before = c.commits();
    let e = c.try_doc(
        "document.update",
        json!({"id": id(&doc), "version": doc["version"], "title": "Scan of the referral letter"}),
    );
    let updated =
        e.unwrap_or_else(|e| panic!("renaming a document failed: {} — {}", e.code, e.message));
    assert_eq!(updated["title"], "Scan of the referral letter");
    assert_eq!(c.commits(), before + 1);
    let got = c.doc("document.content", json!({"id": id(&doc)}));
    assert_eq!(got["content"], json!(b64(&png)), "the file is unchanged");
}

#[test]
fn patient_demographics_can_be_read_updated_and_retracted() {
    let mut c = shared();
    let created = c.doc(
        "patient.create",
        json!({"family": "Lifecycle", "given": ["Lou"], "birth_date": "1966-06-16", "sex": "male"}),
    );
    let pid = id(&created);
    let v1 = created["version"].clone();
    assert!(arr(&v1).len() == 1, "a new record has one version: {v1}");
    let got = c.doc("patient.get", json!({"id": pid}));
    assert_eq!(got["name"], "Lifecycle, Lou");
    assert_eq!(got["mrn"], created["mrn"]);

    let before = c.commits();
    let updated = c.doc(
        "patient.update",
        json!({"id": pid, "version": v1, "preferred": "Lulu", "phones": ["555-777-8888"]}),
    );
    assert_eq!(c.commits(), before + 1);
    assert_eq!(updated["name"], "Lifecycle, Lou (Lulu)");
    assert_eq!(updated["phones"], json!(["555-777-8888"]));
    assert_ne!(updated["version"], v1);
    for q in ["lulu", "8888", "lifecycle lou"] {
        let found = c.doc("patient.search", json!({"query": q}));
        let ids: Vec<String> = arr(&found).iter().map(id).collect();
        assert_eq!(ids, std::slice::from_ref(&pid), "{q}");
    }
    let hist = c.doc("patient.history", json!({"id": pid}));
    let h = arr(&hist);
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0]["op"].as_str(), h[1]["op"].as_str()),
        (Some("create"), Some("set"))
    );
    assert!(h.iter().all(|e| e["author_name"] == "drlee"));
    assert_eq!(h[1]["fields"]["preferred"], "Lulu");

    let e = c.doc_err(
        "patient.retract",
        json!({"id": pid, "version": updated["version"]}),
    );
    assert_error(&e, "invalid_input", "reason");
    let r = c.doc(
        "patient.retract",
        json!({"id": pid, "version": updated["version"], "reason": "duplicate registration"}),
    );
    assert_eq!(r["retracted"], json!(true));
    let before = c.commits();
    assert!(
        arr(&c.doc("patient.search", json!({"query": "lifecycle"}))).is_empty(),
        "retracted charts are not found"
    );
    let e = c.doc_err("problem.add", json!({"patient": pid, "code": "I10"}));
    assert_error(&e, "invalid_input", "patient");
    let e = c.doc_err(
        "patient.retract",
        json!({"id": pid, "version": r["version"], "reason": "again"}),
    );
    assert_eq!(e.code, "invalid_input");
    assert_eq!(
        c.commits(),
        before,
        "nothing written for a retracted patient"
    );
    // Like every other record, a retracted patient can no longer be edited.
    let e = c.try_doc(
        "patient.update",
        json!({"id": pid, "version": r["version"], "preferred": "Lu"}),
    );
    assert_eq!(
        c.commits(),
        before,
        "patient.update after retract wrote a commit: {e:?}"
    );
    assert_eq!(
        e.expect_err("update after retract").code,
        "record_immutable"
    );
}

#[test]
fn code_search_finds_icd10_cvx_and_loinc_codes() {
    let mut c = shared();
    let codes = |v: &Json| -> Vec<String> { arr(v).iter().map(|x| s(x, "code")).collect() };
    let hits = c.doc(
        "code.search",
        json!({"system": "icd10", "query": "type 2 diabetes", "limit": 5}),
    );
    assert_eq!(arr(&hits).len(), 5);
    assert_eq!(codes(&hits)[0], "E11");
    assert!(codes(&c.doc("code.search", json!({"query": "e119"}))).contains(&"E11.9".to_string()));
    assert!(
        codes(&c.doc("code.search", json!({"system": "cvx", "query": "MMR"})))
            .contains(&"03".to_string())
    );
    let loinc = c.doc(
        "code.search",
        json!({"system": "loinc", "query": "glucose"}),
    );
    assert!(codes(&loinc).contains(&"2345-7".to_string()), "{loinc}");
    assert!(arr(&c.doc("code.search", json!({"system": "icd10", "query": "zzzqqq"}))).is_empty());
    let e = c.doc_err("code.search", json!({"system": "snomed", "query": "x"}));
    assert_error(&e, "invalid_input", "system");
    let e = c.doc_err("code.search", json!({"system": "icd10"}));
    assert_error(&e, "invalid_input", "query");
}
