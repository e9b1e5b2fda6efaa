//! The vault: the practice's encrypted SQLCipher file, its key, and what keeps that key
//! safe (the OS keychain or a passphrase day to day, the recovery code always).
//!
//! A practice folder holds `chartkeep.db` (SQLCipher, raw 256-bit key, WAL,
//! `synchronous=FULL`) and `chartkeep.header` (the key wrapped by the recovery code and,
//! in passphrase mode, by the passphrase). Nothing in the folder is plaintext patient data.

pub mod backup;
pub mod db;
pub mod device_key;
pub mod header;
pub mod keychain;
pub mod keys;
pub mod migrate;

use std::path::{Path, PathBuf};

use ring::rand::SecureRandom;

use header::{Header, HeaderError, KeyMode};
use keychain::{KeyStore, KeychainError};
use keys::{DbKey, KeyError, RecoveryCode, PURPOSE_RECOVERY};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no practice database at {}: run 'chartkeep init' to create a practice, or 'chartkeep restore' to restore a backup", .0.display())]
    Missing(PathBuf),
    #[error("this workstation's signing key file {} is missing: put it back if it was moved, or restore the practice from a backup (the restored folder becomes a new workstation)", .0.display())]
    DeviceKeyMissing(PathBuf),
    #[error("{} does not open with this practice's key: the file is damaged or belongs to another practice; restore it from a backup", .0.display())]
    WrongKeyOrDamaged(PathBuf),
    #[error("the database {} is damaged ({}); restore it from a backup", .0.display(), .1)]
    Damaged(PathBuf, String),
    #[error("this practice's database was written by a newer Chartkeep (schema {found}, this version knows {supported}); update Chartkeep. The database was not touched")]
    DatabaseTooNew { found: i64, supported: i64 },
    #[error("a practice already exists in {}: nothing was changed; choose another folder with --data", .0.display())]
    AlreadyExists(PathBuf),
    #[error("{} already exists: choose a new file name; nothing was overwritten", .0.display())]
    FileExists(PathBuf),
    #[error("{} is not empty: restore only into an empty or new folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("migration {0} failed: {1}")]
    Migration(String, String),
    #[error("the OS keychain holds no key for this practice; run 'chartkeep recover' with the recovery code to store it again")]
    KeyNotInKeychain,
    #[error("the key in the OS keychain is not this practice's key; run 'chartkeep recover' with the recovery code")]
    KeychainKeyMismatch,
    #[error("this practice uses a passphrase; set CHARTKEEP_PASSPHRASE or enter it when asked")]
    PassphraseNeeded,
    #[error("changing how this practice's key is kept needs its recovery code: run 'chartkeep recover' and enter the recovery code")]
    RecoveryCodeNeeded,
    #[error("the backup file {} is damaged or incomplete ({}); use another backup", .0.display(), .1)]
    BackupDamaged(PathBuf, String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("could not use {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl VaultError {
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Missing(_) => "practice_missing",
            VaultError::DeviceKeyMissing(_) => "device_key_missing",
            VaultError::WrongKeyOrDamaged(_) => "database_wrong_key_or_damaged",
            VaultError::Damaged(..) => "database_damaged",
            VaultError::DatabaseTooNew { .. } => "database_too_new",
            VaultError::AlreadyExists(_) => "practice_exists",
            VaultError::NotEmpty(_) => "folder_not_empty",
            VaultError::FileExists(_) => "file_exists",
            VaultError::Migration(..) => "migration_failed",
            VaultError::KeyNotInKeychain => "key_not_in_keychain",
            VaultError::KeychainKeyMismatch => "keychain_key_mismatch",
            VaultError::PassphraseNeeded => "passphrase_needed",
            VaultError::BackupDamaged(..) => "backup_damaged",
            VaultError::RecoveryCodeNeeded => "recovery_code_needed",
            VaultError::Key(e) => e.code(),
            VaultError::Header(e) => e.code(),
            VaultError::Keychain(e) => e.code(),
            VaultError::Io(..) => "io_error",
            VaultError::Sqlite(_) => "storage_error",
        }
    }

    /// Wrong passphrase or recovery code: the CLI exits with status 3 for these.
    pub fn is_wrong_secret(&self) -> bool {
        matches!(self, VaultError::Key(KeyError::WrongSecret))
    }
}

