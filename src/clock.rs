//! Time and identifiers, passed in rather than read from the environment.
//!
//! Every piece of logic that needs "now" or a fresh id takes a [`Clock`] and an
//! [`IdSource`], so tests can pin time (idle lock, clock skew, due dates) and replay
//! produces the same ids. Only [`SystemClock`] and [`RandomIds`] touch the OS.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;

    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.now_ms())
            .single()
            .unwrap_or_default()
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC, the form the API shows times in.
pub fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The real clock, for binaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to, for tests and deterministic demo data.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }
    pub fn at(rfc3339: &str) -> Self {
        let t = DateTime::parse_from_rfc3339(rfc3339).expect("valid RFC 3339 time");
        Self::new(t.timestamp_millis())
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn set_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A source of random bytes for ids. UUIDv7 ids embed the clock's time, so rows sort by
/// creation and the tail is random.
pub trait IdSource: Send + Sync {
    fn fill(&self, buf: &mut [u8]);

    fn uuid_v7(&self, clock_ms: i64) -> Uuid {
        let mut rand = [0u8; 10];
        self.fill(&mut rand);
        let ms = clock_ms.max(0) as u64;
        let mut b = [0u8; 16];
        b[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
        b[6] = 0x70 | (rand[0] & 0x0f);
        b[7] = rand[1];
        b[8] = 0x80 | (rand[2] & 0x3f);
        b[9..16].copy_from_slice(&rand[3..10]);
        Uuid::from_bytes(b)
    }
}

/// Operating-system randomness, for binaries.
///
/// Its UUIDv7 ids carry the clock's milliseconds, then a 16-bit counter and a 58-bit
/// random "node" drawn once per process (RFC 9562 §6.2, method 1, with a fixed random
/// tail): ids stay unique across workstations by the node and within one by the counter,
/// and the ids of one commit (a vitals form makes nineteen) differ in a few bytes, so a
/// batch of commits compresses to about half on the wire. Ids are not secrets; salts and
/// keys still come from [`IdSource::fill`], fully random.
#[derive(Debug, Default)]
pub struct RandomIds;

struct Node {
    tail: [u8; 8],
    counter: std::sync::atomic::AtomicU16,
}

fn process_node() -> &'static Node {
    static NODE: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
    NODE.get_or_init(|| {
        let mut tail = [0u8; 8];
        RandomIds.fill(&mut tail);
        let start = u16::from_be_bytes([tail[6], tail[7]]);
        Node {
            tail,
            counter: std::sync::atomic::AtomicU16::new(start),
        }
    })
}

impl IdSource for RandomIds {
    fn fill(&self, buf: &mut [u8]) {
        use ring::rand::SecureRandom;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .expect("the operating system's random source failed");
    }

    fn uuid_v7(&self, clock_ms: i64) -> Uuid {
        let node = process_node();
        let n = node.counter.fetch_add(1, Ordering::Relaxed);
        let ms = clock_ms.max(0) as u64;
        let mut b = [0u8; 16];
        b[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
        // 12 bits of counter in rand_a, its low 4 bits at the top of rand_b, then the node.
        b[6] = 0x70 | ((n >> 12) as u8 & 0x0f);
        b[7] = (n >> 4) as u8;
        b[8] = 0x80 | ((n as u8 & 0x0f) << 2) | (node.tail[0] & 0x03);
        b[9..16].copy_from_slice(&node.tail[1..8]);
        Uuid::from_bytes(b)
    }
}

/// A seeded generator: the same seed gives the same ids (tests, demo practices).
#[derive(Debug)]
pub struct SeededIds(Mutex<ChaCha20Rng>);

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        SeededIds(Mutex::new(ChaCha20Rng::seed_from_u64(seed)))
    }
}

impl IdSource for SeededIds {
    fn fill(&self, buf: &mut [u8]) {
        self.0.lock().expect("id source poisoned").fill_bytes(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_carries_the_clock_time_and_version() {
        let ids = SeededIds::new(1);
        let a = ids.uuid_v7(1_700_000_000_000);
        let b = ids.uuid_v7(1_700_000_000_001);
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b, "later ids sort after earlier ones");
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_700_000_000);
    }

    #[test]
    fn random_ids_are_unique_in_one_millisecond_and_keep_version_and_variant() {
        let ids: std::collections::HashSet<Uuid> = (0..20_000)
            .map(|_| RandomIds.uuid_v7(1_700_000_000_000))
            .collect();
        assert_eq!(ids.len(), 20_000);
        for id in ids.iter().take(50) {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        }
    }

    #[test]
    fn seeded_ids_repeat() {
        assert_eq!(SeededIds::new(9).uuid_v7(5), SeededIds::new(9).uuid_v7(5));
        assert_ne!(SeededIds::new(9).uuid_v7(5), SeededIds::new(10).uuid_v7(5));
    }
}
