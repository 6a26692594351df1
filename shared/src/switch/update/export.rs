//! Uses of the company key that change the model: the one-time export, the
//! re-verification round that reopens it, and the operator move onto AWS KMS.

use super::{Step, derive_id, refuse};
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::provider::Provider;
use crate::switch::company::{ExportRound, ExportWindow, Op, WrappedKey};
use crate::switch::effect::{Effect, Reply};
use crate::switch::event::Inventory;
use crate::switch::model::{Tenant, TenantStatus};

use crate::switch::view::pending_conflict;

/// The one-time export: refused while another step runs, when the window
/// is closed (audited here: the window was used), when it has ended, and
/// when the session's sign-in is older than the policy allows (those two
/// are refusals the interpreter audits: nothing changes).
pub(super) fn export(
    s: &mut Step<'_>,
    actor: Actor,
    signed_in_at: Option<i64>,
) -> Result<(), CatalogError> {
    s.idle()?;
    let window = s.m.export;
    let (now, policy) = (s.ctx.now_secs(), &s.ctx.policy);
    if let Some(closed_at) = window.closes_at(policy.export_window_secs)
        && now >= closed_at
    {
        return Err(CatalogError::ExportWindowExpired { closed_at });
    }
    // A sign-in in the future is no fresher than a missing one.
    let fresh = signed_in_at.is_some_and(|at| at <= now && now - at <= policy.reauth_max_age_secs);
    if window != ExportWindow::Closed && !fresh {
        return Err(CatalogError::ReauthenticationRequired {
            max_age_mins: (policy.reauth_max_age_secs + 59) / 60,
        });
    }
    if window == ExportWindow::Closed {
        let error = CatalogError::ExportNotAvailable;
        let code = Some(error.code().to_owned());
        s.audit(
            &actor,
            AuditAction::CompanyKeyExport,
            Outcome::Refused,
            code,
        );
        s.reply(Reply::Error(error));
        return Ok(());
    }
    // Closed before the key leaves: two exports at once cannot both pass.
    s.m.export = ExportWindow::Closed;
    let old = (s.m.provider.clone(), s.m.key.clone());
    let attempt = s.lease(Op::Export { actor, window });
    s.effects.push(Effect::ExportKey {
        attempt,
        old,
        window,
    });
    Ok(())
}

pub(super) fn exported(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::Export { actor, window } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    match result {
        Ok(()) => {
            let note = Some(s.m.provider.display_name().to_owned());
            s.audit(
                &actor,
                AuditAction::CompanyKeyExport,
                Outcome::Succeeded,
                note,
            );
        }
        Err(error) => {
            // Nothing left: the window is open again.
            s.m.export = window;
            let code = Some(error.code().to_owned());
            s.audit(&actor, AuditAction::CompanyKeyExport, Outcome::Failed, code);
            s.reply(Reply::Error(error));
        }
    }
    Ok(())
}

/// A round starts on the rule the screen offers it by
/// ([`crate::switch::Company::round_refusal`]): never for a company still
/// on the platform's key, so no API call can open an export the screen
/// does not offer.
pub(super) fn begin_round(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    if let Some(error) = s.m.round_refusal() {
        return Err(error);
    }
    s.idle()?;
    let attempt = s.lease(Op::ExportRound {
        actor,
        confirmed: false,
    });
    s.effects.push(Effect::ReadInventory { attempt });
    Ok(())
}

/// The round's inventory listed no backup set and the admin confirms there
/// is nothing to verify: as for a switch, an empty inventory never opens
/// the export by itself. The inventory is read once more; the confirmation
/// counts only if it still lists none ([`round_listed`]).
pub(super) fn confirm_empty_round(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    if let Some(error) = s.m.round_refusal() {
        return Err(error);
    }
    let Some(round) = s.m.round.as_ref() else {
        return Err(super::refuse(s.m.stage(), "export_confirm_no_tenants"));
    };
    if !round.tenants.is_empty() {
        return Err(CatalogError::Conflict {
            reason: "The re-verification lists tenants to verify; verify them instead".into(),
        });
    }
    s.idle()?;
    let attempt = s.lease(Op::ExportRound {
        actor,
        confirmed: true,
    });
    s.effects.push(Effect::ReadInventory { attempt });
    Ok(())
}

