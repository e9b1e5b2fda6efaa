//! The frozen canonical encodings of a commit body.
//!
//! DO NOT CHANGE the byte layouts below: commits are signed over these bytes, peers verify
//! them, and every stored ledger replays from them. A new layout needs a new magic/version
//! and a decoder that keeps reading the older ones.
//!
//! Layout 1 (the first ledgers; still decoded and verified, no longer written), integers
//! are unsigned LEB128 varints unless noted:
//! ```text
//! "CKC" 0x01 | device_key[32] | seq | hlc (u64 BE) | author[16] | prev[32] | n_changes
//! change: id[16] | entity (str) | row[16] | op (u8) | n_fields | (name (str), value)* | n_base | base[16]*
//! str:    len | utf-8 bytes
//! value:  0 null | 1 false | 2 true | 3 int (i64 BE) | 4 real (f64 bits BE, never NaN)
//!         | 5 text (str) | 6 bytes (len | bytes)
//! ```
//!
//! Layout 2 (written since), which binds a commit to its practice and to the schema that
//! wrote it, carries a Lamport counter for conflict winners and each change's causal
//! dependencies:
//! ```text
//! "CKC" 0x02 | practice[16] | schema | device_key[32] | seq | hlc (u64 BE) | lamport
//!            | author[16] | prev[32] | n_changes
//! change: as layout 1 | n_deps | dep[16]*
//! value:  as layout 1, but a real is always finite
//! ```
//! Decoding accepts only canonical input (minimal varints, sorted unique field names, base
//! and dep ids, no trailing bytes), so one body has exactly one encoding; encoding refuses
//! a body that would not decode back to itself.

use uuid::Uuid;

use super::commit::{Change, CommitBody, Op};
use super::value::Value;

