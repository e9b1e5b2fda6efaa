//! This workstation's signing seed, kept out of the chart database.
//!
//! The seed signs every commit and access-log entry this workstation writes. Inside the
//! database it protects, anyone holding the database key (a copied backup and its
//! recovery code) could re-sign a rewritten history, and a restored backup would be a
//! second workstation signing as the first. So the seed lives in its own file beside the
//! database, `chartkeep-device.key` (0600), sealed with AES-256-GCM under a wrap secret
//! that the database keeps in `practice_meta`: the file alone is useless, the database
//! alone cannot sign, and a backup (which carries the database, never this file) restores
//! as a new workstation.
//!
//! ```text
//! "CKDEVK1\n"  nonce (12 bytes)  AES-256-GCM(seed) + tag      associated data: magic, device id (hex)
//! ```

use std::io::Write;
use std::path::Path;

use ring::aead;
use rusqlite::{Connection, OptionalExtension};

use super::VaultError;

pub const DEVICE_KEY_FILE: &str = "chartkeep-device.key";
const MAGIC: &[u8; 8] = b"CKDEVK1\n";
const WRAP_META: &str = "device_key_wrap";

fn sealing_key(wrap: &[u8; 32]) -> aead::LessSafeKey {
    // A 32-byte key is always a valid AES-256 key.
    aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_256_GCM, wrap).expect("a 32-byte AES-256 key"),
    )
}

fn damaged(dir: &Path, what: &str) -> VaultError {
    VaultError::Damaged(dir.join(DEVICE_KEY_FILE), what.to_string())
}

/// The wrap secret this database keeps for its workstation's key file, if it has one.
pub fn wrap_secret(conn: &Connection) -> Result<Option<[u8; 32]>, VaultError> {
    let hex_value: Option<String> = conn
        .query_row(
            "SELECT value FROM practice_meta WHERE key = ?1",
            [WRAP_META],
            |r| r.get(0),
        )
        .optional()?;
    Ok(hex_value
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()))
}

/// Records a new wrap secret in the database (at init, or when a key file is first made).
pub fn set_wrap_secret(conn: &Connection, wrap: &[u8; 32]) -> Result<(), VaultError> {
    conn.execute(
        "INSERT OR REPLACE INTO practice_meta (key, value) VALUES (?1, ?2)",
        [WRAP_META, &hex::encode(wrap)],
    )?;
    Ok(())
}

/// Writes the key file for `seed` (of device `device`), replacing none: an existing file
/// is an error, so a workstation's key is never overwritten.
pub fn store(
    dir: &Path,
    wrap: &[u8; 32],
    device: &[u8; 32],
    seed: &[u8; 32],
    nonce: [u8; 12],
) -> Result<(), VaultError> {
    let path = dir.join(DEVICE_KEY_FILE);
    let aad = [MAGIC.as_slice(), hex::encode(device).as_bytes()].concat();
    let mut sealed = seed.to_vec();
    sealing_key(wrap)
        .seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&aad),
            &mut sealed,
        )
        .map_err(|_| damaged(dir, "could not seal the workstation key"))?;
    let tmp = dir.join(format!("{DEVICE_KEY_FILE}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let io = |e| VaultError::Io(path.clone(), e);
    let mut f = super::create_new_private(&tmp).map_err(io)?;
    f.write_all(MAGIC)
        .and_then(|()| f.write_all(&nonce))
        .and_then(|()| f.write_all(&sealed))
        .and_then(|()| f.sync_all())
        .map_err(io)?;
    drop(f);
    if path.exists() {
        let _ = std::fs::remove_file(&tmp);
        return Err(VaultError::FileExists(path));
    }
    std::fs::rename(&tmp, &path).map_err(io)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The seed in the key file, checked to be device `device`'s; None if there is no file.
pub fn load(
    dir: &Path,
    wrap: &[u8; 32],
    device: &[u8; 32],
) -> Result<Option<[u8; 32]>, VaultError> {
    let path = dir.join(DEVICE_KEY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(VaultError::Io(path, e)),
    };
    if bytes.len() != MAGIC.len() + 12 + 32 + 16 || !bytes.starts_with(MAGIC) {
        return Err(damaged(dir, "not a Chartkeep workstation key file"));
    }
    let nonce: [u8; 12] = bytes[MAGIC.len()..MAGIC.len() + 12]
        .try_into()
        .map_err(|_| damaged(dir, "truncated"))?;
    let mut sealed = bytes[MAGIC.len() + 12..].to_vec();
    let aad = [MAGIC.as_slice(), hex::encode(device).as_bytes()].concat();
    let seed = sealing_key(wrap)
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&aad),
            &mut sealed,
        )
        .map_err(|_| {
            damaged(
                dir,
                "the workstation key file does not belong to this database (or was altered)",
            )
        })?;
    <[u8; 32]>::try_from(&seed[..])
        .map(Some)
        .map_err(|_| damaged(dir, "wrong length"))
}

/// The identity a backup's restored copy will take: a fresh seed made for that backup,
/// and the vouch of the workstation that made it (its public key and signature over the
/// successor's key), by which the restored workstation becomes a member.
pub struct Successor {
    pub seed: [u8; 32],
    pub vouched_by: [u8; 32],
    pub vouch: [u8; 64],
    pub made_at: i64,
}

impl std::fmt::Debug for Successor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Successor")
            .field("vouched_by", &hex::encode(&self.vouched_by[..8]))
            .finish_non_exhaustive()
    }
}

/// Puts the successor into a backup's copy of the database (never into the live one).
pub fn write_successor(conn: &Connection, s: &Successor) -> Result<(), VaultError> {
    conn.execute(
        "INSERT INTO restore_identity (id, seed, vouched_by, vouch, made_at) VALUES (1, ?1, ?2, ?3, ?4)",
        rusqlite::params![
            s.seed.as_slice(),
            s.vouched_by.as_slice(),
            s.vouch.as_slice(),
            s.made_at
        ],
    )?;
    Ok(())
}

/// The successor a restored database carries, if any.
pub fn successor(conn: &Connection) -> Result<Option<Successor>, VaultError> {
    type Row = (Vec<u8>, Vec<u8>, Vec<u8>, i64);
    let row: Option<Row> = conn
        .query_row(
            "SELECT seed, vouched_by, vouch, made_at FROM restore_identity WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((seed, by, vouch, made_at)) = row else {
        return Ok(None);
    };
    let bad = || {
        VaultError::Damaged(
            Path::new("chartkeep.db").to_path_buf(),
            "the restored identity is malformed".into(),
        )
    };
    Ok(Some(Successor {
        seed: seed.as_slice().try_into().map_err(|_| bad())?,
        vouched_by: by.as_slice().try_into().map_err(|_| bad())?,
        vouch: vouch.as_slice().try_into().map_err(|_| bad())?,
        made_at,
    }))
}

/// Forgets the successor once the restored workstation has become a member.
pub fn clear_successor(conn: &Connection) -> Result<(), VaultError> {
    conn.execute("DELETE FROM restore_identity", [])?;
    Ok(())
}
