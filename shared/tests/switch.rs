//! The switch state machine: walk-throughs and property tests over random
//! event sequences.
#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use std::collections::BTreeSet;

use keyswitch_shared::switch::{
    CONSENT_TTL_SECS, Effect, Event, ExportWindow, Stage, SwitchState, Target, TenantRef,
    TenantStatus, apply,
};
use keyswitch_shared::{CatalogError, KeyId, Provider};
use proptest::prelude::*;

const VAULT_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER_TENANT: &str = "11111111-2222-3333-4444-555555555555";
const VERSION: &str = "0123456789abcdef0123456789abcdef";

fn target(n: usize) -> Target {
    Target {
        vault_uri: format!("https://vault{n}.vault.azure.net").parse().unwrap(),
        key_name: "cmk".parse().unwrap(),
    }
}

fn kid(t: &Target) -> KeyId {
    format!("{}/keys/{}/{VERSION}", t.vault_uri, t.key_name)
        .parse()
        .unwrap()
}

fn tenants() -> Vec<TenantRef> {
    vec![
        TenantRef::Microsoft365 {
            tenant_id: VAULT_TENANT.parse().unwrap(),
        },
        TenantRef::Microsoft365 {
            tenant_id: OTHER_TENANT.parse().unwrap(),
        },
        TenantRef::Microsoft365 {
            tenant_id: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".parse().unwrap(),
        },
        TenantRef::GoogleWorkspace {
            customer_id: "C01abcd23".parse().unwrap(),
        },
        TenantRef::GoogleWorkspace {
            customer_id: "C99zz".parse().unwrap(),
        },
    ]
}

fn step(state: &SwitchState, event: Event, now: i64) -> (SwitchState, Vec<Effect>) {
    let name = event.name();
    apply(state, event, now)
        .unwrap_or_else(|e| panic!("{name} refused in {:?}: {e}", state.stage()))
}

/// Runs a whole switch to the commit effect; returns the state in Finalizing.
fn to_commit(inventory: &[TenantRef]) -> SwitchState {
    let t = target(1);
    let mut now = 1_000;
    let s = SwitchState::new(Provider::Platform);
    let (s, _) = step(&s, Event::Start { target: t.clone() }, now);
    let (s, fx) = step(
        &s,
        Event::TestConnection {
            vault_tenant: Some(VAULT_TENANT.parse().unwrap()),
        },
        now,
    );
    assert!(matches!(
        &fx[0],
        Effect::RedirectToConsent { tenant: Some(_) }
    ));
    let (s, fx) = step(
        &s,
        Event::ConsentGranted {
            tenant: VAULT_TENANT.parse().unwrap(),
        },
        now,
    );
    assert_eq!(
        fx[0],
        Effect::ShowRoleAssignment {
            vault_name: "vault1".into()
        }
    );
    let (s, fx) = step(&s, Event::RoleAssignmentCompleted, now);
    assert_eq!(fx[0], Effect::RunConnectionTest { target: t.clone() });
    let (s, _) = step(&s, Event::ConnectionTestPassed { kid: kid(&t) }, now);
    assert_eq!(s.stage(), Stage::Tested);
    let (s, fx) = step(&s, Event::Save, now);
    assert_eq!(fx[0], Effect::ReadInventory);
    let (mut s, _) = step(
        &s,
        Event::InventoryLoaded {
            tenants: inventory.to_vec(),
        },
        now,
    );
    for tenant in inventory {
        now += 1;
        s = step(
            &s,
            Event::TenantVerified {
                tenant: tenant.clone(),
            },
            now,
        )
        .0;
    }
    assert_eq!(s.stage(), Stage::Finalizing);
    let (s, fx) = step(
        &s,
        Event::InventoryLoaded {
            tenants: inventory.to_vec(),
        },
        now,
    );
    assert_eq!(
        fx[0],
        Effect::Commit {
            target: t.clone(),
            kid: kid(&t)
        }
    );
    s
}

