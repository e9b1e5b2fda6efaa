//! The background sync task of the desktop app and of `chartkeep sync run`.
//!
//! It listens for peers (TLS for members, the pairing protocol for a workstation joining
//! with a code), and dials the peers it knows: soon after every local commit (debounced),
//! when mDNS finds one, and every minute. A peer that fails is retried later and later (up
//! to five minutes). Every database step is a short call through the [`Replica`], so the
//! UI is never held up, and [`Handle::stop`] ends it all cleanly.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Backoff deadlines use tokio's clock, the one its timers run on (and tests can pause).
use tokio::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Notify, Semaphore};

use super::discovery::{Discovery, Found};
use super::exchange::{self, Report};
use super::frame::Limits;
use super::identity::Roster;
use super::pairing;
use super::replica::{Local, Replica};
use super::SyncError;

/// How the runner runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; `None` only dials.
    pub listen: Option<SocketAddr>,
    /// Addresses given on the command line, besides those kept in the practice.
    pub peers: Vec<String>,
    pub mdns: bool,
    pub limits: Limits,
    /// How often to sync with every known peer when nothing happens.
    pub interval: Duration,
    /// How long after a local commit to sync (more commits in that time go along).
    pub debounce: Duration,
    /// Dial peers (off: only answer those that call, as a benchmark's listener does).
    pub dial: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: None,
            peers: Vec::new(),
            mdns: true,
            limits: Limits::default(),
            interval: Duration::from_secs(60),
            debounce: Duration::from_millis(300),
            dial: true,
        }
    }
}

/// What the runner is doing, for the status bar.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub listening: Option<SocketAddr>,
    /// An exchange is running right now.
    pub syncing: usize,
    /// Peers whose last exchange succeeded, with when (ms).
    pub reached: HashMap<[u8; 32], i64>,
    pub last_error: Option<String>,
}

/// The running task.
pub struct Handle {
    trigger: Arc<Notify>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub live: Arc<Mutex<Live>>,
}

impl Handle {
    /// Asks for a sync soon (call it after every local commit).
    pub fn poke(&self) {
        self.trigger.notify_one();
    }

    pub fn listening(&self) -> Option<SocketAddr> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .listening
    }

    /// Stops listening and dialing; running exchanges end with their connection (each
    /// applies whole commits, so nothing is left half-applied).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// The most connections served at once; more wait for a free slot.
const MAX_CONNECTIONS: usize = 16;
/// The longest wait before retrying a peer that failed.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Starts the runner.
pub async fn start(
    replica: Replica,
    config: Config,
    rng: Arc<dyn ring::rand::SecureRandom + Send + Sync>,
) -> Result<Handle, SyncError> {
    let local = {
        let r = replica.clone();
        tokio::task::spawn_blocking(move || r.local())
            .await
            .map_err(|e| SyncError::Io(std::io::Error::other(e.to_string())))??
    };
    // The same roster the TLS settings in `local` check against.
    let roster = local.roster.clone();
    let live = Arc::new(Mutex::new(Live::default()));
    let trigger = Arc::new(Notify::new());
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut port = 0;
    let (found_tx, found_rx) = mpsc::unbounded_channel::<Found>();
    if let Some(addr) = config.listen {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        port = bound.port();
        live.lock().unwrap_or_else(|e| e.into_inner()).listening = Some(bound);
        let r = replica.clone();
        let pid = std::process::id();
        replica.run(|p| {
            let now = p.clock.now_ms();
            p.sync_state().set_listen(&bound.to_string(), now, pid)?;
            Ok(())
        })?;
        tasks.push(tokio::spawn(listen(
            listener,
            r,
            local.clone(),
            roster.clone(),
            config.limits,
            stopped.clone(),
            live.clone(),
            rng.clone(),
            trigger.clone(),
        )));
    }
    let discovery = if config.mdns && port != 0 {
        match Discovery::start(local.practice, &local.device, port, found_tx) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!("mDNS discovery is off: {e}");
                None
            }
        }
    } else {
        None
    };
    if !config.dial {
        drop(discovery);
        return Ok(Handle {
            trigger,
            stop,
            tasks,
            live,
        });
    }
    tasks.push(tokio::spawn(dial(
        replica,
        local,
        roster,
        config,
        port,
        stopped,
        live.clone(),
        trigger.clone(),
        found_rx,
        discovery,
    )));
    Ok(Handle {
        trigger,
        stop,
        tasks,
        live,
    })
}

fn note_success(live: &Mutex<Live>, r: &Report, now: i64) {
    let mut l = live.lock().unwrap_or_else(|e| e.into_inner());
    l.reached.insert(r.peer, now);
    l.last_error = None;
}

