//! Opening the SQLCipher database: key first, then the pragmas every connection needs.
//!
//! # SQLCipher settings
//!
//! Every practice file (the chart database, the access log, backups' copies, the rebuild's
//! scratch file) is standard SQLCipher 4, and [`CIPHER_SETTINGS`] says so in code rather
//! than leaving it to whatever defaults the linked SQLCipher has. Each connection states
//! them right after the key, before the first page is read:
//!
//! | pragma | value | why |
//! |---|---|---|
//! | `cipher_compatibility` | `4` | start from SQLCipher 4's settings as a whole |
//! | `cipher_page_size` | `4096` | SQLCipher 4's page; the rebuild's scratch file alone uses 16384 |
//! | `cipher_hmac_algorithm` | `HMAC_SHA512` | every page is authenticated; a changed page fails to read |
//! | `cipher_kdf_algorithm` | `PBKDF2_HMAC_SHA512` | not used: the key is raw (below) |
//! | `kdf_iter` | `256000` | not used either, stated so the file opens in any SQLCipher 4 tool given the raw key |
//! | `cipher_plaintext_header_size` | `0` | the whole first page is encrypted, salt included |
//!
//! The key is always given raw (`x'…'`, 32 random bytes), so SQLCipher runs no KDF at
//! open; the slow derivation happens once when a person unlocks (see `keys.rs`).
//! `cipher_memory_security` stays at SQLCipher's default (off): it wipes and locks every
//! allocation SQLite makes, at a large cost per query, while the key it would protect is
//! in this process's memory anyway. Anyone holding the raw key can open a practice file
//! with stock SQLCipher 4 (`PRAGMA key = "x'…'"; PRAGMA cipher_compatibility = 4;`), which
//! is what the vault tests check. README.md has the same table.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags};

use super::keys::DbKey;
use super::VaultError;

pub const DB_FILE: &str = "chartkeep.db";
/// The access log, a second SQLCipher file with the same key (see `migrations/access`).
pub const ACCESS_FILE: &str = "chartkeep-access.db";
/// Every file a practice keeps in its folder besides the header, WAL and SHM included.
pub const PRACTICE_FILES: [&str; 7] = [
    DB_FILE,
    "chartkeep.db-wal",
    "chartkeep.db-shm",
    ACCESS_FILE,
    "chartkeep-access.db-wal",
    "chartkeep-access.db-shm",
    super::device_key::DEVICE_KEY_FILE,
];

/// The SQLCipher settings every practice file is opened with, after the key and before
/// anything is read; the module documentation says why each has its value. The page size
/// is [`CIPHER_PAGE_SIZE`] except for the rebuild's scratch file.
pub const CIPHER_SETTINGS: [(&str, &str); 4] = [
    ("cipher_hmac_algorithm", "HMAC_SHA512"),
    ("cipher_kdf_algorithm", "PBKDF2_HMAC_SHA512"),
    ("kdf_iter", "256000"),
    ("cipher_plaintext_header_size", "0"),
];

/// The page size of the chart database and the access log (SQLCipher 4's).
pub const CIPHER_PAGE_SIZE: u32 = 4096;

/// States [`CIPHER_SETTINGS`] and `page_size` on a connection that has just been keyed.
fn apply_cipher_settings(conn: &Connection, page_size: u32) -> Result<(), VaultError> {
    conn.execute_batch("PRAGMA cipher_compatibility = 4;")?;
    conn.execute_batch(&format!("PRAGMA cipher_page_size = {page_size};"))?;
    for (name, value) in CIPHER_SETTINGS {
        conn.execute_batch(&format!("PRAGMA {name} = {value};"))?;
    }
    Ok(())
}

/// Opened by the ledger for the length of its transaction. Guard triggers on every
/// projection table call `chartkeep_ledger_gate()`, so a write from anywhere else (a bug,
/// a stray tool) is refused. A connection that lacks the function cannot write at all.
#[derive(Clone, Default, Debug)]
pub struct Gate(Arc<AtomicBool>);

impl Gate {
    /// Opens the gate until the returned guard is dropped: on success, on error, and on a
    /// panic unwinding through the writer, so the gate can never be left open.
    pub fn open(&self) -> GateOpen<'_> {
        self.0.store(true, Ordering::SeqCst);
        GateOpen(self)
    }
    pub fn is_open(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The gate held open; dropping it closes the gate.
#[must_use = "the gate closes as soon as this guard is dropped"]
#[derive(Debug)]
pub struct GateOpen<'a>(&'a Gate);

impl Drop for GateOpen<'_> {
    fn drop(&mut self) {
        self.0 .0.store(false, Ordering::SeqCst)
    }
}

/// How a connection will be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The one writer: may create the file.
    Write { create: bool },
    /// Queries only (`PRAGMA query_only`): a read handle cannot write even by mistake.
    Read,
}

