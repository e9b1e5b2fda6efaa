//! Copies of the other workstations' access logs, so an administrator's audit report on
//! any workstation covers the whole practice.
//!
//! Every workstation keeps its own hash-chained log (`access_log`, see [`super::audit`]);
//! the others hold read-only copies of it (`access_log_copy`), keyed by the device that
//! signed each entry and its seq. The unit that replicates is one device's chain: its
//! signed (layout 2) entries in seq order, each naming the previous entry's hash. A copy
//! is only ever extended at its end, by an entry that continues it and that the device
//! signed (checked against the public key the ledger holds for it), so a copy can lag
//! behind its original but never differ from it; two different entries for one device and
//! seq are reported as a fork of that log.
//!
//! What does not replicate:
//! - Entries written before signing (layout 1) stay on the workstation that wrote them:
//!   they carry no device and no signature, so another workstation could not tell them
//!   from entries made up by anyone holding a copy of the database key. A device's chain
//!   as others see it therefore starts at its first signed entry, whose seq may be above 1
//!   and whose `prev` (the hash of the last unsigned entry) only its own workstation can
//!   check.
//! - This workstation's own entries are never stored as copies: its log is the original.
//!
//! A workstation restored from a backup is a new device whose log continues the log it
//! was restored from: its own log then holds the old device's entries (signed by that
//! device) before its own. Both chains are served from it and checked as any other: a
//! device's entries held here are those in the own log signed by it, then its copies.
//!
//! Trust at the start of a chain: a copy of a device whose first entry held has seq above 1
//! is accepted as starting there (the entries before are unsigned ones, which stay local,
//! or the log this device was restored from, a chain of its own). An entry that arrives
//! later for the seq just before a copy's first is added if its hash is the `prev` that
//! first entry names, so the order entries arrive in does not matter. A member relaying a
//! copy could still leave out the beginning of a third device's log, but not alter a
//! single entry: the log vector says only how far a copy reaches, so what a relay left
//! out at the start is not asked for again. A member can as well keep back everything;
//! the signatures make a copy incomplete at worst, never wrong.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, Connection, OptionalExtension};

use super::audit::{self, Access};
use super::AccessError;

/// The only layout that replicates: signed entries.
pub const SIGNED_LAYOUT: u32 = 2;

/// One signed access-log entry as it travels between workstations: the fields it records,
/// its place in its device's chain, its hash and the device's signature over that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The device (SHA-256 of the public key) that wrote and signed the entry.
    pub device: [u8; 32],
    /// Its position in that device's log.
    pub seq: u64,
    /// The encoding its hash covers; 2 (signed) is the only one that travels.
    pub layout: u32,
    pub at: String,
    pub user_id: String,
    pub user_name: String,
    pub patient: Option<String>,
    pub action: String,
    pub category: String,
    /// Where the access happened (the writing workstation's short id).
    pub workstation: String,
    pub detail: String,
    /// The hash of the entry before it in the same log (32 zero bytes for the first).
    pub prev: [u8; 32],
    pub hash: [u8; 32],
    pub signature: [u8; 64],
}

/// The short form of a device id that messages and the `workstation` column use.
fn short(device: &[u8]) -> String {
    let h = hex::encode(device);
    h.get(..16).unwrap_or(&h).to_string()
}