fn now_ms(replica: &Replica) -> i64 {
    replica.run(|p| Ok(p.clock.now_ms())).unwrap_or(0)
}

async fn refresh(replica: &Replica, roster: &Roster) -> Result<(), SyncError> {
    let r = replica.clone();
    let devices = tokio::task::spawn_blocking(move || r.roster())
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(e.to_string())))??;
    roster.set(devices);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn listen(
    listener: TcpListener,
    replica: Replica,
    local: Local,
    roster: Roster,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    live: Arc<Mutex<Live>>,
    rng: Arc<dyn ring::rand::SecureRandom + Send + Sync>,
    trigger: Arc<Notify>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let acceptor = tokio_rustls::TlsAcceptor::from(local.server.clone());
    loop {
        let (tcp, from) = tokio::select! {
            _ = stopped.changed() => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => { tracing::warn!("accept failed: {e}"); continue; }
            },
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (replica, local, roster, acceptor, live, rng, trigger) = (
            replica.clone(),
            local.clone(),
            roster.clone(),
            acceptor.clone(),
            live.clone(),
            rng.clone(),
            trigger.clone(),
        );
        let mut stop = stopped.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let served = serve_one(
                tcp,
                from,
                &replica,
                &local,
                &roster,
                &acceptor,
                limits,
                port,
                &live,
                rng.as_ref(),
            );
            tokio::select! {
                r = served => match r {
                    Ok(Served::Exchange(report)) => {
                        let now = now_ms(&replica);
                        note_success(&live, &report, now);
                        if report.received.new > 0 {
                            tracing::info!(new = report.received.new, "received commits from a peer");
                        }
                    }
                    Ok(Served::Paired) => trigger.notify_one(),
                    Err(e) => tracing::info!(code = e.code(), "a sync connection from {from} ended: {e}"),
                },
                _ = stop.changed() => {}
            }
        });
    }
    let pid = std::process::id();
    let _ = replica.run(|p| Ok(p.sync_state().clear_listen(pid)?));
}

enum Served {
    Exchange(Report),
    Paired,
}

