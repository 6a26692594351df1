//! Tenant verification: sign-ins handed out (single use, bound to the setup
//! or the export round), their callbacks, and the code exchange.

use super::{Step, finalize, label, refuse, same_hash, sha256_hex, states};
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::entra::map_consent_error;
use crate::switch::company::{IssuedState, PendingSignIn, Purpose};
use crate::switch::effect::{Effect, Reply};
use crate::switch::event::{SignIn, VerifyAnswer};
use crate::switch::model::{Stage, Tenant, TenantRef, TenantStatus};

fn find(list: &[Tenant], tenant: &TenantRef) -> Result<(), CatalogError> {
    let entry =
        list.iter()
            .find(|t| t.tenant == *tenant)
            .ok_or_else(|| CatalogError::NotFound {
                what: "Tenant".into(),
            })?;
    if entry.is_verified() {
        return Err(CatalogError::Conflict {
            reason: "This tenant is already verified".into(),
        });
    }
    Ok(())
}

pub(super) fn begin(
    s: &mut Step<'_>,
    actor: Actor,
    tenant: TenantRef,
    sign_in: SignIn,
) -> Result<(), CatalogError> {
    let stage = s.m.stage();
    let purpose = match (&s.m.setup, &s.m.round) {
        (Some(setup), _) if stage == Stage::VerifyingTenants => {
            find(&setup.tenants, &tenant)?;
            Purpose::Setup {
                setup_id: setup.id.clone(),
            }
        }
        (_, Some(round)) if !stage.is_pending() => {
            find(&round.tenants, &tenant)?;
            Purpose::Export {
                round_id: round.id.clone(),
            }
        }
        _ => return Err(refuse(stage, "verify_tenant")),
    };
    if s.m.sign_ins.len() >= s.ctx.policy.max_sign_ins {
        return Err(CatalogError::Conflict {
            reason: "Too many sign-ins are pending; finish or wait for them to expire".into(),
        });
    }
    s.m.sign_ins.push(PendingSignIn {
        state: IssuedState {
            nonce_sha256: sha256_hex(s.ctx.nonce.as_bytes()),
            admin: actor.clone(),
            expires_at_ms: s.now_ms().saturating_add(s.ctx.policy.state_ttl_ms),
        },
        purpose,
        tenant: tenant.clone(),
        pkce_verifier: sign_in.pkce_verifier,
        oidc_nonce: sign_in.oidc_nonce,
        exchanging_until_ms: None,
    });
    s.audit(
        &actor,
        AuditAction::TenantVerificationStarted,
        Outcome::Succeeded,
        Some(label(&tenant)),
    );
    s.reply(Reply::SignIn {
        authorize_url: sign_in.authorize_url,
        tenant,
    });
    Ok(())
}

fn outcome(error: Option<CatalogError>, tenant: Option<TenantRef>) -> Reply {
    Reply::VerifyOutcome {
        error,
        tenant,
        finalizing: false,
        export_open: false,
    }
}

/// Whether the sign-in still belongs to the setup or round under way.
fn current(s: &Step<'_>, p: &PendingSignIn) -> bool {
    match &p.purpose {
        Purpose::Setup { setup_id } => {
            s.m.setup
                .as_ref()
                .is_some_and(|x| x.id == *setup_id && x.stage == Stage::VerifyingTenants)
        }
        // A round's sign-ins stop counting while a setup is pending: the
        // window cannot reopen then.
        Purpose::Export { round_id } => {
            !s.m.stage().is_pending() && s.m.round.as_ref().is_some_and(|r| r.id == *round_id)
        }
    }
}

pub(super) fn callback(s: &mut Step<'_>, nonce: &str, answer: VerifyAnswer) {
    let hash = sha256_hex(nonce.as_bytes());
    let found =
        s.m.sign_ins.iter().position(|p| {
            p.exchanging_until_ms.is_none() && same_hash(&p.state.nonce_sha256, &hash)
        });
    let Some(index) = found else {
        // Not a live state of this flow (used, superseded, expired, or the
        // consent sign-in's): nothing changes.
        let error = states::refusal(&s.m, &hash, states::Flow::Verify);
        s.reply(outcome(Some(error), None));
        return;
    };
    let expired = s.m.sign_ins[index].state.expires_at_ms <= s.now_ms();
    if expired || !current(s, &s.m.sign_ins[index]) {
        // Consumed: a state works once, even when it no longer counts.
        s.m.sign_ins.remove(index);
        let error = if expired {
            CatalogError::OAuthStateExpired
        } else {
            CatalogError::OAuthStateSuperseded
        };
        s.reply(outcome(Some(error), None));
        return;
    }
    let tenant = s.m.sign_ins[index].tenant.clone();
    let refused = match (answer.error.filter(|e| !e.is_empty()), answer.code) {
        (Some(error), _) => Some(match &tenant {
            TenantRef::Microsoft365 { .. } => {
                map_consent_error(&error, answer.error_description.as_deref())
            }
            TenantRef::GoogleWorkspace { .. } if error == "access_denied" => {
                CatalogError::ConsentDeclined
            }
            TenantRef::GoogleWorkspace { .. } => CatalogError::GoogleRejected { status: 400 },
        }),
        (None, None) => Some(CatalogError::ConsentDeclined),
        (None, Some(code)) => {
            let until = s.now_ms().saturating_add(s.ctx.policy.lease_ms);
            let pending = &mut s.m.sign_ins[index];
            pending.exchanging_until_ms = Some(until);
            let effect = Effect::ExchangeCode {
                nonce_sha256: hash,
                tenant,
                code,
                pkce_verifier: pending.pkce_verifier.clone(),
                oidc_nonce: pending.oidc_nonce.clone(),
            };
            s.effects.push(effect);
            None
        }
    };
    if let Some(error) = refused {
        let pending = s.m.sign_ins.remove(index);
        record(s, &pending, Err(error));
    }
}

