//! This workstation's own sync bookkeeping (migration 7): pairing codes, peers, typed
//! addresses, refused commits and where the listener is. Local, never replicated, and
//! outside the ledger: none of it is part of the record.

use rusqlite::{params, Connection, OptionalExtension};

use super::message::Vector;

/// Access to the sync tables through the practice's writer connection, and nothing else.
pub struct Bookkeeping<'a> {
    conn: &'a Connection,
}

/// A pairing code that can still be answered.
#[derive(Debug, Clone)]
pub struct Invite {
    pub id: i64,
    pub code: String,
    /// The administrator who made it: the membership commit is theirs.
    pub created_by: String,
    pub expires_at: i64,
    pub tries_left: u32,
}

/// What this workstation knows of another.
#[derive(Debug, Clone)]
pub struct Peer {
    pub device: [u8; 32],
    pub name: String,
    pub address: Option<String>,
    pub paired_at: Option<i64>,
    pub last_contact: Option<i64>,
    pub last_attempt: Option<i64>,
    pub last_error: Option<String>,
    pub their_vector: Option<Vector>,
}

/// A commit a peer sent that was refused.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub at: i64,
    pub peer: [u8; 32],
    pub device: [u8; 32],
    pub seq: u64,
    pub code: String,
    pub message: String,
}

/// How many tries a pairing code allows.
pub const INVITE_TRIES: u32 = 3;

pub fn vector_bytes(v: &Vector) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 40);
    for (d, s) in v {
        out.extend_from_slice(d);
        out.extend_from_slice(&s.to_be_bytes());
    }
    out
}

pub fn vector_from_bytes(b: &[u8]) -> Vector {
    b.chunks_exact(40)
        .map(|c| {
            let d: [u8; 32] = c[..32].try_into().expect("32 bytes");
            let s = u64::from_be_bytes(c[32..].try_into().expect("8 bytes"));
            (d, s)
        })
        .collect()
}

fn device_of(b: Vec<u8>) -> [u8; 32] {
    b.try_into().unwrap_or([0; 32])
}

