//! Backups, restores and key rotation.
//!
//! A backup is one file: a magic line, the key header (so the recovery code or passphrase
//! opens it on any machine), a consistent encrypted copy of the database made by
//! `sqlcipher_export` inside one read transaction, and a SHA-256 over all of it, so a
//! truncated or damaged backup is refused before anything is restored.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::header::{self, Header, KeyMode};
use super::keys::{self, DbKey, RecoveryCode, PURPOSE_RECOVERY};
use super::{db, VaultError};

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

/// Exports one database of the connection (`main`, or `access` for the attached access
/// log), encrypted with `key`, into a new file at `dest`.
fn export(conn: &Connection, schema: &str, dest: &Path, key: &DbKey) -> Result<(), VaultError> {
    // The writer connection is opened without SQLITE_OPEN_CREATE, and ATTACH inherits its
    // flags: start from an empty (valid, zero-length) database file rather than none.
    // Private from the start, so its journal is too.
    db::create_private(dest)?;
    conn.execute(
        "ATTACH DATABASE ?1 AS chartkeep_export KEY ?2",
        rusqlite::params![dest.to_string_lossy(), key.sqlcipher_pragma()],
    )?;
    let result = conn
        .query_row(
            "SELECT sqlcipher_export('chartkeep_export', ?1)",
            [schema],
            |_| Ok(()),
        )
        .map_err(VaultError::from);
    let detach = conn.execute_batch("DETACH DATABASE chartkeep_export");
    result?;
    detach?;
    Ok(())
}

/// The databases a backup carries: (schema on the practice connection, file name).
const BACKED_UP: [(&str, &str); 2] = [("main", db::DB_FILE), ("access", db::ACCESS_FILE)];

