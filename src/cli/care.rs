//! `chartkeep due`, `chartkeep registries` and `chartkeep forecast`: the decision-support
//! lists at a terminal, through the same API commands the desktop app calls.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value as Json};

use chartkeep::api;

/// `chartkeep due`: who is due for which preventive service, or one patient's Due panel.
#[derive(Args)]
pub struct DueArgs {
    /// One patient (id or MRN): their Due panel instead of the practice list.
    #[arg(long)]
    patient: Option<String>,
    /// First day of the period (YYYY-MM-DD); this month by default.
    #[arg(long)]
    from: Option<String>,
    /// Last day of the period.
    #[arg(long)]
    to: Option<String>,
    /// Only this rule (repeatable); `chartkeep call cds.rules` lists them.
    #[arg(long = "rule")]
    rules: Vec<String>,
    /// Print the list as CSV.
    #[arg(long, conflicts_with_all = ["recall", "json"])]
    csv: bool,
    /// Print the recall list (who to call, their phone) as CSV.
    #[arg(long, conflicts_with = "json")]
    recall: bool,
    #[arg(long)]
    json: bool,
    #[arg(long, env = "CHARTKEEP_USER")]
    user: Option<String>,
}

/// `chartkeep registries`: the monitoring registries.
#[derive(Args)]
pub struct RegistryArgs {
    /// The day to assess (YYYY-MM-DD); today by default.
    #[arg(long)]
    on: Option<String>,
    /// Only this registry (repeatable).
    #[arg(long = "registry")]
    registries: Vec<String>,
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[arg(long)]
    json: bool,
    #[arg(long, env = "CHARTKEEP_USER")]
    user: Option<String>,
}

/// `chartkeep forecast`: one patient's immunization forecast.
#[derive(Args)]
pub struct ForecastArgs {
    /// The patient's id or MRN.
    #[arg(long)]
    patient: String,
    /// The assessment date (YYYY-MM-DD); today by default.
    #[arg(long)]
    on: Option<String>,
    #[arg(long)]
    json: bool,
    #[arg(long, env = "CHARTKEEP_USER")]
    user: Option<String>,
}

fn n(v: &Json) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn s(v: &Json) -> &str {
    v.as_str().unwrap_or("")
}

pub fn due(dir: &Path, a: DueArgs) -> Result<ExitCode> {
    let (mut practice, _) = super::open(dir)?;
    let mut session = super::login(&mut practice, a.user)?;
    if let Some(p) = a.patient {
        let id = super::patient_id(&mut practice, &mut session, &p)?;
        let panel = api::call(
            &mut practice,
            &mut session,
            "cds.due",
            json!({ "patient": id, "on": a.from }),
        )?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&panel)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "Due on {} (rules {})",
            s(&panel["on"]),
            s(&panel["rules_version"])
        );
        for r in panel["preventive"].as_array().into_iter().flatten() {
            let status = s(&r["status"]["status"]);
            if status == "not_applicable" {
                continue;
            }
            println!(
                "  {:<15} {:<45} {}",
                status,
                s(&r["title"]),
                s(&r["explanation"]["why"])
            );
        }
        for l in panel["immunizations"]["lines"]
            .as_array()
            .into_iter()
            .flatten()
        {
            println!(
                "  {:<15} {:<45} {}",
                s(&l["due"]),
                format!("Vaccine: {}", s(&l["vaccine_group"])),
                l["recommended_date"].as_str().unwrap_or(s(&l["status"]))
            );
        }
        for r in panel["registries"].as_array().into_iter().flatten() {
            let flags: Vec<&str> = r["flags"].as_array().into_iter().flatten().map(s).collect();
            println!(
                "  {:<15} {:<45} {}",
                "registry",
                s(&r["title"]),
                flags.join("; ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let answer = api::call(
        &mut practice,
        &mut session,
        "cds.due_list",
        json!({
            "from": a.from,
            "to": a.to,
            "rules": a.rules,
            "csv": a.csv || a.recall || a.json,
            // The table of counts needs no rows.
            "limit": if a.json { None } else { Some(0) },
        }),
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else if a.csv {
        print!("{}", s(&answer["csv"]));
    } else if a.recall {
        print!("{}", s(&answer["recall_csv"]));
    } else {
        let list = &answer["list"];
        println!(
            "Due {} to {}, {} patients in care (rules {})",
            s(&list["from"]),
            s(&list["to"]),
            answer["patients"],
            s(&list["rules_version"])
        );
        println!(
            "{:<45} {:>8} {:>8} {:>8} {:>9}",
            "rule", "overdue", "due", "in period", "eligible"
        );
        for c in list["counts"].as_array().into_iter().flatten() {
            println!(
                "{:<58} {:>8} {:>8} {:>9} {:>9}",
                s(&c["title"]),
                n(&c["overdue"]),
                n(&c["due"]),
                n(&c["due_in_period"]),
                n(&c["eligible"])
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn registries(dir: &Path, a: RegistryArgs) -> Result<ExitCode> {
    let (mut practice, _) = super::open(dir)?;
    let mut session = super::login(&mut practice, a.user)?;
    let answer = api::call(
        &mut practice,
        &mut session,
        "registry.list",
        json!({ "on": a.on, "registries": a.registries }),
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else if a.csv {
        print!("{}", s(&answer["csv"]));
    } else {
        println!(
            "Registries on {}, {} patients in care",
            s(&answer["on"]),
            answer["patients"]
        );
        for l in answer["lists"].as_array().into_iter().flatten() {
            println!("{:<60} {:>6}", s(&l["title"]), n(&l["count"]));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn forecast(dir: &Path, a: ForecastArgs) -> Result<ExitCode> {
    let (mut practice, _) = super::open(dir)?;
    let mut session = super::login(&mut practice, a.user)?;
    let id = super::patient_id(&mut practice, &mut session, &a.patient)?;
    let f = api::call(
        &mut practice,
        &mut session,
        "immunization.forecast",
        json!({ "patient": id, "assessment_date": a.on }),
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&f)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Immunizations on {} ({})",
        s(&f["assessment_date"]),
        s(&f["source"])
    );
    for l in f["lines"].as_array().into_iter().flatten() {
        println!(
            "  {:<16} {:<28} dose {:<3} earliest {:<10} recommended {:<10} past due {}",
            s(&l["due"]),
            s(&l["vaccine_group"]),
            l["dose_number"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into()),
            l["earliest_date"].as_str().unwrap_or("-"),
            l["recommended_date"].as_str().unwrap_or("-"),
            l["past_due_date"].as_str().unwrap_or("-"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
