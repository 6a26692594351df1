//! Key health (issue 14, items 1, 2 and 5): what one check of a customer's
//! Azure Key Vault key observed, and the state and cause that means. Pure:
//! no I/O, no clock. The company model (`switch::update::health`) and the
//! seed-001 vaults model both keep a [`Health`] and feed it [`Verdict`]s.
//!
//! A check is one GET of the key (versionless: tags, attributes, current
//! version) judged by [`judge_key`], or the refusal it met judged by
//! [`judge_error`]; at most daily, or when the GET shows a change, also a
//! wrap/unwrap round trip of a random probe (its failure is judged by
//! [`judge_error`] too).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, ErrorBody, utc_minutes};
use crate::ids::{ClientId, CompanyId, KeyId, KeyName, TenantId};
use crate::keyvault::{KeyBundle, decode_base64url_lenient};
use crate::vault_uri::VaultUri;

/// One day in milliseconds: the longest time between two probes.
pub const PROBE_INTERVAL_MS: u64 = 24 * 60 * 60 * 1000;
/// Default time between two checks (`HEALTH_CHECK_INTERVAL_SECONDS`).
pub const DEFAULT_CHECK_INTERVAL_SECS: u64 = 300;
/// Default warning time before `exp` (`EXPIRY_WARNING_DAYS`).
pub const DEFAULT_EXPIRY_WARNING_DAYS: u64 = 30;

/// The health of a monitored key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Not checked yet.
    #[default]
    Unknown,
    /// The last check passed.
    Healthy,
    /// The last check met a transient failure (throttled, 5xx, timeout,
    /// network); checks are retried with back-off. Access is not known to
    /// be lost.
    Degraded,
    /// The key cannot serve: [`Cause`] says why.
    AccessLost,
}

impl HealthState {
    /// The wire name, e.g. `access_lost`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::AccessLost => "access_lost",
        }
    }
}

/// Why access to the key is lost (exactly one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The connector's Key Vault role (or access-policy permission) is gone.
    RoleRemoved,
    /// The admin consent (the connector's service principal) is gone from
    /// the vault's tenant.
    ConsentRemoved,
    /// The key's current version is disabled, or no longer permits wrap and
    /// unwrap.
    KeyDisabled,
    /// The key was deleted (soft-deleted: recoverable; or purged).
    KeyDeleted,
    /// The key's expiration date (`exp`) has passed.
    KeyExpired,
    /// The key's activation date (`nbf`) is in the future.
    KeyNotYetValid,
    /// The key's `keyswitch-company` tag no longer names the company.
    BindingRemoved,
    /// The vault's firewall refuses keyswitch.
    VaultFirewall,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Self; 8] = [
        Self::RoleRemoved,
        Self::ConsentRemoved,
        Self::KeyDisabled,
        Self::KeyDeleted,
        Self::KeyExpired,
        Self::KeyNotYetValid,
        Self::BindingRemoved,
        Self::VaultFirewall,
    ];

    /// The wire name, e.g. `role_removed` (what `key_access_lost` names).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::RoleRemoved => "role_removed",
            Self::ConsentRemoved => "consent_removed",
            Self::KeyDisabled => "key_disabled",
            Self::KeyDeleted => "key_deleted",
            Self::KeyExpired => "key_expired",
            Self::KeyNotYetValid => "key_not_yet_valid",
            Self::BindingRemoved => "binding_removed",
            Self::VaultFirewall => "vault_firewall",
        }
    }
}

/// What one GET of the key showed (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySeen {
    /// The current version's id.
    pub kid: KeyId,
    /// `kty`.
    pub kty: String,
    /// RSA modulus size in bits (0 when unreadable).
    pub size_bits: u32,
    /// `key_ops`.
    pub key_ops: Vec<String>,
    /// `attributes.enabled` (absent counts as enabled).
    pub enabled: bool,
    /// `attributes.nbf` (Unix seconds).
    pub nbf: Option<i64>,
    /// `attributes.exp` (Unix seconds).
    pub exp: Option<i64>,
    /// `attributes.updated` (Unix seconds).
    pub updated: Option<i64>,
    /// The key's tags (Key Vault allows at most 15).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `attributes.recoveryLevel`, e.g. `CustomizedRecoverable+Purgeable`.
    pub recovery_level: Option<String>,
    /// `attributes.recoverableDays`: how long a deleted key stays recoverable.
    pub recoverable_days: Option<u32>,
}

