//! The messages of the sync protocol and their encoding (see `docs/sync.md`).
//!
//! A message is one frame: a tag byte, then its fields. Integers are LEB128 varints,
//! byte strings and texts carry a varint length. Commit and log batches are compressed
//! with DEFLATE as a whole (the device keys and field names repeat from commit to commit),
//! and decompressed with a limit. Decoding checks every length against what is left and
//! never panics: anything else is [`SyncError::Malformed`].

use std::collections::BTreeMap;

use uuid::Uuid;

use super::SyncError;
use crate::ledger::Signed;

/// The protocol version this binary speaks. A peer with another version is told so and
/// the connection closes; nothing is exchanged. Version 2 put the vectors' digest in
/// `Hello`, so two workstations that are even skip the vectors.
pub const PROTOCOL: u16 = 2;

/// The most a compressed batch may grow to when decompressed.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// `device → highest contiguous seq held`.
pub type Vector = BTreeMap<[u8; 32], u64>;

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The first message each side sends.
    Hello {
        protocol: u16,
        practice: Uuid,
        /// The workstation's name, for the other side's Sync screen.
        name: String,
        /// The port its sync listener is on (0: none), so the other side can call back.
        listen_port: u16,
        /// [`held_digest`] of its vectors: equal on both sides, nothing is to be sent
        /// either way, and the vectors themselves (about 35 bytes a device) are skipped.
        held: [u8; 16],
    },
    /// What this side holds: commits per device, and access log entries per device.
    Vectors { ledger: Vector, log: Vector },
    /// Commits the other side lacks, in an order that respects their dependencies.
    Commits(Vec<Signed>),
    /// Access log entries the other side lacks (each one signed by the device that wrote it).
    Log(Vec<Vec<u8>>),
    /// Everything the other side lacked, as of the vectors it sent, has been sent.
    Sent,
    /// The connection is done.
    Bye,
    /// The other side will not go on, and why.
    Refused { code: String, message: String },
}

const HELLO: u8 = 1;
const VECTORS: u8 = 2;
const COMMITS: u8 = 3;
const LOG: u8 = 4;
const SENT: u8 = 5;
const BYE: u8 = 6;
const REFUSED: u8 = 7;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// What a workstation holds, in 16 bytes: a SHA-256 of its two vectors as `Vectors`
/// encodes them, cut short. Two workstations holding different commits and giving the same
/// digest would need a 128-bit collision.
pub fn held_digest(ledger: &Vector, log: &Vector) -> [u8; 16] {
    let mut b = Vec::new();
    put_vector(&mut b, ledger);
    put_vector(&mut b, log);
    let d = ring::digest::digest(&ring::digest::SHA256, &b);
    let mut out = [0u8; 16];
    out.copy_from_slice(&d.as_ref()[..16]);
    out
}

fn put_vector(out: &mut Vec<u8>, v: &Vector) {
    put_varint(out, v.len() as u64);
    for (d, s) in v {
        out.extend_from_slice(d);
        put_varint(out, *s);
    }
}

/// A cursor over received bytes that refuses to read past the end.
struct Reader<'a> {
    buf: &'a [u8],
}

fn malformed(what: &str) -> SyncError {
    SyncError::Malformed(what.to_string())
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, SyncError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let (&b, rest) = self
                .buf
                .split_first()
                .ok_or_else(|| malformed("truncated number"))?;
            self.buf = rest;
            if i == 9 && b > 1 {
                return Err(malformed("number too large"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(malformed("number too long"))
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], SyncError> {
        if n > self.buf.len() {
            return Err(malformed("truncated field"));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    fn bytes(&mut self) -> Result<&'a [u8], SyncError> {
        let n = self.varint()?;
        self.take(usize::try_from(n).map_err(|_| malformed("length too large"))?)
    }
    fn text(&mut self) -> Result<String, SyncError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| malformed("text is not UTF-8"))
    }
    fn count(&mut self, min_item: usize) -> Result<usize, SyncError> {
        let n = self.varint()?;
        // Each item takes at least `min_item` bytes: a count larger than what is left
        // could only be a lie meant to make the receiver allocate.
        if n as u128 * min_item as u128 > self.buf.len() as u128 {
            return Err(malformed("count larger than the message"));
        }
        Ok(n as usize)
    }
    fn vector(&mut self) -> Result<Vector, SyncError> {
        let n = self.count(33)?;
        let mut v = Vector::new();
        for _ in 0..n {
            let d: [u8; 32] = self.take(32)?.try_into().expect("32 bytes");
            let s = self.varint()?;
            if v.insert(d, s).is_some() {
                return Err(malformed("a device twice in a vector"));
            }
        }
        Ok(v)
    }
    fn done(&self) -> Result<(), SyncError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(malformed("trailing bytes"))
        }
    }
}

