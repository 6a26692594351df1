//! A customer Azure Key Vault key as provider: wrap with the versionless key
//! (Key Vault answers the versioned `kid` it used), unwrap with that exact
//! `kid`. Tokens by client credentials in the vault's tenant.

use keyswitch_shared::switch::Target;
use keyswitch_shared::{KeyId, TenantId};
use worker::Env;

use crate::azure::keyvault::ConnectorVault;
use crate::error::EdgeError;

/// Wraps `value` with `target`'s current version; returns the versioned
/// `kid` Key Vault used and the blob.
pub async fn wrap(
    env: &Env,
    tenant: &TenantId,
    target: &Target,
    value: &[u8],
) -> Result<(KeyId, Vec<u8>), EdgeError> {
    let versionless = KeyId::new(&target.vault_uri, &target.key_name, None);
    ConnectorVault::new(env, tenant, &target.vault_uri)?
        .wrap(&versionless, value)
        .await
}

/// Unwraps `blob` with exactly `kid`.
pub async fn unwrap(
    env: &Env,
    tenant: &TenantId,
    kid: &KeyId,
    blob: &[u8],
) -> Result<Vec<u8>, EdgeError> {
    let vault = kid.vault();
    ConnectorVault::new(env, tenant, &vault)?
        .unwrap(kid, blob)
        .await
}
