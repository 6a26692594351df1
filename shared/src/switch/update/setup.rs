//! From Test Connection to the tenant list: start, consent, connection test,
//! Save, Refresh, Cancel.
//!
//! Admin consent is proven per setup by an OpenID Connect sign-in with
//! `prompt=admin_consent`: an admin of the vault's tenant signs in with this
//! setup's nonce. The proven consents are kept per company (the consent
//! cache); a company never relies on a consent another company proved.
//! Nothing outside is called for a vault before this company proved a
//! consent, and at most one connection test runs per company per
//! [`Policy::test_interval_ms`](crate::switch::Policy).

use super::{Step, derive_id, finalize, kid_matches, refuse, same_hash, sha256_hex};
use crate::api::{TenantName, TestedKey};
use crate::audit::{Actor, AuditAction, IdentityProvider, Outcome, OutsideAdmin};
use crate::catalog::CatalogError;
use crate::entra::map_consent_error;
use crate::ids::TenantId;
use crate::switch::company::{ConsentSignIn, IssuedState, Op, Purpose, Setup};
use crate::switch::effect::{Effect, Reply};
use crate::switch::event::{ConsentAnswer, ConsentProof, Inventory, InventoryTenant, SignIn};
use crate::switch::model::{Consent, Stage, Target, Tenant, TenantRef, TenantStatus};
use crate::switch::recovery::SetupStep;

/// Whether a consent still counts at `now` (Unix seconds).
pub(crate) fn fresh(c: &Consent, now: i64, ttl: i64) -> bool {
    now >= c.granted_at && now - c.granted_at < ttl
}

/// The fresh consent this company proved for `tenant`.
fn proven(s: &Step<'_>, tenant: &TenantId) -> Option<Consent> {
    let (now, ttl) = (s.ctx.now_secs(), s.ctx.policy.consent_ttl_secs);
    s.m.consents
        .iter()
        .find(|c| c.tenant == *tenant && fresh(c, now, ttl))
        .cloned()
}

/// The newest fresh consent this company proved, for any tenant.
fn newest_proven(s: &Step<'_>) -> Option<Consent> {
    let (now, ttl) = (s.ctx.now_secs(), s.ctx.policy.consent_ttl_secs);
    s.m.consents
        .iter()
        .filter(|c| fresh(c, now, ttl))
        .max_by_key(|c| c.granted_at)
        .cloned()
}

/// Drops the consents that no longer count.
pub(super) fn forget_expired_consents(s: &mut Step<'_>) {
    let (now, ttl) = (s.ctx.now_secs(), s.ctx.policy.consent_ttl_secs);
    s.m.consents.retain(|c| fresh(c, now, ttl));
}

/// Refuses a connection test that would start less than the policy's
/// interval after the last one.
fn rate_limit(s: &Step<'_>) -> Result<(), CatalogError> {
    let now = s.now_ms();
    match s.m.last_test_at_ms {
        Some(last) if now < last.saturating_add(s.ctx.policy.test_interval_ms) => {
            let wait_ms = last.saturating_add(s.ctx.policy.test_interval_ms) - now;
            Err(CatalogError::RateLimited {
                retry_after_secs: wait_ms.div_ceil(1000).max(1),
                interval_secs: s.ctx.policy.test_interval_ms.div_ceil(1000),
            })
        }
        _ => Ok(()),
    }
}

pub(super) fn start(
    s: &mut Step<'_>,
    actor: Actor,
    target: Target,
    consent: SignIn,
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
            setup.consent = None;
        }
        setup.target = target;
        setup.tested = None;
        setup.consent_sign_in = None;
        setup.clear_failure();
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
            consent_sign_in: None,
            tested: None,
            tenants: Vec::new(),
            unverifiable: Vec::new(),
            nothing_to_verify: false,
            commit_issued: false,
            finalize: None,
            last_error: None,
            fault: None,
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
    s.audit(
        &actor,
        AuditAction::TestConnection,
        Outcome::Succeeded,
        None,
    );
    let known = s.setup_mut("start")?.vault_tenant.clone();
    match known {
        // The vault's tenant is known (this setup's consent proved it).
        Some(tenant) => match proven(s, &tenant) {
            Some(c) => {
                s.setup_mut("start")?.consent = Some(c);
                begin_test(s, actor)
            }
            None => ask_consent(s, actor, consent),
        },
        // Unknown: a consent this company proved lets the connection test
        // learn it (and check it is one of this company's tenants).
        None => match newest_proven(s) {
            Some(c) => {
                let note = Some(format!("tenant {}", c.tenant.as_str()));
                let setup = s.setup_mut("start")?;
                setup.consent = Some(c);
                setup.stage = Stage::AwaitingRoleAssignment;
                s.audit(
                    &actor,
                    AuditAction::AdminConsentReused,
                    Outcome::Succeeded,
                    note,
                );
                Ok(())
            }
            None => ask_consent(s, actor, consent),
        },
    }
}