fn compress(raw: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(raw, 3)
}

fn decompress(b: &[u8]) -> Result<Vec<u8>, SyncError> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(b, MAX_BATCH_BYTES)
        .map_err(|_| malformed("a batch that does not decompress within the limit"))
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Message::Hello {
                protocol,
                practice,
                name,
                listen_port,
                held,
            } => {
                out.push(HELLO);
                // The protocol version comes first and stays there in every version, so an
                // old peer can always read it and say what is wrong.
                out.extend_from_slice(&protocol.to_be_bytes());
                out.extend_from_slice(practice.as_bytes());
                put_bytes(&mut out, name.as_bytes());
                out.extend_from_slice(&listen_port.to_be_bytes());
                out.extend_from_slice(held);
            }
            Message::Vectors { ledger, log } => {
                out.push(VECTORS);
                put_vector(&mut out, ledger);
                put_vector(&mut out, log);
            }
            Message::Commits(cs) => {
                out.push(COMMITS);
                let mut raw = Vec::new();
                put_varint(&mut raw, cs.len() as u64);
                for c in cs {
                    put_bytes(&mut raw, &c.encoded);
                    raw.extend_from_slice(&c.signature);
                }
                out.extend_from_slice(&compress(&raw));
            }
            Message::Log(es) => {
                out.push(LOG);
                let mut raw = Vec::new();
                put_varint(&mut raw, es.len() as u64);
                for e in es {
                    put_bytes(&mut raw, e);
                }
                out.extend_from_slice(&compress(&raw));
            }
            Message::Sent => out.push(SENT),
            Message::Bye => out.push(BYE),
            Message::Refused { code, message } => {
                out.push(REFUSED);
                put_bytes(&mut out, code.as_bytes());
                put_bytes(&mut out, message.as_bytes());
            }
        }
        out
    }

    pub fn decode(frame: &[u8]) -> Result<Message, SyncError> {
        let (&tag, body) = frame
            .split_first()
            .ok_or_else(|| malformed("empty message"))?;
        let mut r = Reader { buf: body };
        let m = match tag {
            HELLO => {
                let protocol = u16::from_be_bytes(r.take(2)?.try_into().expect("2 bytes"));
                if protocol != PROTOCOL {
                    // Whatever follows may be laid out differently: stop here.
                    return Ok(Message::Hello {
                        protocol,
                        practice: Uuid::nil(),
                        name: String::new(),
                        listen_port: 0,
                        held: [0; 16],
                    });
                }
                let practice = Uuid::from_bytes(r.take(16)?.try_into().expect("16 bytes"));
                let name = r.text()?;
                let listen_port = u16::from_be_bytes(r.take(2)?.try_into().expect("2 bytes"));
                let held: [u8; 16] = r.take(16)?.try_into().expect("16 bytes");
                Message::Hello {
                    protocol,
                    practice,
                    name,
                    listen_port,
                    held,
                }
            }
            VECTORS => Message::Vectors {
                ledger: r.vector()?,
                log: r.vector()?,
            },
            COMMITS => {
                let raw = decompress(body)?;
                let mut r = Reader { buf: &raw };
                let n = r.count(65)?;
                let mut cs = Vec::with_capacity(n);
                for _ in 0..n {
                    let encoded = r.bytes()?.to_vec();
                    let signature: [u8; 64] = r.take(64)?.try_into().expect("64 bytes");
                    cs.push(Signed { encoded, signature });
                }
                r.done()?;
                return Ok(Message::Commits(cs));
            }
            LOG => {
                let raw = decompress(body)?;
                let mut r = Reader { buf: &raw };
                let n = r.count(1)?;
                let mut es = Vec::with_capacity(n);
                for _ in 0..n {
                    es.push(r.bytes()?.to_vec());
                }
                r.done()?;
                return Ok(Message::Log(es));
            }
            SENT => Message::Sent,
            BYE => Message::Bye,
            REFUSED => Message::Refused {
                code: r.text()?,
                message: r.text()?,
            },
            other => {
                return Err(SyncError::Malformed(format!(
                    "unknown message type {other}"
                )))
            }
        };
        r.done()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vector() -> impl Strategy<Value = Vector> {
        proptest::collection::btree_map(any::<[u8; 32]>(), any::<u64>(), 0..6)
    }

    fn message() -> impl Strategy<Value = Message> {
        prop_oneof![
            (
                any::<[u8; 16]>(),
                ".{0,20}",
                any::<u16>(),
                any::<[u8; 16]>()
            )
                .prop_map(|(p, name, listen_port, held)| Message::Hello {
                    protocol: PROTOCOL,
                    practice: Uuid::from_bytes(p),
                    name,
                    listen_port,
                    held,
                }),
            (vector(), vector()).prop_map(|(ledger, log)| Message::Vectors { ledger, log }),
            proptest::collection::vec(
                (
                    proptest::collection::vec(any::<u8>(), 0..200),
                    any::<[u8; 32]>()
                ),
                0..8
            )
            .prop_map(|cs| Message::Commits(
                cs.into_iter()
                    .map(|(encoded, half)| {
                        let mut signature = [0u8; 64];
                        signature[..32].copy_from_slice(&half);
                        Signed { encoded, signature }
                    })
                    .collect()
            )),
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..8)
                .prop_map(Message::Log),
            Just(Message::Sent),
            Just(Message::Bye),
            (".{0,20}", ".{0,80}").prop_map(|(code, message)| Message::Refused { code, message }),
        ]
    }

    proptest! {
        #[test]
        fn prop_every_message_decodes_to_itself(m in message()) {
            prop_assert_eq!(Message::decode(&m.encode()).unwrap(), m);
        }

        /// The decoder is the fuzz target of the protocol: arbitrary bytes, and valid
        /// messages with bytes flipped, cut or appended, give a message or an error, never
        /// a panic or a huge allocation.
        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn prop_damaged_messages_never_panic(m in message(), at in any::<prop::sample::Index>(), flip in 1u8..=255, cut in any::<bool>()) {
            let mut b = m.encode();
            let i = at.index(b.len());
            if cut { b.truncate(i) } else { b[i] ^= flip }
            let _ = Message::decode(&b);
        }
    }

    #[test]
    fn a_count_larger_than_the_message_is_refused_before_allocating() {
        let mut raw = Vec::new();
        put_varint(&mut raw, u64::MAX >> 1);
        let mut frame = vec![COMMITS];
        frame.extend_from_slice(&compress(&raw));
        assert!(matches!(
            Message::decode(&frame),
            Err(SyncError::Malformed(_))
        ));
    }

    #[test]
    fn the_held_digest_tells_even_workstations_from_any_difference() {
        let ledger: Vector = [([1; 32], 7), ([2; 32], 3)].into_iter().collect();
        let log: Vector = [([1; 32], 40)].into_iter().collect();
        let d = held_digest(&ledger, &log);
        assert_eq!(d, held_digest(&ledger.clone(), &log.clone()));
        let mut one_more = ledger.clone();
        one_more.insert([2; 32], 4);
        assert_ne!(d, held_digest(&one_more, &log));
        let mut new_device = log.clone();
        new_device.insert([3; 32], 1);
        assert_ne!(d, held_digest(&ledger, &new_device));
        // The same entries as commits or as log entries are not the same holdings.
        assert_ne!(held_digest(&log, &ledger), held_digest(&ledger, &log));
    }

    #[test]
    fn a_peer_on_another_protocol_version_is_read_far_enough_to_say_so() {
        let other = PROTOCOL + 1;
        let mut frame = vec![HELLO];
        frame.extend_from_slice(&other.to_be_bytes());
        frame.extend_from_slice(b"whatever the next version puts here");
        assert!(matches!(
            Message::decode(&frame).unwrap(),
            Message::Hello { protocol, .. } if protocol == other
        ));
    }
}
