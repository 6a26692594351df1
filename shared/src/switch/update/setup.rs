//! From Test Connection to the tenant list: start, consent, connection test,
//! Save, Refresh, Cancel.

use super::{Step, derive_id, finalize, kid_matches, refuse, same_hash, sha256_hex};
use crate::api::{TenantName, TestedKey};
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::entra::consent_callback_result;
use crate::ids::TenantId;
use crate::oauth_state::{Flow, OAuthState};
use crate::switch::company::{IssuedState, Op, Purpose, Setup};
use crate::switch::effect::{Effect, Reply};
use crate::switch::event::{ConsentAnswer, Inventory, InventoryTenant};
use crate::switch::model::{Consent, Stage, Target, Tenant, TenantRef, TenantStatus};

fn consent_fresh(setup: &Setup, now: i64, ttl: i64) -> bool {
    setup.consent.as_ref().is_some_and(|c| {
        now >= c.granted_at
            && now - c.granted_at < ttl
            && setup.vault_tenant.as_ref().is_none_or(|t| *t == c.tenant)
    })
}

pub(super) fn start(
    s: &mut Step<'_>,
    actor: Actor,
    target: Target,
    vault_tenant: TenantId,
    cached_consent_at: Option<i64>,
) -> Result<(), CatalogError> {
    s.idle()?;
    let stage = s.m.stage();
    let detail = Some(format!("{}/keys/{}", target.vault_uri, target.key_name));
    if stage.is_pending() {
        if !matches!(
            stage,
            Stage::Draft | Stage::AwaitingConsent | Stage::AwaitingRoleAssignment | Stage::Tested
        ) {
            return Err(refuse(stage, "edit_target"));
        }
        let setup = s.setup_mut("edit_target")?;
        if target.vault_uri != setup.target.vault_uri {
            setup.vault_tenant = None;
        }
        setup.target = target;
        setup.tested = None;
        setup.consent_state = None;
        setup.last_error = None;
        setup.stage = Stage::Draft;
        s.audit(
            &actor,
            AuditAction::TargetEdited,
            Outcome::Succeeded,
            detail,
        );
    } else {
        s.m.setup = Some(Setup {
            id: derive_id(s.ctx, "setup"),
            stage: Stage::Draft,
            target,
            vault_tenant: None,
            consent: None,
            consent_state: None,
            tested: None,
            tenants: Vec::new(),
            unverifiable: Vec::new(),
            nothing_to_verify: false,
            commit_issued: false,
            finalize: None,
            last_error: None,
            started_by: actor.name.clone(),
            started_at_ms: s.now_ms(),
        });
        s.audit(
            &actor,
            AuditAction::SwitchStarted,
            Outcome::Succeeded,
            detail,
        );
    }
    let note = Some(format!("vault tenant {}", vault_tenant.as_str()));
    s.audit(
        &actor,
        AuditAction::TestConnection,
        Outcome::Succeeded,
        note,
    );
    let (now, ttl) = (s.ctx.now_secs(), s.ctx.policy.consent_ttl_secs);
    let setup = s.setup_mut("start")?;
    setup.vault_tenant = Some(vault_tenant.clone());
    if consent_fresh(setup, now, ttl) {
        return begin_test(s, actor);
    }
    if let Some(at) = cached_consent_at.filter(|at| now >= *at && now - *at < ttl) {
        // A consent proven less than 24 h ago for this tenant still counts.
        setup.consent = Some(Consent {
            tenant: vault_tenant,
            granted_at: at,
        });
        setup.stage = Stage::AwaitingRoleAssignment;
        s.audit(
            &actor,
            AuditAction::AdminConsentReused,
            Outcome::Succeeded,
            None,
        );
        return Ok(());
    }
    setup.stage = Stage::AwaitingConsent;
    issue_state(s, actor)
}

