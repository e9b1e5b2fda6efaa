//! `chartkeep`: the command line over the same engine and API the desktop app uses.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use clap::{Parser, Subcommand};
use serde_json::{json, Value as Json};

mod care;
mod hl7;
mod serve;
mod sync;

use chartkeep::api::{self, ApiError};
use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::practice::{Admin, Practice, PracticeError};
use chartkeep::vault::backup;
use chartkeep::vault::header::{self, KeyMode};
use chartkeep::vault::keychain::{KeyStore, OsKeychain};
use chartkeep::vault::{self, KeyPlan, Secret, VaultError};

#[derive(Parser)]
#[command(
    name = "chartkeep",
    version,
    about = "Chartkeep: an offline-first, encrypted medical record"
)]
struct Cli {
    /// The practice's data folder (default: the platform's data folder).
    #[arg(long, env = "CHARTKEEP_DATA", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a practice: database, key, recovery code and the first administrator.
    Init {
        /// The first administrator's user name (asked if not given).
        #[arg(long)]
        admin: Option<String>,
        /// Protect the key with a passphrase instead of the OS keychain.
        #[arg(long)]
        no_keychain: bool,
    },
    /// Unlock with the recovery code and store the key anew (keychain or a new passphrase).
    Recover {
        #[arg(long)]
        no_keychain: bool,
    },
    /// Rotate the database key; prints a new recovery code (the old one stops working).
    Rekey,
    /// Write a consistent, encrypted, self-verifying backup of the practice. Needs an
    /// administrator's login (--user), or the recovery code in CHARTKEEP_RECOVERY_CODE; the
    /// access log records it.
    Backup {
        file: PathBuf,
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
    /// Restore a backup into an empty folder (--data), with its recovery code or passphrase.
    Restore {
        file: PathBuf,
        #[arg(long)]
        no_keychain: bool,
    },
    /// Check SQLCipher's and SQLite's integrity, the whole ledger and the access log.
    Verify {
        /// Also check against an anchor written earlier by `chartkeep audit anchor`: nothing
        /// it saw may have changed.
        #[arg(long)]
        against: Option<PathBuf>,
        /// Also print `digest: HEX` last: a digest of every projection, the same on
        /// workstations that hold the same commits whatever order they arrived in.
        #[arg(long)]
        digest: bool,
    },
    /// Replay the ledger into fresh projections and report differences from the live tables.
    Rebuild {
        /// Only compare; leave the live tables as they are.
        #[arg(long)]
        check: bool,
    },
    /// The access log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
        #[arg(long, env = "CHARTKEEP_USER", global = true)]
        user_login: Option<String>,
    },
    /// Run any API command as a user: JSON from the argument or stdin, result on stdout.
    Call {
        command: Option<String>,
        json: Option<String>,
        /// Log in as this user (or CHARTKEEP_USER); the password comes from CHARTKEEP_PASSWORD or a prompt.
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
        /// List the commands.
        #[arg(long)]
        list: bool,
    },
    /// Fill the practice with deterministic synthetic patients (creating the practice if needed).
    Demo {
        #[arg(long)]
        patients: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print one patient's chart summary when done.
        #[arg(long)]
        show: bool,
    },
    /// Print the API reference (docs/api.md).
    ApiDocs,
    /// Print the API's JSON Schema (docs/api.schema.json), for the desktop UI's types.
    ApiSchema,
    /// Serve the desktop app's UI and API to a browser on this computer; prints the URL
    /// (with this launch's token) first and serves until stopped. With CHARTKEEP_PASSPHRASE
    /// set, a passphrase practice is unlocked at start.
    Serve {
        #[arg(long, default_value_t = 8420)]
        port: u16,
        /// The address to listen on; anything but 127.0.0.1 needs --allow-remote.
        #[arg(long, default_value = "127.0.0.1")]
        address: std::net::IpAddr,
        /// Allow listening on an address other computers can reach.
        #[arg(long)]
        allow_remote: bool,
        /// Serve the UI from this folder (e.g. ui/dist) instead of the copy built into the
        /// binary: for working on the UI without rebuilding chartkeep.
        #[arg(long)]
        ui_dir: Option<PathBuf>,
    },
    /// Print the desktop UI's TypeScript types (ui/src/lib/api/types.gen.ts).
    UiTypes,
    /// Show which practice is in the data folder and how its key is kept.
    Status,
    /// Sync with the practice's other workstations: pair, serve, exchange, status.
    Sync {
        #[command(subcommand)]
        cmd: sync::SyncCmd,
    },
    /// Import records from another system: FHIR R4 Bundles or NDJSON, or C-CDA documents
    /// (files or folders).
    /// One commit per patient; the same data imported again writes nothing twice; a
    /// patient who may already be here waits for a decision (--on-match, --decide).
    #[command(args_conflicts_with_subcommands = true)]
    Import {
        #[command(subcommand)]
        cmd: Option<ImportCmd>,
        /// FHIR R4 or C-CDA files, or folders (searched for .json, .ndjson and .xml files).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        how: ImportHow,
        #[arg(long, env = "CHARTKEEP_USER", global = true)]
        user: Option<String>,
    },
    /// HL7 v2 lab results from a lab's interface.
    Hl7 {
        #[command(subcommand)]
        cmd: hl7::Hl7Cmd,
    },
    /// Preventive care due: the practice's due list for a period (counts per rule, or the
    /// list or recall list as CSV), or one patient's Due panel with --patient.
    Due(care::DueArgs),
    /// Monitoring registries: the patients not meeting each registry's parameters.
    Registries(care::RegistryArgs),
    /// One patient's immunization forecast to CDC's CDSi logic.
    Forecast(care::ForecastArgs),
    /// Compute a quality measure (CMS122, CMS165, CMS125, CMS130, CMS138) for a
    /// measurement period: each population's count, or with --json the patients in each.
    Measure {
        /// CMS122, CMS165, CMS125, CMS130 or CMS138.
        name: String,
        /// First day of the period, e.g. 2025-01-01.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day of the period, included.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// Print the whole evaluation as JSON: every population's patients by id, MRN and
        /// name, with why.
        #[arg(long)]
        json: bool,
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
    /// Export records in a standard format, for another system or the patient.
    Export {
        #[command(subcommand)]
        cmd: ExportCmd,
        #[arg(long, env = "CHARTKEEP_USER", global = true)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// FHIR R4: Bundles (transaction, batch, collection, searchset, document), single
    /// resources or NDJSON, told apart by content.
    Fhir {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        how: ImportHow,
    },
    /// C-CDA R2.1 documents (a Continuity of Care Document, a referral, a discharge
    /// summary): the patient, and every entry of the problem, allergy, medication,
    /// immunization, result, vital sign, procedure and smoking status sections become chart
    /// entries, under the same matching and review rules as FHIR; the document itself is
    /// kept in the chart as an attached document.
    Ccda {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        how: ImportHow,
    },
    /// HL7 v2 ORU^R01 lab results (2.3 to 2.5.1), one or several messages a file: each is
    /// filed in the chart its PID names, or held in the unmatched results queue. Prints one
    /// line a message (control id, patient or "unmatched", observations written, ACK code);
    /// exits 1 when any message was refused. Needs a user who may write the chart.
    Hl7v2 {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Value sets for the quality measures: a folder of FHIR ValueSet files with their
    /// expansions (a VSAC export), in one commit. Needs an administrator.
    Valuesets { dir: PathBuf },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Print access log entries between two dates.
    Report {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Only this user's accesses.
        #[arg(long)]
        user: Option<String>,
        /// Only accesses to this patient (id).
        #[arg(long)]
        patient: Option<String>,
    },
    /// Check the access log's hash chain.
    Verify,
    /// Write a signed statement of the ledger's and the access log's heads to FILE; keep it
    /// outside the practice folder, and check later with `chartkeep verify --against FILE`.
    Anchor { file: PathBuf },
}

#[derive(clap::Args, Default)]
struct ImportHow {
    /// A patient who may already be here (same identifier, or same name and birth
    /// date): ask (list them and import nothing of theirs), link (add to the one patient
    /// who matches), or new (register as a new patient).
    #[arg(long, default_value = "ask", value_parser = ["ask", "link", "new"])]
    on_match: String,
    /// A decision for a patient listed as waiting: SOURCE=PATIENT_ID to link, or
    /// SOURCE=new to register as new. May be repeated.
    #[arg(long = "decide", value_name = "SOURCE=PATIENT|new")]
    decide: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum ExportCmd {
    /// A patient's International Patient Summary (IPS 2.0 FHIR document), to take along.
    Ips {
        /// The patient's id or MRN.
        #[arg(long)]
        patient: String,
        /// The file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// One patient's whole chart as a FHIR R4 Bundle (JSON), or with --all every chart as
    /// FHIR Bulk Data NDJSON in a folder (an administrator's export).
    Fhir {
        /// The patient's id or MRN.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        patient: Option<String>,
        /// Every patient of the practice.
        #[arg(long)]
        all: bool,
        /// The file to write (must not exist yet), or with --all a new or empty folder.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Exit status for a wrong passphrase or recovery code.
const EXIT_WRONG_SECRET: u8 = 3;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHARTKEEP_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let (code, status) = classify(&e);
            eprintln!("error: {e:#}");
            if !code.is_empty() {
                eprintln!("(code: {code})");
            }
            ExitCode::from(status)
        }
    }
}

fn classify(e: &anyhow::Error) -> (String, u8) {
    if let Some(v) = e.downcast_ref::<VaultError>() {
        return (
            v.code().into(),
            if v.is_wrong_secret() {
                EXIT_WRONG_SECRET
            } else {
                1
            },
        );
    }
    if let Some(p) = e.downcast_ref::<PracticeError>() {
        let wrong = matches!(p, PracticeError::Vault(v) if v.is_wrong_secret());
        return (p.code().into(), if wrong { EXIT_WRONG_SECRET } else { 1 });
    }
    if let Some(a) = e.downcast_ref::<ApiError>() {
        return (a.code.to_string(), 1);
    }
    (String::new(), 1)
}

/// The platform's data folder for Chartkeep.
fn default_data_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "windows") {
        let appdata = std::env::var_os("APPDATA")
            .ok_or_else(|| anyhow!("APPDATA is not set; pass --data DIR"))?;
        return Ok(PathBuf::from(appdata).join("Chartkeep"));
    }
    if cfg!(target_os = "macos") {
        let home = home.ok_or_else(|| anyhow!("HOME is not set; pass --data DIR"))?;
        return Ok(home.join("Library/Application Support/Chartkeep"));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("chartkeep"));
    }
    let home = home.ok_or_else(|| anyhow!("HOME is not set; pass --data DIR"))?;
    Ok(home.join(".local/share/chartkeep"))
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// A secret from the environment, or asked on the terminal (twice when `confirm`).
fn secret(env: &str, prompt: &str, confirm: bool) -> Result<String> {
    if let Some(s) = env_secret(env) {
        return Ok(s);
    }
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "{prompt} is needed: set {env} or run in a terminal"
        ));
    }
    let first = rpassword::prompt_password(format!("{prompt}: "))?;
    if confirm {
        let again = rpassword::prompt_password(format!("{prompt} (again): "))?;
        if again != first {
            return Err(anyhow!("the two entries differ; nothing was changed"));
        }
    }
    Ok(first)
}

