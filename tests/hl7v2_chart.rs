//! HL7 v2 lab results filed into real practices (SQLCipher files in temporary folders)
//! through the API, as the CLI, the listener and the desktop app call it: each public
//! sample in tests/data/hl7v2 lands its OBX values as observations, or is refused with the
//! ACK the sender needs; a resent message is applied once; corrections supersede with
//! history kept; unmatched messages wait for a person; orders are completed.
//!
//! The expected values are read by hand from the sample files; each is cited by segment.

mod common;

use chartkeep::api::Session;
use chartkeep::practice::Practice;
use serde_json::{json, Value as Json};

use common::{call, try_call};

const DOC_PASSWORD: &str = "clinician-password-1";

fn setup() -> (tempfile::TempDir, Practice, Session) {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, _) = common::init(dir.path());
    let mut admin = common::admin(&mut p);
    call(
        &mut p,
        &mut admin,
        "user.create",
        json!({"name": "drlee", "role": "clinician", "password": DOC_PASSWORD}),
    );
    let s = common::login(&mut p, "drlee", DOC_PASSWORD);
    (dir, p, s)
}

fn sample(name: &str) -> String {
    let path = format!("{}/tests/data/hl7v2/{name}", env!("CARGO_MANIFEST_DIR"));
    String::from_utf8(std::fs::read(&path).unwrap()).unwrap()
}

fn patient(p: &mut Practice, s: &mut Session, fields: Json) -> String {
    let mut f = json!({"sex": "male"});
    f.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    call(p, s, "patient.create", f)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn receive(p: &mut Practice, s: &mut Session, text: &str) -> Json {
    call(p, s, "hl7.receive", json!({"message": text}))
}

fn observations(p: &mut Practice, s: &mut Session, patient: &str) -> Vec<Json> {
    call(
        p,
        s,
        "observation.list",
        json!({"patient": patient, "include_retracted": true}),
    )
    .as_array()
    .unwrap()
    .clone()
}

fn by_code<'a>(obs: &'a [Json], code: &str) -> &'a Json {
    obs.iter()
        .find(|o| o["code"] == code)
        .unwrap_or_else(|| panic!("no observation {code} in {obs:#?}"))
}

fn messages(p: &Practice) -> Vec<(String, String)> {
    let mut stmt = p
        .reader()
        .prepare("SELECT control_id, state FROM hl7_message ORDER BY created_at")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn unmatched(p: &mut Practice, s: &mut Session) -> Vec<Json> {
    call(p, s, "hl7.unmatched", json!({}))
        .as_array()
        .unwrap()
        .clone()
}

/// The ACK's MSA segment, as fields.
fn msa(received: &Json) -> Vec<String> {
    let ack = received["ack"].as_str().unwrap();
    let line = ack
        .split('\r')
        .find(|l| l.starts_with("MSA|"))
        .unwrap_or_else(|| panic!("no MSA in {ack:?}"));
    line.split('|').map(str::to_string).collect()
}

/// NIST case 1: PID-3 `9817566735^^^MPI&…^MR`, PID-5 `Johnson^Philip`, PID-7 `20070526`.
fn johnson(p: &mut Practice, s: &mut Session) -> String {
    patient(
        p,
        s,
        json!({"family": "Johnson", "given": ["Philip"], "birth_date": "2007-05-26", "mrn": "9817566735"}),
    )
}

#[test]
fn nist_lead_result_lands_with_its_code_value_unit_range_flag_and_time() {
    let (_d, mut p, mut s) = setup();
    let pat = johnson(&mut p, &mut s);
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    assert_eq!(r["outcome"], "applied", "{r:#}");
    assert_eq!(r["ack_code"], "AA");
    assert_eq!(r["patient"], pat.as_str());
    assert_eq!(r["mrn"], "9817566735");
    // MSA-2 echoes MSH-10 `NIST-100929110701660`.
    assert_eq!(msa(&r)[1..3], ["AA", "NIST-100929110701660"]);
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 1);
    // OBX|1|NM|10368-9^Lead BldC-mCnc^LN|1|50|ug/dL^…^UCUM|<9 mcg/dL:  Acceptable background
    // lead exposure|H|||F|||200808151030-0700
    let o = &obs[0];
    assert_eq!(o["code"], "10368-9");
    assert_eq!(o["display"], "Lead BldC-mCnc");
    assert_eq!(o["category"], "lab");
    assert_eq!(o["value_num"], 50.0);
    assert_eq!(o["unit"], "ug/dL");
    assert_eq!(
        o["ref_text"],
        "<9 mcg/dL:  Acceptable background lead exposure"
    );
    assert_eq!(o["ref_low"], Json::Null);
    assert_eq!(o["flag"], "H");
    assert_eq!(o["status"], "final");
    assert_eq!(o["effective"], "2008-08-15T17:30:00Z");
    assert_eq!(
        messages(&p),
        [("NIST-100929110701660".into(), "applied".into())]
    );
}

