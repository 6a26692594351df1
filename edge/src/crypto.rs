//! Symmetric envelope primitives (AES-256-GCM from RustCrypto).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::EdgeError;

/// Why a cryptographic step failed. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The platform's random generator failed.
    #[error("the random generator failed: {0}")]
    Random(getrandom::Error),
    /// AES-256-GCM refused the data: wrong key, wrong binding (AAD), or the
    /// stored blob is corrupt.
    #[error("AES-256-GCM could not open the data (wrong key, wrong binding or corrupt)")]
    Aead,
    /// Stored or configured material does not have the expected shape.
    #[error("{0} is malformed")]
    Malformed(&'static str),
}

/// A 256-bit key: the platform key, a company key or a data key. Never printed.
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl From<getrandom::Error> for CryptoError {
    fn from(e: getrandom::Error) -> Self {
        Self::Random(e)
    }
}

impl SecretKey {
    /// A fresh random key from the platform's CSPRNG.
    pub fn generate() -> Result<Self, EdgeError> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(CryptoError::from)?;
        Ok(Self(k))
    }

    /// Decodes a base64 key (as the platform key is configured).
    pub fn from_base64(b64: &str) -> Result<Self, EdgeError> {
        let bytes = STANDARD
            .decode(b64.trim())
            .map_err(|_| EdgeError::Config("PLATFORM_KEY"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| EdgeError::Config("PLATFORM_KEY"))?;
        Ok(Self(arr))
    }

    /// Seals `plaintext` as `nonce || ciphertext+tag`, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, EdgeError> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(CryptoError::from)?;
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                aes_gcm::aead::Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Aead)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`SecretKey::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, EdgeError> {
        if sealed.len() < 12 + 16 {
            return Err(CryptoError::Malformed("a sealed blob").into());
        }
        let (nonce, ct) = sealed.split_at(12);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload { msg: ct, aad },
            )
            .map_err(|_| CryptoError::Aead.into())
    }

    /// A key from exactly 32 bytes (an unwrapped company key).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EdgeError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::Malformed("a 256-bit key"))?;
        Ok(Self(arr))
    }

    /// Whether `other` holds the same key, compared in constant time.
    pub fn same_as(&self, other: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_slice().ct_eq(other).into()
    }

    /// The raw key bytes, for wrapping.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}
