//! Decision support through the API, on a real practice: the safety check stops a
//! medication or allergy save until the interruptive alert is answered, keeps the answer
//! with the row and does not ask again for the same pair and doses; the Due panel, the
//! forecast and the practice-wide lists read what the chart holds.

mod support;

use serde_json::{json, Value as Json};
use support::{arr, assert_error, clinic, id, s, shared, Clinic};

fn warfarin(c: &mut Clinic, patient: &str) -> Json {
    c.doc(
        "medication.add",
        json!({"patient": patient, "name": "Warfarin 5 MG Oral Tablet", "dose": "5 mg", "status": "active"}),
    )
}

fn check_ibuprofen(c: &mut Clinic, patient: &str, id: Option<&str>, dose: &str) -> Json {
    c.doc(
        "cds.check",
        json!({"patient": patient, "item": {"type": "medication", "id": id, "name": "Ibuprofen 400 MG Oral Tablet", "dose": dose}}),
    )
}

fn interruptive_keys(check: &Json) -> Vec<String> {
    arr(&check["alerts"])
        .iter()
        .filter(|a| a["severity"] == "interruptive")
        .map(|a| s(a, "key"))
        .collect()
}

#[test]
fn an_interruptive_interaction_stops_the_save_until_answered_and_the_answer_is_kept() {
    let mut c = shared();
    let p = c.patient("Alvarez", &["Rosa"], "1950-04-02");
    let w = warfarin(&mut c, &p);
    let before = c.commits();

    let check = check_ibuprofen(&mut c, &p, None, "400 mg");
    assert_eq!(check["needs_override"], true);
    let keys = interruptive_keys(&check);
    assert_eq!(keys.len(), 1, "{check}");
    let alert = &arr(&check["alerts"])[0];
    assert_eq!(alert["other"]["id"], w["id"]);
    assert!(
        !arr(&alert["citations"]).is_empty(),
        "every alert cites its source"
    );

    let add = json!({"patient": p, "name": "Ibuprofen 400 MG Oral Tablet", "dose": "400 mg"});
    let e = c.doc_err("medication.add", add.clone());
    assert_eq!(e.code, "alert_needs_override");
    assert!(e.message.contains("Warfarin"), "{}", e.message);
    // An answer with the key but no reason is refused too; nothing is written.
    let mut blank = add.clone();
    blank["alert_overrides"] = json!({"reason": " ", "alerts": keys});
    let e = c.doc_err("medication.add", blank);
    assert_eq!(e.code, "alert_needs_override");
    assert!(e.message.contains("reason"), "{}", e.message);
    assert_eq!(c.commits(), before, "a refused save writes nothing");

    let mut answered = add.clone();
    answered["alert_overrides"] =
        json!({"reason": "three days only; INR on Friday", "alerts": keys});
    let ibu = c.doc("medication.add", answered);
    let kept = arr(&ibu["alert_overrides"]);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["reason"], "three days only; INR on Friday");
    assert_eq!(kept[0]["key"], keys[0].as_str());
    assert_eq!(kept[0]["other_id"], w["id"]);
    assert!(!s(&kept[0], "by").is_empty() && !s(&kept[0], "at").is_empty());

    // The same pair at the same doses is not shown again...
    let again = check_ibuprofen(&mut c, &p, Some(&id(&ibu)), "400 mg");
    assert_eq!(again["needs_override"], false, "{again}");
    assert_eq!(arr(&again["suppressed"]).len(), 1);
    // ...an edit the check does not read needs no answer...
    let v = c.doc(
        "medication.update",
        json!({"id": id(&ibu), "version": ibu["version"], "frequency": "three times a day"}),
    );
    assert_eq!(v["frequency"], "three times a day");
    // ...but a new dose is something relevant: asked again.
    let e = c.doc_err(
        "medication.update",
        json!({"id": id(&ibu), "version": v["version"], "dose": "800 mg"}),
    );
    assert_eq!(e.code, "alert_needs_override");
    let check = check_ibuprofen(&mut c, &p, Some(&id(&ibu)), "800 mg");
    let keys = interruptive_keys(&check);
    let v = c.doc(
        "medication.update",
        json!({"id": id(&ibu), "version": v["version"], "dose": "800 mg",
               "alert_overrides": {"reason": "pain flare, reviewed", "alerts": keys}}),
    );
    assert_eq!(arr(&v["alert_overrides"]).len(), 2, "both answers are kept");
}

