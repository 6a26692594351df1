//! Issue 17 item 1: after a failed connection test the model says which
//! step and which field is at fault, which steps stay done, and which step
//! comes next; fixing the key name tests again without asking for the
//! consent that still holds.

use keyswitch_shared::CatalogError;
use keyswitch_shared::switch::{
    CONSENT_TTL_SECS, Effect, Event, Fault, SetupField, SetupStep, Stage, StepStatus, Target,
};

use crate::common::*;
use crate::walk::{calls, to_testing};

fn statuses(r: &Run) -> Vec<(SetupStep, StepStatus)> {
    r.view().steps.iter().map(|s| (s.step, s.status)).collect()
}

fn fail_test(r: &mut Run, error: CatalogError) {
    let attempt = r.attempt();
    r.ok(Event::ConnectionTested {
        attempt,
        result: Err(error),
    });
}

use SetupStep::{
    AdminConsent, ConnectionTest, Finalize, RoleAssignment, VaultAndKey, VerifyTenants,
};
use StepStatus::{Current, Done, Failed, Todo};

#[test]
fn key_not_found_is_at_the_key_name_and_a_corrected_name_tests_without_consent() {
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    fail_test(&mut r, CatalogError::KeyNotFound { key_name: None });

    let v = r.view();
    assert_eq!(v.stage, Stage::Draft);
    assert_eq!(v.last_error.as_ref().unwrap().code, "key_not_found");
    assert_eq!(
        v.fault,
        Some(Fault {
            step: VaultAndKey,
            field: Some(SetupField::KeyName),
            key_reached: true,
        })
    );
    assert_eq!(v.current_step, VaultAndKey);
    assert!(v.consent_holds);
    assert_eq!(
        statuses(&r),
        [
            (VaultAndKey, Failed),
            (AdminConsent, Done),
            (RoleAssignment, Done),
            (ConnectionTest, Todo),
            (VerifyTenants, Todo),
            (Finalize, Todo),
        ]
    );

    // The admin corrects the key name and tests: the test runs at once, no
    // consent sign-in is issued.
    let fixed = Target {
        key_name: "company-kek-2".parse().unwrap(),
        ..target(1)
    };
    let fx = r.ok(Event::Start {
        actor: admin(),
        target: fixed.clone(),
        consent: sign_in("consent"),
    });
    assert!(
        !fx.iter().any(|e| matches!(
            e,
            Effect::Reply(keyswitch_shared::switch::Reply::ConsentUrl(_))
        )),
        "{fx:?}"
    );
    assert!(matches!(
        calls(&fx).first(),
        Some(Effect::TestConnection { target, .. }) if *target == fixed
    ));
    let v = r.view();
    assert_eq!(v.stage, Stage::TestingConnection);
    assert_eq!(v.fault, None);
    assert_eq!(v.last_error, None);
    assert_eq!(v.current_step, RoleAssignment);
    let at = r.now;
    let attempt = r.attempt();
    r.ok(Event::ConnectionTested {
        attempt,
        result: Ok(tested(&fixed, 1, at)),
    });
    assert_eq!(r.m.stage(), Stage::Tested);
    assert_eq!(
        statuses(&r),
        [
            (VaultAndKey, Done),
            (AdminConsent, Done),
            (RoleAssignment, Done),
            (ConnectionTest, Current),
            (VerifyTenants, Todo),
            (Finalize, Todo),
        ]
    );
}

#[test]
fn a_firewall_is_at_the_vault_uri_and_a_missing_role_at_the_role_assignment() {
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    fail_test(&mut r, CatalogError::VaultFirewall);
    let v = r.view();
    assert_eq!(v.fault.unwrap().field, Some(SetupField::VaultUri));
    assert_eq!(v.current_step, VaultAndKey);
    assert_eq!(
        statuses(&r)[..3],
        [
            (VaultAndKey, Failed),
            (AdminConsent, Done),
            (RoleAssignment, Todo)
        ]
    );

    let mut r = Run::new(new_company());
    to_testing(&mut r);
    fail_test(&mut r, CatalogError::KeyVaultForbidden);
    let v = r.view();
    assert_eq!(v.stage, Stage::AwaitingRoleAssignment);
    assert_eq!(v.fault.unwrap().step, RoleAssignment);
    assert_eq!(v.fault.unwrap().field, None);
    assert_eq!(v.current_step, RoleAssignment);
    assert_eq!(
        statuses(&r)[..3],
        [
            (VaultAndKey, Done),
            (AdminConsent, Done),
            (RoleAssignment, Failed)
        ]
    );
}

