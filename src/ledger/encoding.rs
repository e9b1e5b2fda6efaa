//! The frozen canonical encoding of a commit body.
//!
//! DO NOT CHANGE the byte layout below: commits are signed over these bytes, peers verify
//! them, and every stored ledger replays from them. A new layout needs a new magic/version
//! and a decoder that keeps reading version 1.
//!
//! Layout (version 1), integers are unsigned LEB128 varints unless noted:
//! ```text
//! "CKC" 0x01 | device_key[32] | seq | hlc (u64 BE) | author[16] | prev[32] | n_changes
//! change: id[16] | entity (str) | row[16] | op (u8) | n_fields | (name (str), value)* | n_base | base[16]*
//! str:    len | utf-8 bytes
//! value:  0 null | 1 false | 2 true | 3 int (i64 BE) | 4 real (f64 bits BE, never NaN)
//!         | 5 text (str) | 6 bytes (len | bytes)
//! ```
//! Decoding accepts only canonical input (minimal varints, sorted unique field names and
//! base ids, no trailing bytes), so one body has exactly one encoding.

use uuid::Uuid;

use super::commit::{Change, CommitBody, Op};
use super::value::Value;

const MAGIC: [u8; 4] = *b"CKC\x01";
/// Upper bound on any declared length, so a corrupt length cannot ask for gigabytes.
const MAX_LEN: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("commit encoding is damaged: {0}")]
pub struct DecodeError(pub &'static str);

pub fn encode(body: &CommitBody) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.changes.len() * 96);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&body.device_key);
    varint(&mut out, body.seq);
    out.extend_from_slice(&body.hlc.to_be_bytes());
    out.extend_from_slice(body.author.as_bytes());
    out.extend_from_slice(&body.prev);
    varint(&mut out, body.changes.len() as u64);
    for c in &body.changes {
        out.extend_from_slice(c.id.as_bytes());
        string(&mut out, &c.entity);
        out.extend_from_slice(c.row.as_bytes());
        out.push(c.op.tag());
        varint(&mut out, c.fields.len() as u64);
        for (name, value) in &c.fields {
            string(&mut out, name);
            encode_value(&mut out, value);
        }
        varint(&mut out, c.base.len() as u64);
        for b in &c.base {
            out.extend_from_slice(b.as_bytes());
        }
    }
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(false) => out.push(1),
        Value::Bool(true) => out.push(2),
        Value::Int(i) => {
            out.push(3);
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::Real(f) => {
            out.push(4);
            // NaN has many bit patterns; callers never store it (validation rejects it).
            let f = if f.is_nan() { 0.0 } else { *f };
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Text(s) => {
            out.push(5);
            string(out, s);
        }
        Value::Bytes(b) => {
            out.push(6);
            varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(DecodeError("unexpected end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            if i == 9 && b > 1 {
                return Err(DecodeError("varint overflow"));
            }
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(DecodeError("non-minimal varint"));
                }
                return Ok(v);
            }
        }
        Err(DecodeError("varint too long"))
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        if n > MAX_LEN || n as usize > self.buf.len() - self.pos {
            return Err(DecodeError("length beyond the data"));
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError("invalid utf-8"))
    }

    fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        Ok(Uuid::from_bytes(self.array::<16>()?))
    }

    fn value(&mut self) -> Result<Value, DecodeError> {
        Ok(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Int(i64::from_be_bytes(self.array::<8>()?)),
            4 => {
                let f = f64::from_bits(u64::from_be_bytes(self.array::<8>()?));
                if f.is_nan() {
                    return Err(DecodeError("NaN value"));
                }
                Value::Real(f)
            }
            5 => Value::Text(self.string()?),
            6 => {
                let n = self.len()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            _ => return Err(DecodeError("unknown value tag")),
        })
    }
}

pub fn decode(buf: &[u8]) -> Result<CommitBody, DecodeError> {
    let mut changes = Vec::new();
    let head = decode_each(buf, |_, c| {
        changes.push(c);
        Ok::<(), DecodeError>(())
    })?;
    Ok(CommitBody {
        device_key: head.device_key,
        seq: head.seq,
        hlc: head.hlc,
        author: head.author,
        prev: head.prev,
        changes,
    })
}

/// The part of a commit body before its changes.
#[derive(Debug, Clone)]
pub struct BodyHead {
    pub device_key: [u8; 32],
    pub seq: u64,
    pub hlc: u64,
    pub author: Uuid,
    pub prev: [u8; 32],
}