#[test]
fn a_client_cannot_write_alert_overrides_directly() {
    let mut c = shared();
    let p = c.patient("Brandt", &["Lea"], "1970-01-01");
    let m = c.doc(
        "medication.add",
        json!({"patient": p, "name": "Lisinopril 10 MG Oral Tablet",
               "alert_overrides": {"reason": "made up", "alerts": ["x"]}}),
    );
    assert!(m["alert_overrides"].is_null(), "{m}");
    let e = c.doc_err(
        "medication.add",
        json!({"patient": p, "name": "Lisinopril 10 MG Oral Tablet",
               "alert_overrides": [{"key": "forged"}]}),
    );
    assert_error(&e, "invalid_input", "alert_overrides");
}

#[test]
fn an_allergy_added_to_a_penicillin_patient_alerts_and_stopped_medications_do_not() {
    let mut c = shared();
    let p = c.patient("Chen", &["Wei"], "1988-09-12");
    c.doc(
        "medication.add",
        json!({"patient": p, "name": "Amoxicillin 500 MG Oral Capsule", "status": "active"}),
    );
    c.doc(
        "medication.add",
        json!({"patient": p, "name": "Sulfamethoxazole / Trimethoprim", "status": "stopped"}),
    );
    let check = c.doc(
        "cds.check",
        json!({"patient": p, "item": {"type": "allergy", "substance": "Penicillin"}}),
    );
    let alerts = arr(&check["alerts"]);
    assert!(
        alerts
            .iter()
            .any(|a| a["other"]["text"] == "Amoxicillin 500 MG Oral Capsule"),
        "{check}"
    );
    assert!(
        !alerts
            .iter()
            .any(|a| s(&a["other"], "text").contains("Sulfa")),
        "a stopped medication is not checked"
    );
    let add = json!({"patient": p, "substance": "Penicillin", "reactions": ["hives"]});
    assert_eq!(
        check["needs_override"], true,
        "an allergy to a drug taken now interrupts"
    );
    assert_eq!(
        c.doc_err("allergy.add", add.clone()).code,
        "alert_needs_override"
    );
    let mut answered = add;
    answered["alert_overrides"] = json!({"reason": "allergy recorded; amoxicillin being stopped",
                                          "alerts": interruptive_keys(&check)});
    let a = c.doc("allergy.add", answered);
    assert_eq!(
        arr(&a["alert_overrides"]).len(),
        interruptive_keys(&check).len()
    );
    // Something the tables do not know is said, not skipped.
    let tea = c.doc(
        "cds.check",
        json!({"patient": p, "item": {"type": "medication", "name": "Grandma's tea"}}),
    );
    assert!(
        arr(&tea["unchecked"])
            .iter()
            .any(|u| s(u, "message").contains("Grandma's tea")),
        "{tea}"
    );
}

#[test]
fn the_due_panel_reads_the_chart_and_a_decline_is_honoured() {
    let mut c = shared();
    // 56 on the test clock's day (2026-11-01): colorectal screening applies.
    let p = c.patient("Dorsey", &["Ann"], "1970-03-15");
    let due = c.doc("cds.due", json!({"patient": p}));
    let status = |due: &Json, rule: &str| -> String {
        arr(&due["preventive"])
            .iter()
            .find(|r| r["rule"] == rule)
            .map(|r| s(&r["status"], "status"))
            .unwrap_or_default()
    };
    assert_eq!(due["on"], support::TODAY);
    assert!(
        ["due", "overdue"].contains(&status(&due, "colorectal_cancer_screening").as_str()),
        "{}",
        status(&due, "colorectal_cancer_screening")
    );
    assert!(due["immunizations"]["lines"].is_array(), "{due}");

    // A colonoscopy last year satisfies it, with the date.
    c.doc(
        "procedure.add",
        json!({"patient": p, "code": "73761001", "code_system": "http://snomed.info/sct",
               "description": "Colonoscopy", "date": "2025-10-01", "status": "completed"}),
    );
    let due = c.doc("cds.due", json!({"patient": p}));
    assert_eq!(status(&due, "colorectal_cancer_screening"), "satisfied");

    // Declined mammography is shown as declined, with the reason.
    let e = c.doc_err(
        "decline.add",
        json!({"patient": p, "rule": "mammogram_please", "date": "2026-10-01", "reason": "no"}),
    );
    assert_error(&e, "invalid_input", "rule");
    c.doc(
        "decline.add",
        json!({"patient": p, "rule": "breast_cancer_screening", "date": "2026-10-01",
               "reason": "wants to discuss with her sister first"}),
    );
    let due = c.doc("cds.due", json!({"patient": p}));
    assert_eq!(status(&due, "breast_cancer_screening"), "declined");
}