const MAGIC_V1: [u8; 4] = *b"CKC\x01";
const MAGIC_V2: [u8; 4] = *b"CKC\x02";
/// The layout new commits are written in.
pub const LAYOUT: u8 = 2;
/// Upper bound on any declared length, so a corrupt length cannot ask for gigabytes.
const MAX_LEN: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("commit encoding is damaged: {0}")]
pub struct DecodeError(pub &'static str);

/// Why a body cannot be encoded: it would not decode back to the same body.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("cannot sign this commit: {0}")]
pub struct EncodeError(pub String);

/// The canonical bytes of `body` in its layout. Refuses what would not round-trip (fields
/// or ids out of canonical order, a NaN or infinite real, layout-2 data in a layout-1
/// body), so a signature never covers bytes that decode to something else.
pub fn encode(body: &CommitBody) -> Result<Vec<u8>, EncodeError> {
    let v2 = match body.layout {
        1 => {
            if !body.practice.is_nil()
                || body.schema != 0
                || body.lamport != 0
                || body.changes.iter().any(|c| !c.deps.is_empty())
            {
                return Err(EncodeError(
                    "layout 1 has no practice, schema, Lamport counter or dependencies".into(),
                ));
            }
            false
        }
        2 => true,
        n => return Err(EncodeError(format!("unknown layout {n}"))),
    };
    let mut out = Vec::with_capacity(160 + body.changes.len() * 112);
    if v2 {
        out.extend_from_slice(&MAGIC_V2);
        out.extend_from_slice(body.practice.as_bytes());
        varint(&mut out, body.schema as u64);
    } else {
        out.extend_from_slice(&MAGIC_V1);
    }
    out.extend_from_slice(&body.device_key);
    varint(&mut out, body.seq);
    out.extend_from_slice(&body.hlc.to_be_bytes());
    if v2 {
        varint(&mut out, body.lamport);
    }
    out.extend_from_slice(body.author.as_bytes());
    out.extend_from_slice(&body.prev);
    varint(&mut out, body.changes.len() as u64);
    for c in &body.changes {
        out.extend_from_slice(c.id.as_bytes());
        string(&mut out, &c.entity);
        out.extend_from_slice(c.row.as_bytes());
        out.push(c.op.tag());
        varint(&mut out, c.fields.len() as u64);
        for (i, (name, value)) in c.fields.iter().enumerate() {
            if i > 0 && c.fields[i - 1].0 >= *name {
                return Err(EncodeError(format!(
                    "change {}: fields not sorted and unique at '{name}'",
                    c.id
                )));
            }
            string(&mut out, name);
            encode_value(&mut out, value)
                .map_err(|m| EncodeError(format!("change {}: field '{name}' {m}", c.id)))?;
        }
        ids(&mut out, &c.base, c.id, "base")?;
        if v2 {
            ids(&mut out, &c.deps, c.id, "dependencies")?;
        }
    }
    Ok(out)
}

fn ids(out: &mut Vec<u8>, list: &[Uuid], change: Uuid, what: &str) -> Result<(), EncodeError> {
    if list.windows(2).any(|w| w[0] >= w[1]) {
        return Err(EncodeError(format!(
            "change {change}: {what} not sorted and unique"
        )));
    }
    varint(out, list.len() as u64);
    for b in list {
        out.extend_from_slice(b.as_bytes());
    }
    Ok(())
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

fn encode_value(out: &mut Vec<u8>, v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Null => out.push(0),
        Value::Bool(false) => out.push(1),
        Value::Bool(true) => out.push(2),
        Value::Int(i) => {
            out.push(3);
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::Real(f) => {
            // NaN has many bit patterns and no equality, infinity no meaning in a chart:
            // neither is ever signed.
            if !f.is_finite() {
                return Err("is not a finite number");
            }
            out.push(4);
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
    Ok(())
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

    fn value(&mut self, finite: bool) -> Result<Value, DecodeError> {
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
                if finite && f.is_infinite() {
                    return Err(DecodeError("infinite value"));
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

    fn ids(&mut self, what: &'static str) -> Result<Vec<Uuid>, DecodeError> {
        let n = self.len()?;
        let mut out: Vec<Uuid> = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            let b = self.uuid()?;
            if out.last().is_some_and(|l| *l >= b) {
                return Err(DecodeError(what));
            }
            out.push(b);
        }
        Ok(out)
    }
}

pub fn decode(buf: &[u8]) -> Result<CommitBody, DecodeError> {
    let mut changes = Vec::new();
    let head = decode_each(buf, |_, c| {
        changes.push(c);
        Ok::<(), DecodeError>(())
    })?;
    Ok(CommitBody {
        layout: head.layout,
        practice: head.practice,
        schema: head.schema,
        device_key: head.device_key,
        seq: head.seq,
        hlc: head.hlc,
        lamport: head.lamport,
        author: head.author,
        prev: head.prev,
        changes,
    })
}

/// The part of a commit body before its changes.
#[derive(Debug, Clone)]
pub struct BodyHead {
    pub layout: u8,
    /// The practice the commit belongs to (nil in layout 1, which names none).
    pub practice: Uuid,
    /// The schema version of the binary that wrote it (0 in layout 1).
    pub schema: u32,
    pub device_key: [u8; 32],
    pub seq: u64,
    pub hlc: u64,
    /// The Lamport counter (0 in layout 1).
    pub lamport: u64,
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
    let magic = r.array::<4>()?;
    let v2 = if magic == MAGIC_V2 {
        true
    } else if magic == MAGIC_V1 {
        false
    } else {
        return Err(DecodeError("unknown magic or version").into());
    };
    let (practice, schema) = if v2 {
        let practice = r.uuid()?;
        let schema = u32::try_from(r.varint()?).map_err(|_| DecodeError("schema too large"))?;
        (practice, schema)
    } else {
        (Uuid::nil(), 0)
    };
    let device_key = r.array::<32>()?;
    let seq = r.varint()?;
    let hlc = u64::from_be_bytes(r.array::<8>()?);
    let lamport = if v2 { r.varint()? } else { 0 };
    let head = BodyHead {
        layout: if v2 { 2 } else { 1 },
        practice,
        schema,
        device_key,
        seq,
        hlc,
        lamport,
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
            let v = r.value(v2)?;
            fields.push((name, v));
        }
        let base = r.ids("base not in canonical order")?;
        let deps = if v2 {
            r.ids("dependencies not in canonical order")?
        } else {
            Vec::new()
        };
        each(
            &head,
            Change {
                id,
                entity,
                row,
                op,
                fields,
                base,
                deps,
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

    /// Any value at all, NaN and infinities included.
    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            value(),
            prop_oneof![
                Just(f64::NAN),
                Just(-f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(-0.0),
                any::<u64>().prop_map(f64::from_bits),
            ]
            .prop_map(Value::Real),
        ]
    }

    fn ids(n: usize) -> impl Strategy<Value = Vec<Uuid>> {
        proptest::collection::vec(any::<u128>(), 0..n)
            .prop_map(|v| v.into_iter().map(Uuid::from_u128).collect())
    }

    fn change(layout: u8) -> impl Strategy<Value = Change> {
        (
            any::<u128>(),
            "[a-z_]{1,12}",
            any::<u128>(),
            1u8..=5,
            proptest::collection::vec(("[a-z_]{1,10}", value()), 0..6),
            ids(4),
            ids(if layout == 2 { 4 } else { 1 }),
        )
            .prop_map(|(id, entity, row, op, fields, base, deps)| {
                let mut c = Change::new(
                    Uuid::from_u128(id),
                    &entity,
                    Uuid::from_u128(row),
                    Op::from_tag(op).unwrap(),
                    fields,
                    base,
                );
                c.deps = deps;
                c.normalize();
                c
            })
    }

    fn body_in(layout: u8) -> impl Strategy<Value = CommitBody> {
        (
            any::<u128>(),
            any::<u32>(),
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u128>(),
            any::<[u8; 32]>(),
            proptest::collection::vec(change(layout), 0..5),
        )
            .prop_map(
                move |(practice, schema, device_key, seq, hlc, lamport, author, prev, changes)| {
                    let v2 = layout == 2;
                    CommitBody {
                        layout,
                        practice: if v2 {
                            Uuid::from_u128(practice)
                        } else {
                            Uuid::nil()
                        },
                        schema: if v2 { schema } else { 0 },
                        device_key,
                        seq,
                        hlc,
                        lamport: if v2 { lamport } else { 0 },
                        author: Uuid::from_u128(author),
                        prev,
                        changes,
                    }
                },
            )
    }

    fn body() -> impl Strategy<Value = CommitBody> {
        prop_oneof![body_in(1), body_in(2)]
    }

    /// A body as a careless caller might build it: any layout number, fields and ids in
    /// any order, any real, layout-2 data in a layout-1 body.
    fn raw_body() -> impl Strategy<Value = CommitBody> {
        (
            body(),
            0u8..4,
            proptest::collection::vec(
                (
                    proptest::collection::vec(("[a-c]{1,2}", any_value()), 0..5),
                    ids(3),
                    ids(3),
                ),
                0..4,
            ),
            any::<u32>(),
        )
            .prop_map(|(mut b, layout, raw, schema)| {
                b.layout = layout;
                if schema % 3 == 0 {
                    b.schema = schema;
                }
                for (c, (fields, base, deps)) in b.changes.iter_mut().zip(raw) {
                    c.fields = fields;
                    c.base = base;
                    c.deps = deps;
                }
                b
            })
    }

    proptest! {
        #[test]
        fn round_trips(b in body()) {
            let bytes = encode(&b).unwrap();
            prop_assert_eq!(decode(&bytes).unwrap(), b.clone());
            // One body, one encoding.
            prop_assert_eq!(encode(&decode(&bytes).unwrap()).unwrap(), bytes);
        }

        #[test]
        fn any_body_that_encodes_decodes_to_an_equal_body(b in raw_body()) {
            if let Ok(bytes) = encode(&b) {
                let back = decode(&bytes);
                prop_assert_eq!(back.as_ref(), Ok(&b));
                prop_assert_eq!(encode(&back.unwrap()).unwrap(), bytes);
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn any_flipped_byte_changes_or_breaks_the_body(b in body(), pos in any::<usize>(), bit in 0u8..8) {
            let mut bytes = encode(&b).unwrap();
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            if let Ok(d) = decode(&bytes) { prop_assert_ne!(d, b); }
        }
    }

    fn frozen_body(layout: u8) -> CommitBody {
        let mut change = Change::new(
            Uuid::from_u128(2),
            "patient",
            Uuid::from_u128(3),
            Op::Set,
            vec![
                ("b".into(), Value::Int(-1)),
                ("a".into(), Value::Text("é".into())),
            ],
            vec![Uuid::from_u128(4)],
        );
        let v2 = layout == 2;
        if v2 {
            change.deps = vec![Uuid::from_u128(5)];
        }
        CommitBody {
            layout,
            practice: if v2 { Uuid::from_u128(9) } else { Uuid::nil() },
            schema: if v2 { 4 } else { 0 },
            device_key: [7; 32],
            seq: 300,
            hlc: 0x0102_0304_0506_0708,
            lamport: if v2 { 200 } else { 0 },
            author: Uuid::from_u128(1),
            prev: [0; 32],
            changes: vec![change],
        }
    }

    fn digest_of(body: &CommitBody) -> String {
        let bytes = encode(body).unwrap();
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref())
    }

    #[test]
    fn layout_is_frozen() {
        // A fixed body must keep encoding to the same bytes forever.
        assert_eq!(
            digest_of(&frozen_body(1)),
            FROZEN_DIGEST,
            "the layout-1 commit encoding changed; signed ledgers would no longer verify"
        );
    }

    #[test]
    fn layout_2_is_frozen() {
        assert_eq!(
            digest_of(&frozen_body(2)),
            FROZEN_DIGEST_V2,
            "the layout-2 commit encoding changed; signed ledgers would no longer verify"
        );
    }

    /// Computed once from `layout_is_frozen`'s body when the format was defined.
    const FROZEN_DIGEST: &str = "e9e531d46c4b6f1c80cb1b6f34c3726ad8a93f5b462b6bd8ab6e8fa25262eb14";
    /// Computed once from `layout_2_is_frozen`'s body when layout 2 was defined.
    const FROZEN_DIGEST_V2: &str =
        "26ee3960f183666f35c2446128b22ea4eeeea3320267c2d5548514bc4687d41f";

    #[test]
    fn rejects_non_canonical_field_order() {
        let mut body = frozen_body(2);
        body.changes[0].fields.swap(0, 1);
        assert!(encode(&body).is_err(), "encode refuses what decode would");
        let mut bytes = encode(&frozen_body(2)).unwrap();
        // Swap the two one-letter field names in place ("a" a text, "b" an int).
        let a = bytes.windows(3).position(|w| w == [1, b'a', 5]).unwrap() + 1;
        let b = bytes.windows(3).position(|w| w == [1, b'b', 3]).unwrap() + 1;
        bytes.swap(a, b);
        assert_eq!(
            decode(&bytes),
            Err(DecodeError("fields not in canonical order"))
        );
    }

    #[test]
    fn encode_refuses_non_finite_reals() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut body = frozen_body(2);
            body.changes[0].fields = vec![("x".into(), Value::Real(f))];
            assert!(encode(&body).is_err(), "{f} was encoded");
        }
    }

    #[test]
    fn a_signed_layout_1_commit_still_decodes_and_verifies() {
        let key = crate::ledger::DeviceKey::from_seed([3; 32]).unwrap();
        let mut body = frozen_body(1);
        body.device_key = key.public_key();
        let encoded = encode(&body).unwrap();
        let commit = crate::ledger::Commit {
            body: decode(&encoded).unwrap(),
            signature: key.sign(&encoded),
            encoded,
        };
        assert_eq!(commit.body, body);
        assert_eq!(commit.body.layout, 1);
        assert!(commit.body.practice.is_nil());
        assert!(commit.signature_valid());
    }
}