#[test]
fn happy_path_switches_provider_and_opens_export_once() {
    let s = to_commit(&tenants()[..3]);
    assert_eq!(s.provider(), &Provider::Platform);
    let (s, fx) = step(
        &s,
        Event::CommitSucceeded {
            kid: kid(&target(1)),
        },
        2_000,
    );
    assert_eq!(s.stage(), Stage::Done);
    assert!(matches!(s.provider(), Provider::AzureKeyVault { kid, .. } if kid.ends_with(VERSION)));
    assert_eq!(s.export_window(), ExportWindow::Open { opened_at: 2_000 });
    assert!(matches!(
        fx.last(),
        Some(Effect::Audit {
            event: "commit_succeeded",
            from: Stage::Finalizing,
            to: Stage::Done
        })
    ));
    let (s, fx) = step(&s, Event::Export, 2_001);
    assert_eq!(fx[0], Effect::ExportCompanyKey);
    assert_eq!(
        apply(&s, Event::Export, 2_002).unwrap_err(),
        CatalogError::ExportNotAvailable
    );
}

#[test]
fn a_new_tenant_at_the_final_read_blocks_completion() {
    let known = &tenants()[..2];
    let s = to_commit(known);
    let (s, _) = step(
        &s,
        Event::CommitFailed {
            error: CatalogError::AzureUnavailable,
        },
        3_000,
    );
    assert_eq!(s.provider(), &Provider::Platform);
    assert_eq!(
        s.setup().unwrap().last_error().unwrap().code,
        "azure_unavailable"
    );
    let (s, fx) = step(&s, Event::RetryCommit, 3_001);
    assert_eq!(fx[0], Effect::ReadInventory);
    let mut grown = known.to_vec();
    grown.push(tenants()[3].clone());
    let (s, fx) = step(&s, Event::InventoryLoaded { tenants: grown }, 3_002);
    assert_eq!(s.stage(), Stage::VerifyingTenants);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Commit { .. })));
    assert_eq!(
        apply(&s, Event::RetryCommit, 3_003).unwrap_err(),
        CatalogError::TenantsUnverified { unverified: 1 }
    );
    let (s, _) = step(
        &s,
        Event::TenantVerificationFailed {
            tenant: tenants()[3].clone(),
            error: CatalogError::GoogleDelegatedAdmin,
        },
        3_004,
    );
    let failed = s
        .setup()
        .unwrap()
        .tenants()
        .iter()
        .find(|t| t.tenant == tenants()[3])
        .unwrap();
    assert!(
        matches!(&failed.status, TenantStatus::Failed { reason } if reason.code == "google_delegated_admin")
    );
    let (s, fx) = step(
        &s,
        Event::TenantVerified {
            tenant: tenants()[3].clone(),
        },
        3_005,
    );
    assert_eq!(
        (s.stage(), &fx[0]),
        (Stage::Finalizing, &Effect::ReadInventory)
    );
}

#[test]
fn consent_is_cached_for_24_hours() {
    let t = target(1);
    let s = SwitchState::new(Provider::Platform);
    let (s, _) = step(&s, Event::Start { target: t.clone() }, 0);
    let (s, _) = step(&s, Event::TestConnection { vault_tenant: None }, 0);
    let (s, _) = step(
        &s,
        Event::ConsentGranted {
            tenant: VAULT_TENANT.parse().unwrap(),
        },
        10,
    );
    let (s, _) = step(&s, Event::RoleAssignmentCompleted, 20);
    let (s, _) = step(&s, Event::ConnectionTestPassed { kid: kid(&t) }, 30);
    // Re-test within 24 h: no consent redirect.
    let (s2, fx) = step(
        &s,
        Event::TestConnection { vault_tenant: None },
        10 + CONSENT_TTL_SECS - 1,
    );
    assert_eq!(
        (s2.stage(), &fx[0]),
        (
            Stage::TestingConnection,
            &Effect::RunConnectionTest { target: t.clone() }
        )
    );
    // After 24 h: consent again.
    let (s3, fx) = step(
        &s,
        Event::TestConnection { vault_tenant: None },
        10 + CONSENT_TTL_SECS,
    );
    assert_eq!(s3.stage(), Stage::AwaitingConsent);
    assert!(matches!(fx[0], Effect::RedirectToConsent { .. }));
}

