//! Password hashes: PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's figure for it),
//! stored as `pbkdf2-sha256$iterations$salt$hash` so the cost can rise later.

use std::num::NonZeroU32;

use ring::pbkdf2;

use crate::clock::IdSource;

pub const ITERATIONS: u32 = 600_000;

pub fn hash(password: &str, ids: &dyn IdSource) -> String {
    let mut salt = [0u8; 16];
    ids.fill(&mut salt);
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(ITERATIONS).expect("non-zero"),
        &salt,
        password.as_bytes(),
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
    if *scheme != "pbkdf2-sha256" || iters < ITERATIONS {
        return false;
    }
    let Some(n) = NonZeroU32::new(iters) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
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
}
