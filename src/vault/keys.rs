//! The database key, recovery codes and key wrapping.
//!
//! Every practice database is a SQLCipher file encrypted with one random 256-bit
//! [`DbKey`]. That key is never derived from anything a person types: it is random, so
//! the strength of the encryption does not depend on the strength of a passphrase, and
//! it can be handed to SQLCipher as a *raw* key (no SQLCipher KDF at every open).
//!
//! The key is then kept in up to three places:
//! - the OS keychain (see `keychain.rs`), the everyday path;
//! - [`wrap`]ped by a [`RecoveryCode`] printed once at `init`, in the key header beside
//!   the database, so a lost keychain or a new laptop never loses a chart;
//! - [`wrap`]ped by a passphrase, where no keychain exists.
//!
//! Wrapping is PBKDF2-HMAC-SHA256 (600 000 iterations, random salt) to turn the secret into a
//! key-encryption key, then AES-256-GCM over the database key. The slow KDF is paid once
//! when a person unlocks, not on every database open.

use std::fmt;
use std::num::NonZeroU32;

use ring::rand::SecureRandom;
use ring::{aead, pbkdf2};
use serde::{Deserialize, Serialize};

/// Name stored in [`WrappedKey::kdf`] for the only key derivation we accept.
pub const KDF_NAME: &str = "pbkdf2-hmac-sha256";

/// PBKDF2 iterations for every wrap, and the minimum accepted by [`unwrap`].
///
/// 600 000 is OWASP's current figure for PBKDF2-HMAC-SHA256. A header asking for fewer is
/// refused rather than trusted, so a tampered header cannot weaken a passphrase.
pub const KDF_ITERATIONS: u32 = 600_000;

/// Upper bound accepted by [`unwrap`]: a damaged header claiming billions of iterations
/// would otherwise hang the app for hours before failing. About 17x the current count.
pub const KDF_MAX_ITERATIONS: u32 = 10_000_000;

/// The `purpose` used when wrapping the key with the recovery code.
pub const PURPOSE_RECOVERY: &str = "recovery";
/// The `purpose` used when wrapping the key with a passphrase.
pub const PURPOSE_PASSPHRASE: &str = "passphrase";

const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Number of random bytes behind a recovery code: 160 bits, exactly 32 base32 characters.
const RECOVERY_BYTES: usize = 20;
const RECOVERY_CHARS: usize = 32;
const RECOVERY_GROUP: usize = 4;

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud,
/// handwritten, and retyped.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Errors from key generation, recovery-code parsing and key (un)wrapping.
///
/// Messages are written for the person at the keyboard; [`KeyError::code`] gives a stable
/// machine-readable code for the CLI's JSON output and for tests.
#[derive(thiserror::Error, Debug)]
pub enum KeyError {
    /// The passphrase or recovery code did not decrypt the wrapped key.
    #[error(
        "that passphrase or recovery code does not unlock this practice: check it and try \
         again (recovery codes ignore case and dashes; passphrases are case-sensitive)"
    )]
    WrongSecret,
    /// The text given is not shaped like a recovery code.
    #[error(
        "that is not a recovery code: a recovery code is 32 letters and digits in 8 groups \
         of 4, like 7KQ2-M9XD-…, printed when the practice was created (the letters I, L, O \
         and U are never used); check the printed code and type it again"
    )]
    MalformedRecoveryCode,
    /// The key header names a key derivation we do not accept.
    #[error(
        "the key header uses a key derivation this version of Chartkeep does not accept \
         ({0}): update Chartkeep, or restore the key header from a backup"
    )]
    UnsupportedKdf(String),
    /// The operating system's random number generator failed.
    #[error(
        "the operating system's random number generator failed, so no key was made: try \
         again, and if it keeps failing, check the system's entropy source"
    )]
    Random,
    /// The secret is right (its check matches) but the wrap does not open: something the
    /// wrap is bound to, such as the key header's practice id, key mode, creation date or
    /// format, was changed after it was written.
    #[error(
        "the key header was altered after it was written (its practice id, key mode, \
         creation date or format no longer match what the key was sealed with), so it cannot \
         unlock this practice: restore chartkeep.header from a backup of this practice"
    )]
    HeaderAltered,
    /// Encryption failed, or the wrapped key's fields are not the right size.
    #[error(
        "the wrapped key could not be processed (the key header may be damaged): restore \
         the key header from a backup, or unlock with the other secret"
    )]
    Crypto,
}