#[test]
fn practice_lists_count_charts_and_follow_the_practice_settings() {
    let mut c = clinic(support::next_seed());
    let a = c.patient("Evans", &["Ida"], "1966-05-01");
    let _b = c.patient("Fox", &["Jo"], "1969-06-01");
    let child = c.doc(
        "patient.create",
        json!({"family": "Gomez", "given": ["Lia"], "birth_date": "2025-01-10", "sex": "female"}),
    );
    let list = c.doc(
        "cds.due_list",
        json!({"from": "2026-11-01", "to": "2026-11-30", "rules": ["colorectal_cancer_screening"], "csv": true}),
    );
    assert_eq!(list["patients"], 3);
    let counts = arr(&list["list"]["counts"]);
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0]["eligible"], 2);
    assert_eq!(arr(&list["list"]["rows"]).len(), 2);
    assert!(s(&list, "csv").lines().count() >= 3, "header and two rows");
    assert_eq!(arr(&list["recall"]).len(), 2);

    // A page of one: the counts, the totals and the CSV still cover everyone; without
    // `csv` there is none.
    let first = c.doc(
        "cds.due_list",
        json!({"from": "2026-11-01", "to": "2026-11-30", "rules": ["colorectal_cancer_screening"], "limit": 1}),
    );
    assert_eq!(arr(&first["list"]["rows"]).len(), 1);
    assert_eq!(first["rows_total"], 2);
    assert_eq!(first["recall_total"], 2);
    assert_eq!(first["list"]["counts"], list["list"]["counts"]);
    assert!(first.get("csv").is_none(), "CSV only when asked");
    let second = c.doc(
        "cds.due_list",
        json!({"from": "2026-11-01", "to": "2026-11-30", "rules": ["colorectal_cancer_screening"], "limit": 1, "offset": 1}),
    );
    assert_eq!(
        [&first["list"]["rows"][0], &second["list"]["rows"][0]],
        [&list["list"]["rows"][0], &list["list"]["rows"][1]],
        "two pages make the whole list, in order"
    );

    // A typo in a filter is refused, not answered with an empty list.
    let e = c.doc_err("cds.due_list", json!({"rules": ["colorectl"]}));
    assert_error(&e, "invalid_input", "rules");
    let e = c.doc_err("registry.list", json!({"registries": ["diabetes_typo"]}));
    assert_error(&e, "invalid_input", "registries");

    // A satisfied patient drops off.
    c.doc(
        "procedure.add",
        json!({"patient": a, "code": "73761001", "code_system": "http://snomed.info/sct",
               "description": "Colonoscopy", "date": "2024-02-01", "status": "completed"}),
    );
    let list = c.doc(
        "cds.due_list",
        json!({"from": "2026-11-01", "to": "2026-11-30", "rules": ["colorectal_cancer_screening"]}),
    );
    assert_eq!(arr(&list["list"]["rows"]).len(), 1);

    // A rule switched off by the practice is left out; a typo in the switches is refused.
    let rules = c.doc("cds.rules", json!({}));
    assert!(arr(&rules["rules"]).iter().all(|r| r["enabled"] == true));
    let e = c.admin_err(
        "setting.set",
        json!({"name": "preventive_rules", "value": "{\"rules\": {\"colorectl\": {\"enabled\": false}}}", "version": []}),
    );
    assert_eq!(e.code, "invalid_input");
    c.admin(
        "setting.set",
        json!({"name": "preventive_rules", "value": "{\"rules\": {\"colorectal_cancer_screening\": {\"enabled\": false}}}", "version": []}),
    );
    let list = c.doc(
        "cds.due_list",
        json!({"from": "2026-11-01", "to": "2026-11-30"}),
    );
    assert!(arr(&list["list"]["counts"])
        .iter()
        .all(|r| r["rule"] != "colorectal_cancer_screening"));

    // The child with no vaccines is on the vaccines registry; its forecast says overdue.
    let f = c.doc("immunization.forecast", json!({"patient": id(&child)}));
    assert!(
        arr(&f["lines"]).iter().any(|l| l["due"] == "overdue"),
        "{}",
        f["lines"]
    );
    let regs = c.doc("registry.list", json!({}));
    let vaccines = arr(&regs["lists"])
        .iter()
        .find(|l| s(l, "registry").contains("vaccin"))
        .cloned()
        .expect("a vaccines registry");
    assert!(
        arr(&vaccines["rows"])
            .iter()
            .any(|r| r["patient"]["id"] == child["id"]),
        "{vaccines}"
    );
    // A practice-defined registry with a bad code list is refused with its path.
    let e = c.admin_err(
        "setting.set",
        json!({"name": "registries", "value": "[{\"id\": \"x\"}]", "version": []}),
    );
    assert_eq!(e.code, "invalid_input");
}

