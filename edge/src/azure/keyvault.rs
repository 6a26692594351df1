//! The Azure Key Vault data plane: the unauthenticated challenge (to learn a
//! vault's tenant), GET key, wrapKey and unwrapKey, with the throttling
//! back-off (base × 1, 2, 4, 8, 16) Microsoft recommends.

use keyswitch_shared::keyvault::{
    KeyBundle, KeyOperationRequest, KeyOperationResult, decode_base64url_lenient, encode_base64url,
    map_key_vault_error, parse_bearer_challenge,
};
use keyswitch_shared::{CatalogError, KeyId, KeyName, TenantId, VaultUri};
use worker::{Env, Headers, Method, Request, RequestInit};

use super::entra::AccessToken;
use super::{Answer, send};
use crate::config;
use crate::error::EdgeError;

/// The data-plane API version used.
const API_VERSION: &str = "7.5";
/// Back-off multipliers after a 429, in units of the base delay.
const BACKOFF: [u64; 5] = [1, 2, 4, 8, 16];
/// The wrap algorithm.
const ALG: &str = "RSA-OAEP-256";

/// A Key Vault client bound to the configuration.
pub struct KeyVault {
    proxy: Option<String>,
    retry_base_ms: u64,
}

fn unexpected() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
}

impl KeyVault {
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

    /// Maps `https://{host}/{path}` to the proxy when one is configured.
    fn url(&self, https_url: &str) -> String {
        match (&self.proxy, https_url.strip_prefix("https://")) {
            (Some(proxy), Some(rest)) => format!("{proxy}{rest}"),
            _ => https_url.to_owned(),
        }
    }

    fn with_version(url: &str) -> String {
        format!("{url}?api-version={API_VERSION}")
    }

    /// Sends one request, retrying on 429 with the back-off; the last 429
    /// becomes [`CatalogError::Throttled`].
    async fn call(
        &self,
        method: Method,
        url: &str,
        token: Option<&AccessToken>,
        body: Option<String>,
    ) -> Result<Answer, EdgeError> {
        let target = self.url(url);
        let mut attempt = 0usize;
        loop {
            let headers = Headers::new();
            headers.set("Accept", "application/json")?;
            if let Some(token) = token {
                headers.set("Authorization", &format!("Bearer {}", token.secret()))?;
            }
            let mut init = RequestInit::new();
            init.with_method(method.clone()).with_headers(headers);
            if let Some(body) = &body {
                init.headers.set("Content-Type", "application/json")?;
                init.with_body(Some(body.clone().into()));
            }
            let req = Request::new_with_init(&target, &init)?;
            let answer = send(req).await?;
            if answer.status != 429 {
                return Ok(answer);
            }
            let Some(factor) = BACKOFF.get(attempt) else {
                return Err(CatalogError::Throttled.into());
            };
            attempt += 1;
            crate::timer::sleep(self.retry_base_ms.saturating_mul(*factor)).await;
        }
    }

    /// Learns the vault's tenant from the `WWW-Authenticate` challenge of an
    /// unauthenticated request.
    pub async fn vault_tenant(
        &self,
        vault: &VaultUri,
        key: &KeyName,
    ) -> Result<TenantId, EdgeError> {
        let url = Self::with_version(&vault.key_url(key));
        let answer = self.call(Method::Get, &url, None, None).await?;
        match answer.status {
            401 => answer
                .www_authenticate
                .as_deref()
                .and_then(parse_bearer_challenge)
                .and_then(|c| c.tenant_id())
                .ok_or_else(|| unexpected().into()),
            404 | 400 => Err(EdgeError::field(
                "vault_uri",
                "No Azure Key Vault answers at this URI. Check the vault name.",
            )),
            status if status >= 500 || status == 408 => Err(CatalogError::AzureUnavailable.into()),
            _ => Err(unexpected().into()),
        }
    }

    /// `GET /keys/{name}`: the current version of the key.
    pub async fn get_key(
        &self,
        token: &AccessToken,
        vault: &VaultUri,
        key: &KeyName,
    ) -> Result<KeyBundle, EdgeError> {
        let url = Self::with_version(&vault.key_url(key));
        let answer = self.call(Method::Get, &url, Some(token), None).await?;
        if answer.status != 200 {
            return Err(map_key_vault_error(
                answer.status,
                &answer.body,
                answer.www_authenticate.as_deref(),
            )
            .into());
        }
        serde_json::from_str(&answer.body).map_err(|_| unexpected().into())
    }

    /// `wrapkey` or `unwrapkey` with `kid`; returns the kid that did it and
    /// the result bytes.
    async fn key_operation(
        &self,
        token: &AccessToken,
        kid: &KeyId,
        operation: &str,
        value: &[u8],
    ) -> Result<(String, Vec<u8>), EdgeError> {
        let url = Self::with_version(&format!("{}/{operation}", kid.as_str()));
        let body = serde_json::to_string(&KeyOperationRequest {
            alg: ALG.to_owned(),
            value: encode_base64url(value),
        })?;
        let answer = self
            .call(Method::Post, &url, Some(token), Some(body))
            .await?;
        if answer.status != 200 {
            return Err(map_key_vault_error(
                answer.status,
                &answer.body,
                answer.www_authenticate.as_deref(),
            )
            .into());
        }
        let result: KeyOperationResult =
            serde_json::from_str(&answer.body).map_err(|_| unexpected())?;
        let bytes = decode_base64url_lenient(&result.value).ok_or_else(unexpected)?;
        Ok((result.kid, bytes))
    }

    /// Wraps `value` with `kid`.
    pub async fn wrap(
        &self,
        token: &AccessToken,
        kid: &KeyId,
        value: &[u8],
    ) -> Result<(String, Vec<u8>), EdgeError> {
        self.key_operation(token, kid, "wrapkey", value).await
    }

    /// Unwraps `value` with `kid`.
    pub async fn unwrap(
        &self,
        token: &AccessToken,
        kid: &KeyId,
        value: &[u8],
    ) -> Result<(String, Vec<u8>), EdgeError> {
        self.key_operation(token, kid, "unwrapkey", value).await
    }
}