impl KeyError {
    /// A stable code for this error, for scripts and the CLI's `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::WrongSecret => "wrong_secret",
            KeyError::MalformedRecoveryCode => "malformed_recovery_code",
            KeyError::UnsupportedKdf(_) => "unsupported_kdf",
            KeyError::Random => "random_failed",
            KeyError::Crypto => "crypto_failed",
            KeyError::HeaderAltered => "header_altered",
        }
    }
}

/// Overwrites `bytes` with zeros in a way the optimiser may not remove.
///
/// Best effort: copies the compiler made earlier (moves, registers) are out of reach,
/// but the long-lived buffers holding key material are cleared.
pub(crate) fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a u8.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Overwrites a string's bytes with zeros (keeping it valid UTF-8: NUL is ASCII).
pub(crate) fn wipe_string(s: &mut str) {
    // SAFETY: zero bytes are valid UTF-8, so the string stays well-formed.
    wipe(unsafe { s.as_bytes_mut() });
}

/// The raw 256-bit SQLCipher key of one practice database.
///
/// Debug output is redacted and the bytes are zeroed when the value is dropped.
/// There is deliberately no `PartialEq`: compare keys with
/// [`Header::check_key`](super::header::Header::check_key), which is constant-time.
#[derive(Clone)]
pub struct DbKey([u8; KEY_LEN]);

impl DbKey {
    /// A fresh random key from `rng` (use `ring::rand::SystemRandom`).
    pub fn generate(rng: &dyn SecureRandom) -> Result<DbKey, KeyError> {
        let mut key = DbKey([0u8; KEY_LEN]);
        rng.fill(&mut key.0).map_err(|_| KeyError::Random)?;
        Ok(key)
    }

    /// Wraps existing key bytes (from the keychain or an unwrap).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> DbKey {
        DbKey(bytes)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The raw-key literal for SQLCipher, `x'<64 hex digits>'`: this whole text, quotes
    /// included, is the value of `PRAGMA key`, i.e. `PRAGMA key = "x'…'";` (rusqlite's
    /// `pragma_update(None, "key", …)` quotes it correctly).
    ///
    /// The raw-key form makes SQLCipher use these bytes directly instead of running its
    /// own PBKDF2 (256 000 iterations) on every open: the key is already uniformly random,
    /// so a KDF would add only latency. The slow KDF lives in [`wrap`]/[`unwrap`], paid
    /// once when a person types a secret.
    ///
    /// The returned string holds the key: pass it straight to SQLCipher and drop it.
    pub fn sqlcipher_pragma(&self) -> String {
        let mut hex_key = hex::encode(self.0);
        let pragma = format!("x'{hex_key}'");
        wipe_string(&mut hex_key);
        pragma
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

impl Drop for DbKey {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// A recovery code: 160 random bits shown as Crockford base32, 8 groups of 4 characters
/// (`XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`).
///
/// It is printed once at `init`; the key header holds the database key wrapped with it.
/// 160 bits from the OS RNG need no stretching to be safe, but the wrap still runs the
/// same PBKDF2 as a passphrase so that both go through one code path.
///
/// Debug output is redacted and the text is zeroed on drop. Only [`as_str`](Self::as_str)
/// reveals it, so it cannot reach a log by accident through `{:?}` or `{}`.
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// A fresh code from `rng` (use `ring::rand::SystemRandom`).
    pub fn generate(rng: &dyn SecureRandom) -> Result<RecoveryCode, KeyError> {
        let mut bytes = [0u8; RECOVERY_BYTES];
        let filled = rng.fill(&mut bytes).map_err(|_| KeyError::Random);
        let code = filled.map(|()| RecoveryCode(group(&encode_crockford(&bytes))));
        wipe(&mut bytes);
        code
    }

    /// Reads a code as a person types it back.
    ///
    /// Tolerates lowercase, spaces, missing or extra dashes, and Crockford's look-alikes
    /// (I and L read as 1, O as 0). Anything else — a wrong length, or a character outside
    /// the alphabet such as U — is [`KeyError::MalformedRecoveryCode`].
    pub fn parse(text: &str) -> Result<RecoveryCode, KeyError> {
        let mut chars = String::with_capacity(RECOVERY_CHARS);
        let mut ok = true;
        for c in text.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if c.is_ascii() && CROCKFORD.contains(&(c as u8)) && chars.len() < RECOVERY_CHARS {
                chars.push(c);
            } else {
                ok = false;
                break;
            }
        }
        let result = if ok && chars.len() == RECOVERY_CHARS {
            Ok(RecoveryCode(group(&chars)))
        } else {
            Err(KeyError::MalformedRecoveryCode)
        };
        wipe_string(&mut chars);
        result
    }

    /// The canonical form, `XXXX-XXXX-…` in uppercase. Its UTF-8 bytes are the secret
    /// given to [`wrap`] and [`unwrap`].
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

impl Drop for RecoveryCode {
    fn drop(&mut self) {
        wipe_string(&mut self.0);
    }
}

/// Big-endian base32 of exactly 20 bytes (160 bits = 32 characters, no padding).
fn encode_crockford(bytes: &[u8; RECOVERY_BYTES]) -> String {
    let mut out = String::with_capacity(RECOVERY_CHARS);
    let mut acc: u16 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(CROCKFORD[usize::from((acc >> bits) & 0x1f)] as char);
        }
        acc &= (1 << bits) - 1;
    }
    debug_assert_eq!(bits, 0);
    out
}

