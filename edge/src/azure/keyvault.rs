//! The Azure Key Vault data plane: the unauthenticated challenge (to learn a
//! vault's tenant), GET key, wrapKey and unwrapKey, with the throttling
//! back-off (base × 1, 2, 4, 8, 16) Microsoft recommends. A wrap answers the
//! versioned key id Key Vault used, checked to be a version of the key asked
//! for. [`ConnectorVault`] adds the KMS Connector's tokens.

use keyswitch_shared::keyvault::{
    KeyBundle, KeyOperationRequest, KeyOperationResult, decode_base64url_lenient, encode_base64url,
    map_key_vault_error, parse_bearer_challenge,
};
use keyswitch_shared::{CatalogError, KeyId, KeyName, TenantId, VaultUri};
use worker::{Env, Method};

use super::entra::{AccessToken, Entra};
use crate::config;
use crate::error::EdgeError;
use crate::http::{Answer, Call};

/// The data-plane API version used.
const API_VERSION: &str = "7.5";
/// Back-off multipliers after a 429, in units of the base delay.
const BACKOFF: [u64; 5] = [1, 2, 4, 8, 16];
/// The wrap algorithm.
const ALG: &str = "RSA-OAEP-256";

/// Key Vault answered something that is not what the API promises.
pub fn unexpected() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
}

/// Whether Key Vault refused the token itself (a cached token it no longer
/// accepts: a fresh one may work).
pub fn token_rejected(e: &EdgeError) -> bool {
    matches!(
        e,
        EdgeError::Catalog(CatalogError::VaultTokenRejected { .. })
    )
}

/// A Key Vault client bound to the configuration.
pub struct KeyVault {
    proxy: Option<String>,
    retry_base_ms: u64,
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
    /// becomes [`CatalogError::Throttled`], no answer at all
    /// [`CatalogError::AzureUnavailable`].
    async fn call(
        &self,
        method: Method,
        url: &str,
        token: Option<&AccessToken>,
        body: Option<&str>,
    ) -> Result<Answer, EdgeError> {
        let target = self.url(url);
        let mut attempt = 0usize;
        loop {
            let mut call = Call::new(method.clone(), &target).header("Accept", "application/json");
            if let Some(token) = token {
                call = call.bearer(token.secret());
            }
            if let Some(body) = body {
                call = call.body("application/json", body);
            }
            let answer = call
                .send()
                .await
                .map_err(EdgeError::unreachable(CatalogError::AzureUnavailable))?;
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

    /// Key Vault's refusal, as the catalog names it.
    fn refusal(answer: &Answer) -> EdgeError {
        map_key_vault_error(
            answer.status,
            &answer.text(),
            answer.header("WWW-Authenticate").as_deref(),
        )
        .into()
    }

    /// Learns the vault's tenant from the `WWW-Authenticate` challenge of an
    /// unauthenticated request.
    pub async fn vault_tenant(
        &self,
        vault: &VaultUri,
        key: &KeyName,
    ) -> Result<TenantId, EdgeError> {
        let url = Self::with_version(&vault.key_url(key));
        let no_vault = || CatalogError::VaultNotFound {
            host: vault.host().to_owned(),
        };
        // The first call to the vault: a host that gives no answer at all
        // (its name does not resolve) is a vault that does not exist.
        let answer = match self.call(Method::Get, &url, None, None).await {
            Err(EdgeError::Unreachable { source, .. }) => {
                return Err(EdgeError::Unreachable {
                    public: no_vault(),
                    source,
                });
            }
            other => other?,
        };
        match answer.status {
            401 => answer
                .header("WWW-Authenticate")
                .as_deref()
                .and_then(parse_bearer_challenge)
                .and_then(|c| c.tenant_id())
                .ok_or_else(|| unexpected().into()),
            404 | 400 => Err(no_vault().into()),
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
            return Err(Self::refusal(&answer));
        }
        answer.json().map_err(|_| unexpected().into())
    }

    /// `GET /keys/{name}/{version}`: exactly the version `kid` names.
    pub async fn get_key_version(
        &self,
        token: &AccessToken,
        kid: &KeyId,
    ) -> Result<KeyBundle, EdgeError> {
        let url = Self::with_version(kid.as_str());
        let answer = self.call(Method::Get, &url, Some(token), None).await?;
        if answer.status != 200 {
            return Err(Self::refusal(&answer));
        }
        answer.json().map_err(|_| unexpected().into())
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
            .call(Method::Post, &url, Some(token), Some(&body))
            .await?;
        if answer.status != 200 {
            return Err(Self::refusal(&answer));
        }
        let result: KeyOperationResult = answer.json().map_err(|_| unexpected())?;
        let bytes = decode_base64url_lenient(&result.value).ok_or_else(unexpected)?;
        Ok((result.kid, bytes))
    }

    /// Wraps `value` with `key` (versionless: the current version does it);
    /// returns the versioned kid Key Vault used, checked to be a version of
    /// `key`, and the wrapped bytes.
    pub async fn wrap(
        &self,
        token: &AccessToken,
        key: &KeyId,
        value: &[u8],
    ) -> Result<(KeyId, Vec<u8>), EdgeError> {
        let (kid, wrapped) = self.key_operation(token, key, "wrapkey", value).await?;
        let kid: KeyId = kid.parse().map_err(|_| unexpected())?;
        if kid.version().is_none() || !kid.versionless().same_as(&key.versionless()) {
            return Err(unexpected().into());
        }
        Ok((kid, wrapped))
    }

    /// Unwraps `value` with exactly `kid` (the versioned id recorded at wrap).
    pub async fn unwrap(
        &self,
        token: &AccessToken,
        kid: &KeyId,
        value: &[u8],
    ) -> Result<Vec<u8>, EdgeError> {
        Ok(self.key_operation(token, kid, "unwrapkey", value).await?.1)
    }
}

/// Key Vault reached as the KMS Connector in the vault's tenant. Tokens come
/// from the in-memory cache; one Key Vault refuses is renewed, once.
pub struct ConnectorVault<'a> {
    env: &'a Env,
    entra: Entra,
    vault: KeyVault,
    tenant: &'a TenantId,
    scope: &'a str,
    /// Whether the next call must use a token Entra issues now (then the
    /// renewed cache serves the calls after it).
    fresh: std::cell::Cell<bool>,
}

impl<'a> ConnectorVault<'a> {
    /// The connector's access to `vault` in `tenant`.
    pub fn new(env: &'a Env, tenant: &'a TenantId, vault: &'a VaultUri) -> Result<Self, EdgeError> {
        Ok(Self {
            env,
            entra: Entra::for_vault(env, vault)?,
            vault: KeyVault::from_env(env),
            tenant,
            scope: vault.token_scope(),
            fresh: std::cell::Cell::new(false),
        })
    }

