//! The demo generator: its records pass the API's own validation, the ledger rebuilds to
//! the same tables, and the same seed gives the same patients.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chartkeep::api::{self, Session};
use chartkeep::chart::{self, entities, record};
use chartkeep::clock::{Clock, IdSource, ManualClock, RandomIds, SeededIds, SystemClock};
use chartkeep::demo::{self, DEMO_PASSWORD};
use chartkeep::ledger::schema::EntityDef;
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::KeyPlan;
use serde_json::{json, Map, Value as Json};

const NOW: &str = "2026-11-01T12:00:00Z";

fn practice_with(dir: &std::path::Path, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Practice {
    let (p, _) = Practice::init(
        dir,
        KeyPlan::Passphrase("demo test passphrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        clock,
        ids,
        &ring::rand::SystemRandom::new(),
    )
    .expect("init");
    p
}

fn practice(dir: &std::path::Path, ids_seed: u64) -> Practice {
    practice_with(
        dir,
        Arc::new(ManualClock::at(NOW)),
        Arc::new(SeededIds::new(ids_seed)),
    )
}

fn count(p: &Practice, table: &str) -> i64 {
    p.reader()
        .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
            r.get(0)
        })
        .unwrap()
}

fn rows(p: &Practice, def: &EntityDef, order: &str) -> Vec<Map<String, Json>> {
    let mut stmt = p
        .reader()
        .prepare(&format!("SELECT * FROM \"{}\" ORDER BY {order}", def.table))
        .unwrap();
    let out = stmt
        .query_map([], |r| Ok(record::row_to_json(def, r)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    out
}

/// A row as a request: the record's own fields, without the columns the ledger keeps.
fn as_request(mut row: Map<String, Json>, drop: &[&str]) -> Json {
    for k in [
        "id",
        "created_change",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "retracted",
        "retract_reason",
        "version",
    ]
    .iter()
    .chain(drop)
    {
        row.remove(*k);
    }
    row.retain(|_, v| !v.is_null());
    Json::Object(row)
}

fn login(p: &mut Practice) -> Session {
    api::login(p, "drlee", DEMO_PASSWORD).expect("drlee logs in with the demo password")
}

#[test]
fn every_generated_record_passes_the_api_validation_and_the_ledger_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path(), 7);
    let mut seen = Vec::new();
    let report = demo::populate(&mut p, 30, 11, &mut |n| seen.push(n)).expect("populate");
    assert_eq!(report.patients, 30);
    assert_eq!(
        seen,
        (1..=30).collect::<Vec<_>>(),
        "progress counts every patient once, in order"
    );
    assert_eq!(count(&p, "patient"), 30);
    assert!(
        report.commits >= 2 && report.changes > 30 * 20,
        "{report:?}"
    );
    assert_eq!(report.encounters as i64, count(&p, "encounter"));
    assert_eq!(report.observations as i64, count(&p, "observation"));
    assert_eq!(report.notes as i64, count(&p, "note"));
    for table in [
        "coverage",
        "problem",
        "medication",
        "allergy",
        "immunization",
        "encounter",
        "observation",
        "note",
        "family_history",
        "social_history",
        "clinical_procedure",
    ] {
        assert!(count(&p, table) > 0, "no {table} rows");
    }
    let ledger_changes: i64 = p
        .reader()
        .query_row("SELECT count(*) FROM ledger_change", [], |r| r.get(0))
        .unwrap();
    assert!(ledger_changes as u64 >= report.changes);

    // Replaying the ledger gives exactly the live tables.
    let rebuilt = p.rebuild(false).expect("rebuild");
    assert!(
        rebuilt.differences.is_empty(),
        "{:?}",
        &rebuilt.differences[..rebuilt.differences.len().min(10)]
    );

    // The showcase patient has a real chart.
    let mut session = login(&mut p);
    let summary = api::call(
        &mut p,
        &mut session,
        "chart.summary",
        json!({"patient": report.showcase}),
    )
    .unwrap();
    assert!(
        summary["problems"].as_array().unwrap().len() >= 4,
        "{}",
        summary["problems"]
    );
    assert!(!summary["medications"].as_array().unwrap().is_empty());
    assert!(!summary["labs"].as_array().unwrap().is_empty());
    assert!(summary["encounters"].as_array().unwrap().len() == 5);
    // The demo's signed notes carry the digest of what they say, signed by drlee.
    let signed = chartkeep::chart::notes::check_signed(p.reader()).unwrap();
    assert!(signed.is_empty(), "{signed:?}");

    // The generated observations, grouped by panel, before anything is re-submitted.
    let mut panels: BTreeMap<String, Vec<Map<String, Json>>> = BTreeMap::new();
    for o in rows(&p, &entities::OBSERVATION, "created_at, id") {
        if let Some(id) = o.get("panel_id").and_then(Json::as_str) {
            panels.entry(id.to_string()).or_default().push(o);
        }
    }

    // Every row of every table, re-submitted through the API, is accepted. Notes come back
    // as drafts (the API signs with note.sign), patients get a fresh MRN.
    let mut checked = 0;
    for row in rows(&p, &entities::PATIENT, "rowid") {
        let req = as_request(row, &["mrn"]);
        api::call(&mut p, &mut session, "patient.create", req.clone())
            .unwrap_or_else(|e| panic!("patient.create refused {req}: {e:?}"));
        checked += 1;
    }
    for def in chart::RECORD_KINDS {
        let drop: &[&str] = if def.name == "note" {
            &["status", "signed_at", "signed_by", "signed_digest"]
        } else {
            &[]
        };
        for row in rows(&p, def, "created_at, id") {
            let mut req = as_request(row, drop);
            let command = format!("{}.add", def.name);
            let mut out = api::call(&mut p, &mut session, &command, req.clone());
            // The demo's charts were written without the safety check (a patient may take
            // the drug of a recorded allergy): such a save asks for an answer, and gets one.
            if let Err(e) = &out {
                if e.code == api::ErrorCode::AlertNeedsOverride {
                    let item = if def.name == "medication" {
                        json!({"type": "medication", "name": req["name"], "rxnorm": req["rxnorm"], "dose": req["dose"]})
                    } else {
                        json!({"type": "allergy", "substance": req["substance"], "code": req["code"]})
                    };
                    let check = api::call(
                        &mut p,
                        &mut session,
                        "cds.check",
                        json!({"patient": req["patient"], "item": item}),
                    )
                    .expect("cds.check");
                    let keys: Vec<Json> = check["alerts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|a| a["severity"] == "interruptive")
                        .map(|a| a["key"].clone())
                        .collect();
                    req["alert_overrides"] =
                        json!({"reason": "demo data re-entered", "alerts": keys});
                    out = api::call(&mut p, &mut session, &command, req.clone());
                }
            }
            let out = out.unwrap_or_else(|e| panic!("{command} refused {req}: {e:?}"));
            if def.name == "note" && checked % 7 == 0 {
                api::call(
                    &mut p,
                    &mut session,
                    "note.sign",
                    json!({"id": out["id"], "version": out["version"]}),
                )
                .expect("sign");
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} rows");

    // Vitals panels as the vitals form would take them, with the same BMI; lab panels as
    // labs.record takes them, with the same flags.
    let fields = [
        ("8480-6", "systolic"),
        ("8462-4", "diastolic"),
        ("8867-4", "heart_rate"),
        ("9279-1", "resp_rate"),
        ("8310-5", "temperature"),
        ("59408-5", "spo2"),
        ("8302-2", "height"),
        ("29463-7", "weight"),
        ("9843-4", "head_circumference"),
        ("72514-3", "pain"),
    ];
    let (mut vitals_forms, mut lab_forms) = (0, 0);
    for (_, members) in panels.iter().take(600) {
        let first = &members[0];
        if first["category"] == "vital" {
            let mut form = json!({"patient": first["patient"], "effective": first["effective"], "encounter": first["encounter"]});
            let mut bmi = None;
            for m in members {
                let code = m["code"].as_str().unwrap();
                if code == "39156-5" {
                    bmi = m["value_num"].as_f64();
                } else {
                    let name = fields
                        .iter()
                        .find(|f| f.0 == code)
                        .unwrap_or_else(|| panic!("vital {code}"))
                        .1;
                    form[name] = m["value_num"].clone();
                }
            }
            let saved = api::call(&mut p, &mut session, "vitals.record", form.clone())
                .unwrap_or_else(|e| panic!("vitals.record refused {form}: {e:?}"));
            let form_bmi = saved
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["code"] == "39156-5")
                .and_then(|o| o["value_num"].as_f64());
            assert_eq!(form_bmi, bmi, "BMI differs from the form's for {form}");
            vitals_forms += 1;
        } else {
            let results: Vec<Json> = members
                .iter()
                .map(|m| json!({"code": m["code"], "value_num": m["value_num"], "unit": m["unit"], "ref_low": m["ref_low"], "ref_high": m["ref_high"]}))
                .collect();
            let mut form = json!({"patient": first["patient"], "effective": first["effective"], "encounter": first["encounter"], "results": results});
            if let Some(panel) = first.get("panel").filter(|v| !v.is_null()) {
                form["panel"] = panel.clone();
            }
            let saved = api::call(&mut p, &mut session, "labs.record", form.clone())
                .unwrap_or_else(|e| panic!("labs.record refused {form}: {e:?}"));
            for (ours, theirs) in members.iter().zip(saved.as_array().unwrap()) {
                assert_eq!(ours["flag"], theirs["flag"], "flag of {ours:?}");
            }
            lab_forms += 1;
        }
    }
    assert!(
        vitals_forms > 50 && lab_forms > 10,
        "{vitals_forms} vitals forms, {lab_forms} lab forms"
    );
}

/// What must not change between runs with the same seed: names, birth dates, values.
fn content(p: &Practice) -> Vec<String> {
    let mut out = Vec::new();
    let mut stmt = p
        .reader()
        .prepare("SELECT mrn, family, given, birth_date, sex, language, phones FROM patient ORDER BY mrn")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?
            ))
        })
        .unwrap();
    out.extend(rows.map(Result::unwrap));
    let mut stmt = p
        .reader()
        .prepare(
            "SELECT p.mrn, o.code, o.value_num, o.effective, o.flag FROM observation o JOIN patient p ON p.id = o.patient
             ORDER BY p.mrn, o.effective, o.code",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}|{:?}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?
            ))
        })
        .unwrap();
    out.extend(rows.map(Result::unwrap));
    let mut stmt = p
        .reader()
        .prepare("SELECT p.mrn, n.title, n.assessment, n.plan FROM note n JOIN patient p ON p.id = n.patient ORDER BY p.mrn, n.title, n.plan, n.assessment")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap();
    out.extend(rows.map(Result::unwrap));
    out
}