#[test]
fn immunization_evaluate_answers_without_a_chart_and_refuses_impossible_dates() {
    let mut c = shared();
    let r = c.doc(
        "immunization.evaluate",
        json!({"birth_date": "2026-01-01", "sex": "female", "assessment_date": "2026-11-01",
               "doses": [{"date": "2026-03-01", "cvx": "08", "mvx": null}]}),
    );
    assert!(arr(&r["doses"])[0]["evaluations"].is_array(), "{r}");
    let e = c.doc_err(
        "immunization.evaluate",
        json!({"birth_date": "2026-01-01", "sex": "female", "assessment_date": "2025-11-01"}),
    );
    assert_eq!(e.code, "cdsi_assessment_before_birth");
    let obs = c.doc("immunization.observations", json!({}));
    assert!(arr(&obs).len() > 10);
}

#[test]
fn a_cdsi_condition_recorded_as_a_problem_reaches_the_forecast() {
    let mut c = shared();
    let p = c.patient("Haddad", &["Mina"], "1996-02-20");
    let e = c.doc_err(
        "problem.add",
        json!({"patient": p, "code": "99999", "code_system": "cdsi"}),
    );
    assert_error(&e, "invalid_code", "code");
    let pregnant = c.doc(
        "problem.add",
        json!({"patient": p, "code": "007", "code_system": "cdsi", "onset_date": "2026-08-01"}),
    );
    assert!(
        !s(&pregnant, "display").is_empty(),
        "the title fills the display"
    );
    let f = c.doc("immunization.forecast", json!({"patient": p}));
    assert_eq!(f["observations"], json!(["007"]));
    let none = c.patient("Ito", &["Kai"], "1996-02-20");
    let g = c.doc("immunization.forecast", json!({"patient": none}));
    assert_ne!(
        f["lines"], g["lines"],
        "pregnancy changes the forecast (MMR and varicella are contraindicated)"
    );
}