/// Opens and keys the database. A wrong key shows up at the first read; that becomes
/// [`VaultError::WrongKeyOrDamaged`] rather than SQLite's "file is not a database".
pub fn open(
    path: &Path,
    key: &DbKey,
    access: Access,
    gate: &Gate,
) -> Result<Connection, VaultError> {
    let flags = match access {
        Access::Write { create: true } => {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        }
        Access::Write { create: false } => OpenFlags::SQLITE_OPEN_READ_WRITE,
        Access::Read => OpenFlags::SQLITE_OPEN_READ_WRITE,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if !matches!(access, Access::Write { create: true }) && !path.exists() {
        return Err(VaultError::Missing(path.to_path_buf()));
    }
    if let Access::Write { create: true } = access {
        create_private(path)?;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // The key must be the first statement on the connection.
    conn.pragma_update(None, "key", key.sqlcipher_pragma())?;
    // Quiet SQLCipher's own stderr logging of HMAC failures; we report them ourselves.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    apply_cipher_settings(&conn, CIPHER_PAGE_SIZE)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(VaultError::WrongKeyOrDamaged(path.to_path_buf()));
        }
        Err(e) => return Err(e.into()),
    }
    // Sorts and temporary tables stay in memory: a temp file would hold plaintext.
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    if let Access::Write { .. } = access {
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    } else {
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA query_only = 1;")?;
    }
    // The ledger and the chart queries use a few hundred distinct statements (one insert
    // per kind of record and set of fields); rusqlite's default cache of 16 would
    // re-prepare most of them on every write.
    conn.set_prepared_statement_cache_capacity(256);
    set_cache_kib(&conn, CACHE_KIB)?;
    let g = gate.clone();
    conn.create_scalar_function(
        "chartkeep_ledger_gate",
        0,
        FunctionFlags::SQLITE_UTF8,
        move |_| Ok(g.is_open() as i64),
    )?;
    Ok(conn)
}

/// Creates the database file (or keeps an existing one) readable by its owner only,
/// before SQLite first opens it: SQLite gives the WAL, shared-memory and journal files the
/// database file's mode, so this is what keeps those private too.
pub(crate) fn create_private(path: &Path) -> Result<(), VaultError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|f| super::set_private(&f))
        .map_err(|e| VaultError::Io(path.to_path_buf(), e))
}

/// Attaches the practice's access log (as schema `access`) to a chart connection, so
/// `access_log` can be read and written by name while its writes leave the chart
/// database, and the readers' page cache of it, untouched.
pub fn attach_access_log(conn: &Connection, dir: &Path, key: &DbKey) -> Result<(), VaultError> {
    let path = dir.join(ACCESS_FILE);
    if !path.exists() {
        return Err(VaultError::Missing(path));
    }
    conn.execute(
        "ATTACH DATABASE ?1 AS access KEY ?2",
        rusqlite::params![path.to_string_lossy(), key.sqlcipher_pragma()],
    )?;
    // FULL: an entry is on disk when the read it records is answered (ASTM E2147 asks that
    // every access be recorded; a power cut must not lose the last ones).
    conn.execute_batch("PRAGMA access.journal_mode = WAL; PRAGMA access.synchronous = FULL;")
        .or_else(|_| conn.execute_batch("PRAGMA access.synchronous = FULL;"))?;
    Ok(())
}

/// Page cache of each practice connection, in KiB.
pub const CACHE_KIB: i64 = 64 * 1024;

/// Page cache of the practice connections while a rebuild runs, in KiB. SQLite's page
/// caches share one budget of pages across connections, and the scratch database's pages
/// are four times the size of the practice's: with the practice connections at their
/// usual size, the scratch cache grew into their budget, 16 KiB a page (a 1.2 GB peak at
/// 100,000 patients). A rebuild only streams through the practice tables, so it loses
/// nothing by their caches being small.
pub const REBUILD_CACHE_KIB: i64 = 8 * 1024;

/// Sets a connection's page cache (main database), in KiB.
pub fn set_cache_kib(conn: &Connection, kib: i64) -> Result<(), VaultError> {
    conn.execute_batch(&format!("PRAGMA cache_size = -{kib};"))?;
    Ok(())
}

/// The rebuild's scratch database: a replay of the ledger, thrown away afterwards.
pub const SCRATCH_FILE: &str = "chartkeep-rebuild.db";

/// A scratch database in the practice folder, empty, encrypted with the practice key.
///
/// Its journal is in memory and it is never synced: everything in it can be produced again
/// from the ledger, so a crash costs nothing but the file, which the next scratch replaces.
/// (A journal at all, because the rebuild rolls its replay back rather than writing it.)
/// Its pages are encrypted like the practice's, so a leftover reveals nothing.
pub fn open_scratch(dir: &Path, key: &DbKey) -> Result<Connection, VaultError> {
    let path = dir.join(SCRATCH_FILE);
    remove_scratch(dir)?;
    create_private(&path)?;
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "key", key.sqlcipher_pragma())?;
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    // Larger pages than the practice's own: the replay writes and reads back gigabytes,
    // and a quarter of the pages means a quarter of the system calls and per-page crypto
    // set-up (75 s instead of 89 s for 10 M changes; BENCHMARKS.md has the command).
    // Every page keeps its HMAC, so a scratch file altered during a rebuild cannot slip
    // rows into the live tables.
    apply_cipher_settings(&conn, 16384)?;
    conn.execute_batch(
        "PRAGMA journal_mode = MEMORY;
         PRAGMA synchronous = OFF;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -131072;",
    )?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Removes the scratch database and any journal SQLite left beside it.
pub fn remove_scratch(dir: &Path) -> Result<(), VaultError> {
    for name in [SCRATCH_FILE, "chartkeep-rebuild.db-journal"] {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::Io(path, e)),
        }
    }
    Ok(())
}
