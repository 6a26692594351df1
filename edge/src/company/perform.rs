//! Carries out the model's effects: the alarm, replies, and every outside
//! call, whose result comes back as an event. Nothing here decides.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyswitch_shared::CatalogError;
use keyswitch_shared::api::CompanyKeyExport;
use keyswitch_shared::health::KeySeen;
use keyswitch_shared::switch::{
    self, Company, ConsentProof, Ctx, Effect, Event, InventoryTenant, Target, TenantRef,
};

use super::{CompanyKms, Outcome, Res};
use crate::azure::entra::Entra;
use crate::azure::keyvault::{ConnectorVault, KeyVault};
use crate::error::EdgeError;
use crate::idp;
use crate::inventory::Inventory;
use crate::providers;
use crate::providers::aws_kms::Kms;

/// The catalog error an outside call ends with, as the model records it.
/// A failure that is not the admin's to fix is logged with its cause.
pub(super) fn caught<T>(what: &str, result: Result<T, EdgeError>) -> Result<T, CatalogError> {
    result.map_err(|e| {
        match &e {
            EdgeError::Catalog(_) => {}
            EdgeError::Inventory(_) | EdgeError::Unreachable { .. } => {
                worker::console_warn!("{what}: {}", e.chain());
            }
            _ => worker::console_error!("{what}: {}", e.chain()),
        }
        e.public()
    })
}

fn mismatch(service: &str) -> EdgeError {
    CatalogError::UnexpectedAnswer {
        service: service.into(),
    }
    .into()
}

