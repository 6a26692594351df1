//! The automatic finalization (PRODUCT.md §2.7), run by the company's
//! Durable Object from the switch machine's effects: read the inventory once
//! more, unwrap the company key with the current provider, wrap it with the
//! Azure key (versionless; the versioned `kid` is recorded), unwrap the new
//! blob through Key Vault and compare, then write provider, wrapped key,
//! switch state and audit event in one `putMultiple`.
//!
//! Every step is idempotent. Progress is persisted under `finalize`; a
//! failure (or a crash: an alarm is armed before each attempt) leaves the old
//! provider in force and the attempt is retried by the alarm with back-off,
//! or by the next request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyswitch_shared::api::{FinalizeProgress, FinalizeStep};
use keyswitch_shared::switch::{Effect, Event, Stage, SwitchState};
use keyswitch_shared::{AuditAction, CatalogError, ErrorBody, KeyId, Outcome};
use serde::{Deserialize, Serialize};

use super::{CompanyKms, CompanyRecord, RECORD, Res, SWITCH, as_catalog, now_ms, system_actor};
use crate::audit;
use crate::batch::Batch;
use crate::config;
use crate::providers;
use crate::session::now_secs;

/// Storage key of the finalization's progress.
pub(super) const FINALIZE: &str = "finalize";
/// A crashed attempt is picked up by the alarm after this long.
const LEASE_MS: u64 = 20_000;
/// Longest wait between retries.
const MAX_BACKOFF_MS: u64 = 5 * 60 * 1000;

/// Persisted progress of one finalization.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct FinalizeRecord {
    pub setup_id: String,
    pub step: FinalizeStep,
    pub attempts: u32,
    /// The company key wrapped by the new key (base64), once wrapped.
    pub new_wrapped: Option<String>,
    /// The versioned kid Key Vault wrapped it with.
    pub kid: Option<String>,
    pub started_at_ms: u64,
    pub last_error: Option<ErrorBody>,
    pub next_retry_at_ms: Option<u64>,
}

/// Resets the in-memory "running" flag when an attempt ends.
struct Running<'a>(&'a std::cell::Cell<bool>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl CompanyKms {
    pub(super) async fn load_finalize(&self) -> Res<Option<FinalizeRecord>> {
        Ok(self.state.storage().get::<FinalizeRecord>(FINALIZE).await?)
    }

    /// Whether a finalization attempt should run now (after a restart, an
    /// in-progress record without a running attempt is resumed at once).
    pub(super) async fn finalize_due(&self, sw: &SwitchState) -> Res<bool> {
        if sw.stage() != Stage::Finalizing || self.running.get() {
            return Ok(false);
        }
        Ok(match self.load_finalize().await? {
            None => true,
            Some(f) => f.next_retry_at_ms.is_none_or(|at| at <= now_ms()),
        })
    }

    /// Runs one finalization attempt unless one is already running. Failures
    /// are recorded (and retried later), never returned.
    pub(super) async fn kick(&self, company: &str) -> Res<()> {
        if self.running.replace(true) {
            return Ok(());
        }
        let _guard = Running(&self.running);
        let storage = self.state.storage();
        storage.set_alarm(LEASE_MS as i64).await.ok();
        match self.attempt(company).await {
            Ok(()) => {
                storage.delete_alarm().await.ok();
                Ok(())
            }
            Err(e) => self.failed(company, &as_catalog(&e)).await,
        }
    }

