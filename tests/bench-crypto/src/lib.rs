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

/// A 2048-bit RSA public key (SubjectPublicKeyInfo, DER), the size of
/// RedApp's and Microsoft's token signing keys; made once with `openssl
/// genpkey`, its private half discarded after signing [`RS256_SIGNED`].
pub const RS256_PUBLIC_DER: &[u8] = include_bytes!("bench_rs256_pub.der");
/// A JWS signing input (`header.claims`).
pub const RS256_SIGNED: &[u8] = include_bytes!("bench_rs256.msg");
/// Its RS256 signature (`openssl dgst -sha256 -sign`).
pub const RS256_SIGNATURE: &[u8] = include_bytes!("bench_rs256.sig");

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

/// The data key the AES loops seal and open.
pub const DATA_KEY: [u8; 32] = [0x5a; 32];
/// The key that seals it (a company key).
pub const KEK: [u8; 32] = [0xa5; 32];
/// The AES-GCM nonce.
pub const NONCE: [u8; 12] = [7; 12];
/// The binding (additional authenticated data).
pub const AAD: &[u8] = b"keyswitch-bench";

/// [`DATA_KEY`] sealed under [`KEK`] (ciphertext and tag, without the
/// nonce), as the AES loops open it.
pub fn sealed_data_key() -> Result<Vec<u8>, BenchError> {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&KEK))
        .encrypt(
            Nonce::from_slice(&NONCE),
            Payload {
                msg: &DATA_KEY,
                aad: AAD,
            },
        )
        .map_err(|_| BenchError::Crypto)
}

/// Verifies the RS256 signature of [`RS256_SIGNED`] `n` times with
/// RustCrypto (PKCS#1 v1.5, SHA-256), as the edge verifies a token.
pub fn rs256_verify_loop(n: u32) -> Result<u32, BenchError> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let key =
        RsaPublicKey::from_public_key_der(RS256_PUBLIC_DER).map_err(|_| BenchError::BadKey)?;
    let key = VerifyingKey::<Sha256>::new(key);
    let signature = Signature::try_from(RS256_SIGNATURE).map_err(|_| BenchError::Crypto)?;
    for _ in 0..n {
        key.verify(std::hint::black_box(RS256_SIGNED), &signature)
            .map_err(|_| BenchError::Crypto)?;
    }
    Ok(n)
}

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
    let nonce = Nonce::from_slice(&NONCE);
    let sealed = sealed_data_key()?;
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

/// The message sizes of the per-size AES-256-GCM comparison: a data key (what
/// the envelope API opens per request), then 1 KiB, 16 KiB and 1 MiB, where a
/// call's fixed cost (an async WebCrypto round trip, a key schedule) stops
/// hiding the cipher's own speed.
pub const AES_SIZES: [usize; 4] = [32, 1024, 16 * 1024, 1024 * 1024];

/// A `size`-byte message sealed under [`KEK`] with [`NONCE`] and [`AAD`]
/// (ciphertext and tag, without the nonce).
pub fn sealed_message(size: usize) -> Result<Vec<u8>, BenchError> {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&KEK))
        .encrypt(
            Nonce::from_slice(&NONCE),
            Payload {
                msg: &vec![0x3c; size],
                aad: AAD,
            },
        )
        .map_err(|_| BenchError::Crypto)
}

/// Opens `sealed` (from [`sealed_message`]) `n` times with the key schedule
/// made once, as WebCrypto with a kept `CryptoKey` and `openssl speed` do;
/// returns `n` on success.
pub fn aes_gcm_open_loop(sealed: &[u8], n: u32) -> Result<u32, BenchError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&KEK));
    let nonce = Nonce::from_slice(&NONCE);
    let mut sink = 0u8;
    for _ in 0..n {
        let plain = cipher
            .decrypt(
                nonce,
                Payload {
                    msg: std::hint::black_box(sealed),
                    aad: AAD,
                },
            )
            .map_err(|_| BenchError::Crypto)?;
        sink ^= plain.last().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// How many operations of a `size`-byte message make about `bytes` bytes
/// (at least one, at most `cap`).
#[must_use]
pub fn ops_for(size: usize, bytes: usize, cap: u32) -> u32 {
    u32::try_from((bytes / size.max(1)).max(1)).map_or(cap, |n| n.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_run() {
        assert_eq!(rsa_oaep256_wrap_loop(RSA4096_PUBLIC_DER, 2), Ok(2));
        assert_eq!(aes_gcm_decrypt_loop(3), Ok(3));
        assert_eq!(rsa_oaep256_wrap_loop(b"nope", 1), Err(BenchError::BadKey));
        assert_eq!(rs256_verify_loop(2), Ok(2));
        for size in AES_SIZES {
            let sealed = sealed_message(size).expect("seal");
            assert_eq!(sealed.len(), size + 16);
            assert_eq!(aes_gcm_open_loop(&sealed, 2), Ok(2));
        }
    }

    #[test]
    fn a_changed_byte_fails_the_sized_open() {
        let mut sealed = sealed_message(1024).expect("seal");
        sealed[100] ^= 1;
        assert_eq!(aes_gcm_open_loop(&sealed, 1), Err(BenchError::Crypto));
    }

    #[test]
    fn ops_for_is_bounded() {
        assert_eq!(ops_for(1024, 1 << 20, 100_000), 1024);
        assert_eq!(ops_for(1 << 20, 1024, 100_000), 1);
        assert_eq!(ops_for(32, 1 << 30, 500), 500);
    }

    #[test]
    fn the_rs256_vector_fails_when_a_byte_changes() {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        use rsa::signature::Verifier;
        let key = VerifyingKey::<Sha256>::new(
            RsaPublicKey::from_public_key_der(RS256_PUBLIC_DER).expect("the vector key"),
        );
        let signature = Signature::try_from(RS256_SIGNATURE).expect("the vector signature");
        let mut signed = RS256_SIGNED.to_vec();
        assert!(key.verify(&signed, &signature).is_ok());
        signed[0] ^= 1;
        assert!(key.verify(&signed, &signature).is_err());
    }
}
