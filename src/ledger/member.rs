//! The practice's member devices, as ledger data.
//!
//! A workstation's commits are accepted only while its device is a member: a row of the
//! `device` entity (projected into `ledger_device`) that is not removed. Members are added
//! and removed by ordinary signed changes, authored by an administrator, so every peer
//! derives the same membership from the same commits and a forged key (a new device that
//! nobody added) is refused everywhere. The founding workstation becomes a member in the
//! practice's first commit, next to its first administrator.
//!
//! A removal names the last seq of the device the removing administrator had seen
//! (`removed_after`): the device's commits up to it stay valid, later ones are refused. So
//! whether a commit is accepted depends only on the commits themselves, not on whether a
//! peer happened to receive the removal before or after it, and every peer agrees.

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::commit::{device_id, Change, CommitBody, Op};
use super::schema::{EntityDef, FieldDef, FieldKind};
use super::value::Value;
use super::LedgerError;

/// The `device` entity. `device` is the hex device id (SHA-256 of the key), for look-ups.
pub static DEVICE: EntityDef = EntityDef {
    name: "device",
    table: "ledger_device",
    fields: &[
        FieldDef {
            name: "device",
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "public_key",
            kind: FieldKind::Bytes,
        },
        FieldDef {
            name: "name",
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "added_by",
            kind: FieldKind::Ref,
        },
        FieldDef {
            name: "removed",
            kind: FieldKind::Bool,
        },
        FieldDef {
            name: "removed_after",
            kind: FieldKind::Int,
        },
        FieldDef {
            name: "vouched_by",
            kind: FieldKind::Bytes,
        },
        FieldDef {
            name: "vouch",
            kind: FieldKind::Bytes,
        },
        FieldDef {
            name: "mrn_block",
            kind: FieldKind::Int,
        },
    ],
};

/// What a member signs to vouch for its successor (the identity a backup it made will
/// restore as): the practice and the successor's public key.
pub fn vouch_message(practice: &Uuid, successor: &[u8; 32]) -> Vec<u8> {
    [
        b"chartkeep successor\0".as_slice(),
        practice.as_bytes(),
        successor.as_slice(),
    ]
    .concat()
}

/// The change by which a restored workstation makes itself a member, carrying the vouch
/// of the member that made the backup.
pub fn add_vouched(
    row: Uuid,
    change: Uuid,
    public_key: [u8; 32],
    name: &str,
    added_by: Uuid,
    vouched_by: [u8; 32],
    vouch: [u8; 64],
) -> Change {
    let mut c = add(row, change, public_key, name, added_by);
    c.fields
        .push(("vouched_by".into(), Value::Bytes(vouched_by.to_vec())));
    c.fields
        .push(("vouch".into(), Value::Bytes(vouch.to_vec())));
    // Signed changes keep their fields in name order.
    c.fields.sort_by(|a, b| a.0.cmp(&b.0));
    c
}

/// If `body` is a device's first commit adding that very device with a valid vouch, the
/// id of the device that vouched (which must itself be a member for the commit to count).
pub fn vouched_by(body: &CommitBody) -> Option<[u8; 32]> {
    if body.seq != 1 {
        return None;
    }
    let me = Value::Text(hex::encode(device_id(&body.device_key)));
    body.changes.iter().find_map(|c| {
        if c.entity != DEVICE.name || c.op != Op::Create || c.field("device") != Some(&me) {
            return None;
        }
        let (Some(Value::Bytes(by)), Some(Value::Bytes(sig))) =
            (c.field("vouched_by"), c.field("vouch"))
        else {
            return None;
        };
        let by: [u8; 32] = by.as_slice().try_into().ok()?;
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, by)
            .verify(&vouch_message(&body.practice, &body.device_key), sig)
            .ok()?;
        Some(device_id(&by))
    })
}

/// One member device as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// The member row's id.
    pub id: Uuid,
    /// Hex device id.
    pub device: String,
    pub public_key: Vec<u8>,
    pub name: String,
    pub added_by: String,
    pub removed: bool,
    /// For a removed device: its last seq that stays valid.
    pub removed_after: Option<u64>,
}

/// The change that makes the device with `public_key` a member.
pub fn add(row: Uuid, change: Uuid, public_key: [u8; 32], name: &str, added_by: Uuid) -> Change {
    Change::new(
        change,
        DEVICE.name,
        row,
        Op::Create,
        vec![
            (
                "device".into(),
                Value::Text(hex::encode(device_id(&public_key))),
            ),
            ("public_key".into(), Value::Bytes(public_key.to_vec())),
            ("name".into(), Value::from(name)),
            ("added_by".into(), Value::Text(added_by.to_string())),
            ("removed".into(), Value::Bool(false)),
        ],
        vec![],
    )
}