impl KeySeen {
    /// Reads a GET answer.
    ///
    /// # Errors
    /// [`CatalogError::UnexpectedAnswer`] when it carries no versioned kid.
    pub fn from_bundle(bundle: &KeyBundle) -> Result<Self, CatalogError> {
        let kid = bundle
            .key
            .kid
            .as_deref()
            .and_then(|k| k.parse::<KeyId>().ok())
            .filter(|k| k.version().is_some())
            .ok_or_else(|| CatalogError::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            })?;
        let size_bits = bundle
            .key
            .n
            .as_deref()
            .and_then(decode_base64url_lenient)
            .map_or(0, |n| crate::key_check::bit_length(&n));
        let a = &bundle.attributes;
        Ok(Self {
            kid,
            kty: bundle.key.kty.chars().take(16).collect(),
            size_bits,
            key_ops: bundle.key.key_ops.iter().take(16).cloned().collect(),
            enabled: a.enabled != Some(false),
            nbf: a.nbf,
            exp: a.exp,
            updated: a.updated,
            tags: bundle.tags.clone().unwrap_or_default(),
            recovery_level: a.recovery_level.clone(),
            recoverable_days: a.recoverable_days,
        })
    }

    /// Whether the two GETs differ in anything that matters for the key's
    /// use (version, state, window, operations, binding tag): a change
    /// makes the next check probe.
    #[must_use]
    pub fn changed_from(&self, before: &Self) -> bool {
        !self.kid.same_as(&before.kid)
            || self.enabled != before.enabled
            || self.nbf != before.nbf
            || self.exp != before.exp
            || self.key_ops != before.key_ops
            || crate::binding::companies(Some(&self.tags))
                != crate::binding::companies(Some(&before.tags))
    }
}

/// The key a health monitor watches, and whose key it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched<'a> {
    /// The company (or workspace) the key's binding tag must name.
    pub owner: &'a CompanyId,
    /// The vault.
    pub vault: &'a VaultUri,
    /// The key's name.
    pub key: &'a KeyName,
    /// The vault's tenant (named in a consent error).
    pub tenant: Option<&'a TenantId>,
    /// The principal that must hold the key-use role: the KMS Connector's
    /// application id in the vault's cloud, when the deployment has one
    /// (named in a removed role's fix and commands).
    pub connector: Option<&'a ClientId>,
}

/// What one check (or probe) means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key serves.
    Healthy,
    /// A transient failure: check again soon (with back-off).
    Degraded(CatalogError),
    /// The key cannot serve, for this cause (with its catalog error).
    AccessLost(Cause, CatalogError),
}

/// Judges a GET of the key at `now` (Unix seconds): disabled, outside its
/// `nbf`–`exp` window, missing wrap/unwrap, or no longer bound to the owner
/// is access lost; otherwise healthy. `binding` is `false` where the key
/// carries no binding tag rule (seed-001 vaults).
#[must_use]
pub fn judge_key(seen: &KeySeen, watched: &Watched<'_>, now: i64, binding: bool) -> Verdict {
    if !crate::binding::kid_is_of(&seen.kid, watched.vault, watched.key) {
        return Verdict::Degraded(CatalogError::UnexpectedAnswer {
            service: "Azure Key Vault".into(),
        });
    }
    if !seen.enabled {
        return Verdict::AccessLost(Cause::KeyDisabled, CatalogError::KeyDisabled);
    }
    if let Some(nbf) = seen.nbf.filter(|nbf| now < *nbf) {
        return Verdict::AccessLost(
            Cause::KeyNotYetValid,
            CatalogError::KeyNotYetValid {
                valid_from: Some(nbf),
            },
        );
    }
    if let Some(exp) = seen.exp.filter(|exp| now >= *exp) {
        return Verdict::AccessLost(
            Cause::KeyExpired,
            CatalogError::KeyExpired {
                expired_at: Some(exp),
            },
        );
    }
    let missing: Vec<String> = ["wrapKey", "unwrapKey"]
        .into_iter()
        .filter(|op| !seen.key_ops.iter().any(|k| k == op))
        .map(str::to_owned)
        .collect();
    if !missing.is_empty() {
        return Verdict::AccessLost(
            Cause::KeyDisabled,
            CatalogError::KeyOperationsMissing { missing },
        );
    }
    if binding
        && let Err(e) =
            crate::binding::check(Some(&seen.tags), watched.owner, watched.vault, watched.key)
    {
        return Verdict::AccessLost(Cause::BindingRemoved, e);
    }
    Verdict::Healthy
}

