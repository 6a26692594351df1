//! The health monitor of the Azure key in force (issue 14, items 1, 2, 5).
//!
//! The company's alarm runs a check every `policy.health.interval_ms`: one
//! GET of the key ([`Effect::CheckKey`]); when the GET says the key serves
//! and a probe is due (none passed in the last day, the GET shows a change,
//! or the last check did not end healthy), a wrap/unwrap round trip of a
//! random probe with the recorded `kid` ([`Effect::ProbeKey`]). What they
//! show is judged by [`crate::health`]; every change of state is audited.
//! A transient failure (throttled, 5xx, no answer) makes the state
//! `degraded` and the next check comes sooner, doubling up to the interval.
//! Checks hold no lease: they have their own attempt numbers (like the
//! key-binding registry's writes) and never block an admin's command.

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::{CatalogError, utc_minutes};
use crate::health::{self, Health, HealthState, KeySeen, Transition, Verdict, Watched};
use crate::ids::{KeyId, KeyName, TenantId};
use crate::provider::Provider;
use crate::switch::company::{CheckInFlight, KeyMonitor, RegistryKey};
use crate::switch::effect::Effect;
use crate::vault_uri::VaultUri;

/// The Azure key in force: vault, key name, recorded kid and tenant.
fn target(s: &Step<'_>) -> Option<(VaultUri, KeyName, KeyId, TenantId)> {
    match &s.m.provider {
        Provider::AzureKeyVault {
            vault_uri,
            key_name,
            kid,
        } => Some((
            vault_uri.clone(),
            key_name.clone(),
            kid.clone(),
            s.m.key.azure_tenant.clone()?,
        )),
        _ => None,
    }
}

/// After every update: the monitor watches the provider's Azure key; a new
/// key (or a company stored before monitoring existed) starts from
/// `unknown` with a check at once; another provider has no health.
pub(super) fn follow_provider(s: &mut Step<'_>) {
    let key = RegistryKey::of_provider(&s.m.provider);
    if s.m.monitor.key == key {
        return;
    }
    s.m.monitor = KeyMonitor {
        key,
        attempts: s.m.monitor.attempts,
        ..KeyMonitor::default()
    };
    if s.m.monitor.key.is_some() {
        start(s);
    }
}

/// The switch committed: its verification (GET, wrap, unwrap-and-compare
/// with the new key) is the first check; the next one follows after the
/// interval.
pub(super) fn committed(s: &mut Step<'_>) {
    let now = s.now_ms();
    let key = RegistryKey::of_provider(&s.m.provider);
    let (from, from_cause) = if s.m.monitor.key == key {
        (s.m.monitor.health.state, s.m.monitor.health.cause)
    } else {
        (HealthState::Unknown, None)
    };
    let next = s.ctx.policy.health.next_after(now, HealthState::Healthy, 0);
    s.m.monitor = KeyMonitor {
        key,
        health: Health {
            state: HealthState::Healthy,
            since_ms: Some(now),
            last_check_at_ms: Some(now),
            next_check_at_ms: Some(next),
            last_probe_at_ms: Some(now),
            ..Health::default()
        },
        attempts: s.m.monitor.attempts,
        ..KeyMonitor::default()
    };
    if from != HealthState::Healthy || from_cause.is_some() {
        let t = Transition {
            from,
            to: HealthState::Healthy,
            from_cause,
            cause: None,
            code: None,
        };
        let note = format!("{} (verified by the switch)", t.describe());
        s.audit(
            &Actor::system(),
            AuditAction::HealthChanged,
            Outcome::Succeeded,
            Some(note),
        );
        // The host learns of the switch itself from `kms.switch_completed`;
        // a key known to be lost (or degraded) before is healthy again.
        if from != HealthState::Unknown {
            tell_host(s, &t);
        }
    }
}

