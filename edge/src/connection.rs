//! The Manage KMS connection test (PRODUCT.md §2.4): a client-credentials
//! token in the vault's tenant, GET key, the shared key check, the returned
//! `kid` checked to be a version of the target key before it is used, the
//! binding tag checked to name the company, then a wrap/unwrap round trip of
//! a random probe with that versioned key id.

use keyswitch_shared::api::TestedKey;
use keyswitch_shared::binding;
use keyswitch_shared::key_check::{KeyPolicy, check_key};
use keyswitch_shared::switch::Target;
use keyswitch_shared::{CompanyId, KeyId, TenantId};
use worker::Env;

use crate::azure::keyvault::{ConnectorVault, unexpected};
use crate::clock::{now_ms, now_secs};
use crate::crypto::CryptoError;
use crate::error::EdgeError;
use crate::providers::azure::answered_kid;

/// Runs the test of `company`'s `target` in `tenant`.
pub async fn run(
    env: &Env,
    company: &CompanyId,
    target: &Target,
    tenant: &TenantId,
) -> Result<TestedKey, EdgeError> {
    let vault = ConnectorVault::new(env, tenant, &target.vault_uri)?;
    let bundle = vault
        .get_key(&KeyId::new(&target.vault_uri, &target.key_name, None))
        .await?;
    // Nothing Key Vault answered is used before it is known to be the key asked for.
    let kid = answered_kid(&bundle, target)?;
    let summary = check_key(&bundle, KeyPolicy::ManageKms, now_secs())?;
    binding::check(
        bundle.tags.as_ref(),
        company,
        &target.vault_uri,
        &target.key_name,
    )?;
    let mut probe = [0u8; 32];
    getrandom::fill(&mut probe).map_err(CryptoError::from)?;
    let (wrap_kid, wrapped) = vault.wrap(&kid, &probe).await?;
    if !wrap_kid.same_as(&kid) {
        return Err(unexpected().into());
    }
    let unwrapped = vault.unwrap(&kid, &wrapped).await?;
    if unwrapped != probe {
        return Err(unexpected().into());
    }
    Ok(TestedKey {
        kid,
        size_bits: summary.size_bits,
        kty: summary.kty,
        tested_at_ms: now_ms(),
    })
}