/// Judges the refusal a check (or probe) met. `last_seen` is the last GET
/// that succeeded (its recovery settings name how long a deleted key stays
/// recoverable).
#[must_use]
pub fn judge_error(
    error: &CatalogError,
    watched: &Watched<'_>,
    last_seen: Option<&KeySeen>,
) -> Verdict {
    use CatalogError as E;
    let vault = watched.vault.clone();
    let lost = |cause, e| Verdict::AccessLost(cause, e);
    match error {
        E::KeyVaultForbidden | E::AccessPolicyVault => lost(
            Cause::RoleRemoved,
            E::RoleRemoved {
                vault,
                key_name: watched.key.clone(),
                connector: watched.connector.cloned(),
            },
        ),
        E::AdminConsentRequired | E::ApplicationNotFound | E::VaultTokenRejected { .. } => lost(
            Cause::ConsentRemoved,
            E::ConsentRemoved {
                tenant: watched.tenant.cloned(),
            },
        ),
        E::KeyNotFound { .. } => lost(
            Cause::KeyDeleted,
            E::KeyDeleted {
                vault,
                key_name: watched.key.as_str().to_owned(),
                recoverable_days: last_seen.and_then(|s| s.recoverable_days),
            },
        ),
        E::KeyDisabled | E::KeyOperationsMissing { .. } => lost(Cause::KeyDisabled, error.clone()),
        E::KeyExpired { .. } => lost(Cause::KeyExpired, error.clone()),
        E::KeyNotYetValid { .. } => lost(Cause::KeyNotYetValid, error.clone()),
        E::KeyBindingMissing { .. } | E::KeyBindingMismatch { .. } => {
            lost(Cause::BindingRemoved, error.clone())
        }
        E::VaultFirewall => lost(Cause::VaultFirewall, error.clone()),
        other => Verdict::Degraded(other.clone()),
    }
}

/// How a monitor times its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time between two checks while healthy or access lost (milliseconds).
    pub interval_ms: u64,
    /// First retry after a transient failure; it doubles per failure up to
    /// `interval_ms` (milliseconds).
    pub retry_base_ms: u64,
    /// How long before `exp` a warning is given (seconds).
    pub expiry_warning_secs: i64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval_ms: DEFAULT_CHECK_INTERVAL_SECS * 1000,
            retry_base_ms: 10_000,
            expiry_warning_secs: i64::try_from(DEFAULT_EXPIRY_WARNING_DAYS * 86_400)
                .unwrap_or(i64::MAX),
        }
    }
}

impl Schedule {
    /// When to check next after a check at `now_ms` that ended in `state`
    /// after `failures` transient failures in a row.
    #[must_use]
    pub fn next_after(&self, now_ms: u64, state: HealthState, failures: u32) -> u64 {
        let wait = match state {
            HealthState::Degraded => self
                .retry_base_ms
                .saturating_mul(1u64 << failures.saturating_sub(1).min(16))
                .min(self.interval_ms),
            _ => self.interval_ms,
        };
        now_ms.saturating_add(wait.max(1))
    }
}

