//! The small key header kept beside the database (`chartkeep.header`).
//!
//! The header is what makes the database recoverable without the keychain: it holds the
//! database key wrapped by the recovery code (always) and by a passphrase (in passphrase
//! mode), plus a key check so a key can be verified before SQLCipher is asked to open
//! anything. It holds no patient data and no unwrapped key, and is plain JSON so a person
//! can see which practice and mode a folder belongs to.
//!
//! Its fields outside the wraps (format, practice id, creation date, key mode) are
//! authenticated since format 2 (see [`FORMAT`]): an edited header fails to unlock with
//! [`HeaderError::Altered`] or [`KeyError::HeaderAltered`], never silently.
//!
//! Losing the header loses the recovery path (the keychain still opens the database), so
//! it is written with care: a new one never overwrites an existing one ([`write_new`]),
//! and updates go through a temporary file, fsync and rename ([`replace`]) so a crash
//! leaves either the old or the new header, never half of one.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ring::hmac;
use serde::{Deserialize, Serialize};

use ring::rand::SecureRandom;

use super::keys::{self, DbKey, KeyError, WrappedKey};

/// The header's file name inside the practice's data folder.
pub const HEADER_FILE: &str = "chartkeep.header";

/// The temporary file [`replace`] writes before renaming it over [`HEADER_FILE`].
pub const HEADER_TMP_FILE: &str = "chartkeep.header.tmp";

/// The header format this version writes. It also reads format 1, and rewrites such a
/// header as format 2 on the first unlock ([`Header::upgraded`]).
///
/// Format 2 authenticates the fields outside the key wraps (`format`, `practice_id`,
/// `created`, `mode`): they are the associated data of every wrap made for it
/// ([`Fields::aad`]), and [`Header::fields_check`] is an HMAC of them under the database
/// key, which covers the keychain path too, where no wrap is opened. In format 1 anyone who
/// could edit the file could change them unnoticed.
pub const FORMAT: u32 = 2;

/// The oldest header format this version still reads.
pub const OLDEST_FORMAT: u32 = 1;

/// [`WrappedKey::binds`] of a wrap whose associated data is [`Fields::aad`].
pub const BINDS_HEADER_V2: &str = "header-v2";

/// The HMAC message behind [`key_check`]. Versioned so a future check can differ.
const KEY_CHECK_LABEL: &[u8] = b"chartkeep key check v1";

/// The label that starts [`Fields::encode`].
const FIELDS_LABEL: &[u8] = b"chartkeep header fields v2";

/// A real header is well under 2 KiB; refuse to read something far larger.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Where the database key is kept day to day.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// In the OS keychain; the app opens without asking for anything.
    Keychain,
    /// Wrapped by a passphrase asked at start (no keychain on this machine).
    Passphrase,
}

/// The header's fields outside the key wraps, as they are authenticated.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    pub format: u32,
    pub practice_id: &'a str,
    pub created: &'a str,
    pub mode: KeyMode,
}