/// `c` (a change adding a member) giving the new workstation its MRN block: the number
/// its medical record numbers carry (see [`crate::chart::patient::next_mrn`]). It is part
/// of the signed change that adds the member, so every workstation reads the same number,
/// and nothing changes it afterwards.
pub fn with_mrn_block(mut c: Change, block: u32) -> Change {
    c.fields
        .push(("mrn_block".into(), Value::Int(i64::from(block))));
    // Signed changes keep their fields in name order.
    c.fields.sort_by(|a, b| a.0.cmp(&b.0));
    c
}

/// The MRN block for the next member added here: one above every block this workstation
/// knows of, removed members' included, so a block is never given twice by one
/// administrator's workstation. Two workstations adding members while apart can choose
/// the same block: their MRNs may then collide, and the practice's duplicate detection
/// (`duplicate.list`) lists each collision for a person to settle.
pub fn next_mrn_block(conn: &Connection) -> Result<u32, LedgerError> {
    let max: i64 = conn
        .prepare_cached("SELECT coalesce(max(mrn_block), 0) FROM ledger_device")?
        .query_row([], |r| r.get(0))?;
    u32::try_from(max.max(0) + 1)
        .map_err(|_| LedgerError::Invalid("no MRN block is left for a new workstation".into()))
}

/// The MRN block of `device`, if it has one (the founding workstation and members added
/// before blocks existed have none). A device added twice (by two administrators apart)
/// keeps the lowest of its blocks, the same on every workstation once both adds arrived.
pub fn mrn_block(conn: &Connection, device: &[u8; 32]) -> Result<Option<u32>, LedgerError> {
    let block: Option<i64> = conn
        .prepare_cached(
            "SELECT min(mrn_block) FROM ledger_device WHERE device = ?1 AND retracted = 0",
        )?
        .query_row([hex::encode(device)], |r| r.get(0))?;
    Ok(block.and_then(|b| u32::try_from(b).ok()).filter(|b| *b > 0))
}

/// The member rows (removed or not) of one device.
pub fn rows_of(conn: &Connection, device: &[u8; 32]) -> Result<Vec<Uuid>, LedgerError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM ledger_device WHERE device = ?1 AND retracted = 0")?;
    let rows = stmt.query_map([hex::encode(device)], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Uuid::parse_str(&r?).map_err(|e| LedgerError::Invalid(e.to_string()))?);
    }
    Ok(out)
}

/// Whether `device` is a member now (added and not removed).
pub fn is_member(conn: &Connection, device: &[u8; 32]) -> Result<bool, LedgerError> {
    member_at(conn, device, u64::MAX)
}

/// Whether `device`'s commit at `seq` is a member's: the device was added, and not
/// removed, or removed after the administrator had seen that seq.
fn member_at(conn: &Connection, device: &[u8; 32], seq: u64) -> Result<bool, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM ledger_device WHERE device = ?1 AND retracted = 0
             AND (coalesce(removed, 0) = 0 OR ?2 <= coalesce(removed_after, 0)) LIMIT 1",
        )?
        .query_row(
            rusqlite::params![hex::encode(device), seq.min(i64::MAX as u64) as i64],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Whether the practice has no members yet (this workstation holds no membership at all).
fn has_none(conn: &Connection) -> Result<bool, LedgerError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM ledger_device LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_none())
}

/// Whether a commit of `body`'s device may be applied here: its device is a member, or
/// the commit founds the practice (the first commit of its device, adding that very
/// device, while no member is known at all).
pub fn admits(conn: &Connection, body: &CommitBody) -> Result<bool, LedgerError> {
    let device = device_id(&body.device_key);
    if member_at(conn, &device, body.seq)? {
        return Ok(true);
    }
    if let Some(by) = vouched_by(body) {
        if member_at(conn, &by, u64::MAX)? {
            return Ok(true);
        }
    }
    let me = Value::Text(hex::encode(device));
    Ok(body.seq == 1
        && has_none(conn)?
        && body.changes.iter().any(|c| {
            c.entity == DEVICE.name && c.op == Op::Create && c.field("device") == Some(&me)
        }))
}

/// Every member row, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Member>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT id, device, public_key, name, added_by, coalesce(removed, 0), removed_after FROM ledger_device
         WHERE retracted = 0 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<Vec<u8>>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, bool>(5)?,
            r.get::<_, Option<i64>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (id, device, public_key, name, added_by, removed, removed_after) = r?;
        out.push(Member {
            id: Uuid::parse_str(&id).map_err(|e| LedgerError::Invalid(e.to_string()))?,
            device: device.unwrap_or_default(),
            public_key: public_key.unwrap_or_default(),
            name: name.unwrap_or_default(),
            added_by: added_by.unwrap_or_default(),
            removed,
            removed_after: removed_after.map(|s| s as u64),
        });
    }
    Ok(out)
}