#[test]
fn the_same_message_twice_is_applied_once_and_both_get_aa() {
    let (_d, mut p, mut s) = setup();
    let pat = johnson(&mut p, &mut s);
    let text = sample("nist-oru-r01-2.5.1-case1.hl7");
    let first = receive(&mut p, &mut s, &text);
    let again = receive(&mut p, &mut s, &text);
    assert_eq!(first["outcome"], "applied");
    assert_eq!(again["outcome"], "duplicate", "{again:#}");
    assert_eq!(again["ack_code"], "AA");
    assert_eq!(again["message"], first["message"]);
    assert_eq!(observations(&mut p, &mut s, &pat).len(), 1);
    assert_eq!(messages(&p).len(), 1);
}

#[test]
fn a_corrected_result_supersedes_the_earlier_one_and_keeps_it_in_history() {
    let (_d, mut p, mut s) = setup();
    let pat = johnson(&mut p, &mut s);
    receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    let first = observations(&mut p, &mut s, &pat)[0].clone();
    // Case 3 corrects case 1: same filler order 9700123^Lab (OBR-3), OBX-11 `C`, 25 ug/dl,
    // range `<10 ug/dl`.
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case3.hl7"));
    assert_eq!(r["outcome"], "applied", "{r:#}");
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 1, "superseded in place, not added: {obs:#?}");
    let o = &obs[0];
    assert_eq!(o["id"], first["id"]);
    assert_eq!(o["value_num"], 25.0);
    assert_eq!(o["unit"], "ug/dl");
    assert_eq!(o["ref_text"], "<10 ug/dl");
    assert_eq!(o["status"], "amended");
    let history = call(
        &mut p,
        &mut s,
        "observation.history",
        json!({"id": o["id"]}),
    );
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2, "{history:#}");
    assert_eq!(h[0]["fields"]["value_num"], 50.0, "the first value stays");
    assert_eq!(h[1]["op"], "set");
    assert_eq!(h[1]["fields"]["value_num"], 25.0);
}

const PRELIMINARY: &str =
    "MSH|^~\\&|LAB|ACME|EHR|CLINIC|20260301090000-0500||ORU^R01^ORU_R01|P-1|P|2.5.1\r\
PID|1||MRN77^^^ACME^MR||Doe^Jane||19800101|F\r\
OBR|1||F-55^ACME|2345-7^Glucose^LN|||20260301080000-0500\r\
OBX|1|NM|2345-7^Glucose^LN||131|mg/dL^^UCUM|70-99||||P|||20260301080000-0500\r";

#[test]
fn a_preliminary_result_is_shown_as_preliminary_until_the_final_one_replaces_it() {
    let (_d, mut p, mut s) = setup();
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Doe", "given": ["Jane"], "birth_date": "1980-01-01", "mrn": "MRN77", "sex": "female"}),
    );
    receive(&mut p, &mut s, PRELIMINARY);
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs[0]["status"], "preliminary");
    assert_eq!(obs[0]["flag"], "H", "computed from 70-99");
    let summary = call(&mut p, &mut s, "chart.summary", json!({"patient": pat}));
    assert_eq!(summary["labs"][0]["status"], "preliminary", "{summary:#}");
    let fin = PRELIMINARY
        .replace("|P-1|", "|P-2|")
        .replace("||||P|||", "||||F|||")
        .replace("||131|", "||128|");
    let r = receive(&mut p, &mut s, &fin);
    assert_eq!(r["outcome"], "applied");
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 1);
    assert_eq!(obs[0]["status"], "final");
    assert_eq!(obs[0]["value_num"], 128.0);
    assert_eq!(obs[0]["effective"], "2026-03-01T13:00:00Z");
}

#[test]
fn a_placer_order_number_attaches_the_results_and_completes_the_order() {
    let (_d, mut p, mut s) = setup();
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Doe", "given": ["Jane"], "birth_date": "1980-01-01", "mrn": "MRN77", "sex": "female"}),
    );
    let order = call(
        &mut p,
        &mut s,
        "order.add",
        json!({"patient": pat, "kind": "lab", "description": "Glucose", "code": "2345-7"}),
    );
    let oid = order["id"].as_str().unwrap();
    let text = PRELIMINARY
        .replace("OBR|1||F-55^ACME|", &format!("OBR|1|{oid}^EHR|F-55^ACME|"))
        .replace("||||P|||", "||||F|||");
    let r = receive(&mut p, &mut s, &text);
    assert_eq!(r["orders"], json!([oid]), "{r:#}");
    let got = call(&mut p, &mut s, "order.get", json!({"id": oid}));
    assert_eq!(got["status"], "completed");
    assert_eq!(got["result_at"], "2026-03-01T13:00:00Z");
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs[0]["order_ref"], oid);
}