impl LogEntry {
    fn access(&self) -> Access<'_> {
        Access {
            at: &self.at,
            user_id: &self.user_id,
            user_name: &self.user_name,
            patient: self.patient.as_deref(),
            action: &self.action,
            category: &self.category,
            workstation: &self.workstation,
            detail: &self.detail,
        }
    }

    /// The hash the entry's fields and chain position give, as its device computed it.
    fn computed_hash(&self) -> Vec<u8> {
        audit::signed_hash(&self.prev, self.seq as i64, &self.device, &self.access())
    }

    /// The encoding on the wire. Frozen: peers of different versions exchange it.
    ///
    /// `layout` (varint), `device` (32 bytes), `seq` (varint), `prev`, `hash` (32 bytes
    /// each), `signature` (64 bytes), then the fields `at`, `user_id`, `user_name`, a
    /// presence byte (0 or 1) and `patient` if present, `action`, `category`,
    /// `workstation`, `detail`, each as a varint byte length and UTF-8 bytes. Varints are
    /// unsigned LEB128 in their shortest form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(180 + self.text_len());
        put_varint(&mut out, self.layout as u64);
        out.extend_from_slice(&self.device);
        put_varint(&mut out, self.seq);
        out.extend_from_slice(&self.prev);
        out.extend_from_slice(&self.hash);
        out.extend_from_slice(&self.signature);
        for s in [&self.at, &self.user_id, &self.user_name] {
            put_text(&mut out, s);
        }
        match &self.patient {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                put_text(&mut out, p);
            }
        }
        for s in [
            &self.action,
            &self.category,
            &self.workstation,
            &self.detail,
        ] {
            put_text(&mut out, s);
        }
        out
    }

    fn text_len(&self) -> usize {
        [
            &self.at,
            &self.user_id,
            &self.user_name,
            &self.action,
            &self.category,
            &self.workstation,
            &self.detail,
        ]
        .iter()
        .map(|s| s.len())
        .sum::<usize>()
            + self.patient.as_ref().map_or(0, String::len)
    }

    /// Decodes [`LogEntry::to_bytes`]' encoding, refusing anything else (trailing bytes
    /// included) with `access_log_entry_malformed`. Never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<LogEntry, AccessError> {
        let mut r = Reader(bytes);
        let entry = r.entry()?;
        if !r.0.is_empty() {
            return Err(malformed(format!("{} bytes after the entry", r.0.len())));
        }
        Ok(entry)
    }
}

/// Entries one after the other: a varint count, then each entry's length (varint) and
/// [`LogEntry::to_bytes`].
pub fn encode_batch(entries: &[LogEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, entries.len() as u64);
    for e in entries {
        let bytes = e.to_bytes();
        put_varint(&mut out, bytes.len() as u64);
        out.extend_from_slice(&bytes);
    }
    out
}

/// Decodes [`encode_batch`]'s encoding. Never panics, and allocates no more than the
/// bytes given justify.
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<LogEntry>, AccessError> {
    let mut r = Reader(bytes);
    let n = r.varint()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let len = r.len()?;
        out.push(LogEntry::from_bytes(r.take(len)?)?);
    }
    if !r.0.is_empty() {
        return Err(malformed(format!("{} bytes after the batch", r.0.len())));
    }
    Ok(out)
}

fn malformed(why: String) -> AccessError {
    AccessError::LogEntryMalformed(why)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A cursor over bytes being decoded; every read checks what is left first.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AccessError> {
        if n > self.0.len() {
            return Err(malformed(format!(
                "needs {n} more bytes, {} are left",
                self.0.len()
            )));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AccessError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn byte(&mut self) -> Result<u8, AccessError> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, AccessError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            let part = (b & 0x7f) as u64;
            if i == 9 && part > 1 {
                return Err(malformed("a number overflows 64 bits".into()));
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(malformed("a number is not in its shortest form".into()));
                }
                return Ok(v);
            }
        }
        Err(malformed("a number is longer than 10 bytes".into()))
    }

    /// A length, which cannot be more than the bytes left.
    fn len(&mut self) -> Result<usize, AccessError> {
        let n = self.varint()?;
        if n > self.0.len() as u64 {
            return Err(malformed(format!(
                "a length of {n} is more than the {} bytes left",
                self.0.len()
            )));
        }
        Ok(n as usize)
    }

    fn text(&mut self) -> Result<String, AccessError> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| malformed("a field is not UTF-8 text".into()))
    }

    fn entry(&mut self) -> Result<LogEntry, AccessError> {
        let layout = u32::try_from(self.varint()?)
            .map_err(|_| malformed("the layout number is too large".into()))?;
        let device = self.array()?;
        let seq = self.varint()?;
        if seq == 0 || seq > i64::MAX as u64 {
            return Err(malformed(format!("seq {seq} is out of range")));
        }
        let prev = self.array()?;
        let hash = self.array()?;
        let signature = self.array()?;
        let at = self.text()?;
        let user_id = self.text()?;
        let user_name = self.text()?;
        let patient = match self.byte()? {
            0 => None,
            1 => Some(self.text()?),
            b => return Err(malformed(format!("patient presence byte {b}"))),
        };
        Ok(LogEntry {
            device,
            seq,
            layout,
            at,
            user_id,
            user_name,
            patient,
            action: self.text()?,
            category: self.text()?,
            workstation: self.text()?,
            detail: self.text()?,
            prev,
            hash,
            signature,
        })
    }
}