fn line(prompt: &str, default: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Ok(default.to_string());
    }
    eprint!("{prompt} [{default}]: ");
    std::io::stderr().flush()?;
    let mut s = String::new();
    std::io::stdin().read_line(&mut s)?;
    let s = s.trim();
    Ok(if s.is_empty() {
        default.to_string()
    } else {
        s.to_string()
    })
}

fn new_passphrase() -> Result<String> {
    let p = match env_secret("CHARTKEEP_NEW_PASSPHRASE") {
        Some(p) => p,
        None => secret(
            "CHARTKEEP_PASSPHRASE",
            "New passphrase for this practice's key",
            true,
        )?,
    };
    if p.chars().count() < 8 {
        return Err(anyhow!(
            "the passphrase needs at least 8 characters; nothing was changed"
        ));
    }
    Ok(p)
}

/// The keychain, or why not, said plainly.
fn keychain_or_passphrase(no_keychain: bool) -> Result<(Option<OsKeychain>, Option<String>)> {
    if no_keychain {
        return Ok((None, Some(new_passphrase()?)));
    }
    match OsKeychain::probe() {
        Ok(k) => Ok((Some(k), None)),
        Err(e) => {
            eprintln!("{e}");
            Ok((None, Some(new_passphrase()?)))
        }
    }
}

