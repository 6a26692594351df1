//! The customer's own service principal (vault management, seed 001): a
//! client-credentials token with the customer's client id and secret, and
//! the Key Vault calls a vault needs (GET key, wrapKey, unwrapKey).
//!
//! `azure::entra` only issues tokens for the KMS Connector (its secret comes
//! from configuration) and its `AccessToken` cannot be built elsewhere, so
//! this module carries its own small token type. Transport (`azure::send`,
//! timeouts), and every mapping of Entra and Key Vault answers, are shared.

use keyswitch_shared::entra::{EntraApp, map_entra_token_error};
use keyswitch_shared::keyvault::{
    KeyBundle, KeyOperationRequest, KeyOperationResult, decode_base64url_lenient, encode_base64url,
    map_key_vault_error,
};
use keyswitch_shared::{CatalogError, ClientId, ClientSecret, KeyId, TenantId, VaultUri};
use serde::Deserialize;
use worker::{Delay, Env, Headers, Method, Request, RequestInit};

use crate::azure::{Answer, send};
use crate::config;
use crate::error::EdgeError;

/// The data-plane API version used.
const API_VERSION: &str = "7.5";
/// Back-off multipliers after a 429, in units of the base delay.
const BACKOFF: [u64; 5] = [1, 2, 4, 8, 16];
/// The wrap algorithm.
const ALG: &str = "RSA-OAEP-256";

/// An app-only access token of the customer's app. Never printed.
pub struct AppToken(String);

impl std::fmt::Debug for AppToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppToken([redacted])")
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

fn unexpected(service: &str) -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: service.into(),
    }
}

/// The customer's service principal and the vault it reaches.
pub struct CustomerApp<'a> {
    /// Directory (tenant) ID.
    pub tenant: &'a TenantId,
    /// Application (client) ID.
    pub client_id: &'a ClientId,
    /// The client secret.
    pub secret: &'a ClientSecret,
    /// The vault.
    pub vault: &'a VaultUri,
}

impl CustomerApp<'_> {
    /// A client-credentials token for the vault's data plane. Entra's
    /// refusals map to the catalog (unknown tenant, app not in the tenant,
    /// wrong secret, expired secret).
    pub async fn token(&self, env: &Env) -> Result<AppToken, EdgeError> {
        let mut url = config::url_var(env, config::ENTRA_AUTHORITY)?;
        url.path_segments_mut()
            .map_err(|_| EdgeError::Config(config::ENTRA_AUTHORITY))?
            .pop_if_empty()
            .extend([self.tenant.as_str(), "oauth2", "v2.0", "token"]);
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("scope", self.vault.token_scope())
            .append_pair("client_secret", self.secret.secret())
            .append_pair("grant_type", "client_credentials")
            .finish();
        let headers = Headers::new();
        headers.set("Content-Type", "application/x-www-form-urlencoded")?;
        headers.set("Accept", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(form.into()));
        let req = Request::new_with_init(url.as_str(), &init)?;
        let answer = send(req).await?;
        if answer.status != 200 {
            return Err(
                map_entra_token_error(answer.status, &answer.body, EntraApp::CustomerApp).into(),
            );
        }
        let parsed: TokenAnswer =
            serde_json::from_str(&answer.body).map_err(|_| unexpected("Microsoft Entra ID"))?;
        Ok(AppToken(parsed.access_token))
    }
}

/// Key Vault calls with a customer token.
pub struct Vault {
    proxy: Option<String>,
    retry_base_ms: u64,
}

impl Vault {
    /// Reads `KEYVAULT_PROXY` and the back-off base from configuration.
    pub fn from_env(env: &Env) -> Self {
        let proxy = env
            .var(config::KEYVAULT_PROXY)
            .map(|v| v.to_string().trim().to_owned())
            .ok()
            .filter(|p| !p.is_empty());
        Self {
            proxy,
            retry_base_ms: config::retry_base_ms(env),
        }
    }

