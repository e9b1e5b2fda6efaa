//! Checking commit signatures: one rule, everywhere, in batches.
//!
//! A new workstation receives the whole practice, tens of thousands of commits, and checking
//! their Ed25519 signatures one by one was a quarter of the time it took. Checking many at
//! once with random linear combinations (ed25519-dalek's batch verification) costs about a
//! third as much per signature.
//!
//! Batch verification checks the *cofactored* equation `[8][s]B = [8]R + [8][k]A`, which
//! RFC 8032 allows; one-by-one checks in `ring` use the cofactorless one. The two can
//! disagree only on a signature its own signer built with a small-order part on purpose,
//! and two workstations must never disagree on whether a commit is valid, so every
//! commit signature in the engine (applying a peer's commits, applying one, `verify`) is
//! checked here, with the same rule, even a single one. A third party cannot change a valid
//! signature into another valid one: `s` must be canonical, and `R` is hashed into `k`.
//! Signing stays with `ring` (deterministic, as RFC 8032 says).

use ed25519_dalek::{Signature, VerifyingKey};

/// One signature to check: the signer's public key, the signed bytes, the signature.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub key: &'a [u8; 32],
    pub message: &'a [u8],
    pub signature: &'a [u8; 64],
}

/// Whether every item's signature is valid. Pass many at once: that is where it is fast.
pub fn all_valid(items: &[Item<'_>]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut keys = Vec::with_capacity(items.len());
    let mut messages = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    // A batch mostly holds one workstation's commits: decompress each key once.
    let mut last: Option<(&[u8; 32], VerifyingKey)> = None;
    for item in items {
        let key = match last {
            Some((bytes, key)) if bytes == item.key => key,
            _ => match VerifyingKey::from_bytes(item.key) {
                Ok(key) => {
                    last = Some((item.key, key));
                    key
                }
                Err(_) => return false,
            },
        };
        keys.push(key);
        messages.push(item.message);
        signatures.push(Signature::from_bytes(item.signature));
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// Which items' signatures are valid, in order. When the whole batch passes (the usual
/// case) this costs one batch check; otherwise the failing ones are found by halving.
pub fn each_valid(items: &[Item<'_>]) -> Vec<bool> {
    let mut out = vec![false; items.len()];
    mark(items, &mut out);
    out
}

fn mark(items: &[Item<'_>], out: &mut [bool]) {
    if all_valid(items) {
        out.fill(true);
    } else if items.len() > 1 {
        let half = items.len() / 2;
        let (a, b) = out.split_at_mut(half);
        mark(&items[..half], a);
        mark(&items[half..], b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn signer(seed: u8) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("seed")
    }

    struct Owned {
        key: [u8; 32],
        message: Vec<u8>,
        signature: [u8; 64],
    }

    fn signed(seed: u8, message: &[u8]) -> Owned {
        let kp = signer(seed);
        Owned {
            key: kp.public_key().as_ref().try_into().expect("32"),
            message: message.to_vec(),
            signature: kp.sign(message).as_ref().try_into().expect("64"),
        }
    }

    fn items(v: &[Owned]) -> Vec<Item<'_>> {
        v.iter()
            .map(|o| Item {
                key: &o.key,
                message: &o.message,
                signature: &o.signature,
            })
            .collect()
    }

    #[test]
    fn ring_signatures_pass_and_each_kind_of_tampering_is_found_in_its_place() {
        let mut v: Vec<Owned> = (0..40u8).map(|i| signed(i % 3, &[i; 100])).collect();
        assert!(all_valid(&items(&v)));
        assert_eq!(each_valid(&items(&v)), vec![true; 40]);
        v[3].message[0] ^= 1; // a changed body
        v[17].signature[5] ^= 1; // a changed R
        v[20].signature[40] ^= 1; // a changed s
        v[31].key = signed(9, b"x").key; // another signer's key
        assert!(!all_valid(&items(&v)));
        let each = each_valid(&items(&v));
        let bad: Vec<usize> = (0..40).filter(|&i| !each[i]).collect();
        assert_eq!(bad, vec![3, 17, 20, 31]);
    }

    #[test]
    fn a_non_canonical_s_is_refused_even_though_it_satisfies_the_equation() {
        // s + l is the same scalar as s, so the equation holds; RFC 8032 says refuse it.
        let mut o = signed(1, b"body");
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (byte, add) in o.signature[32..].iter_mut().zip(l) {
            let sum = *byte as u16 + add as u16 + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "s + l still fits in 32 bytes");
        assert!(!all_valid(&items(std::slice::from_ref(&o))));
    }

    #[test]
    fn a_key_that_is_not_a_point_fails_instead_of_panicking() {
        let mut o = signed(2, b"body");
        // y = 2 is not on the curve.
        o.key = [0; 32];
        o.key[0] = 2;
        assert_eq!(each_valid(&items(std::slice::from_ref(&o))), vec![false]);
        assert!(all_valid(&[]));
    }
}
