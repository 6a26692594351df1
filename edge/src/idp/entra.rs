//! Microsoft 365 tenant verification: the connector's code flow at the
//! `organizations` authority (so an admin of another tenant is caught, not
//! hidden), then the ID token: signature against the tenant's JWKS, issuer
//! `{authority}/{tid}/v2.0`, audience, nonce, lifetime; `tid` must be the
//! backup set's tenant and `wids` must hold Global Administrator or
//! Privileged Role Administrator (a token without `wids` is refused as
//! such: the connector's manifest does not ask for directory roles).
//!
//! The admin consent of Manage KMS runs at the vault's cloud's authority
//! with that cloud's connector ([`crate::azure::cloud`]); the backup sets'
//! tenant verification at the public cloud's.

use keyswitch_shared::entra::has_consent_role;
use keyswitch_shared::{CatalogError, Cloud, TenantId};
use serde_json::Value;
use worker::Env;

use super::{CodeClient, ExchangeError, Started};
use crate::azure::cloud;
use crate::config;
use crate::error::{EdgeError, chain};
use crate::jwt::{self, Expect, JwtError};

fn authority(env: &Env, cloud: Cloud) -> Result<String, EdgeError> {
    Ok(cloud::authority(env, cloud)?
        .as_str()
        .trim_end_matches('/')
        .to_owned())
}

fn client(env: &Env, cloud: Cloud) -> Result<CodeClient, EdgeError> {
    let base = authority(env, cloud)?;
    super::client(
        &cloud::client_id(env, cloud)?,
        cloud::client_secret(env, cloud)?,
        &format!("{base}/organizations/oauth2/v2.0/authorize"),
        &format!("{base}/organizations/oauth2/v2.0/token"),
        config::url_var(env, config::CONSENT_REDIRECT_URI)?.as_str(),
    )
}

/// The sign-in URL for verifying a tenant.
pub fn start(env: &Env, state: String) -> Result<Started, EdgeError> {
    super::authorize(
        &client(env, Cloud::Public)?,
        state,
        &["openid", "profile"],
        &[("prompt", "select_account")],
    )
}

/// The admin-consent sign-in of Manage KMS: the same code flow (PKCE,
/// nonce) with `prompt=admin_consent`, at `cloud`'s authority with its
/// connector, so the admin grants the connector's consent and proves who
/// they are in one step.
pub fn start_consent(env: &Env, cloud: Cloud, state: String) -> Result<Started, EdgeError> {
    super::authorize(
        &client(env, cloud)?,
        state,
        &["openid", "profile"],
        &[("prompt", "admin_consent")],
    )
}

fn unavailable() -> CatalogError {
    CatalogError::AzureUnavailable
}

/// A configuration error, logged with the var it names; the admin sees
/// "internal".
pub(super) fn misconfigured(e: &EdgeError) -> CatalogError {
    worker::console_error!("tenant verification: {}", chain(e));
    CatalogError::Internal
}

/// Redeems the code and proves an admin of `expected`; returns who signed
/// in (their `preferred_username`).
pub async fn finish(
    env: &Env,
    expected: &TenantId,
    code: String,
    pkce_verifier: String,
    nonce: &str,
    now: i64,
) -> Result<String, CatalogError> {
    let (_, who) = prove_admin(
        env,
        Cloud::Public,
        Some(expected),
        SignedIn {
            code,
            pkce_verifier,
            nonce,
        },
        now,
        CatalogError::TenantVerifiedWithoutRole,
    )
    .await?;
    Ok(who)
}

/// Redeems the admin-consent sign-in's code (at `cloud`'s authority) and
/// proves an admin of the tenant the ID token names; returns that tenant and
/// who signed in.
pub async fn finish_consent(
    env: &Env,
    cloud: Cloud,
    code: String,
    pkce_verifier: String,
    nonce: &str,
    now: i64,
) -> Result<(TenantId, String), CatalogError> {
    let signed_in = SignedIn {
        code,
        pkce_verifier,
        nonce,
    };
    prove_admin(
        env,
        cloud,
        None,
        signed_in,
        now,
        CatalogError::ConsentUserLacksRole,
    )
    .await
}