/// A monitored key's health, as kept in the model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The state.
    pub state: HealthState,
    /// Why access is lost (only in `access_lost`).
    #[serde(default)]
    pub cause: Option<Cause>,
    /// The catalog error of the cause, or of the transient failure.
    #[serde(default)]
    pub error: Option<ErrorBody>,
    /// When the state began (Unix milliseconds).
    #[serde(default)]
    pub since_ms: Option<u64>,
    /// When the last check ended (Unix milliseconds).
    #[serde(default)]
    pub last_check_at_ms: Option<u64>,
    /// When the next check is due (Unix milliseconds).
    #[serde(default)]
    pub next_check_at_ms: Option<u64>,
    /// Transient failures in a row (the back-off).
    #[serde(default)]
    pub failures: u32,
    /// When the last wrap/unwrap probe passed (Unix milliseconds).
    #[serde(default)]
    pub last_probe_at_ms: Option<u64>,
    /// The last GET that succeeded.
    #[serde(default)]
    pub seen: Option<KeySeen>,
    /// The `exp` a warning was given for (one warning per `exp` value).
    #[serde(default)]
    pub expiry_warned_for: Option<i64>,
}

/// A change of state, for the audit trail and notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: HealthState,
    /// The state after.
    pub to: HealthState,
    /// The cause before (access lost for one cause, then another).
    pub from_cause: Option<Cause>,
    /// The cause after.
    pub cause: Option<Cause>,
    /// The catalog code of what the check met (cause or transient failure).
    pub code: Option<String>,
}

impl Transition {
    /// `healthy → access_lost (role_removed)`, for the audit detail.
    #[must_use]
    pub fn describe(&self) -> String {
        let with = |state: HealthState, cause: Option<Cause>| match cause {
            Some(c) => format!("{} ({})", state.as_str(), c.code()),
            None => state.as_str().to_owned(),
        };
        let mut out = format!(
            "{} → {}",
            with(self.from, self.from_cause),
            with(self.to, self.cause)
        );
        if self.to == HealthState::Degraded
            && let Some(code) = &self.code
        {
            out.push_str(": ");
            out.push_str(code);
        }
        out
    }
}

/// A warning that the key expires soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryWarning {
    /// The key's `exp` (Unix seconds).
    pub expires_at: i64,
    /// Whole days left (0 on the last day).
    pub days_left: i64,
    /// What happens at `exp` and what to do, in words.
    pub message: String,
    /// The `az` command that moves the expiration date a year on.
    pub extend_command: String,
    /// The `az` command that creates a new version (keyswitch re-wraps by
    /// itself when it sees it).
    pub rotate_command: String,
    /// Both, for the Azure CLI and Azure PowerShell, as tabs.
    #[serde(default)]
    pub commands: Vec<crate::commands::CommandTab>,
}

/// The warning for a key whose `exp` falls within `window_secs` of `now`
/// (Unix seconds); `None` when it is further away, already past, or absent.
#[must_use]
pub fn expiry_warning(
    seen: &KeySeen,
    vault: &VaultUri,
    key: &KeyName,
    now: i64,
    window_secs: i64,
) -> Option<ExpiryWarning> {
    let exp = seen.exp?;
    if exp <= now || exp - now > window_secs {
        return None;
    }
    let days_left = (exp - now) / 86_400;
    let (vault_name, key_name) = (vault.vault_name(), key.as_str());
    // The extension moves `exp` a year on, as a full ISO 8601 time.
    let version = seen.kid.version().map(|v| v.as_str().to_owned());
    let expires = iso_utc(exp.saturating_add(365 * 86_400));
    let expiry = crate::commands::expiry::Expiry {
        vault,
        key: key_name,
        version: version.as_deref(),
        expires: &expires,
    };
    Some(ExpiryWarning {
        expires_at: exp,
        days_left,
        message: format!(
            "The key {key_name} in vault {vault_name} expires on {} ({days_left} day(s) left). {}",
            utc_minutes(exp),
            AFTER_EXPIRY
        ),
        extend_command: expiry.az_extend_line(),
        rotate_command: expiry.az_rotate_line(),
        commands: expiry.tabs(),
    })
}