#[test]
fn an_order_of_another_patient_holds_the_message() {
    let (_d, mut p, mut s) = setup();
    patient(
        &mut p,
        &mut s,
        json!({"family": "Doe", "given": ["Jane"], "birth_date": "1980-01-01", "mrn": "MRN77", "sex": "female"}),
    );
    let other = johnson(&mut p, &mut s);
    let order = call(
        &mut p,
        &mut s,
        "order.add",
        json!({"patient": other, "kind": "lab", "description": "Glucose"}),
    );
    let text = PRELIMINARY.replace(
        "OBR|1||F-55^ACME|",
        &format!("OBR|1|{}|F-55^ACME|", order["id"].as_str().unwrap()),
    );
    let r = receive(&mut p, &mut s, &text);
    assert_eq!(r["outcome"], "held", "{r:#}");
    assert!(r["text"].as_str().unwrap().contains("another patient"));
    let got = call(&mut p, &mut s, "order.get", json!({"id": order["id"]}));
    assert_eq!(got["status"], "ordered");
}

#[test]
fn no_match_waits_in_the_queue_and_a_person_assigns_or_refuses_it() {
    let (_d, mut p, mut s) = setup();
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    assert_eq!(r["outcome"], "held", "{r:#}");
    assert_eq!(r["ack_code"], "AA", "taken: a person files it");
    assert!(msa(&r)[3].contains("held"), "{:?}", msa(&r));
    let queue = unmatched(&mut p, &mut s);
    assert_eq!(queue.len(), 1);
    let held = &queue[0];
    assert_eq!(held["pid"]["family"], "Johnson");
    assert_eq!(held["pid"]["given"], "Philip");
    assert_eq!(held["pid"]["birth_date"], "2007-05-26");
    assert_eq!(held["pid"]["identifiers"][0], "9817566735 (MR, MPI)");
    assert_eq!(held["results"][0]["code"], "10368-9");
    assert_eq!(held["results"][0]["value"], "50 ug/dL");
    assert_eq!(held["results"][0]["flag"], "H");

    // Registered afterwards under another MRN: a person files the message in that chart.
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Johnson", "given": ["Phil"], "birth_date": "2007-05-26"}),
    );
    let done = call(
        &mut p,
        &mut s,
        "hl7.assign",
        json!({"id": held["id"], "version": held["version"], "patient": pat}),
    );
    assert_eq!(done["message"]["state"], "assigned");
    assert_eq!(done["results"][0]["value_num"], 50.0);
    assert_eq!(observations(&mut p, &mut s, &pat).len(), 1);
    assert!(unmatched(&mut p, &mut s).is_empty());
    // Assigned once: a second assign is refused, nothing filed twice.
    let again = try_call(
        &mut p,
        &mut s,
        "hl7.assign",
        json!({"id": held["id"], "version": held["version"], "patient": pat}),
    )
    .unwrap_err();
    assert_eq!(again.code, "invalid_input");
    assert_eq!(observations(&mut p, &mut s, &pat).len(), 1);

    // Another held message, refused with a reason: filed nowhere, kept on record.
    let r = receive(&mut p, &mut s, &sample("cerner-lead-2.5.1.hl7"));
    assert_eq!(r["outcome"], "held");
    let held = unmatched(&mut p, &mut s)[0].clone();
    let no_reason = try_call(
        &mut p,
        &mut s,
        "hl7.refuse",
        json!({"id": held["id"], "version": held["version"], "reason": " "}),
    )
    .unwrap_err();
    assert_eq!(no_reason.code, "invalid_input");
    let refused = call(
        &mut p,
        &mut s,
        "hl7.refuse",
        json!({"id": held["id"], "version": held["version"], "reason": "not our patient"}),
    );
    assert_eq!(refused["state"], "refused");
    assert_eq!(refused["reason"], "not our patient");
    assert!(unmatched(&mut p, &mut s).is_empty());
}