/// Decodes a body one change at a time, handing each to `each` as soon as it is read, with
/// the same checks as [`decode`]. A replay uses this: building and then dropping a vector
/// of hundreds of changes per commit cost it more than projecting them. An error found
/// after some changes were handed over is still an error; the caller's transaction is
/// what makes the commit all or nothing.
pub fn decode_each<E: From<DecodeError>>(
    buf: &[u8],
    mut each: impl FnMut(&BodyHead, Change) -> Result<(), E>,
) -> Result<BodyHead, E> {
    let mut r = Reader { buf, pos: 0 };
    if r.array::<4>()? != MAGIC {
        return Err(DecodeError("unknown magic or version").into());
    }
    let head = BodyHead {
        device_key: r.array::<32>()?,
        seq: r.varint()?,
        hlc: u64::from_be_bytes(r.array::<8>()?),
        author: r.uuid()?,
        prev: r.array::<32>()?,
    };
    let n = r.len()?;
    for _ in 0..n {
        let id = r.uuid()?;
        let entity = r.string()?;
        let row = r.uuid()?;
        let op = Op::from_tag(r.byte()?).ok_or(DecodeError("unknown operation"))?;
        let nf = r.len()?;
        let mut fields: Vec<(String, Value)> = Vec::with_capacity(nf.min(256));
        for _ in 0..nf {
            let name = r.string()?;
            if let Some((last, _)) = fields.last() {
                if *last >= name {
                    return Err(DecodeError("fields not in canonical order").into());
                }
            }
            let v = r.value()?;
            fields.push((name, v));
        }
        let nb = r.len()?;
        let mut base: Vec<Uuid> = Vec::with_capacity(nb.min(256));
        for _ in 0..nb {
            let b = r.uuid()?;
            if base.last().is_some_and(|l| *l >= b) {
                return Err(DecodeError("base not in canonical order").into());
            }
            base.push(b);
        }
        each(
            &head,
            Change {
                id,
                entity,
                row,
                op,
                fields,
                base,
            },
        )?;
    }
    if r.pos != buf.len() {
        return Err(DecodeError("trailing bytes").into());
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>()
                .prop_filter("no NaN", |f| !f.is_nan())
                .prop_map(Value::Real),
            ".{0,40}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bytes),
        ]
    }

    fn change() -> impl Strategy<Value = Change> {
        (
            any::<u128>(),
            "[a-z_]{1,12}",
            any::<u128>(),
            1u8..=5,
            proptest::collection::vec(("[a-z_]{1,10}", value()), 0..6),
            proptest::collection::vec(any::<u128>(), 0..4),
        )
            .prop_map(|(id, entity, row, op, fields, base)| {
                Change::new(
                    Uuid::from_u128(id),
                    &entity,
                    Uuid::from_u128(row),
                    Op::from_tag(op).unwrap(),
                    fields,
                    base.into_iter().map(Uuid::from_u128).collect(),
                )
            })
    }

    fn body() -> impl Strategy<Value = CommitBody> {
        (
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<u64>(),
            any::<u128>(),
            any::<[u8; 32]>(),
            proptest::collection::vec(change(), 0..5),
        )
            .prop_map(|(device_key, seq, hlc, author, prev, changes)| CommitBody {
                device_key,
                seq,
                hlc,
                author: Uuid::from_u128(author),
                prev,
                changes,
            })
    }

    proptest! {
        #[test]
        fn round_trips(b in body()) {
            let bytes = encode(&b);
            prop_assert_eq!(decode(&bytes).unwrap(), b.clone());
            // One body, one encoding.
            prop_assert_eq!(encode(&decode(&bytes).unwrap()), bytes);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn any_flipped_byte_changes_or_breaks_the_body(b in body(), pos in any::<usize>(), bit in 0u8..8) {
            let mut bytes = encode(&b);
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            if let Ok(d) = decode(&bytes) { prop_assert_ne!(d, b); }
        }
    }

    #[test]
    fn layout_is_frozen() {
        // A fixed body must keep encoding to the same bytes forever.
        let body = CommitBody {
            device_key: [7; 32],
            seq: 300,
            hlc: 0x0102_0304_0506_0708,
            author: Uuid::from_u128(1),
            prev: [0; 32],
            changes: vec![Change::new(
                Uuid::from_u128(2),
                "patient",
                Uuid::from_u128(3),
                Op::Set,
                vec![
                    ("b".into(), Value::Int(-1)),
                    ("a".into(), Value::Text("é".into())),
                ],
                vec![Uuid::from_u128(4)],
            )],
        };
        let bytes = encode(&body);
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        assert_eq!(
            hex::encode(digest.as_ref()),
            FROZEN_DIGEST,
            "the commit encoding changed; signed ledgers would no longer verify"
        );
    }

    /// Computed once from `layout_is_frozen`'s body when the format was defined.
    const FROZEN_DIGEST: &str = "e9e531d46c4b6f1c80cb1b6f34c3726ad8a93f5b462b6bd8ab6e8fa25262eb14";

    #[test]
    fn rejects_non_canonical_field_order() {
        let mut body = CommitBody {
            device_key: [0; 32],
            seq: 1,
            hlc: 1,
            author: Uuid::nil(),
            prev: [0; 32],
            changes: vec![Change::new(
                Uuid::nil(),
                "x",
                Uuid::nil(),
                Op::Set,
                vec![("a".into(), Value::Null), ("b".into(), Value::Null)],
                vec![],
            )],
        };
        body.changes[0].fields.swap(0, 1);
        assert_eq!(
            decode(&encode(&body)),
            Err(DecodeError("fields not in canonical order"))
        );
    }
}
