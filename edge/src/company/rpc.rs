//! The object's commands: each becomes one event for the interpreter (or a
//! read of the model), and the outcome becomes the answer.

use keyswitch_shared::api::{AuditTrail, CompanyKeyInfo, VerifyTenantAnswer};
use keyswitch_shared::oauth_state::Flow;
use keyswitch_shared::switch::{
    Company, ConsentAnswer, Event, OAuthSecret, Reply, SignIn, Target, TenantRef, VerifyAnswer,
};
use keyswitch_shared::{CatalogError, CompanyId};
use serde::Serialize;
use worker::Response;

use super::commands::{CallbackOutcome, Command, VerifyOutcome, View};
use super::{CompanyKms, Outcome, Res, random_token};
use crate::audit;
use crate::error::EdgeError;
use crate::idp;
use crate::inventory::Inventory;
use crate::oauth_state;
use crate::request_id::RequestId;

fn json<T: Serialize>(value: &T) -> Res<Response> {
    Ok(Response::from_json(value)?)
}

fn fingerprint(model: &Company) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(model.key().blob.as_bytes()))
        .chars()
        .take(32)
        .collect()
}

/// The first error a run answered, if any.
fn failure(out: &Outcome) -> Option<CatalogError> {
    out.replies.iter().find_map(|r| match r {
        Reply::Error(e) => Some(e.clone()),
        _ => None,
    })
}

fn with_status(e: Option<CatalogError>) -> Option<(u16, keyswitch_shared::ErrorBody)> {
    e.map(|e| (e.status(), e.body()))
}

impl CompanyKms {
    /// The Cron sweep (or the development alarm drop). A company that never
    /// stored anything is not created.
    async fn sweep(
        &self,
        rid: &RequestId,
        company: &CompanyId,
        command: &Command,
    ) -> Res<Response> {
        let storage = self.state.storage();
        let mut restored = false;
        if self.stored().await?.is_some() {
            if matches!(command, Command::DropAlarm) {
                storage.delete_alarm().await?;
            } else {
                let alarm = storage.get_alarm().await?;
                let alarm_at_ms = alarm.and_then(|a| u64::try_from(a).ok());
                restored = self
                    .run(rid, company, Event::Sweep { alarm_at_ms })
                    .await?
                    .restored;
            }
        }
        let due_ms = self.stored().await?.and_then(|m| m.next_deadline_ms());
        json(&super::commands::SweepAnswer {
            restored,
            alarm_at_ms: storage.get_alarm().await?,
            due_ms,
        })
    }