fn say_mode(dir: &Path, mode: KeyMode) {
    let how = match mode {
        KeyMode::Keychain => "the database key is kept in the OS keychain",
        KeyMode::Passphrase => "the database key is protected by a passphrase (no OS keychain)",
    };
    eprintln!("Practice in {}: {how}.", dir.display());
}

fn clock() -> Arc<SystemClock> {
    Arc::new(SystemClock)
}

/// Unlocks and opens the practice in `dir`, saying which key mode it is in.
fn open(dir: &Path) -> Result<(Practice, Option<String>)> {
    backup::finish_interrupted_rekey(dir)?;
    let h = header::read(dir).map_err(VaultError::from)?;
    say_mode(dir, h.mode);
    let mut pass = None;
    let (key, h) = match h.mode {
        KeyMode::Keychain => {
            let store = OsKeychain::probe().map_err(|e| {
                anyhow!("{e}\nThis practice keeps its key in the OS keychain, but none answered. Run 'chartkeep recover' with the recovery code to open it here with a passphrase.")
            })?;
            vault::unlock(dir, Secret::Keychain(&store))?
        }
        KeyMode::Passphrase => {
            let p = secret("CHARTKEEP_PASSPHRASE", "Passphrase", false)?;
            let r = vault::unlock(dir, Secret::Passphrase(&p))?;
            pass = Some(p);
            r
        }
    };
    let practice = Practice::open(dir, key, h, clock(), Arc::new(RandomIds))?;
    Ok((practice, pass))
}