impl Fields<'_> {
    /// An unambiguous encoding: a label, the format, then each text length-prefixed.
    fn encode(&self) -> Vec<u8> {
        let mode = match self.mode {
            KeyMode::Keychain => "keychain",
            KeyMode::Passphrase => "passphrase",
        };
        let mut out = Vec::with_capacity(64 + self.practice_id.len() + self.created.len());
        out.extend_from_slice(FIELDS_LABEL);
        out.extend_from_slice(&self.format.to_be_bytes());
        for text in [mode, self.practice_id, self.created] {
            out.extend_from_slice(&(text.len() as u32).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    /// The associated data of a wrap for `purpose` in a header with these fields.
    pub fn aad(&self, purpose: &str) -> Vec<u8> {
        let mut out = self.encode();
        out.extend_from_slice(&(purpose.len() as u32).to_be_bytes());
        out.extend_from_slice(purpose.as_bytes());
        out
    }

    /// Wraps `key` under `secret` for `purpose`, bound to these fields.
    pub fn wrap(
        &self,
        key: &DbKey,
        secret: &[u8],
        purpose: &str,
        rng: &dyn SecureRandom,
    ) -> Result<WrappedKey, KeyError> {
        keys::wrap_bound(key, secret, &self.aad(purpose), BINDS_HEADER_V2, rng)
    }

    /// Wraps `key` under a passphrase (NFC-normalized), bound to these fields.
    pub fn wrap_passphrase(
        &self,
        key: &DbKey,
        passphrase: &str,
        rng: &dyn SecureRandom,
    ) -> Result<WrappedKey, KeyError> {
        let aad = self.aad(keys::PURPOSE_PASSPHRASE);
        keys::wrap_passphrase(key, passphrase, &aad, BINDS_HEADER_V2, rng)
    }

    /// Hex of HMAC-SHA256(database key, [`Fields::encode`]).
    fn check(&self, key: &DbKey) -> String {
        let mac = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
        hex::encode(hmac::sign(&mac, &self.encode()).as_ref())
    }
}

/// The contents of `chartkeep.header`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Header {
    /// Header format: [`FORMAT`] (2), or 1 for a header not yet upgraded.
    pub format: u32,
    /// The practice this folder belongs to; also the keychain entry's user name.
    pub practice_id: String,
    /// When the practice was created, RFC 3339 (supplied by the caller).
    pub created: String,
    /// Where the key is kept day to day.
    pub mode: KeyMode,
    /// The key wrapped by the recovery code (purpose `"recovery"`).
    pub recovery: WrappedKey,
    /// The key wrapped by a passphrase (purpose `"passphrase"`), in passphrase mode.
    pub passphrase: Option<WrappedKey>,
    /// [`key_check`] of the database key.
    pub key_check: String,
    /// Format 2: hex of HMAC-SHA256 under the database key of the other fields
    /// ([`Fields`]), so an edit of any of them fails every unlock, the keychain's included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields_check: Option<String>,
}

impl Header {
    /// A header in the current [`FORMAT`] for `key`, computing its [`key_check`] and
    /// [`Header::fields_check`]. The wraps must have been made with [`Header::fields_for`]
    /// of the same id, date and mode.
    pub fn new(
        practice_id: impl Into<String>,
        created: impl Into<String>,
        mode: KeyMode,
        recovery: WrappedKey,
        passphrase: Option<WrappedKey>,
        key: &DbKey,
    ) -> Header {
        let mut h = Header {
            format: FORMAT,
            practice_id: practice_id.into(),
            created: created.into(),
            mode,
            recovery,
            passphrase,
            key_check: key_check(key),
            fields_check: None,
        };
        h.fields_check = Some(h.fields().check(key));
        h
    }

    /// The fields a current-format header with this id, date and mode will have: what its
    /// wraps are bound to.
    pub fn fields_for<'a>(practice_id: &'a str, created: &'a str, mode: KeyMode) -> Fields<'a> {
        Fields {
            format: FORMAT,
            practice_id,
            created,
            mode,
        }
    }

    /// This header's fields outside the wraps.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            format: self.format,
            practice_id: &self.practice_id,
            created: &self.created,
            mode: self.mode,
        }
    }

    /// The associated data to open `wrap`, one of this header's wraps, for `purpose`:
    /// the bound fields for a format-2 wrap, the purpose alone for an older one.
    pub fn aad_for(&self, wrap: &WrappedKey, purpose: &str) -> Vec<u8> {
        match wrap.binds.as_deref() {
            Some(BINDS_HEADER_V2) => self.fields().aad(purpose),
            _ => purpose.as_bytes().to_vec(),
        }
    }

    /// Whether the fields outside the wraps are as they were when `key`'s holder wrote
    /// them. A format-1 header has nothing to check them against (true), unless it holds a
    /// wrap bound to format 2, which only a format-2 header ever had: that is a format-2
    /// header with its check removed, as is a format-2 header without one (false).
    pub fn check_fields(&self, key: &DbKey) -> bool {
        let bound = std::iter::once(&self.recovery)
            .chain(self.passphrase.as_ref())
            .any(|w| w.binds.is_some());
        match (&self.fields_check, self.format) {
            (None, 1) => !bound,
            (None, _) => false,
            (Some(stored), _) => {
                let Ok(tag) = hex::decode(stored) else {
                    return false;
                };
                let mac = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
                hmac::verify(&mac, &self.fields().encode(), &tag).is_ok()
            }
        }
    }

    /// This header in the current format: the fields check added under `key`. Wraps keep
    /// the binding they were made with (the purpose alone, for format 1): re-making a wrap
    /// needs its secret, so each is re-made bound when it is next replaced (a new
    /// passphrase, a recovery, a key rotation). The fields are authenticated from the
    /// upgrade on all the same, by the fields check, on every unlock path.
    pub fn upgraded(&self, key: &DbKey) -> Header {
        let mut h = self.clone();
        h.format = FORMAT;
        h.fields_check = Some(h.fields().check(key));
        h
    }

    /// Whether `key` is this practice's database key, compared in constant time.
    ///
    /// Lets the app tell "wrong key in the keychain" (e.g. a keychain entry left over from
    /// another practice with the same id) apart from "damaged database" before SQLCipher
    /// sees the key.
    pub fn check_key(&self, key: &DbKey) -> bool {
        let Ok(tag) = hex::decode(&self.key_check) else {
            return false;
        };
        let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
        hmac::verify(&hmac_key, KEY_CHECK_LABEL, &tag).is_ok()
    }
}

