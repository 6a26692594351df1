//! The platform's WebCrypto (`crypto.subtle`; BoringSSL under workerd) for
//! the public-key work the edge does: RS256 signature verification of the
//! tokens it accepts (sessions, ID tokens) and RSA-OAEP-256 wrapping. In
//! workerd these run natively, about two orders of magnitude faster than
//! the wasm build of RustCrypto's big-number code (`scripts/bench` measures
//! both). The edge itself wraps nothing with RSA (Key Vault and AWS KMS
//! wrap remotely), so RSA-OAEP-256 and AES-256-GCM are compiled only into
//! the benchmark build (cargo feature `bench`), which compares them with
//! RustCrypto; the edge keeps RustCrypto's synchronous AES-256-GCM
//! (`crate::crypto`) — see README, Benchmarks, for the figures behind that.
//!
//! Errors never carry key material, inputs or the platform's message.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// Why a WebCrypto step failed.
#[derive(Debug, thiserror::Error)]
pub enum WebCryptoError {
    /// The runtime has no `crypto.subtle`.
    #[error("WebCrypto is not available in this runtime")]
    Unavailable,
    /// The platform refused the step (a malformed key or input, or a wrong
    /// key or binding for a decryption).
    #[error("WebCrypto refused to {0}")]
    Refused(&'static str),
}

fn subtle() -> Result<SubtleCrypto, WebCryptoError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|c| c.is_object())
        .ok_or(WebCryptoError::Unavailable)?;
    Ok(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

/// A plain object with these properties (an algorithm or a JWK).
fn object(props: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in props {
        // Setting a property of a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn usages(what: &str) -> JsValue {
    Array::of1(&JsValue::from_str(what)).into()
}

async fn settle(
    promise: Result<js_sys::Promise, JsValue>,
    what: &'static str,
) -> Result<JsValue, WebCryptoError> {
    let promise = promise.map_err(|_| WebCryptoError::Refused(what))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| WebCryptoError::Refused(what))
}

/// Imports `data` (`format`: `jwk`, `spki` or `raw`) as a key for
/// `algorithm`, usable only for `usage`, never extractable.
async fn import(
    format: &str,
    data: &Object,
    algorithm: &[(&str, JsValue)],
    usage: &str,
    what: &'static str,
) -> Result<CryptoKey, WebCryptoError> {
    let key = settle(
        subtle()?.import_key_with_object(format, data, &object(algorithm), false, &usages(usage)),
        what,
    )
    .await?;
    Ok(key.unchecked_into())
}

const RS256: [(&str, &str); 2] = [("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")];

fn rs256_algorithm() -> [(&'static str, JsValue); 2] {
    RS256.map(|(k, v)| (k, JsValue::from_str(v)))
}

#[cfg(feature = "bench")]
fn bytes(value: &JsValue) -> Vec<u8> {
    js_sys::Uint8Array::new(value).to_vec()
}

/// An RSA public key for RS256 verification from a JWK's `n` and `e`
/// (base64url, as a JWKS gives them).
pub async fn rs256_key(n_b64url: &str, e_b64url: &str) -> Result<CryptoKey, WebCryptoError> {
    let jwk = object(&[
        ("kty", "RSA".into()),
        ("n", n_b64url.into()),
        ("e", e_b64url.into()),
        ("alg", "RS256".into()),
        ("ext", true.into()),
    ]);
    import(
        "jwk",
        &jwk,
        &rs256_algorithm(),
        "verify",
        "import the RS256 key",
    )
    .await
}

#[cfg(feature = "bench")]
/// An RSA public key (SubjectPublicKeyInfo, DER) for RS256 verification.
pub async fn rs256_key_spki(der: &[u8]) -> Result<CryptoKey, WebCryptoError> {
    let data = js_sys::Uint8Array::from(der);
    import(
        "spki",
        &data,
        &rs256_algorithm(),
        "verify",
        "import the RS256 key",
    )
    .await
}

/// Whether `signature` is `key`'s RS256 signature of `signed`.
pub async fn rs256_verify(
    key: &CryptoKey,
    signed: &[u8],
    signature: &[u8],
) -> Result<bool, WebCryptoError> {
    let ok = settle(
        subtle()?.verify_with_str_and_u8_array_and_u8_array(
            "RSASSA-PKCS1-v1_5",
            key,
            signature,
            signed,
        ),
        "verify an RS256 signature",
    )
    .await?;
    Ok(ok.as_bool() == Some(true))
}

#[cfg(feature = "bench")]
/// An RSA public key (SubjectPublicKeyInfo, DER) for RSA-OAEP with SHA-256.
pub async fn oaep256_key(der: &[u8]) -> Result<CryptoKey, WebCryptoError> {
    let alg = [("name", "RSA-OAEP".into()), ("hash", "SHA-256".into())];
    let data = js_sys::Uint8Array::from(der);
    import("spki", &data, &alg, "encrypt", "import the RSA-OAEP key").await
}

#[cfg(feature = "bench")]
/// Wraps `plaintext` (a key) with RSA-OAEP-256 under `key`.
pub async fn oaep256_wrap(key: &CryptoKey, plaintext: &[u8]) -> Result<Vec<u8>, WebCryptoError> {
    let alg = object(&[("name", "RSA-OAEP".into())]);
    let wrapped = settle(
        subtle()?.encrypt_with_object_and_u8_array(&alg, key, plaintext),
        "wrap with RSA-OAEP-256",
    )
    .await?;
    Ok(bytes(&wrapped))
}

#[cfg(feature = "bench")]
/// Imports a raw 256-bit key for AES-GCM decryption (kept by the caller).
pub async fn aes256gcm_key(key: &[u8; 32]) -> Result<CryptoKey, WebCryptoError> {
    let raw = js_sys::Uint8Array::from(key.as_slice());
    let alg = [("name", JsValue::from_str("AES-GCM"))];
    let imported = import("raw", &raw, &alg, "decrypt", "import the AES key").await;
    // The key's bytes do not stay in the JS heap longer than the import.
    raw.fill(0, 0, 32);
    imported
}

#[cfg(feature = "bench")]
/// Opens AES-256-GCM `ciphertext` (with its 16-byte tag) under an imported
/// `key`, bound to `aad`.
pub async fn aes256gcm_open_with(
    key: &CryptoKey,
    nonce: &[u8; 12],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, WebCryptoError> {
    let alg = object(&[
        ("name", "AES-GCM".into()),
        ("iv", js_sys::Uint8Array::from(nonce.as_slice()).into()),
        ("additionalData", js_sys::Uint8Array::from(aad).into()),
        ("tagLength", 128.into()),
    ]);
    let plain = settle(
        subtle()?.decrypt_with_object_and_u8_array(&alg, key, ciphertext),
        "open AES-256-GCM",
    )
    .await?;
    Ok(bytes(&plain))
}

#[cfg(feature = "bench")]
/// Opens AES-256-GCM `ciphertext` (with its 16-byte tag) under the raw
/// 256-bit `key`, bound to `aad`: the key is imported for this one call,
/// as a request would.
pub async fn aes256gcm_open(
    key: &[u8; 32],
    nonce: &[u8; 12],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, WebCryptoError> {
    let key = aes256gcm_key(key).await?;
    aes256gcm_open_with(&key, nonce, ciphertext, aad).await
}
