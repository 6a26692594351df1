//! What the SPA is shown of the model.

use super::company::Company;
use super::ctx::Policy;
use crate::api::{ExportOffer, ExportVerification, FinalizeProgress, KeyHealth, PendingSetup};
use crate::catalog::CatalogError;
use crate::health::HealthState;
use crate::provider::Provider;
use crate::rotation::{KidReason, KidRecord, RewrapProgress};

impl Company {
    /// The pending setup as the SPA shows it at `now` (Unix seconds) under
    /// `policy`: with where its last failure is at fault, each step's
    /// status and the step to work on next.
    #[must_use]
    pub fn pending_view(&self, now: i64, policy: &Policy) -> Option<PendingSetup> {
        self.setup.as_ref().map(|s| {
            let consent_holds = self.consent_holds(s, now, policy);
            let fault = s.fault();
            let progress = super::recovery::progress(s.stage, fault, consent_holds);
            PendingSetup {
                setup_id: s.id.clone(),
                stage: s.stage,
                vault_uri: s.target.vault_uri.clone(),
                key_name: s.target.key_name.clone(),
                vault_name: s.target.vault_uri.vault_name().to_owned(),
                vault_tenant: s.vault_tenant.clone(),
                consent: s.consent.clone(),
                tested_key: s.tested.clone(),
                tenants: s.tenants.clone(),
                tenant_names: self
                    .tenant_names
                    .iter()
                    .filter(|n| s.tenants.iter().any(|t| t.tenant == n.tenant))
                    .cloned()
                    .collect(),
                unverifiable_sets: s.unverifiable.clone(),
                nothing_to_verify: s.nothing_to_verify,
                last_error: s.last_error.clone(),
                fault,
                steps: progress.steps,
                current_step: progress.current,
                consent_holds,
                started_by: s.started_by.clone(),
                started_at_ms: s.started_at_ms,
            }
        })
    }

    /// Whether this company proved an admin consent for the setup's vault
    /// tenant that still counts at `now` (the tenant not known yet: the
    /// consent the setup relies on).
    fn consent_holds(&self, s: &super::Setup, now: i64, policy: &Policy) -> bool {
        let ttl = policy.consent_ttl_secs;
        let fresh = |c: &super::Consent| super::update::consent_is_fresh(c, now, ttl);
        match &s.vault_tenant {
            Some(tenant) => self
                .consents
                .iter()
                .any(|c| c.tenant == *tenant && fresh(c)),
            None => s.consent.as_ref().is_some_and(fresh),
        }
    }

    /// The finalization's progress, for the SPA to poll.
    #[must_use]
    pub fn progress(&self) -> FinalizeProgress {
        let setup = self.setup.as_ref();
        let fin = setup
            .filter(|s| s.stage == super::Stage::Finalizing)
            .and_then(|s| s.finalize.as_ref());
        FinalizeProgress {
            stage: self.stage(),
            provider: self.provider.clone(),
            step: fin.map(|f| f.step),
            attempts: fin.map_or(0, |f| f.attempts),
            last_error: fin
                .and_then(|f| f.last_error.clone())
                .or_else(|| setup.and_then(|s| s.last_error.clone())),
            next_retry_at_ms: fin.and_then(|f| f.next_retry_at_ms),
        }
    }

    /// The export window at `now` (Unix seconds) under `policy`, and the
    /// re-verification's state.
    #[must_use]
    pub fn export_verification(&self, now: i64, policy: &Policy) -> ExportVerification {
        let open = self.export.is_open_at(now, policy.export_window_secs);
        ExportVerification {
            export_open: open,
            export_closes_at: self
                .export
                .closes_at(policy.export_window_secs)
                .filter(|_| open),
            tenants: self
                .round
                .as_ref()
                .map(|r| r.tenants.clone())
                .unwrap_or_default(),
            verifying: self.round.is_some(),
            nothing_to_verify: self.round.as_ref().is_some_and(|r| r.tenants.is_empty()),
            offer: self.export_offer(now, policy),
        }
    }

    /// What the screen offers about the export at `now` (Unix seconds):
    /// the export while its window is open (in any stage: the model allows
    /// it whenever no other step runs); otherwise a re-verification round
    /// when one can start (no setup pending) and the company key has been
    /// under the company's own key (a switch completed: the provider is
    /// not the platform's); otherwise nothing.
    #[must_use]
    pub fn export_offer(&self, now: i64, policy: &Policy) -> ExportOffer {
        if self.export.is_open_at(now, policy.export_window_secs) {
            ExportOffer::Open
        } else if self.round_refusal().is_none() {
            ExportOffer::Reverify
        } else {
            ExportOffer::Unavailable
        }
    }

    /// Why a re-verification round cannot start now, or `None` when it can:
    /// the one rule behind both the screen's offer ([`Self::export_offer`])
    /// and the model's answer to `BeginExportRound` and the empty-round
    /// confirmation. A round reopens the export of a completed switch, so
    /// it needs a switch to have completed (the company key is under a key
    /// of the company's own, not the platform's) and no setup pending (its
    /// sign-ins would not count).
    #[must_use]
    pub fn round_refusal(&self) -> Option<CatalogError> {
        if self.stage().is_pending() {
            Some(pending_conflict())
        } else if self.provider == Provider::Platform {
            Some(CatalogError::Conflict {
                reason: "The company key is still under the CyberSentriq-managed key: \
                         there is no switch whose export a re-verification could reopen; \
                         switch to your own key first"
                    .into(),
            })
        } else {
            None
        }
    }

