//! The health monitor of an Azure External Keys vault (issue 14 for seed
//! 001): what the last check, test or item operation showed about the
//! customer's key, when the next check is due, and how a new observation
//! changes it. Pure: the workspace model calls [`VaultHealth::observe`]
//! with what Key Vault (or Entra) answered and audits a change of state.
//!
//! States: `unknown` until the first check, `healthy`, `degraded` (a
//! transient failure: throttled, 5xx, no answer; checked again with
//! back-off) and `access_lost` with its cause (the codes of
//! [`CatalogError::access_lost_cause`]: `role_removed`, `consent_removed`,
//! `key_disabled`, `key_deleted`, `key_expired`, `key_not_yet_valid`,
//! `binding_removed`, `vault_firewall`, and for the vault's own service
//! principal `client_secret_expired`, `client_secret_invalid`,
//! `application_not_found`). Recovery is seen by the next check: no one has
//! to act in keyswitch.

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, ErrorBody};

/// First back-off after a transient failure; it doubles per failure, up to
/// the check interval.
pub const DEGRADED_RETRY_MS: u64 = 15_000;
/// A wrap/unwrap proof runs at most this often when nothing changed.
pub const PROBE_EVERY_MS: u64 = 24 * 3600 * 1000;
/// Default time between two checks of a vault (`HEALTH_CHECK_INTERVAL_SECONDS`).
pub const CHECK_INTERVAL_MS: u64 = 300_000;

/// The monitor's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Not checked yet.
    #[default]
    Unknown,
    /// The last check proved the key works.
    Healthy,
    /// The last check met a transient failure (checked again with back-off).
    Degraded,
    /// Access to the key is lost (see the cause).
    AccessLost,
}

impl HealthState {
    /// The stable snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::AccessLost => "access_lost",
        }
    }

    /// Text for the vault table.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "Not checked yet",
            Self::Healthy => "Healthy",
            Self::Degraded => "Degraded",
            Self::AccessLost => "Access lost",
        }
    }
}

/// A vault key's health, as stored with the vault and shown in its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VaultHealth {
    /// The state.
    #[serde(default)]
    pub state: HealthState,
    /// Why access is lost (`access_lost` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// What the last failed observation met: message, fix, detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// Since when the state holds (Unix milliseconds; 0 before the first check).
    #[serde(default)]
    pub since_ms: u64,
    /// The last check (or key use), Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_ms: Option<u64>,
    /// When the monitor checks next (Unix milliseconds).
    #[serde(default)]
    pub next_check_ms: u64,
    /// Transient failures in a row (the back-off).
    #[serde(default)]
    pub failures: u32,
    /// The last wrap/unwrap proof (an unwrap of the stored vault key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_probe_ms: Option<u64>,
    /// The key version's `updated` attribute the last GET showed: a change
    /// makes the next check prove the key again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_updated: Option<i64>,
}

/// What a check, a test or an item operation showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The key works (an unwrap of the vault key succeeded).
    Proven,
    /// The GET showed a usable key; no proof was needed this time.
    Usable,
    /// Key Vault or Entra refused, or failed transiently.
    Failed(CatalogError),
}

/// A change of state, to audit (and notify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: HealthState,
    /// The state after.
    pub to: HealthState,
    /// The cause after (`access_lost` only).
    pub cause: Option<String>,
}

impl Transition {
    /// The audit detail: `healthy -> access_lost (role_removed)`.
    #[must_use]
    pub fn detail(&self) -> String {
        match &self.cause {
            Some(c) => format!("{} -> {} ({c})", self.from.as_str(), self.to.as_str()),
            None => format!("{} -> {}", self.from.as_str(), self.to.as_str()),
        }
    }
}

impl VaultHealth {
    /// A new vault's health: its creation proved the key; the first
    /// scheduled check is one interval later.
    #[must_use]
    pub fn proven_at(now_ms: u64, interval_ms: u64) -> Self {
        Self {
            state: HealthState::Healthy,
            since_ms: now_ms,
            last_check_ms: Some(now_ms),
            next_check_ms: now_ms.saturating_add(interval_ms),
            last_probe_ms: Some(now_ms),
            ..Self::default()
        }
    }

