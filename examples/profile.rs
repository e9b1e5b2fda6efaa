use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::Practice;
use chartkeep::vault::{self, Secret};
use serde_json::json;
use std::sync::Arc;
fn main() {
    let what = std::env::args().nth(1).unwrap();
    let dir = std::path::PathBuf::from("target/bench-practice-10000");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bench-ready.json")).unwrap())
            .unwrap();
    let showcase = info["showcase"].as_str().unwrap().to_string();
    let (key, header) = vault::unlock(&dir, Secret::Passphrase("benchmark passphrase")).unwrap();
    let mut p = Practice::open(
        &dir,
        key,
        header,
        Arc::new(SystemClock),
        Arc::new(RandomIds),
    )
    .unwrap();
    let mut s = chartkeep::api::login(&mut p, "drlee", chartkeep::demo::DEMO_PASSWORD).unwrap();
    let t = std::time::Instant::now();
    match what.as_str() {
        "search" => {
            for i in 0..3000 {
                chartkeep::api::call(
                    &mut p,
                    &mut s,
                    "patient.search",
                    json!({"query": if i%2==0 {"gar an"} else {"smi jo"}}),
                )
                .unwrap();
            }
        }
        "summary" => {
            for _ in 0..200 {
                chartkeep::api::call(
                    &mut p,
                    &mut s,
                    "chart.summary",
                    json!({"patient": showcase}),
                )
                .unwrap();
            }
        }
        "timeline" => {
            for _ in 0..200 {
                chartkeep::api::call(
                    &mut p,
                    &mut s,
                    "chart.timeline",
                    json!({"patient": showcase, "limit": 200}),
                )
                .unwrap();
            }
        }
        "write" => {
            let pts: Vec<String> = {
                let mut st = p
                    .reader()
                    .prepare("SELECT id FROM patient LIMIT 500")
                    .unwrap();
                st.query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            };
            for i in 0..1000 {
                chartkeep::api::call(&mut p, &mut s, "vitals.record", json!({"patient": pts[i % pts.len()], "systolic": 120, "diastolic": 80, "heart_rate": 70, "temperature": 36.8, "weight": 70.0, "height": 170.0})).unwrap();
            }
        }
        "rebuild" => {
            let r = p.rebuild(false).unwrap();
            eprintln!("{} changes", r.changes);
        }
        _ => panic!(),
    }
    eprintln!("{what}: {:?}", t.elapsed());
}