    async fn failed(&self, company: &str, error: &CatalogError) -> Res<()> {
        let record = self.load_or_create(company).await?;
        let sw = self.load_switch(&record).await?;
        let storage = self.state.storage();
        if sw.stage() != Stage::Finalizing {
            // Cancelled or finished meanwhile: nothing to retry.
            storage.delete(FINALIZE).await?;
            storage.delete_alarm().await.ok();
            return Ok(());
        }
        worker::console_warn!("finalization attempt failed: {}", error.code());
        let mut fin = self
            .load_finalize()
            .await?
            .unwrap_or_else(|| self.fresh_record(""));
        fin.attempts = fin.attempts.saturating_add(1);
        fin.last_error = Some(error.body());
        let base = config::finalize_retry_base_ms(&self.env);
        let delay = base
            .saturating_mul(1u64 << fin.attempts.min(16))
            .min(MAX_BACKOFF_MS);
        fin.next_retry_at_ms = Some(now_ms() + delay);
        storage.put(FINALIZE, &fin).await?;
        if sw.setup().is_some_and(|s| s.commit_issued()) {
            let actor = system_actor();
            let code = Some(error.code().to_owned());
            self.transition(
                &record,
                &actor,
                AuditAction::Finalize,
                Event::CommitFailed {
                    error: error.clone(),
                },
                now_secs(),
                Outcome::Failed,
                code,
            )
            .await?;
        }
        storage
            .set_alarm(i64::try_from(delay).unwrap_or(i64::MAX))
            .await?;
        Ok(())
    }

    fn fresh_record(&self, setup_id: &str) -> FinalizeRecord {
        FinalizeRecord {
            setup_id: setup_id.to_owned(),
            step: FinalizeStep::ReadInventory,
            attempts: 0,
            new_wrapped: None,
            kid: None,
            started_at_ms: now_ms(),
            last_error: None,
            next_retry_at_ms: None,
        }
    }

    async fn save_step(&self, fin: &mut FinalizeRecord, step: FinalizeStep) -> Res<()> {
        fin.step = step;
        fin.next_retry_at_ms = None;
        Ok(self.state.storage().put(FINALIZE, &*fin).await?)
    }

    async fn attempt(&self, company: &str) -> Res<()> {
        let storage = self.state.storage();
        let record = self.load_or_create(company).await?;
        let sw = self.load_switch(&record).await?;
        let Some(setup) = sw.setup().filter(|_| sw.stage() == Stage::Finalizing) else {
            storage.delete(FINALIZE).await?;
            return Ok(());
        };
        let setup_id = self
            .load_meta()
            .await?
            .map(|m| m.setup_id)
            .unwrap_or_default();
        let mut fin = match self.load_finalize().await? {
            Some(f) if f.setup_id == setup_id => f,
            _ => self.fresh_record(&setup_id),
        };
        let actor = system_actor();

        // 1. The inventory, once more, right before the commit.
        if !setup.commit_issued() {
            if fin.attempts > 0 {
                self.transition(
                    &record,
                    &actor,
                    AuditAction::FinalizeRetry,
                    Event::RetryCommit,
                    now_secs(),
                    Outcome::Succeeded,
                    Some(format!("attempt {}", fin.attempts + 1)),
                )
                .await?;
            }
            self.save_step(&mut fin, FinalizeStep::ReadInventory)
                .await?;
            let tenants = self.read_inventory(company).await?;
            let note = Some(format!("{} tenant(s) in the inventory", tenants.len()));
            let (next, effects) = self
                .transition(
                    &record,
                    &actor,
                    AuditAction::FinalizeInventory,
                    Event::InventoryLoaded { tenants },
                    now_secs(),
                    Outcome::Succeeded,
                    note,
                )
                .await?;
            if next.stage() != Stage::Finalizing
                || !effects.iter().any(|e| matches!(e, Effect::Commit { .. }))
            {
                // A new tenant appeared: it must be verified first.
                storage.delete(FINALIZE).await?;
                return Ok(());
            }
        }
        let sw = self.load_switch(&record).await?;
        let Some(setup) = sw.setup() else {
            return Ok(());
        };
        let target = setup.target().clone();
        let tenant = setup
            .vault_tenant()
            .cloned()
            .ok_or(CatalogError::Internal)?;

        // 2. Unwrap with the current provider; wrap with the new key (once).
        self.save_step(&mut fin, FinalizeStep::Wrap).await?;
        let old_blob = STANDARD
            .decode(&record.wrapped_company_key)
            .map_err(|_| crate::error::EdgeError::Crypto)?;
        let company_key = providers::unwrap_company_key(
            &self.env,
            company,
            &record.provider,
            record.azure_tenant.as_ref(),
            &old_blob,
        )
        .await?;
        let (kid, new_blob) = match (&fin.new_wrapped, &fin.kid) {
            (Some(blob), Some(kid)) => (
                kid.parse::<KeyId>().map_err(|_| CatalogError::Internal)?,
                STANDARD
                    .decode(blob)
                    .map_err(|_| crate::error::EdgeError::Crypto)?,
            ),
            _ => {
                let (kid, blob) =
                    providers::azure::wrap(&self.env, &tenant, &target, company_key.bytes())
                        .await?;
                fin.new_wrapped = Some(STANDARD.encode(&blob));
                fin.kid = Some(kid.to_string());
                storage.put(FINALIZE, &fin).await?;
                (kid, blob)
            }
        };

        // 3. Unwrap the new blob through Key Vault and compare.
        self.save_step(&mut fin, FinalizeStep::Verify).await?;
        let back = providers::azure::unwrap(&self.env, &tenant, &kid, &new_blob).await?;
        if !company_key.same_as(&back) {
            fin.new_wrapped = None;
            fin.kid = None;
            storage.put(FINALIZE, &fin).await?;
            return Err(CatalogError::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            }
            .into());
        }