/// Hex of HMAC-SHA256(key, `"chartkeep key check v1"`).
///
/// An HMAC under the key reveals nothing about the key (it is a PRF output on a fixed
/// message), yet lets anyone holding a candidate key confirm it.
pub fn key_check(key: &DbKey) -> String {
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    hex::encode(hmac::sign(&hmac_key, KEY_CHECK_LABEL).as_ref())
}

/// Errors reading or writing the key header. Each names the file it is about.
#[derive(thiserror::Error, Debug)]
pub enum HeaderError {
    /// No header in the data folder.
    #[error(
        "no key header at {}: this folder holds no Chartkeep practice yet; run \
         'chartkeep init' or restore a backup",
        .0.display()
    )]
    Missing(PathBuf),
    /// The file exists but is not a readable format-1 header.
    #[error(
        "the key header {} is damaged ({}): restore it from a backup",
        .0.display(),
        .1
    )]
    Damaged(PathBuf, String),
    /// A format-2 header whose fields no longer match its fields check.
    #[error(
        "the key header {} was altered after it was written (its practice id, key mode, \
         creation date or format no longer match what this practice's key vouches for): \
         restore chartkeep.header from a backup of this practice",
        .0.display()
    )]
    Altered(PathBuf),
    /// The header was written by a newer Chartkeep.
    #[error(
        "the key header {} has format {}, newer than this version of Chartkeep reads \
         (format {}): update Chartkeep to open this practice",
        .0.display(),
        .1,
        FORMAT
    )]
    TooNew(PathBuf, u32),
    /// `write_new` found a header already there.
    #[error(
        "a key header already exists at {}: this folder already holds a practice; \
         choose another data folder, or move the existing one aside first",
        .0.display()
    )]
    Exists(PathBuf),
    /// The file system refused a read or write.
    #[error("could not read or write the key header {}: {}", .0.display(), .1)]
    Io(PathBuf, #[source] io::Error),
}

impl HeaderError {
    /// A stable code for this error, for scripts and the CLI's `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            HeaderError::Missing(_) => "header_missing",
            HeaderError::Damaged(..) => "header_damaged",
            HeaderError::TooNew(..) => "header_too_new",
            HeaderError::Exists(_) => "header_exists",
            HeaderError::Io(..) => "header_io",
            HeaderError::Altered(_) => "header_altered",
        }
    }
}

/// The header path inside `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(HEADER_FILE)
}

