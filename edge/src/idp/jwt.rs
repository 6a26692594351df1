//! RS256 ID tokens checked against a JWKS: signature, issuer, audience,
//! nonce and lifetime. Keys are cached per JWKS URL for a few minutes.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use worker::{Method, Request, RequestInit};

/// Clock skew tolerated, seconds.
const LEEWAY_SECS: i64 = 120;
/// How long fetched keys are trusted.
const JWKS_TTL_MS: u64 = 5 * 60 * 1000;
/// Longest token accepted.
const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Deserialize, Clone)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, (Vec<Jwk>, u64)>> = RefCell::new(HashMap::new());
}

/// Why an ID token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    /// The signing keys could not be fetched.
    KeysUnavailable,
    /// Malformed, bad signature, wrong issuer/audience/nonce, or expired.
    Invalid,
}

async fn keys(jwks_url: &str, refresh: bool) -> Result<Vec<Jwk>, JwtError> {
    let now = worker::Date::now().as_millis();
    if !refresh
        && let Some(keys) = CACHE.with(|c| {
            c.borrow()
                .get(jwks_url)
                .filter(|(_, at)| now.saturating_sub(*at) < JWKS_TTL_MS)
                .map(|(k, _)| k.clone())
        })
    {
        return Ok(keys);
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let req = Request::new_with_init(jwks_url, &init).map_err(|_| JwtError::KeysUnavailable)?;
    let (status, _, body) = super::fetch_bytes(req)
        .await
        .ok_or(JwtError::KeysUnavailable)?;
    if status != 200 {
        return Err(JwtError::KeysUnavailable);
    }
    let jwks: Jwks = serde_json::from_slice(&body).map_err(|_| JwtError::KeysUnavailable)?;
    CACHE.with(|c| {
        c.borrow_mut()
            .insert(jwks_url.to_owned(), (jwks.keys.clone(), now));
    });
    Ok(jwks.keys)
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey<Sha256>> {
    let n = URL_SAFE_NO_PAD.decode(jwk.n.as_deref()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e.as_deref()?).ok()?;
    let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()?;
    Some(VerifyingKey::<Sha256>::new(public))
}

/// What the token must say.
pub struct Expect<'a> {
    /// The JWKS URL of the issuer.
    pub jwks_url: &'a str,
    /// Decides whether `iss` is acceptable, given the claims.
    pub issuer_ok: &'a dyn Fn(&str, &Value) -> bool,
    /// The client id (`aud`).
    pub audience: &'a str,
    /// The nonce sent in the authorization request.
    pub nonce: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
}

/// Verifies `token` and returns its claims.
pub async fn verify(token: &str, expect: &Expect<'_>) -> Result<Value, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Invalid);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Invalid);
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Invalid);
    let header: Header = serde_json::from_slice(&decode(h64)?).map_err(|_| JwtError::Invalid)?;
    if header.alg != "RS256" {
        return Err(JwtError::Invalid);
    }
    let signature = Signature::try_from(decode(s64)?.as_slice()).map_err(|_| JwtError::Invalid)?;
    let signed = &token[..h64.len() + 1 + c64.len()];
    let find = |keys: &[Jwk]| {
        keys.iter()
            .filter(|k| k.kty == "RSA")
            .find(|k| header.kid.is_none() || k.kid == header.kid)
            .and_then(verifying_key)
    };
    let key = match find(&keys(expect.jwks_url, false).await?) {
        Some(k) => k,
        // A rotated key: fetch once more.
        None => find(&keys(expect.jwks_url, true).await?).ok_or(JwtError::Invalid)?,
    };
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| JwtError::Invalid)?;
    let claims: Value = serde_json::from_slice(&decode(c64)?).map_err(|_| JwtError::Invalid)?;
    let iss = claims["iss"].as_str().unwrap_or_default();
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a == expect.audience,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    let nonce_ok = claims["nonce"].as_str().is_some_and(|n| {
        use subtle::ConstantTimeEq;
        n.len() == expect.nonce.len() && bool::from(n.as_bytes().ct_eq(expect.nonce.as_bytes()))
    });
    let exp_ok = claims["exp"]
        .as_i64()
        .is_some_and(|exp| exp + LEEWAY_SECS > expect.now);
    let nbf_ok = claims["nbf"]
        .as_i64()
        .is_none_or(|nbf| nbf - LEEWAY_SECS <= expect.now);
    if !(expect.issuer_ok)(iss, &claims) || !aud_ok || !nonce_ok || !exp_ok || !nbf_ok {
        return Err(JwtError::Invalid);
    }
    Ok(claims)
}