pub(super) fn exchanged(
    s: &mut Step<'_>,
    nonce_sha256: &str,
    result: Result<String, CatalogError>,
) -> Result<(), CatalogError> {
    let index =
        s.m.sign_ins
            .iter()
            .position(|p| {
                p.exchanging_until_ms.is_some() && same_hash(&p.state.nonce_sha256, nonce_sha256)
            })
            .ok_or_else(super::stale)?;
    let pending = s.m.sign_ins.remove(index);
    if !current(s, &pending) {
        s.reply(outcome(Some(CatalogError::OAuthStateSuperseded), None));
        return Ok(());
    }
    record(s, &pending, result);
    Ok(())
}

/// A sign-in whose exchange outlived its lease: the tenant shows the failure.
pub(super) fn interrupted(s: &mut Step<'_>, pending: &PendingSignIn) {
    if current(s, pending) {
        let error = CatalogError::Interrupted {
            step: "tenant verification".into(),
        };
        record(s, pending, Err(error));
        // The landing page of that sign-in is gone: nobody reads the reply.
        s.effects.retain(|e| !matches!(e, Effect::Reply(_)));
    }
}

/// Records a verification's result on the setup's or the round's list.
fn record(s: &mut Step<'_>, pending: &PendingSignIn, result: Result<String, CatalogError>) {
    let tenant = pending.tenant.clone();
    let (status, note, outcome_) = match &result {
        Ok(who) => (
            TenantStatus::Verified {
                at: s.ctx.now_secs(),
            },
            format!("{} verified by {who}", label(&tenant)),
            Outcome::Succeeded,
        ),
        Err(e) => (
            TenantStatus::Failed { reason: e.body() },
            format!("{}: {}", label(&tenant), e.code()),
            Outcome::Failed,
        ),
    };
    let admin = pending.state.admin.clone();
    let outside = result
        .as_ref()
        .ok()
        .map(|who| super::tenant_admin(&tenant, who));
    let error = result.err();
    let list = match pending.purpose {
        Purpose::Setup { .. } => s.m.setup.as_mut().map(|x| &mut x.tenants),
        Purpose::Export { .. } => s.m.round.as_mut().map(|r| &mut r.tenants),
    };
    let Some(entry) = list.and_then(|l| l.iter_mut().find(|t| t.tenant == tenant)) else {
        // Removed from the inventory meanwhile (Refresh).
        s.reply(outcome(
            Some(CatalogError::NotFound {
                what: "Tenant".into(),
            }),
            Some(tenant),
        ));
        return;
    };
    // A failed retry never undoes a verification.
    if !(entry.is_verified() && error.is_some()) {
        entry.status = status;
    }
    match pending.purpose {
        Purpose::Setup { .. } => {
            let action = if error.is_none() {
                AuditAction::TenantVerified
            } else {
                AuditAction::TenantVerification
            };
            s.audit_by(&admin, outside, action, outcome_, Some(note));
            // With another step in flight (Refresh's read, an export) the
            // finalization waits for it: see `finalize::start_when_verified`.
            let done = error.is_none()
                && s.m.lease.is_none()
                && s.m
                    .setup
                    .as_ref()
                    .is_some_and(crate::switch::Setup::ready_to_finalize);
            if done {
                finalize::start(s);
            }
            s.reply(Reply::VerifyOutcome {
                error,
                tenant: Some(tenant),
                finalizing: done,
                export_open: false,
            });
        }
        Purpose::Export { .. } => {
            s.audit_by(
                &admin,
                outside,
                AuditAction::ExportTenantVerification,
                outcome_,
                Some(note),
            );
            let done = error.is_none()
                && s.m
                    .round
                    .as_ref()
                    .is_some_and(|r| super::all_verified(&r.tenants));
            if done {
                super::export::reopen(s, &admin);
            }
            s.reply(Reply::VerifyOutcome {
                error,
                tenant: Some(tenant),
                finalizing: false,
                export_open: done,
            });
        }
    }
}