#[test]
fn consent_for_another_tenant_is_refused_and_changes_nothing() {
    let s = SwitchState::new(Provider::Platform);
    let (s, _) = step(&s, Event::Start { target: target(1) }, 0);
    let (s, _) = step(
        &s,
        Event::TestConnection {
            vault_tenant: Some(VAULT_TENANT.parse().unwrap()),
        },
        0,
    );
    let before = s.clone();
    let e = apply(
        &s,
        Event::ConsentGranted {
            tenant: OTHER_TENANT.parse().unwrap(),
        },
        1,
    )
    .unwrap_err();
    assert_eq!(e.code(), "tenant_mismatch");
    assert_eq!(s, before);
}

#[test]
fn forbidden_test_goes_back_to_role_assignment() {
    let t = target(1);
    let s = SwitchState::new(Provider::Platform);
    let (s, _) = step(&s, Event::Start { target: t }, 0);
    let (s, _) = step(&s, Event::TestConnection { vault_tenant: None }, 0);
    let (s, _) = step(
        &s,
        Event::ConsentGranted {
            tenant: VAULT_TENANT.parse().unwrap(),
        },
        0,
    );
    let (s, _) = step(&s, Event::RoleAssignmentCompleted, 0);
    let (s, fx) = step(
        &s,
        Event::ConnectionTestFailed {
            error: CatalogError::KeyVaultForbidden,
        },
        0,
    );
    assert_eq!(s.stage(), Stage::AwaitingRoleAssignment);
    assert!(matches!(fx[0], Effect::ShowRoleAssignment { .. }));
    assert_eq!(
        s.setup().unwrap().last_error().unwrap().code,
        "key_vault_forbidden"
    );
}

#[test]
fn events_out_of_place_are_refused() {
    let s = SwitchState::new(Provider::Platform);
    let e = apply(&s, Event::Save, 0).unwrap_err();
    assert_eq!(
        e,
        CatalogError::InvalidTransition {
            state: "idle".into(),
            event: "save".into()
        }
    );
    assert_eq!(e.status(), 409);
    assert_eq!(
        apply(&s, Event::Cancel, 0).unwrap_err().code(),
        "invalid_state_transition"
    );
    let s = to_commit(&tenants()[..1]);
    // Commit in flight: no cancel.
    assert_eq!(
        apply(&s, Event::Cancel, 0).unwrap_err().code(),
        "invalid_state_transition"
    );
}

#[test]
fn state_round_trips_through_json() {
    let s = to_commit(&tenants());
    let json = serde_json::to_string(&s).unwrap();
    let back: SwitchState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
}

// ---------- properties ----------

#[test]
fn random_runs_do_reach_completion() {
    // Guards against vacuous properties: the random walk must complete switches.
    invariants_hold_over_random_sequences();
    assert!(COMPLETIONS.load(std::sync::atomic::Ordering::Relaxed) > 0);
}

fn arb_error() -> impl Strategy<Value = CatalogError> {
    prop_oneof![
        Just(CatalogError::KeyVaultForbidden),
        Just(CatalogError::AdminConsentRequired),
        Just(CatalogError::AzureUnavailable),
        Just(CatalogError::TenantVerifiedWithoutRole),
        Just(CatalogError::GoogleDelegatedAdmin),
    ]
}

fn arb_tenant() -> impl Strategy<Value = TenantRef> {
    (0..tenants().len()).prop_map(|i| tenants()[i].clone())
}