impl<'a> Bookkeeping<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Bookkeeping<'a> {
        Bookkeeping { conn }
    }

    /// Makes `code` the one pairing code this workstation answers, until `expires_at`.
    pub fn invite_create(
        &self,
        code: &str,
        created_by: &str,
        now: i64,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE sync_invite SET spent_at = ?1 WHERE spent_at IS NULL",
            [now],
        )?;
        tx.execute(
            "INSERT INTO sync_invite (code, created_by, created_at, expires_at, tries_left) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![code, created_by, now, expires_at, INVITE_TRIES],
        )?;
        tx.commit()
    }

    /// The newest unspent pairing code, expired or not (the caller tells the joiner which).
    pub fn invite_current(&self) -> rusqlite::Result<Option<Invite>> {
        self.conn
            .query_row(
                "SELECT id, code, created_by, expires_at, tries_left FROM sync_invite
                 WHERE spent_at IS NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(Invite {
                        id: r.get(0)?,
                        code: r.get(1)?,
                        created_by: r.get(2)?,
                        expires_at: r.get(3)?,
                        tries_left: r.get::<_, i64>(4)?.max(0) as u32,
                    })
                },
            )
            .optional()
    }

    /// Counts a wrong try; the code is spent when none are left. Returns the tries left.
    pub fn invite_wrong_try(&self, id: i64, now: i64) -> rusqlite::Result<u32> {
        self.conn.execute(
            "UPDATE sync_invite SET tries_left = tries_left - 1,
               spent_at = CASE WHEN tries_left <= 1 THEN ?2 ELSE spent_at END
             WHERE id = ?1",
            params![id, now],
        )?;
        let left: i64 = self.conn.query_row(
            "SELECT tries_left FROM sync_invite WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        Ok(left.max(0) as u32)
    }

    pub fn invite_spend(&self, id: i64, device: &[u8; 32], now: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE sync_invite SET spent_at = ?2, joined_device = ?3 WHERE id = ?1",
            params![id, now, hex::encode(device)],
        )?;
        Ok(())
    }

    /// Remembers a workstation paired with here (trusted by the pairing until the ledger's
    /// membership says otherwise).
    pub fn peer_paired(
        &self,
        device: &[u8; 32],
        name: &str,
        address: Option<&str>,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sync_peer (device, name, address, paired_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(device) DO UPDATE SET name = excluded.name,
               address = coalesce(excluded.address, address), paired_at = excluded.paired_at",
            params![device.as_slice(), name, address, now],
        )?;
        Ok(())
    }

    /// Records a finished exchange with a peer: what it holds now, and where it listens.
    pub fn peer_contact(
        &self,
        device: &[u8; 32],
        name: &str,
        address: Option<&str>,
        their_vector: &Vector,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sync_peer (device, name, address, last_contact, last_attempt, their_vector)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)
             ON CONFLICT(device) DO UPDATE SET name = excluded.name,
               address = coalesce(excluded.address, address), last_contact = excluded.last_contact,
               last_attempt = excluded.last_attempt, last_error = NULL,
               their_vector = excluded.their_vector",
            params![device.as_slice(), name, address, now, vector_bytes(their_vector)],
        )?;
        Ok(())
    }

    /// Records a failed attempt to reach a known peer.
    pub fn peer_error(&self, device: &[u8; 32], error: &str, now: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE sync_peer SET last_attempt = ?2, last_error = ?3 WHERE device = ?1",
            params![device.as_slice(), now, error],
        )?;
        Ok(())
    }

    pub fn peers(&self) -> rusqlite::Result<Vec<Peer>> {
        let mut stmt = self.conn.prepare(
            "SELECT device, name, address, paired_at, last_contact, last_attempt, last_error, their_vector
             FROM sync_peer ORDER BY name, device",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Peer {
                device: device_of(r.get(0)?),
                name: r.get(1)?,
                address: r.get(2)?,
                paired_at: r.get(3)?,
                last_contact: r.get(4)?,
                last_attempt: r.get(5)?,
                last_error: r.get(6)?,
                their_vector: r
                    .get::<_, Option<Vec<u8>>>(7)?
                    .map(|b| vector_from_bytes(&b)),
            })
        })?;
        rows.collect()
    }

    pub fn add_address(&self, address: &str, now: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sync_address (address, added_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![address, now],
        )?;
        Ok(())
    }

    pub fn addresses(&self) -> rusqlite::Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT address FROM sync_address ORDER BY address")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    pub fn reject(&self, r: &Rejected) -> rusqlite::Result<()> {
        // One row per refused commit: a peer that sends it again does not add another.
        let known: i64 = self.conn.query_row(
            "SELECT count(*) FROM sync_rejected WHERE device = ?1 AND seq = ?2 AND code = ?3",
            params![r.device.as_slice(), r.seq as i64, r.code],
            |x| x.get(0),
        )?;
        if known == 0 {
            self.conn.execute(
                "INSERT INTO sync_rejected (at, peer, device, seq, code, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.at, r.peer.as_slice(), r.device.as_slice(), r.seq as i64, r.code, r.message],
            )?;
        }
        Ok(())
    }

    /// Refused commits that this workstation still does not hold (a commit refused once and
    /// applied later, e.g. after its dependency arrived, is no longer a hole).
    pub fn rejected(&self, limit: usize) -> rusqlite::Result<Vec<Rejected>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, peer, device, seq, code, message FROM sync_rejected r
             WHERE NOT EXISTS (SELECT 1 FROM ledger_commit c WHERE c.device = r.device AND c.seq = r.seq)
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Rejected {
                at: r.get(0)?,
                peer: device_of(r.get(1)?),
                device: device_of(r.get(2)?),
                seq: r.get::<_, i64>(3)? as u64,
                code: r.get(4)?,
                message: r.get(5)?,
            })
        })?;
        rows.collect()
    }

    pub fn set_listen(&self, address: &str, now: i64, pid: u32) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sync_listen (id, address, since, pid) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET address = excluded.address, since = excluded.since, pid = excluded.pid",
            params![address, now, pid],
        )?;
        Ok(())
    }

    pub fn clear_listen(&self, pid: u32) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM sync_listen WHERE pid = ?1", [pid])?;
        Ok(())
    }

    /// Where this workstation's sync listener said it was, and since when.
    pub fn listen(&self) -> rusqlite::Result<Option<(String, i64)>> {
        self.conn
            .query_row(
                "SELECT address, since FROM sync_listen WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }
}
