//! One replication exchange over an authenticated stream.
//!
//! Both sides run the same steps at once: Hello (protocol, practice), their version
//! vectors, then each streams what the other lacks in batches while applying what it
//! receives, then `Sent`. Each side applies the batches in the order they came, those that
//! arrived together in one transaction of whole commits, so after the peer's `Sent` it
//! holds everything the peer had for it. A last pair of vectors tells both whether they
//! now hold the same commits, and `Bye` ends the connection.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::frame::{self, Limits};
use super::identity;
use super::message::{held_digest, Message, Vector, PROTOCOL};
use super::replica::{Local, Outcome, Replica};
use super::SyncError;
use crate::ledger;

/// About how much commit data one batch frame carries before compression.
pub const BATCH_BYTES: usize = 2 << 20;

/// At most this much commit data is applied in one transaction. Batches that arrived
/// while the last one was being written are applied together: each transaction rewrites
/// the index pages its commits touch, which for results spread over many patients is most
/// of an index, so fewer and larger transactions write far less (10,000 vitals forms: 13
/// transactions took 2.6 s to apply, 4 took 2.1 s). The bound keeps a transaction's pages
/// within the page cache and the write lock short.
pub const APPLY_BYTES: usize = 8 * BATCH_BYTES;

/// What the reader hands on: a batch of commits already decoded and its signatures
/// checked, or any other message.
enum Incoming {
    Commits(ledger::Checked),
    Message(Message),
}