#[test]
fn the_same_seed_gives_the_same_patients_and_another_seed_does_not() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let run = |ids_seed: u64, clock: &str, seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let mut p = practice_with(
            dir.path(),
            Arc::new(ManualClock::at(clock)),
            Arc::new(SeededIds::new(ids_seed)),
        );
        demo::populate_on(&mut p, 12, seed, day, &mut |_| {}).unwrap();
        content(&p)
    };
    // Different id sources and different wall clocks: the same patients.
    let a = run(7, NOW, 42);
    let b = run(8, "2027-03-05T08:30:00Z", 42);
    assert!(a.len() > 12 * 5);
    if let Some(i) = (0..a.len().min(b.len())).find(|i| a[*i] != b[*i]) {
        panic!("first difference at {i}: {} vs {}", a[i], b[i]);
    }
    assert_eq!(a, b);
    let c = run(7, NOW, 43);
    assert_ne!(a[..12], c[..12], "another seed gives other patients");
}

#[test]
fn a_practice_clock_sets_the_demo_day_and_nothing_is_in_its_future() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice_with(
        dir.path(),
        Arc::new(ManualClock::at("2025-06-15T09:00:00Z")),
        Arc::new(SeededIds::new(3)),
    );
    demo::populate(&mut p, 20, 5, &mut |_| {}).unwrap();
    for (table, col) in [
        ("encounter", "start"),
        ("observation", "effective"),
        ("immunization", "date"),
        ("problem", "onset_date"),
        ("medication", "start_date"),
        ("clinical_procedure", "date"),
        ("hospitalization", "admit_date"),
        ("note", "signed_at"),
    ] {
        let latest: Option<String> = p
            .reader()
            .query_row(&format!("SELECT max(\"{col}\") FROM {table}"), [], |r| {
                r.get(0)
            })
            .unwrap();
        if let Some(latest) = latest {
            assert!(latest.as_str() < "2025-06-15", "{table}.{col} {latest}");
        }
    }
    let born: String = p
        .reader()
        .query_row("SELECT max(birth_date) FROM patient", [], |r| r.get(0))
        .unwrap();
    assert!(born.as_str() < "2025-06-15");
}

