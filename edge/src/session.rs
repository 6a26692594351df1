//! Console sessions: RS256 JWTs signed by the host product (RedApp), verified
//! against its JWKS, and the role rule of Manage KMS.

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyswitch_shared::{CatalogError, CompanyId};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use worker::{Env, Fetch, Request};

use crate::config;
use crate::error::EdgeError;

/// Issuer RedApp puts in its sessions.
const ISSUER: &str = "redapp";
/// Audience of sessions meant for keyswitch.
const AUDIENCE: &str = "keyswitch";
/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY_SECS: i64 = 60;
/// How long fetched signing keys are trusted before refetching.
const JWKS_TTL_MS: u64 = 5 * 60 * 1000;
/// An unknown `kid` refetches the JWKS at most this often.
const JWKS_REFETCH_MIN_MS: u64 = 10 * 1000;
/// Longest token accepted (bytes), to bound work on hostile input.
const MAX_TOKEN_LEN: usize = 8192;

/// Who is calling: the verified claims of the session (no token kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Actor {
    /// RedApp's user id.
    pub sub: String,
    /// Display name.
    pub name: String,
    /// Role in RedApp.
    pub role: String,
    /// Companies the role applies to.
    pub companies: Vec<String>,
}

impl Actor {
    /// Whether this actor may read and change `company`'s KMS settings:
    /// a Partner Admin for one of their companies, or a Company Admin for
    /// their own (exactly one) company.
    pub fn may_manage(&self, company: &CompanyId) -> bool {
        let listed = self.companies.iter().any(|c| c == company.as_str());
        match self.role.as_str() {
            "partner_admin" => listed,
            "company_admin" => listed && self.companies.len() == 1,
            _ => false,
        }
    }

    /// Refuses with 403 unless [`Actor::may_manage`].
    pub fn authorise(&self, company: &CompanyId) -> Result<(), EdgeError> {
        if self.may_manage(company) {
            Ok(())
        } else {
            Err(CatalogError::ForbiddenRole.into())
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    aud: Audience,
    sub: String,
    #[serde(default)]
    name: String,
    role: String,
    #[serde(default)]
    companies: Vec<String>,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
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

struct CachedJwks {
    keys: Vec<Jwk>,
    fetched_at_ms: u64,
}

thread_local! {
    static JWKS: RefCell<Option<CachedJwks>> = const { RefCell::new(None) };
}

fn not_signed_in() -> EdgeError {
    CatalogError::NotSignedIn.into()
}

/// Verifies the request's `Authorization: Bearer` session and returns who is
/// calling. Any flaw (missing, malformed, bad signature, wrong issuer or
/// audience, expired, not yet valid) is a 401 without details.
pub async fn authenticate(req: &Request, env: &Env) -> Result<Actor, EdgeError> {
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .ok_or_else(not_signed_in)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(not_signed_in)?;
    verify(token, env, now_secs()).await
}

/// Verifies a session token at `now` (Unix seconds).
async fn verify(token: &str, env: &Env, now: i64) -> Result<Actor, EdgeError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(not_signed_in());
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_signed_in());
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| not_signed_in());
    let header: Header = serde_json::from_slice(&decode(h64)?).map_err(|_| not_signed_in())?;
    if header.alg != "RS256" {
        return Err(not_signed_in());
    }
    let signature = decode(s64)?;
    let key = signing_key(env, header.kid.as_deref()).await?;
    let signature = Signature::try_from(signature.as_slice()).map_err(|_| not_signed_in())?;
    let signed = &token[..h64.len() + 1 + c64.len()];
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| not_signed_in())?;

    let claims: Claims = serde_json::from_slice(&decode(c64)?).map_err(|_| not_signed_in())?;
    let audience_ok = match &claims.aud {
        Audience::One(a) => a == AUDIENCE,
        Audience::Many(list) => list.iter().any(|a| a == AUDIENCE),
    };
    let time_ok = claims.exp + LEEWAY_SECS > now
        && claims.nbf.is_none_or(|nbf| nbf - LEEWAY_SECS <= now)
        && claims.iat.is_none_or(|iat| iat - LEEWAY_SECS <= now);
    if claims.iss != ISSUER || !audience_ok || !time_ok || claims.sub.is_empty() {
        return Err(not_signed_in());
    }
    Ok(Actor {
        sub: claims.sub,
        name: claims.name,
        role: claims.role,
        companies: claims.companies,
    })
}

/// The RSA key for `kid` from RedApp's JWKS (cached; refetched on expiry or
/// on an unknown `kid`, at most every few seconds).
async fn signing_key(env: &Env, kid: Option<&str>) -> Result<VerifyingKey<Sha256>, EdgeError> {
    let now = worker::Date::now().as_millis();
    let cached = JWKS.with(|c| {
        c.borrow().as_ref().and_then(|j| {
            let fresh = now.saturating_sub(j.fetched_at_ms) < JWKS_TTL_MS;
            fresh.then(|| (find_key(&j.keys, kid), j.fetched_at_ms))
        })
    });
    let key = match cached {
        Some((Some(key), _)) => key,
        Some((None, fetched)) if now.saturating_sub(fetched) < JWKS_REFETCH_MIN_MS => {
            return Err(not_signed_in());
        }
        _ => {
            let keys = fetch_jwks(env).await?;
            let found = find_key(&keys, kid);
            JWKS.with(|c| {
                *c.borrow_mut() = Some(CachedJwks {
                    keys,
                    fetched_at_ms: now,
                });
            });
            found.ok_or_else(not_signed_in)?
        }
    };
    let n = URL_SAFE_NO_PAD
        .decode(key.n.as_deref().unwrap_or_default())
        .map_err(|_| not_signed_in())?;
    let e = URL_SAFE_NO_PAD
        .decode(key.e.as_deref().unwrap_or_default())
        .map_err(|_| not_signed_in())?;
    let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
        .map_err(|_| not_signed_in())?;
    Ok(VerifyingKey::<Sha256>::new(public))
}

fn find_key(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    keys.iter()
        .filter(|k| k.kty == "RSA" && k.use_.as_deref().is_none_or(|u| u == "sig"))
        .find(|k| kid.is_none() || k.kid.as_deref() == kid)
        .cloned()
}

async fn fetch_jwks(env: &Env) -> Result<Vec<Jwk>, EdgeError> {
    let url = config::url_var(env, config::REDAPP_SESSION_JWKS_URL)?;
    let mut resp = Fetch::Url(url).send().await.map_err(|e| {
        worker::console_error!("session JWKS unreachable: {e}");
        not_signed_in()
    })?;
    if resp.status_code() != 200 {
        worker::console_error!("session JWKS answered {}", resp.status_code());
        return Err(not_signed_in());
    }
    let jwks: Jwks = resp.json().await.map_err(|_| not_signed_in())?;
    Ok(jwks.keys)
}

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    i64::try_from(worker::Date::now().as_millis() / 1000).unwrap_or(i64::MAX)
}

// Temporary bridge until the session yields `keyswitch_shared::Actor` itself
// (the edge stream replaces this struct); the company model records the
// shared type.
impl From<Actor> for keyswitch_shared::Actor {
    fn from(a: Actor) -> Self {
        let role = serde_json::from_value(serde_json::Value::String(a.role))
            .unwrap_or(keyswitch_shared::Role::Other);
        Self {
            sub: a.sub,
            name: a.name,
            role,
            companies: a.companies,
        }
    }
}