    /// The versions of the Azure key that protected the company key, newest
    /// first. A company switched before the history was kept shows its
    /// version in force without a start time.
    #[must_use]
    pub fn kid_history_view(&self) -> Vec<KidRecord> {
        let mut history = self.kid_history.clone();
        if let Provider::AzureKeyVault { kid, .. } = &self.provider
            && !history
                .iter()
                .any(|h| h.until_ms.is_none() && h.kid.same_as(kid))
        {
            history.push(KidRecord {
                kid: kid.clone(),
                from_ms: None,
                until_ms: None,
                reason: KidReason::Switch,
            });
        }
        history.reverse();
        history
    }

    /// The re-wrap owed or under way, as the SPA shows it.
    #[must_use]
    pub fn rewrap_view(&self) -> Option<RewrapProgress> {
        self.rewrap.as_ref().map(|r| RewrapProgress {
            to_kid: r.to.clone(),
            reason: r.reason,
            step: r.step,
            attempts: r.attempts,
            last_error: r.last_error.clone(),
            next_retry_at_ms: r.next_retry_at_ms,
            started_at_ms: r.started_at_ms,
        })
    }

    /// The health of the Azure key in force at `now` (Unix seconds) under
    /// `policy`; `None` when the provider is not Azure Key Vault.
    #[must_use]
    pub fn health_view(&self, now: i64, policy: &Policy) -> Option<KeyHealth> {
        let Provider::AzureKeyVault {
            vault_uri,
            key_name,
            ..
        } = &self.provider
        else {
            return None;
        };
        let h = &self.monitor.health;
        let seen = h.seen.as_ref();
        Some(KeyHealth {
            state: h.state,
            cause: h.cause.filter(|_| h.state == HealthState::AccessLost),
            error: h.error.clone(),
            since_ms: h.since_ms,
            last_check_at_ms: h.last_check_at_ms,
            next_check_at_ms: match &self.monitor.in_flight {
                Some(c) => Some(c.until_ms),
                None => h.next_check_at_ms,
            },
            last_probe_at_ms: h.last_probe_at_ms,
            checking: self.monitor.in_flight.is_some(),
            check_interval_secs: policy.health.interval_ms / 1000,
            current_kid: seen.map(|s| s.kid.clone()),
            expires_at: seen.and_then(|s| s.exp),
            expiry_warning: seen.and_then(|s| {
                crate::health::expiry_warning(
                    s,
                    vault_uri,
                    key_name,
                    now,
                    policy.health.expiry_warning_secs,
                )
            }),
        })
    }
}

/// A step that cannot run while a Manage KMS setup is pending.
pub(super) fn pending_conflict() -> CatalogError {
    CatalogError::Conflict {
        reason: "A Manage KMS setup is pending; finish or cancel it first".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyId;

    fn kid(version: char) -> KeyId {
        format!(
            "https://kv1.vault.azure.net/keys/company-kek/{}",
            version.to_string().repeat(32)
        )
        .parse()
        .unwrap()
    }

    fn on_azure(k: &KeyId, history: Vec<KidRecord>) -> Company {
        let mut c = crate::switch::acme_on_azure(k);
        c.kid_history = history;
        c
    }

    fn record(kid: KeyId, from: u64, until: Option<u64>) -> KidRecord {
        KidRecord {
            kid,
            from_ms: Some(from),
            until_ms: until,
            reason: KidReason::Switch,
        }
    }

    /// Whatever a stored history holds, the version in force is listed
    /// first, and listed once.
    #[test]
    fn the_history_always_shows_the_version_in_force_first() {
        let (a, b) = (kid('a'), kid('b'));
        let in_force = |h: &[KidRecord]| (h[0].kid.clone(), h[0].until_ms);
        // Kept since the switch: shown as kept, newest first.
        let kept = on_azure(
            &b,
            vec![record(a.clone(), 1, Some(5)), record(b.clone(), 5, None)],
        );
        let h = kept.kid_history_view();
        assert_eq!(h.len(), 2);
        assert_eq!(in_force(&h), (b.clone(), None));
        // Switched before the history was kept: the version in force,
        // without a start time.
        let h = on_azure(&b, Vec::new()).kid_history_view();
        assert_eq!(h.len(), 1);
        assert_eq!((in_force(&h), h[0].from_ms), ((b.clone(), None), None));
        // A history whose open record is another version, or whose record
        // of this version is closed, does not hide the version in force.
        for stale in [
            vec![record(a.clone(), 1, None)],
            vec![record(b.clone(), 1, Some(5))],
        ] {
            let h = on_azure(&b, stale.clone()).kid_history_view();
            assert_eq!(h.len(), 2, "{stale:?}");
            assert_eq!(in_force(&h), (b.clone(), None), "{stale:?}");
        }
    }
}