#[test]
fn two_patients_with_the_name_and_birth_date_is_no_match() {
    let (_d, mut p, mut s) = setup();
    let fields = json!({"family": "Johnson", "given": ["Philip"], "birth_date": "2007-05-26"});
    let a = patient(&mut p, &mut s, fields.clone());
    patient(&mut p, &mut s, fields);
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    assert_eq!(r["outcome"], "held");
    assert!(r["text"].as_str().unwrap().contains("2 patients"), "{r:#}");
    // One patient alone with the name and birth date is matched.
    let (_d2, mut p2, mut s2) = setup();
    let only = patient(
        &mut p2,
        &mut s2,
        json!({"family": "JOHNSON", "given": ["philip"], "birth_date": "2007-05-26"}),
    );
    let r = receive(&mut p2, &mut s2, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    assert_eq!(r["outcome"], "applied");
    assert_eq!(r["patient"], only.as_str());
    assert_ne!(a, only);
}

#[test]
fn an_identifier_match_with_another_birth_date_is_no_match() {
    let (_d, mut p, mut s) = setup();
    patient(
        &mut p,
        &mut s,
        json!({"family": "Johnson", "given": ["Philip"], "birth_date": "2007-05-27", "mrn": "9817566735"}),
    );
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    assert_eq!(r["outcome"], "held");
    assert!(r["text"].as_str().unwrap().contains("birth date"), "{r:#}");
    // The lab is told it is held, not what the chart holds of the patient its MRN names.
    let told = &msa(&r)[3];
    assert!(told.contains("held"), "{told}");
    assert!(!told.contains("2007-05-27"), "{told}");
}

#[test]
fn an_empty_identifier_never_matches() {
    let (_d, mut p, mut s) = setup();
    // A patient whose extra identifier is blank, and a message whose PID-3 is blank but
    // names someone else: nothing may match on the empty value.
    patient(
        &mut p,
        &mut s,
        json!({"family": "Roe", "given": ["Rita"], "birth_date": "1970-01-01", "sex": "female",
               "identifiers": [{"system": "old", "value": ""}, " "]}),
    );
    let text = PRELIMINARY.replace("PID|1||MRN77^^^ACME^MR|", "PID|1||^^^ACME^MR~ ^^^X|");
    let r = receive(&mut p, &mut s, &text);
    assert_eq!(r["outcome"], "held", "{r:#}");
}

#[test]
fn an_identifier_in_the_patients_list_matches() {
    let (_d, mut p, mut s) = setup();
    // hl7-normative-glucose-2.4: PID-3 `555-44-4444`, PID-7 `196203520` (not a date, so the
    // name cannot be matched on), OBX-3 `1554-5^GLUCOSE^POST 12H CFST:MCNC:PT:SER/PLAS:QN`
    // from MSH-4 `ELAB-3`: not coded as LN, so a local code until the practice maps it.
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Everywoman", "given": ["Eve"], "birth_date": "1962-03-05", "sex": "female",
               "identifiers": [{"system": "ssn", "value": "555-44-4444"}]}),
    );
    let r = receive(&mut p, &mut s, &sample("hl7-normative-glucose-2.4.hl7"));
    assert_eq!(r["outcome"], "held", "{r:#}");
    assert!(r["text"].as_str().unwrap().contains("'1554-5'"), "{r:#}");
    assert_eq!(unmatched(&mut p, &mut s)[0]["patient"], pat.as_str());
    let bad = try_call(
        &mut p,
        &mut s,
        "hl7.code_map_set",
        json!({"lab": "ELAB-3", "local_code": "1553-5", "loinc": "1553-5"}),
    )
    .unwrap_err();
    assert_eq!(bad.code, "invalid_code", "1553-5 fails LOINC's check digit");
    for code in ["1554-5", "1553-5"] {
        // The example's second OBX repeats the first's value under a code that is no LOINC;
        // the practice files it as the same test.
        call(
            &mut p,
            &mut s,
            "hl7.code_map_set",
            json!({"lab": "ELAB-3", "local_code": code, "loinc": "1554-5"}),
        );
    }
    let maps = call(&mut p, &mut s, "hl7.code_map_list", json!({}));
    assert_eq!(maps.as_array().unwrap().len(), 2);
    let held = unmatched(&mut p, &mut s)[0].clone();
    call(
        &mut p,
        &mut s,
        "hl7.assign",
        json!({"id": held["id"], "version": held["version"], "patient": pat}),
    );
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 2, "{obs:#?}");
    // OBX|1|SN|1554-5^…||^182|mg/dl|70_105|H|||F, OBR-7 200202150730 (no offset: UTC).
    // Both are filed in one commit, so the list has no order between them.
    let o = obs.iter().find(|o| o["value_text"].is_null()).unwrap();
    assert_eq!(o["code"], "1554-5");
    assert_eq!(o["value_num"], 182.0);
    assert_eq!(o["unit"], "mg/dl");
    assert_eq!(o["ref_text"], "70_105");
    assert_eq!(o["flag"], "H");
    assert_eq!(o["effective"], "2002-02-15T07:30:00Z");
    // OBX|2|FN|…||^182: FN is no value type, so the value is kept as sent, as text.
    let fn_value = obs.iter().find(|o| o["value_num"].is_null()).unwrap();
    assert_eq!(fn_value["value_text"], "^182");
    assert_eq!(fn_value["code"], "1554-5");
}

#[test]
fn the_canadian_lab_sample_files_all_fourteen_results() {
    let (_d, mut p, mut s) = setup();
    // PID|1|ABC123DF|AND234DA_PID3|PID_4_ALTID|Patlast^Patfirst^Mid||19670202|F
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Patlast", "given": ["Patfirst"], "birth_date": "1967-02-02", "sex": "female", "mrn": "AND234DA_PID3"}),
    );
    let r = receive(&mut p, &mut s, &sample("hl7parser-oru-r01-lab-2.3.hl7"));
    assert_eq!(r["outcome"], "applied", "{r:#}");
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 14);
    // OBX|1|NM|301.0500^White Blood Count (WBC)^00065227^6690-2^Leukocytes^pCLOCD|1|10.1|
    // 10\S\9/L|3.1-9.7|H||A~S|F|||201411130916
    let wbc = by_code(&obs, "6690-2");
    assert_eq!(wbc["display"], "Leukocytes");
    assert_eq!(wbc["value_num"], 10.1);
    assert_eq!(wbc["unit"], "10^9/L");
    assert_eq!(wbc["ref_low"], 3.1);
    assert_eq!(wbc["ref_high"], 9.7);
    assert_eq!(wbc["flag"], "H");
    assert_eq!(wbc["effective"], "2014-11-13T09:16:00Z");
    // OBX|2 … 789-8 … |3.2|10\S\12/L|3.7-5.0|L
    let rbc = by_code(&obs, "789-8");
    assert_eq!(rbc["value_num"], 3.2);
    assert_eq!(rbc["unit"], "10^12/L");
    assert_eq!(rbc["flag"], "L");
    // OBX|5 … 787-2 … |98.0|fL|84.0-98.0|N
    let mcv = by_code(&obs, "787-2");
    assert_eq!(mcv["value_num"], 98.0);
    assert_eq!(mcv["ref_high"], 98.0);
    assert_eq!(mcv["flag"], "N");
}