fn arb_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0..2usize).prop_map(|i| Event::Start { target: target(i) }),
        (0..2usize).prop_map(|i| Event::EditTarget { target: target(i) }),
        prop::option::of(prop_oneof![Just(VAULT_TENANT), Just(OTHER_TENANT)]).prop_map(|t| {
            Event::TestConnection {
                vault_tenant: t.map(|t| t.parse().unwrap()),
            }
        }),
        prop_oneof![Just(VAULT_TENANT), Just(OTHER_TENANT)].prop_map(|t| Event::ConsentGranted {
            tenant: t.parse().unwrap()
        }),
        arb_error().prop_map(|error| Event::ConsentFailed { error }),
        Just(Event::RoleAssignmentCompleted),
        (0..2usize).prop_map(|i| Event::ConnectionTestPassed {
            kid: kid(&target(i))
        }),
        arb_error().prop_map(|error| Event::ConnectionTestFailed { error }),
        Just(Event::Save),
        Just(Event::Refresh),
        prop::collection::vec(arb_tenant(), 0..5)
            .prop_map(|tenants| Event::InventoryLoaded { tenants }),
        arb_tenant().prop_map(|tenant| Event::TenantVerified { tenant }),
        (arb_tenant(), arb_error())
            .prop_map(|(tenant, error)| Event::TenantVerificationFailed { tenant, error }),
        (0..2usize).prop_map(|i| Event::CommitSucceeded {
            kid: kid(&target(i))
        }),
        arb_error().prop_map(|error| Event::CommitFailed { error }),
        Just(Event::RetryCommit),
        Just(Event::Cancel),
        Just(Event::Export),
    ]
}

/// The event that moves `state` forward, so random runs also reach the
/// commit, completion and export instead of only bouncing off refusals.
fn natural(state: &SwitchState) -> Event {
    let Some(setup) = state.setup() else {
        return Event::Start { target: target(0) };
    };
    let current: Vec<TenantRef> = setup.tenants().iter().map(|t| t.tenant.clone()).collect();
    match state.stage() {
        Stage::Draft => Event::TestConnection {
            vault_tenant: Some(VAULT_TENANT.parse().unwrap()),
        },
        Stage::AwaitingConsent => Event::ConsentGranted {
            tenant: VAULT_TENANT.parse().unwrap(),
        },
        Stage::AwaitingRoleAssignment => Event::RoleAssignmentCompleted,
        Stage::TestingConnection => Event::ConnectionTestPassed {
            kid: kid(setup.target()),
        },
        Stage::Tested => Event::Save,
        Stage::VerifyingTenants => match setup.tenants().iter().find(|t| !t.is_verified()) {
            Some(t) => Event::TenantVerified {
                tenant: t.tenant.clone(),
            },
            None => Event::InventoryLoaded { tenants: current },
        },
        Stage::Finalizing if setup.commit_issued() => Event::CommitSucceeded {
            kid: kid(setup.target()),
        },
        Stage::Finalizing => Event::InventoryLoaded { tenants: current },
        Stage::Idle | Stage::Done | Stage::Cancelled => Event::Export,
    }
}

