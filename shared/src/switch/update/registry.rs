//! The key-binding registry (issue 13): one registry object per Azure key
//! records which companies the key is bound to. The company is bound on the
//! commit of a switch to the key and released when it moves to another key
//! or provider. Each write is owed in the model until the registry answers
//! ([`RegistryWrite`]); the alarm sends it again when no answer came, so a
//! crash between the commit and the write loses nothing.

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::provider::Provider;
use crate::switch::company::{RegistryKey, RegistryWrite};
use crate::switch::effect::Effect;

/// The provider changed from `old` to the provider now in force: release the
/// old Azure key (if another) and bind the new one (if Azure).
pub(super) fn provider_changed(s: &mut Step<'_>, old: &Provider) {
    let before = RegistryKey::of_provider(old);
    let after = RegistryKey::of_provider(&s.m.provider);
    if let Some(key) = before.filter(|b| after.as_ref() != Some(b)) {
        owe(s, key, false);
    }
    if let Some(key) = after {
        owe(s, key, true);
    }
}

/// Owes the write `bind` for `key` (replacing an older write for that key)
/// and sends it now.
fn owe(s: &mut Step<'_>, key: RegistryKey, bind: bool) {
    let due = s.now_ms().saturating_add(s.ctx.policy.lease_ms);
    let attempt = next_attempt(s);
    s.m.registry.retain(|w| w.key != key);
    s.m.registry.push(RegistryWrite {
        key: key.clone(),
        bind,
        attempt,
        due_at_ms: due,
        failures: 0,
    });
    s.effects.push(Effect::RecordBinding { attempt, key, bind });
}

/// A fresh registry attempt number (never 0).
fn next_attempt(s: &mut Step<'_>) -> u32 {
    s.m.registry_attempts = s.m.registry_attempts.wrapping_add(1).max(1);
    s.m.registry_attempts
}

/// The alarm (or any command): writes that are due are sent again.
pub(super) fn resend_due(s: &mut Step<'_>) {
    let now = s.now_ms();
    let until = now.saturating_add(s.ctx.policy.lease_ms);
    for i in 0..s.m.registry.len() {
        if s.m.registry[i].due_at_ms > now {
            continue;
        }
        let attempt = next_attempt(s);
        let w = &mut s.m.registry[i];
        w.due_at_ms = until;
        w.attempt = attempt;
        let effect = Effect::RecordBinding {
            attempt,
            key: w.key.clone(),
            bind: w.bind,
        };
        s.effects.push(effect);
    }
}

fn describe(key: &RegistryKey, bind: bool, others: u32) -> String {
    let companies = if others == 1 { "company" } else { "companies" };
    let verb = if bind { "bound to" } else { "released from" };
    format!(
        "{verb} {}; {others} other {companies} bound to it",
        key.object_name()
    )
}

/// The registry answered the write sent as `attempt`.
pub(super) fn recorded(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<u32, CatalogError>,
) -> Result<(), CatalogError> {
    let Some(pos) =
        s.m.registry
            .iter()
            .position(|w| attempt != 0 && w.attempt == attempt)
    else {
        return Err(super::stale());
    };
    let (key, bind) = (s.m.registry[pos].key.clone(), s.m.registry[pos].bind);
    let action = if bind {
        AuditAction::KeyBound
    } else {
        AuditAction::KeyReleased
    };
    match result {
        Ok(others) => {
            s.m.registry.remove(pos);
            let note = Some(describe(&key, bind, others));
            s.audit(&Actor::system(), action, Outcome::Succeeded, note);
        }
        Err(error) => {
            let (base, max, now) = (
                s.ctx.policy.retry_base_ms,
                s.ctx.policy.max_backoff_ms,
                s.now_ms(),
            );
            let w = &mut s.m.registry[pos];
            w.failures = w.failures.saturating_add(1);
            // This attempt's answer is spent; the alarm sends a new one.
            w.attempt = 0;
            let delay = base.saturating_mul(1u64 << w.failures.min(16)).min(max);
            w.due_at_ms = now.saturating_add(delay);
            if w.failures == 1 {
                let code = Some(error.code().to_owned());
                s.audit(&Actor::system(), action, Outcome::Failed, code);
            }
        }
    }
    Ok(())
}