/// One device's signed entries in this workstation's own log: seqs `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    device: [u8; 32],
    first: u64,
    last: u64,
}

/// The own log's signed entries, by device, newest first: the current device's, then
/// those of the workstation(s) it was restored from. Found by looking rows up by seq, never
/// by scanning, so that a sync round costs the same on a log of a million entries: the
/// own log is one gapless chain, unsigned entries (if any) first, and each device's
/// entries one run of it (a workstation changes device only when a backup is restored,
/// and never back), so the start of each run is found by bisection.
fn own_runs(conn: &Connection) -> Result<Vec<Run>, AccessError> {
    let mut signer = conn.prepare_cached(
        "SELECT device FROM access_log WHERE seq = ?1 AND layout = 2 AND device IS NOT NULL",
    )?;
    let mut device_at = |seq: u64| -> Result<Option<[u8; 32]>, AccessError> {
        let d: Option<Vec<u8>> = signer.query_row([seq as i64], |r| r.get(0)).optional()?;
        Ok(d.and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok()))
    };
    let last: Option<i64> = conn
        .prepare_cached("SELECT max(seq) FROM access_log")?
        .query_row([], |r| r.get(0))?;
    let mut hi = last.unwrap_or(0).max(0) as u64;
    let mut runs = Vec::new();
    while hi >= 1 {
        let Some(device) = device_at(hi)? else { break };
        // `yes` is known to be the device's, `no` known not to be (0: before the log).
        let (mut yes, mut no) = (hi, 0u64);
        while yes - no > 1 {
            let mid = no + (yes - no) / 2;
            if device_at(mid)? == Some(device) {
                yes = mid;
            } else {
                no = mid;
            }
        }
        runs.push(Run {
            device,
            first: yes,
            last: hi,
        });
        hi = yes - 1;
    }
    Ok(runs)
}

