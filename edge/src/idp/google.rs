//! Google Workspace verification: code flow with PKCE, the ID token checked
//! against Google's keys, then the Directory API: the signed-in user must be
//! a Super Admin (`isAdmin`; a delegated admin is refused) of the backed-up
//! customer (`customerId`, and `customers/my_customer` agrees).

use keyswitch_shared::google::{
    GoogleCustomer, GoogleDirectoryUser, check_google_super_admin, map_google_directory_error,
};
use keyswitch_shared::{CatalogError, GoogleCustomerId};
use worker::Env;

use super::entra::misconfigured;
use super::{CodeClient, ExchangeError, Started};
use crate::config;
use crate::error::{EdgeError, chain};
use crate::http::Call;
use crate::jwt::{self, Expect, JwtError};

fn client(env: &Env) -> Result<CodeClient, EdgeError> {
    super::client(
        &config::var(env, config::GOOGLE_CLIENT_ID)?,
        config::secret(env, config::GOOGLE_CLIENT_SECRET)?,
        &config::var(env, config::GOOGLE_AUTH_URL)?,
        &config::var(env, config::GOOGLE_TOKEN_URL)?,
        config::url_var(env, config::CONSENT_REDIRECT_URI)?.as_str(),
    )
}

/// The sign-in URL for verifying a Workspace customer.
pub fn start(env: &Env, state: String) -> Result<Started, EdgeError> {
    super::authorize(
        &client(env)?,
        state,
        &[
            "openid",
            "email",
            "https://www.googleapis.com/auth/admin.directory.user.readonly",
            "https://www.googleapis.com/auth/admin.directory.customer.readonly",
        ],
        &[("prompt", "consent select_account")],
    )
}

async fn directory_get(env: &Env, token: &str, path: &str) -> Result<String, CatalogError> {
    let base = config::var(env, config::GOOGLE_DIRECTORY_URL).map_err(|e| misconfigured(&e))?;
    let url = format!("{}/{path}", base.trim_end_matches('/'));
    let answer = Call::get(&url)
        .bearer(token)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            worker::console_warn!("Google Directory API: {}", chain(&e));
            CatalogError::GoogleUnavailable
        })?;
    let body = answer.text();
    if answer.status != 200 {
        return Err(map_google_directory_error(answer.status, &body));
    }
    Ok(body)
}

/// Redeems the code and proves a Super Admin of `expected`; returns the
/// admin's email.
pub async fn finish(
    env: &Env,
    expected: &GoogleCustomerId,
    code: String,
    pkce_verifier: String,
    nonce: &str,
    now: i64,
) -> Result<String, CatalogError> {
    let client = client(env).map_err(|e| misconfigured(&e))?;
    let client_id = config::var(env, config::GOOGLE_CLIENT_ID).map_err(|e| misconfigured(&e))?;
    let issuer = config::var(env, config::GOOGLE_ISSUER).map_err(|e| misconfigured(&e))?;
    let jwks_url = config::var(env, config::GOOGLE_CERTS_URL).map_err(|e| misconfigured(&e))?;
    let tokens = super::exchange(&client, code, pkce_verifier)
        .await
        .map_err(|e| match e {
            ExchangeError::Refused(_) => CatalogError::GoogleRejected { status: 400 },
            ExchangeError::Unavailable => CatalogError::GoogleUnavailable,
        })?;
    let id_token = tokens
        .id_token
        .ok_or(CatalogError::GoogleRejected { status: 200 })?;
    let issuer_ok = |iss: &str, _: &serde_json::Value| {
        let bare = issuer.trim_start_matches("https://");
        iss == issuer || iss == bare
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
        worker::console_warn!("Google ID token refused: {}", chain(&e));
        match e {
            JwtError::KeysUnavailable(_) => CatalogError::GoogleUnavailable,
            JwtError::Invalid(fault) => CatalogError::IdTokenRefused {
                service: "Google".into(),
                fault,
            },
        }
    })?;
    let email = claims["email"].as_str().unwrap_or_default().to_owned();
    let user_key = if email.is_empty() {
        claims["sub"].as_str().unwrap_or_default().to_owned()
    } else {
        email.clone()
    };
    let encoded: String = url::form_urlencoded::byte_serialize(user_key.as_bytes()).collect();
    let body = directory_get(
        env,
        &tokens.access_token,
        &format!("users/{encoded}?viewType=admin_view"),
    )
    .await?;
    let user: GoogleDirectoryUser =
        serde_json::from_str(&body).map_err(|_| CatalogError::UnexpectedAnswer {
            service: "Google".into(),
        })?;
    check_google_super_admin(&user, expected)?;
    let body = directory_get(env, &tokens.access_token, "customers/my_customer").await?;
    let customer: GoogleCustomer =
        serde_json::from_str(&body).map_err(|_| CatalogError::UnexpectedAnswer {
            service: "Google".into(),
        })?;
    if customer.id != expected.as_str() {
        return Err(CatalogError::TenantMismatch {
            expected: expected.as_str().to_owned(),
            found: customer.id.chars().take(40).collect(),
        });
    }
    Ok(email.chars().take(120).collect())
}
