//! The automatic finalization (PRODUCT.md §2.7): read the inventory once
//! more, wrap the company key with the new key, unwrap it through Key Vault
//! and compare, then flip provider and wrapped key in this one update. A
//! failure (or an expired lease) leaves the old provider in force and
//! schedules a retry with back-off.

use super::{Step, kid_matches};
use crate::api::FinalizeStep;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::ids::KeyId;
use crate::provider::Provider;
use crate::switch::company::{ExportWindow, Finalize, Op, WrappedKey};
use crate::switch::effect::Effect;
use crate::switch::event::Inventory;
use crate::switch::model::Stage;
use crate::switch::recovery::SetupStep;

/// Every tenant is verified: finalization starts with a last inventory read.
pub(super) fn start(s: &mut Step<'_>) {
    let now = s.now_ms();
    if let Some(setup) = s.m.setup.as_mut() {
        setup.stage = Stage::Finalizing;
        setup.commit_issued = false;
        setup.finalize = Some(Finalize {
            step: FinalizeStep::ReadInventory,
            attempts: 0,
            wrapped: None,
            started_at_ms: now,
            last_error: None,
            next_retry_at_ms: None,
        });
    }
    s.audit(
        &Actor::system(),
        AuditAction::FinalizeStarted,
        Outcome::Succeeded,
        None,
    );
    read_inventory(s);
}

/// Starts the finalization of a setup whose tenants are all verified once
/// no other step holds the lease (a verification that completed while
/// Refresh's read or an export ran left it waiting).
pub(super) fn start_when_verified(s: &mut Step<'_>) {
    let ready = s.m.lease.is_none()
        && s.m
            .setup
            .as_ref()
            .is_some_and(|x| x.stage == Stage::VerifyingTenants && x.ready_to_finalize());
    if ready {
        start(s);
    }
}

fn read_inventory(s: &mut Step<'_>) {
    set_step(s, FinalizeStep::ReadInventory);
    let attempt = s.lease(Op::FinalInventory);
    s.effects.push(Effect::ReadInventory { attempt });
}

fn set_step(s: &mut Step<'_>, step: FinalizeStep) {
    if let Some(f) = s.m.setup.as_mut().and_then(|x| x.finalize.as_mut()) {
        f.step = step;
        f.next_retry_at_ms = None;
    }
}

/// A retry is due: start over from the inventory read.
pub(super) fn retry(s: &mut Step<'_>) {
    let attempts =
        s.m.setup
            .as_ref()
            .and_then(|x| x.finalize.as_ref())
            .map_or(0, |f| f.attempts);
    let note = Some(format!("attempt {}", attempts + 1));
    s.audit(
        &Actor::system(),
        AuditAction::FinalizeRetry,
        Outcome::Succeeded,
        note,
    );
    read_inventory(s);
}

pub(super) fn final_inventory(
    s: &mut Step<'_>,
    result: Result<Inventory, CatalogError>,
) -> Result<(), CatalogError> {
    let inventory = match result {
        Ok(t) => t,
        Err(error) => {
            failed(s, error);
            return Ok(());
        }
    };
    super::setup::remember_names(s, &inventory.tenants);
    let old = (s.m.provider.clone(), s.m.key.clone());
    let setup = s.setup_mut("inventory_loaded")?;
    if setup.stage != Stage::Finalizing {
        return Err(super::stale());
    }
    let blocked = super::setup::take_inventory(setup, &inventory);
    let note = Some(super::setup::inventory_note(setup, "in the inventory"));
    if !setup.ready_to_finalize() {
        // A new tenant (or a set that cannot be verified) appeared, or the
        // confirmed empty list is no longer empty: it blocks completion.
        setup.stage = Stage::VerifyingTenants;
        setup.finalize = None;
        if blocked.is_none() {
            // Why the switch went back (seed 000, "tenants keep showing as
            // unverified"): the admin refreshes and verifies the new ones.
            let unverified = setup.tenants.iter().filter(|t| !t.is_verified()).count();
            setup.fail(
                &CatalogError::TenantsUnverified { unverified },
                SetupStep::VerifyTenants,
            );
        }
        let outcome = if blocked.is_some() {
            Outcome::Refused
        } else {
            Outcome::Succeeded
        };
        s.audit(
            &Actor::system(),
            AuditAction::FinalizeInventory,
            outcome,
            note,
        );
        return Ok(());
    }
    let Some(tenant) = setup.vault_tenant.clone() else {
        return Err(CatalogError::Internal);
    };
    setup.commit_issued = true;
    setup.clear_failure();
    let target = setup.target.clone();
    let wrapped = setup.finalize.as_ref().and_then(|f| f.wrapped.clone());
    s.audit(
        &Actor::system(),
        AuditAction::FinalizeInventory,
        Outcome::Succeeded,
        note,
    );
    match wrapped {
        // Wrapped in an earlier attempt: verify that blob, never wrap twice.
        Some((kid, blob)) => verify(s, kid, blob),
        None => {
            set_step(s, FinalizeStep::Wrap);
            let attempt = s.lease(Op::Wrap);
            s.effects.push(Effect::Wrap {
                attempt,
                old,
                target,
                tenant,
            });
        }
    }
    Ok(())
}

