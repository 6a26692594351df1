//! The Cron sweep woke the company (issue 14 item 1): the object reports
//! what its alarm really is, and the model re-arms an alarm that was lost
//! (or is later than what is due). Whatever was overdue was already
//! resolved before this runs (the sweep is handled like a command).

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::notify::rfc3339;

/// How much later than the due time an alarm may be set before the sweep
/// counts it as lost (milliseconds).
pub(crate) const LATE_ALARM_MS: u64 = 1_000;

/// `due` was the model's deadline before this update; `alarm_at_ms` the
/// object's alarm. Returns whether the alarm must be armed again.
pub(super) fn found(s: &mut Step<'_>, due: Option<u64>, alarm_at_ms: Option<u64>) -> bool {
    let Some(due) = due else {
        return false;
    };
    let lost = alarm_at_ms.is_none_or(|a| a > due.saturating_add(LATE_ALARM_MS));
    if lost {
        let note = match alarm_at_ms {
            None => format!("alarm missing; work due at {} resumed", rfc3339(due)),
            Some(a) => format!(
                "alarm set for {} but work was due at {}; resumed",
                rfc3339(a),
                rfc3339(due)
            ),
        };
        s.audit(
            &Actor::system(),
            AuditAction::AlarmRestored,
            Outcome::Succeeded,
            Some(note),
        );
    }
    lost
}

#[cfg(test)]
mod tests {
    use crate::audit::AuditAction;
    use crate::notify::{Kind, NotifyPolicy, Subject};
    use crate::switch::{Company, Ctx, Effect, Event, Policy, WrappedKey, update};

    fn company_with_a_retry_due_at(due: u64) -> Company {
        let mut c = Company::new(
            "acme".parse().expect("id"),
            crate::Provider::Platform,
            WrappedKey {
                blob: "b".into(),
                created_at_ms: 0,
                azure_tenant: None,
            },
        );
        let policy = NotifyPolicy {
            enabled: true,
            in_flight_ms: due,
            ..NotifyPolicy::default()
        };
        c.outbox.enqueue(
            &Subject::Company("acme".into()),
            Kind::KeyRotated,
            serde_json::json!({}),
            0,
            "n",
            &policy,
        );
        c
    }

    fn ctx(now_ms: u64) -> Ctx {
        let mut policy = Policy::default();
        policy.notify.enabled = true;
        Ctx {
            now_ms,
            nonce: "n".into(),
            policy,
        }
    }

    fn restored(effects: &[Effect]) -> bool {
        effects
            .iter()
            .any(|e| matches!(e, Effect::Audit(a) if a.action == AuditAction::AlarmRestored))
    }

    #[test]
    fn a_lost_alarm_is_rearmed_and_the_overdue_work_done() {
        let c = company_with_a_retry_due_at(5_000);
        let (next, effects) =
            update(&c, Event::Sweep { alarm_at_ms: None }, &ctx(20_000)).expect("applies");
        assert!(restored(&effects), "{effects:?}");
        // The overdue send went again, and the alarm is armed for its answer.
        assert!(effects.iter().any(|e| matches!(e, Effect::Webhook(_))));
        let at = next.next_deadline_ms().expect("owed");
        assert!(
            effects.contains(&Effect::ArmAlarm { at_ms: at }),
            "{effects:?}"
        );
    }

    #[test]
    fn an_alarm_on_time_is_left_alone() {
        let c = company_with_a_retry_due_at(30_000);
        let (next, effects) = update(
            &c,
            Event::Sweep {
                alarm_at_ms: Some(30_000),
            },
            &ctx(20_000),
        )
        .expect("applies");
        assert!(!restored(&effects));
        assert!(effects.is_empty(), "{effects:?}");
        assert_eq!(next, c);
    }

    #[test]
    fn a_missing_alarm_with_work_ahead_is_rearmed() {
        let c = company_with_a_retry_due_at(30_000);
        let (_, effects) =
            update(&c, Event::Sweep { alarm_at_ms: None }, &ctx(20_000)).expect("applies");
        assert!(restored(&effects));
        assert!(effects.contains(&Effect::ArmAlarm { at_ms: 30_000 }));
    }

    #[test]
    fn an_alarm_up_to_a_second_late_is_on_time_and_later_is_lost() {
        // LATE_ALARM_MS of slack (the alarm API's own rounding); one
        // millisecond past it, or far past it, the alarm is re-armed for
        // when the work is due.
        let due = 30_000;
        for (alarm, lost) in [
            (due + super::LATE_ALARM_MS, false),
            (due + super::LATE_ALARM_MS + 1, true),
            (due + 60_000, true),
        ] {
            let c = company_with_a_retry_due_at(due);
            let (_, effects) = update(
                &c,
                Event::Sweep {
                    alarm_at_ms: Some(alarm),
                },
                &ctx(20_000),
            )
            .expect("applies");
            assert_eq!(restored(&effects), lost, "alarm at {alarm}: {effects:?}");
            assert_eq!(
                effects.contains(&Effect::ArmAlarm { at_ms: due }),
                lost,
                "alarm at {alarm}: {effects:?}"
            );
        }
    }

    #[test]
    fn nothing_due_means_nothing_to_restore() {
        let mut c = company_with_a_retry_due_at(1);
        c.outbox = crate::notify::Outbox::default();
        let (_, effects) =
            update(&c, Event::Sweep { alarm_at_ms: None }, &ctx(20_000)).expect("applies");
        assert!(effects.is_empty(), "{effects:?}");
    }
}