        // 4. Flip provider and wrapped key in one transaction.
        self.save_step(&mut fin, FinalizeStep::Commit).await?;
        let current = self.load_switch(&record).await?;
        let ttl = config::consent_max_age_secs(&self.env);
        let (next, _) = keyswitch_shared::switch::apply_with_consent_ttl(
            &current,
            Event::CommitSucceeded { kid: kid.clone() },
            now_secs(),
            ttl,
        )?;
        let new_record = CompanyRecord {
            company_id: record.company_id.clone(),
            provider: next.provider().clone(),
            wrapped_company_key: STANDARD.encode(&new_blob),
            created_at_ms: record.created_at_ms,
            azure_tenant: Some(tenant),
        };
        self.commit(
            &new_record,
            &next,
            audit::Entry {
                actor: &actor,
                action: AuditAction::SwitchCommitted,
                outcome: Outcome::Succeeded,
                from: current.stage(),
                to: next.stage(),
                detail: Some(kid.to_string()),
            },
        )
        .await?;
        storage.delete(FINALIZE).await?;
        storage.delete(super::SETUP).await?;
        Ok(())
    }

    /// Writes record, switch state and one audit event atomically; the
    /// in-memory company key cache is dropped.
    pub(super) async fn commit(
        &self,
        record: &CompanyRecord,
        sw: &SwitchState,
        entry: audit::Entry<'_>,
    ) -> Res<()> {
        let storage = self.state.storage();
        let mut batch = Batch::new();
        batch.put(RECORD, record)?;
        batch.put(SWITCH, sw)?;
        audit::prepare(&storage, &mut batch, vec![entry.event()]).await?;
        batch.commit(&storage).await?;
        self.key_cache.borrow_mut().take();
        Ok(())
    }

    /// Progress for the SPA.
    pub(super) async fn progress(&self, record: &CompanyRecord) -> Res<FinalizeProgress> {
        let sw = self.load_switch(record).await?;
        let fin = self
            .load_finalize()
            .await?
            .filter(|_| sw.stage() == Stage::Finalizing);
        Ok(FinalizeProgress {
            stage: sw.stage(),
            provider: sw.provider().clone(),
            step: fin.as_ref().map(|f| f.step),
            attempts: fin.as_ref().map_or(0, |f| f.attempts),
            last_error: fin
                .as_ref()
                .and_then(|f| f.last_error.clone())
                .or_else(|| sw.setup().and_then(|s| s.last_error().cloned())),
            next_retry_at_ms: fin.and_then(|f| f.next_retry_at_ms),
        })
    }
}