fn verify(s: &mut Step<'_>, kid: KeyId, blob: String) {
    let old = (s.m.provider.clone(), s.m.key.clone());
    let Some(tenant) = s.m.setup.as_ref().and_then(|x| x.vault_tenant.clone()) else {
        failed(s, CatalogError::Internal);
        return;
    };
    set_step(s, FinalizeStep::Verify);
    let attempt = s.lease(Op::VerifyWrap);
    s.effects.push(Effect::VerifyWrap {
        attempt,
        old,
        kid,
        blob,
        tenant,
    });
}

pub(super) fn wrapped(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(KeyId, String), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::Wrap = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let setup = s.setup_mut("wrapped")?;
    let result = result.and_then(|(kid, blob)| {
        if kid_matches(&kid, &setup.target) {
            Ok((kid, blob))
        } else {
            Err(CatalogError::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            })
        }
    });
    match result {
        Ok((kid, blob)) => {
            if let Some(f) = setup.finalize.as_mut() {
                f.wrapped = Some((kid.clone(), blob.clone()));
            }
            verify(s, kid, blob);
        }
        Err(error) => failed(s, error),
    }
    Ok(())
}

pub(super) fn verified(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::VerifyWrap = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let setup = s.setup_mut("wrap_verified")?;
    let wrapped = setup.finalize.as_mut().and_then(|f| f.wrapped.take());
    let (Ok(()), Some((kid, blob))) = (result.clone(), wrapped) else {
        // The blob is discarded: the next attempt wraps again.
        let error = result.err().unwrap_or(CatalogError::Internal);
        failed(s, error);
        return Ok(());
    };
    commit(s, kid, blob);
    Ok(())
}

/// Provider and wrapped key change together, with the switch's end.
fn commit(s: &mut Step<'_>, kid: KeyId, blob: String) {
    let Some(setup) = s.m.setup.take() else {
        return;
    };
    let old = s.m.provider.clone();
    s.m.provider = Provider::AzureKeyVault {
        vault_uri: setup.target.vault_uri.clone(),
        key_name: setup.target.key_name.clone(),
        kid: kid.clone(),
    };
    s.m.key = WrappedKey {
        blob,
        created_at_ms: s.m.key.created_at_ms,
        azure_tenant: setup.vault_tenant.clone(),
    };
    s.m.last = Stage::Done;
    s.m.verified_tenants = setup.tenants.clone();
    s.m.export = ExportWindow::Open {
        opened_at: s.ctx.now_secs(),
    };
    s.m.round = None;
    s.m.sign_ins.retain(|p| match &p.purpose {
        crate::switch::company::Purpose::Setup { setup_id } => *setup_id != setup.id,
        crate::switch::company::Purpose::Export { .. } => false,
    });
    s.audit(
        &Actor::system(),
        AuditAction::SwitchCommitted,
        Outcome::Succeeded,
        Some(kid.to_string()),
    );
    super::rotate::provider_changed(s, Some(&kid));
    super::registry::provider_changed(s, &old);
    super::health::committed(s);
    let data = serde_json::json!({
        "provider": s.m.provider,
        "previous_provider": old,
        "setup_id": setup.id,
    });
    s.notify(crate::notify::Kind::SwitchCompleted, data);
}

/// An attempt failed: the old provider stays; retry after a back-off.
pub(super) fn failed(s: &mut Step<'_>, error: CatalogError) {
    let (base, max, now) = (
        s.ctx.policy.retry_base_ms,
        s.ctx.policy.max_backoff_ms,
        s.now_ms(),
    );
    let Some(setup) = s.m.setup.as_mut().filter(|x| x.stage == Stage::Finalizing) else {
        return;
    };
    setup.commit_issued = false;
    setup.fail(&error, SetupStep::Finalize);
    if let Some(f) = setup.finalize.as_mut() {
        f.attempts = f.attempts.saturating_add(1);
        f.last_error = Some(error.body());
        let delay = base.saturating_mul(1u64 << f.attempts.min(16)).min(max);
        f.next_retry_at_ms = Some(now.saturating_add(delay));
    }
    s.audit(
        &Actor::system(),
        AuditAction::Finalize,
        Outcome::Failed,
        Some(error.code().to_owned()),
    );
}
