//! `update`: the one function that decides everything about a company.
//!
//! It takes the model, an event and the context, and returns the next model
//! with the effects the edge must carry out. A refused event returns the
//! catalog error: nothing changes, nothing is written. Every step that calls
//! an outside service holds a lease ([`Lease`]); the alarm resolves a lease
//! that expired (the object restarted while the step ran).

mod backup_sets;
mod check;
mod export;
mod finalize;
mod health;
mod notify;
mod registry;
pub(crate) mod rotate;
mod setup;
mod states;
mod sweep;
mod tick;
mod verify;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::company::{Company, Lease, Op, Setup};
use super::ctx::Ctx;
use super::effect::{AuditEntry, Effect, Reply};
use super::event::Event;
use super::model::{Stage, Target, Tenant, TenantRef};
use crate::audit::{Actor, AuditAction, IdentityProvider, Outcome, OutsideAdmin};
use crate::catalog::CatalogError;
use crate::ids::KeyId;
pub(crate) use setup::fresh as consent_is_fresh;

/// Applies `event` to `model` in the context `ctx`.
///
/// # Errors
/// The catalog error of a refused event ([`CatalogError::InvalidTransition`]
/// when the event does not apply in the current stage, or a more specific
/// one); the model is unchanged.
pub fn update(
    model: &Company,
    event: Event,
    ctx: &Ctx,
) -> Result<(Company, Vec<Effect>), CatalogError> {
    let mut step = Step::new(model, ctx);
    let is_command = !matches!(
        event,
        Event::ConsentProven { .. }
            | Event::VaultProbed { .. }
            | Event::ConnectionTested { .. }
            | Event::InventoryRead { .. }
            | Event::BackupSetsCounted { .. }
            | Event::CodeExchanged { .. }
            | Event::Wrapped { .. }
            | Event::WrapVerified { .. }
            | Event::Exported { .. }
            | Event::MovedToAws { .. }
            | Event::BindingRecorded { .. }
            | Event::KeyChecked { .. }
            | Event::KeyProbed { .. }
            | Event::ConfigurationChecked { .. }
            | Event::KeyVersionRead { .. }
            | Event::Rewrapped { .. }
            | Event::RewrapVerified { .. }
            | Event::WebhookAnswered { .. }
    );
    if is_command {
        // Whatever expired is resolved before anything new starts.
        tick::resolve(&mut step);
    }
    let mut rearm = matches!(event, Event::Tick);
    let presented = match &event {
        Event::ConsentCallback { nonce, .. } | Event::VerifyCallback { nonce, .. } => {
            Some(sha256_hex(nonce.as_bytes()))
        }
        _ => None,
    };
    match event {
        Event::Start {
            actor,
            target,
            consent,
        } => setup::start(&mut step, actor, target, consent)?,
        Event::IssueConsent { actor, consent } => setup::issue_consent(&mut step, actor, consent)?,
        Event::ConsentCallback { nonce, answer } => {
            setup::consent_callback(&mut step, &nonce, answer)?
        }
        Event::ConsentProven { attempt, result } => {
            setup::consent_proven(&mut step, attempt, result)?
        }
        Event::VaultProbed { attempt, result } => setup::vault_probed(&mut step, attempt, result)?,
        Event::Test { actor } => setup::test(&mut step, actor)?,
        Event::ConnectionTested { attempt, result } => {
            setup::connection_tested(&mut step, attempt, result)?;
        }
        Event::Save { actor } => setup::list_tenants(&mut step, actor, true)?,
        Event::Refresh { actor } => setup::list_tenants(&mut step, actor, false)?,
        Event::Cancel { actor } => setup::cancel(&mut step, actor)?,
        Event::ConfirmNoTenants { actor } => setup::confirm_no_tenants(&mut step, actor)?,
        Event::InventoryRead { attempt, result } => {
            let op = step.take_lease(attempt)?;
            if let Ok(inventory) = &result {
                backup_sets::read(&mut step, inventory);
            }
            match op {
                Op::ListTenants { actor, save } => {
                    setup::tenants_listed(&mut step, actor, save, result)?;
                }
                Op::ExportRound { actor, confirmed } => {
                    export::round_listed(&mut step, actor, confirmed, result);
                }
                Op::FinalInventory => finalize::final_inventory(&mut step, result)?,
                // Another op's attempt number: `take_lease` matched it,
                // so this cannot be an inventory result.
                _ => return Err(stale()),
            }
        }
        Event::BackupSetsCounted { result } => backup_sets::counted(&mut step, result)?,
        Event::BeginVerify {
            actor,
            tenant,
            sign_in,
        } => verify::begin(&mut step, actor, tenant, sign_in)?,
        Event::VerifyCallback { nonce, answer } => verify::callback(&mut step, &nonce, answer),
        Event::CodeExchanged {
            nonce_sha256,
            result,
        } => verify::exchanged(&mut step, &nonce_sha256, result)?,
        Event::Wrapped { attempt, result } => finalize::wrapped(&mut step, attempt, result)?,
        Event::WrapVerified { attempt, result } => finalize::verified(&mut step, attempt, result)?,
        Event::Export {
            actor,
            signed_in_at,
        } => export::export(&mut step, actor, signed_in_at)?,
        Event::Exported { attempt, result } => export::exported(&mut step, attempt, result)?,
        Event::BeginExportRound { actor } => export::begin_round(&mut step, actor)?,
        Event::ConfirmNoExportTenants { actor } => export::confirm_empty_round(&mut step, actor)?,
        Event::MoveToAwsKms { actor, key_id } => export::move_to_aws(&mut step, actor, key_id)?,
        Event::MovedToAws { attempt, result } => export::moved_to_aws(&mut step, attempt, result)?,
        Event::BindingRecorded { attempt, result } => {
            registry::recorded(&mut step, attempt, result)?;
        }
        Event::CheckNow { actor } => health::check_now(&mut step, &actor)?,
        Event::KeyChecked { attempt, result } => health::checked(&mut step, attempt, result)?,
        Event::KeyProbed { attempt, result } => health::probed(&mut step, attempt, result)?,
        Event::RewrapNow { actor } => rotate::rewrap_now(&mut step, actor)?,
        Event::CheckConfiguration { actor } => check::check(&mut step, &actor)?,
        Event::ConfigurationChecked {
            actor,
            scope,
            key,
            seen,
        } => check::checked(&mut step, &actor, scope, key, &seen),
        Event::KeyVersionRead { attempt, result } => {
            rotate::key_version_read(&mut step, attempt, result)?;
        }
        Event::Rewrapped { attempt, result } => rotate::rewrapped(&mut step, attempt, result)?,
        Event::RewrapVerified { attempt, result } => {
            rotate::verified(&mut step, attempt, result)?;
        }
        Event::WebhookAnswered { attempt, result } => {
            notify::answered(&mut step, attempt, result)?;
        }
        Event::Sweep { alarm_at_ms } => {
            rearm = sweep::found(&mut step, model.next_deadline_ms(), alarm_at_ms);
        }
        Event::Tick => {}
    }
    finalize::start_when_verified(&mut step);
    health::follow_provider(&mut step);
    rotate::start_when_due(&mut step);
    states::remember_retired(&mut step, model, presented.as_deref());
    Ok(step.finish(model, rearm))
}