/// The setup waits for consent: records the sign-in the edge prepared.
fn ask_consent(s: &mut Step<'_>, actor: Actor, consent: SignIn) -> Result<(), CatalogError> {
    let setup = s.setup_mut("grant_admin_consent")?;
    setup.consent = None;
    setup.stage = Stage::AwaitingConsent;
    issue_sign_in(s, actor, consent)
}

/// A new single-use consent sign-in for the pending setup; the caller gets
/// its URL.
fn issue_sign_in(s: &mut Step<'_>, actor: Actor, consent: SignIn) -> Result<(), CatalogError> {
    let issued = ConsentSignIn {
        state: IssuedState {
            nonce_sha256: sha256_hex(s.ctx.nonce.as_bytes()),
            admin: actor.clone(),
            expires_at_ms: s.now_ms().saturating_add(s.ctx.policy.state_ttl_ms),
        },
        pkce_verifier: consent.pkce_verifier,
        oidc_nonce: crate::switch::OAuthSecret::new(consent.oidc_nonce),
    };
    s.setup_mut("grant_admin_consent")?.consent_sign_in = Some(issued);
    s.audit(
        &actor,
        AuditAction::ConsentLinkIssued,
        Outcome::Succeeded,
        None,
    );
    s.reply(Reply::ConsentUrl(consent.authorize_url));
    Ok(())
}

pub(super) fn issue_consent(
    s: &mut Step<'_>,
    actor: Actor,
    consent: SignIn,
) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    if stage != Stage::AwaitingConsent {
        return Err(refuse(stage, "grant_admin_consent"));
    }
    issue_sign_in(s, actor, consent)
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
        setup.fail(&error, SetupStep::AdminConsent);
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
                    .consent_sign_in
                    .as_ref()
                    .is_some_and(|c| same_hash(&c.state.nonce_sha256, &hash));
                if ok { x.consent_sign_in.take() } else { None }
            });
    let Some(issued) = issued else {
        // Not a live consent state of this setup: nothing changes, nothing
        // is recorded; the reply says why.
        let error = super::states::refusal(&s.m, &hash, super::states::Flow::Consent);
        s.reply(Reply::ConsentOutcome {
            error: Some(error),
            vault_name: None,
        });
        return Ok(());
    };
    // Consumed before anything else happens: a state works once.
    let admin = issued.state.admin;
    if issued.state.expires_at_ms <= s.now_ms() {
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
    // Microsoft's error wins; without a code there is no proof at all
    // (`admin_consent=True` alone proves nothing).
    let code = match (answer.error.filter(|e| !e.is_empty()), answer.code) {
        (Some(error), _) => {
            let mapped = map_consent_error(&error, answer.error_description.as_deref());
            consent_failed(s, &admin, mapped);
            return Ok(());
        }
        (None, None) => {
            consent_failed(s, &admin, CatalogError::AdminConsentRequired);
            return Ok(());
        }
        (None, Some(code)) => code,
    };
    let target = s.setup_mut("admin_consent_callback")?.target.clone();
    s.idle()?;
    let attempt = s.lease(Op::ProveConsent { admin });
    s.effects.push(Effect::ProveConsent {
        attempt,
        code,
        pkce_verifier: issued.pkce_verifier,
        oidc_nonce: issued.oidc_nonce,
        target,
    });
    Ok(())
}