/// A practice-wide list reads every chart at once, and of the results only the codes its
/// rules and registries name, from an index; the Due panel reads one whole chart. For
/// every patient, on any day, both must give the same statuses and the same reasons.
#[test]
fn practice_wide_lists_give_what_each_whole_chart_gives() {
    use chartkeep::care::chart_facts::{self, Needs};
    use chartkeep::care::preventive::{due_list, RuleSet, Settings};
    use chartkeep::care::registries::{registry_lists, RegistrySet};
    use chrono::NaiveDate;

    let mut env = support::practice(support::next_seed());
    chartkeep::demo::populate(&mut env.practice, 80, 5, &mut |_| {}).expect("demo practice");
    let conn = env.practice.reader();
    let rules = RuleSet::shipped();
    let registries = RegistrySet::shipped();
    let needs = Needs {
        result_codes: rules.result_codes(|_| true),
        doses: false,
    };
    let listed = chart_facts::for_practice(conn, &needs, env.practice.spare_reader().unwrap())
        .expect("practice read");
    assert_eq!(listed.len(), 80);
    let whole: Vec<_> = listed
        .iter()
        .map(|c| {
            let id = uuid::Uuid::parse_str(&c.patient.id).unwrap();
            chart_facts::for_patient(conn, &id).expect("chart read")
        })
        .collect();
    let left_out = whole
        .iter()
        .flat_map(|c| &c.facts.observations)
        .filter(|o| !needs.result_codes.contains(&o.loinc))
        .count();
    assert!(left_out > 0, "the demo charts hold results no rule reads");

    let settings = Settings::default();
    for on in ["2026-11-01", "2024-03-15", "2021-07-01"] {
        let from = NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap();
        let to = from + chrono::Duration::days(30);
        let by_practice = due_list(
            rules,
            &settings,
            listed.iter().map(|c| (c.patient.clone(), &c.facts)),
            (from, to),
        );
        let by_chart = due_list(
            rules,
            &settings,
            whole.iter().map(|c| (c.patient.clone(), &c.facts)),
            (from, to),
        );
        assert!(!by_chart.rows.is_empty(), "someone is due on {on}");
        assert_eq!(by_practice, by_chart, "due list on {on}");
    }

    let needs = Needs {
        result_codes: registries.result_codes(),
        doses: false,
    };
    let listed = chart_facts::for_practice(conn, &needs, None).expect("practice read");
    for on in ["2026-11-01", "2023-01-10"] {
        let on = NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap();
        let by_practice = registry_lists(
            registries,
            listed.iter().map(|c| (c.patient.clone(), &c.facts)),
            on,
        );
        let by_chart = registry_lists(
            registries,
            whole.iter().map(|c| (c.patient.clone(), &c.facts)),
            on,
        );
        assert!(
            by_chart.iter().any(|l| !l.rows.is_empty()),
            "someone is on a registry on {on}"
        );
        assert_eq!(by_practice, by_chart, "registries on {on}");
    }
}