/// The devices the copies hold, each with its last seq: one index seek per device.
fn copy_heads(conn: &Connection) -> Result<Vec<([u8; 32], u64)>, AccessError> {
    let mut next = conn.prepare_cached(
        "SELECT device FROM access_log_copy WHERE device > ?1 ORDER BY device LIMIT 1",
    )?;
    let mut last = conn.prepare_cached(
        "SELECT seq FROM access_log_copy WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
    )?;
    let mut out = Vec::new();
    let mut after: Vec<u8> = Vec::new();
    while let Some(device) = next
        .query_row([&after], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
    {
        let seq: i64 = last.query_row([&device], |r| r.get(0))?;
        if let Ok(d) = <[u8; 32]>::try_from(device.as_slice()) {
            out.push((d, seq as u64));
        }
        after = device;
    }
    Ok(out)
}

/// For every device whose log this workstation holds (its own and the copies): the highest
/// seq held, everything of that device's signed chain up to it being here. Copies are only
/// ever extended at their end and the own log is gapless, so the highest is contiguous.
/// Unsigned (layout 1) entries do not count: they stay local (see the module doc).
pub fn log_vector(conn: &Connection) -> Result<BTreeMap<[u8; 32], u64>, AccessError> {
    let mut out = BTreeMap::new();
    let own = own_runs(conn)?.into_iter().map(|r| (r.device, r.last));
    for (device, seq) in own.chain(copy_heads(conn)?) {
        let held = out.entry(device).or_insert(0);
        *held = (*held).max(seq);
    }
    Ok(out)
}

/// The columns of a stored entry, in the order [`entry_from_row`] reads them.
const COLUMNS: &str =
    "device, seq, layout, at, user_id, user_name, patient, action, category, workstation, detail, prev, hash, signature";

fn entry_from_row(r: &rusqlite::Row) -> rusqlite::Result<Option<LogEntry>> {
    let bytes = |i: usize| -> rusqlite::Result<Vec<u8>> {
        Ok(r.get::<_, Option<Vec<u8>>>(i)?.unwrap_or_default())
    };
    let (Ok(device), Ok(prev), Ok(hash), Ok(signature)) = (
        <[u8; 32]>::try_from(bytes(0)?.as_slice()),
        <[u8; 32]>::try_from(bytes(11)?.as_slice()),
        <[u8; 32]>::try_from(bytes(12)?.as_slice()),
        <[u8; 64]>::try_from(bytes(13)?.as_slice()),
    ) else {
        // A row that cannot travel (damaged); `audit::verify` reports it.
        return Ok(None);
    };
    Ok(Some(LogEntry {
        device,
        seq: r.get::<_, i64>(1)? as u64,
        layout: r.get::<_, i64>(2)? as u32,
        at: r.get(3)?,
        user_id: r.get(4)?,
        user_name: r.get(5)?,
        patient: r.get(6)?,
        action: r.get(7)?,
        category: r.get(8)?,
        workstation: r.get(9)?,
        detail: r.get(10)?,
        prev,
        hash,
        signature,
    }))
}

/// At most `limit` entries of `device`'s log after `after_seq`, in seq order, from the own
/// log (the entries that device signed) or the copies: what a peer whose
/// [`log_vector`] says `after_seq` lacks.
pub fn entries_after(
    conn: &Connection,
    device: &[u8; 32],
    after_seq: u64,
    limit: usize,
) -> Result<Vec<LogEntry>, AccessError> {
    let after = after_seq.min(i64::MAX as u64);
    let limit = limit.min(i64::MAX as usize) as i64;
    let mut found = Vec::new();
    let mut own = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM access_log WHERE seq > ?1 AND seq <= ?2 AND layout = 2 ORDER BY seq LIMIT ?3"
    ))?;
    for run in own_runs(conn)?
        .iter()
        .filter(|r| &r.device == device && r.last > after)
    {
        let from = after.max(run.first - 1);
        for row in own.query_map(params![from as i64, run.last as i64, limit], entry_from_row)? {
            found.extend(row?);
        }
    }
    let mut copies = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM access_log_copy WHERE device = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
    ))?;
    for row in copies.query_map(
        params![device.as_slice(), after as i64, limit],
        entry_from_row,
    )? {
        found.extend(row?);
    }
    found.retain(|e| &e.device == device);
    found.sort_by_key(|e| e.seq);
    found.truncate(limit as usize);
    Ok(found)
}

/// The hash of `device`'s own-log entry `seq`.
fn own_hash(
    conn: &Connection,
    device: &[u8; 32],
    seq: u64,
) -> Result<Option<Vec<u8>>, AccessError> {
    Ok(conn
        .prepare_cached(
            "SELECT hash FROM access_log WHERE seq = ?2 AND device = ?1 AND layout = 2",
        )?
        .query_row(params![device.as_slice(), seq as i64], |r| r.get(0))
        .optional()?)
}

/// The last entry of `device` in the own log: `(seq, hash)`, given the own log's runs.
fn own_head(
    conn: &Connection,
    runs: &[Run],
    device: &[u8; 32],
) -> Result<Option<(u64, Vec<u8>)>, AccessError> {
    let Some(last) = runs
        .iter()
        .filter(|r| &r.device == device)
        .map(|r| r.last)
        .max()
    else {
        return Ok(None);
    };
    Ok(own_hash(conn, device, last)?.map(|h| (last, h)))
}

/// What this workstation holds of one device's chain: seqs `first..=last`, the first
/// entry's `prev` and the last one's hash.
#[derive(Debug, Clone)]
struct Held {
    first: u64,
    first_prev: Vec<u8>,
    last: u64,
    last_hash: Vec<u8>,
    /// Whether part of it is in the own log (inherited by a restore), which starts where
    /// that device's signed log starts: then nothing comes before it.
    in_own_log: bool,
}

