//! The connection test (PRODUCT.md §2.4): a client-credentials token in the
//! vault's tenant, GET key, the shared key check, then a wrap/unwrap round
//! trip of a random probe with the versioned key id.

use keyswitch_shared::api::TestedKey;
use keyswitch_shared::key_check::{KeyPolicy, check_key};
use keyswitch_shared::switch::Target;
use keyswitch_shared::{CatalogError, KeyId, TenantId};
use worker::Env;

use crate::azure::entra::Entra;
use crate::azure::keyvault::KeyVault;
use crate::error::EdgeError;
use crate::session::now_secs;

/// Runs the test against `target` in `tenant`.
pub async fn run(env: &Env, target: &Target, tenant: &TenantId) -> Result<TestedKey, EdgeError> {
    let entra = Entra::from_env(env)?;
    let vault = KeyVault::from_env(env);
    let scope = target.vault_uri.token_scope();
    let mut token = entra.token(env, tenant, scope).await?;
    let bundle = match vault
        .get_key(&token, &target.vault_uri, &target.key_name)
        .await
    {
        // A cached token Key Vault no longer accepts: get a fresh one once.
        Err(EdgeError::Catalog(CatalogError::VaultTokenRejected { .. })) => {
            token = entra.request_token(env, tenant, scope).await?;
            vault
                .get_key(&token, &target.vault_uri, &target.key_name)
                .await?
        }
        other => other?,
    };
    let summary = check_key(&bundle, KeyPolicy::ManageKms, now_secs())?;
    let mut probe = [0u8; 32];
    getrandom::fill(&mut probe).map_err(|_| EdgeError::Crypto)?;
    let (wrap_kid, wrapped) = vault.wrap(&token, &summary.kid, &probe).await?;
    let wrap_kid: KeyId = wrap_kid.parse().map_err(|_| unexpected())?;
    let (_, unwrapped) = vault.unwrap(&token, &wrap_kid, &wrapped).await?;
    if unwrapped != probe {
        return Err(unexpected().into());
    }
    Ok(TestedKey {
        kid: wrap_kid,
        size_bits: summary.size_bits,
        kty: summary.kty,
        tested_at_ms: worker::Date::now().as_millis(),
    })
}

fn unexpected() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
}