fn init(dir: &Path, admin: Option<String>, no_keychain: bool) -> Result<Practice> {
    if header::path_in(dir).exists() || vault::db_path(dir).exists() {
        return Err(VaultError::AlreadyExists(dir.to_path_buf()).into());
    }
    let admin = match admin {
        Some(a) => a,
        None => line("Administrator user name", "admin")?,
    };
    let password = secret("CHARTKEEP_PASSWORD", &format!("Password for {admin}"), true)?;
    chartkeep::access::password::acceptable(&password)
        .map_err(|m| anyhow!("administrator password: {m}; nothing was created"))?;
    let (store, pass) = keychain_or_passphrase(no_keychain)?;
    let plan = match (&store, pass) {
        (Some(k), _) => KeyPlan::Keychain(k),
        (None, Some(p)) => KeyPlan::Passphrase(p),
        (None, None) => unreachable!("keychain_or_passphrase gives one or the other"),
    };
    let (practice, recovery) = Practice::init(
        dir,
        plan,
        Admin {
            name: &admin,
            password: &password,
        },
        clock(),
        Arc::new(RandomIds),
        &ring::rand::SystemRandom::new(),
    )?;
    say_mode(dir, practice.header().mode);
    println!(
        "Created a practice in {} with administrator '{admin}'.",
        dir.display()
    );
    println!();
    println!("RECOVERY CODE (shown once; print it and keep it somewhere safe):");
    println!();
    println!("    {}", recovery.as_str());
    println!();
    println!(
        "It opens this practice if the keychain or passphrase is lost, and restores its backups."
    );
    Ok(practice)
}

fn login(practice: &mut Practice, user: Option<String>) -> Result<api::Session> {
    let user = user.ok_or_else(|| anyhow!("say which user: --user NAME or CHARTKEEP_USER"))?;
    let password = secret("CHARTKEEP_PASSWORD", &format!("Password for {user}"), false)?;
    Ok(api::login(practice, &user, &password)?)
}

