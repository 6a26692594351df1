//! The customer's own service principal (vault management, seed 001): its
//! client-credentials token and the Key Vault calls a vault needs (GET key,
//! wrapKey, unwrapKey). Token requests, Key Vault transport, the throttling
//! back-off and every mapping of outside answers live in `crate::azure`;
//! this module only adds what vault management asks of a wrap: the kid Key
//! Vault used must be a version of the key asked for.

use keyswitch_shared::keyvault::KeyBundle;
use keyswitch_shared::{ClientId, ClientSecret, KeyId, TenantId, VaultUri};
use worker::Env;

use crate::azure::entra::{AccessToken, customer_app_token};
use crate::azure::keyvault::KeyVault;
use crate::error::EdgeError;

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
    /// A client-credentials token for the vault's data plane.
    pub async fn token(&self, env: &Env) -> Result<AccessToken, EdgeError> {
        customer_app_token(env, self.tenant, self.client_id, self.secret, self.vault).await
    }
}

/// Key Vault calls with a customer token.
pub struct Vault(KeyVault);

impl Vault {
    /// Reads `KEYVAULT_PROXY` and the back-off base from configuration.
    pub fn from_env(env: &Env) -> Self {
        Self(KeyVault::from_env(env))
    }

    /// `GET /keys/{name}` (versionless: the key's current version), or
    /// `GET /keys/{name}/{version}` when `key` names a version (the health
    /// check reads the version the vault key is wrapped with).
    pub async fn get_key(&self, token: &AccessToken, key: &KeyId) -> Result<KeyBundle, EdgeError> {
        if key.version().is_some() {
            return self.0.get_key_version(token, key).await;
        }
        self.0.get_key(token, &key.vault(), &key.name()).await
    }

    /// Wraps `value` with `key` (versionless: the current version does it);
    /// returns the versioned kid Key Vault used and the wrapped bytes.
    pub async fn wrap(
        &self,
        token: &AccessToken,
        key: &KeyId,
        value: &[u8],
    ) -> Result<(KeyId, Vec<u8>), EdgeError> {
        self.0.wrap(token, key, value).await
    }

    /// Unwraps `value` with exactly `kid` (the versioned id recorded at wrap).
    pub async fn unwrap(
        &self,
        token: &AccessToken,
        kid: &KeyId,
        value: &[u8],
    ) -> Result<Vec<u8>, EdgeError> {
        self.0.unwrap(token, kid, value).await
    }
}