    pub(super) async fn dispatch(
        &self,
        rid: &RequestId,
        company: &CompanyId,
        command: Command,
    ) -> Res<Response> {
        let event = match command {
            // Before anything is loaded: a bare round trip (routes/bench.rs).
            #[cfg(feature = "bench")]
            Command::Ping => return Ok(Response::ok("{}")?),
            Command::View => {
                self.count_backup_sets(rid, company).await?;
                let model = self.load(company).await?;
                // A company opened for the first time gets its read copy.
                self.write_read_copy(company).await;
                return json(&self.view(&model, None));
            }
            Command::Finalize { run: false } => {
                let model = self.load(company).await?;
                self.write_read_copy(company).await;
                return json(&model.progress());
            }
            Command::Finalize { run: true } => {
                self.run(rid, company, Event::Tick).await?;
                return json(&self.load(company).await?.progress());
            }
            Command::Audit { query } => {
                let page = audit::page(&self.state.storage(), query).await?;
                return json(&AuditTrail {
                    events: page.events,
                    next_cursor: page.next_cursor,
                });
            }
            Command::Check { actor } => {
                let out = self
                    .run(rid, company, Event::CheckConfiguration { actor })
                    .await?;
                if let Some(e) = failure(&out) {
                    return Err(e.into());
                }
                let report = out.replies.into_iter().find_map(|r| match r {
                    Reply::Check(report) => Some(*report),
                    _ => None,
                });
                return json(&report.ok_or(CatalogError::Internal)?);
            }
            Command::ExportVerificationView => {
                return json(&self.export_view(company).await?);
            }
            Command::Sweep | Command::DropAlarm => return self.sweep(rid, company, &command).await,
            Command::GenerateDataKey => return json(&self.generate_data_key(company).await?),
            Command::DecryptDataKey { wrapped } => {
                return json(&self.decrypt_data_key(company, &wrapped).await?);
            }
            Command::ConsentCallback {
                nonce,
                code,
                error,
                error_description,
            } => {
                // A callback never creates a company record.
                if self.stored().await?.is_none() {
                    return json(&consent_outcome(&Outcome::default()));
                }
                let answer = ConsentAnswer {
                    code: code.map(OAuthSecret::new),
                    error,
                    error_description,
                };
                let out = self
                    .run(rid, company, Event::ConsentCallback { nonce, answer })
                    .await?;
                return json(&consent_outcome(&out));
            }
            Command::VerifyCallback {
                nonce,
                code,
                error,
                error_description,
            } => {
                if self.stored().await?.is_none() {
                    return json(&verify_outcome(&Outcome::default()));
                }
                let answer = VerifyAnswer {
                    code: code.map(OAuthSecret::new),
                    error,
                    error_description,
                };
                let out = self
                    .run(rid, company, Event::VerifyCallback { nonce, answer })
                    .await?;
                return json(&verify_outcome(&out));
            }
            Command::BeginVerify { actor, tenant } => {
                return self.begin_verify(rid, company, actor, tenant).await;
            }
            Command::Export {
                actor,
                signed_in_at,
            } => {
                let event = Event::Export {
                    actor,
                    signed_in_at,
                };
                let out = self.run(rid, company, event).await?;
                if let Some(e) = failure(&out) {
                    return Err(e.into());
                }
                let file = out.export.ok_or(CatalogError::Internal)?;
                return json(&file);
            }
            Command::BeginExportVerification { actor } => {
                let event = Event::BeginExportRound { actor };
                return self.round(rid, company, event).await;
            }
            Command::ConfirmNoExportTenants { actor } => {
                let event = Event::ConfirmNoExportTenants { actor };
                return self.round(rid, company, event).await;
            }
            Command::Start {
                actor,
                vault_uri,
                key_name,
            } => {
                let (nonce, consent) = self.consent_sign_in(company, vault_uri.cloud())?;
                let target = Target {
                    vault_uri,
                    key_name,
                };
                let event = Event::Start {
                    actor,
                    target,
                    consent,
                };
                return self.act(rid, company, event, Some(nonce)).await;
            }
            Command::IssueConsent { actor } => {
                // The pending setup's vault decides the cloud; without one
                // the model refuses the event, whatever the cloud.
                let cloud = self
                    .load(company)
                    .await?
                    .setup()
                    .map_or(keyswitch_shared::Cloud::Public, |s| {
                        s.target().vault_uri.cloud()
                    });
                let (nonce, consent) = self.consent_sign_in(company, cloud)?;
                let event = Event::IssueConsent { actor, consent };
                return self.act(rid, company, event, Some(nonce)).await;
            }
            Command::Test { actor } => Event::Test { actor },
            Command::Save { actor } => Event::Save { actor },
            Command::Refresh { actor } => Event::Refresh { actor },
            Command::ConfirmNoTenants { actor } => Event::ConfirmNoTenants { actor },
            Command::Cancel { actor } => Event::Cancel { actor },
            Command::MoveToAwsKms { actor, key_id } => Event::MoveToAwsKms { actor, key_id },
            Command::Rewrap { actor } => Event::RewrapNow { actor },
            Command::CheckNow { actor } => Event::CheckNow { actor },
        };
        self.act(rid, company, event, None).await
    }

    /// Runs an admin's command on the export re-verification round;
    /// answers the round's state or the command's error.
    async fn round(&self, rid: &RequestId, company: &CompanyId, event: Event) -> Res<Response> {
        let out = self.run(rid, company, event).await?;
        if let Some(e) = failure(&out) {
            return Err(e.into());
        }
        json(&self.export_view(company).await?)
    }

    /// Runs an admin's command; answers the view (with the consent URL
    /// when one was issued) or the command's error.
    async fn act(
        &self,
        rid: &RequestId,
        company: &CompanyId,
        event: Event,
        nonce: Option<String>,
    ) -> Res<Response> {
        let out = self.run_with_nonce(rid, company, event, nonce).await?;
        if let Some(e) = failure(&out) {
            return Err(e.into());
        }
        let consent_url = out.replies.iter().find_map(|r| match r {
            Reply::ConsentUrl(url) => Some(url.clone()),
            _ => None,
        });
        // The command succeeded: an inventory that cannot be read only
        // leaves the count unknown (the answer shows 0).
        if let Err(e) = self.count_backup_sets(rid, company).await {
            worker::console_warn!("backup-set count of {company}: {}", e.chain());
        }
        json(&self.view(&self.load(company).await?, consent_url))
    }

    /// Reads the inventory when the model says the kept backup-set count is
    /// due, and hands the model the result; its refusal (no count to show
    /// and no inventory) is the error.
    async fn count_backup_sets(&self, rid: &RequestId, company: &CompanyId) -> Res<()> {
        let model = self.load(company).await?;
        if !model.backup_set_count_due(crate::clock::now_ms(), &self.policy()) {
            return Ok(());
        }
        let read = Inventory::from_env(&self.env)?
            .backup_sets(company.as_str())
            .await;
        let (result, failed) = match read {
            Ok(sets) => (Ok(u32::try_from(sets.len()).unwrap_or(u32::MAX)), None),
            Err(e) => (Err(e.public()), Some(e)),
        };
        match (
            self.run(rid, company, Event::BackupSetsCounted { result })
                .await,
            failed,
        ) {
            (Ok(_), None) => Ok(()),
            (Ok(_), Some(e)) => {
                worker::console_warn!("inventory (the kept count shows): {}", e.chain());
                Ok(())
            }
            // Refused (no count to show): the inventory's own error, so the
            // answer's log line names its cause.
            (Err(_), Some(e)) => Err(e),
            (Err(refused), None) => Err(refused),
        }
    }