/// What is held of `device`'s chain, own log and copies together.
fn held(conn: &Connection, runs: &[Run], device: &[u8; 32]) -> Result<Option<Held>, AccessError> {
    let end = |sql: &str| -> Result<Option<(u64, Vec<u8>)>, AccessError> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([device.as_slice()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?)
    };
    let copy_last =
        end("SELECT seq, hash FROM access_log_copy WHERE device = ?1 ORDER BY seq DESC LIMIT 1")?;
    let copy_first =
        end("SELECT seq, prev FROM access_log_copy WHERE device = ?1 ORDER BY seq LIMIT 1")?;
    let own_last = own_head(conn, runs, device)?;
    let own_first = match runs
        .iter()
        .filter(|r| &r.device == device)
        .map(|r| r.first)
        .min()
    {
        Some(first) => conn
            .prepare_cached("SELECT prev FROM access_log WHERE seq = ?1")?
            .query_row([first as i64], |r| r.get::<_, Vec<u8>>(0))
            .optional()?
            .map(|prev| (first, prev)),
        None => None,
    };
    let in_own_log = own_last.is_some();
    let first = [own_first, copy_first]
        .into_iter()
        .flatten()
        .min_by_key(|f| f.0);
    let last = [own_last, copy_last]
        .into_iter()
        .flatten()
        .max_by_key(|l| l.0);
    Ok(match (first, last) {
        (Some((first, first_prev)), Some((last, last_hash))) => Some(Held {
            first,
            first_prev,
            last,
            last_hash,
            in_own_log,
        }),
        _ => None,
    })
}

/// The hash of `device`'s entry `seq`, if held (own log or copies).
fn held_hash(
    conn: &Connection,
    device: &[u8; 32],
    seq: u64,
) -> Result<Option<Vec<u8>>, AccessError> {
    if let Some(own) = own_hash(conn, device, seq)? {
        return Ok(Some(own));
    }
    Ok(conn
        .prepare_cached("SELECT hash FROM access_log_copy WHERE device = ?1 AND seq = ?2")?
        .query_row(params![device.as_slice(), seq as i64], |r| r.get(0))
        .optional()?)
}

/// This workstation's device (its current identity).
fn this_device(conn: &Connection) -> Result<Option<[u8; 32]>, AccessError> {
    crate::ledger::Ledger::identity(conn).map_err(|e| match e {
        crate::ledger::LedgerError::Storage(e) => AccessError::Storage(e),
        other => AccessError::Invalid(other.to_string()),
    })
}

/// Whether `signature` is `device`'s over `hash`, by the public key the ledger holds for
/// it. The key is looked up once per device per batch.
fn signed_by(
    conn: &Connection,
    keys: &mut HashMap<[u8; 32], Option<Vec<u8>>>,
    e: &LogEntry,
) -> Result<Result<(), AccessError>, AccessError> {
    let key = match keys.entry(e.device) {
        Entry::Occupied(known) => known.get().clone(),
        Entry::Vacant(slot) => slot.insert(audit::public_key(conn, &e.device)?).clone(),
    };
    let Some(key) = key else {
        return Ok(Err(AccessError::LogUnknownDevice {
            device: short(&e.device),
            seq: e.seq,
        }));
    };
    let ok = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(&e.hash, &e.signature)
        .is_ok();
    Ok(if ok {
        Ok(())
    } else {
        Err(AccessError::LogBadSignature {
            device: short(&e.device),
            seq: e.seq,
        })
    })
}

/// Adds other workstations' entries to this workstation's copies of their logs.
///
/// For each entry, in order: `Ok(true)` if it was added; `Ok(false)` if it was already
/// held (the same entry again: re-applying a batch is harmless) or is of this
/// workstation's own device (its log is the original, never a copy); otherwise the typed
/// refusal, and the entries after it are still tried (a later entry of the same device
/// then refuses too, as a gap, and is taken when it arrives again after the missing one).
/// An entry is added only if its layout is the signed one, its hash recomputes from its
/// fields, it continues its device's chain (seq one above the last held and `prev` that
/// entry's hash; or seq one below the first held of a copy and its hash that entry's
/// `prev`; or any entry of a log not held at all, seq 1 only after 32 zero bytes) and its
/// signature verifies against the public key the ledger knows for the device: a member,
/// removed ones included (their past entries stay valid), or a device whose commits the
/// ledger holds. An entry for a device the ledger does not know yet is refused
/// (`access_log_unknown_device`) and accepted on a later try, once the ledger has the
/// device's membership: sync the ledger before the access logs.
///
/// The outer error is a storage failure: then nothing of the batch was kept.
pub fn apply_copies(
    conn: &Connection,
    entries: &[LogEntry],
) -> Result<Vec<Result<bool, AccessError>>, AccessError> {
    conn.execute_batch("SAVEPOINT access_log_copies")?;
    match apply_in_savepoint(conn, entries) {
        Ok(out) => {
            conn.execute_batch("RELEASE access_log_copies")?;
            Ok(out)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO access_log_copies; RELEASE access_log_copies");
            Err(e)
        }
    }
}