/// Reads and checks `dir/chartkeep.header`.
///
/// The format number is read before the rest so a header from a newer Chartkeep is
/// reported as [`HeaderError::TooNew`] rather than as damage.
pub fn read(dir: &Path) -> Result<Header, HeaderError> {
    let path = path_in(dir);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(HeaderError::Missing(path)),
        Err(e) => return Err(HeaderError::Io(path, e)),
    };
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_HEADER_BYTES + 1).read_to_end(&mut bytes) {
        return Err(HeaderError::Io(path, e));
    }
    if bytes.len() as u64 > MAX_HEADER_BYTES {
        return Err(HeaderError::Damaged(
            path,
            format!("larger than {MAX_HEADER_BYTES} bytes, so not a key header"),
        ));
    }
    parse(&path, &bytes)
}

/// Parses a header's bytes (from the file, or from a backup), checking its format.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Header, HeaderError> {
    let damaged = |detail: String| HeaderError::Damaged(path.to_path_buf(), detail);
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| damaged(format!("not valid JSON: {e}")))?;
    let format = match value.get("format").and_then(serde_json::Value::as_u64) {
        Some(n) => n,
        None => return Err(damaged("no format number".into())),
    };
    if format > u64::from(FORMAT) {
        let shown = u32::try_from(format).unwrap_or(u32::MAX);
        return Err(HeaderError::TooNew(path.to_path_buf(), shown));
    }
    if format < u64::from(OLDEST_FORMAT) {
        return Err(damaged(format!("unknown format {format}")));
    }
    serde_json::from_value(value).map_err(|e| damaged(e.to_string()))
}

fn to_bytes(header: &Header) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(header).expect("a Header always serializes");
    bytes.push(b'\n');
    bytes
}

/// Opens `path` for writing, failing if it exists; mode 0600 on Unix (the header holds
/// wrapped keys: not readable without a secret, but nobody else's business either).
fn create_new(path: &Path) -> io::Result<File> {
    super::create_new_private(path)
}

