//! Console sessions: RS256 JWTs signed by the host product (RedApp), checked
//! by the one verifier ([`crate::jwt`]) against RedApp's JWKS. A session
//! yields the shared [`Actor`] (with its typed [`keyswitch_shared::Role`]).

use keyswitch_shared::{Actor, CatalogError, CompanyId, Role};
use serde::Deserialize;
use serde_json::Value;
use worker::{Env, Request};

use crate::clock::now_secs;
use crate::config;
use crate::error::{EdgeError, chain};
use crate::jwt::{self, Expect, JwtError};

/// Issuer RedApp puts in its sessions.
const ISSUER: &str = "redapp";
/// Audience of sessions meant for keyswitch.
const AUDIENCE: &str = "keyswitch";

/// The claims keyswitch reads from a verified session.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    name: String,
    role: Role,
    #[serde(default)]
    companies: Vec<String>,
    /// When the holder last signed in to RedApp (Unix seconds, OIDC's
    /// `auth_time`); RedApp keeps it across session renewals.
    #[serde(default)]
    auth_time: Option<i64>,
}

/// A verified session: who, and when they last signed in.
pub struct Session {
    /// Who is calling.
    pub actor: Actor,
    /// The session's `auth_time` (Unix seconds), if it carries one.
    pub auth_time: Option<i64>,
}

fn not_signed_in() -> EdgeError {
    CatalogError::NotSignedIn.into()
}

/// Verifies the request's `Authorization: Bearer` session and returns who is
/// calling. Any flaw (missing, malformed, bad signature, wrong issuer or
/// audience, expired, not yet valid) is a 401 without details.
pub async fn authenticate(req: &Request, env: &Env) -> Result<Actor, EdgeError> {
    Ok(session(req, env).await?.actor)
}

/// [`authenticate`], with the session's `auth_time` (for steps that need a
/// recent sign-in: the model decides how recent).
pub async fn session(req: &Request, env: &Env) -> Result<Session, EdgeError> {
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
    let jwks_url = config::url_var(env, config::REDAPP_SESSION_JWKS_URL)?;
    let claims = jwt::verify(
        token,
        &Expect {
            jwks_url: jwks_url.as_str(),
            issuer_ok: &|iss: &str, _: &Value| iss == ISSUER,
            audience: AUDIENCE,
            nonce: None,
            now: now_secs(),
        },
    )
    .await
    .map_err(|e| {
        if let JwtError::KeysUnavailable(cause) = &e {
            worker::console_error!("session keys unavailable: {}", chain(cause));
        }
        not_signed_in()
    })?;
    let claims: Claims = serde_json::from_value(claims).map_err(|_| not_signed_in())?;
    if claims.sub.is_empty() {
        return Err(not_signed_in());
    }
    Ok(Session {
        actor: Actor {
            sub: claims.sub,
            name: claims.name,
            role: claims.role,
            companies: claims.companies,
        },
        auth_time: claims.auth_time,
    })
}

/// Refuses with 403 unless `actor` may manage `company`'s KMS settings.
pub fn authorise(actor: &Actor, company: &CompanyId) -> Result<(), EdgeError> {
    if actor.may_manage_company(company.as_str()) {
        Ok(())
    } else {
        Err(CatalogError::ForbiddenRole.into())
    }
}
