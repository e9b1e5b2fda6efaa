//! The OS keychain: where the database key lives day to day.
//!
//! One entry per practice: service `"chartkeep"`, user = the practice id, secret = the
//! 32-byte key as 64 hex digits. On Linux this is the Secret Service (GNOME Keyring,
//! KWallet) over D-Bus, on macOS the login keychain, on Windows the Credential Manager.
//!
//! The `keyring` crate silently falls back to an in-memory mock when built without a
//! platform backend. A key kept there would vanish at exit and the practice would be
//! reachable only by its recovery code, so this module refuses any credential store that
//! does not persist to disk ([`KeychainError::Unavailable`]), and builds its entries from
//! the platform's own builder rather than from keyring's replaceable global default.

use std::fmt;

use super::keys::{wipe, wipe_string, DbKey};

/// The keychain service name for every Chartkeep entry.
pub const SERVICE: &str = "chartkeep";

/// A place to keep database keys by practice id. [`OsKeychain`] is the real one.
pub trait KeyStore {
    /// A short name for messages ("OS keychain").
    fn name(&self) -> &'static str;
    /// The key stored for `practice_id`, or `None` if there is no entry.
    fn get(&self, practice_id: &str) -> Result<Option<DbKey>, KeychainError>;
    /// Stores `key` for `practice_id`, replacing any previous entry.
    fn set(&self, practice_id: &str, key: &DbKey) -> Result<(), KeychainError>;
    /// Removes the entry for `practice_id`; succeeds if there was none.
    fn delete(&self, practice_id: &str) -> Result<(), KeychainError>;
}

/// Errors from the OS keychain.
#[derive(thiserror::Error, Debug)]
pub enum KeychainError {
    /// No keychain answered (no D-Bus session, no Secret Service, locked keyring, or a
    /// build without a platform backend).
    #[error(
        "no keychain answered on this computer ({0}); this practice will use a passphrase \
         instead, asked each time Chartkeep starts (or pass --no-keychain to choose that \
         explicitly)"
    )]
    Unavailable(String),
    /// The keychain is there but refused access, typically because it is locked.
    #[error(
        "the keychain refused access ({0}): unlock it (log in to the desktop session, or \
         unlock the login keyring) and try again, or open the practice with its recovery \
         code"
    )]
    Locked(String),
    /// The entry exists but does not hold a 32-byte key in hex.
    #[error(
        "the keychain entry for practice {0} does not hold a Chartkeep key: open the \
         practice with its recovery code, which stores the key in the keychain again"
    )]
    Damaged(String),
    /// Any other keychain failure.
    #[error("the keychain failed ({0}): try again, or open the practice with its recovery code")]
    Failed(String),
}

impl KeychainError {
    /// A stable code for this error, for scripts and the CLI's `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            KeychainError::Unavailable(_) => "keychain_unavailable",
            KeychainError::Locked(_) => "keychain_locked",
            KeychainError::Damaged(_) => "keychain_entry_damaged",
            KeychainError::Failed(_) => "keychain_failed",
        }
    }
}

/// The platform keychain. Get one with [`OsKeychain::probe`], which proves it works.
///
/// Each operation also refuses a non-persistent credential store, so an `OsKeychain`
/// built directly still never keeps a key in memory only.
pub struct OsKeychain;

impl fmt::Debug for OsKeychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OsKeychain")
    }
}

impl OsKeychain {
    /// Checks that a real, persistent keychain answers: stores a random value under a
    /// throwaway user (`probe-<random hex>`), reads it back and deletes it.
    ///
    /// A bare "is there a backend" check is not enough on Linux: the Secret Service can be
    /// compiled in yet have no D-Bus session, no daemon, or a locked collection, and only
    /// a real round trip shows that. Any failure is [`KeychainError::Unavailable`] with
    /// the reason, so the caller can fall back to passphrase mode and say so.
    pub fn probe() -> Result<OsKeychain, KeychainError> {
        platform::probe().map(|()| OsKeychain).map_err(|reason| {
            tracing::info!(%reason, "no usable OS keychain");
            KeychainError::Unavailable(reason)
        })
    }
}

impl KeyStore for OsKeychain {
    fn name(&self) -> &'static str {
        "OS keychain"
    }

    fn get(&self, practice_id: &str) -> Result<Option<DbKey>, KeychainError> {
        let Some(mut text) = platform::get(practice_id)? else {
            return Ok(None);
        };
        let key = decode_key(&text);
        wipe_string(&mut text);
        key.map(Some)
            .ok_or_else(|| KeychainError::Damaged(practice_id.to_string()))
    }

    fn set(&self, practice_id: &str, key: &DbKey) -> Result<(), KeychainError> {
        let mut text = hex::encode(key.as_bytes());
        let result = platform::set(practice_id, &text);
        wipe_string(&mut text);
        result
    }

    fn delete(&self, practice_id: &str) -> Result<(), KeychainError> {
        platform::delete(practice_id)
    }
}