#[test]
fn an_outage_after_consent_retries_the_test_and_asks_consent_only_once_it_expired() {
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    fail_test(&mut r, CatalogError::AzureUnavailable);
    let v = r.view();
    // The model sends the setup back to the draft; the consent still holds,
    // so the console offers the test, not the consent.
    assert_eq!(v.stage, Stage::Draft);
    assert!(v.consent_holds);
    assert_eq!(v.fault.unwrap().step, ConnectionTest);
    assert_eq!(v.current_step, RoleAssignment);
    assert_eq!(
        statuses(&r)[..3],
        [
            (VaultAndKey, Done),
            (AdminConsent, Done),
            (RoleAssignment, Current)
        ]
    );
    // Completed again: the test runs, without a consent sign-in.
    let fx = r.ok(Event::Test { actor: admin() });
    assert!(
        matches!(calls(&fx)[0], Effect::TestConnection { .. }),
        "{fx:?}"
    );
    fail_test(&mut r, CatalogError::AzureUnavailable);

    // A day later the consent no longer counts: now it is asked for.
    r.now += u64::try_from(CONSENT_TTL_SECS).unwrap() * 1000;
    let v = r.view();
    assert!(!v.consent_holds);
    assert_eq!(v.current_step, AdminConsent);
    assert_eq!(
        statuses(&r)[..3],
        [
            (VaultAndKey, Done),
            (AdminConsent, Current),
            (RoleAssignment, Todo)
        ]
    );
}

#[test]
fn a_declined_consent_is_at_the_consent() {
    let mut r = Run::new(new_company());
    r.ok(Event::Start {
        actor: admin(),
        target: target(1),
        consent: sign_in("consent"),
    });
    let nonce = r.last_nonce.clone();
    r.ok(Event::ConsentCallback {
        nonce,
        answer: keyswitch_shared::switch::ConsentAnswer {
            error: Some("access_denied".into()),
            error_description: Some("AADSTS65004: User declined to consent".into()),
            ..Default::default()
        },
    });
    let v = r.view();
    assert!(!v.consent_holds);
    assert_eq!(v.fault.unwrap().step, AdminConsent);
    assert_eq!(v.current_step, AdminConsent);
    assert_eq!(
        statuses(&r)[..2],
        [(VaultAndKey, Done), (AdminConsent, Failed)]
    );
}

#[test]
fn an_input_error_points_to_its_form_field_whatever_step_ran() {
    use keyswitch_shared::ValidationError as V;
    for during in [AdminConsent, ConnectionTest] {
        for (error, field) in [
            (
                CatalogError::InvalidInput(V::VaultUriEmpty),
                Some(SetupField::VaultUri),
            ),
            (
                CatalogError::InvalidField {
                    field: "vault_uri".into(),
                    reason: "not a vault".into(),
                },
                Some(SetupField::VaultUri),
            ),
            (
                CatalogError::InvalidInput(V::KeyNameEmpty),
                Some(SetupField::KeyName),
            ),
            (
                CatalogError::InvalidField {
                    field: "key_name".into(),
                    reason: "too long".into(),
                },
                Some(SetupField::KeyName),
            ),
        ] {
            assert_eq!(
                Fault::of(&error, during),
                Fault {
                    step: VaultAndKey,
                    field,
                    key_reached: false
                },
                "{error:?} during {during:?}"
            );
        }
        // Any other field is no field of the form: the step that ran.
        assert_eq!(
            Fault::of(&CatalogError::InvalidInput(V::TenantId), during),
            Fault {
                step: during,
                field: None,
                key_reached: false
            }
        );
    }
}

#[test]
fn the_steps_are_named_as_the_progress_bar_shows_them() {
    let names: Vec<_> = SetupStep::ALL.iter().map(|s| s.label()).collect();
    assert_eq!(
        names,
        [
            "Vault and key",
            "Admin consent",
            "Role assignment",
            "Connection test",
            "Verify tenants",
            "Finalize"
        ]
    );
}