/// `ABCDEFGH…` → `ABCD-EFGH-…`.
fn group(chars: &str) -> String {
    let mut out = String::with_capacity(RECOVERY_CHARS + RECOVERY_CHARS / RECOVERY_GROUP);
    for (i, c) in chars.chars().enumerate() {
        if i > 0 && i % RECOVERY_GROUP == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// The database key encrypted under a secret a person holds, as stored in the key header.
///
/// All binary fields are lowercase hex. Salt, iterations and nonce need no separate
/// integrity protection: changing any of them changes the key-encryption key or the
/// nonce, so the AES-GCM tag fails and [`unwrap`] reports [`KeyError::WrongSecret`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WrappedKey {
    /// Always [`KDF_NAME`] (`"pbkdf2-hmac-sha256"`).
    pub kdf: String,
    /// PBKDF2 iterations, at least [`KDF_ITERATIONS`].
    pub iterations: u32,
    /// Hex of 16 random bytes.
    pub salt: String,
    /// Hex of the 12-byte AES-GCM nonce.
    pub nonce: String,
    /// Hex of the 32-byte encrypted key followed by the 16-byte GCM tag.
    pub ciphertext: String,
    /// What the AES-GCM associated data holds besides the purpose: absent in wraps made
    /// before key header format 2 (the purpose alone); `"header-v2"` when it also binds the
    /// key header's other fields (see `header::Fields`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binds: Option<String>,
    /// Hex of HMAC-SHA256(key-encryption key, `"chartkeep secret check v1"`), in bound
    /// wraps: lets [`unwrap`] tell a wrong secret ([`KeyError::WrongSecret`]) from a right
    /// secret whose associated data changed ([`KeyError::HeaderAltered`]). It is no help to
    /// a guesser: the GCM tag already confirms a guess at the same cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_check: Option<String>,
}

/// The HMAC message behind [`WrappedKey::secret_check`].
const SECRET_CHECK_LABEL: &[u8] = b"chartkeep secret check v1";

fn derive_kek(salt: &[u8], iterations: NonZeroU32, secret: &[u8]) -> [u8; KEY_LEN] {
    let mut kek = [0u8; KEY_LEN];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        secret,
        &mut kek,
    );
    kek
}

