//! Backups, restores and key rotation.
//!
//! A backup is one file: a magic line, the key header (so the recovery code or passphrase
//! opens it on any machine), a consistent encrypted copy of the database made by
//! `sqlcipher_export` inside one read transaction, and a SHA-256 over all of it, so a
//! truncated or damaged backup is refused before anything is restored.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::header::{self, Header, KeyMode};
use super::keys::{self, DbKey, RecoveryCode, PURPOSE_PASSPHRASE, PURPOSE_RECOVERY};
use super::{db, db_path, VaultError};

const MAGIC: &[u8; 10] = b"CKBACKUP1\n";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |e| VaultError::Io(path.to_path_buf(), e)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn fsync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Exports the whole database, encrypted with `key`, into a new file at `dest`.
fn export(conn: &Connection, dest: &Path, key: &DbKey) -> Result<(), VaultError> {
    // The writer connection is opened without SQLITE_OPEN_CREATE, and ATTACH inherits its
    // flags: start from an empty (valid, zero-length) database file rather than none.
    File::create(dest).map_err(io(dest))?;
    conn.execute(
        "ATTACH DATABASE ?1 AS chartkeep_export KEY ?2",
        rusqlite::params![dest.to_string_lossy(), key.sqlcipher_pragma()],
    )?;
    let result = conn
        .query_row(
            "SELECT sqlcipher_export('chartkeep_export')",
            [],
            |_| Ok(()),
        )
        .map_err(VaultError::from);
    let detach = conn.execute_batch("DETACH DATABASE chartkeep_export");
    result?;
    detach?;
    Ok(())
}

/// Writes a backup of the open practice to `out`. Refuses to overwrite an existing file.
pub fn backup(conn: &Connection, dir: &Path, key: &DbKey, out: &Path) -> Result<u64, VaultError> {
    if out.exists() {
        return Err(VaultError::FileExists(out.to_path_buf()));
    }
    let h = header::read(dir)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp_db = sibling(out, ".db.tmp");
    export(conn, &tmp_db, key)?;
    // The copy must open and pass SQLite's check before it is called a backup.
    {
        let c = db::open(
            &tmp_db,
            key,
            db::Access::Write { create: false },
            &db::Gate::default(),
        )?;
        let ok: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if ok != "ok" {
            let _ = fs::remove_file(&tmp_db);
            return Err(VaultError::Damaged(tmp_db, ok));
        }
        c.execute_batch("PRAGMA journal_mode = DELETE;")?;
    }
    let db_bytes = fs::read(&tmp_db).map_err(io(&tmp_db))?;
    let _ = fs::remove_file(&tmp_db);
    let header_bytes = serde_json::to_vec(&h)
        .map_err(|e| VaultError::Damaged(out.to_path_buf(), e.to_string()))?;
    let mut body = Vec::with_capacity(db_bytes.len() + header_bytes.len() + 64);
    body.extend_from_slice(MAGIC);
    body.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    body.extend_from_slice(&header_bytes);
    body.extend_from_slice(&(db_bytes.len() as u64).to_be_bytes());
    body.extend_from_slice(&db_bytes);
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    body.extend_from_slice(digest.as_ref());
    let tmp = sibling(out, ".tmp");
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(&body).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, out).map_err(io(out))?;
    fsync_dir(parent);
    Ok(body.len() as u64)
}

/// A backup file read and checked, not yet written anywhere.
pub struct BackupContents {
    pub header: Header,
    db: Vec<u8>,
}