/// A new single-use consent state for the pending setup; the caller gets it.
fn issue_state(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    let state = OAuthState::new(
        s.m.company_id.clone(),
        Flow::AdminConsent,
        s.ctx.nonce.clone(),
    );
    let issued = IssuedState {
        nonce_sha256: sha256_hex(s.ctx.nonce.as_bytes()),
        admin: actor.clone(),
        expires_at_ms: s.now_ms().saturating_add(s.ctx.policy.state_ttl_ms),
    };
    s.setup_mut("grant_admin_consent")?.consent_state = Some(issued);
    s.audit(
        &actor,
        AuditAction::ConsentLinkIssued,
        Outcome::Succeeded,
        None,
    );
    s.reply(Reply::ConsentState(state.to_string()));
    Ok(())
}

pub(super) fn issue_consent(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    if stage != Stage::AwaitingConsent {
        return Err(refuse(stage, "grant_admin_consent"));
    }
    issue_state(s, actor)
}

fn consent_reply(s: &mut Step<'_>, error: Option<CatalogError>) {
    let vault_name =
        s.m.setup
            .as_ref()
            .map(|x| x.target.vault_uri.vault_name().to_owned());
    s.reply(Reply::ConsentOutcome { error, vault_name });
}

/// The consent failed: back to the draft, with the error shown.
fn consent_failed(s: &mut Step<'_>, admin: &Actor, error: CatalogError) {
    if let Some(setup) = s.m.setup.as_mut() {
        setup.stage = Stage::Draft;
        setup.last_error = Some(error.body());
    }
    let code = Some(error.code().to_owned());
    s.audit(admin, AuditAction::AdminConsent, Outcome::Failed, code);
    consent_reply(s, Some(error));
}

pub(super) fn consent_callback(
    s: &mut Step<'_>,
    nonce: &str,
    answer: ConsentAnswer,
) -> Result<(), CatalogError> {
    let hash = sha256_hex(nonce.as_bytes());
    let issued =
        s.m.setup
            .as_mut()
            .filter(|x| x.stage == Stage::AwaitingConsent)
            .and_then(|x| {
                let ok = x
                    .consent_state
                    .as_ref()
                    .is_some_and(|c| same_hash(&c.nonce_sha256, &hash));
                if ok { x.consent_state.take() } else { None }
            });
    let Some(issued) = issued else {
        // Not a state of this setup: nothing changes, nothing is recorded.
        s.reply(Reply::ConsentOutcome {
            error: Some(CatalogError::OAuthStateExpired),
            vault_name: None,
        });
        return Ok(());
    };
    // Consumed before anything else happens: a state works once.
    let admin = issued.admin;
    if issued.expires_at_ms <= s.now_ms() {
        let error = CatalogError::OAuthStateExpired;
        let code = Some(error.code().into());
        s.audit(
            &admin,
            AuditAction::AdminConsentCallback,
            Outcome::Refused,
            code,
        );
        consent_reply(s, Some(error));
        return Ok(());
    }
    if let Err(error) = consent_callback_result(
        answer.error.as_deref(),
        answer.error_description.as_deref(),
        answer.admin_consent.as_deref(),
    ) {
        consent_failed(s, &admin, error);
        return Ok(());
    }
    let setup = s.setup_mut("admin_consent_callback")?;
    let Some(tenant) = setup.vault_tenant.clone() else {
        consent_failed(s, &admin, CatalogError::AdminConsentRequired);
        return Ok(());
    };
    if let Some(hint) = answer
        .tenant_hint
        .filter(|h| !h.eq_ignore_ascii_case(tenant.as_str()))
    {
        let found: String = hint
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .take(64)
            .collect();
        let error = CatalogError::TenantMismatch {
            expected: tenant.as_str().to_owned(),
            found,
        };
        consent_failed(s, &admin, error);
        return Ok(());
    }
    let vault_uri = setup.target.vault_uri.clone();
    s.idle()?;
    let attempt = s.lease(Op::ProveConsent { admin });
    s.effects.push(Effect::ProveConsent {
        attempt,
        tenant,
        vault_uri,
    });
    Ok(())
}