/// The alarm (or any command): starts the check that is due, or starts
/// again a check whose answer never came (the object restarted).
pub(super) fn due(s: &mut Step<'_>) {
    let now = s.now_ms();
    let m = &s.m.monitor;
    if m.key.is_none() {
        return;
    }
    let lost = m.in_flight.as_ref().is_some_and(|c| c.until_ms <= now);
    let due = m.in_flight.is_none() && m.health.next_check_at_ms.is_some_and(|at| at <= now);
    if lost || due {
        start(s);
    }
}

/// Starts a check (superseding one in flight: only the newest answer
/// counts). The token is asked for afresh when the last check did not end
/// healthy (a consent given back shows at once); otherwise the cached one
/// serves (a removed consent shows when it expires, within about an hour).
fn start(s: &mut Step<'_>) {
    let fresh = s.m.monitor.health.state != HealthState::Healthy;
    start_with(s, fresh);
}

/// [`start`], with a fresh token or the cached one.
fn start_with(s: &mut Step<'_>, fresh_token: bool) {
    let Some((_, _, kid, tenant)) = target(s) else {
        return;
    };
    let attempt = s.m.monitor.attempts.wrapping_add(1).max(1);
    s.m.monitor.attempts = attempt;
    s.m.monitor.in_flight = Some(CheckInFlight {
        attempt,
        seen: None,
        until_ms: s.lease_until(),
    });
    s.effects.push(Effect::CheckKey {
        attempt,
        key: kid.versionless(),
        tenant,
        fresh_token,
    });
}

/// *Check now*: an admin asks for a check at once (at most one per the
/// connection test's interval).
pub(super) fn check_now(s: &mut Step<'_>, actor: &Actor) -> Result<(), CatalogError> {
    if target(s).is_none() {
        return Err(CatalogError::Conflict {
            reason: format!(
                "Only a key in Azure Key Vault is monitored; this company's key is protected by {}",
                s.m.provider.display_name()
            ),
        });
    }
    let now = s.now_ms();
    let interval = s.ctx.policy.test_interval_ms;
    if let Some(last) = s.m.monitor.last_check_now_ms
        && now < last.saturating_add(interval)
    {
        let wait_ms = last.saturating_add(interval) - now;
        return Err(CatalogError::RateLimited {
            retry_after_secs: wait_ms.div_ceil(1000).max(1),
            interval_secs: interval.div_ceil(1000),
        });
    }
    s.m.monitor.last_check_now_ms = Some(now);
    s.audit(
        actor,
        AuditAction::HealthCheckRequested,
        Outcome::Succeeded,
        None,
    );
    // An admin who just fixed something sees it at once: a fresh token too.
    start_with(s, true);
    Ok(())
}

/// The GET of check `attempt` answered.
pub(super) fn checked(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<KeySeen, CatalogError>,
) -> Result<(), CatalogError> {
    let current =
        s.m.monitor
            .in_flight
            .as_ref()
            .is_some_and(|c| c.attempt == attempt && c.seen.is_none());
    let Some((vault, key, kid, tenant)) = target(s).filter(|_| current) else {
        return Err(super::stale());
    };
    let owner = s.m.company_id.clone();
    let connector = s.ctx.policy.connector(vault.cloud()).cloned();
    let watched = Watched {
        owner: &owner,
        vault: &vault,
        key: &key,
        tenant: Some(&tenant),
        connector: connector.as_ref(),
    };
    match result {
        Ok(seen) => {
            let verdict = health::judge_key(&seen, &watched, s.ctx.now_secs(), true);
            // A new current version is the rotation stream's to re-wrap with
            // (it ignores the recorded one and anything not of this key).
            if crate::binding::kid_is_of(&seen.kid, &vault, &key) {
                super::rotate::current_version_seen(s, &seen.kid);
            }
            expiry(s, &seen, &vault, &key);
            let h = &s.m.monitor.health;
            let probe = verdict == Verdict::Healthy
                && (h.state != HealthState::Healthy || h.probe_due(&seen, s.now_ms()));
            if probe {
                let until = s.lease_until();
                if let Some(c) = s.m.monitor.in_flight.as_mut() {
                    c.seen = Some(seen);
                    c.until_ms = until;
                }
                s.effects.push(Effect::ProbeKey {
                    attempt,
                    kid,
                    tenant,
                });
                return Ok(());
            }
            s.m.monitor.in_flight = None;
            s.m.monitor.health.seen = Some(seen);
            record(s, verdict);
        }
        Err(error) => {
            s.m.monitor.in_flight = None;
            let verdict = health::judge_error(&error, &watched, s.m.monitor.health.seen.as_ref());
            record(s, verdict);
        }
    }
    Ok(())
}

