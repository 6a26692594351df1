//! Bounded crypto loops for `scripts/bench`: the same functions run natively
//! (`bench-crypto-native`) and inside the worker (`GET /api/bench/crypto`, only
//! with `BENCH_ROUTES=enabled`), so their ratio is the cost of wasm in workerd.
//!
//! Inputs are deterministic: a fixed 4096-bit public key, a fixed data key,
//! a seeded ChaCha20 RNG for the OAEP padding.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use sha2::Sha256;

/// A 4096-bit RSA public key (SubjectPublicKeyInfo, DER), made once with
/// `openssl genpkey`; its private half was never kept.
pub const RSA4096_PUBLIC_DER: &[u8] = include_bytes!("bench_rsa4096_pub.der");

/// Why a loop could not run.
#[derive(Debug, PartialEq, Eq)]
pub enum BenchError {
    /// The public key is not a DER SubjectPublicKeyInfo RSA key.
    BadKey,
    /// Encryption or decryption failed (never expected with these inputs).
    Crypto,
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadKey => f.write_str("the benchmark public key does not parse"),
            Self::Crypto => f.write_str("a benchmark crypto operation failed"),
        }
    }
}

impl std::error::Error for BenchError {}

const DATA_KEY: [u8; 32] = [0x5a; 32];
const KEK: [u8; 32] = [0xa5; 32];
const NONCE: [u8; 12] = [7; 12];
const AAD: &[u8] = b"keyswitch-bench";

/// Wraps a 32-byte data key `n` times with RSA-OAEP (SHA-256) under
/// `pubkey_der`; returns how many wraps completed (always `n` on success).
pub fn rsa_oaep256_wrap_loop(pubkey_der: &[u8], n: u32) -> Result<u32, BenchError> {
    let key = RsaPublicKey::from_public_key_der(pubkey_der).map_err(|_| BenchError::BadKey)?;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut sink = 0u8;
    for _ in 0..n {
        let wrapped = key
            .encrypt(&mut rng, Oaep::new::<Sha256>(), &DATA_KEY)
            .map_err(|_| BenchError::Crypto)?;
        // Keep the result observable so the loop cannot be optimised away.
        sink ^= wrapped.first().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// Decrypts an AES-256-GCM sealed 32-byte data key (with AAD) `n` times, as
/// the envelope API's decrypt does once per request; returns `n` on success.
pub fn aes_gcm_decrypt_loop(n: u32) -> Result<u32, BenchError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&KEK));
    let nonce = Nonce::from_slice(&NONCE);
    let sealed = cipher
        .encrypt(
            nonce,
            Payload {
                msg: &DATA_KEY,
                aad: AAD,
            },
        )
        .map_err(|_| BenchError::Crypto)?;
    let mut sink = 0u8;
    for _ in 0..n {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(std::hint::black_box(&KEK)));
        let plain = cipher
            .decrypt(
                nonce,
                Payload {
                    msg: std::hint::black_box(&sealed),
                    aad: AAD,
                },
            )
            .map_err(|_| BenchError::Crypto)?;
        sink ^= plain.first().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_run() {
        assert_eq!(rsa_oaep256_wrap_loop(RSA4096_PUBLIC_DER, 2), Ok(2));
        assert_eq!(aes_gcm_decrypt_loop(3), Ok(3));
        assert_eq!(rsa_oaep256_wrap_loop(b"nope", 1), Err(BenchError::BadKey));
    }
}