pub fn read_backup(file: &Path) -> Result<BackupContents, VaultError> {
    let mut bytes = Vec::new();
    File::open(file)
        .map_err(io(file))?
        .read_to_end(&mut bytes)
        .map_err(io(file))?;
    let damaged = |why: &str| VaultError::BackupDamaged(file.to_path_buf(), why.to_string());
    if bytes.len() < MAGIC.len() + 4 + 8 + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged("not a Chartkeep backup"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if ring::digest::digest(&ring::digest::SHA256, body).as_ref() != sum {
        return Err(damaged(
            "checksum mismatch: the file was changed or cut short",
        ));
    }
    let mut pos = MAGIC.len();
    let hlen = u32::from_be_bytes(
        body[pos..pos + 4]
            .try_into()
            .map_err(|_| damaged("header length"))?,
    ) as usize;
    pos += 4;
    let hbytes = body.get(pos..pos + hlen).ok_or_else(|| damaged("header"))?;
    pos += hlen;
    let header: Header = serde_json::from_slice(hbytes).map_err(|_| damaged("key header"))?;
    let dlen = u64::from_be_bytes(
        body.get(pos..pos + 8)
            .ok_or_else(|| damaged("database length"))?
            .try_into()
            .map_err(|_| damaged("database length"))?,
    ) as usize;
    pos += 8;
    let db = body
        .get(pos..pos + dlen)
        .ok_or_else(|| damaged("database"))?
        .to_vec();
    if pos + dlen != body.len() {
        return Err(damaged("trailing data"));
    }
    Ok(BackupContents { header, db })
}

/// Unwraps the backup's key with its recovery code or passphrase.
pub fn unlock_backup(
    contents: &BackupContents,
    recovery_code: Option<&str>,
    passphrase: Option<&str>,
) -> Result<DbKey, VaultError> {
    let key = match (recovery_code, passphrase, &contents.header.passphrase) {
        (Some(code), _, _) => {
            let code = RecoveryCode::parse(code)?;
            keys::unwrap(
                &contents.header.recovery,
                code.as_str().as_bytes(),
                PURPOSE_RECOVERY,
            )?
        }
        (None, Some(p), Some(w)) => keys::unwrap(w, p.as_bytes(), PURPOSE_PASSPHRASE)?,
        _ => return Err(VaultError::PassphraseNeeded),
    };
    if !contents.header.check_key(&key) {
        return Err(VaultError::Key(keys::KeyError::WrongSecret));
    }
    Ok(key)
}

/// Writes a checked backup into `dir`, which must be empty or absent. On failure the
/// files written here are removed again, leaving the folder as it was.
pub fn restore_into(contents: &BackupContents, key: &DbKey, dir: &Path) -> Result<(), VaultError> {
    let existed = dir.exists();
    if existed {
        let mut entries = fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(VaultError::NotEmpty(dir.to_path_buf()));
        }
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    let path = db_path(dir);
    let result = (|| {
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(io(&path))?;
            f.write_all(&contents.db).map_err(io(&path))?;
            f.sync_all().map_err(io(&path))?;
        }
        let c = db::open(
            &path,
            key,
            db::Access::Write { create: false },
            &db::Gate::default(),
        )?;
        let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(VaultError::Damaged(path.clone(), ok));
        }
        drop(c);
        header::write_new(dir, &contents.header)?;
        fsync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        for f in [
            db::DB_FILE,
            "chartkeep.db-wal",
            "chartkeep.db-shm",
            header::HEADER_FILE,
        ] {
            let _ = fs::remove_file(dir.join(f));
        }
        if !existed {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

const REKEY_DB: &str = "chartkeep.db.rekey";
const REKEY_HEADER: &str = "chartkeep.header.rekey";
const PRE_REKEY_DB: &str = "chartkeep.db.pre-rekey";

/// Rotates the database key: a new key and a new recovery code (the old code stops
/// working). The database is re-encrypted into a new file and swapped in.
///
/// Crash safety: everything up to renaming the new header into place is undone by
/// [`finish_interrupted_rekey`], leaving the old practice, key and recovery code whole.
/// `show_code` is called with the new recovery code before that point of no return, so
/// the person has it in hand before it becomes the only one. The caller must close every
/// other connection to the database first.
pub fn rekey(
    conn: Connection,
    dir: &Path,
    new_passphrase: Option<&str>,
    keychain: Option<&dyn super::keychain::KeyStore>,
    rng: &dyn ring::rand::SecureRandom,
    show_code: &mut dyn FnMut(&RecoveryCode),
) -> Result<RecoveryCode, VaultError> {
    let old = header::read(dir)?;
    let key = DbKey::generate(rng)?;
    let recovery = RecoveryCode::generate(rng)?;
    let pass = match (old.mode, new_passphrase) {
        (KeyMode::Passphrase, Some(p)) => {
            Some(keys::wrap(&key, p.as_bytes(), PURPOSE_PASSPHRASE, rng)?)
        }
        (KeyMode::Passphrase, None) => return Err(VaultError::PassphraseNeeded),
        (KeyMode::Keychain, _) => None,
    };
    let new_db = dir.join(REKEY_DB);
    export(&conn, &new_db, &key)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(conn);
    let wrapped = keys::wrap(&key, recovery.as_str().as_bytes(), PURPOSE_RECOVERY, rng)?;
    let new_header = Header::new(
        old.practice_id.clone(),
        old.created.clone(),
        old.mode,
        wrapped,
        pass,
        &key,
    );
    let hpath = dir.join(REKEY_HEADER);
    {
        let text = serde_json::to_vec_pretty(&new_header)
            .map_err(|e| VaultError::Damaged(hpath.clone(), e.to_string()))?;
        let mut f = File::create(&hpath).map_err(io(&hpath))?;
        f.write_all(&text).map_err(io(&hpath))?;
        f.sync_all().map_err(io(&hpath))?;
    }
    fsync_dir(dir);
    show_code(&recovery);
    let live = db_path(dir);
    fs::rename(&live, dir.join(PRE_REKEY_DB)).map_err(io(&live))?;
    for f in ["chartkeep.db-wal", "chartkeep.db-shm"] {
        let _ = fs::remove_file(dir.join(f));
    }
    fs::rename(&new_db, &live).map_err(io(&new_db))?;
    fsync_dir(dir);
    // The point of no return: from here the new key and recovery code are the practice's.
    fs::rename(&hpath, header::path_in(dir)).map_err(io(&hpath))?;
    fsync_dir(dir);
    if let Some(store) = keychain {
        store.set(&old.practice_id, &key)?;
    }
    let _ = fs::remove_file(dir.join(PRE_REKEY_DB));
    Ok(recovery)
}

/// Undoes a key rotation that a crash interrupted before its point of no return, or
/// tidies up after one that got past it. Called before opening.
pub fn finish_interrupted_rekey(dir: &Path) -> Result<(), VaultError> {
    let hpath = dir.join(REKEY_HEADER);
    let pre = dir.join(PRE_REKEY_DB);
    if hpath.exists() {
        // The old header is still in place, so the old database is the practice: put it
        // back and drop the new files.
        if pre.exists() {
            for f in [db::DB_FILE, "chartkeep.db-wal", "chartkeep.db-shm"] {
                let _ = fs::remove_file(dir.join(f));
            }
            fs::rename(&pre, db_path(dir)).map_err(io(&pre))?;
        }
        let _ = fs::remove_file(dir.join(REKEY_DB));
        let _ = fs::remove_file(&hpath);
        fsync_dir(dir);
    } else {
        // Past the point of no return (or no rotation at all): only leftovers remain.
        let _ = fs::remove_file(dir.join(REKEY_DB));
        let _ = fs::remove_file(&pre);
    }
    Ok(())
}
