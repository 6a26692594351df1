//! The one RS256 JWT verifier: RedApp's console sessions and the ID tokens
//! of tenant verification (Microsoft, Google). Signature (by the platform's
//! WebCrypto, [`crate::webcrypto`]) against the
//! issuer's JWKS (cached per URL; an unknown `kid` refetches, at most every
//! few seconds), then issuer, audience, nonce and lifetime. A signature is
//! verified once per token per isolate ([`VerifiedTokens`]); the claims on
//! every call.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyswitch_shared::id_token::IdTokenFault;
use keyswitch_shared::verified_tokens::{Digest, VerifiedTokens};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::now_ms;
use crate::http::{Call, HttpError};
use crate::webcrypto;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 60;
/// How long fetched signing keys are trusted before refetching.
const JWKS_TTL_MS: u64 = 5 * 60 * 1000;
/// An unknown `kid` refetches the JWKS at most this often.
const JWKS_REFETCH_MIN_MS: u64 = 10 * 1000;
/// Smallest and largest RSA modulus accepted for a signing key (bytes:
/// 2048 and 4096 bits).
const MIN_MODULUS_BYTES: usize = 256;
const MAX_MODULUS_BYTES: usize = 512;
/// Longest token accepted (bytes), to bound work on hostile input.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The issuer's signing keys could not be fetched.
    #[error("the signing keys could not be fetched")]
    KeysUnavailable(#[source] KeysError),
    /// Malformed, bad signature, wrong issuer, audience or nonce, expired or
    /// not yet valid: which check failed (never the token).
    #[error("the token is not valid: {}", .0.code())]
    Invalid(IdTokenFault),
}

/// Why the JWKS could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// No answer.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// An answer other than 200.
    #[error("the JWKS answered {0}")]
    Status(u16),
    /// A 200 whose body is not a JWKS.
    #[error("the JWKS answer is not a key set")]
    Parse(#[from] serde_json::Error),
}

#[derive(Deserialize, Clone)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
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

struct Cached {
    keys: Vec<Jwk>,
    fetched_at_ms: u64,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Cached>> = RefCell::new(HashMap::new());
    /// Tokens whose signature this isolate verified (bounded; see [`remember`]).
    static VERIFIED: RefCell<VerifiedTokens> = RefCell::new(VerifiedTokens::default());
}

/// What the token must say.
pub struct Expect<'a> {
    /// The issuer's JWKS URL.
    pub jwks_url: &'a str,
    /// Decides whether `iss` is acceptable, given all the claims.
    pub issuer_ok: &'a dyn Fn(&str, &Value) -> bool,
    /// The audience (`aud`, one of a list).
    pub audience: &'a str,
    /// The nonce sent in the authorization request, for an ID token.
    pub nonce: Option<&'a str>,
    /// Now, Unix seconds.
    pub now: i64,
}

async fn fetch(jwks_url: &str) -> Result<Vec<Jwk>, KeysError> {
    let answer = Call::get(jwks_url)
        .follow_redirects()
        .header("Accept", "application/json")
        .send()
        .await?;
    if answer.status != 200 {
        return Err(KeysError::Status(answer.status));
    }
    Ok(answer.json::<Jwks>()?.keys)
}

fn find(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    keys.iter()
        .filter(|k| k.kty == "RSA" && k.use_.as_deref().is_none_or(|u| u == "sig"))
        .find(|k| kid.is_none() || k.kid.as_deref() == kid)
        .cloned()
}

/// The key for `kid`: from the cache while it is fresh, else fetched (an
/// unknown `kid` refetches unless the keys were fetched moments ago).
async fn signing_key(jwks_url: &str, kid: Option<&str>) -> Result<Jwk, JwtError> {
    let now = now_ms();
    let cached = CACHE.with(|c| {
        c.borrow().get(jwks_url).and_then(|j| {
            let fresh = now.saturating_sub(j.fetched_at_ms) < JWKS_TTL_MS;
            fresh.then(|| (find(&j.keys, kid), j.fetched_at_ms))
        })
    });
    match cached {
        Some((Some(jwk), _)) => Ok(jwk),
        Some((None, fetched)) if now.saturating_sub(fetched) < JWKS_REFETCH_MIN_MS => {
            Err(JwtError::Invalid(IdTokenFault::UnknownKey))
        }
        _ => {
            let keys = fetch(jwks_url).await.map_err(JwtError::KeysUnavailable)?;
            let found = find(&keys, kid);
            CACHE.with(|c| {
                c.borrow_mut().insert(
                    jwks_url.to_owned(),
                    Cached {
                        keys,
                        fetched_at_ms: now,
                    },
                );
            });
            found.ok_or(JwtError::Invalid(IdTokenFault::UnknownKey))
        }
    }
}

