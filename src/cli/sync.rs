//! `chartkeep sync …`: pairing, a headless sync peer, one exchange, and status.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use serde_json::json;

use chartkeep::api;
use chartkeep::clock::RandomIds;
use chartkeep::sync::frame::Limits;
use chartkeep::sync::replica::Replica;
use chartkeep::sync::{exchange, runner, status};
use chartkeep::vault::{self, KeyPlan, VaultError};

#[derive(Subcommand)]
pub enum SyncCmd {
    /// Make a one-time pairing code (10 minutes, three tries) for a new workstation. Needs
    /// an administrator (--user or CHARTKEEP_USER, password in CHARTKEEP_PASSWORD). The new
    /// workstation joins through this workstation's running `sync run` or desktop app.
    Invite {
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
    /// Join a practice from a member workstation's code: creates this workstation's own
    /// practice folder (--data; keychain, or a passphrase with --no-keychain) and receives
    /// the whole practice, users included.
    Join {
        #[arg(long)]
        code: String,
        /// The member workstation's sync address, host:port.
        #[arg(long)]
        address: String,
        #[arg(long)]
        no_keychain: bool,
        /// This workstation's name on the Sync screen (default: the host name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Serve and sync until stopped (a headless peer, for an always-on machine).
    Run {
        #[arg(long, default_value = "0.0.0.0:8421")]
        listen: SocketAddr,
        /// Addresses of peers to dial (also kept: `sync add-peer`).
        #[arg(long)]
        peer: Vec<String>,
        /// Don't announce or look for peers with mDNS.
        #[arg(long)]
        no_mdns: bool,
        /// Seconds between syncs when nothing happens.
        #[arg(long, default_value_t = 60)]
        interval: u64,
        /// Seconds a peer may take to send a whole frame (or its TLS handshake, at most 10)
        /// before it is cut off.
        #[arg(long, default_value_t = 30, hide = true)]
        frame_deadline: u64,
    },
    /// One full exchange with a peer; exits 0 when both hold the same commits.
    Once {
        #[arg(long)]
        peer: String,
    },
    /// The peers, last contact, commits pending each way, open conflicts.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Keep a peer address to dial (host:port). Needs an administrator.
    AddPeer {
        address: String,
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
    /// Remove a workstation (a lost laptop) by device id. Needs an administrator.
    Remove {
        device: String,
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the sync runtime")
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "workstation".into())
}

pub fn run(dir: &Path, cmd: SyncCmd) -> Result<ExitCode> {
    match cmd {
        SyncCmd::Invite { user } => {
            let (mut practice, _) = super::open(dir)?;
            let mut session = super::login(&mut practice, user)?;
            let invite = api::call(&mut practice, &mut session, "sync.invite", json!({}))?;
            let invite: api::types::Invite = serde_json::from_value(invite)?;
            println!("code: {}", invite.code);
            println!("expires: {}", invite.expires_at);
            if invite.addresses.is_empty() {
                eprintln!("No sync listener runs on this workstation: start `chartkeep sync run` (or the desktop app) so the new workstation can reach it.");
            }
            for a in &invite.addresses {
                println!("address: {a}");
            }
            eprintln!("On the new workstation: chartkeep --data DIR sync join --code {} --address HOST:PORT", invite.code);
        }
        SyncCmd::Join {
            code,
            address,
            no_keychain,
            name,
        } => return join(dir, &code, &address, no_keychain, name),
        SyncCmd::Run {
            listen,
            peer,
            no_mdns,
            interval,
            frame_deadline,
        } => {
            let (practice, _) = super::open(dir)?;
            let replica = Replica::new(Arc::new(Mutex::new(practice)));
            let config = runner::Config {
                listen: Some(listen),
                peers: peer,
                mdns: !no_mdns,
                limits: Limits {
                    frame_deadline: Duration::from_secs(frame_deadline),
                    handshake: Duration::from_secs(frame_deadline.min(10)),
                    ..Limits::default()
                },
                interval: Duration::from_secs(interval.max(1)),
                ..runner::Config::default()
            };
            runtime()?.block_on(async move {
                let handle =
                    runner::start(replica, config, Arc::new(ring::rand::SystemRandom::new()))
                        .await?;
                if let Some(a) = handle.listening() {
                    println!("listening: {a}");
                }
                wait_for_stop().await;
                eprintln!("Stopping sync.");
                handle.stop().await;
                Ok::<(), anyhow::Error>(())
            })?;
        }
        SyncCmd::Once { peer } => {
            let (practice, _) = super::open(dir)?;
            let replica = Replica::new(Arc::new(Mutex::new(practice)));
            let report = runtime()?.block_on(once(replica, &peer))?;
            println!(
                "{}",
                json!({
                    "peer": hex::encode(report.peer),
                    "received": report.received.new,
                    "refused": report.received.refused,
                    "sent": report.sent,
                    "converged": report.converged,
                })
            );
            if !report.converged {
                eprintln!("error: the two workstations do not hold the same commits yet; see `chartkeep sync status` for refused commits");
                return Ok(ExitCode::from(1));
            }
        }
        SyncCmd::Status { json: as_json } => {
            let (practice, _) = super::open(dir)?;
            let s = status::status(&practice)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_status(&s);
            }
        }
        SyncCmd::AddPeer { address, user } => {
            let (mut practice, _) = super::open(dir)?;
            let mut session = super::login(&mut practice, user)?;
            let r = api::call(
                &mut practice,
                &mut session,
                "sync.add_peer",
                json!({ "address": address }),
            )?;
            println!("{r}");
        }
        SyncCmd::Remove { device, user } => {
            let (mut practice, _) = super::open(dir)?;
            let mut session = super::login(&mut practice, user)?;
            let r = api::call(
                &mut practice,
                &mut session,
                "device.remove",
                json!({ "device": device }),
            )?;
            println!("{r}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Up to three exchanges until both sides hold the same commits (a commit made on either
/// side during one exchange goes in the next).
async fn once(replica: Replica, peer: &str) -> Result<exchange::Report> {
    let local = {
        let r = replica.clone();
        tokio::task::spawn_blocking(move || r.local()).await??
    };
    let mut last = None;
    for _ in 0..3 {
        let (r, l) = (replica.clone(), local.clone());
        tokio::task::spawn_blocking(move || r.refresh(&l)).await??;
        let report =
            exchange::connect(peer, replica.clone(), &local, None, 0, Limits::default()).await?;
        let done = report.converged;
        last = Some(report);
        if done {
            break;
        }
    }
    last.ok_or_else(|| anyhow!("no exchange ran"))
}

fn print_status(s: &status::SyncStatus) {
    println!("This workstation: {} ({})", s.name, s.device_grouped);
    println!("State: {:?}", s.state);
    if let Some(l) = &s.listening {
        println!("Listening: {l}");
    }
    for p in &s.peers {
        println!(
            "  {} {} at {}: {}, last contact {}, {} to receive, {} to send{}",
            p.name,
            &p.device[..16],
            p.address.as_deref().unwrap_or("(no address)"),
            if p.connected {
                "connected"
            } else {
                "not connected"
            },
            p.last_contact.as_deref().unwrap_or("never"),
            p.pending_in,
            p.pending_out,
            p.last_error
                .as_deref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default(),
        );
    }
    println!(
        "Open conflicts: {}; duplicates: {}",
        s.open_conflicts, s.duplicates
    );
    for r in &s.rejected {
        println!(
            "  refused: commit {} of {} ({}): {}",
            r.seq,
            &r.device[..16],
            r.code,
            r.message
        );
    }
}

fn join(
    dir: &Path,
    code: &str,
    address: &str,
    no_keychain: bool,
    name: Option<String>,
) -> Result<ExitCode> {
    if vault::header::path_in(dir).exists() || vault::db_path(dir).exists() {
        return Err(VaultError::AlreadyExists(dir.to_path_buf()).into());
    }
    // Key questions first, so nothing waits on a prompt while connected.
    let (store, pass) = super::keychain_or_passphrase(no_keychain)?;
    let plan = match (&store, pass) {
        (Some(k), _) => KeyPlan::Keychain(k),
        (None, Some(p)) => KeyPlan::Passphrase(p),
        (None, None) => unreachable!("keychain_or_passphrase gives one or the other"),
    };
    let name = name.unwrap_or_else(host_name);
    let joined = chartkeep::sync::join::join(
        dir,
        code,
        address,
        plan,
        &name,
        super::clock(),
        Arc::new(RandomIds),
        &ring::rand::SystemRandom::new(),
    )?;
    super::say_mode(dir, joined.practice.header().mode);
    println!(
        "Joined practice {} through workstation {} ({}).",
        joined.paired.practice,
        joined.paired.member_name,
        chartkeep::sync::grouped(&joined.paired.member_device)
    );
    println!();
    println!(
        "RECOVERY CODE for this workstation (shown once; print it and keep it somewhere safe):"
    );
    println!();
    println!("    {}", joined.recovery.as_str());
    println!();
    match joined.sync_error {
        None => {
            println!(
                "Received {} commits; staff log in here with the passwords they already have.",
                joined.received
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(e) => {
            eprintln!("Joined, but the first sync failed: {e}. It is retried by `chartkeep sync run` or the desktop app.");
            Ok(ExitCode::from(1))
        }
    }
}
