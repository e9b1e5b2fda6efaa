//! Changes and commits: what one user action writes, as data.

use uuid::Uuid;

use super::value::Value;

/// What a change does to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A new row with its first field values.
    Create,
    /// New values for some fields of an existing row.
    Set,
    /// "Entered in error": the row stays, marked retracted with a reason.
    Retract,
    /// A correction appended to an immutable row (a signed note); the row is unchanged.
    Amend,
    /// Settles a conflict: like `Set`, with every competing value in its base.
    Resolve,
}

impl Op {
    /// The byte in the frozen encoding. Never renumber.
    pub fn tag(self) -> u8 {
        match self {
            Op::Create => 1,
            Op::Set => 2,
            Op::Retract => 3,
            Op::Amend => 4,
            Op::Resolve => 5,
        }
    }

    pub fn from_tag(t: u8) -> Option<Op> {
        Some(match t {
            1 => Op::Create,
            2 => Op::Set,
            3 => Op::Retract,
            4 => Op::Amend,
            5 => Op::Resolve,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Set => "set",
            Op::Retract => "retract",
            Op::Amend => "amend",
            Op::Resolve => "resolve",
        }
    }
}

/// One edit of one row. Fields are kept sorted by name and unique, base sorted and unique,
/// so a change has exactly one encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: Uuid,
    pub entity: String,
    pub row: Uuid,
    pub op: Op,
    pub fields: Vec<(String, Value)>,
    /// The change ids this edit was made on top of (the versions of the fields the user
    /// saw). Concurrency is decided from this, never from clocks.
    pub base: Vec<Uuid>,
    /// The creating changes of the rows this change needs to exist (its own row unless it
    /// creates it, the rows its reference fields name), so a peer missing one is told
    /// which change to fetch first. Filled in by `Ledger::append`; empty in layout 1.
    pub deps: Vec<Uuid>,
}

impl Change {
    pub fn new(
        id: Uuid,
        entity: &str,
        row: Uuid,
        op: Op,
        fields: Vec<(String, Value)>,
        base: Vec<Uuid>,
    ) -> Change {
        let mut c = Change {
            id,
            entity: entity.to_string(),
            row,
            op,
            fields,
            base,
            deps: Vec::new(),
        };
        c.normalize();
        c
    }

    /// Sorts fields and base into canonical order; a later duplicate field wins.
    pub fn normalize(&mut self) {
        self.fields.reverse();
        self.fields.sort_by(|a, b| a.0.cmp(&b.0));
        self.fields.dedup_by(|a, b| a.0 == b.0);
        self.base.sort();
        self.base.dedup();
        self.deps.sort();
        self.deps.dedup();
    }

    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// The unsigned part of a commit: what the signature covers.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitBody {
    /// The encoding layout (see `encoding`): 2 for new commits, 1 for the first ledgers.
    pub layout: u8,
    /// The practice (`practice_meta.practice_id`) the commit belongs to, so a commit can
    /// never be replayed into another practice. Nil in layout 1.
    pub practice: Uuid,
    /// The schema version of the binary that wrote the commit: a peer with an older
    /// binary quarantines what it cannot yet understand instead of refusing it. 0 in
    /// layout 1.
    pub schema: u32,
    /// The device's Ed25519 public key; the device id is its SHA-256.
    pub device_key: [u8; 32],
    /// Gapless per device, from 1.
    pub seq: u64,
    /// Hybrid logical clock: milliseconds << 16 | counter.
    pub hlc: u64,
    /// Lamport counter: greater than that of every commit the device had seen. Picks the
    /// shown value among conflicting edits without consulting any wall clock. 0 in
    /// layout 1.
    pub lamport: u64,
    /// The user who made the change.
    pub author: Uuid,
    /// Hash of this device's previous commit (zeros for seq 1): a chain per device.
    pub prev: [u8; 32],
    pub changes: Vec<Change>,
}

/// A signed commit as stored and as sent to peers.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub body: CommitBody,
    /// The exact bytes that were signed (the frozen encoding of `body`).
    pub encoded: Vec<u8>,
    pub signature: [u8; 64],
}

/// A device id: SHA-256 of the device's public key.
pub fn device_id(public_key: &[u8; 32]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, public_key);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Commit {
    pub fn device(&self) -> [u8; 32] {
        device_id(&self.body.device_key)
    }

    /// The commit's identity: SHA-256 over the signed bytes and the signature.
    pub fn hash(&self) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.encoded);
        ctx.update(&self.signature);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    /// Checks the signature against the key named in the body, by the ledger's one rule
    /// (`signature.rs`); many commits are checked faster together with [`signature::each_valid`].
    ///
    /// [`signature::each_valid`]: super::signature::each_valid
    pub fn signature_valid(&self) -> bool {
        super::signature::all_valid(&[self.signature_item()])
    }

    /// The commit as one signature to check.
    pub fn signature_item(&self) -> super::signature::Item<'_> {
        super::signature::Item {
            key: &self.body.device_key,
            message: &self.encoded,
            signature: &self.signature,
        }
    }
}