    /// Whether a scheduled check is due at `now_ms`.
    #[must_use]
    pub fn due(&self, now_ms: u64) -> bool {
        self.next_check_ms <= now_ms
    }

    /// Whether a check that just read the key (`updated` attribute) must
    /// also prove it with an unwrap: never proven, proven more than a day
    /// ago, the key changed since, or the key is not known to be healthy.
    #[must_use]
    pub fn probe_due(&self, now_ms: u64, updated: Option<i64>) -> bool {
        self.state != HealthState::Healthy
            || self
                .last_probe_ms
                .is_none_or(|p| now_ms.saturating_sub(p) >= PROBE_EVERY_MS)
            || (updated.is_some() && updated != self.key_updated)
    }

    /// Records `updated` (what the last GET showed).
    pub fn saw_key(&mut self, updated: Option<i64>) {
        if updated.is_some() {
            self.key_updated = updated;
        }
    }

    /// Applies an observation at `now_ms`; the next check is one interval
    /// later (sooner, with back-off, after a transient failure). Returns
    /// the change of state or cause, if any. A transient failure never
    /// ends an `access_lost` (it says nothing about access).
    pub fn observe(
        &mut self,
        seen: &Observation,
        now_ms: u64,
        interval_ms: u64,
    ) -> Option<Transition> {
        let before = (self.state, self.cause.clone());
        self.last_check_ms = Some(now_ms);
        match seen {
            Observation::Proven | Observation::Usable => {
                if matches!(seen, Observation::Proven) {
                    self.last_probe_ms = Some(now_ms);
                }
                self.state = HealthState::Healthy;
                self.cause = None;
                self.error = None;
                self.failures = 0;
                self.next_check_ms = now_ms.saturating_add(interval_ms);
            }
            Observation::Failed(e) => match e.access_lost_cause() {
                Some(cause) => {
                    self.state = HealthState::AccessLost;
                    self.cause = Some(cause.to_owned());
                    self.error = Some(e.body());
                    self.failures = 0;
                    self.next_check_ms = now_ms.saturating_add(interval_ms);
                }
                None => {
                    if self.state != HealthState::AccessLost {
                        self.state = HealthState::Degraded;
                        self.cause = None;
                        self.error = Some(e.body());
                    }
                    self.failures = self.failures.saturating_add(1);
                    let shift = self.failures.saturating_sub(1).min(16);
                    let backoff = DEGRADED_RETRY_MS.saturating_mul(1 << shift);
                    self.next_check_ms = now_ms.saturating_add(backoff.min(interval_ms));
                }
            },
        }
        if (self.state, self.cause.clone()) == before {
            return None;
        }
        self.since_ms = now_ms;
        Some(Transition {
            from: before.0,
            to: self.state,
            cause: self.cause.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn access_lost_names_its_cause_and_recovers_by_itself() {
        let mut h = VaultHealth::proven_at(0, 5 * MIN);
        assert_eq!(h.next_check_ms, 5 * MIN);
        assert!(!h.due(MIN) && h.due(5 * MIN));
        let t = h
            .observe(
                &Observation::Failed(CatalogError::KeyVaultForbidden),
                5 * MIN,
                5 * MIN,
            )
            .unwrap();
        assert_eq!(t.detail(), "healthy -> access_lost (role_removed)");
        assert_eq!(h.cause.as_deref(), Some("role_removed"));
        assert_eq!(h.error.as_ref().unwrap().code, "key_vault_forbidden");
        assert_eq!(h.next_check_ms, 10 * MIN);
        // The same again: no transition.
        assert!(
            h.observe(
                &Observation::Failed(CatalogError::KeyVaultForbidden),
                10 * MIN,
                5 * MIN
            )
            .is_none()
        );
        // Another cause is a transition.
        let t = h
            .observe(
                &Observation::Failed(CatalogError::KeyDisabled),
                15 * MIN,
                5 * MIN,
            )
            .unwrap();
        assert_eq!(t.detail(), "access_lost -> access_lost (key_disabled)");
        // A transient failure keeps access_lost.
        assert!(
            h.observe(
                &Observation::Failed(CatalogError::AzureUnavailable),
                16 * MIN,
                5 * MIN
            )
            .is_none()
        );
        assert_eq!(h.state, HealthState::AccessLost);
        assert!(h.probe_due(17 * MIN, None));
        let t = h.observe(&Observation::Proven, 17 * MIN, 5 * MIN).unwrap();
        assert_eq!(t.detail(), "access_lost -> healthy");
        assert!(h.error.is_none() && h.cause.is_none());
        assert_eq!(h.since_ms, 17 * MIN);
    }

    #[test]
    fn transient_failures_degrade_with_back_off_up_to_the_interval() {
        let mut h = VaultHealth::proven_at(0, 5 * MIN);
        let t = h
            .observe(&Observation::Failed(CatalogError::Throttled), 0, 5 * MIN)
            .unwrap();
        assert_eq!(t.to, HealthState::Degraded);
        assert_eq!(h.next_check_ms, DEGRADED_RETRY_MS);
        h.observe(&Observation::Failed(CatalogError::Throttled), 0, 5 * MIN);
        assert_eq!(h.next_check_ms, 2 * DEGRADED_RETRY_MS);
        for _ in 0..40 {
            h.observe(
                &Observation::Failed(CatalogError::AzureUnavailable),
                0,
                5 * MIN,
            );
        }
        assert_eq!(h.next_check_ms, 5 * MIN);
        assert_eq!(h.state, HealthState::Degraded);
        assert!(h.cause.is_none());
        h.observe(&Observation::Usable, MIN, 5 * MIN);
        assert_eq!(h.failures, 0);
        assert_eq!(h.state, HealthState::Healthy);
    }

    #[test]
    fn the_proof_runs_daily_or_when_the_key_changed() {
        let mut h = VaultHealth::proven_at(0, 5 * MIN);
        h.saw_key(Some(100));
        assert!(!h.probe_due(5 * MIN, Some(100)));
        assert!(h.probe_due(5 * MIN, Some(101)));
        // Daily, by the clock: not an hour after the last proof, nor a
        // millisecond before the day is over (the constant is not its own
        // oracle).
        const HOUR: u64 = 60 * MIN;
        assert!(!h.probe_due(HOUR + 1, Some(100)));
        assert!(!h.probe_due(24 * HOUR - 1, Some(100)));
        assert!(h.probe_due(24 * HOUR, Some(100)));
        let unknown = VaultHealth::default();
        assert!(unknown.probe_due(0, None));
        assert!(unknown.due(0));
    }

    #[test]
    fn a_new_vault_is_healthy_since_its_creation_proved_the_key() {
        let created = 1_700_000_000_000;
        let h = VaultHealth::proven_at(created, 5 * MIN);
        assert_eq!(h.state, HealthState::Healthy);
        assert_eq!(h.since_ms, created);
        assert_eq!(h.last_check_ms, Some(created));
        assert_eq!(h.last_probe_ms, Some(created));
        assert_eq!(h.next_check_ms, created + 5 * MIN);
        assert!(!h.due(created + 5 * MIN - 1) && h.due(created + 5 * MIN));
        assert!(!h.probe_due(created + 5 * MIN, None), "proven at creation");
        assert_eq!((h.cause, h.error, h.failures), (None, None, 0));
    }

    #[test]
    fn each_state_has_its_own_words_in_the_vault_table() {
        let words = [
            (HealthState::Unknown, "unknown", "Not checked yet"),
            (HealthState::Healthy, "healthy", "Healthy"),
            (HealthState::Degraded, "degraded", "Degraded"),
            (HealthState::AccessLost, "access_lost", "Access lost"),
        ];
        for (state, name, label) in words {
            assert_eq!((state.as_str(), state.label()), (name, label));
            assert_eq!(serde_json::to_value(state).unwrap(), name);
        }
    }

    #[test]
    fn older_records_read_as_unknown_and_due() {
        let h: VaultHealth = serde_json::from_str("{}").unwrap();
        assert_eq!(h.state, HealthState::Unknown);
        assert!(h.due(1));
    }
}
