//! *Check configuration*: what the edge observes for the model, every
//! check at once, changing nothing (the model decides what each answer
//! means: `switch::update::check`). Each call runs only when the one it
//! needs succeeded (no GET without a token, no probe without the key).

use keyswitch_shared::binding;
use keyswitch_shared::rotation::CheckObservations;
use keyswitch_shared::switch::WrappedKey;
use keyswitch_shared::{CatalogError, CompanyId, KeyId, Provider, TenantId};

use super::CompanyKms;
use super::perform::caught;
use crate::azure::entra::Entra;
use crate::azure::keyvault::{ConnectorVault, unexpected};
use crate::crypto::CryptoError;
use crate::error::EdgeError;

impl CompanyKms {
    /// Observes `key` (in `tenant`, when known) for *Check configuration*;
    /// `dry_run` (before Save) is the provider in force and its blob.
    pub(super) async fn observe_configuration(
        &self,
        company: &CompanyId,
        key: &KeyId,
        tenant: Option<&TenantId>,
        dry_run: Option<&(Provider, WrappedKey)>,
    ) -> CheckObservations {
        let mut seen = CheckObservations {
            token: None,
            key: None,
            probe: None,
            dry_run: None,
            inventory: Some(caught(
                "check: inventory",
                self.read_inventory(company.as_str()).await,
            )),
        };
        let Some(tenant) = tenant else {
            return seen;
        };
        let vault_uri = key.vault();
        let token = async {
            Entra::for_vault(&self.env, &vault_uri)?
                .request_token(&self.env, tenant, vault_uri.token_scope())
                .await
                .map(|_| ())
        }
        .await;
        seen.token = Some(caught("check: token", token));
        if !matches!(seen.token, Some(Ok(()))) {
            return seen;
        }
        let vault = match ConnectorVault::new(&self.env, tenant, &vault_uri) {
            Ok(v) => v,
            Err(e) => {
                seen.key = Some(caught("check: vault", Err(e)));
                return seen;
            }
        };
        let bundle = if key.version().is_some() {
            vault.get_key_version(key).await
        } else {
            vault.get_key(key).await
        };
        seen.key = Some(caught("check: GET key", bundle));
        let Some(Ok(bundle)) = &seen.key else {
            return seen;
        };
        // Only a version of the key asked for is ever used.
        let kid = bundle
            .key
            .kid
            .as_deref()
            .and_then(|k| k.parse::<KeyId>().ok())
            .filter(|k| k.version().is_some() && binding::kid_is_of(k, &key.vault(), &key.name()));
        let Some(kid) = kid else {
            seen.probe = Some(Err(unexpected()));
            return seen;
        };
        let probe = async {
            let mut probe = [0u8; 32];
            getrandom::fill(&mut probe).map_err(CryptoError::from)?;
            let (wrap_kid, wrapped) = vault.wrap(&kid, &probe).await?;
            let back = vault.unwrap(&kid, &wrapped).await?;
            if wrap_kid.same_as(&kid) && back == probe {
                Ok(())
            } else {
                Err(EdgeError::from(unexpected()))
            }
        }
        .await;
        seen.probe = Some(caught("check: probe", probe));
        if let Some((provider, wrapped_key)) = dry_run
            && matches!(seen.probe, Some(Ok(())))
        {
            // Unwrap with the provider in force, wrap and unwrap with the new
            // key, compare; the blob is discarded.
            let dry = async {
                let company_key = self
                    .unwrap_fresh(company.as_str(), provider, wrapped_key)
                    .await?;
                let (_, blob) = vault.wrap(&kid, company_key.bytes()).await?;
                let back = vault.unwrap(&kid, &blob).await?;
                if company_key.same_as(&back) {
                    Ok(())
                } else {
                    Err(EdgeError::from(CatalogError::UnexpectedAnswer {
                        service: "Azure Key Vault".into(),
                    }))
                }
            }
            .await;
            seen.dry_run = Some(caught("check: re-wrap dry run", dry));
        }
        seen
    }
}