#[test]
fn the_generic_sample_waits_for_its_local_codes_then_files_all_fourteen() {
    let (_d, mut p, mut s) = setup();
    // PID|1|12345|12345^^^MIE&…^MR||MOUSE^MINNIE^S||19240101|F
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Mouse", "given": ["Minnie"], "birth_date": "1924-01-01", "sex": "female", "mrn": "12345"}),
    );
    let text = sample("hl7parser-oru-r01-generic-2.3.hl7");
    let r = receive(&mut p, &mut s, &text);
    // OBX 12 to 14 (mch, mchc, plt) carry only the lab's code (`mch^Mch`).
    assert_eq!(r["outcome"], "held", "{r:#}");
    assert!(r["text"].as_str().unwrap().contains("'mch'"));
    assert!(
        observations(&mut p, &mut s, &pat).is_empty(),
        "all or nothing"
    );
    for (code, loinc) in [("mch", "785-6"), ("mchc", "786-4"), ("plt", "777-3")] {
        call(
            &mut p,
            &mut s,
            "hl7.code_map_set",
            json!({"lab": "SendingFac", "local_code": code, "loinc": loinc}),
        );
    }
    let held = unmatched(&mut p, &mut s)[0].clone();
    call(
        &mut p,
        &mut s,
        "hl7.assign",
        json!({"id": held["id"], "version": held["version"], "patient": pat}),
    );
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs.len(), 14);
    // OBX|1|NM|wbc^Wbc^Local^6690-2^Wbc^LN||7.0|/nl|3.8-11.0||||F|||20120410160227
    let wbc = by_code(&obs, "6690-2");
    assert_eq!(wbc["value_num"], 7.0);
    assert_eq!(wbc["unit"], "/nl");
    assert_eq!(wbc["ref_low"], 3.8);
    assert_eq!(wbc["ref_high"], 11.0);
    assert_eq!(wbc["flag"], "N", "no OBX-8: computed from the range");
    assert_eq!(wbc["effective"], "2012-04-10T16:02:27Z");
    // OBX|4|NM|monos^Monos^Local^5905-5^Monos^LN||16|%|4-15|H
    assert_eq!(by_code(&obs, "5905-5")["flag"], "H");
    // OBX|14|NM|plt^Platelets||221|/nl|140-400 (mapped to 777-3)
    let plt = by_code(&obs, "777-3");
    assert_eq!(plt["value_num"], 221.0);
    assert_eq!(plt["unit"], "/nl");
    // The mapping's display (the LOINC table's name for 777-3) names the result.
    let maps = call(&mut p, &mut s, "hl7.code_map_list", json!({}));
    let plt_map = maps
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["local_code"] == "plt")
        .unwrap();
    assert_eq!(plt["display"], plt_map["display"]);
    // With the mappings in place, the same lab's next message files directly.
    let next = text.replace("|59689|", "|59690|");
    let r = receive(&mut p, &mut s, &next);
    assert_eq!(r["outcome"], "applied", "{r:#}");
}

#[test]
fn the_cerner_result_after_its_specimen_is_filed() {
    let (_d, mut p, mut s) = setup();
    // PID-3 9339683996^^^Baseline West MC&…^MR, Miller^Paul^One, 20050715050000
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Miller", "given": ["Paul"], "birth_date": "2005-07-15", "mrn": "9339683996"}),
    );
    let r = receive(&mut p, &mut s, &sample("cerner-lead-2.5.1.hl7"));
    assert_eq!(r["outcome"], "applied", "{r:#}");
    // OBX|1|NM|10368-9^Lead Level^LN^…|1|50|ug/dL^Micrograms per Deciliter^UCUM|^^10.000000|H
    // |||F|||201011041640
    let obs = observations(&mut p, &mut s, &pat);
    let o = by_code(&obs, "10368-9");
    assert_eq!(o["value_num"], 50.0);
    assert_eq!(o["unit"], "ug/dL");
    assert_eq!(o["flag"], "H");
    assert_eq!(o["effective"], "2010-11-04T16:40:00Z");
}

