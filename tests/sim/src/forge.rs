//! RSA key material: generated lazily, shared process-wide, optionally cached on disk.
//!
//! Generating a 4096-bit key takes seconds, so seeded keys are named by a
//! stable label, generated in the background after start-up (or on first
//! use) and, with `--state-dir`, stored as PKCS#8 PEM so restarts are quick.
//! A reset to the seed reuses the same material.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::util::{b64url, lock};

/// One RSA key pair, produced on first use.
pub struct LazyRsa {
    label: String,
    bits: usize,
    cache: Option<PathBuf>,
    cell: OnceLock<Option<RsaPrivateKey>>,
}

impl std::fmt::Debug for LazyRsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazyRsa({}, {} bits, [redacted])", self.label, self.bits)
    }
}

impl LazyRsa {
    /// Key size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The private key, generating (or loading) it if needed. Blocking: call
    /// from `spawn_blocking` unless [`LazyRsa::ready`] is true.
    pub fn get(&self) -> Option<&RsaPrivateKey> {
        self.cell.get_or_init(|| self.load_or_generate()).as_ref()
    }

    /// True once the material exists (no blocking needed).
    pub fn ready(&self) -> bool {
        self.cell.get().is_some()
    }

    fn load_or_generate(&self) -> Option<RsaPrivateKey> {
        if let Some(path) = &self.cache
            && let Ok(pem) = std::fs::read_to_string(path)
            && let Ok(key) = RsaPrivateKey::from_pkcs8_pem(&pem)
            && key.size() * 8 == self.bits
        {
            return Some(key);
        }
        let mut rng = rand::rngs::OsRng;
        let key = match RsaPrivateKey::new(&mut rng, self.bits) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(label = %self.label, error = %e, "RSA key generation failed");
                return None;
            }
        };
        if let Some(path) = &self.cache
            && let Ok(pem) = key.to_pkcs8_pem(LineEnding::LF)
        {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(path, pem.as_bytes());
        }
        Some(key)
    }
}

/// Waits for a key off the async runtime when it still has to be generated.
pub async fn materialize(key: Arc<LazyRsa>) -> Option<RsaPrivateKey> {
    if key.ready() {
        return key.get().cloned();
    }
    tokio::task::spawn_blocking(move || key.get().cloned())
        .await
        .ok()
        .flatten()
}

/// The public modulus and exponent as base64url (JWK `n`, `e`).
pub fn jwk_parts(key: &RsaPublicKey) -> (String, String) {
    (
        b64url(&key.n().to_bytes_be()),
        b64url(&key.e().to_bytes_be()),
    )
}

struct Forge {
    dir: Option<PathBuf>,
    keys: HashMap<String, Arc<LazyRsa>>,
}

fn forge() -> &'static Mutex<Forge> {
    static FORGE: OnceLock<Mutex<Forge>> = OnceLock::new();
    FORGE.get_or_init(|| {
        Mutex::new(Forge {
            dir: None,
            keys: HashMap::new(),
        })
    })
}

/// Sets the folder where stable keys are cached (first caller wins).
pub fn set_state_dir(dir: Option<&Path>) {
    let mut f = lock(forge());
    if f.dir.is_none() {
        f.dir = dir.map(|d| d.join("keys"));
    }
}

/// The key for a stable `label` (seeded objects, signing keys): the same
/// material every time it is asked for in this process (and across restarts
/// with a state dir).
pub fn stable(label: &str, bits: usize) -> Arc<LazyRsa> {
    let mut f = lock(forge());
    let id = format!("{label}#{bits}");
    if let Some(k) = f.keys.get(&id) {
        return Arc::clone(k);
    }
    let file: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cache = f.dir.as_ref().map(|d| d.join(format!("{file}.pem")));
    let key = Arc::new(LazyRsa {
        label: label.to_owned(),
        bits,
        cache,
        cell: OnceLock::new(),
    });
    f.keys.insert(id, Arc::clone(&key));
    key
}

/// A fresh key that is never cached (rotations, keys made at run time).
pub fn fresh(bits: usize) -> Arc<LazyRsa> {
    Arc::new(LazyRsa {
        label: format!("fresh-{}", crate::util::guid()),
        bits,
        cache: None,
        cell: OnceLock::new(),
    })
}

/// Generates every not-yet-ready key in `keys` on `threads` background threads.
pub fn warm(keys: Vec<Arc<LazyRsa>>, threads: usize) {
    let queue = Arc::new(Mutex::new(keys));
    for _ in 0..threads.max(1) {
        let q = Arc::clone(&queue);
        std::thread::spawn(move || {
            loop {
                let next = lock(&q).pop();
                match next {
                    Some(k) => {
                        let _ = k.get();
                    }
                    None => break,
                }
            }
        });
    }
}