    /// The same access with a token Entra issues now (never the cached
    /// one): Entra refuses it once the admin consent is removed, so a use
    /// of the key after the company-key cache expired proves the consent
    /// too (revocation bites within `KEY_CACHE_SECONDS`).
    #[must_use]
    pub fn fresh_token(self) -> Self {
        self.fresh.set(true);
        self
    }

    /// Runs `op` with a cached token, and once more with a fresh one when
    /// Key Vault refuses the token.
    async fn with_token<T, F, Fut>(&self, op: F) -> Result<T, EdgeError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, EdgeError>>,
    {
        if self.fresh.replace(false) {
            let token = self
                .entra
                .request_token(self.env, self.tenant, self.scope)
                .await?;
            return op(token).await;
        }
        let token = self.entra.token(self.env, self.tenant, self.scope).await?;
        match op(token).await {
            Err(e) if token_rejected(&e) => {
                let token = self
                    .entra
                    .request_token(self.env, self.tenant, self.scope)
                    .await?;
                op(token).await
            }
            other => other,
        }
    }

    /// `GET /keys/{name}` of `key` (its current version).
    pub async fn get_key(&self, key: &KeyId) -> Result<KeyBundle, EdgeError> {
        let (vault, name) = (key.vault(), key.name());
        let kv = &self.vault;
        self.with_token(|t| {
            let (vault, name) = (&vault, &name);
            async move { kv.get_key(&t, vault, name).await }
        })
        .await
    }

    /// `GET /keys/{name}/{version}` of the versioned `kid`.
    pub async fn get_key_version(&self, kid: &KeyId) -> Result<KeyBundle, EdgeError> {
        let kv = &self.vault;
        self.with_token(|t| async move { kv.get_key_version(&t, kid).await })
            .await
    }

    /// [`KeyVault::wrap`] with the connector's token.
    pub async fn wrap(&self, key: &KeyId, value: &[u8]) -> Result<(KeyId, Vec<u8>), EdgeError> {
        let kv = &self.vault;
        self.with_token(|t| async move { kv.wrap(&t, key, value).await })
            .await
    }

    /// [`KeyVault::unwrap`] with the connector's token.
    pub async fn unwrap(&self, kid: &KeyId, value: &[u8]) -> Result<Vec<u8>, EdgeError> {
        let kv = &self.vault;
        self.with_token(|t| async move { kv.unwrap(&t, kid, value).await })
            .await
    }
}