pub(super) fn consent_proven(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<ConsentProof, CatalogError>,
) -> Result<(), CatalogError> {
    let Op::ProveConsent { admin } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    // The admin must belong to the vault's tenant: a consent in one tenant
    // never opens a vault of another.
    let result = result.and_then(|proof| {
        if proof.tenant == proof.vault_tenant {
            Ok(proof)
        } else {
            Err(CatalogError::TenantMismatch {
                expected: proof.vault_tenant.as_str().to_owned(),
                found: proof.tenant.as_str().to_owned(),
            })
        }
    });
    match result {
        Ok(proof) => {
            let consent = Consent {
                tenant: proof.tenant.clone(),
                granted_at: s.ctx.now_secs(),
            };
            s.m.consents.retain(|c| c.tenant != proof.tenant);
            s.m.consents.push(consent.clone());
            let setup = s.setup_mut("consent_granted")?;
            setup.vault_tenant = Some(proof.tenant.clone());
            setup.consent = Some(consent);
            setup.clear_failure();
            setup.stage = Stage::AwaitingRoleAssignment;
            let who: String = proof.admin.chars().take(120).collect();
            let note = Some(format!("tenant {} by {who}", proof.tenant.as_str()));
            let outside = Some(OutsideAdmin {
                provider: IdentityProvider::Microsoft,
                account: who,
            });
            s.audit_by(
                &admin,
                outside,
                AuditAction::AdminConsent,
                Outcome::Succeeded,
                note,
            );
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
    let known = s.setup_mut("test_connection")?.vault_tenant.clone();
    let consent = match &known {
        Some(tenant) => proven(s, tenant),
        None => newest_proven(s),
    };
    if let Some(c) = consent {
        s.setup_mut("test_connection")?.consent = Some(c);
        return begin_test(s, actor);
    }
    let setup = s.setup_mut("test_connection")?;
    if stage == Stage::AwaitingRoleAssignment {
        setup.consent = None;
        setup.fail(&CatalogError::AdminConsentRequired, SetupStep::AdminConsent);
        setup.stage = Stage::Draft;
    } else {
        setup.clear_failure();
        setup.stage = Stage::AwaitingConsent;
    }
    s.reply(Reply::Error(CatalogError::AdminConsentRequired));
    Ok(())
}

/// The effect that starts (or starts again) the connection test: with the
/// vault's tenant known, the test itself; else the challenge that learns it.
fn test_effect(setup: &Setup, attempt: u32) -> Effect {
    let target = setup.target.clone();
    match setup.vault_tenant.clone() {
        Some(tenant) => Effect::TestConnection {
            attempt,
            target,
            tenant,
        },
        None => Effect::ProbeVault { attempt, target },
    }
}

/// Runs the connection test under a lease (rate limited).
fn begin_test(s: &mut Step<'_>, actor: Actor) -> Result<(), CatalogError> {
    s.idle()?;
    rate_limit(s)?;
    s.m.last_test_at_ms = Some(s.now_ms());
    let setup = s.setup_mut("test_connection")?;
    setup.stage = Stage::TestingConnection;
    setup.tested = None;
    setup.clear_failure();
    let attempt = s.lease(Op::ConnectionTest { actor });
    let effect = test_effect(s.setup_mut("test_connection")?, attempt);
    s.effects.push(effect);
    Ok(())
}

/// Starts the connection test again after an expired lease.
pub(super) fn restart_test(s: &mut Step<'_>, attempt: u32) -> Result<(), CatalogError> {
    let effect = test_effect(s.setup_mut("test_connection")?, attempt);
    s.effects.push(effect);
    Ok(())
}

/// The vault's tenant is known: the test goes on only if this company
/// proved a consent there.
pub(super) fn vault_probed(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<TenantId, CatalogError>,
) -> Result<(), CatalogError> {
    // Only while the test waits for it: once the tenant is known, the test
    // itself runs under the same lease (a second copy of this result is stale).
    let running =
        s.m.lease
            .as_ref()
            .is_some_and(|l| l.attempt == attempt && matches!(l.op, Op::ConnectionTest { .. }))
            && s.m.setup.as_ref().is_some_and(|x| x.vault_tenant.is_none());
    if !running {
        return Err(super::stale());
    }
    let result = match result {
        Ok(tenant) => match proven(s, &tenant) {
            Some(c) => Ok((tenant, c)),
            None => {
                // Remembered: Test Connection then asks for consent there.
                if let Some(setup) = s.m.setup.as_mut() {
                    setup.vault_tenant = Some(tenant);
                }
                Err(CatalogError::AdminConsentRequired)
            }
        },
        Err(e) => Err(e),
    };
    match result {
        Ok((tenant, consent)) => {
            let until = s.lease_until();
            if let Some(lease) = s.m.lease.as_mut() {
                lease.until_ms = until;
            }
            let setup = s.setup_mut("vault_probed")?;
            setup.vault_tenant = Some(tenant.clone());
            setup.consent = Some(consent);
            let target = setup.target.clone();
            s.effects.push(Effect::TestConnection {
                attempt,
                target,
                tenant,
            });
        }
        Err(error) => {
            let Op::ConnectionTest { actor } = s.take_lease(attempt)? else {
                return Err(super::stale());
            };
            let setup = s.setup_mut("vault_probed")?;
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

pub(super) fn connection_tested(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<TestedKey, CatalogError>,
) -> Result<(), CatalogError> {
    let Op::ConnectionTest { actor } = s.take_lease(attempt)? else {
        return Err(super::stale());
    };
    let setup = s.setup_mut("connection_tested")?;
    if setup.vault_tenant.is_none() {
        // Still learning the vault's tenant: no test ran.
        return Err(super::stale());
    }
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
            setup.clear_failure();
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
            forget_revoked(s, &error);
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

/// Entra says the consent is gone (revoked in the tenant): this company's
/// consent for the vault's tenant no longer counts.
fn forget_revoked(s: &mut Step<'_>, error: &CatalogError) {
    if matches!(error, CatalogError::AdminConsentRequired)
        && let Some(tenant) = s.m.setup.as_ref().and_then(|x| x.vault_tenant.clone())
    {
        s.m.consents.retain(|c| c.tenant != tenant);
    }
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
    setup.fail(error, SetupStep::ConnectionTest);
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
        Some(e) => setup.fail(e, SetupStep::VerifyTenants),
        None => {
            let settled = |code: &str| {
                code == "backup_set_unverifiable"
                    || (code == "tenants_unverified"
                        && setup.tenants.iter().all(Tenant::is_verified))
            };
            if setup.last_error.as_ref().is_some_and(|e| settled(&e.code)) {
                setup.clear_failure();
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
