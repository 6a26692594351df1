//! Microsoft Entra ID for the KMS Connector app: client-credentials tokens
//! from the vault's cloud's authority with that cloud's registration
//! ([`super::cloud`]), cached in memory until shortly before expiry.

use std::cell::RefCell;
use std::collections::HashMap;

use keyswitch_shared::entra::{EntraApp, map_entra_token_error};
use keyswitch_shared::{CatalogError, ClientId, ClientSecret, Cloud, TenantId, VaultUri};
use serde::Deserialize;
use worker::Env;

use super::cloud;
use crate::clock::now_ms;
use crate::error::EdgeError;
use crate::http::Call;

/// A token is renewed this long before it expires.
const RENEW_BEFORE_MS: u64 = 5 * 60 * 1000;

/// A bearer access token. Never printed.
#[derive(Clone)]
pub struct AccessToken(String);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl AccessToken {
    /// The token, for an `Authorization` header only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

thread_local! {
    static TOKENS: RefCell<HashMap<String, (AccessToken, u64)>> = RefCell::new(HashMap::new());
}

/// The connector's Entra configuration in one cloud.
pub struct Entra {
    cloud: Cloud,
    authority: url::Url,
    client_id: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Entra {
    /// The connector of `cloud`: its authority and client id;
    /// `cloud_not_configured` when that cloud has no connector.
    pub fn for_cloud(env: &Env, cloud: Cloud) -> Result<Self, EdgeError> {
        Ok(Self {
            cloud,
            authority: cloud::authority(env, cloud)?,
            client_id: cloud::client_id(env, cloud)?,
        })
    }

    /// The connector for the vault `vault` (its cloud's).
    pub fn for_vault(env: &Env, vault: &VaultUri) -> Result<Self, EdgeError> {
        Self::for_cloud(env, vault.cloud())
    }

    /// The connector's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn endpoint(&self, tenant: &str, tail: &[&str]) -> Result<url::Url, EdgeError> {
        let mut url = self.authority.clone();
        url.path_segments_mut()
            .map_err(|_| EdgeError::Config(cloud::names(self.cloud).authority))?
            .pop_if_empty()
            .push(tenant)
            .extend(tail);
        Ok(url)
    }

    fn cache_key(&self, tenant: &TenantId, scope: &str) -> String {
        format!(
            "{:?}|{}|{}|{scope}",
            self.cloud,
            self.client_id,
            tenant.as_str()
        )
    }

    /// A client-credentials token for `tenant` and `scope`. Entra issues one
    /// only when the connector has consent there, which proves the consent.
    pub async fn token(
        &self,
        env: &Env,
        tenant: &TenantId,
        scope: &str,
    ) -> Result<AccessToken, EdgeError> {
        let cache_key = self.cache_key(tenant, scope);
        let now = now_ms();
        let cached = TOKENS.with(|t| {
            t.borrow()
                .get(&cache_key)
                .filter(|(_, exp)| now + RENEW_BEFORE_MS < *exp)
                .map(|(tok, _)| tok.clone())
        });
        if let Some(token) = cached {
            return Ok(token);
        }
        let token = self.request_token(env, tenant, scope).await?;
        Ok(token)
    }

    /// Asks Entra for a fresh token, bypassing and refreshing the cache.
    pub async fn request_token(
        &self,
        env: &Env,
        tenant: &TenantId,
        scope: &str,
    ) -> Result<AccessToken, EdgeError> {
        let secret = cloud::client_secret(env, self.cloud)?;
        let url = self.endpoint(tenant.as_str(), &["oauth2", "v2.0", "token"])?;
        let (token, expires_in) =
            client_credentials(&url, &self.client_id, &secret, scope, EntraApp::Connector).await?;
        let expires_at = now_ms() + expires_in.unwrap_or(3599).saturating_mul(1000);
        let cache_key = self.cache_key(tenant, scope);
        TOKENS.with(|t| {
            t.borrow_mut()
                .insert(cache_key, (token.clone(), expires_at));
        });
        Ok(token)
    }
}

/// A client-credentials token for a customer's own app (vault management,
/// seed 001), for the data plane of `vault`, from the vault's cloud's
/// authority. Not cached: every use proves the secret and the app's access
/// still work. Entra's refusals map to the catalog as a customer app's
/// (unknown tenant, app not in the tenant, wrong or expired secret).
pub async fn customer_app_token(
    env: &Env,
    tenant: &TenantId,
    client_id: &ClientId,
    secret: &ClientSecret,
    vault: &VaultUri,
) -> Result<AccessToken, EdgeError> {
    let mut url = cloud::authority(env, vault.cloud())?;
    url.path_segments_mut()
        .map_err(|_| EdgeError::Config(cloud::names(vault.cloud()).authority))?
        .pop_if_empty()
        .extend([tenant.as_str(), "oauth2", "v2.0", "token"]);
    let scope = vault.token_scope();
    let (token, _) = client_credentials(
        &url,
        client_id.as_str(),
        secret.secret(),
        scope,
        EntraApp::CustomerApp,
    )
    .await?;
    Ok(token)
}

/// `POST {token_url}` with `grant_type=client_credentials`; the token and its
/// lifetime in seconds, or Entra's refusal mapped for `app`.
async fn client_credentials(
    token_url: &url::Url,
    client_id: &str,
    secret: &str,
    scope: &str,
    app: EntraApp,
) -> Result<(AccessToken, Option<u64>), EdgeError> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("scope", scope)
        .append_pair("client_secret", secret)
        .append_pair("grant_type", "client_credentials")
        .finish();
    let answer = Call::post(token_url.as_str())
        .header("Accept", "application/json")
        .secret_body("application/x-www-form-urlencoded", form)
        .send()
        .await
        .map_err(EdgeError::unreachable(CatalogError::AzureUnavailable))?;
    if answer.status != 200 {
        return Err(map_entra_token_error(answer.status, &answer.text(), app).into());
    }
    let parsed: TokenAnswer = answer.json().map_err(|_| CatalogError::UnexpectedAnswer {
        service: "Microsoft Entra ID".into(),
    })?;
    Ok((AccessToken(parsed.access_token), parsed.expires_in))
}
