//! `chartkeep import hl7v2 FILE...` and `chartkeep hl7 listen`: lab results in over HL7 v2,
//! from files or from a lab's interface over MLLP, each message through `hl7.receive` as
//! the logged-in staff user.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use chartkeep::api::{self, Session};
use chartkeep::interop::hl7v2::ack::AckCode;
use chartkeep::interop::hl7v2::{batch, mllp, receive};
use chartkeep::practice::Practice;

#[derive(Subcommand)]
pub enum Hl7Cmd {
    /// Take lab results from a lab's interface over MLLP (TCP) until stopped (Ctrl-C or
    /// SIGTERM): each ORU^R01 is filed or held for a person, and answered on the same
    /// connection with its ACK. Runs as a staff user whose role writes the chart (--user or
    /// CHARTKEEP_USER, password in CHARTKEEP_PASSWORD). The first line on stdout is
    /// `listening on ADDRESS`.
    Listen {
        #[arg(long)]
        port: u16,
        /// The address to listen on: the practice LAN by default, where the lab's
        /// interface connects from. MLLP is not encrypted; keep it on the practice network.
        #[arg(long, default_value = "0.0.0.0")]
        bind: IpAddr,
        /// The largest message taken, in bytes; a larger frame is answered AR and dropped.
        #[arg(long, default_value_t = mllp::DEFAULT_MAX_FRAME)]
        max_frame: usize,
        /// Connections served at once; more wait for one to close.
        #[arg(long, default_value_t = 16)]
        max_connections: usize,
        #[arg(long, env = "CHARTKEEP_USER")]
        user: Option<String>,
    },
}

/// `import hl7v2 FILE...`: every message of every file, one line each; exit status 1 when
/// any message was refused (AE or AR).
pub fn import(dir: &Path, files: &[PathBuf], user: Option<String>) -> Result<ExitCode> {
    let texts = files
        .iter()
        .map(|f| {
            std::fs::read(f)
                .map(|b| (f, receive::text_of(&b)))
                .with_context(|| format!("cannot read {}", f.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let (mut practice, _) = super::open(dir)?;
    let mut session = super::login(&mut practice, user)?;
    let mut refused = 0;
    let mut total = 0;
    for (file, text) in texts {
        for (n, message) in batch::split(&text).iter().enumerate() {
            total += 1;
            let r: api::types::Hl7Received = serde_json::from_value(api::call(
                &mut practice,
                &mut session,
                "hl7.receive",
                json!({ "message": message }),
            )?)?;
            if r.ack_code != AckCode::Accept.as_str() {
                refused += 1;
            }
            let who = match (&r.outcome, &r.mrn) {
                (receive::Outcome::Held, _) => "unmatched".to_string(),
                (_, Some(mrn)) => format!("patient {mrn}"),
                (receive::Outcome::Duplicate, None) => "already received".to_string(),
                _ => "not filed".to_string(),
            };
            let control = if r.control_id.is_empty() {
                "(no control id)"
            } else {
                &r.control_id
            };
            let note = if r.text.is_empty() {
                String::new()
            } else {
                format!(": {}", r.text)
            };
            println!(
                "{} #{}: {control} {who}, {} observations, ACK {}{note}",
                file.display(),
                n + 1,
                r.observations.len(),
                r.ack_code
            );
        }
    }
    eprintln!("{total} message(s), {refused} refused.");
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn run(dir: &Path, cmd: Hl7Cmd) -> Result<ExitCode> {
    let Hl7Cmd::Listen {
        port,
        bind,
        max_frame,
        max_connections,
        user,
    } = cmd;
    let (mut practice, _) = super::open(dir)?;
    let session = super::login(&mut practice, user)?;
    if !session
        .user
        .role
        .may(chartkeep::access::Permission::WriteChart)
    {
        return Err(anyhow!(
            "{} is a {} and may not write the chart; run the listener as a user who may (e.g. a clinician or nurse)",
            session.user.name,
            session.user.role.name()
        ));
    }
    let shared = Arc::new(Mutex::new((practice, session)));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(listen(
        SocketAddr::new(bind, port),
        shared,
        max_frame,
        max_connections.max(1),
    ))?;
    Ok(ExitCode::SUCCESS)
}

type Shared = Arc<Mutex<(Practice, Session)>>;

async fn listen(addr: SocketAddr, shared: Shared, max_frame: usize, max: usize) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("listening on {local}");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    tracing::info!(%local, "HL7 v2 MLLP listener started");
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let stop = super::sync::wait_for_stop();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                let shared = shared.clone();
                tokio::spawn(async move {
                    tracing::info!(%peer, "connection opened");
                    if let Err(e) = serve(stream, shared, max_frame).await {
                        tracing::warn!(%peer, error = %e, "connection ended with an error");
                    }
                    tracing::info!(%peer, "connection closed");
                    drop(slot);
                });
            }
        }
    }
    // Each message is committed whole before its ACK is sent, so stopping between
    // messages loses nothing: a sender without its ACK resends, and a resend is applied once.
    tracing::info!("HL7 v2 MLLP listener stopped");
    eprintln!("stopped");
    Ok(())
}

/// One connection: frames in, one ACK out for each, in order.
async fn serve(mut stream: TcpStream, shared: Shared, max_frame: usize) -> Result<()> {
    let mut decoder = mllp::Decoder::new(max_frame);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        decoder.push(&buf[..n]);
        while let Some(frame) = decoder.next() {
            let shared = shared.clone();
            let ack = tokio::task::spawn_blocking(move || answer(&shared, frame)).await?;
            stream.write_all(&mllp::encode(ack.as_bytes())).await?;
        }
    }
}

/// An ACK's own control id (MSH-10, at most 20 characters before 2.5): the first 20 hex
/// digits of a UUIDv7 from the practice's id source, its time and 28 random bits.
fn ack_id(practice: &Practice) -> String {
    practice.chart_ctx().new_id().simple().to_string()[..20].to_string()
}

/// The ACK for one frame (or for the error that replaced it).
fn answer(
    shared: &Mutex<(Practice, Session)>,
    frame: Result<Vec<u8>, chartkeep::interop::hl7v2::Hl7Error>,
) -> String {
    let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    let (practice, session) = &mut *guard;
    match frame {
        Err(e) => {
            tracing::warn!(code = e.code(), "MLLP frame refused");
            let id = ack_id(practice);
            receive::ack_for(
                None,
                e.ack_code(),
                &e.to_string(),
                Some(&e),
                &id,
                practice.clock.now_ms(),
            )
        }
        Ok(bytes) => {
            let text = receive::text_of(&bytes);
            match api::receive_hl7(practice, session, &text) {
                Ok(r) => {
                    tracing::info!(
                        control_id = %r.control_id,
                        outcome = ?r.outcome,
                        ack = %r.ack_code,
                        error = r.error_code.as_deref().unwrap_or(""),
                        observations = r.observations.len(),
                        "HL7 v2 message"
                    );
                    r.ack
                }
                Err(e) => {
                    tracing::error!(code = %e.code, "HL7 v2 message could not be taken");
                    let id = ack_id(practice);
                    receive::ack_for(
                        Some(&text),
                        AckCode::Error,
                        &format!("not taken, resend later: {}", e.message),
                        None,
                        &id,
                        practice.clock.now_ms(),
                    )
                }
            }
        }
    }
}
