use std::sync::Arc;
use std::time::Instant;

use chartkeep::clock::{Clock, IdSource, ManualClock, SeededIds};
use chartkeep::ledger::{Change, Op, Value};
use chartkeep::practice::{Admin, Practice};
use chartkeep::vault::KeyPlan;

#[test]
#[ignore]
fn raw_ledger_rate() {
    let dir = tempfile::tempdir().unwrap();
    let mclock = Arc::new(ManualClock::at("2026-11-01T12:00:00Z"));
    let clock: Arc<dyn Clock> = mclock.clone();
    let ids: Arc<dyn IdSource> = Arc::new(SeededIds::new(7));
    let (mut p, _) = Practice::init(
        dir.path(),
        KeyPlan::Passphrase("pass phrase".into()),
        Admin {
            name: "admin",
            password: "admin-password-1",
        },
        clock.clone(),
        ids.clone(),
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let author = ids.uuid_v7(0);
    let per_commit: usize = std::env::var("PER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let sync = std::env::var("SYNC").unwrap_or("FULL".into());
    p.writer()
        .execute_batch(&format!("PRAGMA synchronous = {sync};"))
        .unwrap();
    let cache = std::env::var("CACHE").unwrap_or("-2000".into());
    p.writer()
        .execute_batch(&format!("PRAGMA cache_size = {cache};"))
        .unwrap();
    let adv = std::env::var("ADV").is_ok();
    if let Ok(extra) = std::env::var("EXTRA") {
        p.writer().execute_batch(&extra).unwrap();
    }
    let total: usize = std::env::var("TOTAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let t = Instant::now();
    let mut n = 0;
    let mut patient = ids.uuid_v7(clock.now_ms());
    while n < total {
        let mut changes = Vec::new();
        for i in 0..per_commit {
            if (n + i) % 100 == 0 {
                patient = ids.uuid_v7(clock.now_ms());
            }
            let f = vec![
                ("patient".to_string(), Value::Text(patient.to_string())),
                ("encounter".to_string(), Value::Text(patient.to_string())),
                ("panel".to_string(), Value::from("85353-1")),
                ("panel_id".to_string(), Value::Text(patient.to_string())),
                ("code".to_string(), Value::from("8480-6")),
                (
                    "display".to_string(),
                    Value::from("Systolic blood pressure"),
                ),
                ("category".to_string(), Value::from("vital")),
                ("value_num".to_string(), Value::Real(120.0 + i as f64)),
                ("unit".to_string(), Value::from("mm[Hg]")),
                ("effective".to_string(), Value::from("2025-01-01T10:00:00Z")),
                ("status".to_string(), Value::from("final")),
            ];
            changes.push(Change::new(
                ids.uuid_v7(clock.now_ms()),
                "observation",
                ids.uuid_v7(clock.now_ms()),
                Op::Create,
                f,
                vec![],
            ));
        }
        n += per_commit;
        if adv {
            mclock.advance_ms(per_commit as i64);
        }
        p.commit(author, changes).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!("per_commit={per_commit} sync={sync} cache={cache} adv={adv}: {n} changes in {s:.2}s = {:.0} changes/s, {:.0} commits/s", n as f64 / s, (n / per_commit) as f64 / s);
}