static COMPLETIONS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_sequences(
        events in prop::collection::vec((prop::option::weighted(0.4, arb_event()), 0..20_000i64), 1..120),
        start_on_aws in any::<bool>(),
    ) {
        let initial = if start_on_aws {
            Provider::AwsKms { key_id: "arn:aws:kms:eu-west-1:1:key/x".into() }
        } else {
            Provider::Platform
        };
        let mut state = SwitchState::new(initial);
        let mut now = 1_700_000_000i64;
        let mut latest_inventory: Option<BTreeSet<TenantRef>> = None;
        let mut completed = 0u32;
        let mut exports = 0u32;
        for (event, dt) in events {
            now += dt;
            let event = event.unwrap_or_else(|| natural(&state));
            let before = state.clone();
            let is = |name: &str| event.name() == name;
            let (was_inventory, loaded) = match &event {
                Event::InventoryLoaded { tenants } => (true, tenants.iter().cloned().collect::<BTreeSet<_>>()),
                _ => (false, BTreeSet::new()),
            };
            let (commit_succeeded, cancel, export) = (is("commit_succeeded"), is("cancel"), is("export"));
            match apply(&before, event, now) {
                Err(e) => {
                    // Refused: a 4xx/5xx catalog error, and the caller's state is untouched.
                    prop_assert!(e.status() >= 400);
                    prop_assert_eq!(&state, &before);
                }
                Ok((next, effects)) => {
                    if was_inventory {
                        latest_inventory = Some(loaded);
                    }
                    let commit = effects.iter().any(|e| matches!(e, Effect::Commit { .. }));
                    if commit {
                        // Finalize only when every tenant of the latest inventory is verified.
                        prop_assert!(was_inventory);
                        prop_assert_eq!(before.stage(), Stage::Finalizing);
                        let setup = next.setup().unwrap();
                        let current: BTreeSet<TenantRef> = setup.tenants().iter().map(|t| t.tenant.clone()).collect();
                        prop_assert_eq!(Some(&current), latest_inventory.as_ref());
                        prop_assert!(setup.tenants().iter().all(|t| t.is_verified()));
                    }
                    if next.provider() != before.provider() {
                        // Only a commit changes the provider, after a commit effect, with every tenant verified.
                        prop_assert!(commit_succeeded);
                        let setup = before.setup().unwrap();
                        prop_assert!(setup.commit_issued());
                        prop_assert!(setup.tenants().iter().all(|t| t.is_verified()));
                    }
                    if next.stage() == Stage::Done && before.stage() != Stage::Done {
                        prop_assert!(commit_succeeded);
                        completed += 1;
                        COMPLETIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if cancel {
                        prop_assert_eq!(next.provider(), before.provider());
                        prop_assert_eq!(next.stage(), Stage::Cancelled);
                        prop_assert!(before.stage().is_pending());
                    }
                    // The export window opens only on a completed switch, and closes after one export.
                    if matches!(next.export_window(), ExportWindow::Open { .. })
                        && !matches!(before.export_window(), ExportWindow::Open { .. }) {
                        prop_assert!(commit_succeeded);
                    }
                    if export {
                        exports += 1;
                        prop_assert_eq!(next.export_window(), ExportWindow::Closed);
                        prop_assert!(effects.contains(&Effect::ExportCompanyKey));
                        prop_assert!(apply(&next, Event::Export, now).is_err());
                    }
                    prop_assert!(exports <= completed);
                    prop_assert!(matches!(effects.last(), Some(Effect::Audit { .. })), "last effect must be the audit event");
                    // The stored form survives the Durable Object.
                    let json = serde_json::to_string(&next).unwrap();
                    prop_assert_eq!(&serde_json::from_str::<SwitchState>(&json).unwrap(), &next);
                    state = next;
                }
            }
        }
    }

    #[test]
    fn a_new_unverified_tenant_blocks_completion(extra in arb_tenant(), base in prop::collection::vec(arb_tenant(), 0..3)) {
        let base: Vec<TenantRef> = base.into_iter().filter(|t| *t != extra).collect::<BTreeSet<_>>().into_iter().collect();
        let s = to_commit(&base);
        let (s, _) = step(&s, Event::CommitFailed { error: CatalogError::Throttled }, 5_000);
        let (s, _) = step(&s, Event::RetryCommit, 5_001);
        let mut grown = base.clone();
        grown.push(extra.clone());
        let (s, fx) = step(&s, Event::InventoryLoaded { tenants: grown.clone() }, 5_002);
        prop_assert!(!fx.iter().any(|e| matches!(e, Effect::Commit { .. })), "no commit while a tenant is unverified");
        prop_assert_eq!(s.stage(), Stage::VerifyingTenants);
        // Nothing but verifying the new tenant gets back to a commit.
        for event in [Event::Refresh, Event::RetryCommit, Event::InventoryLoaded { tenants: grown.clone() }, Event::CommitSucceeded { kid: kid(&target(1)) }] {
            if let Ok((n, _)) = apply(&s, event, 5_003) {
                prop_assert_ne!(n.stage(), Stage::Done);
                prop_assert_ne!(n.stage(), Stage::Finalizing);
            }
        }
        let (s, _) = step(&s, Event::TenantVerified { tenant: extra }, 5_004);
        prop_assert_eq!(s.stage(), Stage::Finalizing);
    }
}