/// The probe of check `attempt` answered.
pub(super) fn probed(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(), CatalogError>,
) -> Result<(), CatalogError> {
    let seen = match s.m.monitor.in_flight.take() {
        Some(c) if c.attempt == attempt && c.seen.is_some() => c.seen,
        other => {
            s.m.monitor.in_flight = other;
            return Err(super::stale());
        }
    };
    let Some((vault, key, _, tenant)) = target(s) else {
        return Err(super::stale());
    };
    s.m.monitor.health.seen = seen;
    let verdict = match result {
        Ok(()) => {
            s.m.monitor.health.last_probe_at_ms = Some(s.now_ms());
            Verdict::Healthy
        }
        Err(error) => {
            let owner = s.m.company_id.clone();
            let connector = s.ctx.policy.connector(vault.cloud()).cloned();
            let watched = Watched {
                owner: &owner,
                vault: &vault,
                key: &key,
                tenant: Some(&tenant),
                connector: connector.as_ref(),
            };
            health::judge_error(&error, &watched, s.m.monitor.health.seen.as_ref())
        }
    };
    record(s, verdict);
    Ok(())
}

/// Records a verdict; a change of state is audited.
fn record(s: &mut Step<'_>, verdict: Verdict) {
    let (now, schedule) = (s.now_ms(), s.ctx.policy.health);
    if let Some(t) = s.m.monitor.health.record(verdict, now, &schedule) {
        let outcome = if t.to == HealthState::Healthy {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        };
        s.audit(
            &Actor::system(),
            AuditAction::HealthChanged,
            outcome,
            Some(t.describe()),
        );
        tell_host(s, &t);
    }
}

/// The host is told of every change of state (`key.health_changed`):
/// from, to, the cause, the catalog code met, and the key.
fn tell_host(s: &mut Step<'_>, t: &Transition) {
    let kid = match &s.m.provider {
        Provider::AzureKeyVault { kid, .. } => Some(kid.to_string()),
        _ => None,
    };
    let data = serde_json::json!({
        "from": t.from,
        "to": t.to,
        "from_cause": t.from_cause,
        "cause": t.cause,
        "code": t.code,
        "kid": kid,
    });
    s.notify(crate::notify::Kind::KeyHealthChanged, data);
}

/// A key whose `exp` comes within the warning time is warned about once
/// per `exp` value (audited with the command that extends it).
fn expiry(s: &mut Step<'_>, seen: &KeySeen, vault: &VaultUri, key: &KeyName) {
    let window = s.ctx.policy.health.expiry_warning_secs;
    let Some(w) = health::expiry_warning(seen, vault, key, s.ctx.now_secs(), window) else {
        return;
    };
    if s.m.monitor.health.expiry_warned_for == Some(w.expires_at) {
        return;
    }
    s.m.monitor.health.expiry_warned_for = Some(w.expires_at);
    let note = format!(
        "expires {} ({} day(s) left); extend: {}; or rotate: {}",
        utc_minutes(w.expires_at),
        w.days_left,
        w.extend_command,
        w.rotate_command
    );
    s.audit(
        &Actor::system(),
        AuditAction::KeyExpiryWarning,
        Outcome::Succeeded,
        Some(note),
    );
    let data = serde_json::json!({
        "kid": seen.kid.to_string(),
        "expires_at": w.expires_at,
        "days_left": w.days_left,
        "extend_command": w.extend_command,
        "rotate_command": w.rotate_command,
    });
    s.notify(crate::notify::Kind::KeyExpiryWarning, data);
}