fn aead_key(kek: &[u8; KEY_LEN]) -> Result<aead::LessSafeKey, KeyError> {
    let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, kek).map_err(|_| KeyError::Crypto)?;
    Ok(aead::LessSafeKey::new(unbound))
}

/// Encrypts `key` under `secret` for storage in the key header.
///
/// `secret` is the canonical recovery code's bytes ([`RecoveryCode::as_str`]) or a
/// passphrase's NFC UTF-8 bytes ([`wrap_passphrase`]). `purpose` ([`PURPOSE_RECOVERY`] or [`PURPOSE_PASSPHRASE`]) is
/// the AES-GCM associated data: it is authenticated but not stored, so a wrap made for one
/// purpose only opens when unwrapped for that same purpose. Someone who can edit the
/// header therefore cannot move the recovery wrap into the passphrase slot (or back) to
/// confuse which secret the app asks for, or to make a code typed in one prompt be tried
/// against the other wrap.
///
/// This is the first header format's wrap. New wraps are made with [`wrap_bound`]
/// (through `header::Fields::wrap`), whose associated data also binds the key header's
/// other fields.
///
/// Each call uses a fresh random salt and nonce, so the nonce is never reused with a
/// key-encryption key.
pub fn wrap(
    key: &DbKey,
    secret: &[u8],
    purpose: &str,
    rng: &dyn SecureRandom,
) -> Result<WrappedKey, KeyError> {
    seal(key, secret, purpose.as_bytes(), None, rng)
}

/// Like [`wrap`], with `aad` as the associated data (the purpose and what else the wrap is
/// bound to, built by the key header) and `binds` naming that layout, plus a
/// [`WrappedKey::secret_check`] so a changed binding is reported as such.
pub fn wrap_bound(
    key: &DbKey,
    secret: &[u8],
    aad: &[u8],
    binds: &str,
    rng: &dyn SecureRandom,
) -> Result<WrappedKey, KeyError> {
    seal(key, secret, aad, Some(binds), rng)
}

fn secret_check(kek: &[u8; KEY_LEN]) -> String {
    let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, kek);
    hex::encode(ring::hmac::sign(&mac, SECRET_CHECK_LABEL).as_ref())
}

fn seal(
    key: &DbKey,
    secret: &[u8],
    aad: &[u8],
    binds: Option<&str>,
    rng: &dyn SecureRandom,
) -> Result<WrappedKey, KeyError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut salt).map_err(|_| KeyError::Random)?;
    rng.fill(&mut nonce).map_err(|_| KeyError::Random)?;

    let iterations = NonZeroU32::new(KDF_ITERATIONS).expect("KDF_ITERATIONS is not zero");
    let mut kek = derive_kek(&salt, iterations, secret);
    let sealing = aead_key(&kek);
    let check = binds.map(|_| secret_check(&kek));
    wipe(&mut kek);
    let sealing = sealing?;

    let mut buf = Vec::with_capacity(KEY_LEN + TAG_LEN);
    buf.extend_from_slice(key.as_bytes());
    let sealed = sealing.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(aad),
        &mut buf,
    );
    if sealed.is_err() {
        wipe(&mut buf);
        return Err(KeyError::Crypto);
    }

    Ok(WrappedKey {
        kdf: KDF_NAME.to_string(),
        iterations: KDF_ITERATIONS,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(&buf),
        binds: binds.map(str::to_string),
        secret_check: check,
    })
}

