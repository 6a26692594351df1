//! Microsoft 365 tenant verification: the connector's code flow at the
//! `organizations` authority (so an admin of another tenant is caught, not
//! hidden), then the ID token: signature against the tenant's JWKS, issuer
//! `{authority}/{tid}/v2.0`, audience, nonce, lifetime; `tid` must be the
//! backup set's tenant and `wids` must hold Global Administrator or
//! Privileged Role Administrator.

use keyswitch_shared::entra::has_consent_role;
use keyswitch_shared::{CatalogError, TenantId};
use serde_json::Value;
use worker::Env;

use super::{CodeClient, ExchangeError, Started};
use crate::config;
use crate::error::{EdgeError, chain};
use crate::jwt::{self, Expect, JwtError};

fn authority(env: &Env) -> Result<String, EdgeError> {
    Ok(config::var(env, config::ENTRA_AUTHORITY)?
        .trim()
        .trim_end_matches('/')
        .to_owned())
}

fn client(env: &Env) -> Result<CodeClient, EdgeError> {
    let base = authority(env)?;
    super::client(
        &config::var(env, config::CONNECTOR_CLIENT_ID)?,
        config::secret(env, config::CONNECTOR_CLIENT_SECRET)?,
        &format!("{base}/organizations/oauth2/v2.0/authorize"),
        &format!("{base}/organizations/oauth2/v2.0/token"),
        config::url_var(env, config::CONSENT_REDIRECT_URI)?.as_str(),
    )
}

/// The sign-in URL for verifying a tenant.
pub fn start(env: &Env, state: String) -> Result<Started, EdgeError> {
    super::authorize(
        &client(env)?,
        state,
        &["openid", "profile"],
        &[("prompt", "select_account")],
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
    let client = client(env).map_err(|e| misconfigured(&e))?;
    let base = authority(env).map_err(|e| misconfigured(&e))?;
    let client_id = config::var(env, config::CONNECTOR_CLIENT_ID).map_err(|e| misconfigured(&e))?;
    let tokens = super::exchange(&client, code, pkce_verifier)
        .await
        .map_err(|e| match e {
            ExchangeError::Refused(error) => CatalogError::EntraRejected { error },
            ExchangeError::Unavailable => unavailable(),
        })?;
    let id_token = tokens
        .id_token
        .ok_or_else(|| CatalogError::UnexpectedAnswer {
            service: "Microsoft Entra ID".into(),
        })?;
    let jwks_url = format!("{base}/{}/discovery/v2.0/keys", expected.as_str());
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
            nonce: Some(nonce),
            now,
        },
    )
    .await
    .map_err(|e| {
        worker::console_warn!("Microsoft ID token refused: {}", chain(&e));
        match e {
            JwtError::KeysUnavailable(_) => unavailable(),
            JwtError::Invalid(_) => CatalogError::UnexpectedAnswer {
                service: "Microsoft Entra ID".into(),
            },
        }
    })?;
    let tid = claims["tid"].as_str().unwrap_or_default();
    if !tid.eq_ignore_ascii_case(expected.as_str()) {
        let found: String = tid
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        return Err(CatalogError::TenantMismatch {
            expected: expected.as_str().to_owned(),
            found,
        });
    }
    let wids: Vec<&str> = claims["wids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !has_consent_role(&wids) {
        return Err(CatalogError::TenantVerifiedWithoutRole);
    }
    Ok(claims["preferred_username"]
        .as_str()
        .or_else(|| claims["oid"].as_str())
        .unwrap_or("unknown")
        .chars()
        .take(120)
        .collect())
}
