//! The company's webhooks to the host (issue 14 item 6): every stream that
//! has something to tell the host calls [`Step::notify`]; the outbox
//! ([`crate::notify::Outbox`]) owes it until the host answered 2xx, the
//! alarm sends it again after a back-off, and every answer is a line of the
//! delivery log in the audit trail ([`AuditAction::WebhookDelivery`]).

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::notify::{Failure, Kind, Subject};
use crate::switch::effect::Effect;

impl Step<'_> {
    /// Queues the notification `kind` with `data` (the body's `data`
    /// object) for the host, and sends it in this update's effects. Does
    /// nothing when no webhook URL is configured.
    pub(crate) fn notify(&mut self, kind: Kind, data: serde_json::Value) {
        let subject = Subject::Company(self.m.company_id.as_str().to_owned());
        let sent = self.m.outbox.enqueue(
            &subject,
            kind,
            data,
            self.ctx.now_ms,
            &self.ctx.nonce,
            &self.ctx.policy.notify,
        );
        if let Some(send) = sent {
            self.effects.push(Effect::Webhook(send));
        }
    }
}

/// The alarm (or any command): sends that are due go (again).
pub(super) fn resend_due(s: &mut Step<'_>) {
    let sends = s.m.outbox.due(s.ctx.now_ms, &s.ctx.policy.notify);
    s.effects.extend(sends.into_iter().map(Effect::Webhook));
}

/// The host answered the send `attempt`.
pub(super) fn answered(
    s: &mut Step<'_>,
    attempt: u32,
    result: Result<u16, Failure>,
) -> Result<(), CatalogError> {
    let log =
        s.m.outbox
            .answered(attempt, result, s.ctx.now_ms, &s.ctx.policy.notify)
            .map_err(|_| super::stale())?;
    let outcome = if log.delivered() {
        Outcome::Succeeded
    } else {
        Outcome::Failed
    };
    s.audit(
        &Actor::system(),
        AuditAction::WebhookDelivery,
        outcome,
        Some(log.note()),
    );
    Ok(())
}
