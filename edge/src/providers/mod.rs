//! Key providers that protect a company key: the platform key, a customer
//! AWS KMS key, a customer Azure Key Vault key. Each unwraps the stored blob;
//! the company key lives in memory only while a step needs it.

pub mod aws_kms;
pub mod azure;
pub mod platform;

use keyswitch_shared::{CatalogError, CompanyId, Provider, TenantId};
use worker::Env;

use crate::crypto::SecretKey;
use crate::error::EdgeError;

/// Unwraps `company`'s key from `wrapped` with `provider` (`azure_tenant`
/// names the vault's tenant for an Azure provider). An Azure key is read
/// first and must still name `company` in its binding tag.
pub async fn unwrap_company_key(
    env: &Env,
    company: &str,
    provider: &Provider,
    azure_tenant: Option<&TenantId>,
    wrapped: &[u8],
) -> Result<SecretKey, EdgeError> {
    match provider {
        Provider::Platform => platform::open(env, company, wrapped),
        Provider::AwsKms { key_id } => {
            let plain = aws_kms::Kms::from_env(env)?
                .decrypt(key_id, wrapped, company)
                .await?;
            SecretKey::from_bytes(&plain)
        }
        Provider::AzureKeyVault { kid, .. } => {
            let tenant = azure_tenant.ok_or(CatalogError::Internal)?;
            let company: CompanyId = company.parse().map_err(|_| CatalogError::Internal)?;
            let plain = azure::unwrap(env, tenant, &company, kid, wrapped).await?;
            SecretKey::from_bytes(&plain)
        }
    }
}