/// Checks `signature` over `signed` with `jwk`, through the platform's
/// WebCrypto (RSASSA-PKCS1-v1_5, SHA-256). The key must be RSA of 2048 to
/// 4096 bits and the signature as long as its modulus.
async fn check_signature(jwk: &Jwk, signed: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    let bad_key = || JwtError::Invalid(IdTokenFault::UnknownKey);
    let (Some(n), Some(e)) = (jwk.n.as_deref(), jwk.e.as_deref()) else {
        return Err(bad_key());
    };
    let modulus = URL_SAFE_NO_PAD.decode(n).map_err(|_| bad_key())?;
    let exponent = URL_SAFE_NO_PAD.decode(e).map_err(|_| bad_key())?;
    let modulus_len = modulus.iter().skip_while(|b| **b == 0).count();
    if !(MIN_MODULUS_BYTES..=MAX_MODULUS_BYTES).contains(&modulus_len)
        || exponent.iter().all(|b| *b == 0)
    {
        return Err(bad_key());
    }
    if signature.len() != modulus_len {
        return Err(JwtError::Invalid(IdTokenFault::Signature));
    }
    let key = webcrypto::rs256_key(n, e).await.map_err(|_| bad_key())?;
    let valid = webcrypto::rs256_verify(&key, signed, signature)
        .await
        .map_err(|_| JwtError::Invalid(IdTokenFault::Signature))?;
    if valid {
        Ok(())
    } else {
        Err(JwtError::Invalid(IdTokenFault::Signature))
    }
}

/// One claim of a token that is NOT verified yet, as text: only to choose
/// where the keys that verify it come from. Never a decision input.
pub fn unverified_claim(token: &str, name: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let claims = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    claims[name].as_str().map(str::to_owned)
}

/// Verifies `token` (RS256 only) and returns its claims.
pub async fn verify(token: &str, expect: &Expect<'_>) -> Result<Value, JwtError> {
    let malformed = || JwtError::Invalid(IdTokenFault::Malformed);
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed());
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| malformed());
    let header: Header = serde_json::from_slice(&decode(h64)?).map_err(|_| malformed())?;
    if header.alg != "RS256" {
        return Err(JwtError::Invalid(IdTokenFault::Algorithm));
    }
    let signature = decode(s64)?;
    // A token whose signature this isolate already verified against the
    // same JWKS is not verified again (its claims are, below, every time).
    let digest = token_digest(expect.jwks_url, token);
    let now = now_ms();
    let known = VERIFIED.with(|v| v.borrow_mut().holds(&digest, now));
    if !known {
        let jwk = signing_key(expect.jwks_url, header.kid.as_deref()).await?;
        let signed = &token[..h64.len() + 1 + c64.len()];
        check_signature(&jwk, signed.as_bytes(), &signature).await?;
    }
    let claims: Value = serde_json::from_slice(&decode(c64)?).map_err(|_| malformed())?;
    check_claims(&claims, expect)?;
    if !known {
        remember(digest, &claims, now);
    }
    Ok(claims)
}

/// Names a token verified against `jwks_url`: SHA-256 over both (the URL
/// first, length-prefixed), so a token verified for one issuer's keys
/// never counts for another's.
fn token_digest(jwks_url: &str, token: &str) -> Digest {
    let mut h = Sha256::new();
    h.update(
        u64::try_from(jwks_url.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    h.update(jwks_url.as_bytes());
    h.update(token.as_bytes());
    h.finalize().into()
}

/// Remembers a verified token until it expires (`exp` plus the leeway) or
/// until the keys that verified it would be refetched, whichever is first:
/// a key withdrawn from the JWKS stops counting as soon as it would without
/// this cache.
fn remember(digest: Digest, claims: &Value, now: u64) {
    let Some(exp) = claims["exp"].as_i64() else {
        return;
    };
    let exp_ms = u64::try_from(exp.saturating_add(LEEWAY_SECS))
        .unwrap_or(0)
        .saturating_mul(1000);
    let until = exp_ms.min(now.saturating_add(JWKS_TTL_MS));
    VERIFIED.with(|v| v.borrow_mut().insert(digest, until, now));
}

/// Issuer, audience, nonce and lifetime of verified claims.
fn check_claims(claims: &Value, expect: &Expect<'_>) -> Result<(), JwtError> {
    let iss = claims["iss"].as_str().unwrap_or_default();
    if !(expect.issuer_ok)(iss, claims) {
        return Err(JwtError::Invalid(IdTokenFault::Issuer));
    }
    let audience_ok = match &claims["aud"] {
        Value::String(a) => a == expect.audience,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(JwtError::Invalid(IdTokenFault::Audience));
    }
    if let Some(nonce) = expect.nonce {
        let same = claims["nonce"].as_str().is_some_and(|n| {
            n.len() == nonce.len() && bool::from(n.as_bytes().ct_eq(nonce.as_bytes()))
        });
        if !same {
            return Err(JwtError::Invalid(IdTokenFault::Nonce));
        }
    }
    let now = expect.now;
    let time = |name: &str| claims[name].as_i64();
    if time("exp").is_none_or(|exp| exp.saturating_add(LEEWAY_SECS) <= now) {
        return Err(JwtError::Invalid(IdTokenFault::Expired));
    }
    let started = |name: &str| time(name).is_none_or(|t| t.saturating_sub(LEEWAY_SECS) <= now);
    if !(started("nbf") && started("iat")) {
        return Err(JwtError::Invalid(IdTokenFault::NotYetValid));
    }
    Ok(())
}