fn write_and_sync(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a create or rename in `dir` durable (Unix; on Windows the rename is durable once
/// it returns, and directories cannot be opened for syncing without special flags).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

/// Writes the header of a new practice; refuses with [`HeaderError::Exists`] if
/// `dir/chartkeep.header` is already there, so `init` can never overwrite the only
/// recovery path of an existing practice.
///
/// The existence check and the create are one atomic step (`O_EXCL`). If writing fails,
/// the partial file is removed. A crash in the middle can leave a partial file, which
/// [`read`] reports as damaged; at `init` time there is no data behind it yet.
pub fn write_new(dir: &Path, header: &Header) -> Result<(), HeaderError> {
    let path = path_in(dir);
    let mut file = match create_new(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(HeaderError::Exists(path));
        }
        Err(e) => return Err(HeaderError::Io(path, e)),
    };
    if let Err(e) = write_and_sync(&mut file, &to_bytes(header)) {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(HeaderError::Io(path, e));
    }
    drop(file);
    sync_dir(dir).map_err(|e| HeaderError::Io(path, e))
}

/// Replaces (or creates) the header atomically: writes `chartkeep.header.tmp`, fsyncs it,
/// renames it over `chartkeep.header`, then fsyncs the folder. After a crash the folder
/// holds either the old header or the new one, complete.
pub fn replace(dir: &Path, header: &Header) -> Result<(), HeaderError> {
    let path = path_in(dir);
    let tmp = dir.join(HEADER_TMP_FILE);
    // A leftover from an earlier crash: remove it so the new file gets mode 0600.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(HeaderError::Io(tmp, e)),
    }
    let written =
        create_new(&tmp).and_then(|mut file| write_and_sync(&mut file, &to_bytes(header)));
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, &path)) {
        let _ = fs::remove_file(&tmp);
        return Err(HeaderError::Io(path, e));
    }
    sync_dir(dir).map_err(|e| HeaderError::Io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_wrap(fill: char) -> WrappedKey {
        // Shape-correct but never unwrapped here: no 600k-iteration derivation needed.
        WrappedKey {
            kdf: super::super::keys::KDF_NAME.into(),
            iterations: super::super::keys::KDF_ITERATIONS,
            salt: fill.to_string().repeat(32),
            nonce: fill.to_string().repeat(24),
            ciphertext: fill.to_string().repeat(96),
            binds: None,
            secret_check: None,
        }
    }

    fn sample(key: &DbKey) -> Header {
        Header::new(
            "01890a5d-ac96-774b-bcce-b302099a8057",
            "2025-01-02T03:04:05Z",
            KeyMode::Keychain,
            fake_wrap('a'),
            None,
            key,
        )
    }

    #[test]
    fn key_check_accepts_the_right_key_only() {
        let key = DbKey::from_bytes([1; 32]);
        let other = DbKey::from_bytes([2; 32]);
        let header = sample(&key);
        assert_eq!(header.key_check.len(), 64);
        assert_eq!(header.key_check, key_check(&key));
        assert!(header.check_key(&key));
        assert!(!header.check_key(&other));

        let mut broken = header.clone();
        broken.key_check = "not hex".into();
        assert!(!broken.check_key(&key));
        broken.key_check = header.key_check[..62].into();
        assert!(!broken.check_key(&key));
    }

    #[test]
    fn fields_check_catches_an_edit_of_each_field() {
        let key = DbKey::from_bytes([11; 32]);
        let h = sample(&key);
        assert_eq!(h.format, FORMAT);
        assert!(h.check_fields(&key));
        assert!(!h.check_fields(&DbKey::from_bytes([12; 32])));
        let edits: [fn(&mut Header); 4] = [
            |h| h.mode = KeyMode::Passphrase,
            |h| h.practice_id.push('0'),
            |h| h.created = "2025-01-02T03:04:06Z".into(),
            |h| h.format = 1,
        ];
        for edit in edits {
            let mut changed = h.clone();
            edit(&mut changed);
            assert!(!changed.check_fields(&key), "{changed:?}");
            // And every wrap's associated data differs with it.
            assert_ne!(
                changed.fields().aad(keys::PURPOSE_RECOVERY),
                h.fields().aad(keys::PURPOSE_RECOVERY)
            );
        }
        // A first-format header has no check; one with its check removed is caught by a
        // wrap bound to format 2.
        let mut v1 = h.clone();
        v1.format = 1;
        v1.fields_check = None;
        assert!(v1.check_fields(&key));
        v1.recovery.binds = Some(BINDS_HEADER_V2.into());
        assert!(!v1.check_fields(&key));
        let mut no_check = h.clone();
        no_check.fields_check = None;
        assert!(!no_check.check_fields(&key));
        // The upgrade adds the check.
        let mut old = h.clone();
        old.format = 1;
        old.fields_check = None;
        let up = old.upgraded(&key);
        assert_eq!(up.format, FORMAT);
        assert!(up.check_fields(&key));
    }

    #[test]
    fn write_read_replace_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::from_bytes([3; 32]);
        let header = sample(&key);
        write_new(dir.path(), &header).unwrap();

        let back = read(dir.path()).unwrap();
        assert_eq!(back.format, FORMAT);
        assert_eq!(back.practice_id, header.practice_id);
        assert_eq!(back.created, header.created);
        assert_eq!(back.mode, KeyMode::Keychain);
        assert_eq!(back.recovery, header.recovery);
        assert_eq!(back.passphrase, None);
        assert!(back.check_key(&key));

        let text = fs::read_to_string(path_in(dir.path())).unwrap();
        assert!(text.contains("\"mode\": \"keychain\""), "{text}");

        let mut changed = back.clone();
        changed.mode = KeyMode::Passphrase;
        changed.passphrase = Some(fake_wrap('b'));
        replace(dir.path(), &changed).unwrap();
        let again = read(dir.path()).unwrap();
        assert_eq!(again.mode, KeyMode::Passphrase);
        assert_eq!(again.passphrase, Some(fake_wrap('b')));
        assert!(!dir.path().join(HEADER_TMP_FILE).exists());
        let text = fs::read_to_string(path_in(dir.path())).unwrap();
        assert!(text.contains("\"mode\": \"passphrase\""), "{text}");
    }

    #[test]
    fn replace_creates_and_survives_a_stale_tmp() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(HEADER_TMP_FILE), b"half a header").unwrap();
        let key = DbKey::from_bytes([4; 32]);
        replace(dir.path(), &sample(&key)).unwrap();
        assert!(read(dir.path()).unwrap().check_key(&key));
        assert!(!dir.path().join(HEADER_TMP_FILE).exists());
    }

    #[test]
    fn write_new_refuses_an_existing_header() {
        let dir = tempfile::tempdir().unwrap();
        let first = DbKey::from_bytes([5; 32]);
        write_new(dir.path(), &sample(&first)).unwrap();
        let second = DbKey::from_bytes([6; 32]);
        let err = write_new(dir.path(), &sample(&second)).unwrap_err();
        assert!(matches!(err, HeaderError::Exists(_)), "{err:?}");
        assert_eq!(err.code(), "header_exists");
        assert!(err.to_string().contains(HEADER_FILE), "{err}");
        // The original is untouched.
        assert!(read(dir.path()).unwrap().check_key(&first));
    }

    #[test]
    fn missing_header_names_the_path_and_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(matches!(err, HeaderError::Missing(_)), "{err:?}");
        assert_eq!(err.code(), "header_missing");
        let msg = err.to_string();
        assert!(
            msg.contains(&path_in(dir.path()).display().to_string()),
            "{msg}"
        );
        assert!(
            msg.contains("run 'chartkeep init' or restore a backup"),
            "{msg}"
        );
    }

    #[test]
    fn damaged_header_message_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        let shown = path.display().to_string();
        let key = DbKey::from_bytes([7; 32]);
        let good = serde_json::to_value(sample(&key)).unwrap();

        let mut no_recovery = good.clone();
        no_recovery.as_object_mut().unwrap().remove("recovery");
        let mut format_zero = good.clone();
        format_zero["format"] = 0.into();
        let mut format_text = good.clone();
        format_text["format"] = "1".into();

        for content in [
            b"{ \"format\": 1, \"practice_id\": ".to_vec(),
            b"\xff\xfe not json".to_vec(),
            b"[]".to_vec(),
            serde_json::to_vec(&no_recovery).unwrap(),
            serde_json::to_vec(&format_zero).unwrap(),
            serde_json::to_vec(&format_text).unwrap(),
            vec![b' '; 70 * 1024],
        ] {
            fs::write(&path, &content).unwrap();
            let err = read(dir.path()).unwrap_err();
            assert!(matches!(err, HeaderError::Damaged(..)), "{err:?}");
            assert_eq!(err.code(), "header_damaged");
            let msg = err.to_string();
            assert!(msg.contains(&shown), "{msg}");
            assert!(msg.contains("restore it from a backup"), "{msg}");
        }
    }

    #[test]
    fn newer_format_is_too_new() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::from_bytes([8; 32]);
        let mut future = serde_json::to_value(sample(&key)).unwrap();
        future["format"] = 3.into();
        future.as_object_mut().unwrap().remove("recovery");
        future["something_new"] = true.into();
        fs::write(path_in(dir.path()), serde_json::to_vec(&future).unwrap()).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(matches!(err, HeaderError::TooNew(_, 3)), "{err:?}");
        assert_eq!(err.code(), "header_too_new");
        assert!(err.to_string().contains("update Chartkeep"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn header_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::from_bytes([9; 32]);
        write_new(dir.path(), &sample(&key)).unwrap();
        let mode = fs::metadata(path_in(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        replace(dir.path(), &sample(&key)).unwrap();
        let mode = fs::metadata(path_in(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn io_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing_dir = dir.path().join("no-such-folder");
        let key = DbKey::from_bytes([10; 32]);
        let err = write_new(&missing_dir, &sample(&key)).unwrap_err();
        assert!(matches!(err, HeaderError::Io(..)), "{err:?}");
        assert_eq!(err.code(), "header_io");
        assert!(err.to_string().contains("no-such-folder"), "{err}");
    }
}
