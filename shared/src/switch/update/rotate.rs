//! Rotation re-wraps by itself (issue 14 item 4). When the key's current
//! version differs from the recorded `kid` — the health check's GET saw it
//! ([`current_version_seen`]) or an admin asked for *Re-wrap now* — the
//! company key is re-wrapped: unwrap with the recorded `kid`, wrap with
//! exactly the new version, unwrap that blob with it and compare, then
//! `kid` and blob change in this one update. Until then the recorded `kid`
//! stays in force. Crash-safe like the finalization: the steps hold the
//! company-wide lease; a failed attempt or an expired lease schedules a
//! retry with back-off; a blob wrapped in an earlier attempt is verified,
//! never wrapped twice.

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::binding::kid_is_of;
use crate::catalog::CatalogError;
use crate::ids::KeyId;
use crate::provider::Provider;
use crate::rotation::{KidReason, KidRecord, RewrapStep};
use crate::switch::company::{Op, Rewrap};
use crate::switch::effect::Effect;

/// The most `kid` history records kept (oldest dropped first): rotations
/// come every few months, so this is decades of history in a bounded record.
const MAX_HISTORY: usize = 100;

fn trim(history: &mut Vec<KidRecord>) {
    if history.len() > MAX_HISTORY {
        let extra = history.len() - MAX_HISTORY;
        history.drain(..extra);
    }
}

/// The health check (or any GET of the key in force) saw `kid` as the key's
/// current version. A version other than the recorded one makes a re-wrap
/// owed; it starts now when no other step holds the lease, else as soon as
/// the lease is free. Anything that is not a version of the key in force is
/// ignored.
pub(crate) fn current_version_seen(s: &mut Step<'_>, kid: &KeyId) {
    let Provider::AzureKeyVault {
        vault_uri,
        key_name,
        kid: recorded,
    } = &s.m.provider
    else {
        return;
    };
    if kid.version().is_none() || !kid_is_of(kid, vault_uri, key_name) {
        return;
    }
    let recorded = recorded.clone();
    let in_flight = rewrap_in_flight(s);
    if kid.same_as(&recorded) {
        // The recorded version is current: an owed re-wrap is moot.
        if !in_flight && s.m.rewrap.as_ref().is_some_and(|r| r.to.is_some()) {
            s.m.rewrap = None;
        }
        return;
    }
    let now = s.now_ms();
    match s.m.rewrap.as_mut() {
        Some(r) if r.to.as_ref().is_some_and(|t| t.same_as(kid)) => return,
        // The step in flight ends first; the next GET sees the newer version.
        Some(_) if in_flight => return,
        Some(r) => {
            r.to = Some(kid.clone());
            r.wrapped = None;
            r.step = RewrapStep::Wrap;
            r.next_retry_at_ms = Some(now);
        }
        None => {
            s.m.rewrap = Some(Rewrap {
                to: Some(kid.clone()),
                reason: KidReason::Rotation,
                actor: Actor::system(),
                step: RewrapStep::Wrap,
                attempts: 0,
                wrapped: None,
                started_at_ms: now,
                last_error: None,
                next_retry_at_ms: Some(now),
            });
        }
    }
    let note = Some(format!("{recorded} → {kid}"));
    s.audit(
        &Actor::system(),
        AuditAction::RotationDetected,
        Outcome::Succeeded,
        note,
    );
    start_when_due(s);
}

/// *Re-wrap now*: the owed re-wrap runs now, or the key's current version
/// is read and the company key re-wrapped with it (nothing to do when it is
/// the recorded version).
pub(super) fn rewrap_now(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    if !matches!(s.m.provider, Provider::AzureKeyVault { .. }) {
        return Err(CatalogError::Conflict {
            reason: "Re-wrap applies to a company whose key is in Azure Key Vault".into(),
        });
    }
    s.idle()?;
    s.audit(
        &actor,
        AuditAction::RewrapRequested,
        Outcome::Succeeded,
        None,
    );
    let now = s.now_ms();
    match s.m.rewrap.as_mut() {
        Some(r) => r.next_retry_at_ms = Some(now),
        None => {
            s.m.rewrap = Some(Rewrap {
                to: None,
                reason: KidReason::RewrapNow,
                actor,
                step: RewrapStep::ReadKey,
                attempts: 0,
                wrapped: None,
                started_at_ms: now,
                last_error: None,
                next_retry_at_ms: Some(now),
            });
        }
    }
    start_when_due(s);
    Ok(())
}

fn rewrap_in_flight(s: &Step<'_>) -> bool {
    s.m.lease.as_ref().is_some_and(|l| {
        matches!(
            l.op,
            Op::RewrapRead { .. } | Op::RewrapWrap | Op::RewrapVerify
        )
    })
}