/// Writes a backup of the open practice to `out`. `conn` is the practice's writer, with the
/// access log attached. Refuses to overwrite an existing file.
pub fn backup(conn: &Connection, dir: &Path, key: &DbKey, out: &Path) -> Result<u64, VaultError> {
    if out.exists() {
        return Err(VaultError::FileExists(out.to_path_buf()));
    }
    let h = header::read(dir)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let header_bytes = serde_json::to_vec(&h)
        .map_err(|e| VaultError::Damaged(out.to_path_buf(), e.to_string()))?;
    let mut body = Vec::new();
    body.extend_from_slice(MAGIC);
    body.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    body.extend_from_slice(&header_bytes);
    body.extend_from_slice(&(BACKED_UP.len() as u32).to_be_bytes());
    for (schema, name) in BACKED_UP {
        let tmp_db = sibling(out, &format!(".{schema}.tmp"));
        export(conn, schema, &tmp_db, key)?;
        // The copy must open and pass SQLite's check before it is called a backup.
        let checked = (|| {
            let c = db::open(
                &tmp_db,
                key,
                db::Access::Write { create: false },
                &db::Gate::default(),
            )?;
            let ok: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(VaultError::Damaged(tmp_db.clone(), ok));
            }
            c.execute_batch("PRAGMA journal_mode = DELETE;")?;
            Ok(())
        })();
        let bytes = checked.and_then(|_| fs::read(&tmp_db).map_err(io(&tmp_db)));
        let _ = fs::remove_file(&tmp_db);
        let bytes = bytes?;
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        body.extend_from_slice(&bytes);
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    body.extend_from_slice(digest.as_ref());
    let tmp = sibling(out, ".tmp");
    {
        let mut f = super::create_new_private(&tmp).map_err(io(&tmp))?;
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
    /// (file name, bytes) for each database.
    files: Vec<(String, Vec<u8>)>,
}

pub fn read_backup(file: &Path) -> Result<BackupContents, VaultError> {
    let mut bytes = Vec::new();
    File::open(file)
        .map_err(io(file))?
        .read_to_end(&mut bytes)
        .map_err(io(file))?;
    let damaged = |why: &str| VaultError::BackupDamaged(file.to_path_buf(), why.to_string());
    if bytes.len() < MAGIC.len() + 4 + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged("not a Chartkeep backup"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if ring::digest::digest(&ring::digest::SHA256, body).as_ref() != sum {
        return Err(damaged(
            "checksum mismatch: the file was changed or cut short",
        ));
    }
    let mut pos = MAGIC.len();
    let mut take = |n: usize, what: &str| -> Result<&[u8], VaultError> {
        let s = body.get(pos..pos + n).ok_or_else(|| damaged(what))?;
        pos += n;
        Ok(s)
    };
    let hlen = u32::from_be_bytes(
        take(4, "header length")?
            .try_into()
            .map_err(|_| damaged("header length"))?,
    ) as usize;
    let header: Header =
        serde_json::from_slice(take(hlen, "header")?).map_err(|_| damaged("key header"))?;
    let n = u32::from_be_bytes(
        take(4, "file count")?
            .try_into()
            .map_err(|_| damaged("file count"))?,
    ) as usize;
    let mut files = Vec::new();
    for _ in 0..n.min(16) {
        let nlen = u16::from_be_bytes(
            take(2, "file name")?
                .try_into()
                .map_err(|_| damaged("file name"))?,
        ) as usize;
        let name = String::from_utf8(take(nlen, "file name")?.to_vec())
            .map_err(|_| damaged("file name"))?;
        if !BACKED_UP.iter().any(|(_, f)| *f == name) {
            return Err(damaged("unexpected file in backup"));
        }
        let len = u64::from_be_bytes(
            take(8, "file length")?
                .try_into()
                .map_err(|_| damaged("file length"))?,
        ) as usize;
        files.push((name, take(len, "database")?.to_vec()));
    }
    if pos != body.len() || !files.iter().any(|(f, _)| f == db::DB_FILE) {
        return Err(damaged("incomplete or trailing data"));
    }
    Ok(BackupContents { header, files })
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
        (None, Some(p), Some(w)) => keys::unwrap_passphrase(w, p)?,
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
    super::make_private_dir(dir)?;
    let result = (|| {
        for (name, bytes) in &contents.files {
            let path = dir.join(name);
            {
                let mut f = super::create_new_private(&path).map_err(io(&path))?;
                f.write_all(bytes).map_err(io(&path))?;
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
        }
        header::write_new(dir, &contents.header)?;
        fsync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        for f in db::PRACTICE_FILES
            .iter()
            .chain([header::HEADER_FILE].iter())
        {
            let _ = fs::remove_file(dir.join(f));
        }
        if !existed {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

const REKEY_HEADER: &str = "chartkeep.header.rekey";

/// The new copy of a database during a key rotation, and the old one set aside.
fn rekey_names(file: &str) -> (String, String) {
    (format!("{file}.rekey"), format!("{file}.pre-rekey"))
}

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
        (KeyMode::Passphrase, Some(p)) => Some(keys::wrap_passphrase(&key, p, rng)?),
        (KeyMode::Passphrase, None) => return Err(VaultError::PassphraseNeeded),
        (KeyMode::Keychain, _) => None,
    };
    for (schema, file) in BACKED_UP {
        export(&conn, schema, &dir.join(rekey_names(file).0), &key)?;
    }
    conn.execute_batch(
        "PRAGMA main.wal_checkpoint(TRUNCATE); PRAGMA access.wal_checkpoint(TRUNCATE);",
    )?;
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
        // A leftover from an interrupted rotation is replaced, and the new file is 0600.
        let _ = fs::remove_file(&hpath);
        let mut f = super::create_new_private(&hpath).map_err(io(&hpath))?;
        f.write_all(&text).map_err(io(&hpath))?;
        f.sync_all().map_err(io(&hpath))?;
    }
    fsync_dir(dir);
    show_code(&recovery);
    for (_, file) in BACKED_UP {
        let (new, pre) = rekey_names(file);
        let live = dir.join(file);
        fs::rename(&live, dir.join(&pre)).map_err(io(&live))?;
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(dir.join(format!("{file}{suffix}")));
        }
        fs::rename(dir.join(&new), &live).map_err(io(&live))?;
    }
    fsync_dir(dir);
    // The point of no return: from here the new key and recovery code are the practice's.
    fs::rename(&hpath, header::path_in(dir)).map_err(io(&hpath))?;
    fsync_dir(dir);
    if let Some(store) = keychain {
        store.set(&old.practice_id, &key)?;
    }
    for (_, file) in BACKED_UP {
        let _ = fs::remove_file(dir.join(rekey_names(file).1));
    }
    Ok(recovery)
}

/// Undoes a key rotation that a crash interrupted before its point of no return, or
/// tidies up after one that got past it. Called before opening.
pub fn finish_interrupted_rekey(dir: &Path) -> Result<(), VaultError> {
    let hpath = dir.join(REKEY_HEADER);
    let rolling_back = hpath.exists();
    for (_, file) in BACKED_UP {
        let (new, pre) = rekey_names(file);
        let pre = dir.join(pre);
        if rolling_back && pre.exists() {
            // The old header is still in place, so the old database is the practice: put
            // it back over the new copy.
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(dir.join(format!("{file}{suffix}")));
            }
            fs::rename(&pre, dir.join(file)).map_err(io(&pre))?;
        }
        let _ = fs::remove_file(dir.join(new));
        let _ = fs::remove_file(&pre);
    }
    if rolling_back {
        let _ = fs::remove_file(&hpath);
    }
    fsync_dir(dir);
    Ok(())
}