impl CompanyKms {
    /// Performs `effect` for `model`; an outside call answers its result.
    pub(super) async fn perform(
        &self,
        model: &Company,
        effect: Effect,
        ctx: &Ctx,
        out: &mut Outcome,
    ) -> Res<Option<Event>> {
        let company = model.company_id().as_str();
        Ok(match effect {
            // Written with the model (see `run`).
            Effect::Audit(_) => None,
            Effect::ArmAlarm { at_ms } => {
                let offset = i64::try_from(at_ms.saturating_sub(ctx.now_ms)).unwrap_or(i64::MAX);
                self.state.storage().set_alarm(offset.max(1)).await?;
                None
            }
            Effect::ClearAlarm => {
                self.state.storage().delete_alarm().await?;
                None
            }
            Effect::Reply(reply) => {
                out.replies.push(reply);
                None
            }
            Effect::ProveConsent {
                attempt,
                code,
                pkce_verifier,
                oidc_nonce,
                target,
            } => {
                let (code, pkce) = (code.secret().to_owned(), pkce_verifier.secret().to_owned());
                let result = self
                    .prove_consent(code, pkce, oidc_nonce.secret(), &target, ctx)
                    .await;
                Some(Event::ConsentProven { attempt, result })
            }
            Effect::ProbeVault { attempt, target } => {
                let result = KeyVault::from_env(&self.env)
                    .vault_tenant(&target.vault_uri, &target.key_name)
                    .await;
                let result = caught("vault tenant", result);
                Some(Event::VaultProbed { attempt, result })
            }
            Effect::TestConnection {
                attempt,
                target,
                tenant,
            } => {
                let result = caught(
                    "connection test",
                    crate::connection::run(&self.env, model.company_id(), &target, &tenant).await,
                );
                Some(Event::ConnectionTested { attempt, result })
            }
            Effect::ReadInventory { attempt } => {
                let result = caught("inventory", self.read_inventory(company).await);
                Some(Event::InventoryRead { attempt, result })
            }
            Effect::ExchangeCode {
                nonce_sha256,
                tenant,
                code,
                pkce_verifier,
                oidc_nonce,
            } => {
                let (code, pkce) = (code.secret().to_owned(), pkce_verifier.secret().to_owned());
                let now = ctx.now_secs();
                let result = match &tenant {
                    TenantRef::Microsoft365 { tenant_id } => {
                        idp::entra::finish(&self.env, tenant_id, code, pkce, &oidc_nonce, now).await
                    }
                    TenantRef::GoogleWorkspace { customer_id } => {
                        idp::google::finish(&self.env, customer_id, code, pkce, &oidc_nonce, now)
                            .await
                    }
                };
                Some(Event::CodeExchanged {
                    nonce_sha256,
                    result,
                })
            }
            Effect::Wrap {
                attempt,
                old,
                target,
                tenant,
            } => {
                let result = async {
                    let key = self.unwrap_fresh(company, &old.0, &old.1).await?;
                    let (kid, blob) = providers::azure::wrap(
                        &self.env,
                        &tenant,
                        model.company_id(),
                        &target,
                        key.bytes(),
                    )
                    .await?;
                    Ok((kid, STANDARD.encode(blob)))
                }
                .await;
                let result = caught("finalization wrap", result);
                Some(Event::Wrapped { attempt, result })
            }
            Effect::VerifyWrap {
                attempt,
                old,
                kid,
                blob,
                tenant,
            } => {
                let result = self
                    .verify_blob(model.company_id(), &old, &kid, &blob, &tenant)
                    .await;
                let result = caught("finalization verify", result);
                Some(Event::WrapVerified { attempt, result })
            }
            Effect::CheckConfiguration {
                actor,
                scope,
                key,
                tenant,
                dry_run,
            } => {
                let seen = self
                    .observe_configuration(
                        model.company_id(),
                        &key,
                        tenant.as_ref(),
                        dry_run.as_deref(),
                    )
                    .await;
                Some(Event::ConfigurationChecked {
                    actor,
                    scope,
                    key,
                    seen: Box::new(seen),
                })
            }
            Effect::ReadKeyVersion {
                attempt,
                key,
                tenant,
            } => {
                let result = providers::azure::current_kid(&self.env, &tenant, &key).await;
                let result = caught("re-wrap: current version", result);
                Some(Event::KeyVersionRead { attempt, result })
            }
            Effect::Rewrap {
                attempt,
                old,
                kid,
                tenant,
            } => {
                let result = async {
                    let key = self.unwrap_fresh(company, &old.0, &old.1).await?;
                    let (kid, blob) = providers::azure::wrap_version(
                        &self.env,
                        &tenant,
                        model.company_id(),
                        &kid,
                        key.bytes(),
                    )
                    .await?;
                    Ok((kid, STANDARD.encode(blob)))
                }
                .await;
                let result = caught("re-wrap", result);
                Some(Event::Rewrapped { attempt, result })
            }
            Effect::VerifyRewrap {
                attempt,
                old,
                kid,
                blob,
                tenant,
            } => {
                let result = self
                    .verify_blob(model.company_id(), &old, &kid, &blob, &tenant)
                    .await;
                let result = caught("re-wrap verify", result);
                Some(Event::RewrapVerified { attempt, result })
            }
            Effect::ExportKey { attempt, old, .. } => {
                let result = self.company_key(company, &old.0, &old.1).await.map(|key| {
                    out.export = Some(CompanyKeyExport {
                        company_id: company.to_owned(),
                        algorithm: "AES-256-GCM".into(),
                        key: STANDARD.encode(key.bytes()),
                        provider: old.0.clone(),
                        exported_at_ms: ctx.now_ms,
                    });
                });
                let result = caught("export", result);
                Some(Event::Exported { attempt, result })
            }
            Effect::RecordBinding { attempt, key, bind } => {
                let result = caught(
                    "key-binding registry",
                    crate::key_bindings::record(&self.env, &key, model.company_id(), bind).await,
                );
                Some(Event::BindingRecorded { attempt, result })
            }
            Effect::CheckKey {
                attempt,
                key,
                tenant,
                fresh_token,
            } => {
                let result = async {
                    let vault_uri = key.vault();
                    if fresh_token {
                        Entra::for_vault(&self.env, &vault_uri)?
                            .request_token(&self.env, &tenant, vault_uri.token_scope())
                            .await?;
                    }
                    let vault = ConnectorVault::new(&self.env, &tenant, &vault_uri)?;
                    let bundle = vault.get_key(&key).await?;
                    Ok(KeySeen::from_bundle(&bundle)?)
                }
                .await;
                let result = caught("health check", result);
                Some(Event::KeyChecked { attempt, result })
            }
            Effect::ProbeKey {
                attempt,
                kid,
                tenant,
            } => {
                let result = async {
                    let vault_uri = kid.vault();
                    let vault = ConnectorVault::new(&self.env, &tenant, &vault_uri)?;
                    let mut probe = [0u8; 32];
                    getrandom::fill(&mut probe).map_err(crate::crypto::CryptoError::from)?;
                    let (used, wrapped) = vault.wrap(&kid, &probe).await?;
                    if !used.same_as(&kid) {
                        return Err(mismatch("Azure Key Vault"));
                    }
                    let back = vault.unwrap(&kid, &wrapped).await?;
                    if back == probe {
                        Ok(())
                    } else {
                        Err(mismatch("Azure Key Vault"))
                    }
                }
                .await;
                let result = caught("health probe", result);
                Some(Event::KeyProbed { attempt, result })
            }
            Effect::Webhook(send) => {
                let result =
                    crate::webhook::deliver(&self.env, &send, crate::clock::now_secs()).await;
                Some(Event::WebhookAnswered {
                    attempt: send.attempt,
                    result,
                })
            }
            Effect::RewrapToAws {
                attempt,
                old,
                key_id,
            } => {
                let result = async {
                    let key = self.unwrap_fresh(company, &old.0, &old.1).await?;
                    let kms = Kms::from_env(&self.env)?;
                    let (arn, blob) = kms.encrypt(&key_id, key.bytes(), company).await?;
                    let back = kms.decrypt(&arn, &blob, company).await?;
                    if key.same_as(&back) {
                        Ok((arn, STANDARD.encode(blob)))
                    } else {
                        Err(mismatch("AWS KMS"))
                    }
                }
                .await;
                let result = caught("move to AWS KMS", result);
                Some(Event::MovedToAws { attempt, result })
            }
        })
    }

