//! This workstation's signing identity.

use ring::signature::{Ed25519KeyPair, KeyPair};

use super::commit::device_id;

/// The Ed25519 key a workstation signs its commits with. Created at `init`, kept inside
/// the encrypted database, never replicated.
pub struct DeviceKey {
    pair: Ed25519KeyPair,
    seed: [u8; 32],
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", hex::encode(&self.id()[..8]))
    }
}

impl DeviceKey {
    /// A key from 32 secret bytes (taken from the passed-in id source, so tests and demo
    /// practices can be deterministic).
    pub fn from_seed(seed: [u8; 32]) -> Result<DeviceKey, ring::error::Unspecified> {
        let pair =
            Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| ring::error::Unspecified)?;
        Ok(DeviceKey { pair, seed })
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(self.pair.public_key().as_ref());
        pk
    }

    pub fn id(&self) -> [u8; 32] {
        device_id(&self.public_key())
    }

    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let mut sig = [0u8; 64];
        sig.copy_from_slice(self.pair.sign(msg).as_ref());
        sig
    }
}