/// Unix seconds as ISO 8601 (`YYYY-MM-DDTHH:MM:00Z`), as `--expires` takes it.
fn iso_utc(secs: i64) -> String {
    let t = crate::calendar::UtcTime::from_unix_secs(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// What still works after `exp`, and what the admin must do (PRODUCT.md:
/// Key Vault still unwraps with an expired key; new wraps fail).
pub const AFTER_EXPIRY: &str = "After that date Azure Key Vault still unwraps with the key, so backups and restores keep working with the company key as it is wrapped now; but nothing can be wrapped with it any more: keyswitch cannot re-wrap the company key (rotation, Re-wrap now, or a switch to another key) until the date is moved or a new version exists. Extend the expiration date, or rotate the key (keyswitch re-wraps with the new version by itself).";

impl Health {
    /// Records a check's verdict at `now_ms`: the next state, and the
    /// transition when the state (or the cause) changed.
    pub fn record(
        &mut self,
        verdict: Verdict,
        now_ms: u64,
        schedule: &Schedule,
    ) -> Option<Transition> {
        let (state, cause, error) = match verdict {
            Verdict::Healthy => (HealthState::Healthy, None, None),
            Verdict::Degraded(e) => (HealthState::Degraded, None, Some(e)),
            Verdict::AccessLost(c, e) => (HealthState::AccessLost, Some(c), Some(e)),
        };
        self.last_check_at_ms = Some(now_ms);
        // A transient failure while access is known to be lost does not
        // hide the cause: access is still lost until a check says otherwise.
        if state == HealthState::Degraded && self.state == HealthState::AccessLost {
            self.next_check_at_ms = Some(schedule.next_after(now_ms, self.state, 0));
            return None;
        }
        self.failures = if state == HealthState::Degraded {
            self.failures.saturating_add(1)
        } else {
            0
        };
        let transition = (state != self.state || cause != self.cause).then(|| Transition {
            from: self.state,
            to: state,
            from_cause: self.cause,
            cause,
            code: error.as_ref().map(|e| e.code().to_owned()),
        });
        if transition.is_some() {
            self.since_ms = Some(now_ms);
        }
        self.error = error.map(|e| e.body());
        self.state = state;
        self.cause = cause;
        self.next_check_at_ms = Some(schedule.next_after(now_ms, state, self.failures));
        transition
    }

    /// Whether the next check should also probe: no probe passed in the
    /// last day, or `seen` differs from the last GET.
    #[must_use]
    pub fn probe_due(&self, seen: &KeySeen, now_ms: u64) -> bool {
        let stale = self
            .last_probe_at_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= PROBE_INTERVAL_MS);
        let changed = self
            .seen
            .as_ref()
            .is_none_or(|before| seen.changed_from(before));
        stale || changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = "acme-001";

    fn watched<'a>(c: &'a CompanyId, v: &'a VaultUri, k: &'a KeyName) -> Watched<'a> {
        Watched {
            owner: c,
            vault: v,
            key: k,
            tenant: None,
            connector: None,
        }
    }

    fn seen(company: &str) -> KeySeen {
        let mut tags = BTreeMap::new();
        tags.insert(crate::binding::TAG.to_owned(), company.to_owned());
        KeySeen {
            kid: "https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap(),
            kty: "RSA".into(),
            size_bits: 2048,
            key_ops: vec!["wrapKey".into(), "unwrapKey".into()],
            enabled: true,
            nbf: None,
            exp: None,
            updated: None,
            tags,
            recovery_level: Some("CustomizedRecoverable+Purgeable".into()),
            recoverable_days: Some(7),
        }
    }

    /// A GET of the key as Key Vault answers it, with `attributes`.
    fn get_answer(n: &[u8], attributes: serde_json::Value) -> KeyBundle {
        serde_json::from_value(serde_json::json!({
            "key": {
                "kid": "https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
                "kty": "RSA-HSM",
                "key_ops": ["wrapKey", "unwrapKey"],
                "n": crate::keyvault::encode_base64url(n),
                "e": "AQAB"
            },
            "attributes": attributes,
            "tags": {"keyswitch-company": COMPANY}
        }))
        .unwrap()
    }

    #[test]
    fn a_get_answer_is_read_as_key_vault_sends_it() {
        let mut n = vec![0xc5_u8; 512];
        let s = KeySeen::from_bundle(&get_answer(
            &n,
            serde_json::json!({
                "enabled": true, "nbf": 1_700_000_000, "exp": 1_800_000_000,
                "updated": 1_750_000_000, "recoveryLevel": "Recoverable", "recoverableDays": 90
            }),
        ))
        .unwrap();
        assert_eq!((s.kty.as_str(), s.size_bits), ("RSA-HSM", 4096));
        assert!(s.enabled);
        assert_eq!(
            (s.nbf, s.exp, s.updated),
            (
                Some(1_700_000_000),
                Some(1_800_000_000),
                Some(1_750_000_000)
            )
        );
        assert_eq!(
            (s.recovery_level.as_deref(), s.recoverable_days),
            (Some("Recoverable"), Some(90))
        );
        assert_eq!(
            s.tags.get("keyswitch-company").map(String::as_str),
            Some(COMPANY)
        );
        assert_eq!(s.key_ops, ["wrapKey", "unwrapKey"]);
        // A disabled key; and one whose answer leaves `enabled` out (Key
        // Vault's default: enabled).
        let disabled = KeySeen::from_bundle(&get_answer(&n, serde_json::json!({"enabled": false})));
        assert!(!disabled.unwrap().enabled);
        let unsaid = KeySeen::from_bundle(&get_answer(&n, serde_json::json!({})));
        assert!(unsaid.unwrap().enabled);
        // The modulus's bits, not its bytes: a leading zero byte does not
        // count, a small first byte counts its bits.
        n.insert(0, 0);
        assert_eq!(
            KeySeen::from_bundle(&get_answer(&n, serde_json::json!({})))
                .unwrap()
                .size_bits,
            4096
        );
        n[1] = 0x01;
        assert_eq!(
            KeySeen::from_bundle(&get_answer(&n, serde_json::json!({})))
                .unwrap()
                .size_bits,
            4089
        );
    }

    #[test]
    fn each_change_that_matters_alone_is_a_change() {
        let before = seen(COMPANY);
        assert!(!before.changed_from(&before.clone()));
        let mut changes: Vec<KeySeen> = Vec::new();
        let mut s = before.clone();
        s.kid = "https://contoso.vault.azure.net/keys/cmk/fedcba9876543210fedcba9876543210"
            .parse()
            .unwrap();
        changes.push(s);
        let mut s = before.clone();
        s.enabled = false;
        changes.push(s);
        let mut s = before.clone();
        s.nbf = Some(1);
        changes.push(s);
        let mut s = before.clone();
        s.exp = Some(2);
        changes.push(s);
        let mut s = before.clone();
        s.key_ops = vec!["wrapKey".into()];
        changes.push(s);
        let mut s = before.clone();
        s.tags
            .insert(crate::binding::TAG.to_owned(), "globex".into());
        changes.push(s);
        for after in &changes {
            assert!(after.changed_from(&before), "{after:?}");
            assert!(before.changed_from(after), "{after:?}");
        }
        // What does not matter for the key's use is no change.
        let mut s = before.clone();
        s.updated = Some(3);
        s.recoverable_days = Some(90);
        assert!(!s.changed_from(&before));
    }

    fn ids() -> (CompanyId, VaultUri, KeyName) {
        (
            COMPANY.parse().unwrap(),
            "https://contoso.vault.azure.net".parse().unwrap(),
            "cmk".parse().unwrap(),
        )
    }

    #[test]
    fn a_get_is_judged_for_every_cause_it_can_show() {
        let (c, v, k) = ids();
        let w = watched(&c, &v, &k);
        let now = 1_700_000_000;
        assert_eq!(judge_key(&seen(COMPANY), &w, now, true), Verdict::Healthy);
        let cause = |s: &KeySeen| match judge_key(s, &w, now, true) {
            Verdict::AccessLost(c, _) => Some(c),
            _ => None,
        };
        let mut s = seen(COMPANY);
        s.enabled = false;
        assert_eq!(cause(&s), Some(Cause::KeyDisabled));
        let mut s = seen(COMPANY);
        s.exp = Some(now);
        assert_eq!(cause(&s), Some(Cause::KeyExpired));
        let mut s = seen(COMPANY);
        s.nbf = Some(now + 1);
        assert_eq!(cause(&s), Some(Cause::KeyNotYetValid));
        // Valid from its `nbf` second on (and until just before `exp`).
        s.nbf = Some(now);
        s.exp = Some(now + 1);
        assert_eq!(judge_key(&s, &w, now, true), Verdict::Healthy);
        // The operation that is missing is named, whichever it is.
        for (ops, missing) in [(["wrapKey"], "unwrapKey"), (["unwrapKey"], "wrapKey")] {
            let mut s = seen(COMPANY);
            s.key_ops = ops.iter().map(|o| (*o).to_owned()).collect();
            assert_eq!(
                judge_key(&s, &w, now, true),
                Verdict::AccessLost(
                    Cause::KeyDisabled,
                    CatalogError::KeyOperationsMissing {
                        missing: vec![missing.to_owned()]
                    }
                )
            );
        }
        assert_eq!(cause(&seen("other-co")), Some(Cause::BindingRemoved));
        let mut s = seen(COMPANY);
        s.tags.clear();
        assert_eq!(cause(&s), Some(Cause::BindingRemoved));
        // Without the binding rule (seed-001 vaults) the tag does not count.
        assert_eq!(judge_key(&s, &w, now, false), Verdict::Healthy);
    }

    #[test]
    fn refusals_map_to_causes_or_degraded() {
        let (c, v, k) = ids();
        let w = watched(&c, &v, &k);
        let s = seen(COMPANY);
        let cause = |e: CatalogError| match judge_error(&e, &w, Some(&s)) {
            Verdict::AccessLost(c, _) => Some(c),
            _ => None,
        };
        assert_eq!(
            cause(CatalogError::KeyVaultForbidden),
            Some(Cause::RoleRemoved)
        );
        assert_eq!(
            cause(CatalogError::AdminConsentRequired),
            Some(Cause::ConsentRemoved)
        );
        assert_eq!(
            cause(CatalogError::VaultFirewall),
            Some(Cause::VaultFirewall)
        );
        assert_eq!(
            cause(CatalogError::KeyNotFound { key_name: None }),
            Some(Cause::KeyDeleted)
        );
        assert_eq!(cause(CatalogError::Throttled), None);
        assert_eq!(cause(CatalogError::AzureUnavailable), None);
        let Verdict::AccessLost(_, deleted) =
            judge_error(&CatalogError::KeyNotFound { key_name: None }, &w, Some(&s))
        else {
            panic!("deleted")
        };
        assert!(
            deleted
                .fix()
                .contains("az keyvault key recover --vault-name contoso --name cmk")
        );
        assert!(deleted.fix().contains("7 days"), "{}", deleted.fix());
    }

    #[test]
    fn transitions_are_reported_once_and_degraded_backs_off() {
        let sched = Schedule {
            interval_ms: 300_000,
            retry_base_ms: 10_000,
            expiry_warning_secs: 30 * 86_400,
        };
        let mut h = Health::default();
        let t = h.record(Verdict::Healthy, 1_000, &sched).unwrap();
        assert_eq!((t.from, t.to), (HealthState::Unknown, HealthState::Healthy));
        assert_eq!(h.next_check_at_ms, Some(301_000));
        assert!(h.record(Verdict::Healthy, 2_000, &sched).is_none());
        let t = h
            .record(Verdict::Degraded(CatalogError::Throttled), 3_000, &sched)
            .unwrap();
        assert_eq!(t.describe(), "healthy → degraded: throttled");
        assert_eq!(h.next_check_at_ms, Some(13_000));
        assert!(
            h.record(Verdict::Degraded(CatalogError::Throttled), 13_000, &sched)
                .is_none()
        );
        assert_eq!(h.next_check_at_ms, Some(33_000));
        let t = h
            .record(
                Verdict::AccessLost(Cause::RoleRemoved, CatalogError::KeyVaultForbidden),
                40_000,
                &sched,
            )
            .unwrap();
        assert_eq!(t.describe(), "degraded → access_lost (role_removed)");
        assert_eq!(h.failures, 0);
        // A transient failure does not hide a known loss.
        assert!(
            h.record(
                Verdict::Degraded(CatalogError::AzureUnavailable),
                50_000,
                &sched
            )
            .is_none()
        );
        assert_eq!(h.state, HealthState::AccessLost);
        assert_eq!(h.cause, Some(Cause::RoleRemoved));
        assert_eq!(h.error.as_ref().unwrap().code, "key_vault_forbidden");
        let t = h.record(Verdict::Healthy, 60_000, &sched).unwrap();
        assert_eq!(t.describe(), "access_lost (role_removed) → healthy");
        assert_eq!(h.error, None);
        assert_eq!(h.since_ms, Some(60_000));
    }

    #[test]
    fn probes_run_daily_or_on_change() {
        let mut h = Health::default();
        let s = seen(COMPANY);
        assert!(h.probe_due(&s, 0));
        h.seen = Some(s.clone());
        h.last_probe_at_ms = Some(1_000);
        // Daily: 24 hours after the last probe, not a millisecond earlier.
        let day_ms = 24 * 3_600 * 1_000;
        assert!(!h.probe_due(&s, 1_000 + day_ms - 1));
        assert!(h.probe_due(&s, 1_000 + day_ms));
        let mut changed = s.clone();
        changed.enabled = false;
        assert!(h.probe_due(&changed, 2_000));
        let mut touched = s;
        touched.updated = Some(5);
        assert!(!h.probe_due(&touched, 2_000));
    }

    #[test]
    fn expiry_is_warned_within_the_window_with_the_commands() {
        let (_, v, k) = ids();
        let now = 1_700_000_000;
        let mut s = seen(COMPANY);
        assert!(expiry_warning(&s, &v, &k, now, 30 * 86_400).is_none());
        s.exp = Some(now + 31 * 86_400);
        assert!(expiry_warning(&s, &v, &k, now, 30 * 86_400).is_none());
        // The window's first second warns; the second before it does not.
        s.exp = Some(now + 30 * 86_400 + 1);
        assert!(expiry_warning(&s, &v, &k, now, 30 * 86_400).is_none());
        s.exp = Some(now + 30 * 86_400);
        assert_eq!(
            expiry_warning(&s, &v, &k, now, 30 * 86_400).map(|w| w.days_left),
            Some(30)
        );
        s.exp = Some(now + 10 * 86_400 + 5);
        let w = expiry_warning(&s, &v, &k, now, 30 * 86_400).unwrap();
        assert_eq!(w.days_left, 10);
        assert_eq!(
            w.extend_command,
            format!(
                "az keyvault key set-attributes --vault-name contoso --name cmk --version 0123456789abcdef0123456789abcdef --expires {}",
                iso_utc(now + 375 * 86_400 + 5)
            )
        );
        assert_eq!(iso_utc(1_700_000_000), "2023-11-14T22:13:00Z");
        assert!(!w.extend_command.contains('<'));
        assert_eq!(
            w.rotate_command,
            "az keyvault key rotate --vault-name contoso --name cmk"
        );
        assert!(w.message.contains("still unwraps"));
        // The tabs run the same commands, and PowerShell's.
        assert_eq!(w.commands.len(), 2);
        assert_eq!(w.commands[0].blocks[0].text.trim_end(), w.extend_command);
        assert_eq!(w.commands[0].blocks[1].text.trim_end(), w.rotate_command);
        assert!(
            w.commands[1].blocks[1]
                .text
                .contains("Invoke-AzKeyVaultKeyRotation -VaultName 'contoso' -Name 'cmk'")
        );
        s.exp = Some(now);
        assert!(expiry_warning(&s, &v, &k, now, 30 * 86_400).is_none());
    }
}
