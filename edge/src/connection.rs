//! The Manage KMS connection test (PRODUCT.md §2.4): a client-credentials
//! token in the vault's tenant, GET key, the shared key check, then a
//! wrap/unwrap round trip of a random probe with the versioned key id.

use keyswitch_shared::api::TestedKey;
use keyswitch_shared::key_check::{KeyPolicy, check_key};
use keyswitch_shared::switch::Target;
use keyswitch_shared::{KeyId, TenantId};
use worker::Env;

use crate::azure::keyvault::{ConnectorVault, unexpected};
use crate::clock::{now_ms, now_secs};
use crate::crypto::CryptoError;
use crate::error::EdgeError;

/// Runs the test against `target` in `tenant`.
pub async fn run(env: &Env, target: &Target, tenant: &TenantId) -> Result<TestedKey, EdgeError> {
    let vault = ConnectorVault::new(env, tenant, &target.vault_uri)?;
    let bundle = vault
        .get_key(&KeyId::new(&target.vault_uri, &target.key_name, None))
        .await?;
    let summary = check_key(&bundle, KeyPolicy::ManageKms, now_secs())?;
    let mut probe = [0u8; 32];
    getrandom::fill(&mut probe).map_err(CryptoError::from)?;
    let (wrap_kid, wrapped) = vault.wrap(&summary.kid, &probe).await?;
    let unwrapped = vault.unwrap(&wrap_kid, &wrapped).await?;
    if unwrapped != probe {
        return Err(unexpected().into());
    }
    Ok(TestedKey {
        kid: wrap_kid,
        size_bits: summary.size_bits,
        kty: summary.kty,
        tested_at_ms: now_ms(),
    })
}