fn apply_in_savepoint(
    conn: &Connection,
    entries: &[LogEntry],
) -> Result<Vec<Result<bool, AccessError>>, AccessError> {
    let me = this_device(conn)?;
    let runs = own_runs(conn)?;
    let mut heads: HashMap<[u8; 32], Option<Held>> = HashMap::new();
    let mut keys: HashMap<[u8; 32], Option<Vec<u8>>> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let result = apply_one(conn, me.as_ref(), &runs, &mut heads, &mut keys, e)?;
        if result.is_err() {
            // Device prefix and seq only: entries carry patient ids and user names.
            tracing::warn!(
                device = %short(&e.device),
                seq = e.seq,
                code = result.as_ref().err().map(AccessError::code).unwrap_or(""),
                "refused a copied access log entry"
            );
        }
        out.push(result);
    }
    Ok(out)
}

fn apply_one(
    conn: &Connection,
    me: Option<&[u8; 32]>,
    runs: &[Run],
    heads: &mut HashMap<[u8; 32], Option<Held>>,
    keys: &mut HashMap<[u8; 32], Option<Vec<u8>>>,
    e: &LogEntry,
) -> Result<Result<bool, AccessError>, AccessError> {
    let device = short(&e.device);
    if e.layout != SIGNED_LAYOUT {
        return Ok(Err(malformed(format!(
            "entry {} of workstation {device} has layout {}; only signed entries (layout 2) are copied, upgrade Chartkeep if the other workstation is newer",
            e.seq, e.layout
        ))));
    }
    if e.seq == 0 || e.seq > i64::MAX as u64 {
        return Ok(Err(malformed(format!("seq {} is out of range", e.seq))));
    }
    if e.computed_hash() != e.hash {
        return Ok(Err(AccessError::LogEntryAltered { device, seq: e.seq }));
    }
    // Already held: the same entry is nothing new, a different one is a fork once it is
    // shown to be the device's own (a forged one is refused as forged).
    if let Some(stored) = held_hash(conn, &e.device, e.seq)? {
        if stored == e.hash {
            return Ok(Ok(false));
        }
        if let Err(refused) = signed_by(conn, keys, e)? {
            return Ok(Err(refused));
        }
        return Ok(Err(AccessError::LogFork { device, seq: e.seq }));
    }
    if me == Some(&e.device) {
        // This workstation's log is the original: what it does not hold of itself is not
        // taken from a peer.
        return Ok(Ok(false));
    }
    if let Err(refused) = signed_by(conn, keys, e)? {
        return Ok(Err(refused));
    }
    let held = match heads.entry(e.device) {
        Entry::Occupied(known) => known.get().clone(),
        Entry::Vacant(slot) => slot.insert(held(conn, runs, &e.device)?).clone(),
    };
    if e.seq == 1 && e.prev != [0u8; 32] {
        return Ok(Err(AccessError::LogChainBroken { device, seq: e.seq }));
    }
    let updated = match held {
        None => Held {
            first: e.seq,
            first_prev: e.prev.to_vec(),
            last: e.seq,
            last_hash: e.hash.to_vec(),
            in_own_log: false,
        },
        // Continues the copy at its end.
        Some(h) if e.seq == h.last + 1 => {
            if e.prev.as_slice() != h.last_hash.as_slice() {
                return Ok(Err(AccessError::LogChainBroken { device, seq: e.seq }));
            }
            Held {
                last: e.seq,
                last_hash: e.hash.to_vec(),
                ..h
            }
        }
        // Comes just before a copy that started later (entries arrived out of order):
        // its hash is what the first entry held names as its predecessor.
        Some(h) if e.seq + 1 == h.first && !h.in_own_log => {
            if e.hash.as_slice() != h.first_prev.as_slice() {
                return Ok(Err(AccessError::LogChainBroken { device, seq: e.seq }));
            }
            Held {
                first: e.seq,
                first_prev: e.prev.to_vec(),
                ..h
            }
        }
        Some(h) => {
            return Ok(Err(AccessError::LogGap {
                device,
                seq: e.seq,
                held: h.last,
            }))
        }
    };
    conn.prepare_cached(
        "INSERT INTO access_log_copy (device, seq, at, user_id, user_name, patient, action, category, workstation, detail, prev, hash, layout, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        e.device.as_slice(),
        e.seq as i64,
        e.at,
        e.user_id,
        e.user_name,
        e.patient,
        e.action,
        e.category,
        e.workstation,
        e.detail,
        e.prev.as_slice(),
        e.hash.as_slice(),
        e.layout as i64,
        e.signature.as_slice(),
    ])?;
    heads.insert(e.device, Some(updated));
    Ok(Ok(true))
}

