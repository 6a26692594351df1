//! The KV read copy of a company's KMS state (issue 14 item 8; PRODUCT.md
//! §6): what the host's pages and the backup engine may read without waking
//! the company's Durable Object — the provider, the tenant verification
//! records and the key's health — with the time it was written (`as_of`).
//! The Durable Object writes it through after every change; nothing decides
//! on it (decisions read only the Durable Object). It also tells the Cron
//! sweep when the company's alarm is due ([`SweepMark`]).

use serde::{Deserialize, Serialize};

use crate::provider::Provider;
use crate::switch::{Company, Policy, Stage, Tenant};

/// The KV key of a company's read copy (prefix [`PREFIX`]).
#[must_use]
pub fn key(company: &str) -> String {
    format!("{PREFIX}{company}")
}

/// The prefix the sweep lists.
pub const PREFIX: &str = "kms-read-copy/";

/// How stale a read copy may be under normal operation, seconds: KV shows a
/// write in other locations within 60 s. (A failed write is retried by the
/// object's next update; a company on Azure Key Vault has one at least every
/// health-check interval.)
pub const MAX_STALENESS_SECS: u64 = 60;

/// Tenant verification records, as the read copy holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantVerifications {
    /// The tenants verified for the switch that put the key in force
    /// (empty for a company that never switched, or switched with no
    /// backup set).
    pub in_force: Vec<Tenant>,
    /// The tenants of the switch in progress, if any, with their state.
    pub pending_setup: Option<Vec<Tenant>>,
    /// The tenants of an export re-verification round in progress, if any.
    pub export_round: Option<Vec<Tenant>>,
}

/// The read copy (JSON in KV under [`key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsReadCopy {
    /// The company.
    pub company_id: String,
    /// When the Durable Object wrote it (Unix milliseconds).
    pub as_of_ms: u64,
    /// The provider in force.
    pub provider: Provider,
    /// The switch's stage.
    pub stage: Stage,
    /// Tenant verification records.
    pub tenants: TenantVerifications,
    /// The key's health as the company's object last saw it (`null` for
    /// providers without health, or before the health monitor landed).
    #[serde(default)]
    pub health: Option<serde_json::Value>,
}

impl KmsReadCopy {
    /// The copy of `company` as of `as_of_ms`, its health seen under
    /// `policy` (the health monitor's status view).
    #[must_use]
    pub fn of(company: &Company, as_of_ms: u64, policy: &Policy) -> Self {
        let now_secs = i64::try_from(as_of_ms / 1000).unwrap_or(i64::MAX);
        let health = company
            .health_view(now_secs, policy)
            .and_then(|h| serde_json::to_value(h).ok());
        Self {
            company_id: company.company_id.as_str().to_owned(),
            as_of_ms,
            provider: company.provider.clone(),
            stage: company.stage(),
            tenants: TenantVerifications {
                in_force: company.verified_tenants.clone(),
                pending_setup: company.setup.as_ref().map(|s| s.tenants.clone()),
                export_round: company.round.as_ref().map(|r| r.tenants.clone()),
            },
            health,
        }
    }

    /// Whether two copies say the same, whenever they were written.
    #[must_use]
    pub fn same_content(&self, other: &Self) -> bool {
        Self {
            as_of_ms: 0,
            ..self.clone()
        } == Self {
            as_of_ms: 0,
            ..other.clone()
        }
    }
}

/// What the Cron sweep reads of each company without opening its copy (KV
/// list metadata): whether it is on Azure Key Vault and when its alarm is
/// due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepMark {
    /// On Azure Key Vault (monitored).
    pub azure: bool,
    /// When the company's alarm must fire next (Unix milliseconds), if
    /// anything is due.
    pub due_ms: Option<u64>,
}

impl SweepMark {
    /// The mark of `company`.
    #[must_use]
    pub fn of(company: &Company) -> Self {
        Self {
            azure: matches!(company.provider, Provider::AzureKeyVault { .. }),
            due_ms: company.next_deadline_ms(),
        }
    }

    /// Whether the sweep must wake the company at `now_ms`: something was
    /// due more than `grace_ms` ago (its alarm should have fired).
    #[must_use]
    pub fn overdue(&self, now_ms: u64, grace_ms: u64) -> bool {
        self.due_ms
            .is_some_and(|due| due.saturating_add(grace_ms) < now_ms)
    }
}

/// How long after a due time the sweep wakes a company (its alarm is late
/// or lost).
pub const SWEEP_GRACE_MS: u64 = 10_000;