#[test]
fn staff_accounts_are_made_once_and_runs_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path(), 9);
    demo::populate(&mut p, 5, 1, &mut |_| {}).unwrap();
    demo::populate(&mut p, 5, 2, &mut |_| {}).unwrap();
    for (name, _, role) in demo::STAFF {
        let n: i64 = p
            .reader()
            .query_row(
                "SELECT count(*) FROM app_user WHERE name = ?1 AND role = ?2",
                [name, role],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{name}");
    }
    for name in ["nurse.kim", "frontdesk", "billing"] {
        api::login(&mut p, name, DEMO_PASSWORD).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    let (patients, mrns): (i64, i64) = p
        .reader()
        .query_row(
            "SELECT count(*), count(DISTINCT mrn) FROM patient",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((patients, mrns), (10, 10));
    let drlee: String = p
        .reader()
        .query_row("SELECT id FROM app_user WHERE name = 'drlee'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let authors: Vec<String> = {
        let mut stmt = p
            .reader()
            .prepare("SELECT DISTINCT c.author FROM ledger_commit c JOIN ledger_change x ON x.commit_ord = c.ord WHERE x.entity = 'observation'")
            .unwrap();
        let v = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        v
    };
    assert_eq!(authors, vec![drlee], "drlee authors the demo charts");
}

#[test]
fn the_showcase_chart_spans_ten_years_of_visits() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path(), 4);
    let id = demo::showcase_chart(&mut p, 10, 2).expect("showcase");
    let n = |sql: &str| -> i64 {
        p.reader()
            .query_row(sql, [id.to_string()], |r| r.get(0))
            .unwrap()
    };
    let encounters = n("SELECT count(*) FROM encounter WHERE patient = ?1");
    let observations = n("SELECT count(*) FROM observation WHERE patient = ?1");
    let notes = n("SELECT count(*) FROM note WHERE patient = ?1");
    assert!((270..=310).contains(&encounters), "{encounters} encounters");
    assert!(
        (4000..=6500).contains(&observations),
        "{observations} observations"
    );
    assert_eq!(notes, encounters);
    let first: String = p
        .reader()
        .query_row(
            "SELECT min(start) FROM encounter WHERE patient = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(first.as_str() < "2017-01-01", "first visit {first}");
    let rebuilt = p.rebuild(false).unwrap();
    assert!(rebuilt.differences.is_empty());
    let mut session = login(&mut p);
    let timeline = api::call(
        &mut p,
        &mut session,
        "chart.timeline",
        json!({"patient": id, "limit": 5000}),
    )
    .unwrap();
    assert!(timeline.as_array().unwrap().len() > 600);
}

#[test]
fn patients_are_diverse() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice(dir.path(), 5);
    demo::populate(&mut p, 150, 3, &mut |_| {}).unwrap();
    let q = |sql: &str| -> i64 { p.reader().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(q("SELECT count(*) FROM patient WHERE family <> CAST(CAST(family AS BLOB) AS TEXT) OR length(CAST(family AS BLOB)) > length(family)") > 0, "some names have non-ASCII letters");
    assert!(
        q("SELECT count(*) FROM patient WHERE birth_date > '2024-11-01'") > 0,
        "infants"
    );
    assert!(
        q("SELECT count(*) FROM patient WHERE birth_date < '1951-11-01'") > 0,
        "people over 75"
    );
    assert!(q("SELECT count(DISTINCT sex) FROM patient") == 2);
    assert!(q("SELECT count(DISTINCT language) FROM patient") >= 3);
    assert!(q("SELECT count(*) FROM allergy WHERE no_known = 1") > 30);
    assert!(q("SELECT count(*) FROM allergy WHERE substance = 'Penicillin'") > 0);
    assert!(q("SELECT count(*) FROM problem WHERE code = 'E11.9'") > 0);
    assert!(q("SELECT count(*) FROM problem WHERE code = 'I10'") > 10);
    assert!(q("SELECT count(*) FROM medication WHERE name LIKE 'Metformin%'") > 0);
    assert!(
        q("SELECT count(*) FROM observation WHERE code = '4548-4' AND value_num > 6.4") > 0,
        "diabetic HbA1c results"
    );
    assert!(q("SELECT count(*) FROM observation WHERE flag = 'H'") > 0);
    assert!(
        q("SELECT count(*) FROM immunization WHERE cvx = '03'") > 0,
        "MMR for children"
    );
    assert!(
        q("SELECT count(*) FROM immunization WHERE cvx IN ('140', '150', '135', '197', '161')")
            > 20,
        "flu shots"
    );
    assert!(q("SELECT count(*) FROM coverage WHERE payer = 'Medicare'") > 0);
    assert!(q("SELECT count(*) FROM hospitalization") > 0);
    assert!(q("SELECT count(*) FROM note WHERE status = 'signed'") > 100);
    let visits = q("SELECT count(*) FROM encounter") as f64 / 150.0;
    let obs = q("SELECT count(*) FROM observation") as f64 / 150.0;
    assert!((3.0..15.0).contains(&visits), "{visits} visits per patient");
    assert!(
        (25.0..120.0).contains(&obs),
        "{obs} observations per patient"
    );
}

/// `cargo test --release --test demo -- --ignored --nocapture`; DEMO_PATIENTS sets the
/// size (default 2,000). Prints the rate and the row counts; asserts nothing about time.
#[test]
#[ignore]
fn generation_rate() {
    let n: usize = std::env::var("DEMO_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let mut p = practice_with(dir.path(), Arc::new(SystemClock), Arc::new(RandomIds));
    let t = Instant::now();
    let report = demo::populate(&mut p, n, 1, &mut |_| {}).unwrap();
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} patients in {s:.2} s: {:.0} patients/s, {:.0} changes/s, {} commits",
        n as f64 / s,
        report.changes as f64 / s,
        report.commits
    );
    for table in [
        "patient",
        "coverage",
        "problem",
        "medication",
        "allergy",
        "immunization",
        "encounter",
        "observation",
        "note",
        "family_history",
        "social_history",
        "clinical_procedure",
        "hospitalization",
        "ledger_change",
        "ledger_commit",
    ] {
        let c = count(&p, table);
        eprintln!(
            "  {table:20} {c:>10}  ({:.1} per patient)",
            c as f64 / n as f64
        );
    }
    let top: Vec<(String, String, i64)> = {
        let mut stmt = p
            .reader()
            .prepare("SELECT code, display, count(*) AS n FROM observation GROUP BY code ORDER BY n DESC LIMIT 15")
            .unwrap();
        let v = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        v
    };
    for (code, display, c) in top {
        eprintln!(
            "  {code:8} {c:>8}  ({:.1} per patient) {display}",
            c as f64 / n as f64
        );
    }
    let kinds: Vec<(String, i64)> = {
        let mut stmt = p
            .reader()
            .prepare("SELECT type, count(*) FROM encounter GROUP BY type")
            .unwrap();
        let v = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        v
    };
    for (kind, c) in kinds {
        eprintln!(
            "  {kind:24} {c:>8}  ({:.2} per patient)",
            c as f64 / n as f64
        );
    }
    let t = Instant::now();
    let id = demo::showcase_chart(&mut p, 10, 2).unwrap();
    eprintln!("showcase chart {id} in {:.2} s", t.elapsed().as_secs_f64());
    let size = std::fs::metadata(dir.path().join("chartkeep.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!("database: {:.1} MB", size as f64 / 1e6);
}