/// Checks every copy again: each device's copied entries continue the chain held before
/// them (the own log's entries of that device, if any), recompute to their hash and carry
/// that device's valid signature. Returns the number of copied entries.
pub fn verify_copies(conn: &Connection) -> Result<u64, AccessError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM access_log_copy ORDER BY device, seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut keys: HashMap<[u8; 32], Option<Vec<u8>>> = HashMap::new();
    let runs = own_runs(conn)?;
    let mut last: Option<([u8; 32], u64, [u8; 32])> = None;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(1)?;
        let device_bytes: Vec<u8> = r.get(0)?;
        let damaged = |why: &str| AccessError::CopyDamaged {
            workstation: short(&device_bytes),
            seq: seq as u64,
            why: why.to_string(),
        };
        let Some(e) = entry_from_row(r)? else {
            return Err(damaged(
                "a hash, signature or device id has the wrong length",
            ));
        };
        if e.layout != SIGNED_LAYOUT {
            return Err(damaged("it is not a signed entry"));
        }
        // What the entry must follow: the copy's previous entry, else the own log's last
        // entry of the device (a restored workstation's inherited log).
        let before = match last {
            Some((d, s, h)) if d == e.device => Some((s, h.to_vec())),
            _ => own_head(conn, &runs, &e.device)?,
        };
        match before {
            Some((s, h)) => {
                if e.seq != s + 1 {
                    return Err(damaged(&format!(
                        "entries {} to {} are missing",
                        s + 1,
                        e.seq.saturating_sub(1)
                    )));
                }
                if e.prev.as_slice() != h.as_slice() {
                    return Err(damaged("does not follow the previous entry"));
                }
            }
            None if e.seq == 1 && e.prev != [0u8; 32] => {
                return Err(damaged("does not follow the previous entry"));
            }
            None => {}
        }
        if e.computed_hash() != e.hash {
            return Err(damaged("its contents were altered"));
        }
        if let Err(refused) = signed_by(conn, &mut keys, &e)? {
            return Err(damaged(&match refused {
                AccessError::LogUnknownDevice { .. } => {
                    "it is signed by a workstation the ledger does not know".to_string()
                }
                _ => "its signature is not valid; it was altered or forged".to_string(),
            }));
        }
        last = Some((e.device, e.seq, e.hash));
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[a-z0-9 ,:-]{1,20}", any::<String>(),]
    }

    prop_compose! {
        fn entry()(
            device in any::<[u8; 32]>(),
            seq in 1..=i64::MAX as u64,
            layout in prop_oneof![Just(2u32), any::<u32>()],
            fields in proptest::collection::vec(text(), 7),
            patient in proptest::option::of(text()),
            prev in any::<[u8; 32]>(),
            hash in any::<[u8; 32]>(),
            sig in proptest::collection::vec(any::<u8>(), 64),
        ) -> LogEntry {
            LogEntry {
                device,
                seq,
                layout,
                at: fields[0].clone(),
                user_id: fields[1].clone(),
                user_name: fields[2].clone(),
                patient,
                action: fields[3].clone(),
                category: fields[4].clone(),
                workstation: fields[5].clone(),
                detail: fields[6].clone(),
                prev,
                hash,
                signature: sig.try_into().expect("64 bytes"),
            }
        }
    }

    proptest! {
        #[test]
        fn an_entry_round_trips(e in entry()) {
            prop_assert_eq!(LogEntry::from_bytes(&e.to_bytes())?, e);
        }

        #[test]
        fn a_batch_round_trips(es in proptest::collection::vec(entry(), 0..5)) {
            prop_assert_eq!(decode_batch(&encode_batch(&es))?, es);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = LogEntry::from_bytes(&bytes);
            let _ = decode_batch(&bytes);
        }

        /// Cut or bit-flipped encodings are refused or decode to a different entry, never
        /// a panic; a cut one is always refused.
        #[test]
        fn damaged_encodings_never_panic(e in entry(), cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bit in 0..8u8) {
            let bytes = e.to_bytes();
            let n = cut.index(bytes.len());
            prop_assert!(LogEntry::from_bytes(&bytes[..n]).is_err());
            let mut flipped = bytes.clone();
            let i = flip.index(flipped.len());
            flipped[i] ^= 1 << bit;
            if let Ok(other) = LogEntry::from_bytes(&flipped) {
                prop_assert_ne!(other, e);
            }
        }
    }

    /// An own log with unsigned entries first, then the entries of the device it was
    /// restored from, then its own: each device's run is found, and served alone.
    #[test]
    fn the_own_log_is_read_as_runs_of_devices_after_its_unsigned_entries() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate::migrate(
            &mut conn,
            crate::vault::migrate::ACCESS_MIGRATIONS,
            "2026-12-01T00:00:00Z",
        )
        .unwrap();
        let (x, y) = ([1u8; 32], [2u8; 32]);
        for seq in 1..=20i64 {
            let (layout, device) = match seq {
                1..=3 => (1, None),
                4..=10 => (2, Some(x.to_vec())),
                _ => (2, Some(y.to_vec())),
            };
            conn.execute(
                "INSERT INTO access_log (seq, at, user_id, user_name, action, category, workstation, detail, prev, hash, layout, device, signature)
                 VALUES (?1, 'at', 'u', 'n', 'read', 'chart', 'w', '', zeroblob(32), zeroblob(32), ?2, ?3, zeroblob(64))",
                params![seq, layout, device],
            )
            .unwrap();
        }
        assert_eq!(
            own_runs(&conn).unwrap(),
            [
                Run {
                    device: y,
                    first: 11,
                    last: 20
                },
                Run {
                    device: x,
                    first: 4,
                    last: 10
                },
            ]
        );
        assert_eq!(
            log_vector(&conn).unwrap(),
            BTreeMap::from([(x, 10), (y, 20)])
        );
        let seqs = |d: &[u8; 32], after: u64, limit: usize| -> Vec<u64> {
            entries_after(&conn, d, after, limit)
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect()
        };
        assert_eq!(seqs(&x, 0, 100), (4..=10).collect::<Vec<_>>());
        assert_eq!(seqs(&x, 8, 100), [9, 10]);
        assert_eq!(seqs(&y, 0, 3), [11, 12, 13]);
        assert_eq!(seqs(&y, 30, 3), Vec::<u64>::new());
        assert!(seqs(&[3u8; 32], 0, 3).is_empty());
    }

    #[test]
    fn varints_take_their_shortest_form_only() {
        let mut r = Reader(&[0x80, 0x00]);
        assert_eq!(r.varint().unwrap_err().code(), "access_log_entry_malformed");
        let mut out = Vec::new();
        put_varint(&mut out, u64::MAX);
        assert_eq!(Reader(&out).varint().unwrap(), u64::MAX);
        let mut over = out.clone();
        over[9] = 0x02;
        assert!(Reader(&over).varint().is_err(), "overflow refused");
    }

    #[test]
    fn a_batch_that_claims_more_entries_than_it_holds_is_refused_without_allocating() {
        let mut bytes = Vec::new();
        put_varint(&mut bytes, u64::MAX);
        assert_eq!(
            decode_batch(&bytes).unwrap_err().code(),
            "access_log_entry_malformed"
        );
    }
}