/// Starts the owed re-wrap when it is due and no step holds the lease (run
/// after every update, like the finalization's start).
pub(super) fn start_when_due(s: &mut Step<'_>) {
    let now = s.now_ms();
    let due = s.m.lease.is_none()
        && s.m
            .rewrap
            .as_ref()
            .and_then(|r| r.next_retry_at_ms)
            .is_some_and(|at| at <= now);
    if due {
        start(s);
    }
}

/// Drops the owed re-wrap: it no longer applies (the provider changed).
fn abandon(s: &mut Step<'_>, why: &str) {
    if s.m.rewrap.take().is_some() {
        s.audit(
            &Actor::system(),
            AuditAction::Rewrap,
            Outcome::Succeeded,
            Some(format!("no longer needed: {why}")),
        );
    }
}

fn start(s: &mut Step<'_>) {
    let provider = s.m.provider.clone();
    let Provider::AzureKeyVault {
        vault_uri,
        key_name,
        kid: recorded,
    } = &provider
    else {
        abandon(s, "the company key is no longer in Azure Key Vault");
        return;
    };
    let Some(tenant) = s.m.key.azure_tenant.clone() else {
        abandon(s, "the vault's tenant is not recorded");
        return;
    };
    let Some(r) = s.m.rewrap.as_mut() else {
        return;
    };
    r.next_retry_at_ms = None;
    let (attempts, to, wrapped, actor) =
        (r.attempts, r.to.clone(), r.wrapped.clone(), r.actor.clone());
    if (1..=3).contains(&attempts) {
        s.audit(
            &Actor::system(),
            AuditAction::Rewrap,
            Outcome::Succeeded,
            Some(format!("attempt {}", attempts + 1)),
        );
    }
    match to {
        None => {
            set_step(s, RewrapStep::ReadKey);
            let attempt = s.lease(Op::RewrapRead { actor });
            s.effects.push(Effect::ReadKeyVersion {
                attempt,
                key: KeyId::new(vault_uri, key_name, None),
                tenant,
            });
        }
        Some(to) if !kid_is_of(&to, vault_uri, key_name) => {
            abandon(s, "the company moved to another key");
        }
        Some(to) if to.same_as(recorded) => {
            abandon(s, "the new version is already recorded");
        }
        Some(to) => match wrapped {
            // Wrapped in an earlier attempt: verify that blob, never wrap twice.
            Some((kid, blob)) => verify(s, kid, blob),
            None => {
                set_step(s, RewrapStep::Wrap);
                let attempt = s.lease(Op::RewrapWrap);
                let old = (s.m.provider.clone(), s.m.key.clone());
                s.effects.push(Effect::Rewrap {
                    attempt,
                    old,
                    kid: to,
                    tenant,
                });
            }
        },
    }
}

fn set_step(s: &mut Step<'_>, step: RewrapStep) {
    if let Some(r) = s.m.rewrap.as_mut() {
        r.step = step;
        r.next_retry_at_ms = None;
    }
}

fn verify(s: &mut Step<'_>, kid: KeyId, blob: String) {
    let Some(tenant) = s.m.key.azure_tenant.clone() else {
        failed(s, CatalogError::Internal);
        return;
    };
    set_step(s, RewrapStep::Verify);
    let attempt = s.lease(Op::RewrapVerify);
    let old = (s.m.provider.clone(), s.m.key.clone());
    s.effects.push(Effect::VerifyRewrap {
        attempt,
        old,
        kid,
        blob,
        tenant,
    });
}

/// *Re-wrap now* read the key's current version.
pub(super) fn key_version_read(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<KeyId, CatalogError>,
) -> Result<(), CatalogError> {
    let Op::RewrapRead { .. } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let Provider::AzureKeyVault {
        vault_uri,
        key_name,
        kid: recorded,
    } = s.m.provider.clone()
    else {
        abandon(s, "the company key is no longer in Azure Key Vault");
        return Ok(());
    };
    let result = result.and_then(|kid| {
        if kid.version().is_some() && kid_is_of(&kid, &vault_uri, &key_name) {
            Ok(kid)
        } else {
            Err(CatalogError::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            })
        }
    });
    match result {
        Ok(kid) if kid.same_as(&recorded) => {
            s.m.rewrap = None;
            s.audit(
                &Actor::system(),
                AuditAction::Rewrap,
                Outcome::Succeeded,
                Some(format!("nothing to do: {kid} is the current version")),
            );
        }
        Ok(kid) => current_version_seen(s, &kid),
        Err(error) => failed(s, error),
    }
    Ok(())
}