/// Records entered in Chartkeep count for the quality measures once the visit has a coded
/// kind: a diabetic and hypertensive patient with an annual wellness visit, an HbA1c over
/// 9% and a controlled blood pressure is in CMS122's numerator and CMS165's; the same
/// chart with the visit in words only is in neither measure's initial population.
#[test]
fn a_coded_visit_entered_in_chartkeep_counts_for_the_measures() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/cds/ecqm/input/vocabulary/valueset/external");
    if !dir.is_dir() {
        assert_ne!(
            std::env::var("CHARTKEEP_REQUIRE_ECQM").as_deref(),
            Ok("1"),
            "no value sets at {}",
            dir.display()
        );
        eprintln!("skipping: no value sets at {}", dir.display());
        return;
    }
    let mut c = clinic(support::next_seed());
    let (sets, _) = chartkeep::care::measures::value_sets::read_dir(&dir).expect("value sets");
    chartkeep::api::import_value_sets(&mut c.env.practice, &mut c.admin, &sets, Default::default())
        .expect("import");

    // The form's kinds: shipped SNOMED CT ones, then the imported CPT codes.
    let kinds = c.doc("visit.kinds", json!({}));
    let awv = arr(&kinds)
        .iter()
        .find(|k| k["code"] == "444971000124105")
        .expect("annual wellness visit offered");
    assert_eq!(awv["value_sets"], json!(["Annual Wellness Visit"]));
    assert!(arr(&kinds)
        .iter()
        .any(|k| k["system"] == "CPT" && k["code"] == "99213" && k["group"] == "Office Visit"));

    let chart = |c: &mut Clinic, family: &str, visit: Json| -> String {
        let p = c.patient(family, &["Dana"], "1960-06-15");
        for code in ["E11.9", "I10"] {
            c.doc(
                "problem.add",
                json!({"patient": p, "code": code, "onset_date": "2019-01-10"}),
            );
        }
        let mut visit = visit;
        visit["patient"] = json!(p);
        let v = c.doc("encounter.add", visit);
        c.doc(
            "observation.add",
            json!({"patient": p, "encounter": id(&v), "code": "4548-4", "value_num": 9.6, "unit": "%", "effective": "2025-03-10T09:30:00Z"}),
        );
        c.doc(
            "vitals.record",
            json!({"patient": p, "encounter": id(&v), "effective": "2025-03-10T09:10:00Z", "systolic": 132, "diastolic": 84}),
        );
        p
    };
    let coded = chart(
        &mut c,
        "Okafor",
        json!({"start": "2025-03-10T09:00:00Z", "end": "2025-03-10T09:40:00Z", "type_code": "444971000124105", "status": "finished"}),
    );
    let words = chart(
        &mut c,
        "Lindqvist",
        json!({"start": "2025-03-10T10:00:00Z", "type": "Office visit", "status": "finished"}),
    );
    let visits = c.doc("encounter.list", json!({"patient": coded}));
    assert_eq!(
        arr(&visits)[0]["type"],
        "Annual wellness visit",
        "the shipped kind fills the words"
    );

    let ids =
        |pop: &Json| -> Vec<String> { arr(&pop["patients"]).iter().map(|m| s(m, "id")).collect() };
    for (measure, why) in [("CMS122", "9.6%"), ("CMS165", "132/84 mmHg")] {
        let e = c.doc(
            "measure.evaluate",
            json!({"measure": measure, "from": "2025-01-01", "to": "2025-12-31"}),
        );
        let g = &e["groups"][0];
        assert_eq!(
            ids(&g["initial_population"]),
            vec![coded.clone()],
            "{measure}: {g}"
        );
        assert_eq!(ids(&g["numerator"]), vec![coded.clone()], "{measure}: {g}");
        assert!(!ids(&g["initial_population"]).contains(&words));
        let because = s(&arr(&g["numerator"]["patients"])[0], "because");
        assert!(because.contains(why), "{measure}: {because}");
        // One patient's evaluation (the Due panel's) reads the same coded visit.
        let one = c.doc(
            "measure.evaluate",
            json!({"measure": measure, "from": "2025-01-01", "to": "2025-12-31", "patient": coded}),
        );
        assert_eq!(one["groups"][0]["numerator"], g["numerator"], "{measure}");
    }

    // Bad codes are refused with what to do, and nothing is written.
    let p = c.patient("Brandt", &["Ola"], "1970-01-01");
    let before = c.commits();
    let e = c.doc_err(
        "encounter.add",
        json!({"patient": p, "start": "2025-05-01T09:00:00Z", "type_code": "444971000124106"}),
    );
    assert_error(&e, "invalid_code", "check digit");
    let e = c.doc_err(
        "encounter.add",
        json!({"patient": p, "start": "2025-05-01T09:00:00Z", "type_code": "99213", "type_system": "ICD-10-CM"}),
    );
    assert_error(&e, "invalid_code", "CPT or HCPCS");
    let e = c.doc_err(
        "encounter.add",
        json!({"patient": p, "start": "2025-05-01T09:00:00Z", "type_code": "99213", "type_system": "CPT"}),
    );
    assert_error(&e, "invalid_input", "in words");
    assert_eq!(c.commits(), before, "a refused visit writes nothing");
    let v = c.doc(
        "encounter.add",
        json!({"patient": p, "start": "2025-05-01T09:00:00Z", "type": "Diabetes follow-up", "type_code": "99213", "type_system": "cpt"}),
    );
    assert_eq!(
        (s(&v, "type_code"), s(&v, "type_system")),
        ("99213".into(), "CPT".into())
    );

    // The code picker searches the kinds by words and the imported codes by prefix; a
    // code given without its system is placed by its shape, also when an edit changes it.
    let words = c.doc(
        "code.search",
        json!({"system": "visit", "query": "wellness"}),
    );
    assert!(
        arr(&words).iter().any(|h| h["code"] == "444971000124105"),
        "{words}"
    );
    let prefix = c.doc("code.search", json!({"system": "visit", "query": "9921"}));
    let cpt = arr(&prefix)
        .iter()
        .find(|h| h["code"] == "99213")
        .expect("99213 found");
    assert_eq!(cpt["display"], "Office Visit (CPT)");
    let v = c.doc(
        "encounter.add",
        json!({"patient": p, "start": "2025-06-01T09:00:00Z", "type": "Follow-up", "type_code": "99214"}),
    );
    assert_eq!(s(&v, "type_system"), "CPT");
    let v = c.doc(
        "encounter.update",
        json!({"id": id(&v), "version": v["version"], "type_code": "444971000124105"}),
    );
    assert_eq!(s(&v, "type_code"), "444971000124105");
    assert_eq!(v["type_system"], Json::Null);
}