pub(super) fn consent_proven(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<TenantId, CatalogError>,
) -> Result<(), CatalogError> {
    let Op::ProveConsent { admin } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    match result {
        Ok(tenant) => {
            let now = s.ctx.now_secs();
            let setup = s.setup_mut("consent_granted")?;
            setup.vault_tenant = Some(tenant.clone());
            setup.consent = Some(Consent {
                tenant: tenant.clone(),
                granted_at: now,
            });
            setup.last_error = None;
            setup.stage = Stage::AwaitingRoleAssignment;
            let note = Some(format!("tenant {}", tenant.as_str()));
            s.audit(&admin, AuditAction::AdminConsent, Outcome::Succeeded, note);
            consent_reply(s, None);
        }
        Err(error) => consent_failed(s, &admin, error),
    }
    Ok(())
}

pub(super) fn test(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    if !matches!(
        stage,
        Stage::Draft | Stage::AwaitingConsent | Stage::AwaitingRoleAssignment | Stage::Tested
    ) {
        return Err(refuse(stage, "test_connection"));
    }
    s.idle()?;
    s.audit(
        &actor,
        AuditAction::ConnectionTestRequested,
        Outcome::Succeeded,
        None,
    );
    let (now, ttl) = (s.ctx.now_secs(), s.ctx.policy.consent_ttl_secs);
    let setup = s.setup_mut("test_connection")?;
    if consent_fresh(setup, now, ttl) {
        return begin_test(s, actor);
    }
    if stage == Stage::AwaitingRoleAssignment {
        setup.consent = None;
        setup.last_error = Some(CatalogError::AdminConsentRequired.body());
        setup.stage = Stage::Draft;
    } else {
        setup.last_error = None;
        setup.stage = Stage::AwaitingConsent;
    }
    s.reply(Reply::Error(CatalogError::AdminConsentRequired));
    Ok(())
}

/// Runs the connection test under a lease.
fn begin_test(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    s.idle()?;
    let setup = s.setup_mut("test_connection")?;
    let Some(tenant) = setup.vault_tenant.clone() else {
        return Err(CatalogError::AdminConsentRequired);
    };
    setup.stage = Stage::TestingConnection;
    setup.tested = None;
    setup.last_error = None;
    let target = setup.target.clone();
    let attempt = s.lease(Op::ConnectionTest { actor });
    s.effects.push(Effect::TestConnection {
        attempt,
        target,
        tenant,
    });
    Ok(())
}

/// Starts the connection test again after an expired lease.
pub(super) fn restart_test(s: &mut Step<'_>, attempt: u32) -> Result<(), CatalogError> {
    let setup = s.setup_mut("test_connection")?;
    let tenant = setup
        .vault_tenant
        .clone()
        .ok_or(CatalogError::AdminConsentRequired)?;
    let target = setup.target.clone();
    s.effects.push(Effect::TestConnection {
        attempt,
        target,
        tenant,
    });
    Ok(())
}

pub(super) fn connection_tested(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<TestedKey, CatalogError>,
) -> Result<(), CatalogError> {
    let Op::ConnectionTest { actor } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let setup = s.setup_mut("connection_tested")?;
    let result = result.and_then(|tested| {
        if kid_matches(&tested.kid, &setup.target) {
            Ok(tested)
        } else {
            Err(CatalogError::Conflict {
                reason: "The connection test result is for another key".into(),
            })
        }
    });
    match result {
        Ok(tested) => {
            let note = Some(format!("{} (RSA {})", tested.kid, tested.size_bits));
            setup.tested = Some(tested);
            setup.last_error = None;
            setup.stage = Stage::Tested;
            s.audit(
                &actor,
                AuditAction::ConnectionTest,
                Outcome::Succeeded,
                note,
            );
        }
        Err(error) => {
            test_failed(setup, &error);
            s.audit(
                &actor,
                AuditAction::ConnectionTest,
                Outcome::Failed,
                Some(error.code().into()),
            );
            s.reply(Reply::Error(error));
        }
    }
    Ok(())
}