/// Creates the practice folder (and its parents) if needed and makes it readable by its
/// owner only (0700 on Unix).
///
/// The files inside are encrypted, but their names, sizes and times still say that a
/// practice lives here and how busy it is; nobody else on the machine needs that. The
/// mode is set explicitly rather than left to the umask, which is often 022.
pub fn make_private_dir(dir: &Path) -> Result<(), VaultError> {
    std::fs::create_dir_all(dir).map_err(|e| VaultError::Io(dir.to_path_buf(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| VaultError::Io(dir.to_path_buf(), e))?;
    }
    Ok(())
}

/// Creates a new file (failing if `path` exists) readable and writable by its owner only,
/// 0600 on Unix whatever the umask: every file a practice writes (databases, their WAL and
/// shared memory, which SQLite gives the database's mode, headers, backups) goes through
/// here or `db::create_private`.
pub fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    set_private(&file)?;
    Ok(file)
}

/// Sets an open file's mode to 0600 (Unix): `OpenOptions::mode` is filtered by the umask,
/// so a umask such as 0277 would otherwise leave a file its owner cannot write.
pub(crate) fn set_private(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    {
        let _ = file;
    }
    Ok(())
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(db::DB_FILE)
}

/// How the day-to-day key is to be kept for a new (or recovered) practice.
pub enum KeyPlan<'a> {
    Keychain(&'a dyn KeyStore),
    Passphrase(String),
}

/// A new practice's key material, before the database exists.
pub struct NewKey {
    pub key: DbKey,
    pub recovery: RecoveryCode,
    pub header: Header,
}

/// Makes a key, a recovery code and the header, stores the key per `plan`, and writes the
/// header. Refuses a folder that already holds a practice.
pub fn create_key(
    dir: &Path,
    practice_id: &str,
    created: &str,
    plan: KeyPlan<'_>,
    rng: &dyn SecureRandom,
) -> Result<NewKey, VaultError> {
    if header::path_in(dir).exists() || db::PRACTICE_FILES.iter().any(|f| dir.join(f).exists()) {
        return Err(VaultError::AlreadyExists(dir.to_path_buf()));
    }
    make_private_dir(dir)?;
    let key = DbKey::generate(rng)?;
    let recovery = RecoveryCode::generate(rng)?;
    let mode = match &plan {
        KeyPlan::Keychain(_) => KeyMode::Keychain,
        KeyPlan::Passphrase(_) => KeyMode::Passphrase,
    };
    // Every wrap is bound to the header's other fields (see `header::Fields`).
    let fields = Header::fields_for(practice_id, created, mode);
    let wrapped_recovery =
        fields.wrap(&key, recovery.as_str().as_bytes(), PURPOSE_RECOVERY, rng)?;
    let pass = match &plan {
        KeyPlan::Keychain(_) => None,
        KeyPlan::Passphrase(p) => Some(fields.wrap_passphrase(&key, p, rng)?),
    };
    let header = Header::new(practice_id, created, mode, wrapped_recovery, pass, &key);
    if let KeyPlan::Keychain(store) = plan {
        store.set(practice_id, &key)?;
    }
    header::write_new(dir, &header)?;
    Ok(NewKey {
        key,
        recovery,
        header,
    })
}

