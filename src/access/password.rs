//! Password hashes: PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's figure for it),
//! stored as `pbkdf2-sha256$iterations$salt$hash` so the cost can rise later.

use std::num::NonZeroU32;

use ring::pbkdf2;

use crate::clock::IdSource;

pub const ITERATIONS: u32 = 600_000;

/// The most iterations a stored hash may ask for. Hashes replicate between workstations, so
/// a hash naming `u32::MAX` iterations would otherwise hang every login on that account;
/// ten times today's cost leaves years of room to raise it.
pub const MAX_ITERATIONS: u32 = 6_000_000;

/// The password as bytes to hash: Unicode NFC, so that "café" typed with a composed é on
/// one system and a decomposed one on another is the same password.
fn normalized(password: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    password.nfc().collect()
}

pub fn hash(password: &str, ids: &dyn IdSource) -> String {
    let mut salt = [0u8; 16];
    ids.fill(&mut salt);
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(ITERATIONS).expect("non-zero"),
        &salt,
        normalized(password).as_bytes(),
        &mut out,
    );
    format!(
        "pbkdf2-sha256${ITERATIONS}${}${}",
        hex::encode(salt),
        hex::encode(out)
    )
}

/// Constant-time check of a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iters, salt, hash] = parts.as_slice() else {
        return false;
    };
    let (Ok(iters), Ok(salt), Ok(hash)) =
        (iters.parse::<u32>(), hex::decode(salt), hex::decode(hash))
    else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" || !(ITERATIONS..=MAX_ITERATIONS).contains(&iters) {
        return false;
    }
    let Some(n) = NonZeroU32::new(iters) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        normalized(password).as_bytes(),
        &hash,
    )
    .is_ok()
}

/// The minimum a password must meet before it is accepted.
pub fn acceptable(password: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("passwords need at least 10 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededIds;

    #[test]
    fn verifies_the_right_password_only() {
        let h = hash("correct horse battery", &SeededIds::new(1));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "garbage"));
        assert!(h.starts_with("pbkdf2-sha256$600000$"));
    }

    #[test]
    fn a_hash_asking_for_too_many_iterations_is_refused_at_once() {
        let h = hash("correct horse battery", &SeededIds::new(1));
        let parts: Vec<&str> = h.split('$').collect();
        let greedy = format!("pbkdf2-sha256${}${}${}", u32::MAX, parts[2], parts[3]);
        // Refused before any hashing: before the bound, this call ran for hours.
        assert!(!verify("correct horse battery", &greedy));
    }

    #[test]
    fn composed_and_decomposed_accents_are_the_same_password() {
        let composed = "caf\u{e9} au lait!";
        let decomposed = "cafe\u{301} au lait!";
        assert_ne!(composed, decomposed);
        let h = hash(composed, &SeededIds::new(2));
        assert!(verify(decomposed, &h));
    }
}