    /// `https://{host}/{path}` through the proxy when one is configured.
    fn target(&self, https_url: &str) -> String {
        let url = format!("{https_url}?api-version={API_VERSION}");
        match (&self.proxy, url.strip_prefix("https://")) {
            (Some(proxy), Some(rest)) => format!("{proxy}{rest}"),
            _ => url,
        }
    }

    /// One call, retried on 429 with the back-off; a last 429 is
    /// [`CatalogError::Throttled`]; any other refusal maps through the
    /// shared Key Vault mapping.
    async fn call(
        &self,
        method: Method,
        url: &str,
        token: &AppToken,
        body: Option<String>,
    ) -> Result<String, EdgeError> {
        let target = self.target(url);
        let mut attempt = 0usize;
        loop {
            let headers = Headers::new();
            headers.set("Accept", "application/json")?;
            headers.set("Authorization", &format!("Bearer {}", token.0))?;
            let mut init = RequestInit::new();
            init.with_method(method.clone()).with_headers(headers);
            if let Some(body) = &body {
                init.headers.set("Content-Type", "application/json")?;
                init.with_body(Some(body.clone().into()));
            }
            let req = Request::new_with_init(&target, &init)?;
            let Answer {
                status,
                www_authenticate,
                body: text,
            } = send(req).await?;
            if status == 200 {
                return Ok(text);
            }
            if status != 429 {
                return Err(map_key_vault_error(status, &text, www_authenticate.as_deref()).into());
            }
            let Some(factor) = BACKOFF.get(attempt) else {
                return Err(CatalogError::Throttled.into());
            };
            attempt += 1;
            Delay::from(std::time::Duration::from_millis(
                self.retry_base_ms.saturating_mul(*factor),
            ))
            .await;
        }
    }

    /// `GET /keys/{name}` (versionless): the key's current version.
    pub async fn get_key(&self, token: &AppToken, key: &KeyId) -> Result<KeyBundle, EdgeError> {
        let text = self.call(Method::Get, key.as_str(), token, None).await?;
        serde_json::from_str(&text).map_err(|_| unexpected("Azure Key Vault").into())
    }

    async fn operation(
        &self,
        token: &AppToken,
        kid: &KeyId,
        operation: &str,
        value: &[u8],
    ) -> Result<(String, Vec<u8>), EdgeError> {
        let body = serde_json::to_string(&KeyOperationRequest {
            alg: ALG.to_owned(),
            value: encode_base64url(value),
        })?;
        let url = format!("{}/{operation}", kid.as_str());
        let text = self.call(Method::Post, &url, token, Some(body)).await?;
        let result: KeyOperationResult =
            serde_json::from_str(&text).map_err(|_| unexpected("Azure Key Vault"))?;
        let bytes =
            decode_base64url_lenient(&result.value).ok_or_else(|| unexpected("Azure Key Vault"))?;
        Ok((result.kid, bytes))
    }

    /// Wraps `value` with `key` (versionless: the current version does it);
    /// returns the versioned kid Key Vault used and the wrapped bytes.
    pub async fn wrap(
        &self,
        token: &AppToken,
        key: &KeyId,
        value: &[u8],
    ) -> Result<(KeyId, Vec<u8>), EdgeError> {
        let (kid, wrapped) = self.operation(token, key, "wrapkey", value).await?;
        let kid: KeyId = kid.parse().map_err(|_| unexpected("Azure Key Vault"))?;
        if kid.version().is_none() || !kid.versionless().same_as(&key.versionless()) {
            return Err(unexpected("Azure Key Vault").into());
        }
        Ok((kid, wrapped))
    }

    /// Unwraps `value` with exactly `kid` (the versioned id recorded at wrap).
    pub async fn unwrap(
        &self,
        token: &AppToken,
        kid: &KeyId,
        value: &[u8],
    ) -> Result<Vec<u8>, EdgeError> {
        Ok(self.operation(token, kid, "unwrapkey", value).await?.1)
    }
}