    /// Unwraps `blob` through Key Vault with exactly `kid` and compares it
    /// with the company key unwrapped by the provider in force.
    async fn verify_blob(
        &self,
        company: &keyswitch_shared::CompanyId,
        old: &(keyswitch_shared::Provider, switch::WrappedKey),
        kid: &keyswitch_shared::KeyId,
        blob: &str,
        tenant: &keyswitch_shared::TenantId,
    ) -> Result<(), EdgeError> {
        let key = self.company_key(company.as_str(), &old.0, &old.1).await?;
        let blob = STANDARD
            .decode(blob)
            .map_err(|_| EdgeError::corrupt("the newly wrapped company key"))?;
        let back = providers::azure::unwrap(&self.env, tenant, company, kid, &blob).await?;
        if key.same_as(&back) {
            Ok(())
        } else {
            Err(mismatch("Azure Key Vault"))
        }
    }

    /// Proves the admin consent: the sign-in's ID token names an admin of
    /// its tenant (`tid`), the connector then gets a token there (the
    /// consent took effect), and Key Vault's challenge names the vault's
    /// tenant. The model compares the two.
    async fn prove_consent(
        &self,
        code: String,
        pkce: String,
        oidc_nonce: &str,
        target: &Target,
        ctx: &Ctx,
    ) -> Result<ConsentProof, CatalogError> {
        let (tenant, admin) = idp::entra::finish_consent(
            &self.env,
            target.vault_uri.cloud(),
            code,
            pkce,
            oidc_nonce,
            ctx.now_secs(),
        )
        .await?;
        let vault_tenant = async {
            let entra = Entra::for_vault(&self.env, &target.vault_uri)?;
            entra
                .request_token(&self.env, &tenant, target.vault_uri.token_scope())
                .await?;
            KeyVault::from_env(&self.env)
                .vault_tenant(&target.vault_uri, &target.key_name)
                .await
        }
        .await;
        let vault_tenant = caught("consent proof", vault_tenant)?;
        Ok(ConsentProof {
            tenant,
            vault_tenant,
            admin,
        })
    }

    /// Every backup set of the company: its tenant with its name, or why it
    /// cannot be verified (the model decides what that means).
    pub(super) async fn read_inventory(&self, company: &str) -> Res<switch::Inventory> {
        let sets = Inventory::from_env(&self.env)?.backup_sets(company).await?;
        let mut read = switch::Inventory::default();
        for set in &sets {
            match set.tenant() {
                Ok(tenant) => read.tenants.push(InventoryTenant {
                    tenant,
                    name: set.display_name().map(str::to_owned),
                }),
                Err(why) => read.unverifiable.push(set.unverifiable(why)),
            }
        }
        Ok(read)
    }
}
