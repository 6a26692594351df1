//! RS256 JSON Web Tokens signed with RustCrypto's `rsa` (PKCS#1 v1.5 + SHA-256).

use rsa::RsaPrivateKey;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::forge::jwk_parts;
use crate::util::{b64_decode_tolerant, b64url};

/// The key id published in JWKS for a signing key (a thumbprint of `n`).
pub fn key_id(key: &RsaPrivateKey) -> String {
    let (n, _) = jwk_parts(&key.to_public_key());
    let digest = Sha256::digest(n.as_bytes());
    b64url(&digest[..20])
}

/// A JWKS entry for `key`.
pub fn jwk(key: &RsaPrivateKey, extra: &[(&str, Value)]) -> Value {
    let (n, e) = jwk_parts(&key.to_public_key());
    let kid = key_id(key);
    let mut v = json!({"kty": "RSA", "use": "sig", "kid": kid, "n": n, "e": e});
    if let Value::Object(map) = &mut v {
        for (k, val) in extra {
            map.insert((*k).to_owned(), val.clone());
        }
    }
    v
}

/// Signs `claims` as a compact RS256 JWT.
pub fn sign(key: &RsaPrivateKey, claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": key_id(key)});
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signer = SigningKey::<Sha256>::new(key.clone());
    let sig = signer.sign(input.as_bytes());
    format!("{input}.{}", b64url(&sig.to_bytes()))
}

/// Verifies an RS256 JWT signed by `key` and returns its claims. Does not
/// check time or audience; callers do.
pub fn verify(key: &RsaPrivateKey, token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64_decode_tolerant(h)?).ok()?;
    if header.get("alg")?.as_str()? != "RS256" {
        return None;
    }
    let sig = Signature::try_from(b64_decode_tolerant(s)?.as_slice()).ok()?;
    let verifier = VerifyingKey::<Sha256>::new(key.to_public_key());
    verifier.verify(format!("{h}.{c}").as_bytes(), &sig).ok()?;
    serde_json::from_slice(&b64_decode_tolerant(c)?).ok()
}

/// Decodes the claims of a JWT without checking the signature (tests, logs of shape only).
pub fn peek(token: &str) -> Option<Value> {
    let c = token.split('.').nth(1)?;
    serde_json::from_slice(&b64_decode_tolerant(c)?).ok()
}