pub(super) fn round_listed(
    s: &mut Step<'_>,
    actor: Actor,
    confirmed: bool,
    result: Result<Inventory, CatalogError>,
) {
    let action = if confirmed {
        AuditAction::ExportNoTenantsConfirmed
    } else {
        AuditAction::ExportVerificationStarted
    };
    // A set that cannot be verified blocks the round as it blocks a switch.
    let result = result.and_then(|inventory| match inventory.unverifiable.iter().min() {
        Some(set) => Err(set.error()),
        None => Ok(inventory.tenants),
    });
    let tenants = match result {
        Ok(t) => t,
        Err(error) => {
            let code = Some(error.code().to_owned());
            s.audit(&actor, action, Outcome::Failed, code);
            s.reply(Reply::Error(error));
            return;
        }
    };
    super::setup::remember_names(s, &tenants);
    let listed = super::setup::merge(&[], &tenants);
    if confirmed && listed.is_empty() {
        s.audit(
            &actor,
            action,
            Outcome::Succeeded,
            Some("the inventory lists no backup set".into()),
        );
        reopen(s, &actor);
        return;
    }
    if confirmed {
        // A backup set appeared since the round started: the confirmation
        // no longer counts, and the round starts again with its tenants.
        let error = CatalogError::Conflict {
            reason: format!(
                "The backup sets now name {} tenant(s) to verify; verify them instead",
                listed.len()
            ),
        };
        s.audit(
            &actor,
            action,
            Outcome::Failed,
            Some(format!(
                "the inventory now lists {} tenant(s)",
                listed.len()
            )),
        );
        s.reply(Reply::Error(error));
    }
    let note = if listed.is_empty() {
        "0 tenant(s) to verify: the inventory lists no backup set (confirm there is nothing to verify)"
            .to_owned()
    } else {
        format!("{} tenant(s) to verify", listed.len())
    };
    let id = derive_id(s.ctx, "round");
    // Sign-ins of an older round no longer count.
    s.m.sign_ins
        .retain(|p| !matches!(p.purpose, crate::switch::company::Purpose::Export { .. }));
    s.m.round = Some(ExportRound {
        id,
        tenants: listed
            .into_iter()
            .map(|t| Tenant {
                tenant: t.tenant,
                status: TenantStatus::Unverified,
            })
            .collect(),
    });
    s.audit(
        &actor,
        AuditAction::ExportVerificationStarted,
        Outcome::Succeeded,
        Some(note),
    );
}

/// Every tenant of the round is verified: one more export is allowed (never
/// while a setup is pending: its sign-ins no longer count, see
/// `verify::current`).
pub(super) fn reopen(s: &mut Step<'_>, actor: &Actor) {
    if s.m.round_refusal().is_some() {
        return;
    }
    s.m.export = ExportWindow::Open {
        opened_at: s.ctx.now_secs(),
    };
    s.m.round = None;
    s.audit(actor, AuditAction::ExportReopened, Outcome::Succeeded, None);
}

pub(super) fn move_to_aws(
    s: &mut Step<'_>,
    actor: Actor,
    key_id: String,
) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    if stage.is_pending() {
        return Err(pending_conflict());
    }
    if matches!(&s.m.provider, Provider::AwsKms { key_id: k } if *k == key_id) {
        return Err(refuse(stage, "move_to_aws_kms"));
    }
    s.idle()?;
    let old = (s.m.provider.clone(), s.m.key.clone());
    let attempt = s.lease(Op::MoveToAws {
        actor,
        key_id: key_id.clone(),
    });
    s.effects.push(Effect::RewrapToAws {
        attempt,
        old,
        key_id,
    });
    Ok(())
}

pub(super) fn moved_to_aws(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<(String, String), CatalogError>,
) -> Result<(), CatalogError> {
    let Op::MoveToAws { actor, .. } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    match result {
        Ok((key_id, blob)) => {
            let old = s.m.provider.clone();
            s.m.provider = Provider::AwsKms {
                key_id: key_id.clone(),
            };
            s.m.key = WrappedKey {
                blob,
                created_at_ms: s.m.key.created_at_ms,
                azure_tenant: None,
            };
            s.m.export = ExportWindow::Closed;
            s.m.round = None;
            s.audit(
                &actor,
                AuditAction::MovedToAwsKms,
                Outcome::Succeeded,
                Some(key_id),
            );
            super::rotate::provider_changed(s, None);
            super::registry::provider_changed(s, &old);
        }
        Err(error) => {
            let code = Some(error.code().to_owned());
            s.audit(&actor, AuditAction::MovedToAwsKms, Outcome::Failed, code);
            s.reply(Reply::Error(error));
        }
    }
    Ok(())
}
