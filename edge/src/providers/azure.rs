//! A customer Azure Key Vault key as provider. Every use is preceded by a GET
//! of the key and the binding check (`keyswitch_shared::binding`): the key
//! must name the company in its `keyswitch-company` tag. A wrap is
//! versionless (Key Vault answers the version it used); an unwrap uses
//! exactly the recorded `kid`, after a GET of that version, so the version
//! that wrapped is checked before the finalization commits. Tokens by client credentials
//! in the vault's tenant.

use keyswitch_shared::binding;
use keyswitch_shared::keyvault::KeyBundle;
use keyswitch_shared::switch::Target;
use keyswitch_shared::{CompanyId, KeyId, TenantId};
use worker::Env;

use crate::azure::keyvault::{ConnectorVault, unexpected};
use crate::error::EdgeError;

/// The versioned kid a GET answered, checked to be a version of `target`'s
/// key before anything uses it.
///
/// # Errors
/// [`unexpected`] when Key Vault answered another key's id.
pub fn answered_kid(bundle: &KeyBundle, target: &Target) -> Result<KeyId, EdgeError> {
    bundle
        .key
        .kid
        .as_deref()
        .and_then(|k| k.parse::<KeyId>().ok())
        .filter(|kid| binding::kid_is_of(kid, &target.vault_uri, &target.key_name))
        .ok_or_else(|| unexpected().into())
}

/// Wraps `value` with the current version of `target`'s key once GET shows
/// it names `company`; returns the versioned `kid` Key Vault used (a
/// version of the target key) and the blob.
///
/// # Errors
/// The binding errors, Key Vault's refusals, or [`unexpected`].
pub async fn wrap(
    env: &Env,
    tenant: &TenantId,
    company: &CompanyId,
    target: &Target,
    value: &[u8],
) -> Result<(KeyId, Vec<u8>), EdgeError> {
    let vault = ConnectorVault::new(env, tenant, &target.vault_uri)?;
    let versionless = KeyId::new(&target.vault_uri, &target.key_name, None);
    let bundle = vault.get_key(&versionless).await?;
    answered_kid(&bundle, target)?;
    binding::check(
        bundle.tags.as_ref(),
        company,
        &target.vault_uri,
        &target.key_name,
    )?;
    // Versionless, as the finalization always wrapped: should a new version
    // appear between the GET and the wrap, the verify step's GET of the
    // version that wrapped checks that version's tag before any commit.
    vault.wrap(&versionless, value).await
}

/// Unwraps `blob` with exactly `kid`, once a GET of that version shows it
/// names `company`. The token is a fresh one (it proves the admin consent
/// is still there): this runs only when the cached company key expired or
/// for a re-wrap.
///
/// # Errors
/// The binding errors, Key Vault's refusals, or [`unexpected`].
pub async fn unwrap(
    env: &Env,
    tenant: &TenantId,
    company: &CompanyId,
    kid: &KeyId,
    blob: &[u8],
) -> Result<Vec<u8>, EdgeError> {
    let vault_uri = kid.vault();
    let vault = ConnectorVault::new(env, tenant, &vault_uri)?.fresh_token();
    let bundle = vault.get_key_version(kid).await?;
    let answered = bundle
        .key
        .kid
        .as_deref()
        .and_then(|k| k.parse::<KeyId>().ok());
    if !answered.is_some_and(|a| a.same_as(kid)) {
        return Err(unexpected().into());
    }
    binding::check_kid(bundle.tags.as_ref(), company, kid)?;
    vault.unwrap(kid, blob).await
}

/// The current versioned `kid` of `key` (one GET), checked to be a version
/// of that key.
///
/// # Errors
/// Key Vault's refusals, or [`unexpected`].
pub async fn current_kid(env: &Env, tenant: &TenantId, key: &KeyId) -> Result<KeyId, EdgeError> {
    let target = Target {
        vault_uri: key.vault(),
        key_name: key.name(),
    };
    let vault = ConnectorVault::new(env, tenant, &target.vault_uri)?;
    let bundle = vault.get_key(&key.versionless()).await?;
    answered_kid(&bundle, &target)
}

/// Wraps `value` with exactly the version `kid` (a rotation's re-wrap),
/// once a GET of that version shows it names `company`; returns the kid Key
/// Vault used and the blob.
///
/// # Errors
/// The binding errors, Key Vault's refusals, or [`unexpected`].
pub async fn wrap_version(
    env: &Env,
    tenant: &TenantId,
    company: &CompanyId,
    kid: &KeyId,
    value: &[u8],
) -> Result<(KeyId, Vec<u8>), EdgeError> {
    let vault_uri = kid.vault();
    let vault = ConnectorVault::new(env, tenant, &vault_uri)?;
    let bundle = vault.get_key_version(kid).await?;
    let answered = bundle
        .key
        .kid
        .as_deref()
        .and_then(|k| k.parse::<KeyId>().ok());
    if !answered.is_some_and(|a| a.same_as(kid)) {
        return Err(unexpected().into());
    }
    binding::check_kid(bundle.tags.as_ref(), company, kid)?;
    vault.wrap(kid, value).await
}