/// Where a failed connection test leaves the setup.
pub(super) fn test_failed(setup: &mut Setup, error: &CatalogError) {
    setup.stage = match error {
        CatalogError::KeyVaultForbidden
        | CatalogError::AccessPolicyVault
        | CatalogError::KeyBindingMissing { .. }
        | CatalogError::KeyBindingMismatch { .. } => Stage::AwaitingRoleAssignment,
        CatalogError::AdminConsentRequired | CatalogError::VaultTokenRejected { .. } => {
            setup.consent = None;
            Stage::Draft
        }
        _ => Stage::Draft,
    };
    setup.tested = None;
    setup.last_error = Some(error.body());
}

/// Save (from `tested`) or Refresh (while verifying): read the inventory
/// first, so a failure leaves the state as it was.
pub(super) fn list_tenants(s: &mut Step<'_>, actor: Actor, save: bool) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    let (wanted, name, action) = if save {
        (Stage::Tested, "save", AuditAction::Save)
    } else {
        (Stage::VerifyingTenants, "refresh", AuditAction::Refresh)
    };
    if stage != wanted {
        return Err(refuse(stage, name));
    }
    s.idle()?;
    s.audit(&actor, action, Outcome::Succeeded, None);
    let attempt = s.lease(Op::ListTenants { actor, save });
    s.effects.push(Effect::ReadInventory { attempt });
    Ok(())
}

/// Keeps the inventory's display names for the tenant list.
pub(super) fn remember_names(s: &mut Step<'_>, tenants: &[InventoryTenant]) {
    s.m.tenant_names = tenants
        .iter()
        .filter_map(|t| {
            t.name.as_ref().map(|name| TenantName {
                tenant: t.tenant.clone(),
                name: name.clone(),
            })
        })
        .collect();
}

/// Replaces the tenant list by `latest`, keeping the status of tenants that
/// are still there; new ones start unverified.
pub(super) fn merge(current: &[Tenant], latest: &[InventoryTenant]) -> Vec<Tenant> {
    let unique: std::collections::BTreeSet<&TenantRef> = latest.iter().map(|t| &t.tenant).collect();
    unique
        .into_iter()
        .map(|tenant| Tenant {
            tenant: tenant.clone(),
            status: current
                .iter()
                .find(|t| t.tenant == *tenant)
                .map_or(TenantStatus::Unverified, |t| t.status.clone()),
        })
        .collect()
}

/// Takes a new inventory into the setup: its tenants (merged), its
/// unverifiable sets (each blocks the switch), and whether an earlier "nothing
/// to verify" still counts (only while the inventory lists no set at all).
/// Returns the error of the first set that blocks the switch.
pub(super) fn take_inventory(setup: &mut Setup, inventory: &Inventory) -> Option<CatalogError> {
    setup.tenants = merge(&setup.tenants, &inventory.tenants);
    let mut blocked = inventory.unverifiable.clone();
    blocked.sort();
    blocked.dedup();
    setup.unverifiable = blocked;
    if !setup.tenants.is_empty() || !setup.unverifiable.is_empty() {
        setup.nothing_to_verify = false;
    }
    let error = setup
        .unverifiable
        .first()
        .map(crate::switch::UnverifiableSet::error);
    match &error {
        Some(e) => setup.last_error = Some(e.body()),
        None => {
            if setup
                .last_error
                .as_ref()
                .is_some_and(|e| e.code == "backup_set_unverifiable")
            {
                setup.last_error = None;
            }
        }
    }
    error
}