#[allow(clippy::too_many_arguments)]
async fn serve_one(
    mut tcp: TcpStream,
    from: SocketAddr,
    replica: &Replica,
    local: &Local,
    roster: &Roster,
    acceptor: &tokio_rustls::TlsAcceptor,
    limits: Limits,
    port: u16,
    live: &Mutex<Live>,
    rng: &(dyn ring::rand::SecureRandom + Sync),
) -> Result<Served, SyncError> {
    tcp.set_nodelay(true)?;
    let mut first = [0u8; 1];
    let n = tokio::time::timeout(limits.handshake, tcp.peek(&mut first))
        .await
        .map_err(|_| SyncError::TooSlow(limits.handshake.as_secs()))??;
    if n == 0 {
        return Err(SyncError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    if first[0] == 0x16 {
        // A TLS handshake: a member syncing. The roster is read afresh for each one, so a
        // device removed a moment ago is refused now.
        refresh(replica, roster).await?;
        let tls = tokio::time::timeout(limits.handshake, acceptor.accept(tcp))
            .await
            .map_err(|_| SyncError::TooSlow(limits.handshake.as_secs()))?
            .map_err(|e| SyncError::Tls(e.to_string()))?;
        live.lock().unwrap_or_else(|e| e.into_inner()).syncing += 1;
        let r = exchange::serve(tls, replica.clone(), local, port, limits, Some(from.ip())).await;
        live.lock().unwrap_or_else(|e| e.into_inner()).syncing -= 1;
        return r.map(Served::Exchange);
    }
    // Otherwise a workstation joining with a code.
    let mut len = [0u8; 4];
    tokio::time::timeout(limits.handshake, tcp.read_exact(&mut len))
        .await
        .map_err(|_| SyncError::TooSlow(limits.handshake.as_secs()))??;
    let len = u32::from_be_bytes(len) as usize;
    if len > 256 {
        return Err(SyncError::FrameTooLarge {
            got: len,
            limit: 256,
        });
    }
    let mut buf = vec![0u8; len];
    tokio::time::timeout(limits.handshake, tcp.read_exact(&mut buf))
        .await
        .map_err(|_| SyncError::TooSlow(limits.handshake.as_secs()))??;
    if !buf.starts_with(pairing::MAGIC) {
        return Err(SyncError::Malformed(
            "neither TLS nor a pairing request".into(),
        ));
    }
    pairing::answer(&mut tcp, &buf, replica, rng, None).await?;
    Ok(Served::Paired)
}

/// A place to dial, and what is known of who is there.
#[derive(Debug, Clone)]
struct Target {
    address: String,
    device: Option<[u8; 32]>,
}

fn targets(replica: &Replica, config: &Config, found: &HashMap<String, Found>) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut seen = HashSet::new();
    let known = replica
        .run(|p| {
            let s = p.sync_state();
            Ok((s.peers()?, s.addresses()?))
        })
        .unwrap_or_default();
    for p in &known.0 {
        if let Some(a) = &p.address {
            if seen.insert(a.clone()) {
                out.push(Target {
                    address: a.clone(),
                    device: Some(p.device),
                });
            }
        }
    }
    for a in config.peers.iter().chain(known.1.iter()) {
        if seen.insert(a.clone()) {
            out.push(Target {
                address: a.clone(),
                device: None,
            });
        }
    }
    for f in found.values() {
        let device = hex::decode(&f.device)
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok());
        if let Some(a) = f
            .addresses
            .iter()
            .find(|a| a.is_ipv4())
            .or(f.addresses.first())
        {
            let a = a.to_string();
            if seen.insert(a.clone()) {
                out.push(Target { address: a, device });
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn dial(
    replica: Replica,
    local: Local,
    roster: Roster,
    config: Config,
    port: u16,
    mut stopped: watch::Receiver<bool>,
    live: Arc<Mutex<Live>>,
    trigger: Arc<Notify>,
    mut found_rx: mpsc::UnboundedReceiver<Found>,
    _discovery: Option<Discovery>,
) {
    let mut found: HashMap<String, Found> = HashMap::new();
    let mut backoff: HashMap<String, (Instant, Duration)> = HashMap::new();
    let mut tick = tokio::time::interval(config.interval);
    let mut discovering = true;
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tick.tick() => {}
            _ = trigger.notified() => {
                // Let a burst of commits (a form saved field by field) go in one exchange.
                tokio::select! {
                    _ = tokio::time::sleep(config.debounce) => {}
                    _ = stopped.changed() => break,
                }
                // A commit is news for every peer: retry those in backoff too.
                backoff.clear();
            }
            f = found_rx.recv(), if discovering => {
                match f {
                    Some(f) => {
                        if found.insert(f.device.clone(), f).is_none() {
                            backoff.clear();
                        } else {
                            continue;
                        }
                    }
                    // No discovery (off, or it stopped): stop listening to it, or this
                    // branch would be ready forever and spin.
                    None => {
                        discovering = false;
                        continue;
                    }
                }
            }
        }
        if refresh(&replica, &roster).await.is_err() {
            continue;
        }
        let r = replica.clone();
        let c = config.clone();
        let f = found.clone();
        let Ok(list) = tokio::task::spawn_blocking(move || targets(&r, &c, &f)).await else {
            continue;
        };
        let mut reached_this_round: HashSet<[u8; 32]> = HashSet::new();
        for t in list {
            if t.device
                .is_some_and(|d| reached_this_round.contains(&d) || !roster.admits(&d))
            {
                continue;
            }
            if let Some((until, _)) = backoff.get(&t.address) {
                if Instant::now() < *until {
                    continue;
                }
            }
            live.lock().unwrap_or_else(|e| e.into_inner()).syncing += 1;
            let result = tokio::select! {
                r = exchange::connect(&t.address, replica.clone(), &local, t.device, port, config.limits) => Some(r),
                _ = stopped.changed() => None,
            };
            live.lock().unwrap_or_else(|e| e.into_inner()).syncing -= 1;
            let Some(result) = result else { return };
            match result {
                Ok(report) => {
                    backoff.remove(&t.address);
                    reached_this_round.insert(report.peer);
                    let now = now_ms(&replica);
                    note_success(&live, &report, now);
                }
                Err(e) => {
                    let wait = backoff
                        .get(&t.address)
                        .map(|(_, w)| (*w * 2).min(MAX_BACKOFF))
                        .unwrap_or(Duration::from_secs(2));
                    backoff.insert(t.address.clone(), (Instant::now() + wait, wait));
                    tracing::info!(code = e.code(), address = %t.address, "sync with a peer failed: {e}");
                    live.lock().unwrap_or_else(|e| e.into_inner()).last_error = Some(e.to_string());
                    if let Some(d) = t.device {
                        let msg = e.to_string();
                        let _ = replica.run(|p| {
                            let now = p.clock.now_ms();
                            Ok(p.sync_state().peer_error(&d, &msg, now)?)
                        });
                    }
                }
            }
        }
    }
}