/// Decrypts a [`WrappedKey`] with `secret`, for the same `purpose` it was wrapped for.
///
/// Errors: [`KeyError::UnsupportedKdf`] for an unknown KDF or an iteration count below
/// [`KDF_ITERATIONS`] (checked before any work); [`KeyError::Crypto`] when a field is not
/// hex of the right length; [`KeyError::WrongSecret`] when the secret or the purpose is
/// wrong (or the ciphertext was altered — AES-GCM cannot tell these apart).
///
/// `aad` is the associated data the wrap was sealed with: the purpose's bytes for a wrap
/// without [`WrappedKey::binds`], the key header's binding otherwise. For a bound wrap whose
/// secret check matches but whose tag fails, the error is [`KeyError::HeaderAltered`].
pub fn unwrap(w: &WrappedKey, secret: &[u8], aad: &[u8]) -> Result<DbKey, KeyError> {
    if w.kdf != KDF_NAME {
        return Err(KeyError::UnsupportedKdf(format!(
            "key derivation '{}', expected '{KDF_NAME}'",
            w.kdf
        )));
    }
    if w.iterations < KDF_ITERATIONS {
        return Err(KeyError::UnsupportedKdf(format!(
            "{} iterations, below the minimum of {KDF_ITERATIONS}",
            w.iterations
        )));
    }
    if w.iterations > KDF_MAX_ITERATIONS {
        return Err(KeyError::UnsupportedKdf(format!(
            "{} iterations, above the maximum of {KDF_MAX_ITERATIONS}",
            w.iterations
        )));
    }
    let iterations = NonZeroU32::new(w.iterations).ok_or(KeyError::Crypto)?;

    let salt: [u8; SALT_LEN] = decode_fixed(&w.salt)?;
    let nonce: [u8; NONCE_LEN] = decode_fixed(&w.nonce)?;
    let mut buf = hex::decode(&w.ciphertext).map_err(|_| KeyError::Crypto)?;
    if buf.len() != KEY_LEN + TAG_LEN {
        return Err(KeyError::Crypto);
    }

    let mut kek = derive_kek(&salt, iterations, secret);
    let opening = aead_key(&kek);
    let secret_ok = match &w.secret_check {
        Some(stored) => {
            let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &kek);
            let tag = hex::decode(stored).unwrap_or_default();
            Some(ring::hmac::verify(&mac, SECRET_CHECK_LABEL, &tag).is_ok())
        }
        None => None,
    };
    wipe(&mut kek);
    let opening = opening?;
    if secret_ok == Some(false) {
        wipe(&mut buf);
        return Err(KeyError::WrongSecret);
    }

    let result = match opening.open_in_place(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(aad),
        &mut buf,
    ) {
        Ok(plain) => {
            let mut bytes = [0u8; KEY_LEN];
            bytes.copy_from_slice(plain);
            Ok(DbKey::from_bytes(bytes))
        }
        Err(_) if secret_ok == Some(true) => Err(KeyError::HeaderAltered),
        Err(_) => Err(KeyError::WrongSecret),
    };
    wipe(&mut buf);
    result
}

/// A passphrase in Unicode Normalization Form C, the form its key is derived from.
///
/// The same passphrase arrives as different bytes depending on where it was typed: macOS
/// input methods and file names tend to give decomposed text ("e" + U+0301 for "é"),
/// Windows and Linux composed text (U+00E9). Deriving from the raw bytes would lock a
/// practice created on one machine out of the other, so every passphrase is normalized
/// first. Recovery codes need no such step: [`RecoveryCode::parse`] accepts ASCII only.
///
/// The returned string holds the secret: wipe it (`wipe_string`) when done.
pub fn normalize_passphrase(passphrase: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    passphrase.nfc().collect()
}

/// [`wrap_bound`]s `key` under a passphrase, normalized by [`normalize_passphrase`].
pub fn wrap_passphrase(
    key: &DbKey,
    passphrase: &str,
    aad: &[u8],
    binds: &str,
    rng: &dyn SecureRandom,
) -> Result<WrappedKey, KeyError> {
    let mut nfc = normalize_passphrase(passphrase);
    let wrapped = wrap_bound(key, nfc.as_bytes(), aad, binds, rng);
    wipe_string(&mut nfc);
    wrapped
}

