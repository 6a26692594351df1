//! Key material of a vault as the model handles it: the vault key itself
//! (in memory only, never stored in the clear), the vault key wrapped by an
//! Azure key together with the kid that wrapped it, and a key Key Vault
//! unwrapped, before it is checked.

use crate::ids::KeyId;

/// A vault key: 256 bits that protect the data keys of one vault's items.
///
/// `Debug` prints `VaultKey([redacted])`; not `Serialize`; compared in
/// constant time.
#[derive(Clone)]
pub struct VaultKey([u8; 32]);

impl VaultKey {
    /// The key from exactly 32 bytes.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The key's bytes.
    ///
    /// **Warning:** only to wrap or seal it, or to seal and open data keys
    /// with it. Never log it or send it anywhere else.
    #[must_use]
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for VaultKey {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for VaultKey {}

impl core::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("VaultKey([redacted])")
    }
}

/// What Key Vault answered to an unwrap: plaintext bytes, not yet known to
/// be a vault key. `Debug` redacts them.
pub struct Unwrapped(pub Vec<u8>);

impl core::fmt::Debug for Unwrapped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Unwrapped([{} bytes redacted])", self.0.len())
    }
}

/// A vault key wrapped by an Azure key, with the versioned kid Key Vault
/// wrapped it with: always unwrap with exactly that kid. The two are only
/// ever recorded together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedVaultKey {
    kid: KeyId,
    wrapped: Vec<u8>,
}

impl WrappedVaultKey {
    /// A wrap answer: `kid` must be a version of `key` (the versionless key
    /// that was asked to wrap).
    #[must_use]
    pub fn from_answer(key: &KeyId, kid: KeyId, wrapped: Vec<u8>) -> Option<Self> {
        (kid.version().is_some() && kid.versionless().same_as(&key.versionless()))
            .then_some(Self { kid, wrapped })
    }

    /// A stored pair (read back from storage): the kid must be versioned.
    pub(super) fn stored(kid: KeyId, wrapped: Vec<u8>) -> Option<Self> {
        kid.version().is_some().then_some(Self { kid, wrapped })
    }

    /// The versioned kid to unwrap with.
    #[must_use]
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The wrapped bytes.
    #[must_use]
    pub fn wrapped(&self) -> &[u8] {
        &self.wrapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_keys_are_redacted_and_32_bytes() {
        assert!(VaultKey::from_bytes(&[1; 31]).is_none());
        let k = VaultKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "VaultKey([redacted])");
        assert_eq!(k, VaultKey::from_bytes(&[7; 32]).unwrap());
        assert_ne!(k, VaultKey::from_bytes(&[8; 32]).unwrap());
        assert_eq!(
            format!("{:?}", Unwrapped(vec![7; 32])),
            "Unwrapped([32 bytes redacted])"
        );
    }

    #[test]
    fn a_wrap_answer_must_name_a_version_of_the_key() {
        let key: KeyId = "https://contoso.vault.azure.net/keys/k".parse().unwrap();
        let kid: KeyId = "https://contoso.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef"
            .parse()
            .unwrap();
        let other: KeyId =
            "https://contoso.vault.azure.net/keys/j/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        assert!(WrappedVaultKey::from_answer(&key, kid.clone(), vec![1]).is_some());
        assert!(WrappedVaultKey::from_answer(&key, key.clone(), vec![1]).is_none());
        assert!(WrappedVaultKey::from_answer(&key, other, vec![1]).is_none());
    }
}