/// The read copy as the host's API serves it: the copy plus how old it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedCopy {
    /// The copy.
    #[serde(flatten)]
    pub copy: KmsReadCopy,
    /// `as_of_ms` as RFC 3339 UTC.
    pub as_of: String,
    /// Seconds between `as_of` and the answer.
    pub age_secs: u64,
    /// How stale a copy may be under normal operation.
    pub max_staleness_secs: u64,
}

impl ServedCopy {
    /// Serves `copy` at `now_ms`.
    #[must_use]
    pub fn at(copy: KmsReadCopy, now_ms: u64) -> Self {
        Self {
            as_of: crate::notify::rfc3339(copy.as_of_ms),
            age_secs: now_ms.saturating_sub(copy.as_of_ms) / 1000,
            max_staleness_secs: MAX_STALENESS_SECS,
            copy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyId;
    use crate::health::KeySeen;
    use crate::switch::WrappedKey;

    /// 2026-11-30T20:00:00.250Z.
    const AS_OF_MS: u64 = 1_796_068_800_250;

    /// A company on Azure Key Vault whose key expires 10 days and a minute
    /// after [`AS_OF_MS`].
    fn on_azure() -> Company {
        let kid: KeyId =
            "https://kv1.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        let mut c = crate::switch::acme_on_azure(&kid);
        c.monitor.health.seen = Some(KeySeen {
            kid,
            kty: "RSA".into(),
            size_bits: 4096,
            key_ops: vec!["wrapKey".into(), "unwrapKey".into()],
            enabled: true,
            nbf: None,
            exp: Some(1_796_068_800 + 10 * 86_400 + 60),
            updated: None,
            tags: std::collections::BTreeMap::new(),
            recovery_level: None,
            recoverable_days: None,
        });
        c
    }

    #[test]
    fn a_copy_is_keyed_by_its_company_and_its_health_seen_at_its_time() {
        assert_eq!(key("acme"), "kms-read-copy/acme");
        assert!(key("acme").starts_with(PREFIX));
        let copy = KmsReadCopy::of(&on_azure(), AS_OF_MS, &Policy::default());
        assert_eq!(
            (copy.company_id.as_str(), copy.as_of_ms),
            ("acme", AS_OF_MS)
        );
        let health = copy.health.unwrap();
        assert_eq!(health["expiry_warning"]["days_left"], 10, "{health}");
        // The platform key has no health.
        let platform = Company::new(
            "acme".parse().unwrap(),
            Provider::Platform,
            WrappedKey {
                blob: "blob".into(),
                created_at_ms: 1,
                azure_tenant: None,
            },
        );
        assert_eq!(
            KmsReadCopy::of(&platform, AS_OF_MS, &Policy::default()).health,
            None
        );
    }

    #[test]
    fn copies_written_at_other_times_say_the_same_unless_their_content_differs() {
        let policy = Policy::default();
        let now = KmsReadCopy::of(&on_azure(), AS_OF_MS, &policy);
        let later = KmsReadCopy {
            as_of_ms: AS_OF_MS + 5_000,
            ..now.clone()
        };
        assert!(now.same_content(&later) && later.same_content(&now));
        let other_stage = KmsReadCopy {
            stage: Stage::Cancelled,
            ..later.clone()
        };
        assert!(!now.same_content(&other_stage));
        assert!(!other_stage.same_content(&now));
    }

    #[test]
    fn the_sweep_wakes_a_company_only_once_its_grace_is_over() {
        let due = SweepMark {
            azure: true,
            due_ms: Some(1_000),
        };
        assert!(!due.overdue(999, 10));
        assert!(!due.overdue(1_010, 10));
        assert!(due.overdue(1_011, 10));
        let nothing = SweepMark {
            azure: true,
            due_ms: None,
        };
        assert!(!nothing.overdue(u64::MAX, 0));
    }

    #[test]
    fn a_served_copy_says_when_it_was_written_and_how_old_it_is() {
        let copy = KmsReadCopy::of(&on_azure(), AS_OF_MS, &Policy::default());
        let served = ServedCopy::at(copy, AS_OF_MS + 61_999);
        assert_eq!(served.as_of, "2026-11-30T20:00:00Z");
        assert_eq!((served.age_secs, served.max_staleness_secs), (61, 60));
        let json = serde_json::to_value(&served).unwrap();
        assert_eq!(
            json["company_id"], "acme",
            "the copy's fields at the top level"
        );
    }
}