#[test]
fn samples_that_cannot_be_filed_are_refused_with_the_reason_and_nothing_kept() {
    let (_d, mut p, mut s) = setup();
    patient(
        &mut p,
        &mut s,
        json!({"family": "Whiteagle", "given": ["Adam"], "birth_date": "1980-03-21", "mrn": "987488015"}),
    );
    patient(
        &mut p,
        &mut s,
        json!({"family": "Everyman", "given": ["Adam"], "birth_date": "1980-06-02", "mrn": "36363636"}),
    );
    patient(
        &mut p,
        &mut s,
        json!({"family": "test", "given": ["michael"], "birth_date": "1987-07-11", "mrn": "V001047"}),
    );
    // NIST case 6: its second OBX-3 `20995-1^Salmonella^LN` fails LOINC's check digit; the
    // message is filed whole or not at all.
    let r = receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case6.hl7"));
    assert_eq!(r["ack_code"], "AE", "{r:#}");
    assert_eq!(r["error_code"], "hl7_bad_field");
    let ack = r["ack"].as_str().unwrap();
    assert!(ack.contains("\rERR||OBX^2^3|102^"), "{ack:?}");
    assert!(ack.contains("20995-1"));
    assert!(
        r["text"].as_str().unwrap().starts_with("OBX 1 (line 7)"),
        "{r:#}"
    );
    // ELR hepatitis C: the first OBX's extra `|` leaves OBX-11 empty.
    let r = receive(&mut p, &mut s, &sample("elr-hepatitis-c-2.5.1.hl7"));
    assert_eq!(r["ack_code"], "AE");
    assert_eq!(r["error_code"], "hl7_missing_field");
    // Athena: an order with no OBX.
    let r = receive(&mut p, &mut s, &sample("athena-oru-2.5.1.hl7"));
    assert_eq!(r["ack_code"], "AE");
    assert!(r["text"].as_str().unwrap().contains("no results"));
    // Not HL7 at all, and a training message.
    let r = receive(&mut p, &mut s, "hello");
    assert_eq!(r["ack_code"], "AR");
    assert_eq!(r["error_code"], "hl7_not_a_message");
    let training = PRELIMINARY.replace("|P-1|P|", "|T-1|T|");
    let r = receive(&mut p, &mut s, &training);
    assert_eq!(r["ack_code"], "AR");
    assert_eq!(r["error_code"], "hl7_unsupported_processing_id");
    assert!(messages(&p).is_empty());
    let count: i64 = p
        .reader()
        .query_row("SELECT count(*) FROM observation", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn a_role_that_may_not_write_the_chart_cannot_receive_or_assign() {
    let (_d, mut p, mut s) = setup();
    let mut admin = common::admin(&mut p);
    call(
        &mut p,
        &mut admin,
        "user.create",
        json!({"name": "desk", "role": "front_desk", "password": "desk-password-1"}),
    );
    let mut desk = common::login(&mut p, "desk", "desk-password-1");
    for (command, args) in [
        ("hl7.receive", json!({"message": PRELIMINARY})),
        ("hl7.unmatched", json!({})),
    ] {
        let e = try_call(&mut p, &mut desk, command, args).unwrap_err();
        assert_eq!(e.code, "forbidden", "{command}");
    }
    assert!(unmatched(&mut p, &mut s).is_empty());
}

#[test]
fn a_rebuild_reproduces_the_filed_messages() {
    let (_d, mut p, mut s) = setup();
    johnson(&mut p, &mut s);
    receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case1.hl7"));
    receive(&mut p, &mut s, &sample("nist-oru-r01-2.5.1-case3.hl7"));
    receive(&mut p, &mut s, &sample("cerner-lead-2.5.1.hl7"));
    let report = p.rebuild(false).unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

/// The `chartkeep` binary on a new passphrase practice with a clinician and Philip Johnson
/// (NIST case 1's patient), as a lab interface's host would set it up.
struct Cli {
    root: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        let cli = Cli {
            root: tempfile::tempdir().unwrap(),
        };
        let ok = |out: std::process::Output| {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ok(cli
            .cmd()
            .env("CHARTKEEP_PASSWORD", common::ADMIN_PASSWORD)
            .args(["init", "--no-keychain", "--admin", "admin"])
            .output()
            .unwrap());
        let user = json!({"name": "drlee", "role": "clinician", "password": DOC_PASSWORD});
        ok(cli
            .cmd()
            .env("CHARTKEEP_PASSWORD", common::ADMIN_PASSWORD)
            .args(["call", "user.create", &user.to_string(), "--user", "admin"])
            .output()
            .unwrap());
        let johnson = json!({"family": "Johnson", "given": ["Philip"], "birth_date": "2007-05-26", "sex": "male", "mrn": "9817566735"});
        ok(cli
            .as_doctor()
            .args(["call", "patient.create", &johnson.to_string()])
            .output()
            .unwrap());
        cli
    }

    fn data(&self) -> std::path::PathBuf {
        self.root.path().join("practice")
    }

    fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("chartkeep"));
        c.env_clear()
            .env("HOME", self.root.path())
            .env("CHARTKEEP_PASSPHRASE", common::PASSPHRASE)
            .arg("--data")
            .arg(self.data());
        c
    }

    fn as_doctor(&self) -> std::process::Command {
        let mut c = self.cmd();
        c.env("CHARTKEEP_USER", "drlee")
            .env("CHARTKEEP_PASSWORD", DOC_PASSWORD);
        c
    }

    fn observations(&self) -> i64 {
        let p = common::open(&self.data());
        p.reader()
            .query_row("SELECT count(*) FROM observation", [], |r| r.get(0))
            .unwrap()
    }
}

fn sample_path(name: &str) -> String {
    format!("{}/tests/data/hl7v2/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_import_prints_each_message_and_fails_when_one_is_refused() {
    let cli = Cli::new();
    // One file holding two messages (case 1, then case 6), and the hepatitis sample, which
    // the parser refuses.
    let two = cli.root.path().join("two.hl7");
    let both = sample("nist-oru-r01-2.5.1-case1.hl7") + &sample("nist-oru-r01-2.5.1-case6.hl7");
    std::fs::write(&two, both).unwrap();
    let out = cli
        .as_doctor()
        .args(["import", "hl7v2"])
        .arg(&two)
        .arg(sample_path("elr-hepatitis-c-2.5.1.hl7"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].ends_with("#1: NIST-100929110701660 patient 9817566735, 1 observations, ACK AA"),
        "{stdout}"
    );
    // Case 6's patient is not registered: held for a person, accepted.
    assert!(
        lines[1].contains("#2: NIST-100929111015653 unmatched, 0 observations, ACK AA: held"),
        "{stdout}"
    );
    assert!(
        lines[2].contains("1234567890 not filed, 0 observations, ACK AE: OBX-11"),
        "{stdout}"
    );
    assert_eq!(cli.observations(), 1);
    // All accepted: exit 0, and the resent message is applied once.
    let out = cli
        .as_doctor()
        .args([
            "import",
            "hl7v2",
            &sample_path("nist-oru-r01-2.5.1-case1.hl7"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("already received, 0 observations, ACK AA"),
        "{stdout}"
    );
    assert_eq!(cli.observations(), 1);
}

/// Reads MLLP frames off a socket: the next whole ACK.
fn next_ack(stream: &mut std::net::TcpStream, pending: &mut Vec<u8>) -> String {
    use std::io::Read;
    loop {
        if let Some(end) = pending.windows(2).position(|w| w == [0x1c, 0x0d]) {
            let frame: Vec<u8> = pending.drain(..end + 2).collect();
            let start = frame.iter().position(|&b| b == 0x0b).expect("frame start");
            return String::from_utf8(frame[start + 1..frame.len() - 2].to_vec()).unwrap();
        }
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).expect("the listener answers");
        assert!(n > 0, "the listener closed the connection");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn msa_of(ack: &str) -> Vec<String> {
    ack.split('\r')
        .find(|l| l.starts_with("MSA|"))
        .unwrap_or_else(|| panic!("no MSA in {ack:?}"))
        .split('|')
        .map(str::to_string)
        .collect()
}

#[test]
fn mllp_listener_answers_each_message_and_keeps_serving_after_garbage() {
    use std::io::{BufRead, Write};
    let cli = Cli::new();
    let mut child = cli
        .as_doctor()
        .env("CHARTKEEP_LOG", "info")
        .args([
            "hl7",
            "listen",
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--max-frame",
            "4096",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    let frame = |text: &str| chartkeep::interop::hl7v2::mllp::encode(text.as_bytes());

    let mut a = std::net::TcpStream::connect(&addr).unwrap();
    let mut pending_a = Vec::new();
    // Garbage, then a frame over the limit, then a real message, all on one connection.
    a.write_all(&frame("this is not HL7")).unwrap();
    let ack = next_ack(&mut a, &mut pending_a);
    assert_eq!(msa_of(&ack)[1], "AR", "{ack:?}");
    let big = format!("MSH|^~\\&|{}", "x".repeat(5000));
    a.write_all(&frame(&big)).unwrap();
    let ack = next_ack(&mut a, &mut pending_a);
    assert_eq!(msa_of(&ack)[1], "AR");
    assert!(
        ack.contains("larger than the limit of 4096 bytes"),
        "{ack:?}"
    );
    a.write_all(&frame(&sample("nist-oru-r01-2.5.1-case1.hl7")))
        .unwrap();
    let ack = next_ack(&mut a, &mut pending_a);
    assert_eq!(
        msa_of(&ack)[1..3],
        ["AA", "NIST-100929110701660"],
        "{ack:?}"
    );
    // The ACK is addressed back to the sender (MSH-5/6 are the message's MSH-3/4).
    assert!(ack.starts_with("MSH|^~\\&|PH Application^"), "{ack:?}");

    // A second connection at the same time: the correction, then the first message again.
    let mut b = std::net::TcpStream::connect(&addr).unwrap();
    let mut pending_b = Vec::new();
    let mut two = frame(&sample("nist-oru-r01-2.5.1-case3.hl7"));
    two.extend(frame(&sample("nist-oru-r01-2.5.1-case1.hl7")));
    b.write_all(&two).unwrap();
    let ack = next_ack(&mut b, &mut pending_b);
    assert_eq!(msa_of(&ack)[1..3], ["AA", "NIST-100929110828087"]);
    let ack = next_ack(&mut b, &mut pending_b);
    assert_eq!(
        msa_of(&ack)[1..3],
        ["AA", "NIST-100929110701660"],
        "a resend: AA"
    );
    drop(a);
    drop(b);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    // Every message is logged (at info), and none of it names the patient.
    assert!(stderr.contains("HL7 v2 message"), "{stderr}");
    assert!(stderr.contains("NIST-100929110701660"), "{stderr}");
    for private in ["Johnson", "Philip", "9817566735", "20070526"] {
        assert!(!stderr.contains(private), "{private} in the log: {stderr}");
    }
    // Case 1 filed once, then corrected in place.
    assert_eq!(cli.observations(), 1);
    let p = common::open(&cli.data());
    let value: f64 = p
        .reader()
        .query_row("SELECT value_num FROM observation", [], |r| r.get(0))
        .unwrap();
    assert_eq!(value, 25.0);
}

#[test]
fn times_without_an_offset_are_read_at_the_practice_offset() {
    let (_d, mut p, mut s) = setup();
    let mut admin = common::admin(&mut p);
    let bad = try_call(
        &mut p,
        &mut admin,
        "setting.set",
        json!({"name": "hl7_local_offset", "value": "EST"}),
    )
    .unwrap_err();
    assert_eq!(bad.code, "invalid_input");
    call(
        &mut p,
        &mut admin,
        "setting.set",
        json!({"name": "hl7_local_offset", "value": "-05:00"}),
    );
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Doe", "given": ["Jane"], "birth_date": "1980-01-01", "mrn": "MRN77", "sex": "female"}),
    );
    // OBX-14 `20260301080000` with no offset: 08:00 at -05:00 is 13:00 UTC. One with its own
    // offset keeps it.
    let text = PRELIMINARY.replace("||||P|||20260301080000-0500", "||||F|||20260301080000");
    receive(&mut p, &mut s, &text);
    let obs = observations(&mut p, &mut s, &pat);
    assert_eq!(obs[0]["effective"], "2026-03-01T13:00:00Z");
}

#[test]
fn a_short_identifier_with_few_digits_matches_too() {
    let (_d, mut p, mut s) = setup();
    // Identifiers of four digits or more are found through the search index; this one is
    // not in it as digits, and is still found.
    let pat = patient(
        &mut p,
        &mut s,
        json!({"family": "Roe", "given": ["Rita"], "birth_date": "1980-01-01", "sex": "female",
               "identifiers": ["CL-7A"]}),
    );
    let text = PRELIMINARY.replace("PID|1||MRN77^^^ACME^MR|", "PID|1||CL-7A^^^ACME^PI|");
    let r = receive(&mut p, &mut s, &text);
    assert_eq!(r["outcome"], "applied", "{r:#}");
    assert_eq!(r["patient"], pat.as_str());
}

/// The app's Import page sends a lab's file whole (`hl7.import`): every message of it is
/// taken as `hl7.receive` takes one, in order, whatever envelope it came in.
#[test]
fn a_file_of_messages_sent_whole_gives_an_answer_for_each() {
    let (_d, mut p, mut s) = setup();
    let pat = johnson(&mut p, &mut s);
    let lead = sample("nist-oru-r01-2.5.1-case1.hl7");
    let unknown = sample("nist-oru-r01-2.5.1-case6.hl7");
    // A batch envelope around both, with the line ends labs mix.
    let file = format!(
        "FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r{}\n{}BTS|2\rFTS|1\r",
        lead.trim_end(),
        unknown
    );
    let out = call(
        &mut p,
        &mut s,
        "hl7.import",
        json!({"file": "results.hl7", "content": file}),
    );
    assert_eq!(out["file"], "results.hl7");
    let m = out["messages"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{out:#}");
    assert_eq!(m[0]["outcome"], "applied");
    assert_eq!(m[0]["patient"], pat.as_str());
    assert_eq!(
        m[1]["outcome"], "held",
        "case 6 names another patient: {:#}",
        m[1]
    );
    assert_eq!(observations(&mut p, &mut s, &pat).len(), 1);
    assert_eq!(unmatched(&mut p, &mut s).len(), 1);
    // The same file again: both received before.
    let again = call(
        &mut p,
        &mut s,
        "hl7.import",
        json!({"file": "results.hl7", "content": file}),
    );
    let m = again["messages"].as_array().unwrap();
    assert!(m.iter().all(|x| x["outcome"] == "duplicate"), "{again:#}");
}