/// 64 hex digits → key; anything else → `None`.
fn decode_key(text: &str) -> Option<DbKey> {
    let mut bytes = [0u8; 32];
    let key = hex::decode_to_slice(text.trim(), &mut bytes)
        .ok()
        .map(|()| DbKey::from_bytes(bytes));
    wipe(&mut bytes);
    key
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod platform {
    //! The `keyring` crate is a dependency on these three targets only, each with its
    //! native backend feature (see Cargo.toml).

    use keyring::credential::CredentialPersistence;
    use keyring::Entry;
    use ring::rand::{SecureRandom, SystemRandom};

    use super::{KeychainError, SERVICE};

    /// An entry from the platform's own credential builder (`keyring::default`), after
    /// checking that it stores to disk.
    ///
    /// `keyring::Entry::new` would use a process-wide default that any code may replace
    /// (`set_default_credential_builder`), and that is the in-memory mock when the crate
    /// lacks a platform feature. Building from `keyring::default` and checking its
    /// persistence closes both doors.
    fn entry(user: &str) -> Result<Entry, KeychainError> {
        let builder = keyring::default::default_credential_builder();
        match builder.persistence() {
            CredentialPersistence::UntilDelete => {}
            _ => {
                return Err(KeychainError::Unavailable(
                    "this build of Chartkeep has no platform keychain backend and would \
                     keep the key only in memory"
                        .into(),
                ))
            }
        }
        let credential = builder
            .build(None, SERVICE, user)
            .map_err(|e| KeychainError::Failed(describe(&e)))?;
        Ok(Entry::new_with_credential(credential))
    }

    /// Text for a keyring error, without any secret (keyring errors carry none except
    /// `BadEncoding`, whose bytes we do not print).
    fn describe(e: &keyring::Error) -> String {
        match e {
            keyring::Error::PlatformFailure(inner) => format!("platform failure: {inner}"),
            keyring::Error::NoStorageAccess(inner) => format!("no access: {inner}"),
            keyring::Error::NoEntry => "no entry".into(),
            keyring::Error::BadEncoding(_) => "the stored value is not text".into(),
            keyring::Error::TooLong(what, max) => format!("{what} longer than {max}"),
            keyring::Error::Invalid(what, why) => format!("{what} is invalid: {why}"),
            keyring::Error::Ambiguous(found) => {
                format!("{} matching entries where one was expected", found.len())
            }
            other => other.to_string(),
        }
    }

    fn classify(e: keyring::Error) -> KeychainError {
        match e {
            keyring::Error::NoStorageAccess(_) => KeychainError::Locked(describe(&e)),
            _ => KeychainError::Failed(describe(&e)),
        }
    }

    pub(super) fn get(practice_id: &str) -> Result<Option<String>, KeychainError> {
        match entry(practice_id)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(keyring::Error::BadEncoding(mut bytes)) => {
                super::wipe(&mut bytes);
                Err(KeychainError::Damaged(practice_id.to_string()))
            }
            Err(e) => Err(classify(e)),
        }
    }

    pub(super) fn set(practice_id: &str, text: &str) -> Result<(), KeychainError> {
        entry(practice_id)?.set_password(text).map_err(classify)
    }

    pub(super) fn delete(practice_id: &str) -> Result<(), KeychainError> {
        match entry(practice_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    pub(super) fn probe() -> Result<(), String> {
        let rng = SystemRandom::new();
        let mut id = [0u8; 8];
        let mut value = [0u8; 16];
        rng.fill(&mut id)
            .and_then(|()| rng.fill(&mut value))
            .map_err(|_| "the random number generator failed".to_string())?;
        let user = format!("probe-{}", hex::encode(id));
        let value = hex::encode(value);

        let entry = entry(&user).map_err(|e| match e {
            KeychainError::Unavailable(reason) => reason,
            other => other.to_string(),
        })?;
        entry
            .set_password(&value)
            .map_err(|e| format!("storing a test entry failed: {}", describe(&e)))?;
        let read = entry.get_password();
        let deleted = entry.delete_credential();
        match read {
            Ok(back) if back == value => {}
            Ok(_) => return Err("the keychain returned something other than was stored".into()),
            Err(e) => {
                return Err(format!(
                    "reading a test entry back failed: {}",
                    describe(&e)
                ))
            }
        }
        deleted.map_err(|e| format!("deleting the test entry {user} failed: {}", describe(&e)))?;
        // Deleted means gone: a store that "deletes" but still answers is not trustworthy.
        match entry.get_password() {
            Err(keyring::Error::NoEntry) => Ok(()),
            Ok(_) => Err("the keychain still returned a test entry after deleting it".into()),
            Err(e) => Err(format!(
                "checking the test entry was deleted failed: {}",
                describe(&e)
            )),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    //! No `keyring` dependency on other targets: always passphrase mode.

    use super::KeychainError;

    const REASON: &str = "Chartkeep supports the keychains of Linux, macOS and Windows only";

    pub(super) fn get(_: &str) -> Result<Option<String>, KeychainError> {
        Err(KeychainError::Unavailable(REASON.into()))
    }

    pub(super) fn set(_: &str, _: &str) -> Result<(), KeychainError> {
        Err(KeychainError::Unavailable(REASON.into()))
    }

    pub(super) fn delete(_: &str) -> Result<(), KeychainError> {
        Err(KeychainError::Unavailable(REASON.into()))
    }

    pub(super) fn probe() -> Result<(), String> {
        Err(REASON.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::{SecureRandom, SystemRandom};

    #[test]
    fn unavailable_message_says_what_happens_next() {
        let err = KeychainError::Unavailable("no D-Bus session".into());
        assert_eq!(err.code(), "keychain_unavailable");
        let msg = err.to_string();
        assert!(msg.contains("no keychain answered"), "{msg}");
        assert!(msg.contains("no D-Bus session"), "{msg}");
        assert!(msg.contains("passphrase"), "{msg}");
        assert!(msg.contains("--no-keychain"), "{msg}");
    }

    #[test]
    fn error_codes_are_distinct() {
        let errs = [
            KeychainError::Unavailable(String::new()),
            KeychainError::Locked(String::new()),
            KeychainError::Damaged(String::new()),
            KeychainError::Failed(String::new()),
        ];
        let mut codes: Vec<_> = errs.iter().map(KeychainError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errs.len());
    }

    #[test]
    fn stored_text_decodes_only_as_a_32_byte_key() {
        let key = decode_key(&"0f".repeat(32)).unwrap();
        assert_eq!(key.as_bytes(), &[0x0f; 32]);
        assert!(decode_key(&"0f".repeat(31)).is_none());
        assert!(decode_key(&"0f".repeat(33)).is_none());
        assert!(decode_key("not hex at all").is_none());
        assert!(decode_key("").is_none());
    }

    /// Against the real OS keychain (on Linux: the Secret Service, e.g. gnome-keyring).
    ///
    /// Runs only with `CHARTKEEP_TEST_KEYCHAIN=1`, because on a desktop it touches the
    /// user's real keychain (and may pop up an unlock prompt). With the variable set, an
    /// unavailable keychain FAILS the test, so CI can prove the keychain path works:
    ///
    /// ```text
    /// dbus-run-session -- sh -c 'eval "$(printf pw | gnome-keyring-daemon --unlock \
    ///   --components=secrets)"; CHARTKEEP_TEST_KEYCHAIN=1 cargo test keychain'
    /// ```
    #[test]
    fn live_keychain_set_get_delete() {
        if std::env::var("CHARTKEEP_TEST_KEYCHAIN").as_deref() != Ok("1") {
            eprintln!(
                "skipped live_keychain_set_get_delete: set CHARTKEEP_TEST_KEYCHAIN=1 to run \
                 it against the real OS keychain (it fails if none answers)"
            );
            return;
        }
        let keychain = match OsKeychain::probe() {
            Ok(k) => k,
            Err(e) => panic!("CHARTKEEP_TEST_KEYCHAIN=1 but the keychain probe failed: {e}"),
        };
        assert_eq!(keychain.name(), "OS keychain");

        let rng = SystemRandom::new();
        let mut id = [0u8; 8];
        rng.fill(&mut id).unwrap();
        let practice = format!("test-{}", hex::encode(id));

        assert!(keychain.get(&practice).unwrap().is_none());
        let key = DbKey::generate(&rng).unwrap();
        keychain.set(&practice, &key).unwrap();
        let back = keychain.get(&practice).unwrap().expect("stored key");
        assert_eq!(back.as_bytes(), key.as_bytes());

        // Setting again replaces, it does not add a second entry.
        let newer = DbKey::generate(&rng).unwrap();
        keychain.set(&practice, &newer).unwrap();
        let back = keychain.get(&practice).unwrap().expect("replaced key");
        assert_eq!(back.as_bytes(), newer.as_bytes());

        keychain.delete(&practice).unwrap();
        assert!(keychain.get(&practice).unwrap().is_none());
        // Deleting what is not there is fine.
        keychain.delete(&practice).unwrap();
        eprintln!("live keychain test passed against the OS keychain");
    }
}