/// The audit note of an inventory read.
pub(super) fn inventory_note(setup: &Setup, verb: &str) -> String {
    let mut note = format!("{} tenant(s) {verb}", setup.tenants.len());
    if !setup.unverifiable.is_empty() {
        let sets: Vec<String> = setup.unverifiable.iter().map(|u| u.label()).collect();
        note.push_str(&format!(
            "; {} backup set(s) can't be verified: {}",
            sets.len(),
            sets.join(", ")
        ));
    }
    note
}

pub(super) fn tenants_listed(
    s: &mut Step<'_>,
    actor: Actor,
    save: bool,
    result: Result<Inventory, CatalogError>,
) -> Result<(), CatalogError> {
    let inventory = match result {
        Ok(inventory) => inventory,
        Err(error) => {
            let code = Some(error.code().to_owned());
            s.audit(&actor, AuditAction::InventoryLoaded, Outcome::Failed, code);
            s.reply(Reply::Error(error));
            return Ok(());
        }
    };
    remember_names(s, &inventory.tenants);
    let setup = s.setup_mut("inventory_loaded")?;
    let wanted = if save {
        Stage::Tested
    } else {
        Stage::VerifyingTenants
    };
    if setup.stage != wanted {
        return Err(super::stale());
    }
    setup.stage = Stage::VerifyingTenants;
    let blocked = take_inventory(setup, &inventory);
    let done = setup.ready_to_finalize();
    let verb = if save {
        "to verify"
    } else {
        "in the inventory"
    };
    let note = Some(inventory_note(setup, verb));
    // A set that cannot be verified refuses Save (and Refresh): it stays in
    // the list, and the switch cannot finish until it is corrected.
    let outcome = if blocked.is_some() {
        Outcome::Refused
    } else {
        Outcome::Succeeded
    };
    s.audit(&actor, AuditAction::InventoryLoaded, outcome, note);
    if let Some(error) = blocked {
        s.reply(Reply::Error(error));
    }
    if done {
        finalize::start(s);
    }
    Ok(())
}

/// The inventory lists no backup set: an admin confirms that there is
/// nothing to verify. Valid only while verifying an empty list; the final
/// inventory read must still find none, or the confirmation no longer counts.
pub(super) fn confirm_no_tenants(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    if stage != Stage::VerifyingTenants {
        return Err(refuse(stage, "confirm_no_tenants"));
    }
    s.idle()?;
    let setup = s.setup_mut("confirm_no_tenants")?;
    if let Some(set) = setup.unverifiable.first() {
        return Err(set.error());
    }
    if !setup.tenants.is_empty() {
        return Err(CatalogError::Conflict {
            reason: "The backup sets name tenants to verify; verify them instead".into(),
        });
    }
    setup.nothing_to_verify = true;
    s.audit(
        &actor,
        AuditAction::NoTenantsConfirmed,
        Outcome::Succeeded,
        Some("the inventory lists no backup set".into()),
    );
    Ok(())
}

pub(super) fn cancel(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    let Some(setup) = s.m.setup.as_ref().filter(|x| !x.commit_issued) else {
        return Err(refuse(stage, "cancel"));
    };
    let id = setup.id.clone();
    s.m.setup = None;
    s.m.last = Stage::Cancelled;
    // The setup's step in flight, if any, ends here: its result is stale.
    // A step this very update started (an expired connection test started
    // again, a finalization retry that fell due) is not carried out at all.
    if let Some(lease) = s.m.lease.take_if(|l| {
        matches!(
            l.op,
            Op::ProveConsent { .. }
                | Op::ConnectionTest { .. }
                | Op::ListTenants { .. }
                | Op::FinalInventory
                | Op::Wrap
                | Op::VerifyWrap
        )
    }) {
        s.effects
            .retain(|e| super::attempt_of(e) != Some(lease.attempt));
    }
    s.m.sign_ins.retain(|p| {
        p.purpose
            != Purpose::Setup {
                setup_id: id.clone(),
            }
    });
    s.audit(&actor, AuditAction::Cancel, Outcome::Succeeded, None);
    Ok(())
}
