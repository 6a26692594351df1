//! A customer Azure Key Vault key as provider: wrap with the versionless key
//! (Key Vault answers the versioned `kid` it used), unwrap with that exact
//! `kid`. Tokens by client credentials in the vault's tenant.

use keyswitch_shared::switch::Target;
use keyswitch_shared::{CatalogError, KeyId, TenantId};
use worker::Env;

use crate::azure::entra::{AccessToken, Entra};
use crate::azure::keyvault::KeyVault;
use crate::error::EdgeError;

async fn token(
    env: &Env,
    tenant: &TenantId,
    scope: &str,
    fresh: bool,
) -> Result<AccessToken, EdgeError> {
    let entra = Entra::from_env(env)?;
    if fresh {
        entra.request_token(env, tenant, scope).await
    } else {
        entra.token(env, tenant, scope).await
    }
}

fn rejected(e: &EdgeError) -> bool {
    matches!(
        e,
        EdgeError::Catalog(CatalogError::VaultTokenRejected { .. })
    )
}

/// Wraps `value` with `target`'s current version; returns the versioned
/// `kid` Key Vault used and the blob.
pub async fn wrap(
    env: &Env,
    tenant: &TenantId,
    target: &Target,
    value: &[u8],
) -> Result<(KeyId, Vec<u8>), EdgeError> {
    let versionless = KeyId::new(&target.vault_uri, &target.key_name, None);
    let scope = target.vault_uri.token_scope();
    let vault = KeyVault::from_env(env);
    let t = token(env, tenant, scope, false).await?;
    let (kid, blob) = match vault.wrap(&t, &versionless, value).await {
        Err(e) if rejected(&e) => {
            let t = token(env, tenant, scope, true).await?;
            vault.wrap(&t, &versionless, value).await?
        }
        other => other?,
    };
    let kid: KeyId = kid.parse().map_err(|_| unexpected())?;
    if kid.version().is_none() || !kid.versionless().same_as(&versionless) {
        return Err(unexpected().into());
    }
    Ok((kid, blob))
}

/// Unwraps `blob` with exactly `kid`.
pub async fn unwrap(
    env: &Env,
    tenant: &TenantId,
    kid: &KeyId,
    blob: &[u8],
) -> Result<Vec<u8>, EdgeError> {
    let scope = kid.vault().token_scope().to_owned();
    let vault = KeyVault::from_env(env);
    let t = token(env, tenant, &scope, false).await?;
    let (_, plain) = match vault.unwrap(&t, kid, blob).await {
        Err(e) if rejected(&e) => {
            let t = token(env, tenant, &scope, true).await?;
            vault.unwrap(&t, kid, blob).await?
        }
        other => other?,
    };
    Ok(plain)
}

fn unexpected() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
}
