//! What `update` needs besides the model and the event: the time, fresh
//! randomness the edge drew, and the deployment's policy.

/// The deployment's timing policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// How long an admin consent counts (seconds; seed 000: 24 hours).
    pub consent_ttl_secs: i64,
    /// How long an OAuth state works (milliseconds).
    pub state_ttl_ms: u64,
    /// How long a step in flight may run before the alarm resolves it.
    pub lease_ms: u64,
    /// First finalization retry delay; it doubles per failed attempt.
    pub retry_base_ms: u64,
    /// Longest wait between finalization retries.
    pub max_backoff_ms: u64,
    /// How often a step cut off by a restart is started again before it
    /// fails with [`CatalogError::Interrupted`](crate::CatalogError::Interrupted).
    pub max_restarts: u32,
    /// How many tenant sign-ins may be pending at once.
    pub max_sign_ins: usize,
    /// At most one connection test per company in this time (milliseconds).
    pub test_interval_ms: u64,
    /// How long the one-time export stays offered after the switch (or
    /// after a re-verification reopened it), seconds.
    pub export_window_secs: i64,
    /// How recent the session's sign-in (`auth_time`) must be for an
    /// export, seconds.
    pub reauth_max_age_secs: i64,
    /// How the key's health checks are timed (issue 14).
    pub health: crate::health::Schedule,
    /// How long the unwrapped company key may stay in the Durable Object's
    /// memory after Key Vault (or the provider) last unwrapped it, seconds:
    /// the longest a revocation takes to bite on the envelope API.
    pub key_cache_secs: u64,
    /// Webhooks to the host: on when `WEBHOOK_URL` is set; retries.
    pub notify: crate::notify::NotifyPolicy,
    /// How old the kept backup-set count may be before the status reads
    /// the inventory again (milliseconds; `BACKUP_SET_COUNT_MAX_AGE_SECONDS`).
    pub backup_set_count_max_age_ms: u64,
    /// The KMS Connector's application (client) id in each cloud the
    /// deployment has one for (the worker's `CONNECTOR_CLIENT_ID*` vars):
    /// the principal a removed role's commands assign the role to.
    pub connectors: Vec<(crate::vault_uri::Cloud, crate::ids::ClientId)>,
}

impl Policy {
    /// The KMS Connector's application id in `cloud`, when configured.
    #[must_use]
    pub fn connector(&self, cloud: crate::vault_uri::Cloud) -> Option<&crate::ids::ClientId> {
        self.connectors
            .iter()
            .find(|(c, _)| *c == cloud)
            .map(|(_, id)| id)
    }
}

/// Default (and longest) age of the backup-set count the status shows
/// without reading the inventory: 60 seconds, as stale as the host's read
/// copies may be.
pub const BACKUP_SET_COUNT_MAX_AGE_SECS: u64 = 60;

/// Default (and longest) time the unwrapped company key stays cached: 5
/// minutes.
pub const KEY_CACHE_SECS: u64 = 300;

/// Default export window: 7 days.
pub const EXPORT_WINDOW_SECS: i64 = 7 * 24 * 3600;

impl Default for Policy {
    fn default() -> Self {
        Self {
            consent_ttl_secs: super::model::CONSENT_TTL_SECS,
            state_ttl_ms: 10 * 60 * 1000,
            lease_ms: 20_000,
            retry_base_ms: 1_000,
            max_backoff_ms: 5 * 60 * 1000,
            max_restarts: 1,
            max_sign_ins: 64,
            test_interval_ms: 10_000,
            export_window_secs: EXPORT_WINDOW_SECS,
            reauth_max_age_secs: 10 * 60,
            health: crate::health::Schedule::default(),
            key_cache_secs: KEY_CACHE_SECS,
            notify: crate::notify::NotifyPolicy::default(),
            backup_set_count_max_age_ms: BACKUP_SET_COUNT_MAX_AGE_SECS * 1000,
            connectors: Vec::new(),
        }
    }
}

/// The context of one `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    /// Now (Unix milliseconds).
    pub now_ms: u64,
    /// 32 fresh random bytes as URL-safe base64, for any state or id the
    /// update issues (the edge draws it; the model has no randomness).
    pub nonce: String,
    /// The policy.
    pub policy: Policy,
}

impl Ctx {
    /// Now in Unix seconds.
    #[must_use]
    pub fn now_secs(&self) -> i64 {
        i64::try_from(self.now_ms / 1000).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault_uri::Cloud;

    #[test]
    fn the_default_policy_is_the_documented_one() {
        let p = Policy::default();
        // Seed 000: consent kept 24 hours; sign-in requests expire after
        // 10 minutes; the export offered for 7 days.
        assert_eq!(p.consent_ttl_secs, 86_400);
        assert_eq!(p.state_ttl_ms, 600_000);
        assert_eq!(p.export_window_secs, 604_800);
        assert_eq!(p.max_backoff_ms, 300_000);
        assert_eq!(p.reauth_max_age_secs, 600);
    }

    #[test]
    fn a_connector_is_looked_up_by_its_cloud() {
        let public: crate::ids::ClientId =
            "0c9d8e7f-1111-4a2b-8c3d-000000000001".parse().expect("id");
        let china: crate::ids::ClientId =
            "0c9d8e7f-1111-4a2b-8c3d-000000000002".parse().expect("id");
        let p = Policy {
            connectors: vec![
                (Cloud::Public, public.clone()),
                (Cloud::China, china.clone()),
            ],
            ..Policy::default()
        };
        assert_eq!(p.connector(Cloud::China), Some(&china));
        assert_eq!(p.connector(Cloud::Public), Some(&public));
        assert_eq!(p.connector(Cloud::UsGovernment), None);
    }
}
