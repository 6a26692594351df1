//! Walk-throughs of the health monitor of the Azure key in force
//! (`switch/update/health.rs`): what a switch records as the new key's
//! first check, when a check asks for a fresh token and when it probes,
//! *Check now*'s rate limit, and a company stored before monitoring existed.

use keyswitch_shared::health::{Health, HealthState};
use keyswitch_shared::notify::Kind;
use keyswitch_shared::switch::{Company, Effect, Event, RegistryKey, WrappedKey};
use keyswitch_shared::{AuditAction as A, CatalogError, KeyId, Outcome as O};

use crate::common::*;
use crate::walk::{azure_of, commit, health_check_sees, key_seen, next_health_check};

/// The last GET of the key among `fx` (it supersedes any before it): its
/// attempt and whether it asks for a fresh token.
fn get_of_key(fx: &[Effect]) -> (u32, bool) {
    fx.iter()
        .rev()
        .find_map(|e| match e {
            Effect::CheckKey {
                attempt,
                fresh_token,
                ..
            } => Some((*attempt, *fresh_token)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a GET of the key: {fx:?}"))
}

fn probes(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::ProbeKey { .. }))
}

/// The health changes a step audited, by their notes.
fn health_notes(fx: &[Effect]) -> Vec<String> {
    health_audits(fx).into_iter().map(|(_, n)| n).collect()
}

/// The health changes a step audited: outcome and note.
fn health_audits(fx: &[Effect]) -> Vec<(O, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Audit(a) if a.action == A::HealthChanged => {
                Some((a.outcome, a.detail.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

/// How many `key.health_changed` webhooks the outbox owes the host.
fn health_webhooks(r: &Run) -> usize {
    r.m.outbox()
        .pending
        .iter()
        .filter(|d| d.kind == Kind::KeyHealthChanged)
        .count()
}

/// A switch to vault 1 through its wrap check, which commits it (key
/// version 2); returns the kid and the commit's effects.
fn switch(r: &mut Run) -> (KeyId, Vec<Effect>) {
    let (k, fx) = commit(r, &[m365(VAULT_TENANT)]);
    assert_eq!(r.m.provider(), &azure_of(&k));
    (k, fx)
}

/// The scheduled check runs; its GET answers `result`. Returns the
/// effects of the answer.
fn scheduled_check(
    r: &mut Run,
    result: Result<keyswitch_shared::health::KeySeen, CatalogError>,
) -> Vec<Effect> {
    r.now = next_health_check(r);
    let fx = r.ok_now(Event::Tick);
    let (attempt, _) = get_of_key(&fx);
    r.ok(Event::KeyChecked { attempt, result })
}

#[test]
fn the_switch_is_the_new_keys_first_health_check() {
    let mut r = Run::new(new_company());
    r.policy.notify.enabled = true;
    let (k2, fx) = switch(&mut r);
    // The switch's verification (GET, wrap, unwrap-and-compare) is the first
    // check: healthy since the commit, probed then, next after the interval.
    let at = r.now;
    assert_eq!(
        r.m.monitor().health,
        Health {
            state: HealthState::Healthy,
            since_ms: Some(at),
            last_check_at_ms: Some(at),
            next_check_at_ms: Some(at + r.policy.health.interval_ms),
            last_probe_at_ms: Some(at),
            ..Health::default()
        }
    );
    assert_eq!(
        r.m.monitor().key,
        RegistryKey::of_provider(&azure_of(&k2)),
        "the monitor watches the new key"
    );
    // From `unknown`: audited; the host learns of the switch itself from
    // `kms.switch_completed`, not from a health change.
    assert_eq!(
        health_notes(&fx),
        ["unknown → healthy (verified by the switch)"]
    );
    assert_eq!(health_webhooks(&r), 0, "{:?}", r.m.outbox());
}

#[test]
fn a_switch_back_to_a_degraded_key_tells_the_host_it_is_healthy_again() {
    let mut r = Run::new(new_company());
    r.policy.notify.enabled = true;
    let (k2, _) = switch(&mut r);
    // The key in force is throttled: degraded, and the host is told.
    let fx = scheduled_check(&mut r, Err(CatalogError::Throttled));
    assert_eq!(r.m.monitor().health.state, HealthState::Degraded, "{fx:?}");
    assert_eq!(
        health_audits(&fx),
        [(O::Failed, "healthy → degraded: throttled".to_owned())]
    );
    assert_eq!(health_webhooks(&r), 1);
    // A new setup switches to the same key: its verification proves the key
    // healthy again, which the host had been told was degraded.
    let (k, fx) = switch(&mut r);
    assert_eq!(k, k2);
    assert_eq!(r.m.monitor().health.state, HealthState::Healthy);
    assert_eq!(
        health_notes(&fx),
        ["degraded → healthy (verified by the switch)"]
    );
    assert_eq!(health_webhooks(&r), 2, "{:?}", r.m.outbox());
    let told =
        r.m.outbox()
            .pending
            .iter()
            .rfind(|d| d.kind == Kind::KeyHealthChanged)
            .unwrap()
            .body
            .clone();
    assert!(
        told.contains("\"from\":\"degraded\"") && told.contains("\"to\":\"healthy\""),
        "{told}"
    );
}

#[test]
fn a_check_asks_for_a_fresh_token_only_after_a_check_that_did_not_end_healthy() {
    let mut r = Run::new(new_company());
    let (k2, _) = switch(&mut r);
    // Healthy: the cached token serves.
    r.now = next_health_check(&r);
    let fx = r.ok_now(Event::Tick);
    let (attempt, fresh) = get_of_key(&fx);
    assert!(!fresh, "{fx:?}");
    r.ok(Event::KeyChecked {
        attempt,
        result: Err(CatalogError::Throttled),
    });
    assert_eq!(r.m.monitor().health.state, HealthState::Degraded);
    // Degraded: a consent given back shows at once.
    r.now = next_health_check(&r);
    let fx = r.ok_now(Event::Tick);
    let (attempt, fresh) = get_of_key(&fx);
    assert!(fresh, "{fx:?}");
    r.ok(Event::KeyChecked {
        attempt,
        result: Ok(key_seen(k2)),
    });
}

#[test]
fn a_healthy_get_probes_only_when_the_key_changed_or_the_last_check_failed() {
    let mut r = Run::new(new_company());
    let (k2, _) = switch(&mut r);
    // The first GET after the switch has nothing to compare with: probed.
    let fx = health_check_sees(&mut r, &k2);
    assert!(probes(&fx), "{fx:?}");
    assert_eq!(r.m.monitor().health.seen, Some(key_seen(k2.clone())));
    // The same key again, probed a moment ago, healthy: no probe.
    let fx = health_check_sees(&mut r, &k2);
    assert!(!probes(&fx), "{fx:?}");
    assert_eq!(r.m.monitor().health.state, HealthState::Healthy);
    assert!(r.m.monitor().in_flight.is_none());
    // A disabled key is not probed either (access is lost).
    let mut disabled = key_seen(k2.clone());
    disabled.enabled = false;
    let fx = scheduled_check(&mut r, Ok(disabled));
    assert!(!probes(&fx), "{fx:?}");
    assert_eq!(r.m.monitor().health.state, HealthState::AccessLost);
    // Enabled again, unchanged otherwise: the last check did not end
    // healthy, so the key is probed before it is called healthy.
    let fx = scheduled_check(&mut r, Ok(key_seen(k2.clone())));
    assert!(probes(&fx), "{fx:?}");
    assert_eq!(r.m.monitor().health.state, HealthState::AccessLost);
    let attempt = r.m.monitor().in_flight.as_ref().unwrap().attempt;
    let fx = r.ok(Event::KeyProbed {
        attempt,
        result: Ok(()),
    });
    assert_eq!(r.m.monitor().health.state, HealthState::Healthy);
    assert_eq!(
        health_audits(&fx),
        [(
            O::Succeeded,
            "access_lost (key_disabled) → healthy".to_owned()
        )]
    );
    // The same after a transient failure.
    let (attempt, _) = get_of_key(&r.ok(Event::CheckNow { actor: admin() }));
    let fx = r.ok(Event::KeyChecked {
        attempt,
        result: Err(CatalogError::Throttled),
    });
    assert!(!probes(&fx));
    assert_eq!(r.m.monitor().health.state, HealthState::Degraded);
    let fx = scheduled_check(&mut r, Ok(key_seen(k2)));
    assert!(probes(&fx), "{fx:?}");
}

#[test]
fn check_now_runs_at_most_once_per_the_connection_tests_interval() {
    let mut r = Run::new(new_company());
    switch(&mut r);
    r.policy.test_interval_ms = 60_000;
    r.ok(Event::CheckNow { actor: admin() });
    let first = r.now;
    // A second later: 59 s to wait.
    assert_eq!(
        r.refused(Event::CheckNow { actor: admin() }),
        CatalogError::RateLimited {
            retry_after_secs: 59,
            interval_secs: 60
        }
    );
    // Half a second before the end: one second (rounded up).
    r.now = first + 59_500 - 1_000;
    assert_eq!(
        r.refused(Event::CheckNow { actor: admin() }),
        CatalogError::RateLimited {
            retry_after_secs: 1,
            interval_secs: 60
        }
    );
    // At the end of the interval: a new check.
    r.now = first + 60_000;
    let fx = r.ok_now(Event::CheckNow { actor: admin() });
    let (_, fresh) = get_of_key(&fx);
    assert!(fresh, "an admin's check asks for a fresh token: {fx:?}");
    assert_eq!(r.m.monitor().last_check_now_ms, Some(first + 60_000));
}

#[test]
fn a_company_stored_before_monitoring_existed_is_checked_at_once() {
    let k = kid(&target(1), 2);
    let m = Company::new(
        company_id(),
        azure_of(&k),
        WrappedKey {
            blob: "azure-blob".into(),
            created_at_ms: T0 - 1,
            azure_tenant: Some(tenant_id(VAULT_TENANT)),
        },
    );
    assert_eq!(m.monitor().key, None);
    let mut r = Run::new(m);
    let fx = r.ok(Event::Tick);
    assert_eq!(
        calls_of(&fx),
        [Effect::CheckKey {
            attempt: 1,
            key: k.versionless(),
            tenant: tenant_id(VAULT_TENANT),
            fresh_token: true,
        }]
    );
    assert_eq!(r.m.monitor().key, RegistryKey::of_provider(&azure_of(&k)));
    assert_eq!(r.m.monitor().health.state, HealthState::Unknown);
    // The next event does not start it again.
    let fx = r.ok(Event::Tick);
    assert!(calls_of(&fx).is_empty(), "{fx:?}");
    assert_eq!(r.m.monitor().attempts, 1);
}

fn calls_of(fx: &[Effect]) -> Vec<Effect> {
    crate::walk::calls(fx)
}

/// Answers the probe among `fx`, if any: it passes.
fn probe_passes(r: &mut Run, fx: &[Effect]) {
    if let Some(Effect::ProbeKey { attempt, .. }) =
        fx.iter().find(|e| probes(std::slice::from_ref(e)))
    {
        r.ok(Event::KeyProbed {
            attempt: *attempt,
            result: Ok(()),
        });
    }
}

/// The expiry warnings a step audited, by their notes.
fn expiry_notes(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Audit(a) if a.action == A::KeyExpiryWarning => {
                assert_eq!(a.outcome, O::Succeeded);
                Some(a.detail.clone().unwrap_or_default())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_key_expiring_soon_is_warned_about_once_per_expiry_date() {
    let mut r = Run::new(new_company());
    r.policy.notify.enabled = true;
    let (k2, _) = switch(&mut r);
    // Expiring `days` days and an hour after the next check.
    let expiring = |r: &Run, days: u64| {
        let mut seen = key_seen(k2.clone());
        let at = next_health_check(r) / 1000;
        seen.exp = Some(i64::try_from(at + days * 86_400 + 3_600).unwrap());
        seen
    };
    let warnings = |r: &Run| {
        r.m.outbox()
            .pending
            .iter()
            .filter(|d| d.kind == Kind::KeyExpiryWarning)
            .count()
    };
    // Far off: nothing to say.
    let seen = expiring(&r, 60);
    let fx = scheduled_check(&mut r, Ok(seen));
    assert!(expiry_notes(&fx).is_empty(), "{fx:?}");
    probe_passes(&mut r, &fx);
    // Within 30 days: audited with the commands that extend it, and the
    // host is told.
    let seen = expiring(&r, 10);
    let exp = seen.exp.unwrap();
    let fx = scheduled_check(&mut r, Ok(seen.clone()));
    probe_passes(&mut r, &fx);
    let notes = expiry_notes(&fx);
    assert_eq!(notes.len(), 1, "{fx:?}");
    assert!(
        notes[0].starts_with("expires ")
            && notes[0].contains("(10 day(s) left); extend: az keyvault key set-attributes"),
        "{notes:?}"
    );
    assert_eq!(r.m.monitor().health.expiry_warned_for, Some(exp));
    assert_eq!(warnings(&r), 1);
    // The same date again: no second warning.
    let fx = scheduled_check(&mut r, Ok(seen));
    probe_passes(&mut r, &fx);
    assert!(expiry_notes(&fx).is_empty(), "{fx:?}");
    assert_eq!(warnings(&r), 1);
    // Extended, but still within the window: a warning for the new date.
    let seen = expiring(&r, 20);
    let fx = scheduled_check(&mut r, Ok(seen));
    assert_eq!(expiry_notes(&fx).len(), 1, "{fx:?}");
    assert_eq!(warnings(&r), 2);
}

#[test]
fn the_screen_shows_the_health_of_the_azure_key_in_force_only() {
    use keyswitch_shared::health::Cause;
    let mut r = Run::new(new_company());
    r.policy.health.interval_ms = 45_000;
    let secs = |r: &Run| i64::try_from(r.now / 1000).unwrap();
    // The platform key is not monitored.
    assert_eq!(r.m.health_view(secs(&r), &r.policy), None);

    let (k2, _) = switch(&mut r);
    health_check_sees(&mut r, &k2);
    let v = r.m.health_view(secs(&r), &r.policy).unwrap();
    assert_eq!((v.state, v.cause), (HealthState::Healthy, None));
    assert_eq!(v.check_interval_secs, 45, "the interval in seconds");
    assert_eq!(v.current_kid, Some(k2.clone()));
    assert!(!v.checking);
    assert_eq!(v.next_check_at_ms, r.m.monitor().health.next_check_at_ms);

    // Access lost: with its cause and the error that explains it.
    let mut disabled = key_seen(k2.clone());
    disabled.enabled = false;
    scheduled_check(&mut r, Ok(disabled));
    let v = r.m.health_view(secs(&r), &r.policy).unwrap();
    assert_eq!(v.state, HealthState::AccessLost);
    assert_eq!(v.cause, Some(Cause::KeyDisabled));
    assert_eq!(v.error.map(|e| e.code), Some("key_disabled".to_owned()));

    // Enabled again: the probe that decides is in flight; the screen says
    // a check runs, and when it must have ended.
    scheduled_check(&mut r, Ok(key_seen(k2)));
    let v = r.m.health_view(secs(&r), &r.policy).unwrap();
    let in_flight = r.m.monitor().in_flight.clone().unwrap();
    assert!(v.checking);
    assert_eq!(v.next_check_at_ms, Some(in_flight.until_ms));
    assert_eq!(
        v.cause,
        Some(Cause::KeyDisabled),
        "still lost until the probe passes"
    );
}
