//! RSA wrap/unwrap with RustCrypto (`rsa` OAEP SHA-256 / SHA-1, PKCS#1 v1.5).

use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};
use sha1::Sha1;
use sha2::Sha256;

/// Supported key-encryption algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256.
    RsaOaep256,
    /// RSA-OAEP with SHA-1 and MGF1-SHA-1.
    RsaOaep,
    /// RSAES-PKCS1-v1_5.
    Rsa15,
}

impl Alg {
    /// Parses the JWA name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RSA-OAEP-256" => Some(Alg::RsaOaep256),
            "RSA-OAEP" => Some(Alg::RsaOaep),
            "RSA1_5" => Some(Alg::Rsa15),
            _ => None,
        }
    }

    /// Is it one of the OAEP algorithms?
    pub fn oaep(self) -> bool {
        matches!(self, Alg::RsaOaep256 | Alg::RsaOaep)
    }
}

/// Encrypts `data` with the public half of `key`.
pub fn encrypt(key: &RsaPrivateKey, alg: Alg, data: &[u8]) -> Result<Vec<u8>, rsa::Error> {
    let public = key.to_public_key();
    let mut rng = rand::rngs::OsRng;
    match alg {
        Alg::RsaOaep256 => public.encrypt(&mut rng, Oaep::new::<Sha256>(), data),
        Alg::RsaOaep => public.encrypt(&mut rng, Oaep::new::<Sha1>(), data),
        Alg::Rsa15 => public.encrypt(&mut rng, Pkcs1v15Encrypt, data),
    }
}

/// Decrypts `data` with `key` (blinded).
pub fn decrypt(key: &RsaPrivateKey, alg: Alg, data: &[u8]) -> Result<Vec<u8>, rsa::Error> {
    let mut rng = rand::rngs::OsRng;
    match alg {
        Alg::RsaOaep256 => key.decrypt_blinded(&mut rng, Oaep::new::<Sha256>(), data),
        Alg::RsaOaep => key.decrypt_blinded(&mut rng, Oaep::new::<Sha1>(), data),
        Alg::Rsa15 => key.decrypt_blinded(&mut rng, Pkcs1v15Encrypt, data),
    }
}