/// A finished sign-in: its code, PKCE verifier and nonce.
struct SignedIn<'a> {
    code: String,
    pkce_verifier: String,
    nonce: &'a str,
}

fn mismatch(expected: &TenantId, tid: &str) -> CatalogError {
    let found: String = tid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    CatalogError::TenantMismatch {
        expected: expected.as_str().to_owned(),
        found,
    }
}

/// The code exchange and the ID token's proof: signature against the keys
/// of its tenant (`expected`, or the token's own `tid` when none is
/// expected), issuer `{authority}/{tid}/v2.0`, audience, nonce, lifetime;
/// then `tid` equals `expected` (when given) and `wids` holds Global
/// Administrator or Privileged Role Administrator (else `without_role`).
async fn prove_admin(
    env: &Env,
    cloud: Cloud,
    expected: Option<&TenantId>,
    signed_in: SignedIn<'_>,
    now: i64,
    without_role: CatalogError,
) -> Result<(TenantId, String), CatalogError> {
    let client = client(env, cloud).map_err(|e| misconfigured(&e))?;
    let base = authority(env, cloud).map_err(|e| misconfigured(&e))?;
    let client_id = cloud::client_id(env, cloud).map_err(|e| misconfigured(&e))?;
    let tokens = super::exchange(&client, signed_in.code, signed_in.pkce_verifier)
        .await
        .map_err(|e| match e {
            ExchangeError::Refused(error) => CatalogError::EntraRejected { error },
            ExchangeError::Unavailable => unavailable(),
        })?;
    let bad_token = || CatalogError::UnexpectedAnswer {
        service: "Microsoft Entra ID".into(),
    };
    let id_token = tokens.id_token.ok_or_else(bad_token)?;
    // Whose keys sign it: the expected tenant's, or those of the tenant the
    // token names (a tenant id, so only a GUID goes into the URL; the
    // signature and issuer checks below decide whether it is true).
    let key_tenant = match expected {
        Some(t) => t.clone(),
        None => jwt::unverified_claim(&id_token, "tid")
            .and_then(|tid| tid.parse::<TenantId>().ok())
            .ok_or_else(bad_token)?,
    };
    let jwks_url = format!("{base}/{}/discovery/v2.0/keys", key_tenant.as_str());
    let issuer_ok = |iss: &str, claims: &Value| {
        claims["tid"]
            .as_str()
            .is_some_and(|tid| iss == format!("{base}/{tid}/v2.0"))
    };
    let claims = jwt::verify(
        &id_token,
        &Expect {
            jwks_url: &jwks_url,
            issuer_ok: &issuer_ok,
            audience: &client_id,
            nonce: Some(signed_in.nonce),
            now,
        },
    )
    .await
    .map_err(|e| {
        worker::console_warn!("Microsoft ID token refused: {}", chain(&e));
        match e {
            JwtError::KeysUnavailable(_) => unavailable(),
            JwtError::Invalid(fault) => CatalogError::IdTokenRefused {
                service: "Microsoft Entra ID".into(),
                fault,
            },
        }
    })?;
    let tid = claims["tid"].as_str().unwrap_or_default();
    if !tid.eq_ignore_ascii_case(key_tenant.as_str()) {
        return Err(mismatch(&key_tenant, tid));
    }
    // No `wids` at all: the roles are unknown, not missing (Entra sends
    // them only when the app manifest's groupMembershipClaims asks).
    let Some(wids) = claims["wids"].as_array() else {
        worker::console_warn!(
            "Microsoft ID token without wids: the connector's app manifest does not set groupMembershipClaims"
        );
        return Err(CatalogError::IdTokenWithoutRoles);
    };
    let wids: Vec<&str> = wids.iter().filter_map(Value::as_str).collect();
    if !has_consent_role(&wids) {
        return Err(without_role);
    }
    let who = claims["preferred_username"]
        .as_str()
        .or_else(|| claims["oid"].as_str())
        .unwrap_or("unknown")
        .chars()
        .take(120)
        .collect();
    Ok((key_tenant, who))
}
