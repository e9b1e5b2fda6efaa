//! Frames: a 4-byte big-endian length, then that many bytes of one message.
//!
//! The length is checked against a limit before anything is allocated, and a frame must
//! arrive whole within a deadline once its first byte came, so a peer that announces a
//! huge frame or trickles bytes (a slow loris) is cut off without costing the receiver
//! memory or a task for long.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::SyncError;

/// Limits a connection's reader enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest frame accepted, in bytes.
    pub max_frame: usize,
    /// How long a frame may take to arrive once it started.
    pub frame_deadline: Duration,
    /// How long the connection may stay silent between frames.
    pub idle: Duration,
    /// How long a connecting peer may take to start and finish its TLS handshake.
    pub handshake: Duration,
}

/// The largest frame of a replication connection: a batch of commits, compressed.
pub const MAX_FRAME: usize = 8 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame: MAX_FRAME,
            frame_deadline: Duration::from_secs(30),
            idle: Duration::from_secs(120),
            handshake: Duration::from_secs(10),
        }
    }
}

/// Reads one frame's payload. `Ok(None)` is a clean end of the stream between frames.
pub async fn read<R: AsyncRead + Unpin>(
    r: &mut R,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, SyncError> {
    let mut first = [0u8; 1];
    let n = match tokio::time::timeout(limits.idle, r.read(&mut first)).await {
        Ok(n) => n?,
        Err(_) => return Err(SyncError::TooSlow(limits.idle.as_secs())),
    };
    if n == 0 {
        return Ok(None);
    }
    let rest = async {
        let mut len = [0u8; 4];
        len[0] = first[0];
        r.read_exact(&mut len[1..]).await?;
        let len = u32::from_be_bytes(len) as usize;
        if len == 0 {
            return Err(SyncError::Malformed("an empty frame".into()));
        }
        if len > limits.max_frame {
            return Err(SyncError::FrameTooLarge {
                got: len,
                limit: limits.max_frame,
            });
        }
        let mut buf = vec![0u8; len];
        r.read_exact(&mut buf).await?;
        Ok(buf)
    };
    match tokio::time::timeout(limits.frame_deadline, rest).await {
        Ok(r) => r.map(Some),
        Err(_) => Err(SyncError::TooSlow(limits.frame_deadline.as_secs())),
    }
}

/// Writes one frame.
pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, payload: &[u8]) -> Result<(), SyncError> {
    if payload.is_empty() || payload.len() > MAX_FRAME {
        return Err(SyncError::Malformed(format!(
            "a frame of {} bytes cannot be sent",
            payload.len()
        )));
    }
    let mut buf = Vec::with_capacity(4 + payload.len());
    buf.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    buf.extend_from_slice(payload);
    w.write_all(&buf).await?;
    w.flush().await?;
    Ok(())
}
