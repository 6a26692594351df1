//! What is due when the alarm fires (or before any command): expired leases
//! are resolved, finalization retries start, expired states are dropped.

use super::{Step, finalize, health, notify, registry, rotate, setup, verify};
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::switch::company::{Lease, Op};
use crate::switch::model::Stage;

pub(super) fn resolve(s: &mut Step<'_>) {
    let now = s.now_ms();
    if let Some(lease) = s.m.lease.clone().filter(|l| l.until_ms <= now) {
        expired(s, lease);
    }
    let finalize_due = s.m.lease.is_none()
        && s.m.setup.as_ref().is_some_and(|x| {
            x.stage == Stage::Finalizing
                && x.finalize
                    .as_ref()
                    .and_then(|f| f.next_retry_at_ms)
                    .is_some_and(|at| at <= now)
        });
    if finalize_due {
        finalize::retry(s);
    }
    registry::resend_due(s);
    notify::resend_due(s);
    health::due(s);
    // Sign-ins: expired unused ones go; an exchange past its lease fails.
    let (gone, kept): (Vec<_>, Vec<_>) =
        std::mem::take(&mut s.m.sign_ins)
            .into_iter()
            .partition(|p| match p.exchanging_until_ms {
                Some(until) => until <= now,
                None => p.state.expires_at_ms <= now,
            });
    s.m.sign_ins = kept;
    for pending in gone.iter().filter(|p| p.exchanging_until_ms.is_some()) {
        verify::interrupted(s, pending);
    }
    // The consent sign-in (with its PKCE verifier) goes when it expires.
    if let Some(setup) = s.m.setup.as_mut()
        && setup
            .consent_sign_in
            .as_ref()
            .is_some_and(|c| c.state.expires_at_ms <= now)
    {
        setup.consent_sign_in = None;
    }
    setup::forget_expired_consents(s);
}

/// A step whose result never came (the object restarted while it ran).
fn expired(s: &mut Step<'_>, lease: Lease) {
    let error = CatalogError::Interrupted {
        step: lease.op.label().to_owned(),
    };
    let system = Actor::system();
    let restart = lease.restarts < s.ctx.policy.max_restarts;
    match lease.op {
        Op::ConnectionTest { ref actor } if restart => {
            let actor = actor.clone();
            let note = Some(format!("{}: started again", lease.op.label()));
            s.audit(&system, AuditAction::LeaseExpired, Outcome::Succeeded, note);
            let attempt = s.lease(Op::ConnectionTest { actor });
            if let Some(l) = s.m.lease.as_mut() {
                l.restarts = lease.restarts + 1;
            }
            if setup::restart_test(s, attempt).is_err() {
                s.m.lease = None;
            }
        }
        Op::ConnectionTest { .. } | Op::ProveConsent { .. } => {
            s.m.lease = None;
            if let Some(setup) = s.m.setup.as_mut() {
                setup::test_failed(setup, &error);
                if matches!(lease.op, Op::ProveConsent { .. }) {
                    setup.stage = Stage::Draft;
                }
            }
            s.audit(
                &system,
                AuditAction::LeaseExpired,
                Outcome::Failed,
                Some(error.code().into()),
            );
        }
        Op::FinalInventory | Op::Wrap | Op::VerifyWrap => {
            over(s, &error);
            finalize::failed(s, error);
        }
        Op::RewrapRead { .. } | Op::RewrapWrap | Op::RewrapVerify => {
            over(s, &error);
            rotate::failed(s, error);
        }
        Op::Export { .. } => {
            // Whether the key left before the restart is unknown: the window
            // stays closed (a re-verification opens it again).
            s.m.lease = None;
            let note = Some(format!("{}: export window stays closed", error.code()));
            s.audit(&system, AuditAction::LeaseExpired, Outcome::Failed, note);
        }
        // Nothing was changed yet: the step is simply over.
        Op::ListTenants { .. } | Op::ExportRound { .. } | Op::MoveToAws { .. } => over(s, &error),
    }
}

/// The lease is gone and its expiry recorded.
fn over(s: &mut Step<'_>, error: &CatalogError) {
    s.m.lease = None;
    let code = Some(error.code().to_owned());
    s.audit(
        &Actor::system(),
        AuditAction::LeaseExpired,
        Outcome::Failed,
        code,
    );
}