/// How a refused admin command is recorded: the model's audit trail names
/// who tried what and why it was refused (the model is otherwise unchanged).
/// Callbacks, the alarm and effect results are not admin commands: their
/// refusals are not recorded (a forged request must not fill the trail).
#[must_use]
pub fn refusal(
    model: &Company,
    event: &Event,
    error: &CatalogError,
    ctx: &Ctx,
) -> Option<(Company, Vec<Effect>)> {
    let (actor, action) = match event {
        Event::Start { actor, .. } if model.stage().is_pending() => {
            (actor, AuditAction::TargetEdited)
        }
        Event::Start { actor, .. } => (actor, AuditAction::SwitchStarted),
        Event::IssueConsent { actor, .. } => (actor, AuditAction::ConsentLinkIssued),
        Event::Test { actor } => (actor, AuditAction::ConnectionTestRequested),
        Event::Save { actor } => (actor, AuditAction::Save),
        Event::Refresh { actor } => (actor, AuditAction::Refresh),
        Event::Cancel { actor } => (actor, AuditAction::Cancel),
        Event::ConfirmNoTenants { actor } => (actor, AuditAction::NoTenantsConfirmed),
        Event::BeginVerify { actor, .. } => (actor, AuditAction::TenantVerificationStarted),
        Event::Export { actor, .. } => (actor, AuditAction::CompanyKeyExport),
        Event::BeginExportRound { actor } => (actor, AuditAction::ExportVerificationStarted),
        Event::ConfirmNoExportTenants { actor } => (actor, AuditAction::ExportNoTenantsConfirmed),
        Event::MoveToAwsKms { actor, .. } => (actor, AuditAction::MovedToAwsKms),
        Event::RewrapNow { actor } => (actor, AuditAction::RewrapRequested),
        Event::CheckNow { actor } => (actor, AuditAction::HealthCheckRequested),
        Event::CheckConfiguration { actor } => (actor, AuditAction::ConfigurationChecked),
        _ => return None,
    };
    let mut step = Step::new(model, ctx);
    step.audit(
        actor,
        action,
        Outcome::Refused,
        Some(error.code().to_owned()),
    );
    Some(step.finish(model, false))
}