    /// The admin-consent sign-in (PKCE, nonce, signed state) at `cloud`'s
    /// authority that the model records if it asks for consent; the state's
    /// random part is returned for the update's context.
    fn consent_sign_in(
        &self,
        company: &CompanyId,
        cloud: keyswitch_shared::Cloud,
    ) -> Res<(String, SignIn)> {
        let nonce = random_token()?;
        let state = oauth_state::sign(&self.env, company, Flow::AdminConsent, &nonce)?;
        let started = idp::entra::start_consent(&self.env, cloud, state)?;
        let sign_in = SignIn {
            authorize_url: started.url,
            pkce_verifier: OAuthSecret::new(started.pkce_verifier),
            oidc_nonce: started.nonce,
        };
        Ok((nonce, sign_in))
    }

    /// Prepares the tenant's sign-in (PKCE, nonce, state) and lets the model
    /// record it or refuse it.
    async fn begin_verify(
        &self,
        rid: &RequestId,
        company: &CompanyId,
        actor: keyswitch_shared::Actor,
        tenant: TenantRef,
    ) -> Res<Response> {
        let nonce = random_token()?;
        let state = oauth_state::sign(&self.env, company, Flow::TenantVerification, &nonce)?;
        let started = match &tenant {
            TenantRef::Microsoft365 { .. } => idp::entra::start(&self.env, state)?,
            TenantRef::GoogleWorkspace { .. } => idp::google::start(&self.env, state)?,
        };
        let sign_in = SignIn {
            authorize_url: started.url,
            pkce_verifier: OAuthSecret::new(started.pkce_verifier),
            oidc_nonce: started.nonce,
        };
        let event = Event::BeginVerify {
            actor,
            tenant,
            sign_in,
        };
        let out = self
            .run_with_nonce(rid, company, event, Some(nonce))
            .await?;
        out.replies
            .into_iter()
            .find_map(|r| match r {
                Reply::SignIn {
                    authorize_url,
                    tenant,
                } => Some(VerifyTenantAnswer {
                    authorize_url,
                    tenant,
                }),
                _ => None,
            })
            .ok_or_else(|| EdgeError::from(CatalogError::Internal))
            .and_then(|a| json(&a))
    }
}

impl CompanyKms {
    /// The object's view of `model` now (health under the deployment's policy).
    fn view(&self, model: &Company, consent_url: Option<String>) -> View {
        let policy = self.policy();
        View {
            provider: model.provider().clone(),
            stage: model.stage(),
            pending: model.pending_view(crate::clock::now_secs(), &policy),
            company_key: CompanyKeyInfo {
                wrapped_fingerprint: fingerprint(model),
                created_at_ms: model.key().created_at_ms,
            },
            key_cache_seconds: policy.key_cache_secs,
            consent_url,
            health: model.health_view(crate::clock::now_secs(), &policy),
            kid_history: model.kid_history_view(),
            rewrap: model.rewrap_view(),
            backup_sets: model.backup_sets(),
            export: model.export_offer(crate::clock::now_secs(), &policy),
        }
    }
}

fn consent_outcome(out: &Outcome) -> CallbackOutcome {
    out.replies
        .iter()
        .rev()
        .find_map(|r| match r {
            Reply::ConsentOutcome { error, vault_name } => Some(CallbackOutcome {
                error: with_status(error.clone()),
                vault_name: vault_name.clone(),
            }),
            _ => None,
        })
        .unwrap_or(CallbackOutcome {
            error: with_status(Some(CatalogError::OAuthStateExpired)),
            vault_name: None,
        })
}

fn verify_outcome(out: &Outcome) -> VerifyOutcome {
    out.replies
        .iter()
        .rev()
        .find_map(|r| match r {
            Reply::VerifyOutcome {
                error,
                tenant,
                finalizing,
                export_open,
            } => Some(VerifyOutcome {
                error: with_status(error.clone()),
                tenant: tenant.clone(),
                finalizing: *finalizing,
                export_open: *export_open,
            }),
            _ => None,
        })
        .unwrap_or(VerifyOutcome {
            error: with_status(Some(CatalogError::OAuthStateExpired)),
            tenant: None,
            finalizing: false,
            export_open: false,
        })
}