/// A patient named on the command line by record id or by MRN.
fn patient_id(practice: &mut Practice, session: &mut api::Session, given: &str) -> Result<String> {
    if uuid::Uuid::parse_str(given).is_ok() {
        return Ok(given.to_string());
    }
    let hits = api::call(
        practice,
        session,
        "patient.search",
        json!({ "query": given }),
    )?;
    let same: Vec<&serde_json::Value> = hits
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["mrn"].as_str() == Some(given))
        .collect();
    match same.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(anyhow!(
            "no patient has the id or MRN {given}; find it with `chartkeep call patient.search '{{\"query\": \"...\"}}'`"
        )),
        _ => Err(anyhow!("more than one patient has the MRN {given}; give the patient's id")),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = match cli.data {
        Some(d) => d,
        None => default_data_dir()?,
    };
    match cli.cmd {
        Cmd::Init { admin, no_keychain } => {
            init(&dir, admin, no_keychain)?;
        }
        Cmd::Sync { cmd } => return sync::run(&dir, cmd),
        Cmd::Import {
            cmd: Some(ImportCmd::Hl7v2 { files }),
            user,
            ..
        } => return hl7::import(&dir, &files, user),
        Cmd::Import {
            cmd: Some(ImportCmd::Valuesets { dir: from }),
            user,
            ..
        } => {
            let (sets, skipped) = chartkeep::care::measures::value_sets::read_dir(&from)
                .map_err(|e| anyhow!("{e}"))?;
            let (mut practice, _) = open(&dir)?;
            let mut session = login(&mut practice, user)?;
            let report = api::import_value_sets(
                &mut practice,
                &mut session,
                &sets,
                chartkeep::care::measures::value_sets::ValueSetImport {
                    skipped,
                    ..Default::default()
                },
            )?;
            println!(
                "{} value sets added, {} updated, {} unchanged ({} codes)",
                report.added, report.updated, report.unchanged, report.codes
            );
            for s in &report.skipped {
                println!("skipped {s}");
            }
        }
        Cmd::Measure {
            name,
            from,
            to,
            json: as_json,
            user,
        } => {
            let (mut practice, _) = open(&dir)?;
            let mut session = login(&mut practice, user)?;
            let out = api::call(
                &mut practice,
                &mut session,
                "measure.evaluate",
                json!({"measure": name, "from": from, "to": to}),
            )?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print_measure(&out);
            }
        }
        Cmd::Hl7 { cmd } => return hl7::run(&dir, cmd),
        Cmd::Due(a) => return care::due(&dir, a),
        Cmd::Registries(a) => return care::registries(&dir, a),
        Cmd::Forecast(a) => return care::forecast(&dir, a),
        Cmd::Status => {
            let h = header::read(&dir).map_err(VaultError::from)?;
            say_mode(&dir, h.mode);
            println!(
                "{}",
                json!({"practice_id": h.practice_id, "created": h.created, "mode": h.mode, "data": dir})
            );
        }
        Cmd::Recover { no_keychain } => {
            backup::finish_interrupted_rekey(&dir)?;
            let code = secret("CHARTKEEP_RECOVERY_CODE", "Recovery code", false)?;
            let (key, _) = vault::unlock(&dir, Secret::RecoveryCode(&code))?;
            let (store, pass) = keychain_or_passphrase(no_keychain)?;
            let plan = match (&store, pass) {
                (Some(k), _) => KeyPlan::Keychain(k),
                (None, Some(p)) => KeyPlan::Passphrase(p),
                (None, None) => unreachable!(),
            };
            let rng = ring::rand::SystemRandom::new();
            let h = vault::store_key(&dir, &key, plan, Some(&code), &rng)?;
            say_mode(&dir, h.mode);
            println!("The practice is unlocked again; the recovery code stays valid.");
        }
        Cmd::Rekey => {
            let (practice, pass) = open(&dir)?;
            let mode = practice.header().mode;
            let conn = practice.into_writer();
            let store = if mode == KeyMode::Keychain {
                Some(OsKeychain::probe()?)
            } else {
                None
            };
            backup::rekey(
                conn,
                &dir,
                pass.as_deref(),
                store.as_ref().map(|s| s as &dyn KeyStore),
                &ring::rand::SystemRandom::new(),
                &mut |code| {
                    println!("NEW RECOVERY CODE (write it down now; it replaces the old one once the rotation completes):");
                    println!();
                    println!("    {}", code.as_str());
                    println!();
                },
            )?;
            println!("The database key was rotated; the old recovery code no longer opens this practice.");
            println!("Backups made before today still open with the old recovery code.");
        }
        Cmd::Backup { file, user } => {
            let rng = ring::rand::SystemRandom::new();
            let n = match env_secret("CHARTKEEP_RECOVERY_CODE") {
                Some(code) => {
                    backup::finish_interrupted_rekey(&dir)?;
                    let (key, h) = vault::unlock(&dir, Secret::RecoveryCode(&code))?;
                    let mut practice = Practice::open(&dir, key, h, clock(), Arc::new(RandomIds))?;
                    api::backup_with_recovery_code(&mut practice, &file, &rng)?
                }
                None => {
                    let (mut practice, _) = open(&dir)?;
                    let user = user.ok_or_else(|| {
                        anyhow!("a backup needs an administrator: --user NAME (or CHARTKEEP_USER), or the recovery code in CHARTKEEP_RECOVERY_CODE")
                    })?;
                    let mut session = login(&mut practice, Some(user))?;
                    api::backup(&mut practice, &mut session, &file, &rng)?
                }
            };
            println!(
                "Backup written to {} ({} bytes, encrypted, checksummed).",
                file.display(),
                n
            );
        }
        Cmd::Restore { file, no_keychain } => {
            let contents = backup::read_backup(&file)?;
            // The recovery code, when it was used, also re-binds the recovery wrap if the
            // key mode changes below.
            let (key, code) = match env_secret("CHARTKEEP_RECOVERY_CODE") {
                Some(code) => (
                    backup::unlock_backup(&contents, Some(&code), None)?,
                    Some(code),
                ),
                None => match (
                    env_secret("CHARTKEEP_PASSPHRASE"),
                    contents.header.passphrase.is_some(),
                ) {
                    (Some(p), true) => (backup::unlock_backup(&contents, None, Some(&p))?, None),
                    _ => {
                        let code = secret(
                            "CHARTKEEP_RECOVERY_CODE",
                            "Recovery code of the backed-up practice",
                            false,
                        )?;
                        (
                            backup::unlock_backup(&contents, Some(&code), None)?,
                            Some(code),
                        )
                    }
                },
            };
            backup::restore_into(&contents, &key, &dir)?;
            if contents.header.mode == KeyMode::Keychain || no_keychain {
                let (store, pass) = keychain_or_passphrase(no_keychain)?;
                let plan = match (&store, pass) {
                    (Some(k), _) => KeyPlan::Keychain(k),
                    (None, Some(p)) => KeyPlan::Passphrase(p),
                    (None, None) => unreachable!(),
                };
                let rng = ring::rand::SystemRandom::new();
                vault::store_key(&dir, &key, plan, code.as_deref(), &rng)?;
            }
            let h = header::read(&dir).map_err(VaultError::from)?;
            let mut practice = Practice::open(&dir, key, h, clock(), Arc::new(RandomIds))?;
            let report = practice.verify()?;
            if !report.ok() {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Err(anyhow!(
                    "the restored practice did not verify; keep the backup and contact support"
                ));
            }
            say_mode(&dir, practice.header().mode);
            println!(
                "Restored {} into {}; it verifies.",
                file.display(),
                dir.display()
            );
            if let Some(from) = practice.restored_from() {
                println!(
                    "This folder is a new workstation of the practice (workstation {}), on the vouch of workstation {} where the backup was made; it never signs as that one.",
                    practice.workstation(),
                    &from[..16]
                );
            }
        }
        Cmd::Verify { against, digest } => {
            let anchor: Option<chartkeep::ledger::anchor::Anchor> = match &against {
                Some(f) => Some(
                    serde_json::from_slice(
                        &std::fs::read(f)
                            .map_err(|e| anyhow!("cannot read the anchor {}: {e}", f.display()))?,
                    )
                    .map_err(|e| {
                        anyhow!(
                            "{} is not an anchor written by `chartkeep audit anchor`: {e}",
                            f.display()
                        )
                    })?,
                ),
                None => None,
            };
            let (mut practice, _) = open(&dir)?;
            let report = practice.verify()?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            let contradicted = match &anchor {
                Some(a) => practice.check_anchor(a)?,
                None => Vec::new(),
            };
            for p in &contradicted {
                eprintln!("anchor: {p}");
            }
            // Last on stdout whatever verify found, so a script can compare workstations.
            let digest_line = || -> anyhow::Result<()> {
                if digest {
                    println!("digest: {}", hex::encode(practice.digest()?));
                }
                Ok(())
            };
            if !report.ok() || !contradicted.is_empty() {
                eprintln!("error: the practice did not verify (see the problems above)");
                digest_line()?;
                return Ok(ExitCode::from(1));
            }
            if let Some(a) = &anchor {
                eprintln!(
                    "OK: nothing the anchor of {} saw ({} devices) has changed.",
                    a.statement.at,
                    a.statement.heads.len()
                );
            }
            eprintln!(
                "OK: {} commits and {} changes verified; projections equal a replay; {} access log entries chained.",
                report.ledger.commits,
                report.ledger.changes,
                report.access_log_entries.unwrap_or(0)
            );
            digest_line()?;
        }
        Cmd::Rebuild { check } => {
            let (mut practice, _) = open(&dir)?;
            let report = practice.rebuild(!check)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.differences.is_empty() {
                eprintln!(
                    "{} difference(s) between the live tables and a replay of the ledger{}.",
                    report.differences.len(),
                    if check {
                        ""
                    } else {
                        "; the live tables now equal the replay"
                    }
                );
                if check {
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Cmd::Import {
            cmd,
            paths,
            how,
            user,
        } => {
            let (paths, how) = match cmd {
                Some(ImportCmd::Fhir { paths, how }) => (paths, how),
                Some(ImportCmd::Ccda { files, how }) => {
                    for f in &files {
                        let head = std::fs::read(f)
                            .with_context(|| format!("{}: cannot be read", f.display()))?;
                        let text = String::from_utf8_lossy(&head[..head.len().min(8192)]);
                        if !chartkeep::interop::ccda::is_document(&text) {
                            return Err(anyhow!(
                                "{} is not a CDA document (XML with a ClinicalDocument root); for FHIR use chartkeep import fhir",
                                f.display()
                            ));
                        }
                    }
                    (files, how)
                }
                Some(ImportCmd::Hl7v2 { .. } | ImportCmd::Valuesets { .. }) => {
                    unreachable!("handled above")
                }
                None => (paths, how),
            };
            if paths.is_empty() {
                return Err(anyhow!(
                    "name the files or folders to import, e.g. chartkeep import records/"
                ));
            }
            return import_fhir(&dir, paths, how, user);
        }
        Cmd::Export { cmd, user } => {
            let (command, patient, all, out) = match cmd {
                ExportCmd::Fhir { patient, all, out } => ("export.fhir_patient", patient, all, out),
                ExportCmd::Ips { patient, out } => ("export.ips", Some(patient), false, out),
            };
            if all {
                let (mut practice, _) = open(&dir)?;
                let mut session = login(&mut practice, user)?;
                let done = api::export_fhir_all(&mut practice, &mut session, &out)?;
                println!("{}", serde_json::to_string_pretty(&done)?);
                return Ok(ExitCode::SUCCESS);
            }
            let patient = patient.unwrap_or_default();
            // Checked first too, so a clash asks for no password and costs no export.
            if out.exists() {
                return Err(chartkeep::interop::InteropError::Exists(out).into());
            }
            let (mut practice, _) = open(&dir)?;
            let mut session = login(&mut practice, user)?;
            let id = patient_id(&mut practice, &mut session, &patient)?;
            let exported = api::call(
                &mut practice,
                &mut session,
                command,
                json!({ "patient": id }),
            )?;
            let bundle = &exported["bundle"];
            chartkeep::interop::write_new_file(
                &out,
                serde_json::to_string_pretty(bundle)?.as_bytes(),
            )?;
            let entries = bundle["entry"].as_array().map_or(0, Vec::len);
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"out": out, "resources": entries}))?
            );
        }
        Cmd::Audit { cmd, user_login } => {
            let (mut practice, _) = open(&dir)?;
            let mut session = login(&mut practice, user_login)?;
            let out = match cmd {
                AuditCmd::Report {
                    from,
                    to,
                    user,
                    patient,
                } => api::call(
                    &mut practice,
                    &mut session,
                    "audit.report",
                    json!({"from": from, "to": to, "user": user, "patient": patient}),
                )?,
                AuditCmd::Verify => {
                    api::call(&mut practice, &mut session, "audit.verify", json!({}))?
                }
                AuditCmd::Anchor { file } => {
                    if file.exists() {
                        return Err(anyhow!(
                            "{} exists; choose a new file for the anchor",
                            file.display()
                        ));
                    }
                    let anchor = api::anchor(&mut practice, &mut session)?;
                    std::fs::write(&file, serde_json::to_string_pretty(&anchor)?)?;
                    json!({"anchor": file, "devices": anchor.statement.heads.len(), "at": anchor.statement.at})
                }
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Cmd::Call {
            command,
            json,
            user,
            list,
        } => {
            if list {
                for d in api::commands() {
                    println!("{:<28} {}", d.name, d.summary);
                }
                return Ok(ExitCode::SUCCESS);
            }
            let command = command.ok_or_else(|| anyhow!("say which command, e.g. chartkeep call patient.search '{{\"query\": \"garcia\"}}' (list them with --list)"))?;
            let text = match json {
                Some(j) => j,
                None if !std::io::stdin().is_terminal() => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    if s.trim().is_empty() {
                        "{}".into()
                    } else {
                        s
                    }
                }
                None => "{}".into(),
            };
            let args: Json = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    let err = ApiError::new(
                        api::ErrorCode::MalformedJson,
                        format!("the request is not valid JSON ({e}); nothing was done"),
                    );
                    eprintln!("{}", serde_json::to_string(&err)?);
                    return Ok(ExitCode::from(1));
                }
            };
            let (mut practice, _) = open(&dir)?;
            let mut session = match login(&mut practice, user) {
                Ok(s) => s,
                Err(e) => {
                    let (code, status) = classify(&e);
                    eprintln!("{}", json!({"code": code, "message": format!("{e:#}")}));
                    return Ok(ExitCode::from(status));
                }
            };
            match api::call(&mut practice, &mut session, &command, args) {
                Ok(out) => println!("{}", serde_json::to_string_pretty(&out)?),
                Err(e) => {
                    eprintln!("{}", serde_json::to_string(&e)?);
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Cmd::Demo {
            patients,
            seed,
            show,
        } => {
            let mut practice = if header::path_in(&dir).exists() {
                open(&dir)?.0
            } else {
                init(&dir, Some("admin".into()), false).context("creating the demo practice")?
            };
            let mut last = 0;
            let report = chartkeep::demo::populate(&mut practice, patients, seed, &mut |n| {
                if n >= last + 1000 || n == patients {
                    eprintln!("  {n} / {patients} patients");
                    last = n;
                }
            })?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if show {
                let mut session =
                    api::login(&mut practice, "drlee", chartkeep::demo::DEMO_PASSWORD)?;
                let summary = api::call(
                    &mut practice,
                    &mut session,
                    "chart.summary",
                    json!({"patient": report.showcase}),
                )?;
                println!("{}", serde_json::to_string_pretty(&summary)?);
            }
        }
        Cmd::ApiDocs => print!("{}", api::docs_markdown()),
        Cmd::ApiSchema => print!("{}", api::docs_schema_text()),
        Cmd::UiTypes => print!("{}", api::typescript_module()),
        Cmd::Serve {
            port,
            address,
            allow_remote,
            ui_dir,
        } => {
            let mut host = chartkeep::host::Host::new(
                dir.clone(),
                clock(),
                Arc::new(RandomIds),
                Box::new(chartkeep::host::OsKeychains),
            );
            if let Some(p) = env_secret("CHARTKEEP_PASSPHRASE") {
                if header::read(&dir).is_ok_and(|h| h.mode == KeyMode::Passphrase) {
                    host.call("app.unlock", json!({ "passphrase": p }))?;
                }
            }
            serve::run(
                host,
                serve::Options {
                    address,
                    port,
                    allow_remote,
                    ui_dir,
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `chartkeep import`: reads the files, imports them with a progress line on stderr, and
/// prints what became of every resource; exits 1 unless everything was imported.
fn import_fhir(
    dir: &std::path::Path,
    paths: Vec<PathBuf>,
    how: ImportHow,
    user: Option<String>,
) -> anyhow::Result<ExitCode> {
    use chartkeep::interop::fhir::import::{expand, Input, OnMatch};
    let files = expand(&paths)?;
    if files.is_empty() {
        return Err(anyhow!(
            "no .json, .ndjson or .xml files found in what was named"
        ));
    }
    let on_match = match how.on_match.as_str() {
        "link" => OnMatch::Link,
        "new" => OnMatch::New,
        _ => OnMatch::Ask,
    };
    let mut decisions = Vec::new();
    for d in &how.decide {
        let (source, to) = d
            .rsplit_once('=')
            .ok_or_else(|| anyhow!("--decide takes SOURCE=PATIENT_ID or SOURCE=new, not '{d}'"))?;
        let patient = match to {
            "new" => None,
            id => Some(uuid::Uuid::parse_str(id).map_err(|_| {
                anyhow!("--decide {d}: '{id}' is not a patient id; use the id a waiting patient's candidate shows, or 'new'")
            })?),
        };
        decisions.push(chartkeep::api::types::ImportDecision {
            source: source.to_string(),
            patient,
        });
    }
    let (mut practice, _) = open(dir)?;
    let mut session = login(&mut practice, user)?;
    let started = std::time::Instant::now();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last = started;
    let report = api::import_fhir(
        &mut practice,
        &mut session,
        files.into_iter().map(Input::Path).collect(),
        on_match,
        &decisions,
        &mut |p| {
            let now = std::time::Instant::now();
            if interactive && (now - last).as_millis() >= 200 || p.files_done == p.files_total {
                last = now;
                let secs = (now - started).as_secs_f64().max(1e-3);
                eprint!(
                    "\r{} of {} files, {} resources, {} patients, {:.0} resources/s ",
                    p.files_done,
                    p.files_total,
                    p.resources,
                    p.patients,
                    p.resources as f64 / secs
                );
                if p.files_done == p.files_total {
                    eprintln!();
                }
            }
        },
    )?;
    if how.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_import(&report);
    }
    Ok(if report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A measure's populations, one line each, per group.
fn print_measure(out: &Json) {
    println!(
        "{} {} ({}), {} to {}",
        out["measure"].as_str().unwrap_or_default(),
        out["title"].as_str().unwrap_or_default(),
        out["version"].as_str().unwrap_or_default(),
        out["from"].as_str().unwrap_or_default(),
        out["to"].as_str().unwrap_or_default()
    );
    let groups = out["groups"].as_array().cloned().unwrap_or_default();
    for g in &groups {
        if groups.len() > 1 {
            println!("group {}", g["group"]);
        }
        for (key, label) in [
            ("initial_population", "initial population"),
            ("denominator", "denominator"),
            ("denominator_exclusion", "denominator exclusions"),
            ("denominator_exception", "denominator exceptions"),
            ("numerator", "numerator"),
        ] {
            println!("  {label:<24} {}", g[key]["count"]);
        }
        match g["performance_rate"].as_f64() {
            Some(r) => println!("  {:<24} {:.1}%", "performance rate", r * 100.0),
            None => println!("  {:<24} none (empty denominator)", "performance rate"),
        }
    }
}

fn print_import(r: &chartkeep::interop::fhir::import::ImportReport) {
    let added = r.patients.iter().filter(|p| p.new).count();
    println!(
        "{} files, {} resources: {} patients registered, {} charts added to, {} unchanged, {} waiting, {} problems",
        r.files,
        r.resources,
        added,
        r.patients.len() - added,
        r.unchanged,
        r.waiting.len(),
        r.problems.len()
    );
    println!(
        "{:<28} {:>8} {:>9} {:>10} {:>8} {:>8}",
        "resource type", "mapped", "verbatim", "duplicate", "refused", "skipped"
    );
    for (k, c) in &r.types {
        println!(
            "{:<28} {:>8} {:>9} {:>10} {:>8} {:>8}",
            k, c.mapped, c.verbatim, c.duplicate, c.refused, c.skipped
        );
    }
    for n in &r.notes {
        println!("note: {n}");
    }
    for p in &r.problems {
        let at = [p.resource.as_str(), p.path.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" at ");
        // A patient that was not saved names no file: leave out what is empty.
        let place = [p.file.as_str(), at.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(": ");
        println!("problem: {place}: {}", p.message);
    }
    for w in &r.waiting {
        println!(
            "waiting: {} (born {}), {} resources from {}; may already be here as:",
            w.name,
            w.birth_date.as_deref().unwrap_or("?"),
            w.resources,
            w.file
        );
        for c in &w.candidates {
            println!(
                "    {} {} MRN {} ({}): --decide '{}={}'",
                c.name,
                c.birth_date.as_deref().unwrap_or("?"),
                c.mrn.as_deref().unwrap_or("-"),
                c.reason,
                w.source,
                c.patient
            );
        }
        println!("    or register as new: --decide '{}=new'", w.source);
    }
}
