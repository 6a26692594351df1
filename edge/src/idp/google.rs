//! Google Workspace verification: code flow with PKCE, the ID token checked
//! against Google's keys, then the Directory API: the signed-in user must be
//! a Super Admin (`isAdmin`; a delegated admin is refused) of the backed-up
//! customer (`customerId`, and `customers/my_customer` agrees).

use keyswitch_shared::google::{
    GoogleCustomer, GoogleDirectoryUser, check_google_super_admin, map_google_directory_error,
};
use keyswitch_shared::{CatalogError, GoogleCustomerId};
use worker::{Env, Headers, Method, Request, RequestInit};

use super::jwt::{self, Expect, JwtError};
use super::{CodeClient, ExchangeError, Started};
use crate::config;
use crate::error::EdgeError;

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
    let base =
        config::var(env, config::GOOGLE_DIRECTORY_URL).map_err(|_| CatalogError::Internal)?;
    let url = format!("{}/{path}", base.trim_end_matches('/'));
    let headers = Headers::new();
    let set = headers
        .set("Authorization", &format!("Bearer {token}"))
        .and_then(|()| headers.set("Accept", "application/json"));
    set.map_err(|_| CatalogError::Internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(&url, &init).map_err(|_| CatalogError::Internal)?;
    let (status, _, body) = super::fetch_bytes(req)
        .await
        .ok_or(CatalogError::GoogleUnavailable)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    if status != 200 {
        return Err(map_google_directory_error(status, &body));
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
    let internal = |_| CatalogError::Internal;
    let client = client(env).map_err(internal)?;
    let client_id = config::var(env, config::GOOGLE_CLIENT_ID).map_err(internal)?;
    let issuer = config::var(env, config::GOOGLE_ISSUER).map_err(internal)?;
    let jwks_url = config::var(env, config::GOOGLE_CERTS_URL).map_err(internal)?;
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
            nonce,
            now,
        },
    )
    .await
    .map_err(|e| match e {
        JwtError::KeysUnavailable => CatalogError::GoogleUnavailable,
        JwtError::Invalid => CatalogError::UnexpectedAnswer {
            service: "Google".into(),
        },
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