/// The error for a result whose lease is gone (cancelled, expired, or a
/// result of an older attempt).
fn stale() -> CatalogError {
    CatalogError::Conflict {
        reason: "The step this result belongs to is no longer running".into(),
    }
}

fn refuse(stage: Stage, event: &str) -> CatalogError {
    CatalogError::InvalidTransition {
        state: stage.as_str().to_owned(),
        event: event.to_owned(),
    }
}

fn busy(lease: &Lease) -> CatalogError {
    CatalogError::Conflict {
        reason: format!("The {} is running; wait for it to finish", lease.op.label()),
    }
}

/// The lease attempt an outside call belongs to.
fn attempt_of(effect: &Effect) -> Option<u32> {
    match effect {
        Effect::ProveConsent { attempt, .. }
        | Effect::ProbeVault { attempt, .. }
        | Effect::TestConnection { attempt, .. }
        | Effect::ReadInventory { attempt }
        | Effect::Wrap { attempt, .. }
        | Effect::VerifyWrap { attempt, .. }
        | Effect::ExportKey { attempt, .. }
        | Effect::RewrapToAws { attempt, .. }
        | Effect::ReadKeyVersion { attempt, .. }
        | Effect::Rewrap { attempt, .. }
        | Effect::VerifyRewrap { attempt, .. } => Some(*attempt),
        Effect::Audit(_)
        | Effect::ArmAlarm { .. }
        | Effect::ClearAlarm
        | Effect::Reply(_)
        | Effect::ExchangeCode { .. }
        | Effect::CheckConfiguration { .. }
        | Effect::RecordBinding { .. }
        | Effect::Webhook(_)
        | Effect::CheckKey { .. }
        | Effect::ProbeKey { .. } => None,
    }
}

/// Hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Whether two hashes are equal, without an early exit.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An id derived from the context's nonce for `label` (distinct from the
/// nonce itself, which may be handed out as a state).
fn derive_id(ctx: &Ctx, label: &str) -> String {
    sha256_hex(format!("{label}/{}", ctx.nonce).as_bytes())[..32].to_owned()
}

/// Whether a versioned `kid` names the target's vault and key.
fn kid_matches(kid: &KeyId, target: &Target) -> bool {
    kid.version().is_some()
        && kid.vault() == target.vault_uri
        && kid
            .name()
            .as_str()
            .eq_ignore_ascii_case(target.key_name.as_str())
}

/// The admin at Microsoft or Google who proved `tenant` as `account`.
fn tenant_admin(tenant: &TenantRef, account: &str) -> OutsideAdmin {
    let provider = match tenant {
        TenantRef::Microsoft365 { .. } => IdentityProvider::Microsoft,
        TenantRef::GoogleWorkspace { .. } => IdentityProvider::Google,
    };
    OutsideAdmin {
        provider,
        account: account.chars().take(120).collect(),
    }
}

