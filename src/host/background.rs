//! The desktop app's background sync: it follows the host (starts syncing when a practice
//! is unlocked, stops when it closes) and syncs soon after every commit the app makes.
//!
//! It runs on its own small tokio runtime, so the window's event loop and the host's
//! calls never wait on the network; it reaches the practice only through the host's
//! lock, one short step at a time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::Host;
use crate::practice::Practice;
use crate::sync::replica::{PracticeAccess, Replica};
use crate::sync::runner;

impl PracticeAccess for Mutex<Host> {
    fn with_practice(&self, f: &mut dyn FnMut(&mut Practice)) -> bool {
        let mut host = self.lock().unwrap_or_else(|e| e.into_inner());
        match host.practice.as_mut() {
            Some(p) => {
                f(p);
                true
            }
            None => false,
        }
    }
}

/// How often the host is looked at (a lock, two numbers): cheap, and soon enough after
/// an unlock or a commit.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The running background sync; dropping it stops it cleanly.
pub struct BackgroundSync {
    stop: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl BackgroundSync {
    /// Starts following `host`. `config.listen` is where to listen once a practice is
    /// open; if that address is taken, this workstation still dials its peers.
    pub fn start(
        host: Arc<Mutex<Host>>,
        config: runner::Config,
    ) -> std::io::Result<BackgroundSync> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("chartkeep-sync")
            .enable_all()
            .build()?;
        let (stop, stopped) = watch::channel(false);
        let task = runtime.spawn(follow(host, config, stopped));
        Ok(BackgroundSync {
            stop,
            runtime: Some(runtime),
            task: Some(task),
        })
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let (Some(rt), Some(task)) = (self.runtime.take(), self.task.take()) {
            // Running exchanges end at a whole commit; give them a moment.
            let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await });
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

fn look(host: &Mutex<Host>) -> Option<(Uuid, u64)> {
    let h = host.lock().unwrap_or_else(|e| e.into_inner());
    h.practice.as_ref().map(|p| (p.practice_id(), p.own_seq()))
}

async fn follow(
    host: Arc<Mutex<Host>>,
    config: runner::Config,
    mut stopped: watch::Receiver<bool>,
) {
    let mut running: Option<(Uuid, u64, runner::Handle)> = None;
    loop {
        let h = host.clone();
        let seen = tokio::task::spawn_blocking(move || look(&h))
            .await
            .ok()
            .flatten();
        running = match (running, seen) {
            (Some((id, seq, handle)), Some((now_id, now_seq))) if id == now_id => {
                if now_seq > seq {
                    handle.poke();
                }
                Some((id, now_seq, handle))
            }
            (Some((_, _, handle)), _) => {
                handle.stop().await;
                None
            }
            (None, Some((id, seq))) => {
                let replica = Replica::new(host.clone());
                let rng = Arc::new(ring::rand::SystemRandom::new());
                let started =
                    match runner::start(replica.clone(), config.clone(), rng.clone()).await {
                        Ok(h) => Ok(h),
                        Err(e) if config.listen.is_some() => {
                            tracing::warn!(
                                code = e.code(),
                                "sync cannot listen ({e}); dialing peers only"
                            );
                            let dial_only = runner::Config {
                                listen: None,
                                ..config.clone()
                            };
                            runner::start(replica, dial_only, rng).await
                        }
                        Err(e) => Err(e),
                    };
                match started {
                    Ok(handle) => Some((id, seq, handle)),
                    Err(e) => {
                        tracing::warn!(code = e.code(), "background sync did not start: {e}");
                        None
                    }
                }
            }
            (None, None) => None,
        };
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = stopped.changed() => break,
        }
    }
    if let Some((_, _, handle)) = running {
        handle.stop().await;
    }
}