/// [`unwrap`]s a passphrase wrap, trying the passphrase's NFC form first.
///
/// Wraps made before passphrases were normalized were derived from the bytes as typed;
/// when the NFC form fails and the typed bytes differ from it, those bytes are tried too,
/// so such a practice still opens from the machine it was made on. A passphrase that is
/// already NFC (all ASCII ones are) costs one derivation, as before.
pub fn unwrap_passphrase(w: &WrappedKey, passphrase: &str, aad: &[u8]) -> Result<DbKey, KeyError> {
    let mut nfc = normalize_passphrase(passphrase);
    let result = match unwrap(w, nfc.as_bytes(), aad) {
        Err(KeyError::WrongSecret) if nfc != passphrase => unwrap(w, passphrase.as_bytes(), aad),
        other => other,
    };
    wipe_string(&mut nfc);
    result
}

fn decode_fixed<const N: usize>(text: &str) -> Result<[u8; N], KeyError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| KeyError::Crypto)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use std::sync::OnceLock;

    const PASSPHRASE: &[u8] = b"correct horse battery staple";

    /// One 600k-iteration wrap shared by the tests below, to keep the test suite fast.
    fn shared_wrap() -> &'static (DbKey, WrappedKey) {
        static WRAP: OnceLock<(DbKey, WrappedKey)> = OnceLock::new();
        WRAP.get_or_init(|| {
            let rng = SystemRandom::new();
            let key = DbKey::generate(&rng).unwrap();
            let w = wrap(&key, PASSPHRASE, PURPOSE_PASSPHRASE, &rng).unwrap();
            (key, w)
        })
    }

    #[test]
    fn wrap_unwrap_round_trip() {
        let (key, w) = shared_wrap();
        assert_eq!(w.kdf, KDF_NAME);
        assert_eq!(w.iterations, KDF_ITERATIONS);
        assert_eq!(w.salt.len(), 32);
        assert_eq!(w.nonce.len(), 24);
        assert_eq!(w.ciphertext.len(), 96);
        assert!(!w.ciphertext.contains(&hex::encode(key.as_bytes())[..16]));
        let back = unwrap(w, PASSPHRASE, PURPOSE_PASSPHRASE.as_bytes()).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
    }

    #[test]
    fn wrong_passphrase_is_wrong_secret() {
        let (_, w) = shared_wrap();
        let err = unwrap(
            w,
            b"correct horse battery stapler",
            PURPOSE_PASSPHRASE.as_bytes(),
        )
        .unwrap_err();
        assert!(matches!(err, KeyError::WrongSecret), "{err:?}");
        assert_eq!(err.code(), "wrong_secret");
    }

    #[test]
    fn recovery_wrap_opens_with_the_code_as_typed_but_not_as_a_passphrase() {
        let rng = SystemRandom::new();
        let key = DbKey::generate(&rng).unwrap();
        let code = RecoveryCode::generate(&rng).unwrap();
        let w = wrap(&key, code.as_str().as_bytes(), PURPOSE_RECOVERY, &rng).unwrap();

        // Typed back in lowercase without dashes: parse restores the canonical secret.
        let typed = code.as_str().to_lowercase().replace('-', "");
        let parsed = RecoveryCode::parse(&typed).unwrap();
        let back = unwrap(&w, parsed.as_str().as_bytes(), PURPOSE_RECOVERY.as_bytes()).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());

        // The right secret under the other purpose fails: the wraps are not interchangeable.
        let err = unwrap(&w, code.as_str().as_bytes(), PURPOSE_PASSPHRASE.as_bytes()).unwrap_err();
        assert!(matches!(err, KeyError::WrongSecret), "{err:?}");
    }

    /// "café" typed with a precomposed é (U+00E9, as Windows and Linux send it) and with
    /// e + combining acute (U+0301, as macOS often sends it).
    const CAFE_COMPOSED: &str = "caf\u{e9} au lait, s'il vous pla\u{ee}t";
    /// The associated data of a passphrase wrap without header binding.
    const PP: &[u8] = PURPOSE_PASSPHRASE.as_bytes();
    const CAFE_DECOMPOSED: &str = "cafe\u{301} au lait, s'il vous plai\u{302}t";

    #[test]
    fn passphrase_typed_decomposed_opens_a_wrap_made_composed_and_back() {
        assert_ne!(CAFE_COMPOSED.as_bytes(), CAFE_DECOMPOSED.as_bytes());
        let rng = SystemRandom::new();
        let key = DbKey::generate(&rng).unwrap();
        let composed = wrap_passphrase(&key, CAFE_COMPOSED, PP, "test", &rng).unwrap();
        let back = unwrap_passphrase(&composed, CAFE_DECOMPOSED, PP).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
        let decomposed = wrap_passphrase(&key, CAFE_DECOMPOSED, PP, "test", &rng).unwrap();
        let back = unwrap_passphrase(&decomposed, CAFE_COMPOSED, PP).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
        // The key is derived from the NFC bytes: the plain unwrap of the composed form works.
        let back = unwrap(
            &decomposed,
            CAFE_COMPOSED.as_bytes(),
            PURPOSE_PASSPHRASE.as_bytes(),
        )
        .unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
    }

    #[test]
    fn passphrase_wrapped_as_raw_decomposed_bytes_still_opens() {
        // A practice whose passphrase was wrapped before normalization, from the bytes as
        // typed on a Mac.
        let rng = SystemRandom::new();
        let key = DbKey::generate(&rng).unwrap();
        let legacy = wrap(&key, CAFE_DECOMPOSED.as_bytes(), PURPOSE_PASSPHRASE, &rng).unwrap();
        let back = unwrap_passphrase(&legacy, CAFE_DECOMPOSED, PP).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
        let err = unwrap_passphrase(&legacy, "caf\u{e9}", PP).unwrap_err();
        assert!(matches!(err, KeyError::WrongSecret), "{err:?}");
    }

    #[test]
    fn weak_or_unknown_kdf_is_refused_before_deriving() {
        let (_, w) = shared_wrap();
        let weak = WrappedKey {
            iterations: 10_000,
            ..w.clone()
        };
        let err = unwrap(&weak, PASSPHRASE, PURPOSE_PASSPHRASE.as_bytes()).unwrap_err();
        assert!(matches!(err, KeyError::UnsupportedKdf(_)), "{err:?}");
        assert_eq!(err.code(), "unsupported_kdf");
        assert!(err.to_string().contains("10000 iterations"), "{err}");

        let huge = WrappedKey {
            iterations: u32::MAX,
            ..w.clone()
        };
        let err = unwrap(&huge, PASSPHRASE, PURPOSE_PASSPHRASE.as_bytes()).unwrap_err();
        assert!(matches!(err, KeyError::UnsupportedKdf(_)), "{err:?}");

        let other = WrappedKey {
            kdf: "scrypt".into(),
            ..w.clone()
        };
        let err = unwrap(&other, PASSPHRASE, PURPOSE_PASSPHRASE.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("scrypt"), "{err}");
    }

    #[test]
    fn malformed_fields_are_crypto_errors_without_deriving() {
        let (_, w) = shared_wrap();
        for bad in [
            WrappedKey {
                salt: "zz".into(),
                ..w.clone()
            },
            WrappedKey {
                nonce: w.nonce[..22].into(),
                ..w.clone()
            },
            WrappedKey {
                ciphertext: w.ciphertext[..64].into(),
                ..w.clone()
            },
        ] {
            let err = unwrap(&bad, PASSPHRASE, PURPOSE_PASSPHRASE.as_bytes()).unwrap_err();
            assert!(matches!(err, KeyError::Crypto), "{err:?}");
        }
    }

    #[test]
    fn wrapped_key_serializes_with_the_documented_fields() {
        let (_, w) = shared_wrap();
        let json = serde_json::to_value(w).unwrap();
        let obj = json.as_object().unwrap();
        let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["ciphertext", "iterations", "kdf", "nonce", "salt"]);
        let back: WrappedKey = serde_json::from_value(json).unwrap();
        assert_eq!(&back, w);
    }

    #[test]
    fn db_key_is_redacted_and_gives_a_raw_key_pragma() {
        let key = DbKey::from_bytes([0xab; 32]);
        assert_eq!(format!("{key:?}"), "DbKey(<redacted>)");
        let pragma = key.sqlcipher_pragma();
        assert_eq!(pragma, format!("x'{}'", "ab".repeat(32)));
        assert_eq!(pragma.len(), 67);

        let rng = SystemRandom::new();
        let a = DbKey::generate(&rng).unwrap();
        let b = DbKey::generate(&rng).unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn wipe_zeroes() {
        let mut bytes = [7u8; 40];
        wipe(&mut bytes);
        assert_eq!(bytes, [0u8; 40]);
        let mut s = String::from("secret");
        wipe_string(&mut s);
        assert_eq!(s, "\0\0\0\0\0\0");
    }

    #[test]
    fn recovery_code_shape() {
        let rng = SystemRandom::new();
        let code = RecoveryCode::generate(&rng).unwrap();
        let s = code.as_str();
        assert_eq!(s.len(), 39);
        let groups: Vec<&str> = s.split('-').collect();
        assert_eq!(groups.len(), 8);
        for g in groups {
            assert_eq!(g.len(), 4);
            assert!(g.bytes().all(|b| CROCKFORD.contains(&b)), "{g}");
        }
        assert_eq!(format!("{code:?}"), "RecoveryCode(<redacted>)");
        assert_ne!(
            RecoveryCode::generate(&rng).unwrap().as_str(),
            code.as_str()
        );
        // Its own canonical form parses back to itself.
        assert_eq!(RecoveryCode::parse(s).unwrap().as_str(), s);
    }

    #[test]
    fn crockford_encoding_is_big_endian_5_bit_groups() {
        assert_eq!(encode_crockford(&[0u8; 20]), "0".repeat(32));
        assert_eq!(encode_crockford(&[0xff; 20]), "Z".repeat(32));
        let mut one = [0u8; 20];
        one[19] = 1;
        assert_eq!(encode_crockford(&one), format!("{}1", "0".repeat(31)));
        let mut top = [0u8; 20];
        top[0] = 0b1000_0000;
        assert_eq!(encode_crockford(&top), format!("G{}", "0".repeat(31)));
    }

    #[test]
    fn recovery_code_parse_is_tolerant() {
        let canonical = "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYZ";
        for typed in [
            canonical,
            "7kq2-m9xd-a0b1-cdef-ghjk-mnpq-rstv-wxyz",
            "7KQ2M9XDA0B1CDEFGHJKMNPQRSTVWXYZ",
            "7KQ2 M9XD A0B1 CDEF GHJK MNPQ RSTV WXYZ",
            "  7kq2-m9xd a0b1cdef-ghjk--mnpq rstv-wxyz\n",
            "7KQ2-M9XD-AOBI-CDEF-GHJK-MNPQ-RSTV-WXYZ", // O→0, I→1
            "7KQ2-M9XD-AoBl-CDEF-GHJK-MNPQ-RSTV-WXYZ", // o→0, l→1
            "7KQ2-M9XD-A0BL-CDEF-GHJK-MNPQ-RSTV-WXYZ", // L→1
        ] {
            let code = RecoveryCode::parse(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(code.as_str(), canonical, "{typed}");
        }
    }

    #[test]
    fn recovery_code_parse_rejects() {
        for typed in [
            "",
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXY", // 31 chars
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYZ0", // 33 chars
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYU", // U is not Crockford
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXY!",
            "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYÉ",
            "correct horse battery staple",
        ] {
            let err = RecoveryCode::parse(typed).unwrap_err();
            assert!(matches!(err, KeyError::MalformedRecoveryCode), "{typed}");
            assert_eq!(err.code(), "malformed_recovery_code");
            let msg = err.to_string();
            assert!(
                msg.contains("32 letters and digits in 8 groups of 4"),
                "{msg}"
            );
        }
    }

    #[test]
    fn error_codes_are_distinct() {
        let errs = [
            KeyError::WrongSecret,
            KeyError::MalformedRecoveryCode,
            KeyError::UnsupportedKdf("x".into()),
            KeyError::Random,
            KeyError::Crypto,
            KeyError::HeaderAltered,
        ];
        let mut codes: Vec<_> = errs.iter().map(KeyError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errs.len());
    }
}