/// A tenant as the audit trail names it.
fn label(t: &TenantRef) -> String {
    match t {
        TenantRef::Microsoft365 { tenant_id } => {
            format!("Microsoft 365 tenant {}", tenant_id.as_str())
        }
        TenantRef::GoogleWorkspace { customer_id } => {
            format!("Google Workspace customer {}", customer_id.as_str())
        }
    }
}

fn all_verified(tenants: &[Tenant]) -> bool {
    tenants.iter().all(Tenant::is_verified)
}

/// An audit entry before it is numbered: who (and the outside admin who
/// did it for them), what, how it ended, the note.
type Audited = (
    Actor,
    Option<OutsideAdmin>,
    AuditAction,
    Outcome,
    Option<String>,
);

/// One update in the making: the next model and its effects.
pub(crate) struct Step<'a> {
    m: Company,
    ctx: &'a Ctx,
    effects: Vec<Effect>,
    audits: Vec<Audited>,
}

impl<'a> Step<'a> {
    fn new(model: &Company, ctx: &'a Ctx) -> Self {
        Self {
            m: model.clone(),
            ctx,
            effects: Vec::new(),
            audits: Vec::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.ctx.now_ms
    }

    fn audit(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        outcome: Outcome,
        detail: Option<String>,
    ) {
        self.audits
            .push((actor.clone(), None, action, outcome, detail));
    }

    /// [`Self::audit`] for a step an administrator at Microsoft or Google
    /// did for `actor` (granted the consent, proved a tenant).
    fn audit_by(
        &mut self,
        actor: &Actor,
        outside: Option<OutsideAdmin>,
        action: AuditAction,
        outcome: Outcome,
        detail: Option<String>,
    ) {
        self.audits
            .push((actor.clone(), outside, action, outcome, detail));
    }

    fn reply(&mut self, reply: Reply) {
        self.effects.push(Effect::Reply(reply));
    }

    fn lease_until(&self) -> u64 {
        self.ctx.now_ms.saturating_add(self.ctx.policy.lease_ms)
    }

    /// Takes the company-wide lease for `op`; the caller pushes the effect.
    fn lease(&mut self, op: Op) -> u32 {
        self.m.attempts = self.m.attempts.wrapping_add(1);
        let attempt = self.m.attempts;
        self.m.lease = Some(Lease {
            attempt,
            op,
            until_ms: self.lease_until(),
            restarts: 0,
        });
        attempt
    }

    /// Refuses a new step while another holds the lease.
    fn idle(&self) -> Result<(), CatalogError> {
        match &self.m.lease {
            Some(lease) => Err(busy(lease)),
            None => Ok(()),
        }
    }

    /// Releases the lease of `attempt` and returns its op.
    fn take_lease(&mut self, attempt: u32) -> Result<Op, CatalogError> {
        match self.m.lease.take() {
            Some(lease) if lease.attempt == attempt => Ok(lease.op),
            other => {
                self.m.lease = other;
                Err(stale())
            }
        }
    }

    fn setup_mut(&mut self, event: &str) -> Result<&mut Setup, CatalogError> {
        let stage = self.m.stage();
        self.m.setup.as_mut().ok_or_else(|| refuse(stage, event))
    }

    fn finish(mut self, before: &Company, rearm: bool) -> (Company, Vec<Effect>) {
        let to = self.m.stage();
        let from = before.stage();
        let mut effects = Vec::with_capacity(self.audits.len() + self.effects.len() + 1);
        for (actor, outside_admin, action, outcome, detail) in self.audits {
            self.m.audit_seq += 1;
            effects.push(Effect::Audit(AuditEntry {
                seq: self.m.audit_seq,
                actor,
                action,
                outcome,
                from,
                to,
                detail,
                at_ms: self.ctx.now_ms,
                outside_admin,
            }));
        }
        // The alarm is armed before any outside call starts: a step cut off
        // by a restart is always resolved.
        let deadline = self.m.next_deadline_ms();
        if rearm || deadline != before.next_deadline_ms() {
            effects.push(match deadline {
                Some(at_ms) => Effect::ArmAlarm { at_ms },
                None => Effect::ClearAlarm,
            });
        }
        effects.append(&mut self.effects);
        (self.m, effects)
    }
}