/// How long to wait for a TCP connection or a TLS handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What one exchange did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub peer: [u8; 32],
    pub peer_name: String,
    /// The port the peer's listener is on (0: it has none).
    pub peer_listen_port: u16,
    pub received: Outcome,
    pub sent: usize,
    /// Both sides held the same commits at the end.
    pub converged: bool,
    pub ours: Vector,
    pub theirs: Vector,
    /// Bytes on the wire each way (TLS records included), when this side dialed.
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// A stream that counts the bytes through it, for the wire figures.
pub struct Counted<S> {
    inner: S,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> (Counted<S>, Arc<AtomicU64>, Arc<AtomicU64>) {
        let (read, written) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        (
            Counted {
                inner,
                read: read.clone(),
                written: written.clone(),
            },
            read,
            written,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.written.fetch_add(*n as u64, Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(e.to_string())))?
}

async fn send<W: AsyncWrite + Unpin>(w: &mut W, m: &Message) -> Result<(), SyncError> {
    frame::write(w, &m.encode()).await
}

/// Several messages in one write, so they travel in one TLS record.
async fn send_all<W: AsyncWrite + Unpin>(w: &mut W, ms: &[Message]) -> Result<(), SyncError> {
    let mut buf = Vec::new();
    for m in ms {
        let payload = m.encode();
        buf.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        buf.extend_from_slice(&payload);
    }
    w.write_all(&buf).await?;
    w.flush().await?;
    Ok(())
}

type Inbox = mpsc::Receiver<Result<Incoming, SyncError>>;

fn opened(m: Option<Result<Incoming, SyncError>>) -> Result<Incoming, SyncError> {
    match m {
        Some(Ok(Incoming::Message(Message::Refused { code, message }))) => {
            Err(SyncError::Refused { code, message })
        }
        Some(m) => m,
        None => Err(SyncError::Io(std::io::ErrorKind::UnexpectedEof.into())),
    }
}

/// The next message, where commits are out of turn.
async fn next(rx: &mut Inbox) -> Result<Message, SyncError> {
    match opened(rx.recv().await)? {
        Incoming::Message(m) => Ok(m),
        Incoming::Commits(_) => Err(unexpected(&Message::Commits(Vec::new()))),
    }
}

fn unexpected(m: &Message) -> SyncError {
    let what = match m {
        Message::Hello { .. } => "Hello",
        Message::Vectors { .. } => "Vectors",
        Message::Commits(_) => "Commits",
        Message::Log(_) => "Log",
        Message::Sent => "Sent",
        Message::Bye => "Bye",
        Message::Refused { .. } => "Refused",
    };
    SyncError::Malformed(format!("a {what} message out of turn"))
}

/// Runs one exchange with the verified peer `peer` over `stream`.
pub async fn run<S>(
    stream: S,
    peer: [u8; 32],
    replica: Replica,
    local: &Local,
    listen_port: u16,
    limits: Limits,
) -> Result<Report, SyncError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    // Room for a transaction's worth of batches (`APPLY_BYTES`) to gather while the last
    // one is written.
    let (tx, mut rx) = mpsc::channel::<Result<Incoming, SyncError>>(8);
    let reader = tokio::spawn(async move {
        loop {
            match frame::read(&mut rd, &limits).await {
                Ok(Some(b)) => {
                    let m = match Message::decode(&b) {
                        // Decoded and checked here, while the batch before is written.
                        Ok(Message::Commits(batch)) => {
                            blocking(move || Ok(ledger::Checked::new(batch)))
                                .await
                                .map(Incoming::Commits)
                        }
                        m => m.map(Incoming::Message),
                    };
                    let bad = m.is_err();
                    if tx.send(m).await.is_err() || bad {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    let r = steps(&mut wr, &mut rx, peer, replica, local, listen_port).await;
    if let Err(e) = &r {
        if !matches!(e, SyncError::Refused { .. } | SyncError::Io(_)) {
            let _ = send(
                &mut wr,
                &Message::Refused {
                    code: e.code().to_string(),
                    message: e.to_string(),
                },
            )
            .await;
        }
    }
    let _ = wr.shutdown().await;
    reader.abort();
    r
}

async fn steps<W>(
    wr: &mut W,
    rx: &mut Inbox,
    peer: [u8; 32],
    replica: Replica,
    local: &Local,
    listen_port: u16,
) -> Result<Report, SyncError>
where
    W: AsyncWrite + Unpin + Send,
{
    // Hello says what this side holds in 16 bytes, so two sides that are even (an idle
    // round, most rounds) need not send their vectors at all.
    let r = replica.clone();
    let (ours, ours_log) = blocking(move || r.vectors()).await?;
    let held = held_digest(&ours, &ours_log);
    send(
        wr,
        &Message::Hello {
            protocol: PROTOCOL,
            practice: local.practice,
            name: local.name.clone(),
            listen_port,
            held,
        },
    )
    .await?;
    let (peer_name, peer_listen_port, peer_held) = match next(rx).await? {
        Message::Hello { protocol, .. } if protocol != PROTOCOL => {
            return Err(SyncError::Protocol {
                ours: PROTOCOL,
                theirs: protocol,
            })
        }
        Message::Hello { practice, .. } if practice != local.practice => {
            return Err(SyncError::OtherPractice(practice.to_string()))
        }
        Message::Hello {
            name,
            listen_port,
            held,
            ..
        } => (name, listen_port, held),
        other => return Err(unexpected(&other)),
    };

    if peer_held == held {
        // Nothing to send either way (both know it): Sent and Bye together, and done.
        send_all(wr, &[Message::Sent, Message::Bye]).await?;
        match next(rx).await? {
            Message::Sent => {}
            other => return Err(unexpected(&other)),
        }
        match next(rx).await {
            Ok(Message::Bye) | Err(SyncError::Io(_)) => {}
            Ok(other) => return Err(unexpected(&other)),
            Err(e) => return Err(e),
        }
        let theirs = ours.clone();
        return finish(
            &replica,
            peer,
            peer_name,
            peer_listen_port,
            Outcome::default(),
            0,
            ours,
            theirs,
        )
        .await;
    }
    send(
        wr,
        &Message::Vectors {
            ledger: ours.clone(),
            log: ours_log.clone(),
        },
    )
    .await?;
    let (theirs, theirs_log) = match next(rx).await? {
        Message::Vectors { ledger, log } => (ledger, log),
        other => return Err(unexpected(&other)),
    };
    // Send what they lack while applying what they send: the two directions run at once,
    // so neither side waits for the other to finish before its own batches start.
    let sending = async {
        let r = replica.clone();
        let have = theirs.clone();
        let mut cursor = blocking(move || r.first_missing(&have)).await?;
        let mut sent = 0usize;
        while let Some(c) = cursor {
            let r = replica.clone();
            let have = theirs.clone();
            let (page, next) = blocking(move || r.missing_page(&have, c, BATCH_BYTES)).await?;
            if !page.is_empty() {
                sent += page.len();
                send(wr, &Message::Commits(page)).await?;
            }
            cursor = next;
        }
        // Then the access log entries they lack, after the commits (which may make the
        // devices that wrote them known there).
        for (device, held) in &ours_log {
            let mut after = theirs_log.get(device).copied().unwrap_or(0);
            while after < *held {
                let (r, d) = (replica.clone(), *device);
                let page = blocking(move || r.log_page(&d, after, 2000)).await?;
                let Some(last) = page.last() else { break };
                after = last.0;
                send(
                    wr,
                    &Message::Log(page.into_iter().map(|(_, b)| b).collect()),
                )
                .await?;
            }
        }
        send(wr, &Message::Sent).await?;
        Ok::<usize, SyncError>(sent)
    };
    let receiving = async {
        let mut got = Outcome::default();
        // A message taken from the queue while gathering batches, handled next.
        let mut held = None;
        loop {
            let m = match held.take() {
                Some(m) => opened(Some(m))?,
                None => opened(rx.recv().await)?,
            };
            match m {
                Incoming::Commits(mut batch) => {
                    while batch.bytes() < APPLY_BYTES {
                        match rx.try_recv() {
                            Ok(Ok(Incoming::Commits(more))) => batch.append(more),
                            Ok(other) => {
                                held = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let r = replica.clone();
                    let o = blocking(move || r.apply_checked(&peer, batch)).await?;
                    got.new += o.new;
                    got.already += o.already;
                    got.quarantined += o.quarantined;
                    got.refused += o.refused;
                }
                // Other workstations' access log entries, kept as read-only copies.
                Incoming::Message(Message::Log(entries)) => {
                    let r = replica.clone();
                    blocking(move || r.apply_log(&entries)).await?;
                }
                Incoming::Message(Message::Sent) => return Ok::<Outcome, SyncError>(got),
                Incoming::Message(other) => return Err(unexpected(&other)),
            }
        }
    };
    let (sent, received) = tokio::try_join!(sending, receiving)?;

    // What both hold now: equal ledger vectors mean they hold the same commits.
    let r = replica.clone();
    let (ours, log) = blocking(move || r.vectors()).await?;
    send(
        wr,
        &Message::Vectors {
            ledger: ours.clone(),
            log,
        },
    )
    .await?;
    let (ours, theirs) = match next(rx).await? {
        Message::Vectors { ledger, .. } => (ours, ledger),
        other => return Err(unexpected(&other)),
    };
    send(wr, &Message::Bye).await?;
    match next(rx).await {
        Ok(Message::Bye) | Err(SyncError::Io(_)) => {}
        Ok(other) => return Err(unexpected(&other)),
        Err(e) => return Err(e),
    }
    finish(
        &replica,
        peer,
        peer_name,
        peer_listen_port,
        received,
        sent,
        ours,
        theirs,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    replica: &Replica,
    peer: [u8; 32],
    peer_name: String,
    peer_listen_port: u16,
    received: Outcome,
    sent: usize,
    ours: Vector,
    theirs: Vector,
) -> Result<Report, SyncError> {
    let converged = ours == theirs;
    let r = replica.clone();
    let (name, vector) = (peer_name.clone(), theirs.clone());
    blocking(move || {
        r.run(|p| {
            let now = p.clock.now_ms();
            p.sync_state()
                .peer_contact(&peer, &name, None, &vector, now)?;
            Ok(())
        })
    })
    .await?;
    Ok(Report {
        peer,
        peer_name,
        peer_listen_port,
        received,
        sent,
        converged,
        ours,
        theirs,
        bytes_in: 0,
        bytes_out: 0,
    })
}

/// The device a TLS connection proved (its certificate was already checked against the
/// roster by the verifier).
fn proved(
    certs: Option<&[rustls::pki_types::CertificateDer<'static>]>,
) -> Result<[u8; 32], SyncError> {
    let cert = certs
        .and_then(|c| c.first())
        .ok_or_else(|| SyncError::Tls("the peer sent no certificate".into()))?;
    identity::cert_device(cert).map_err(|e| SyncError::Tls(e.to_string()))
}

/// A TCP connection to a peer's listener, or why not in words a person can act on.
pub async fn dial_tcp(address: &str) -> Result<TcpStream, SyncError> {
    let unreachable = |reason: String| SyncError::Unreachable {
        address: address.to_string(),
        reason,
    };
    tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| unreachable("no answer".into()))?
        .map_err(|e| unreachable(e.to_string()))
}

/// A failed TLS handshake, said so that whoever sits at the workstation knows what to do:
/// nearly always one side is not (or no longer) a member the other knows.
fn handshake_failed(e: std::io::Error) -> SyncError {
    SyncError::Tls(format!(
        "{e}. The other workstation did not accept this one, or is not one of this practice's members: check that both belong to the same practice and that neither was removed (Sync screen → Workstations)"
    ))
}

/// Connects to `address`, proves this workstation, checks the peer is a member (and the
/// one `expected`, if given) and runs one exchange.
pub async fn connect(
    address: &str,
    replica: Replica,
    local: &Local,
    expected: Option<[u8; 32]>,
    listen_port: u16,
    limits: Limits,
) -> Result<Report, SyncError> {
    let tcp = dial_tcp(address).await?;
    tcp.set_nodelay(true)?;
    let (tcp, bytes_in, bytes_out) = Counted::new(tcp);
    let connector = tokio_rustls::TlsConnector::from(local.client.clone());
    let tls = tokio::time::timeout(
        CONNECT_TIMEOUT,
        connector.connect(identity::server_name(), tcp),
    )
    .await
    .map_err(|_| SyncError::TooSlow(CONNECT_TIMEOUT.as_secs()))?
    .map_err(handshake_failed)?;
    let peer = proved(tls.get_ref().1.peer_certificates())?;
    identity::admit(&local.roster, expected, &peer)?;
    let mut report = run(tls, peer, replica.clone(), local, listen_port, limits).await?;
    // Where this peer listens is where it was reached.
    let r = replica.clone();
    let (name, addr) = (report.peer_name.clone(), address.to_string());
    let theirs = report.theirs.clone();
    blocking(move || {
        r.run(|p| {
            let now = p.clock.now_ms();
            p.sync_state()
                .peer_contact(&peer, &name, Some(&addr), &theirs, now)?;
            Ok(())
        })
    })
    .await?;
    report.peer = peer;
    report.bytes_in = bytes_in.load(Ordering::Relaxed);
    report.bytes_out = bytes_out.load(Ordering::Relaxed);
    Ok(report)
}

/// Serves one exchange on a TLS connection a peer opened.
pub async fn serve<S>(
    tls: tokio_rustls::server::TlsStream<S>,
    replica: Replica,
    local: &Local,
    listen_port: u16,
    limits: Limits,
    peer_ip: Option<std::net::IpAddr>,
) -> Result<Report, SyncError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = proved(tls.get_ref().1.peer_certificates())?;
    identity::admit(&local.roster, None, &peer)?;
    let report = run(tls, peer, replica.clone(), local, listen_port, limits).await?;
    if let (Some(ip), port) = (peer_ip, report.peer_listen_port) {
        if port != 0 {
            let r = replica.clone();
            let addr = std::net::SocketAddr::new(ip, port).to_string();
            let (name, theirs) = (report.peer_name.clone(), report.theirs.clone());
            blocking(move || {
                r.run(|p| {
                    let now = p.clock.now_ms();
                    p.sync_state()
                        .peer_contact(&peer, &name, Some(&addr), &theirs, now)?;
                    Ok(())
                })
            })
            .await?;
        }
    }
    Ok(report)
}