/// The company key was wrapped with the new version.
pub(super) fn rewrapped(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(KeyId, String), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::RewrapWrap = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let to = s.m.rewrap.as_ref().and_then(|r| r.to.clone());
    let result = result.and_then(|(kid, blob)| match &to {
        // Key Vault must answer exactly the version asked for.
        Some(to) if kid.same_as(to) => Ok((kid, blob)),
        _ => Err(CatalogError::UnexpectedAnswer {
            service: "Azure Key Vault".into(),
        }),
    });
    match result {
        Ok((kid, blob)) => {
            if let Some(r) = s.m.rewrap.as_mut() {
                r.wrapped = Some((kid.clone(), blob.clone()));
            }
            verify(s, kid, blob);
        }
        Err(error) => failed(s, error),
    }
    Ok(())
}

/// The new blob was unwrapped with the new version and compared.
pub(super) fn verified(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::RewrapVerify = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let wrapped = s.m.rewrap.as_mut().and_then(|r| r.wrapped.take());
    let (Ok(()), Some((kid, blob))) = (result.clone(), wrapped) else {
        // The blob is discarded: the next attempt wraps again.
        failed(s, result.err().unwrap_or(CatalogError::Internal));
        return Ok(());
    };
    commit(s, kid, blob);
    Ok(())
}

/// `kid` and blob change together; the history records the new version.
fn commit(s: &mut Step<'_>, kid: KeyId, blob: String) {
    let Some(r) = s.m.rewrap.take() else {
        return;
    };
    let Provider::AzureKeyVault { kid: recorded, .. } = &mut s.m.provider else {
        return;
    };
    let old = std::mem::replace(recorded, kid.clone());
    s.m.key.blob = blob;
    record(s, &old, &kid, r.reason);
    s.audit(
        &Actor::system(),
        AuditAction::KeyRewrapped,
        Outcome::Succeeded,
        Some(format!("{old} → {kid}")),
    );
    let reason = match r.reason {
        KidReason::Switch => "switch",
        KidReason::Rotation => "rotation",
        KidReason::RewrapNow => "rewrap_now",
    };
    s.notify(
        crate::notify::Kind::KeyRotated,
        serde_json::json!({
            "old_kid": old.to_string(),
            "new_kid": kid.to_string(),
            "reason": reason,
        }),
    );
}

/// Closes the open history record (adding the one before the history was
/// kept) and opens `kid`'s.
fn record(s: &mut Step<'_>, old: &KeyId, kid: &KeyId, reason: KidReason) {
    let now = s.now_ms();
    let history = &mut s.m.kid_history;
    if history.last().is_none_or(|h| !h.kid.same_as(old)) {
        history.push(KidRecord {
            kid: old.clone(),
            from_ms: None,
            until_ms: None,
            reason: KidReason::Switch,
        });
    }
    for h in history.iter_mut().filter(|h| h.until_ms.is_none()) {
        h.until_ms = Some(now);
    }
    history.push(KidRecord {
        kid: kid.clone(),
        from_ms: Some(now),
        until_ms: None,
        reason,
    });
    trim(history);
}

/// A switch committed with `kid` (or the company left Azure: `None`): the
/// history closes the version in force and records the new one; an owed
/// re-wrap of the former key is dropped.
pub(super) fn provider_changed(s: &mut Step<'_>, kid: Option<&KeyId>) {
    let now = s.now_ms();
    for h in s.m.kid_history.iter_mut().filter(|h| h.until_ms.is_none()) {
        h.until_ms = Some(now);
    }
    if let Some(kid) = kid {
        s.m.kid_history.push(KidRecord {
            kid: kid.clone(),
            from_ms: Some(now),
            until_ms: None,
            reason: KidReason::Switch,
        });
    }
    trim(&mut s.m.kid_history);
    s.m.rewrap = None;
}

/// An attempt failed (or its lease expired): the recorded `kid` stays in
/// force; retry after a back-off.
pub(super) fn failed(s: &mut Step<'_>, error: CatalogError) {
    let (base, max, now) = (
        s.ctx.policy.retry_base_ms,
        s.ctx.policy.max_backoff_ms,
        s.now_ms(),
    );
    let Some(r) = s.m.rewrap.as_mut() else {
        return;
    };
    r.attempts = r.attempts.saturating_add(1);
    // A failure that repeats (a new version not tagged yet, retried for
    // hours) is audited once, not at every attempt.
    let repeated = r
        .last_error
        .as_ref()
        .is_some_and(|e| e.code == error.code());
    r.last_error = Some(error.body());
    let delay = base.saturating_mul(1u64 << r.attempts.min(16)).min(max);
    r.next_retry_at_ms = Some(now.saturating_add(delay));
    if !repeated {
        s.audit(
            &Actor::system(),
            AuditAction::Rewrap,
            Outcome::Failed,
            Some(error.code().to_owned()),
        );
    }
}