/// What the user gives to open the practice.
pub enum Secret<'a> {
    Keychain(&'a dyn KeyStore),
    Passphrase(&'a str),
    RecoveryCode(&'a str),
}

/// Gets the database key from the header and the given secret, checked against the
/// header's key check before SQLCipher ever sees it, and checks that the header's fields
/// outside the wraps are as the key's holder wrote them ([`HeaderError::Altered`]
/// otherwise; a wrap bound to them reports [`KeyError::HeaderAltered`]).
///
/// A header in the older format 1 is rewritten in the current format once the key is
/// known (atomically, fsynced, 0600: [`header::replace`]); the returned header is the
/// rewritten one. A header that cannot be rewritten (a read-only folder) still unlocks.
pub fn unlock(dir: &Path, secret: Secret<'_>) -> Result<(DbKey, Header), VaultError> {
    let h = header::read(dir)?;
    if !db_path(dir).exists() {
        return Err(VaultError::Missing(db_path(dir)));
    }
    let key = match secret {
        Secret::Keychain(store) => {
            let key = store
                .get(&h.practice_id)?
                .ok_or(VaultError::KeyNotInKeychain)?;
            if !h.check_key(&key) {
                return Err(VaultError::KeychainKeyMismatch);
            }
            key
        }
        Secret::Passphrase(p) => {
            let w = h.passphrase.as_ref().ok_or(VaultError::PassphraseNeeded)?;
            keys::unwrap_passphrase(w, p, &h.aad_for(w, keys::PURPOSE_PASSPHRASE))?
        }
        Secret::RecoveryCode(c) => {
            let code = RecoveryCode::parse(c)?;
            let aad = h.aad_for(&h.recovery, PURPOSE_RECOVERY);
            keys::unwrap(&h.recovery, code.as_str().as_bytes(), &aad)?
        }
    };
    if !h.check_key(&key) {
        return Err(VaultError::Key(KeyError::WrongSecret));
    }
    if !h.check_fields(&key) {
        return Err(HeaderError::Altered(header::path_in(dir)).into());
    }
    if h.format < header::FORMAT {
        let upgraded = h.upgraded(&key);
        match header::replace(dir, &upgraded) {
            Ok(()) => return Ok((key, upgraded)),
            Err(e) => tracing::warn!("the key header stays in format {}: {e}", h.format),
        }
    }
    Ok((key, h))
}

/// Stores the key anew after a recovery: in the keychain, or wrapped by a new passphrase.
/// The recovery code stays valid.
///
/// `recovery_code`, when the caller has it (after `recover`, or a restore opened with it),
/// re-makes the recovery wrap bound to the new header: it must be, when the key mode
/// changes and the wrap is bound to the old mode, or the code would stop opening the
/// practice. Without it such a change is refused ([`VaultError::RecoveryCodeNeeded`]).
pub fn store_key(
    dir: &Path,
    key: &DbKey,
    plan: KeyPlan<'_>,
    recovery_code: Option<&str>,
    rng: &dyn SecureRandom,
) -> Result<Header, VaultError> {
    let old = header::read(dir)?;
    if !old.check_key(key) {
        return Err(VaultError::KeychainKeyMismatch);
    }
    let mode = match &plan {
        KeyPlan::Keychain(_) => KeyMode::Keychain,
        KeyPlan::Passphrase(_) => KeyMode::Passphrase,
    };
    let fields = Header::fields_for(&old.practice_id, &old.created, mode);
    let recovery = match recovery_code {
        Some(c) => {
            // The code must open the wrap it replaces: a mistyped code must not become the
            // only way back in.
            let code = RecoveryCode::parse(c)?;
            let aad = old.aad_for(&old.recovery, PURPOSE_RECOVERY);
            let opened = keys::unwrap(&old.recovery, code.as_str().as_bytes(), &aad)?;
            if !old.check_key(&opened) {
                return Err(VaultError::Key(KeyError::WrongSecret));
            }
            fields.wrap(key, code.as_str().as_bytes(), PURPOSE_RECOVERY, rng)?
        }
        None if old.recovery.binds.is_some() && old.mode != mode => {
            return Err(VaultError::RecoveryCodeNeeded);
        }
        None => old.recovery.clone(),
    };
    let passphrase = match &plan {
        KeyPlan::Keychain(_) => None,
        KeyPlan::Passphrase(p) => Some(fields.wrap_passphrase(key, p, rng)?),
    };
    let h = Header::new(
        old.practice_id.clone(),
        old.created.clone(),
        mode,
        recovery,
        passphrase,
        key,
    );
    if let KeyPlan::Keychain(store) = plan {
        store.set(&h.practice_id, key)?;
    }
    header::replace(dir, &h)?;
    Ok(h)
}
