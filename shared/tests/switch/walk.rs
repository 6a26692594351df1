//! Walk-throughs: one company through the switch and its side paths, with
//! the exact effects of every step.

use keyswitch_shared::api::FinalizeStep;
use keyswitch_shared::audit::IdentityProvider;
use keyswitch_shared::switch::{
    CONSENT_TTL_SECS, Company, ConsentAnswer, ConsentProof, Effect, Event, ExportWindow, Inventory,
    OAuthSecret, Op, Policy, RegistryKey, Reply, Stage, TenantRef, TenantStatus, Unverifiable,
    UnverifiableSet, VerifyAnswer, WrappedKey, refusal,
};
use keyswitch_shared::{AuditAction as A, CatalogError, KeyId, Outcome as O, Provider};

use crate::common::*;

// ---------- steps used by several walk-throughs ----------

pub(crate) fn start_event(n: usize) -> Event {
    Event::Start {
        actor: admin(),
        target: target(n),
        consent: sign_in("consent"),
    }
}

fn issue_consent() -> Event {
    Event::IssueConsent {
        actor: admin(),
        consent: sign_in("consent"),
    }
}

fn consent_ok() -> ConsentAnswer {
    ConsentAnswer {
        code: Some(OAuthSecret::new("consent-code".into())),
        ..ConsentAnswer::default()
    }
}

/// An admin of the vault's tenant signed in; the vault is in that tenant.
fn proof() -> ConsentProof {
    ConsentProof {
        tenant: tenant_id(VAULT_TENANT),
        vault_tenant: tenant_id(VAULT_TENANT),
        admin: "gina@contoso.example".into(),
    }
}

fn code(c: &str) -> VerifyAnswer {
    VerifyAnswer {
        code: Some(keyswitch_shared::switch::OAuthSecret::new(c.into())),
        ..VerifyAnswer::default()
    }
}

pub(crate) fn consent_url(fx: &[Effect]) -> String {
    fx.iter()
        .find_map(|e| match e {
            Effect::Reply(Reply::ConsentUrl(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("a consent URL")
}

/// Start: the setup waits for consent; returns the state's random part.
fn to_awaiting_consent(r: &mut Run) -> String {
    let fx = r.ok(start_event(1));
    assert_eq!(consent_url(&fx), sign_in("consent").authorize_url);
    let nonce = r.last_nonce.clone();
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    nonce
}

/// The admin's consent comes back granted and Entra proves it as `proof`.
fn consent_granted(r: &mut Run, proof: ConsentProof) {
    let nonce = r.last_nonce.clone();
    r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    let attempt = r.attempt();
    r.ok(Event::ConsentProven {
        attempt,
        result: Ok(proof),
    });
}

/// Start and consent (a consent this company proved earlier is reused).
pub(crate) fn to_role_assignment(r: &mut Run) {
    let fx = r.ok(start_event(1));
    if r.m.stage() == Stage::AwaitingConsent {
        assert_eq!(consent_url(&fx), sign_in("consent").authorize_url);
        consent_granted(r, proof());
    }
    assert_eq!(r.m.stage(), Stage::AwaitingRoleAssignment);
}

/// Completed: the connection test runs (after learning the vault's tenant
/// when this setup reused a consent).
pub(crate) fn to_testing(r: &mut Run) {
    to_role_assignment(r);
    let fx = r.ok(Event::Test { actor: admin() });
    if let Some(Effect::ProbeVault { attempt, .. }) = calls(&fx).first() {
        r.ok(Event::VaultProbed {
            attempt: *attempt,
            result: Ok(tenant_id(VAULT_TENANT)),
        });
    }
    assert_eq!(r.m.stage(), Stage::TestingConnection);
}

fn to_tested(r: &mut Run) {
    to_testing(r);
    let attempt = r.attempt();
    let at = r.now;
    r.ok(Event::ConnectionTested {
        attempt,
        result: Ok(tested(&target(1), 1, at)),
    });
    assert_eq!(r.m.stage(), Stage::Tested);
}

fn to_verifying(r: &mut Run, tenants: &[TenantRef]) {
    to_tested(r);
    r.ok(Event::Save { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(tenants)),
    });
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
}

/// Starts a sign-in for `tenant`; returns the state's random part.
fn begin(r: &mut Run, tenant: &TenantRef, label: &str) -> String {
    r.ok(Event::BeginVerify {
        actor: admin(),
        tenant: tenant.clone(),
        sign_in: sign_in(label),
    });
    r.last_nonce.clone()
}

/// The callback with a code: returns the exchange's state hash.
fn callback(r: &mut Run, nonce: &str) -> String {
    let fx = r.ok(Event::VerifyCallback {
        nonce: nonce.into(),
        answer: code("the-code"),
    });
    fx.iter()
        .find_map(|e| match e {
            Effect::ExchangeCode { nonce_sha256, .. } => Some(nonce_sha256.clone()),
            _ => None,
        })
        .expect("a code exchange")
}

/// Verifies `tenant` by a qualified admin.
fn verify(r: &mut Run, tenant: &TenantRef) -> Vec<Effect> {
    let nonce = begin(r, tenant, "v");
    let hash = callback(r, &nonce);
    r.ok(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("admin@tenant".into()),
    })
}

fn to_finalizing(r: &mut Run, tenants: &[TenantRef]) {
    to_verifying(r, tenants);
    for t in tenants {
        verify(r, t);
    }
    assert_eq!(r.m.stage(), Stage::Finalizing);
    assert!(matches!(
        r.m.lease().map(|l| &l.op),
        Some(Op::FinalInventory)
    ));
}

/// Through the final read: the re-wrap runs (commit issued).
fn to_wrap(r: &mut Run, tenants: &[TenantRef]) {
    to_finalizing(r, tenants);
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(tenants)),
    });
    assert!(matches!(r.m.lease().map(|l| &l.op), Some(Op::Wrap)));
    assert!(r.m.setup().unwrap().commit_issued());
}

/// A switch to vault 1 (key version 2) through its wrap check, which
/// commits it; the registry has not answered the bind. Returns the kid and
/// the commit's effects.
pub(crate) fn commit(r: &mut Run, tenants: &[TenantRef]) -> (KeyId, Vec<Effect>) {
    to_wrap(r, tenants);
    let k = kid(&target(1), 2);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Ok((k.clone(), "azure-blob".into())),
    });
    let attempt = r.attempt();
    let fx = r.ok(Event::WrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(r.m.stage(), Stage::Done);
    (k, fx)
}

/// A whole switch to vault 1 (key version 2).
pub(crate) fn complete(r: &mut Run, tenants: &[TenantRef]) -> KeyId {
    let (k, _) = commit(r, tenants);
    // The key-binding registry records the company on the key.
    let attempt = r.m.registry_writes()[0].attempt;
    r.ok(Event::BindingRecorded {
        attempt,
        result: Ok(0),
    });
    assert!(r.m.registry_writes().is_empty());
    k
}

/// The replies and outside calls of a step (no audit entry, no alarm).
pub(crate) fn calls(fx: &[Effect]) -> Vec<Effect> {
    fx.iter()
        .filter(|e| {
            !matches!(
                e,
                Effect::Audit(_) | Effect::ArmAlarm { .. } | Effect::ClearAlarm
            )
        })
        .cloned()
        .collect()
}

fn calls_fx(fx: &[Fx]) -> Vec<Fx> {
    fx.iter()
        .filter(|e| {
            !matches!(
                e,
                Fx::Audit(..) | Fx::Do(Effect::ArmAlarm { .. } | Effect::ClearAlarm)
            )
        })
        .cloned()
        .collect()
}

/// The effects without the alarm (its place and time are checked for every
/// step by `Run`).
fn without_alarm(fx: &[Fx]) -> Vec<Fx> {
    fx.iter()
        .filter(|e| !matches!(e, Fx::Do(Effect::ArmAlarm { .. } | Effect::ClearAlarm)))
        .cloned()
        .collect()
}

fn stale() -> CatalogError {
    CatalogError::Conflict {
        reason: "The step this result belongs to is no longer running".into(),
    }
}

fn lease_ms(r: &Run) -> u64 {
    r.policy.lease_ms
}

// ---------- the happy path ----------

#[test]
fn platform_to_azure_with_the_exact_effects_of_every_step() {
    let mut r = Run::new(new_company());
    let t = target(1);
    let vault = format!("{}/keys/{}", t.vault_uri, t.key_name);
    let tenant = tenant_id(VAULT_TENANT);
    let (ms, gw) = (m365(VAULT_TENANT), google("C01abcd23"));

    // Test Connection: a setup starts and asks for admin consent; nothing
    // outside is called (the vault's tenant is not even known yet).
    let fx = r.fx(start_event(1));
    let nonce = r.last_nonce.clone();
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::SwitchStarted, O::Succeeded, &vault),
            audit(ADMIN, A::TestConnection, O::Succeeded),
            audit(ADMIN, A::ConsentLinkIssued, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + r.policy.state_ttl_ms
            }),
            Fx::Do(Effect::Reply(Reply::ConsentUrl(
                sign_in("consent").authorize_url
            ))),
        ]
    );
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    assert_eq!(r.m.setup().unwrap().vault_tenant(), None);

    // Microsoft's callback with a code: the consent is proven under a lease
    // with this setup's PKCE verifier and nonce.
    let fx = r.fx(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ProveConsent {
                attempt: 1,
                code: OAuthSecret::new("consent-code".into()),
                pkce_verifier: OAuthSecret::new("pkce-consent".into()),
                oidc_nonce: OAuthSecret::new("oidc-consent".into()),
                target: t.clone(),
            }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    assert!(matches!(
        r.m.lease(),
        Some(l) if l.attempt == 1 && matches!(l.op, Op::ProveConsent { .. }) && l.until_ms == r.now + lease_ms(&r)
    ));

    let fx = r.fx(Event::ConsentProven {
        attempt: 1,
        result: Ok(proof()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::AdminConsent,
                O::Succeeded,
                &format!("tenant {VAULT_TENANT} by gina@contoso.example")
            ),
            Fx::Do(Effect::ClearAlarm),
            Fx::Do(Effect::Reply(Reply::ConsentOutcome {
                error: None,
                vault_name: Some("vault1".into()),
            })),
        ]
    );
    assert_eq!(r.m.stage(), Stage::AwaitingRoleAssignment);
    let consent = r.m.setup().unwrap().consent().unwrap().clone();
    assert_eq!(consent.tenant, tenant);
    assert_eq!(consent.granted_at, i64::try_from(r.now / 1000).unwrap());
    assert_eq!(
        r.m.consents(),
        std::slice::from_ref(&consent),
        "kept for this company"
    );
    assert_eq!(r.m.setup().unwrap().vault_tenant(), Some(&tenant));

    // Completed (role assigned): the connection test runs under a lease.
    let fx = r.fx(Event::Test { actor: admin() });
    assert_eq!(
        fx,
        vec![
            audit(ADMIN, A::ConnectionTestRequested, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::TestConnection {
                attempt: 2,
                target: t.clone(),
                tenant: tenant.clone(),
            }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::TestingConnection);

    let key = tested(&t, 1, r.now);
    let fx = r.fx(Event::ConnectionTested {
        attempt: 2,
        result: Ok(key.clone()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::ConnectionTest,
                O::Succeeded,
                &format!("{} (RSA 4096)", key.kid)
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Tested);
    assert_eq!(r.m.setup().unwrap().tested(), Some(&key));

    // Save: the inventory is read under a lease.
    let fx = r.fx(Event::Save { actor: admin() });
    assert_eq!(
        fx,
        vec![
            audit(ADMIN, A::Save, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt: 3 }),
        ]
    );
    assert_eq!(
        r.m.stage(),
        Stage::Tested,
        "nothing changes before the read"
    );

    let fx = r.fx(Event::InventoryRead {
        attempt: 3,
        result: Ok(inventory(&[gw.clone(), ms.clone()])),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::InventoryLoaded,
                O::Succeeded,
                "2 tenant(s) to verify"
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    let listed: Vec<_> = r.m.setup().unwrap().tenants().to_vec();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|x| x.status == TenantStatus::Unverified));
    let view = r.view();
    assert_eq!(view.tenant_names.len(), 1, "the inventory named one tenant");
    assert_eq!(view.tenant_names[0].tenant, gw);

    // Each tenant is verified by a sign-in.
    let fx = r.fx(Event::BeginVerify {
        actor: admin(),
        tenant: ms.clone(),
        sign_in: sign_in("ms"),
    });
    let ms_nonce = r.last_nonce.clone();
    let ms_expiry = r.now + r.policy.state_ttl_ms;
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::TenantVerificationStarted,
                O::Succeeded,
                &format!("Microsoft 365 tenant {VAULT_TENANT}")
            ),
            Fx::Do(Effect::ArmAlarm { at_ms: ms_expiry }),
            Fx::Do(Effect::Reply(Reply::SignIn {
                authorize_url: sign_in("ms").authorize_url,
                tenant: ms.clone(),
            })),
        ]
    );
    let fx = r.fx(Event::BeginVerify {
        actor: admin(),
        tenant: gw.clone(),
        sign_in: sign_in("gw"),
    });
    let gw_nonce = r.last_nonce.clone();
    let gw_expiry = r.now + r.policy.state_ttl_ms;
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::TenantVerificationStarted,
                O::Succeeded,
                "Google Workspace customer C01abcd23"
            ),
            Fx::Do(Effect::Reply(Reply::SignIn {
                authorize_url: sign_in("gw").authorize_url,
                tenant: gw.clone(),
            })),
        ],
        "the alarm already fires earlier"
    );
    assert_eq!(r.m.sign_ins().len(), 2);

    let fx = r.fx(Event::VerifyCallback {
        nonce: ms_nonce,
        answer: code("code-ms"),
    });
    let ms_hash = match &calls_fx(&fx)[0] {
        Fx::Do(Effect::ExchangeCode { nonce_sha256, .. }) => nonce_sha256.clone(),
        other => panic!("expected the code exchange, got {other:?}"),
    };
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ExchangeCode {
                nonce_sha256: ms_hash.clone(),
                tenant: ms.clone(),
                code: keyswitch_shared::switch::OAuthSecret::new("code-ms".into()),
                pkce_verifier: sign_in("ms").pkce_verifier,
                oidc_nonce: "oidc-ms".into(),
            }),
        ]
    );
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: ms_hash,
        result: Ok("ga@contoso".into()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::TenantVerified,
                O::Succeeded,
                &format!("Microsoft 365 tenant {VAULT_TENANT} verified by ga@contoso")
            ),
            Fx::Do(Effect::ArmAlarm { at_ms: gw_expiry }),
            Fx::Do(Effect::Reply(Reply::VerifyOutcome {
                error: None,
                tenant: Some(ms.clone()),
                finalizing: false,
                export_open: false,
            })),
        ]
    );
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);

    let fx = r.fx(Event::VerifyCallback {
        nonce: gw_nonce,
        answer: code("code-gw"),
    });
    let gw_hash = match &calls_fx(&fx)[0] {
        Fx::Do(Effect::ExchangeCode { nonce_sha256, .. }) => nonce_sha256.clone(),
        other => panic!("expected the code exchange, got {other:?}"),
    };
    // The last verification starts the finalization: a final inventory read.
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: gw_hash,
        result: Ok("super@example.com".into()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::TenantVerified,
                O::Succeeded,
                "Google Workspace customer C01abcd23 verified by super@example.com"
            ),
            audit(SYSTEM, A::FinalizeStarted, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt: 4 }),
            Fx::Do(Effect::Reply(Reply::VerifyOutcome {
                error: None,
                tenant: Some(gw.clone()),
                finalizing: true,
                export_open: false,
            })),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Finalizing);
    assert!(r.m.sign_ins().is_empty());
    let fin = r.m.setup().unwrap().finalize().unwrap().clone();
    assert_eq!(
        (fin.step, fin.attempts, fin.next_retry_at_ms),
        (FinalizeStep::ReadInventory, 0, None)
    );
    assert!(!r.m.setup().unwrap().commit_issued());

    // The final read finds nothing new: the commit is issued, the re-wrap runs.
    let old = (Provider::Platform, platform_key());
    let fx = r.fx(Event::InventoryRead {
        attempt: 4,
        result: Ok(inventory(&[ms.clone(), gw.clone()])),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                SYSTEM,
                A::FinalizeInventory,
                O::Succeeded,
                "2 tenant(s) in the inventory"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::Wrap {
                attempt: 5,
                old: old.clone(),
                target: t.clone(),
                tenant: tenant.clone(),
            }),
        ]
    );
    assert!(r.m.setup().unwrap().commit_issued());
    assert_eq!(
        r.m.provider(),
        &Provider::Platform,
        "the old provider is in force"
    );

    let k = kid(&t, 2);
    let fx = r.fx(Event::Wrapped {
        attempt: 5,
        result: Ok((k.clone(), "azure-blob".into())),
    });
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::VerifyWrap {
                attempt: 6,
                old: old.clone(),
                kid: k.clone(),
                blob: "azure-blob".into(),
                tenant: tenant.clone(),
            }),
        ]
    );
    assert_eq!(r.m.provider(), &Provider::Platform);
    assert_eq!(
        r.m.setup().unwrap().finalize().unwrap().step,
        FinalizeStep::Verify
    );

    let fx = r.fx(Event::WrapVerified {
        attempt: 6,
        result: Ok(()),
    });
    let registered = RegistryKey::of(&t.vault_uri, &t.key_name);
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::SwitchCommitted, O::Succeeded, k.as_str()),
            audit_note(
                SYSTEM,
                A::HealthChanged,
                O::Succeeded,
                "unknown → healthy (verified by the switch)"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::RecordBinding {
                attempt: 1,
                key: registered.clone(),
                bind: true,
            }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Done);
    assert!(r.m.setup().is_none() && r.m.lease().is_none());
    assert_eq!(
        r.m.provider(),
        &Provider::AzureKeyVault {
            vault_uri: t.vault_uri.clone(),
            key_name: t.key_name.clone(),
            kid: k.clone(),
        }
    );
    assert_eq!(
        r.m.key(),
        &WrappedKey {
            blob: "azure-blob".into(),
            created_at_ms: platform_key().created_at_ms,
            azure_tenant: Some(tenant.clone()),
        }
    );
    let opened_at = i64::try_from(r.now / 1000).unwrap();
    assert_eq!(r.m.export_window(), ExportWindow::Open { opened_at });
    assert_eq!(r.m.progress().stage, Stage::Done);
    assert_eq!(r.m.audit_seq(), 16);
    // The registry records the binding; the audit names the key and how
    // many other companies share it.
    let fx = r.fx(Event::BindingRecorded {
        attempt: 1,
        result: Ok(2),
    });
    let note = format!(
        "bound to {}; 2 other companies bound to it",
        registered.object_name()
    );
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::KeyBound, O::Succeeded, &note),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
        ]
    );
    assert!(r.m.registry_writes().is_empty());

    // The one export, then no more.
    let azure = (r.m.provider().clone(), r.m.key().clone());
    let fx = r.fx(r.export());
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ExportKey {
                attempt: 7,
                old: azure,
                window: ExportWindow::Open { opened_at },
            }),
        ]
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    let fx = r.fx(Event::Exported {
        attempt: 7,
        result: Ok(()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::CompanyKeyExport, O::Succeeded, "Azure Key Vault"),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
        ]
    );
    let before = r.m.clone();
    let fx = r.fx(r.export());
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::CompanyKeyExport,
                O::Refused,
                "export_not_available"
            ),
            Fx::Do(Effect::Reply(Reply::Error(
                CatalogError::ExportNotAvailable
            ))),
        ]
    );
    assert_eq!(r.m.audit_seq(), before.audit_seq() + 1);
    assert_eq!(same_but_audit_seq(&r.m, &before), before);
}

// ---------- the key-binding registry ----------

#[test]
fn a_registry_write_is_owed_until_answered_and_sent_again_by_the_alarm() {
    let mut r = Run::new(new_company());
    commit(&mut r, &[m365(VAULT_TENANT)]);
    let key = RegistryKey::of(&target(1).vault_uri, &target(1).key_name);
    let first = r.m.registry_writes()[0].clone();
    assert!(first.bind && first.key == key, "{first:?}");
    assert_eq!(r.alarm, Some(first.due_at_ms));

    // No answer came (the object restarted): the alarm sends it again.
    r.now = first.due_at_ms;
    let fx = calls(&r.ok_now(Event::Tick));
    let second = r.m.registry_writes()[0].attempt;
    assert_ne!(second, first.attempt);
    assert_eq!(
        fx,
        vec![Effect::RecordBinding {
            attempt: second,
            key: key.clone(),
            bind: true
        }]
    );
    // The first attempt's late answer no longer counts.
    assert_eq!(
        r.refused(Event::BindingRecorded {
            attempt: first.attempt,
            result: Ok(0)
        }),
        stale()
    );
    // A failed write is audited once and retried after a back-off.
    let fx = r.fx(Event::BindingRecorded {
        attempt: second,
        result: Err(CatalogError::Internal),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(SYSTEM, A::KeyBound, O::Failed, "internal")]
    );
    let due = r.m.registry_writes()[0].due_at_ms;
    assert!(due > r.now && r.alarm == Some(due));
    r.now = due;
    let fx = calls(&r.ok_now(Event::Tick));
    let third = r.m.registry_writes()[0].attempt;
    assert_eq!(
        fx,
        vec![Effect::RecordBinding {
            attempt: third,
            key: key.clone(),
            bind: true
        }]
    );
    let fx = r.fx(Event::BindingRecorded {
        attempt: third,
        result: Ok(0),
    });
    let note = format!(
        "bound to {}; 0 other companies bound to it",
        key.object_name()
    );
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(SYSTEM, A::KeyBound, O::Succeeded, &note)]
    );
    assert!(r.m.registry_writes().is_empty());
    // What is left is the next health check of the key.
    assert_eq!(r.m.next_deadline_ms(), Some(next_health_check(&r)));

    // Moving away from the key releases it.
    r.ok(Event::MoveToAwsKms {
        actor: admin(),
        key_id: "k-1".into(),
    });
    let attempt = r.attempt();
    let fx = calls(&r.ok(Event::MovedToAws {
        attempt,
        result: Ok((
            "arn:aws:kms:eu-west-1:111122223333:key/k-1".into(),
            "aws-blob".into(),
        )),
    }));
    let release = r.m.registry_writes()[0].attempt;
    assert_eq!(
        fx,
        vec![Effect::RecordBinding {
            attempt: release,
            key: key.clone(),
            bind: false
        }]
    );
    let fx = r.fx(Event::BindingRecorded {
        attempt: release,
        result: Ok(1),
    });
    let note = format!(
        "released from {}; 1 other company bound to it",
        key.object_name()
    );
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(SYSTEM, A::KeyReleased, O::Succeeded, &note)]
    );
}

#[test]
fn a_release_replaces_a_bind_still_owed_for_the_same_key() {
    // The company moves off its key before the registry answered the bind:
    // only the release is owed (a bind sent again after it would leave the
    // company bound to a key it no longer uses).
    let mut r = Run::new(new_company());
    commit(&mut r, &[m365(VAULT_TENANT)]);
    let key = RegistryKey::of(&target(1).vault_uri, &target(1).key_name);
    let bind = r.m.registry_writes()[0].attempt;
    r.ok(Event::MoveToAwsKms {
        actor: admin(),
        key_id: "k-1".into(),
    });
    let attempt = r.attempt();
    r.ok(Event::MovedToAws {
        attempt,
        result: Ok((
            "arn:aws:kms:eu-west-1:111122223333:key/k-1".into(),
            "aws-blob".into(),
        )),
    });
    let writes = r.m.registry_writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].key == key && !writes[0].bind, "{writes:?}");
    assert_eq!(
        r.refused(Event::BindingRecorded {
            attempt: bind,
            result: Ok(0)
        }),
        stale(),
        "the bind's late answer no longer counts"
    );
}

/// `m` with the audit sequence of `like` (to compare everything else).
fn same_but_audit_seq(m: &Company, like: &Company) -> Company {
    let mut v = serde_json::to_value(m).unwrap();
    v["audit_seq"] = like.audit_seq().into();
    serde_json::from_value(v).unwrap()
}

// ---------- consent ----------

#[test]
fn a_proven_consent_is_reused_by_this_company_only_and_expires_after_24_hours() {
    // This company proved a consent in an earlier setup: a new setup skips
    // the consent page and waits for the role assignment.
    let mut r = Run::new(new_company());
    to_role_assignment(&mut r);
    let granted = r.m.consents()[0].granted_at;
    r.ok(Event::Cancel { actor: admin() });
    let fx = r.fx(start_event(1));
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::SwitchStarted,
                O::Succeeded,
                "https://vault1.vault.azure.net/keys/cmk"
            ),
            audit(ADMIN, A::TestConnection, O::Succeeded),
            audit_note(
                ADMIN,
                A::AdminConsentReused,
                O::Succeeded,
                &format!("tenant {VAULT_TENANT}")
            ),
        ]
    );
    assert_eq!(r.m.stage(), Stage::AwaitingRoleAssignment);
    assert_eq!(r.m.setup().unwrap().consent().unwrap().granted_at, granted);
    assert_eq!(r.m.setup().unwrap().vault_tenant(), None);
    // Completed: the test first learns the vault's tenant ...
    let fx = r.ok(Event::Test { actor: admin() });
    assert_eq!(
        calls(&fx),
        vec![Effect::ProbeVault {
            attempt: 2,
            target: target(1)
        }]
    );
    // ... and goes on only in a tenant this company proved.
    let fx = r.ok(Event::VaultProbed {
        attempt: 2,
        result: Ok(tenant_id(VAULT_TENANT)),
    });
    assert_eq!(
        calls(&fx),
        vec![Effect::TestConnection {
            attempt: 2,
            target: target(1),
            tenant: tenant_id(VAULT_TENANT),
        }]
    );
    assert_eq!(r.m.stage(), Stage::TestingConnection);

    // A vault in a tenant this company never proved: no token, no test;
    // Test Connection then asks for consent.
    let mut r = Run::new(new_company());
    to_role_assignment(&mut r);
    r.ok(Event::Cancel { actor: admin() });
    r.ok(start_event(2));
    r.ok(Event::Test { actor: admin() });
    let attempt = r.attempt();
    let fx = r.fx(Event::VaultProbed {
        attempt,
        result: Ok(tenant_id(OTHER_TENANT)),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit_note(
                ADMIN,
                A::ConnectionTest,
                O::Failed,
                "admin_consent_required"
            ),
            Fx::Do(Effect::Reply(Reply::Error(
                CatalogError::AdminConsentRequired
            ))),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Draft);
    assert!(r.m.lease().is_none());
    assert_eq!(
        r.m.setup().unwrap().vault_tenant(),
        Some(&tenant_id(OTHER_TENANT))
    );
    let fx = r.ok(start_event(2));
    assert_eq!(consent_url(&fx), sign_in("consent").authorize_url);
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);

    // A consent older than 24 h does not count.
    let mut r = Run::new(new_company());
    to_role_assignment(&mut r);
    r.ok(Event::Cancel { actor: admin() });
    r.now += u64::try_from(CONSENT_TTL_SECS).unwrap() * 1000;
    let fx = r.ok(start_event(1));
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    assert_eq!(consent_url(&fx), sign_in("consent").authorize_url);
    assert!(r.m.consents().is_empty(), "the expired consent is gone");

    // Another company never sees it: a company is a model of its own.
    let other = Company::new(
        "globex".parse().unwrap(),
        Provider::Platform,
        platform_key(),
    );
    let mut g = Run::new(other);
    g.ok(start_event(1));
    assert_eq!(g.m.stage(), Stage::AwaitingConsent);

    // A consent proven in this setup counts for another key in the same
    // vault: Test Connection goes straight to the test.
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let same_vault = keyswitch_shared::switch::Target {
        vault_uri: target(1).vault_uri,
        key_name: "cmk2".parse().unwrap(),
    };
    let fx = r.fx(Event::Start {
        actor: admin(),
        target: same_vault.clone(),
        consent: sign_in("consent"),
    });
    assert_eq!(
        fx[0],
        audit_note(
            ADMIN,
            A::TargetEdited,
            O::Succeeded,
            "https://vault1.vault.azure.net/keys/cmk2"
        )
    );
    assert!(matches!(
        &calls_fx(&fx)[0],
        Fx::Do(Effect::TestConnection { target: t, .. }) if *t == same_vault
    ));
    assert_eq!(r.m.stage(), Stage::TestingConnection);
    let attempt = r.attempt();
    let at = r.now;
    r.ok(Event::ConnectionTested {
        attempt,
        result: Ok(tested(&same_vault, 1, at)),
    });

    // 24 h after the consent the test asks for consent again (seed 000).
    let granted = r.m.setup().unwrap().consent().unwrap().granted_at;
    r.now = u64::try_from(granted + CONSENT_TTL_SECS).unwrap() * 1000;
    let fx = r.fx(Event::Test { actor: admin() });
    assert_eq!(
        fx,
        vec![
            audit(ADMIN, A::ConnectionTestRequested, O::Succeeded),
            Fx::Do(Effect::Reply(Reply::Error(
                CatalogError::AdminConsentRequired
            ))),
        ]
    );
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    let fx = r.ok(issue_consent());
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::ConsentUrl(_))
    ));
}

#[test]
fn each_start_is_a_new_setup_with_its_own_id() {
    let mut r = Run::new(new_company());
    r.ok(start_event(1));
    let first = r.m.setup().unwrap().id().to_owned();
    assert!(!first.is_empty());
    r.ok(Event::Cancel { actor: admin() });
    r.ok(start_event(1));
    let second = r.m.setup().unwrap().id().to_owned();
    assert!(!second.is_empty() && second != first, "{first} / {second}");
}

#[test]
fn a_consent_proven_in_a_second_tenant_keeps_the_first() {
    // Consents are kept per tenant: proving one for vault 2's tenant does
    // not drop the one proven for vault 1's, nor keep two for one tenant
    // (`consents_for_two_tenants` checks the list).
    let mut r = Run::new(new_company());
    consents_for_two_tenants(&mut r);
    assert_eq!(r.m.stage(), Stage::AwaitingRoleAssignment);
    // Vault 1 is tested without asking for consent again.
    let fx = retest(&mut r, 1, VAULT_TENANT);
    assert!(
        matches!(&calls(&fx)[..], [Effect::TestConnection { .. }]),
        "{fx:?}"
    );
}

/// Cancels the draft, starts vault `n` and tests it; the vault's probe
/// answers `tenant`. Returns what the probe's answer led to.
fn retest(r: &mut Run, n: usize, tenant: &str) -> Vec<Effect> {
    r.ok(Event::Cancel { actor: admin() });
    r.ok(start_event(n));
    r.ok(Event::Test { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::VaultProbed {
        attempt,
        result: Ok(tenant_id(tenant)),
    })
}

/// Consents proven for two tenants: vault 1's (`VAULT_TENANT`, by
/// `to_role_assignment`) and vault 2's (`OTHER_TENANT`); the draft is left
/// on vault 2.
fn consents_for_two_tenants(r: &mut Run) {
    to_role_assignment(r);
    retest(r, 2, OTHER_TENANT);
    r.ok(start_event(2));
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    consent_granted(
        r,
        ConsentProof {
            tenant: tenant_id(OTHER_TENANT),
            vault_tenant: tenant_id(OTHER_TENANT),
            admin: "olga@fabrikam.example".into(),
        },
    );
    let tenants: Vec<_> = r.m.consents().iter().map(|c| c.tenant.clone()).collect();
    assert_eq!(tenants, [tenant_id(VAULT_TENANT), tenant_id(OTHER_TENANT)]);
}

#[test]
fn a_consent_revoked_in_its_tenant_is_forgotten_and_the_other_tenants_kept() {
    // Entra answers the connection test with "consent required" (an admin
    // revoked it in vault 1's tenant): that tenant's consent no longer
    // counts, so the next test asks for it again; vault 2's tenant keeps its.
    let mut r = Run::new(new_company());
    consents_for_two_tenants(&mut r);
    retest(&mut r, 1, VAULT_TENANT);
    assert_eq!(r.m.stage(), Stage::TestingConnection);
    let attempt = r.attempt();
    r.fx(Event::ConnectionTested {
        attempt,
        result: Err(CatalogError::AdminConsentRequired),
    });
    let tenants: Vec<_> = r.m.consents().iter().map(|c| c.tenant.clone()).collect();
    assert_eq!(tenants, [tenant_id(OTHER_TENANT)]);
    // Vault 1 is asked for consent again ...
    let fx = retest(&mut r, 1, VAULT_TENANT);
    assert_eq!(
        calls(&fx),
        [Effect::Reply(Reply::Error(
            CatalogError::AdminConsentRequired
        ))]
    );
    // ... vault 2 is not.
    let fx = retest(&mut r, 2, OTHER_TENANT);
    assert!(
        matches!(&calls(&fx)[..], [Effect::TestConnection { .. }]),
        "{fx:?}"
    );
}

#[test]
fn a_proven_consent_counts_until_its_24_hours_are_over_and_not_at_the_end() {
    // Started one second before the 24 h are over: the consent is reused
    // (Test Connection goes on to the role step); started at the end: asked
    // for again (seed 000: "24 h after the consent … asks for consent again").
    // 24 h written out: the constant itself must be the seed's 24 hours.
    for (age, reused) in [(86_399, true), (86_400, false)] {
        let mut r = Run::new(new_company());
        to_role_assignment(&mut r);
        r.ok(Event::Cancel { actor: admin() });
        let granted = r.m.consents()[0].granted_at;
        // `ok` steps one second on.
        r.now = u64::try_from(granted + age - 1).unwrap() * 1000;
        let fx = r.ok(start_event(1));
        if reused {
            assert_eq!(r.m.stage(), Stage::AwaitingRoleAssignment, "{age}: {fx:?}");
            assert_eq!(r.m.consents().len(), 1);
        } else {
            assert_eq!(r.m.stage(), Stage::AwaitingConsent, "{age}: {fx:?}");
            assert_eq!(consent_url(&fx), sign_in("consent").authorize_url);
            assert!(r.m.consents().is_empty(), "the expired consent is gone");
        }
    }
}

#[test]
fn at_most_one_connection_test_per_company_every_ten_seconds() {
    let mut r = Run::new(new_company());
    r.policy = Policy::default();
    to_testing(&mut r);
    let attempt = r.attempt();
    r.ok(Event::ConnectionTested {
        attempt,
        result: Err(CatalogError::KeyVaultForbidden),
    });
    // Two seconds after the test started: refused, nothing changes.
    let before = r.m.clone();
    let e = r.refused(Event::Test { actor: admin() });
    assert_eq!(
        e,
        CatalogError::RateLimited {
            retry_after_secs: 8,
            interval_secs: 10
        }
    );
    assert_eq!(e.status(), 429);
    assert_eq!(e.retry_after_secs(), Some(8));
    assert!(e.message().contains("wait 8 s"), "{}", e.message());
    assert_eq!(r.m, before);
    // Editing the key in the same vault would start a test too.
    assert_eq!(
        r.refused(start_event(1)).code(),
        "rate_limited",
        "the same vault: the test would run at once"
    );
    // Ten seconds after the last test: it runs.
    let last = r.m.last_test_at_ms().unwrap();
    r.now = last + 8_999;
    assert!(matches!(
        r.refused(Event::Test { actor: admin() }),
        CatalogError::RateLimited {
            retry_after_secs: 1,
            ..
        }
    ));
    r.now = last + 10_000;
    let fx = r.ok_now(Event::Test { actor: admin() });
    assert!(matches!(calls(&fx)[0], Effect::TestConnection { .. }));
    assert_eq!(r.m.last_test_at_ms(), Some(last + 10_000));
}

#[test]
fn consent_for_another_tenant_is_refused() {
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.ok(Event::ConsentCallback {
        nonce: nonce.clone(),
        answer: consent_ok(),
    });
    // An admin of another tenant signed in (and consented there).
    let attempt = r.attempt();
    let fx = r.fx(Event::ConsentProven {
        attempt,
        result: Ok(ConsentProof {
            tenant: tenant_id(OTHER_TENANT),
            ..proof()
        }),
    });
    let error = CatalogError::TenantMismatch {
        expected: VAULT_TENANT.into(),
        found: OTHER_TENANT.into(),
    };
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::AdminConsent, O::Failed, "tenant_mismatch"),
            Fx::Do(Effect::ClearAlarm),
            Fx::Do(Effect::Reply(Reply::ConsentOutcome {
                error: Some(error.clone()),
                vault_name: Some("vault1".into()),
            })),
        ]
    );
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::Draft);
    assert!(setup.consent().is_none());
    assert_eq!(setup.last_error(), Some(&error.body()));
    assert!(r.m.lease().is_none());
    assert!(r.m.consents().is_empty(), "nothing is kept");
    // The state is spent.
    let before = r.m.clone();
    let fx = r.fx(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    assert_eq!(
        fx,
        vec![Fx::Do(Effect::Reply(Reply::ConsentOutcome {
            error: Some(CatalogError::OAuthStateUsed),
            vault_name: None,
        }))]
    );
    assert_eq!(r.m, before);

    // `admin_consent=True` without a code proves nothing.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    let fx = r.fx(Event::ConsentCallback {
        nonce,
        answer: ConsentAnswer::default(),
    });
    assert_eq!(
        fx[0],
        audit_note(ADMIN, A::AdminConsent, O::Failed, "admin_consent_required")
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Fx::Do(Effect::ProveConsent { .. })))
    );
    assert_eq!(r.m.stage(), Stage::Draft);
    assert!(r.m.consents().is_empty());

    // The proof itself may fail (no admin role, no consent): it fails.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    let attempt = r.attempt();
    let fx = r.fx(Event::ConsentProven {
        attempt,
        result: Err(CatalogError::ConsentUserLacksRole),
    });
    assert_eq!(
        fx[0],
        audit_note(ADMIN, A::AdminConsent, O::Failed, "consent_user_lacks_role")
    );
    assert_eq!(r.m.stage(), Stage::Draft);
}

#[test]
fn a_declined_consent_goes_back_to_the_draft() {
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    let fx = r.fx(Event::ConsentCallback {
        nonce,
        answer: ConsentAnswer {
            error: Some("access_denied".into()),
            ..ConsentAnswer::default()
        },
    });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(ADMIN, A::AdminConsent, O::Failed, "consent_declined"),
            Fx::Do(Effect::Reply(Reply::ConsentOutcome {
                error: Some(CatalogError::ConsentDeclined),
                vault_name: Some("vault1".into()),
            })),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Draft);
    // From the draft, Test Connection asks for consent (no state yet) ...
    let fx = r.fx(Event::Test { actor: admin() });
    assert_eq!(
        calls_fx(&fx)[0],
        Fx::Do(Effect::Reply(Reply::Error(
            CatalogError::AdminConsentRequired
        )))
    );
    assert_eq!(r.m.stage(), Stage::AwaitingConsent);
    // ... and Grant admin consent issues one.
    let fx = r.ok(issue_consent());
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::ConsentUrl(_))
    ));
}

// ---------- the connection test ----------

#[test]
fn a_forbidden_test_goes_back_to_the_role_assignment() {
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    let attempt = r.attempt();
    let fx = r.fx(Event::ConnectionTested {
        attempt,
        result: Err(CatalogError::KeyVaultForbidden),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::ConnectionTest, O::Failed, "key_vault_forbidden"),
            Fx::Do(Effect::ClearAlarm),
            Fx::Do(Effect::Reply(Reply::Error(CatalogError::KeyVaultForbidden))),
        ]
    );
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::AwaitingRoleAssignment);
    assert_eq!(setup.last_error().unwrap().code, "key_vault_forbidden");
    assert!(setup.consent().is_some(), "the consent still counts");
    // Completed again: the test runs again.
    let fx = r.ok(Event::Test { actor: admin() });
    assert!(matches!(calls(&fx)[0], Effect::TestConnection { .. }));

    // A token the vault rejects means the consent is gone: back to the draft.
    let attempt = r.attempt();
    r.ok(Event::ConnectionTested {
        attempt,
        result: Err(CatalogError::VaultTokenRejected { vault_tenant: None }),
    });
    assert_eq!(r.m.stage(), Stage::Draft);
    assert!(r.m.setup().unwrap().consent().is_none());

    // A test result for another key than the target is not believed.
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    let attempt = r.attempt();
    let at = r.now;
    let fx = r.ok(Event::ConnectionTested {
        attempt,
        result: Ok(tested(&target(2), 1, at)),
    });
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::Error(CatalogError::Conflict { .. }))
    ));
    assert_eq!(r.m.stage(), Stage::Draft);
    assert!(r.m.setup().unwrap().tested().is_none());
}

// ---------- tenants ----------

#[test]
fn a_verification_begins_only_for_a_listed_tenant_not_yet_verified() {
    let mut r = Run::new(new_company());
    let known = [m365(VAULT_TENANT), google("C01abcd23")];
    to_verifying(&mut r, &known);
    verify(&mut r, &known[0]);
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    let before = r.m.clone();
    // A tenant outside the inventory gets no sign-in.
    let e = r.refused(Event::BeginVerify {
        actor: admin(),
        tenant: m365(OTHER_TENANT),
        sign_in: sign_in("outsider"),
    });
    assert_eq!(
        e,
        CatalogError::NotFound {
            what: "Tenant".into()
        }
    );
    // Nor does one already verified.
    let e = r.refused(Event::BeginVerify {
        actor: admin(),
        tenant: known[0].clone(),
        sign_in: sign_in("again"),
    });
    assert_eq!(
        e,
        CatalogError::Conflict {
            reason: "This tenant is already verified".into()
        }
    );
    assert_eq!(r.m, before);
    // The one still unverified does.
    verify(&mut r, &known[1]);
    // Once every tenant is verified the setup is finalizing: no sign-in is
    // handed out at all (the stage refuses, before any tenant lookup).
    assert_eq!(r.m.stage(), Stage::Finalizing);
    let before = r.m.clone();
    let e = r.refused(Event::BeginVerify {
        actor: admin(),
        tenant: known[1].clone(),
        sign_in: sign_in("late"),
    });
    assert_eq!(
        e,
        CatalogError::InvalidTransition {
            state: Stage::Finalizing.as_str().to_owned(),
            event: "verify_tenant".into()
        }
    );
    assert_eq!(r.m, before);
}

#[test]
fn a_verification_answer_names_the_providers_error_and_ignores_an_empty_one() {
    let mut r = Run::new(new_company());
    let known = [m365(VAULT_TENANT), google("C01abcd23")];
    to_verifying(&mut r, &known);
    let failed_with = |m: &Company, t: &TenantRef| match &m
        .setup()
        .unwrap()
        .tenants()
        .iter()
        .find(|x| x.tenant == *t)
        .unwrap()
        .status
    {
        TenantStatus::Failed { reason } => reason.code.clone(),
        other => panic!("{t:?} is {other:?}"),
    };
    let answer = |error: &str, code: Option<&str>| VerifyAnswer {
        error: Some(error.into()),
        code: code.map(|c| keyswitch_shared::switch::OAuthSecret::new(c.into())),
        ..VerifyAnswer::default()
    };
    // Microsoft: an error other than a refusal is named for what it is.
    let nonce = begin(&mut r, &known[0], "a");
    r.ok(Event::VerifyCallback {
        nonce,
        answer: answer("consent_required", None),
    });
    assert_eq!(failed_with(&r.m, &known[0]), "admin_consent_required");
    // Google: any error but access_denied is Google refusing.
    let nonce = begin(&mut r, &known[1], "b");
    r.ok(Event::VerifyCallback {
        nonce,
        answer: answer("invalid_scope", None),
    });
    assert_eq!(failed_with(&r.m, &known[1]), "google_rejected");
    // ... and access_denied is the Super Admin declining.
    let nonce = begin(&mut r, &known[1], "b2");
    r.ok(Event::VerifyCallback {
        nonce,
        answer: answer("access_denied", None),
    });
    assert_eq!(failed_with(&r.m, &known[1]), "consent_declined");
    // An empty `error` beside a code is no error: the code is exchanged.
    let nonce = begin(&mut r, &known[0], "c");
    let fx = r.ok(Event::VerifyCallback {
        nonce,
        answer: answer("", Some("the-code")),
    });
    assert!(
        fx.iter().any(|e| matches!(e, Effect::ExchangeCode { .. })),
        "{fx:?}"
    );
}

#[test]
fn a_new_tenant_at_the_final_read_blocks_completion() {
    let mut r = Run::new(new_company());
    let known = [m365(VAULT_TENANT), google("C01abcd23")];
    to_finalizing(&mut r, &known);
    let newcomer = m365(OTHER_TENANT);
    let attempt = r.attempt();
    let mut grown = known.to_vec();
    grown.push(newcomer.clone());
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&grown)),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                SYSTEM,
                A::FinalizeInventory,
                O::Succeeded,
                "3 tenant(s) in the inventory"
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::VerifyingTenants);
    assert!(setup.finalize().is_none() && !setup.commit_issued());
    // The admin is told why, with the number still to verify (the
    // newcomer; the two known tenants stay verified).
    assert_eq!(
        setup.last_error(),
        Some(&CatalogError::TenantsUnverified { unverified: 1 }.body())
    );
    let status = |m: &Company, t: &TenantRef| {
        m.setup()
            .unwrap()
            .tenants()
            .iter()
            .find(|x| x.tenant == *t)
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(status(&r.m, &newcomer), TenantStatus::Unverified);
    assert!(matches!(
        status(&r.m, &known[0]),
        TenantStatus::Verified { .. }
    ));
    assert_eq!(r.m.provider(), &Provider::Platform);

    // A verification by someone without the role leaves it unverified.
    let nonce = begin(&mut r, &newcomer, "n");
    let hash = callback(&mut r, &nonce);
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Err(CatalogError::TenantVerifiedWithoutRole),
    });
    assert_eq!(
        fx[0],
        audit_note(
            ADMIN,
            A::TenantVerification,
            O::Failed,
            &format!("Microsoft 365 tenant {OTHER_TENANT}: tenant_verified_without_role")
        )
    );
    assert!(matches!(
        status(&r.m, &newcomer),
        TenantStatus::Failed { reason } if reason.code == "tenant_verified_without_role"
    ));
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    // Verified properly: the finalization starts again from the inventory read.
    let fx = verify(&mut r, &newcomer);
    assert!(fx.contains(&Effect::ReadInventory {
        attempt: r.attempt()
    }));
    assert_eq!(r.m.stage(), Stage::Finalizing);
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&grown)),
    });
    assert!(matches!(calls(&fx)[0], Effect::Wrap { .. }));
}

#[test]
fn the_final_reads_unverified_error_stays_until_no_tenant_is_left_unverified() {
    // The final read found a newcomer: "N tenant(s) are not verified". A
    // Refresh that still lists it keeps the error (and the count); one
    // without it (the set was removed) clears it and finalization starts.
    let mut r = Run::new(new_company());
    let known = [m365(VAULT_TENANT), google("C01abcd23")];
    to_finalizing(&mut r, &known);
    let mut grown = known.to_vec();
    grown.push(m365(OTHER_TENANT));
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&grown)),
    });
    let unverified = Some(CatalogError::TenantsUnverified { unverified: 1 }.body());
    assert_eq!(r.m.setup().unwrap().last_error(), unverified.as_ref());

    let refresh = |r: &mut Run, tenants: &[TenantRef]| {
        r.ok(Event::Refresh { actor: admin() });
        let attempt = r.attempt();
        r.ok(Event::InventoryRead {
            attempt,
            result: Ok(inventory(tenants)),
        });
    };
    refresh(&mut r, &grown);
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    assert_eq!(r.m.setup().unwrap().last_error(), unverified.as_ref());
    refresh(&mut r, &known);
    assert_eq!(r.m.stage(), Stage::Finalizing);
    assert_eq!(r.m.setup().unwrap().last_error(), None);
}

#[test]
fn the_tenants_verified_for_the_switch_are_kept_with_the_provider() {
    let mut r = Run::new(new_company());
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    commit(&mut r, &tenants);
    let kept: Vec<_> =
        r.m.verified_tenants()
            .iter()
            .map(|t| t.tenant.clone())
            .collect();
    assert_eq!(kept, tenants);
    assert!(r.m.verified_tenants().iter().all(|t| t.is_verified()));
}

#[test]
fn each_event_has_its_snake_case_name_for_logs() {
    assert_eq!(start_event(1).name(), "start");
    assert_eq!(Event::Test { actor: admin() }.name(), "test_connection");
    assert_eq!(Event::Cancel { actor: admin() }.name(), "cancel");
    assert_eq!(Event::Refresh { actor: admin() }.name(), "refresh");
}

#[test]
fn the_names_of_the_last_inventory_read_are_kept() {
    // Every other tenant of `inventory` has a name ("Tenant 0", "Tenant 2").
    let mut r = Run::new(new_company());
    let tenants = [m365(VAULT_TENANT), google("C01abcd23"), m365(OTHER_TENANT)];
    to_verifying(&mut r, &tenants);
    let names: Vec<_> =
        r.m.tenant_names()
            .iter()
            .map(|n| (n.tenant.clone(), n.name.clone()))
            .collect();
    assert_eq!(
        names,
        [
            (tenants[0].clone(), "Tenant 0".to_owned()),
            (tenants[2].clone(), "Tenant 2".to_owned()),
        ]
    );
}

#[test]
fn the_pending_view_names_the_tenants_of_the_setup() {
    let mut r = Run::new(new_company());
    let only = m365(VAULT_TENANT);
    to_verifying(&mut r, std::slice::from_ref(&only));
    let shown: Vec<_> = r
        .view()
        .tenant_names
        .iter()
        .map(|n| (n.tenant.clone(), n.name.clone()))
        .collect();
    assert_eq!(shown, [(only, "Tenant 0".to_owned())]);
}

#[test]
fn refresh_keeps_verified_tenants_and_a_removed_one_no_longer_blocks() {
    let mut r = Run::new(new_company());
    let (a, b) = (m365(VAULT_TENANT), google("C01abcd23"));
    to_verifying(&mut r, &[a.clone(), b.clone()]);
    verify(&mut r, &a);
    let fx = r.fx(Event::Refresh { actor: admin() });
    let attempt = r.attempt();
    assert_eq!(
        fx,
        vec![
            audit(ADMIN, A::Refresh, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt }),
        ]
    );
    // b left the backup sets: only a is left, verified, so finalization starts.
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(inventory(std::slice::from_ref(&a))),
    });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(
                ADMIN,
                A::InventoryLoaded,
                O::Succeeded,
                "1 tenant(s) in the inventory"
            ),
            audit(SYSTEM, A::FinalizeStarted, O::Succeeded),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Finalizing);
    assert_eq!(r.m.setup().unwrap().tenants().len(), 1);
}

// ---------- cancel ----------

/// Cancels and checks what every cancel leaves: the provider unchanged, no
/// step in flight, no sign-in of the setup, the alarm cleared.
fn cancel(r: &mut Run) {
    let provider = r.m.provider().clone();
    let key = r.m.key().clone();
    let fx = r.fx(Event::Cancel { actor: admin() });
    assert_eq!(fx[0], audit(ADMIN, A::Cancel, O::Succeeded));
    assert!(
        fx[1..].is_empty() || fx[1..] == [Fx::Do(Effect::ClearAlarm)],
        "{fx:?}"
    );
    assert_eq!(r.m.stage(), Stage::Cancelled);
    assert!(r.m.setup().is_none() && r.m.lease().is_none());
    assert!(r.m.sign_ins().is_empty());
    assert_eq!((r.m.provider(), r.m.key()), (&provider, &key));
    assert_eq!(r.m.next_deadline_ms(), None);
    assert_eq!(r.alarm, None);
}

#[test]
fn cancel_at_every_stage_before_the_commit() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];

    // Awaiting consent, with a state out.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    cancel(&mut r);
    let fx = r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::ConsentOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            vault_name: None,
        })]
    );

    // Draft.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.ok(Event::ConsentCallback {
        nonce,
        answer: ConsentAnswer::default(),
    });
    assert_eq!(r.m.stage(), Stage::Draft);
    cancel(&mut r);

    // Proving the consent: its late result is stale.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    let attempt = r.attempt();
    cancel(&mut r);
    assert_eq!(
        r.refused(Event::ConsentProven {
            attempt,
            result: Ok(proof()),
        }),
        stale()
    );

    // Awaiting role assignment.
    let mut r = Run::new(new_company());
    to_role_assignment(&mut r);
    cancel(&mut r);

    // Testing the connection.
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    let attempt = r.attempt();
    cancel(&mut r);
    let at = r.now;
    assert_eq!(
        r.refused(Event::ConnectionTested {
            attempt,
            result: Ok(tested(&target(1), 1, at)),
        }),
        stale()
    );

    // Tested, and Save's read in flight.
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    cancel(&mut r);
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    r.ok(Event::Save { actor: admin() });
    let attempt = r.attempt();
    cancel(&mut r);
    assert_eq!(
        r.refused(Event::InventoryRead {
            attempt,
            result: Ok(inventory(&tenants)),
        }),
        stale()
    );

    // Verifying tenants: a sign-in out and a code exchange in flight.
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let waiting = begin(&mut r, &tenants[0], "a");
    let exchanging = begin(&mut r, &tenants[1], "b");
    let hash = callback(&mut r, &exchanging);
    assert_eq!(r.m.sign_ins().len(), 2);
    cancel(&mut r);
    assert_eq!(
        r.refused(Event::CodeExchanged {
            nonce_sha256: hash,
            result: Ok("admin".into()),
        }),
        stale()
    );
    let fx = r.ok(Event::VerifyCallback {
        nonce: waiting,
        answer: code("c"),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            tenant: None,
            finalizing: false,
            export_open: false,
        })]
    );

    // Verifying tenants, Refresh's read in flight.
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    r.ok(Event::Refresh { actor: admin() });
    cancel(&mut r);

    // Finalizing: the final read in flight.
    let mut r = Run::new(new_company());
    to_finalizing(&mut r, &tenants);
    let attempt = r.attempt();
    cancel(&mut r);
    assert_eq!(
        r.refused(Event::InventoryRead {
            attempt,
            result: Ok(inventory(&tenants)),
        }),
        stale()
    );

    // Finalizing: an attempt failed, the retry waits.
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &tenants);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Err(CatalogError::AzureUnavailable),
    });
    assert!(!r.m.setup().unwrap().commit_issued());
    assert!(r.m.lease().is_none());
    cancel(&mut r);
}

#[test]
fn cancel_is_refused_once_the_commit_is_issued_and_without_a_setup() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    assert_eq!(
        r.refused(Event::Cancel { actor: admin() }),
        CatalogError::InvalidTransition {
            state: "idle".into(),
            event: "cancel".into()
        }
    );
    to_wrap(&mut r, &tenants);
    let refusal = CatalogError::InvalidTransition {
        state: "finalizing".into(),
        event: "cancel".into(),
    };
    assert_eq!(r.refused(Event::Cancel { actor: admin() }), refusal);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Ok((kid(&target(1), 2), "azure-blob".into())),
    });
    assert_eq!(r.refused(Event::Cancel { actor: admin() }), refusal);
    let attempt = r.attempt();
    r.ok(Event::WrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(
        r.refused(Event::Cancel { actor: admin() }),
        CatalogError::InvalidTransition {
            state: "done".into(),
            event: "cancel".into()
        }
    );
}

// ---------- expired leases ----------

/// Moves the clock to when the lease in flight expires.
fn expire(r: &mut Run) -> u64 {
    let until = r.m.lease().expect("a step in flight").until_ms;
    assert_eq!(r.alarm, Some(until), "the alarm is armed for the lease");
    r.now = until;
    until
}

#[test]
fn an_interrupted_connection_test_starts_again_once_then_fails() {
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    let first = r.attempt();
    expire(&mut r);
    let fx = r.ok_now(Event::Tick);
    let second = r.attempt();
    assert_ne!(first, second);
    assert_eq!(
        project(&fx),
        vec![
            audit_note(
                SYSTEM,
                A::LeaseExpired,
                O::Succeeded,
                "connection test: started again"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::TestConnection {
                attempt: second,
                target: target(1),
                tenant: tenant_id(VAULT_TENANT),
            }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::TestingConnection);
    assert_eq!(r.m.lease().unwrap().restarts, 1);
    // The first run's late answer is stale.
    let at = r.now;
    assert_eq!(
        r.refused(Event::ConnectionTested {
            attempt: first,
            result: Ok(tested(&target(1), 1, at)),
        }),
        stale()
    );
    // Cut off again: the test fails with step_interrupted.
    expire(&mut r);
    let fx = r.ok_now(Event::Tick);
    assert_eq!(
        project(&fx),
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::Draft);
    assert_eq!(setup.last_error().unwrap().code, "step_interrupted");
    assert!(r.m.lease().is_none());
    assert_eq!(r.m.progress().last_error.unwrap().code, "step_interrupted");
}

#[test]
fn a_command_resolves_an_expired_lease_before_it_runs() {
    // Nobody's alarm fired, but the admin clicks Test again after the lease.
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    expire(&mut r);
    r.now += 1;
    let e = r.refused(Event::Test { actor: admin() });
    assert_eq!(
        e,
        CatalogError::InvalidTransition {
            state: "testing_connection".into(),
            event: "test_connection".into()
        },
    );
    // Cancel, though, resolves and cancels in one step.
    let fx = r.fx(Event::Cancel { actor: admin() });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(
                SYSTEM,
                A::LeaseExpired,
                O::Succeeded,
                "connection test: started again"
            ),
            audit(ADMIN, A::Cancel, O::Succeeded),
        ]
    );
    assert!(r.m.lease().is_none());
}

#[test]
fn an_interrupted_consent_proof_fails_the_consent() {
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    let attempt = r.attempt();
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Draft);
    assert_eq!(
        r.refused(Event::ConsentProven {
            attempt,
            result: Ok(proof()),
        }),
        stale()
    );
}

#[test]
fn an_interrupted_inventory_read_changes_nothing() {
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    r.ok(Event::Save { actor: admin() });
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Tested);
    // Save again works.
    let fx = r.ok(Event::Save { actor: admin() });
    assert!(matches!(calls(&fx)[0], Effect::ReadInventory { .. }));
}

#[test]
fn finalization_retries_with_back_off_after_failures_and_crashes() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    to_finalizing(&mut r, &tenants);
    let base = r.policy.retry_base_ms;

    // 1. The final read is cut off: the alarm fails the attempt.
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    let retry_at = r.now + 2 * base;
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            audit_note(SYSTEM, A::Finalize, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ArmAlarm { at_ms: retry_at }),
        ]
    );
    let fin = r.m.setup().unwrap().finalize().unwrap().clone();
    assert_eq!((fin.attempts, fin.next_retry_at_ms), (1, Some(retry_at)));
    assert_eq!(r.m.provider(), &Provider::Platform);
    assert_eq!(r.m.progress().attempts, 1);
    // Before it is due, a tick does nothing but re-arm.
    r.now = retry_at - 1;
    let fx = r.ok_now(Event::Tick);
    assert_eq!(fx, vec![Effect::ArmAlarm { at_ms: retry_at }]);

    // 2. The alarm retries: the read again, then the wrap fails.
    r.now = retry_at;
    let fx = r.ok_now(Event::Tick);
    let attempt = r.attempt();
    assert_eq!(
        project(&fx),
        vec![
            audit_note(SYSTEM, A::FinalizeRetry, O::Succeeded, "attempt 2"),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt }),
        ]
    );
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    let attempt = r.attempt();
    let fx = r.fx(Event::Wrapped {
        attempt,
        result: Err(CatalogError::Throttled),
    });
    let retry_at = r.now + 4 * base;
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::Finalize, O::Failed, "throttled"),
            Fx::Do(Effect::ArmAlarm { at_ms: retry_at }),
        ]
    );
    assert_eq!(
        r.m.progress().last_error.unwrap().code,
        "throttled",
        "the failure is shown"
    );

    // 3. Retry: wrapped, then the verification is cut off. The next attempt
    //    verifies the same blob instead of wrapping twice.
    r.now = retry_at;
    r.ok_now(Event::Tick);
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    let attempt = r.attempt();
    let k = kid(&target(1), 7);
    r.ok(Event::Wrapped {
        attempt,
        result: Ok((k.clone(), "blob-7".into())),
    });
    let verify_attempt = r.attempt();
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    let retry_at = r.now + 8 * base;
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            audit_note(SYSTEM, A::Finalize, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ArmAlarm { at_ms: retry_at }),
        ]
    );
    assert_eq!(
        r.refused(Event::WrapVerified {
            attempt: verify_attempt,
            result: Ok(()),
        }),
        stale()
    );
    assert_eq!(r.m.provider(), &Provider::Platform);
    r.now = retry_at;
    r.ok_now(Event::Tick);
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    assert!(
        matches!(&calls(&fx)[0], Effect::VerifyWrap { kid, blob, .. } if *kid == k && blob == "blob-7"),
        "verifies the blob of the earlier attempt: {fx:?}"
    );
    let attempt = r.attempt();
    r.ok(Event::WrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(r.m.stage(), Stage::Done);
    assert!(matches!(r.m.provider(), Provider::AzureKeyVault { kid, .. } if *kid == k));
    assert_eq!(r.m.key().blob, "blob-7");
}

#[test]
fn a_failed_verification_discards_the_blob_and_wraps_again() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &tenants);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Ok((kid(&target(1), 2), "blob-bad".into())),
    });
    let attempt = r.attempt();
    let fx = r.fx(Event::WrapVerified {
        attempt,
        result: Err(CatalogError::UnexpectedAnswer {
            service: "Azure Key Vault".into(),
        }),
    });
    assert_eq!(
        fx[0],
        audit_note(SYSTEM, A::Finalize, O::Failed, "unexpected_answer")
    );
    assert_eq!(r.m.provider(), &Provider::Platform);
    let retry =
        r.m.setup()
            .unwrap()
            .finalize()
            .unwrap()
            .next_retry_at_ms
            .unwrap();
    r.now = retry;
    r.ok_now(Event::Tick);
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    assert!(
        matches!(calls(&fx)[0], Effect::Wrap { .. }),
        "wraps again: {fx:?}"
    );

    // A wrap answered with another key's kid is not believed either.
    let attempt = r.attempt();
    let fx = r.fx(Event::Wrapped {
        attempt,
        result: Ok((kid(&target(2), 2), "blob-other".into())),
    });
    assert_eq!(
        fx[0],
        audit_note(SYSTEM, A::Finalize, O::Failed, "unexpected_answer")
    );
    assert_eq!(r.m.provider(), &Provider::Platform);
}

#[test]
fn an_interrupted_code_exchange_fails_the_tenant() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let nonce = begin(&mut r, &tenants[0], "a");
    let hash = callback(&mut r, &nonce);
    let until = r.m.sign_ins()[0].exchanging_until_ms.unwrap();
    assert_eq!(r.alarm, Some(until));
    r.now = until;
    let fx = r.ok_now(Event::Tick);
    assert_eq!(
        project(&fx),
        vec![
            audit_note(
                ADMIN,
                A::TenantVerification,
                O::Failed,
                &format!("Microsoft 365 tenant {VAULT_TENANT}: step_interrupted")
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert!(r.m.sign_ins().is_empty());
    assert!(matches!(
        &r.m.setup().unwrap().tenants()[0].status,
        TenantStatus::Failed { reason } if reason.code == "step_interrupted"
    ));
    assert_eq!(
        r.refused(Event::CodeExchanged {
            nonce_sha256: hash,
            result: Ok("admin".into()),
        }),
        stale()
    );
}

#[test]
fn an_interrupted_export_keeps_the_window_closed() {
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(r.export());
    let attempt = r.attempt();
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    assert_eq!(
        fx,
        vec![
            audit_note(
                SYSTEM,
                A::LeaseExpired,
                O::Failed,
                "step_interrupted: export window stays closed"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
        ]
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    assert_eq!(
        r.refused(Event::Exported {
            attempt,
            result: Err(CatalogError::AzureUnavailable),
        }),
        stale(),
        "a late failure does not reopen it"
    );
    let fx = r.ok(r.export());
    assert_eq!(
        calls(&fx)[0],
        Effect::Reply(Reply::Error(CatalogError::ExportNotAvailable))
    );
}

#[test]
fn interrupted_round_reads_and_moves_change_nothing() {
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    let before = r.m.clone();
    r.ok(Event::BeginExportRound { actor: admin() });
    expire(&mut r);
    let fx = r.fx(Event::Tick);
    assert_eq!(
        fx,
        vec![
            audit_note(SYSTEM, A::LeaseExpired, O::Failed, "step_interrupted"),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
        ]
    );
    assert!(r.m.export_round().is_none());
    r.ok(Event::MoveToAwsKms {
        actor: admin(),
        key_id: "arn:aws:kms:eu-west-1:1:key/k".into(),
    });
    expire(&mut r);
    r.ok_now(Event::Tick);
    assert_eq!(
        (r.m.provider(), r.m.key()),
        (before.provider(), before.key())
    );
    assert!(r.m.lease().is_none());
}

// ---------- stale results and states ----------

#[test]
fn results_of_another_attempt_are_refused() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    let attempt = r.attempt();
    let at = r.now;
    // Wrong attempt, and results of another step with the right attempt.
    for event in [
        Event::ConnectionTested {
            attempt: attempt + 1,
            result: Ok(tested(&target(1), 1, at)),
        },
        Event::ConsentProven {
            attempt,
            result: Ok(proof()),
        },
        Event::InventoryRead {
            attempt,
            result: Ok(inventory(&tenants)),
        },
        Event::Wrapped {
            attempt,
            result: Ok((kid(&target(1), 2), "b".into())),
        },
        Event::WrapVerified {
            attempt,
            result: Ok(()),
        },
        Event::Exported {
            attempt,
            result: Ok(()),
        },
        Event::MovedToAws {
            attempt,
            result: Ok(("arn:aws:kms:eu-west-1:1:key/k".into(), "aws-blob".into())),
        },
        Event::CodeExchanged {
            nonce_sha256: "00".repeat(32),
            result: Ok("admin".into()),
        },
    ] {
        let name = event.name();
        assert_eq!(r.refused(event), stale(), "{name}");
    }
    // The right one is still accepted.
    r.ok(Event::ConnectionTested {
        attempt,
        result: Ok(tested(&target(1), 1, at)),
    });
    assert_eq!(r.m.stage(), Stage::Tested);
    // With nothing in flight every result is stale.
    assert_eq!(
        r.refused(Event::ConnectionTested {
            attempt,
            result: Ok(tested(&target(1), 1, at)),
        }),
        stale()
    );
}

#[test]
fn a_state_of_the_other_flow_is_named_and_changes_nothing() {
    // The consent sign-in's nonce at the verification callback.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    let before = r.m.clone();
    let fx = r.ok(Event::VerifyCallback {
        nonce,
        answer: code("c"),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateWrongFlow),
            tenant: None,
            finalizing: false,
            export_open: false,
        })]
    );
    assert_eq!(r.m, before);
    // A verification sign-in's nonce at the consent callback.
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let nonce = begin(&mut r, &tenants[0], "v");
    let before = r.m.clone();
    let fx = r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::ConsentOutcome {
            error: Some(CatalogError::OAuthStateWrongFlow),
            vault_name: None,
        })]
    );
    assert_eq!(r.m, before);
}

#[test]
fn a_state_works_once() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let nonce = begin(&mut r, &tenants[0], "a");
    callback(&mut r, &nonce);
    let expired = CatalogError::OAuthStateUsed;
    let outcome = Effect::Reply(Reply::VerifyOutcome {
        error: Some(expired),
        tenant: None,
        finalizing: false,
        export_open: false,
    });
    // While its code is exchanged, and after.
    let before = r.m.clone();
    let fx = r.ok(Event::VerifyCallback {
        nonce: nonce.clone(),
        answer: code("again"),
    });
    assert_eq!(fx, vec![outcome.clone()]);
    assert_eq!(r.m, before);
    let hash = r.m.sign_ins()[0].state.nonce_sha256.clone();
    r.ok(Event::CodeExchanged {
        nonce_sha256: hash.clone(),
        result: Ok("admin".into()),
    });
    let fx = r.ok(Event::VerifyCallback {
        nonce,
        answer: code("again"),
    });
    assert_eq!(fx, vec![outcome.clone()]);
    assert_eq!(
        r.refused(Event::CodeExchanged {
            nonce_sha256: hash,
            result: Ok("admin".into()),
        }),
        stale()
    );
    // A state the model never issued (the edge's MAC check stops a forged
    // one first): an unknown state is taken as expired.
    let unknown = Effect::Reply(Reply::VerifyOutcome {
        error: Some(CatalogError::OAuthStateExpired),
        tenant: None,
        finalizing: false,
        export_open: false,
    });
    let fx = r.ok(Event::VerifyCallback {
        nonce: "forged".into(),
        answer: code("c"),
    });
    assert_eq!(fx, vec![unknown.clone()]);
    // An expired one: dropped when due, then unknown.
    let nonce = begin(&mut r, &tenants[1], "b");
    r.now += r.policy.state_ttl_ms;
    let fx = r.ok_now(Event::Tick);
    assert_eq!(fx, vec![Effect::ClearAlarm]);
    assert!(r.m.sign_ins().is_empty());
    let fx = r.ok(Event::VerifyCallback {
        nonce,
        answer: code("c"),
    });
    assert_eq!(fx, vec![unknown]);
    // The same for the consent state.
    let mut r = Run::new(new_company());
    let nonce = to_awaiting_consent(&mut r);
    r.now += r.policy.state_ttl_ms;
    let fx = r.ok_now(Event::Tick);
    assert_eq!(fx, vec![Effect::ClearAlarm]);
    let before = r.m.clone();
    let fx = r.ok(Event::ConsentCallback {
        nonce,
        answer: consent_ok(),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::ConsentOutcome {
            error: Some(CatalogError::OAuthStateExpired),
            vault_name: None,
        })]
    );
    assert_eq!(r.m, before);
}

#[test]
fn a_sign_in_of_an_old_setup_or_round_does_not_count() {
    let tenants = [m365(VAULT_TENANT)];
    // A sign-in of a cancelled setup, answered during the next setup.
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let old = begin(&mut r, &tenants[0], "old");
    cancel(&mut r);
    to_verifying(&mut r, &tenants);
    let before = r.m.clone();
    let fx = r.ok(Event::VerifyCallback {
        nonce: old,
        answer: code("c"),
    });
    assert_eq!(
        fx,
        vec![Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            tenant: None,
            finalizing: false,
            export_open: false,
        })]
    );
    assert_eq!(r.m, before);

    // A second sign-in for a tenant that another one verified meanwhile: the
    // setup is finalizing, so the late one is spent without effect.
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let first = begin(&mut r, &tenants[0], "1");
    let second = begin(&mut r, &tenants[0], "2");
    let hash = callback(&mut r, &first);
    r.ok(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("admin".into()),
    });
    assert_eq!(r.m.stage(), Stage::Finalizing);
    let fx = r.ok(Event::VerifyCallback {
        nonce: second,
        answer: code("c"),
    });
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            ..
        })
    ));
    assert!(r.m.sign_ins().is_empty());
    assert_eq!(r.m.stage(), Stage::Finalizing);

    // A sign-in of an earlier export round.
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    let old = begin(&mut r, &tenants[0], "r1");
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    assert!(r.m.sign_ins().is_empty(), "the old round's sign-in is gone");
    let fx = r.ok(Event::VerifyCallback {
        nonce: old,
        answer: code("c"),
    });
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            ..
        })
    ));
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
}

// ---------- export ----------

#[test]
fn export_once_then_a_round_of_verifications_reopens_it() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    // An export that fails hands the chance back.
    r.ok(r.export());
    let attempt = r.attempt();
    let fx = r.fx(Event::Exported {
        attempt,
        result: Err(CatalogError::AzureUnavailable),
    });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(ADMIN, A::CompanyKeyExport, O::Failed, "azure_unavailable"),
            Fx::Do(Effect::Reply(Reply::Error(CatalogError::AzureUnavailable))),
        ]
    );
    assert!(matches!(r.m.export_window(), ExportWindow::Open { .. }));
    r.ok(r.export());
    // Two exports at once: the second is refused while the first runs.
    assert!(matches!(
        r.refused(r.export()),
        CatalogError::Conflict { .. }
    ));
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    let fx = r.fx(r.export());
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::CompanyKeyExport,
                O::Refused,
                "export_not_available"
            ),
            Fx::Do(Effect::Reply(Reply::Error(
                CatalogError::ExportNotAvailable
            ))),
        ]
    );

    // A round: every tenant of the inventory is verified again.
    let fx = r.fx(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt }),
        ]
    );
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::ExportVerificationStarted,
                O::Succeeded,
                "2 tenant(s) to verify"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
        ]
    );
    assert_eq!(
        r.m.export_verification(i64::try_from(r.now / 1000).unwrap(), &r.policy)
            .tenants
            .len(),
        2
    );
    assert!(
        !r.m.export_verification(i64::try_from(r.now / 1000).unwrap(), &r.policy)
            .export_open
    );
    let nonce = begin(&mut r, &tenants[0], "x");
    let hash = callback(&mut r, &nonce);
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("ga".into()),
    });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(
                ADMIN,
                A::ExportTenantVerification,
                O::Succeeded,
                &format!("Microsoft 365 tenant {VAULT_TENANT} verified by ga")
            ),
            Fx::Do(Effect::Reply(Reply::VerifyOutcome {
                error: None,
                tenant: Some(tenants[0].clone()),
                finalizing: false,
                export_open: false,
            })),
        ]
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    let nonce = begin(&mut r, &tenants[1], "y");
    let hash = callback(&mut r, &nonce);
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("sa".into()),
    });
    assert_eq!(
        without_alarm(&fx)[..3],
        [
            audit_note(
                ADMIN,
                A::ExportTenantVerification,
                O::Succeeded,
                "Google Workspace customer C01abcd23 verified by sa"
            ),
            audit(ADMIN, A::ExportReopened, O::Succeeded),
            Fx::Do(Effect::Reply(Reply::VerifyOutcome {
                error: None,
                tenant: Some(tenants[1].clone()),
                finalizing: false,
                export_open: true,
            })),
        ]
    );
    assert!(matches!(r.m.export_window(), ExportWindow::Open { .. }));
    assert!(r.m.export_round().is_none());
    let fx = r.ok(r.export());
    assert!(matches!(calls(&fx)[0], Effect::ExportKey { .. }));
}

/// After the one-time export, a round whose inventory lists no backup set.
fn to_empty_round(r: &mut Run) {
    complete(r, &[m365(VAULT_TENANT)]);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(Inventory::default()),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::ExportVerificationStarted,
                O::Succeeded,
                "0 tenant(s) to verify: the inventory lists no backup set (confirm there is nothing to verify)"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(r)
            }),
        ]
    );
}

#[test]
fn a_round_with_an_empty_inventory_opens_only_when_an_admin_confirms() {
    let mut r = Run::new(new_company());
    to_empty_round(&mut r);
    // Nothing opened by itself: the round waits for the confirmation.
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    let view =
        r.m.export_verification(i64::try_from(r.now / 1000).unwrap(), &r.policy);
    assert!(view.verifying && view.nothing_to_verify && !view.export_open);
    assert!(view.tenants.is_empty());
    let fx = r.fx(r.export());
    assert_eq!(
        fx[0],
        audit_note(
            ADMIN,
            A::CompanyKeyExport,
            O::Refused,
            "export_not_available"
        )
    );

    // The confirmation reads the inventory once more ...
    let fx = r.ok(Event::ConfirmNoExportTenants { actor: admin() });
    let attempt = r.attempt();
    assert_eq!(calls(&fx), vec![Effect::ReadInventory { attempt }]);
    assert!(project(&fx).iter().all(|f| !matches!(f, Fx::Audit(..))));
    // ... and counts when it still lists none: one export is allowed.
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(Inventory::default()),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit_note(
                ADMIN,
                A::ExportNoTenantsConfirmed,
                O::Succeeded,
                "the inventory lists no backup set"
            ),
            audit(ADMIN, A::ExportReopened, O::Succeeded),
        ]
    );
    assert!(matches!(r.m.export_window(), ExportWindow::Open { .. }));
    assert!(r.m.export_round().is_none());
    let fx = r.ok(r.export());
    assert!(matches!(calls(&fx)[0], Effect::ExportKey { .. }));
}

#[test]
fn a_backup_set_that_appears_before_the_confirmation_must_be_verified() {
    let mut r = Run::new(new_company());
    to_empty_round(&mut r);
    let round_id = r.m.export_round().expect("a round").id.clone();
    r.ok(Event::ConfirmNoExportTenants { actor: admin() });
    let attempt = r.attempt();
    let tenant = m365(OTHER_TENANT);
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(inventory(std::slice::from_ref(&tenant))),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit_note(
                ADMIN,
                A::ExportNoTenantsConfirmed,
                O::Failed,
                "the inventory now lists 1 tenant(s)"
            ),
            audit_note(
                ADMIN,
                A::ExportVerificationStarted,
                O::Succeeded,
                "1 tenant(s) to verify"
            ),
            Fx::Do(Effect::Reply(Reply::Error(CatalogError::Conflict {
                reason: "The backup sets now name 1 tenant(s) to verify; verify them instead"
                    .into()
            }))),
        ]
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    let round = r.m.export_round().expect("the round started again");
    assert_ne!(
        round.id, round_id,
        "a new round: older sign-ins no longer count"
    );
    assert_eq!(round.tenants.len(), 1);
    assert_eq!(round.tenants[0].status, TenantStatus::Unverified);
    // Confirming again is refused now: the tenant must be verified.
    let err = r.refused(Event::ConfirmNoExportTenants { actor: admin() });
    assert!(matches!(err, CatalogError::Conflict { .. }), "{err:?}");
    // A refusal of the admin's command is recorded; nothing else changes.
    let ctx = r.ctx();
    let (next, fx) = refusal(
        &r.m,
        &Event::ConfirmNoExportTenants { actor: admin() },
        &err,
        &ctx,
    )
    .expect("recorded");
    assert_eq!(
        project(&fx),
        vec![audit_note(
            ADMIN,
            A::ExportNoTenantsConfirmed,
            O::Refused,
            "conflict"
        )]
    );
    assert_eq!(next.export_round(), r.m.export_round());
    // Verifying it opens the export as for any round.
    verify(&mut r, &tenant);
    assert!(matches!(r.m.export_window(), ExportWindow::Open { .. }));
}

#[test]
fn every_refused_admin_command_is_audited_with_its_own_action() {
    // `refusal` is how the interpreter records a refused command: who tried
    // what and why. Each admin command has its own action; results,
    // callbacks and the alarm are not recorded (a forged request must not
    // fill the trail).
    let commands = [
        (start_event(1), A::SwitchStarted),
        (issue_consent(), A::ConsentLinkIssued),
        (Event::Test { actor: admin() }, A::ConnectionTestRequested),
        (Event::Save { actor: admin() }, A::Save),
        (Event::Refresh { actor: admin() }, A::Refresh),
        (Event::Cancel { actor: admin() }, A::Cancel),
        (
            Event::ConfirmNoTenants { actor: admin() },
            A::NoTenantsConfirmed,
        ),
        (
            Event::BeginVerify {
                actor: admin(),
                tenant: m365(VAULT_TENANT),
                sign_in: sign_in("v"),
            },
            A::TenantVerificationStarted,
        ),
        (
            Event::Export {
                actor: admin(),
                signed_in_at: None,
            },
            A::CompanyKeyExport,
        ),
        (
            Event::BeginExportRound { actor: admin() },
            A::ExportVerificationStarted,
        ),
        (
            Event::ConfirmNoExportTenants { actor: admin() },
            A::ExportNoTenantsConfirmed,
        ),
        (
            Event::MoveToAwsKms {
                actor: admin(),
                key_id: "k-1".into(),
            },
            A::MovedToAwsKms,
        ),
        (Event::RewrapNow { actor: admin() }, A::RewrapRequested),
        (Event::CheckNow { actor: admin() }, A::HealthCheckRequested),
        (
            Event::CheckConfiguration { actor: admin() },
            A::ConfigurationChecked,
        ),
    ];
    let e = CatalogError::Conflict {
        reason: "refused for the test".into(),
    };
    let mut r = Run::new(new_company());
    let ctx = r.ctx();
    for (event, action) in &commands {
        let (next, fx) = refusal(&r.m, event, &e, &ctx)
            .unwrap_or_else(|| panic!("{} is not recorded", event.name()));
        assert_eq!(
            project(&fx),
            vec![audit_note(ADMIN, *action, O::Refused, "conflict")],
            "{}",
            event.name()
        );
        assert_eq!(
            same_but_audit_seq(&next, &r.m),
            r.m,
            "{}: only the trail changes",
            event.name()
        );
    }
    // A new target while a setup is pending is an edit of it.
    r.ok(start_event(1));
    let ctx = r.ctx();
    let (_, fx) = refusal(&r.m, &start_event(2), &e, &ctx).expect("recorded");
    assert_eq!(
        project(&fx),
        vec![audit_note(ADMIN, A::TargetEdited, O::Refused, "conflict")]
    );
    for event in [
        Event::Tick,
        Event::VerifyCallback {
            nonce: "n".into(),
            answer: code("c"),
        },
        Event::BackupSetsCounted { result: Ok(1) },
    ] {
        assert!(
            refusal(&r.m, &event, &e, &ctx).is_none(),
            "{} recorded",
            event.name()
        );
    }
}

#[test]
fn confirming_an_empty_round_needs_one() {
    // No round at all.
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    assert!(matches!(
        r.refused(Event::ConfirmNoExportTenants { actor: admin() }),
        CatalogError::InvalidTransition { .. }
    ));
    // A round is refused while a setup is pending; so is a confirmation.
    let mut r = Run::new(new_company());
    to_empty_round(&mut r);
    r.ok(start_event(2));
    assert!(matches!(
        r.refused(Event::BeginExportRound { actor: admin() }),
        CatalogError::Conflict { .. }
    ));
    assert!(matches!(
        r.refused(Event::ConfirmNoExportTenants { actor: admin() }),
        CatalogError::Conflict { .. }
    ));
}

#[test]
fn an_admin_at_microsoft_or_google_is_named_on_what_they_did() {
    let mut r = Run::new(new_company());
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    to_verifying(&mut r, &tenants);
    let mut seen = Vec::new();
    for t in &tenants {
        for e in verify(&mut r, t) {
            if let Effect::Audit(a) = e
                && a.action == A::TenantVerified
            {
                seen.push(a.outside_admin.clone().expect("the outside admin"));
            }
        }
    }
    assert_eq!(
        seen.iter()
            .map(|a| (a.provider, a.account.as_str()))
            .collect::<Vec<_>>(),
        [
            (IdentityProvider::Microsoft, "admin@tenant"),
            (IdentityProvider::Google, "admin@tenant"),
        ]
    );
    // The admin's own commands name nobody outside.
    let mut r = Run::new(new_company());
    let fx = r.ok(start_event(1));
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(_))));
    for e in fx {
        if let Effect::Audit(a) = e {
            assert_eq!(a.outside_admin, None, "{a:?}");
        }
    }
}

// ---------- AWS KMS ----------

#[test]
fn move_to_aws_kms_and_back_to_azure() {
    // The operator names the key by an alias; AWS KMS reports its ARN.
    let alias = "alias/keyswitch".to_owned();
    let key_id = "arn:aws:kms:eu-west-1:111122223333:key/k-1".to_owned();
    let mut r = Run::new(new_company());
    let fx = r.fx(Event::MoveToAwsKms {
        actor: admin(),
        key_id: alias.clone(),
    });
    let attempt = r.attempt();
    assert_eq!(
        fx,
        vec![
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::RewrapToAws {
                attempt,
                old: (Provider::Platform, platform_key()),
                key_id: alias.clone(),
            }),
        ]
    );
    // A failure leaves the provider as it was.
    let fx = r.fx(Event::MovedToAws {
        attempt,
        result: Err(CatalogError::NotFound {
            what: "AWS KMS key".into(),
        }),
    });
    assert_eq!(
        fx[0],
        audit_note(ADMIN, A::MovedToAwsKms, O::Failed, "not_found")
    );
    assert_eq!(r.m.provider(), &Provider::Platform);

    r.ok(Event::MoveToAwsKms {
        actor: admin(),
        key_id: alias.clone(),
    });
    let attempt = r.attempt();
    let fx = r.fx(Event::MovedToAws {
        attempt,
        result: Ok((key_id.clone(), "aws-blob".into())),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::MovedToAwsKms, O::Succeeded, &key_id),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(
        r.m.provider(),
        &Provider::AwsKms {
            key_id: key_id.clone()
        }
    );
    assert_eq!(
        r.m.key(),
        &WrappedKey {
            blob: "aws-blob".into(),
            created_at_ms: platform_key().created_at_ms,
            azure_tenant: None,
        }
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
    // The same key again is refused.
    assert_eq!(
        r.refused(Event::MoveToAwsKms {
            actor: admin(),
            key_id: key_id.clone(),
        }),
        CatalogError::InvalidTransition {
            state: "idle".into(),
            event: "move_to_aws_kms".into()
        }
    );
    // A switch from AWS KMS unwraps with AWS KMS.
    let aws = (
        Provider::AwsKms {
            key_id: key_id.clone(),
        },
        r.m.key().clone(),
    );
    let tenants = [m365(VAULT_TENANT)];
    to_finalizing(&mut r, &tenants);
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    assert!(
        matches!(&calls(&fx)[0], Effect::Wrap { old, .. } if *old == aws),
        "{fx:?}"
    );
    // While a setup is pending the move is refused.
    assert!(matches!(
        r.refused(Event::MoveToAwsKms {
            actor: admin(),
            key_id: "arn:aws:kms:eu-west-1:1:key/other".into(),
        }),
        CatalogError::Conflict { .. }
    ));
}

// ---------- storage ----------

#[test]
fn the_model_round_trips_through_json_and_hides_secrets() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    let nonce = begin(&mut r, &tenants[0], "secret-label");
    callback(&mut r, &nonce);
    begin(&mut r, &tenants[1], "second");
    r.ok(Event::Refresh { actor: admin() });
    let mut snapshots = vec![r.m.clone()];
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &tenants);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Ok((kid(&target(1), 2), "azure-blob".into())),
    });
    snapshots.push(r.m.clone());
    let attempt = r.attempt();
    r.ok(Event::WrapVerified {
        attempt,
        result: Ok(()),
    });
    r.ok(Event::BeginExportRound { actor: admin() });
    snapshots.push(r.m.clone());
    for m in snapshots {
        let json = serde_json::to_string(&m).unwrap();
        let back: Company = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.next_deadline_ms(), m.next_deadline_ms());
        // PKCE verifiers are stored, but never shown in Debug.
        let debug = format!("{m:?}");
        assert!(!debug.contains("pkce-"), "{debug}");
    }
}

// ---------- a verification that completes while another step runs ----------

#[test]
fn a_verification_completing_during_refresh_waits_for_its_read() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants);
    verify(&mut r, &tenants[0]);
    let nonce = begin(&mut r, &tenants[1], "last");
    let hash = callback(&mut r, &nonce);
    r.ok(Event::Refresh { actor: admin() });
    let refresh = r.attempt();
    // The last verification arrives while Refresh's read runs: it counts,
    // and the read in flight keeps its lease.
    let fx = r.fx(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("sa".into()),
    });
    assert_eq!(
        calls_fx(&fx)[0],
        Fx::Do(Effect::Reply(Reply::VerifyOutcome {
            error: None,
            tenant: Some(tenants[1].clone()),
            finalizing: false,
            export_open: false,
        }))
    );
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    assert_eq!(r.attempt(), refresh);
    // Refresh's read then starts the finalization.
    let fx = r.fx(Event::InventoryRead {
        attempt: refresh,
        result: Ok(inventory(&tenants)),
    });
    assert_eq!(
        without_alarm(&fx)[..2],
        [
            audit_note(
                ADMIN,
                A::InventoryLoaded,
                O::Succeeded,
                "2 tenant(s) in the inventory"
            ),
            audit(SYSTEM, A::FinalizeStarted, O::Succeeded),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Finalizing);

    // If that read fails, the finalization starts all the same.
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &tenants[..1]);
    let nonce = begin(&mut r, &tenants[0], "only");
    let hash = callback(&mut r, &nonce);
    r.ok(Event::Refresh { actor: admin() });
    let refresh = r.attempt();
    r.ok(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("ga".into()),
    });
    let fx = r.fx(Event::InventoryRead {
        attempt: refresh,
        result: Err(CatalogError::Internal),
    });
    let attempt = r.attempt();
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::InventoryLoaded, O::Failed, "internal"),
            audit(SYSTEM, A::FinalizeStarted, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::Reply(Reply::Error(CatalogError::Internal))),
            Fx::Do(Effect::ReadInventory { attempt }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Finalizing);
}

#[test]
fn a_verification_completing_during_an_export_leaves_the_export_its_lease() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    // A second switch, while the first one's export window is still open.
    to_verifying(&mut r, &tenants);
    let nonce = begin(&mut r, &tenants[0], "x");
    let hash = callback(&mut r, &nonce);
    r.ok(r.export());
    let export = r.attempt();
    let fx = r.ok(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("ga".into()),
    });
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::ReadInventory { .. })),
        "{fx:?}"
    );
    assert_eq!(r.attempt(), export);
    // The export is audited; then the finalization starts.
    let fx = r.fx(Event::Exported {
        attempt: export,
        result: Ok(()),
    });
    let attempt = r.attempt();
    assert_eq!(
        fx,
        vec![
            audit_note(ADMIN, A::CompanyKeyExport, O::Succeeded, "Azure Key Vault"),
            audit(SYSTEM, A::FinalizeStarted, O::Succeeded),
            Fx::Do(Effect::ArmAlarm {
                at_ms: r.now + lease_ms(&r)
            }),
            Fx::Do(Effect::ReadInventory { attempt }),
        ]
    );
    assert_eq!(r.m.stage(), Stage::Finalizing);
}

#[test]
fn a_cancel_that_resolves_an_expired_lease_starts_no_outside_call() {
    // The connection test was cut off; Cancel comes after its lease: the
    // test would start again, but the cancel ends it in the same step.
    let mut r = Run::new(new_company());
    to_testing(&mut r);
    expire(&mut r);
    r.now += 1;
    let fx = r.ok_now(Event::Cancel { actor: admin() });
    assert_eq!(
        project(&fx),
        vec![
            audit_note(
                SYSTEM,
                A::LeaseExpired,
                O::Succeeded,
                "connection test: started again"
            ),
            audit(ADMIN, A::Cancel, O::Succeeded),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert!(r.m.lease().is_none());

    // A finalization retry falls due at the cancel: no read is started.
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &[m365(VAULT_TENANT)]);
    let attempt = r.attempt();
    r.ok(Event::Wrapped {
        attempt,
        result: Err(CatalogError::Throttled),
    });
    r.now =
        r.m.setup()
            .unwrap()
            .finalize()
            .unwrap()
            .next_retry_at_ms
            .unwrap();
    let fx = r.ok_now(Event::Cancel { actor: admin() });
    assert_eq!(
        project(&fx),
        vec![
            audit_note(SYSTEM, A::FinalizeRetry, O::Succeeded, "attempt 2"),
            audit(ADMIN, A::Cancel, O::Succeeded),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
}

// ---------- backup sets that cannot be verified; no backup sets at all ----------

fn unverifiable_sets() -> Vec<UnverifiableSet> {
    vec![
        UnverifiableSet {
            set_id: "bs-kind".into(),
            set_name: Some("Dropbox archive".into()),
            why: Unverifiable::UnknownKind {
                kind: "dropbox".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-domain".into(),
            set_name: Some("Contoso mail".into()),
            why: Unverifiable::TenantIsDomain {
                domain: "contoso.onmicrosoft.com".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-customer".into(),
            set_name: None,
            why: Unverifiable::CustomerIdInvalid {
                value: "03az79cb".into(),
            },
        },
    ]
}

/// Whether a step starts an outside call (the finalization's read or more).
fn outside_call(fx: &[Effect]) -> bool {
    fx.iter().any(|e| {
        !matches!(
            e,
            Effect::Audit(_) | Effect::ArmAlarm { .. } | Effect::ClearAlarm | Effect::Reply(_)
        )
    })
}

fn with_sets(tenants: &[TenantRef], sets: &[UnverifiableSet]) -> Inventory {
    let mut read = inventory(tenants);
    read.unverifiable = sets.to_vec();
    read
}

#[test]
fn each_unverifiable_backup_set_blocks_save_with_its_error_naming_the_set() {
    for set in unverifiable_sets() {
        let mut r = Run::new(new_company());
        to_tested(&mut r);
        r.ok(Event::Save { actor: admin() });
        let attempt = r.attempt();
        let tenant = m365(VAULT_TENANT);
        let fx = r.fx(Event::InventoryRead {
            attempt,
            result: Ok(with_sets(
                std::slice::from_ref(&tenant),
                std::slice::from_ref(&set),
            )),
        });
        let error = set.error();
        assert_eq!(error.code(), "backup_set_unverifiable");
        assert!(error.message().contains(&set.set_id), "{}", error.message());
        assert_eq!(
            fx,
            vec![
                audit_note(
                    ADMIN,
                    A::InventoryLoaded,
                    O::Refused,
                    &format!(
                        "1 tenant(s) to verify; 1 backup set(s) can't be verified: {}",
                        set.label()
                    )
                ),
                Fx::Do(Effect::ClearAlarm),
                Fx::Do(Effect::Reply(Reply::Error(error.clone()))),
            ]
        );
        // Kept in the model and shown: never dropped.
        let setup = r.m.setup().unwrap();
        assert_eq!(setup.stage(), Stage::VerifyingTenants);
        assert_eq!(setup.unverifiable(), std::slice::from_ref(&set));
        assert_eq!(setup.last_error(), Some(&error.body()));
        let view = r.view();
        assert_eq!(view.unverifiable_sets, vec![set.clone()]);
        // Verifying every tenant does not finish the switch.
        let fx = verify(&mut r, &tenant);
        assert!(!outside_call(&fx), "{fx:?}");
        assert_eq!(r.m.stage(), Stage::VerifyingTenants);
        // Nor does a confirmation that there is nothing to verify.
        assert_eq!(r.refused(Event::ConfirmNoTenants { actor: admin() }), error);
        // Refresh while it is still there: refused again, still listed.
        r.ok(Event::Refresh { actor: admin() });
        let attempt = r.attempt();
        let fx = r.ok(Event::InventoryRead {
            attempt,
            result: Ok(with_sets(
                std::slice::from_ref(&tenant),
                std::slice::from_ref(&set),
            )),
        });
        assert!(fx.contains(&Effect::Reply(Reply::Error(error))));
        assert!(!outside_call(&fx));
        // Corrected in RedApp: Refresh clears it and the switch finishes.
        r.ok(Event::Refresh { actor: admin() });
        let attempt = r.attempt();
        let fx = r.ok(Event::InventoryRead {
            attempt,
            result: Ok(inventory(std::slice::from_ref(&tenant))),
        });
        let setup = r.m.setup().unwrap();
        assert!(setup.unverifiable().is_empty() && setup.last_error().is_none());
        assert_eq!(setup.stage(), Stage::Finalizing);
        assert!(matches!(calls(&fx)[..], [Effect::ReadInventory { .. }]));
    }
}

#[test]
fn a_set_that_cannot_be_verified_at_the_final_read_blocks_the_commit() {
    let mut r = Run::new(new_company());
    let tenants = [m365(VAULT_TENANT)];
    to_finalizing(&mut r, &tenants);
    let set = unverifiable_sets()[1].clone();
    let attempt = r.attempt();
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(with_sets(&tenants, std::slice::from_ref(&set))),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                SYSTEM,
                A::FinalizeInventory,
                O::Refused,
                "1 tenant(s) in the inventory; 1 backup set(s) can't be verified: \"Contoso mail\" (bs-domain)"
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::VerifyingTenants);
    assert!(!setup.commit_issued());
    assert_eq!(setup.last_error(), Some(&set.error().body()));
    assert_eq!(r.m.provider(), &Provider::Platform);
}

#[test]
fn a_round_over_a_set_that_cannot_be_verified_does_not_start() {
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    let set = unverifiable_sets()[0].clone();
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(with_sets(&[], std::slice::from_ref(&set))),
    });
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::ExportVerificationStarted,
                O::Failed,
                "backup_set_unverifiable"
            ),
            Fx::Do(Effect::ArmAlarm {
                at_ms: next_health_check(&r)
            }),
            Fx::Do(Effect::Reply(Reply::Error(set.error()))),
        ]
    );
    assert!(r.m.export_round().is_none());
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
}

#[test]
fn no_backup_sets_finish_only_after_the_confirmation_and_a_new_set_brings_verification_back() {
    let mut r = Run::new(new_company());
    // Before the list is read, there is nothing to confirm.
    to_tested(&mut r);
    assert!(matches!(
        r.refused(Event::ConfirmNoTenants { actor: admin() }),
        CatalogError::InvalidTransition { .. }
    ));
    r.ok(Event::Save { actor: admin() });
    let attempt = r.attempt();
    let fx = r.fx(Event::InventoryRead {
        attempt,
        result: Ok(Inventory::default()),
    });
    // An empty list does not finish by itself.
    assert_eq!(
        fx,
        vec![
            audit_note(
                ADMIN,
                A::InventoryLoaded,
                O::Succeeded,
                "0 tenant(s) to verify"
            ),
            Fx::Do(Effect::ClearAlarm),
        ]
    );
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    assert!(!r.m.setup().unwrap().nothing_to_verify());
    let fx = r.ok(Event::Tick);
    assert!(!outside_call(&fx));
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    // The admin confirms: audited, and the finalization starts with its read.
    let fx = r.fx(Event::ConfirmNoTenants { actor: admin() });
    assert_eq!(
        fx[0],
        audit_note(
            ADMIN,
            A::NoTenantsConfirmed,
            O::Succeeded,
            "the inventory lists no backup set"
        )
    );
    assert_eq!(fx[1], audit(SYSTEM, A::FinalizeStarted, O::Succeeded));
    assert!(r.m.setup().unwrap().nothing_to_verify());
    assert!(r.view().nothing_to_verify);
    assert_eq!(r.m.stage(), Stage::Finalizing);
    assert!(matches!(
        r.m.lease().map(|l| &l.op),
        Some(Op::FinalInventory)
    ));
    // A backup set added meanwhile: the confirmation no longer counts.
    let newcomer = google("C01abcd23");
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(std::slice::from_ref(&newcomer))),
    });
    let setup = r.m.setup().unwrap();
    assert_eq!(setup.stage(), Stage::VerifyingTenants);
    assert!(!setup.nothing_to_verify() && !setup.commit_issued());
    assert!(matches!(
        r.refused(Event::ConfirmNoTenants { actor: admin() }),
        CatalogError::Conflict { .. }
    ));
    // Removed again: a new confirmation is needed.
    r.ok(Event::Refresh { actor: admin() });
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(Inventory::default()),
    });
    assert!(!outside_call(&fx));
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    r.ok(Event::ConfirmNoTenants { actor: admin() });
    // The final read still finds none: the re-wrap runs and commits.
    let attempt = r.attempt();
    let fx = r.ok(Event::InventoryRead {
        attempt,
        result: Ok(Inventory::default()),
    });
    assert!(matches!(calls(&fx)[..], [Effect::Wrap { .. }]));
    assert!(r.m.setup().unwrap().commit_issued());
}

#[test]
fn a_refused_confirmation_is_audited() {
    let mut r = Run::new(new_company());
    let e = r.refused(Event::ConfirmNoTenants { actor: admin() });
    let ctx = r.ctx();
    let (_, fx) = keyswitch_shared::switch::refusal(
        &r.m,
        &Event::ConfirmNoTenants { actor: admin() },
        &e,
        &ctx,
    )
    .expect("recorded");
    assert_eq!(
        project(&fx)[0],
        audit_note(
            ADMIN,
            A::NoTenantsConfirmed,
            O::Refused,
            "invalid_state_transition"
        )
    );
}

// ---------- export: the window's end, a recent sign-in, rounds ----------

#[test]
fn an_export_after_the_window_or_by_a_stale_session_is_refused_and_changes_nothing() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    let ExportWindow::Open { opened_at } = r.m.export_window() else {
        panic!("the switch opened the window");
    };
    let now = |r: &Run| i64::try_from(r.now / 1000).unwrap();
    let view = r.m.export_verification(now(&r), &r.policy);
    assert!(view.export_open);
    assert_eq!(
        view.export_closes_at,
        Some(opened_at + r.policy.export_window_secs)
    );

    // A session signed in 10 minutes and one second ago, one without
    // auth_time, and one "signed in" in the future: refused.
    let before = r.m.clone();
    for signed_in_at in [Some(now(&r) + 1 - 601), None, Some(now(&r) + 120)] {
        let e = r.refused(Event::Export {
            actor: admin(),
            signed_in_at,
        });
        assert_eq!(
            e,
            CatalogError::ReauthenticationRequired { max_age_mins: 10 }
        );
        assert_eq!(e.status(), 403);
        assert_eq!(r.m, before, "nothing changes, the window stays open");
    }
    // The refusal is audited by the interpreter.
    let ctx = r.ctx();
    let event = Event::Export {
        actor: admin(),
        signed_in_at: None,
    };
    let e = CatalogError::ReauthenticationRequired { max_age_mins: 10 };
    let (_, fx) = refusal(&r.m, &event, &e, &ctx).expect("an admin command is audited");
    assert_eq!(
        project(&fx),
        vec![audit_note(
            ADMIN,
            A::CompanyKeyExport,
            O::Refused,
            "reauthentication_required"
        )]
    );

    // The window ends after the policy's 7 days: refused, with its end.
    let end = opened_at + r.policy.export_window_secs;
    r.now = u64::try_from(end).unwrap() * 1000 - 2_000;
    let view = r.m.export_verification(now(&r) + 1, &r.policy);
    assert!(view.export_open, "open until its last second");
    r.now = u64::try_from(end).unwrap() * 1000 - 1_000;
    let e = r.refused(r.export());
    assert_eq!(e, CatalogError::ExportWindowExpired { closed_at: end });
    assert_eq!(e.status(), 409);
    assert_eq!(e.code(), "export_window_expired");
    assert!(e.detail().unwrap().contains("until 20"), "{e:?}");
    assert_eq!(r.m, before);
    let view = r.m.export_verification(now(&r), &r.policy);
    assert!(!view.export_open);
    assert_eq!(view.export_closes_at, None);

    // A round of verifications opens a new window from its end.
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    let nonce = begin(&mut r, &tenants[0], "x");
    let hash = callback(&mut r, &nonce);
    r.ok(Event::CodeExchanged {
        nonce_sha256: hash,
        result: Ok("ga".into()),
    });
    assert_eq!(
        r.m.export_window(),
        ExportWindow::Open { opened_at: now(&r) }
    );
    // A sign-in exactly 10 minutes old still counts (`ok` steps one second).
    r.ok(Event::Export {
        actor: admin(),
        signed_in_at: Some(now(&r) + 1 - 600),
    });
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
}

#[test]
fn a_round_sign_in_answered_while_a_setup_is_pending_does_not_reopen_the_window() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    r.ok(Event::BeginExportRound { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&tenants)),
    });
    let round_sign_in = begin(&mut r, &tenants[0], "r");
    // A new setup starts before the admin of the tenant answers.
    r.ok(start_event(2));
    assert!(r.m.stage().is_pending());
    // A round's sign-in cannot start now, and the one handed out no longer counts.
    assert!(matches!(
        r.refused(Event::BeginExportRound { actor: admin() }),
        CatalogError::Conflict { .. }
    ));
    // Nor does another sign-in for the round's tenant: the pending setup's
    // stage refuses it, and nothing changes.
    let before = r.m.clone();
    assert_eq!(
        r.refused(Event::BeginVerify {
            actor: admin(),
            tenant: tenants[0].clone(),
            sign_in: sign_in("r2"),
        }),
        CatalogError::InvalidTransition {
            state: r.m.stage().as_str().to_owned(),
            event: "verify_tenant".into()
        }
    );
    assert_eq!(r.m, before);
    let fx = r.ok(Event::VerifyCallback {
        nonce: round_sign_in,
        answer: code("c"),
    });
    assert!(matches!(
        &calls(&fx)[0],
        Effect::Reply(Reply::VerifyOutcome {
            error: Some(CatalogError::OAuthStateSuperseded),
            export_open: false,
            ..
        })
    ));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::ExchangeCode { .. })),
        "no code exchange for a spent round"
    );
    assert_eq!(r.m.export_window(), ExportWindow::Closed);
}

// ---------- rotation: the re-wrap with a new key version ----------

pub(crate) fn azure_of(k: &KeyId) -> Provider {
    Provider::AzureKeyVault {
        vault_uri: k.vault(),
        key_name: k.name(),
        kid: k.clone(),
    }
}

#[test]
fn rewrap_now_re_wraps_with_the_current_version_and_keeps_the_kid_history() {
    use keyswitch_shared::rotation::{KidReason, RewrapStep};
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let switched_at = r.now - 2_000;
    let history = r.m.kid_history_view();
    assert_eq!(history.len(), 1);
    assert!(history[0].kid.same_as(&k2) && history[0].until_ms.is_none());
    assert_eq!(history[0].reason, KidReason::Switch);
    assert!(history[0].from_ms.is_some_and(|t| t >= switched_at));

    let fx = r.fx(Event::RewrapNow { actor: admin() });
    let attempt = r.attempt();
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit(ADMIN, A::RewrapRequested, O::Succeeded),
            Fx::Do(Effect::ReadKeyVersion {
                attempt,
                key: k2.versionless(),
                tenant: tenant_id(VAULT_TENANT),
            }),
        ]
    );
    assert_eq!(r.m.rewrap_view().unwrap().step, RewrapStep::ReadKey);

    // The customer rotated the key: version 3 is current.
    let k3 = kid(&target(1), 3);
    let old = (r.m.provider().clone(), r.m.key().clone());
    let fx = r.fx(Event::KeyVersionRead {
        attempt,
        result: Ok(k3.clone()),
    });
    let attempt = r.attempt();
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit_note(
                SYSTEM,
                A::RotationDetected,
                O::Succeeded,
                &format!("{k2} → {k3}")
            ),
            Fx::Do(Effect::Rewrap {
                attempt,
                old: old.clone(),
                kid: k3.clone(),
                tenant: tenant_id(VAULT_TENANT),
            }),
        ]
    );
    let fx = r.fx(Event::Rewrapped {
        attempt,
        result: Ok((k3.clone(), "rotated-blob".into())),
    });
    let attempt = r.attempt();
    // The status shows the step it is at.
    assert_eq!(r.m.rewrap_view().unwrap().step, RewrapStep::Verify);
    assert_eq!(
        calls_fx(&fx),
        vec![Fx::Do(Effect::VerifyRewrap {
            attempt,
            old,
            kid: k3.clone(),
            blob: "rotated-blob".into(),
            tenant: tenant_id(VAULT_TENANT),
        })]
    );
    // Until the commit the recorded kid stays in force.
    assert_eq!(r.m.provider(), &azure_of(&k2));
    let fx = r.fx(Event::RewrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(
            SYSTEM,
            A::KeyRewrapped,
            O::Succeeded,
            &format!("{k2} → {k3}")
        )]
    );
    assert_eq!(r.m.provider(), &azure_of(&k3));
    assert_eq!(r.m.key().blob, "rotated-blob");
    assert_eq!(r.m.key().azure_tenant, Some(tenant_id(VAULT_TENANT)));
    assert!(r.m.rewrap().is_none() && r.m.lease().is_none());
    let history = r.m.kid_history_view();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(history[0].kid.same_as(&k3) && history[0].until_ms.is_none());
    assert_eq!(history[0].reason, KidReason::RewrapNow);
    assert_eq!(history[0].from_ms, Some(r.now));
    assert!(history[1].kid.same_as(&k2) && history[1].until_ms == Some(r.now));
    // The registry is not touched: the company stays bound to the same key.
    assert!(r.m.registry_writes().is_empty());
}

/// *Re-wrap now*, and the key's GET names `current` as its current version.
fn rewrap_now_reads(r: &mut Run, current: &KeyId) {
    r.ok(Event::RewrapNow { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::KeyVersionRead {
        attempt,
        result: Ok(current.clone()),
    });
}

#[test]
fn the_kid_history_keeps_the_last_hundred_versions() {
    // A bounded record: a company whose key rotates for decades does not
    // grow its stored state without end; the newest versions are kept.
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    let t = target(1);
    // 101 rotations after the switch to version 2: 102 versions in all.
    for v in 3..=103u64 {
        let k = kid(&t, v);
        rewrap_now_reads(&mut r, &k);
        let attempt = r.attempt();
        r.ok(Event::Rewrapped {
            attempt,
            result: Ok((k.clone(), format!("blob-{v}"))),
        });
        let attempt = r.attempt();
        r.ok(Event::RewrapVerified {
            attempt,
            result: Ok(()),
        });
        assert_eq!(r.m.provider(), &azure_of(&k));
        assert_eq!(r.m.kid_history().len(), (v as usize).min(101) - 1, "{v}");
    }
    let history = r.m.kid_history();
    let versions: Vec<KeyId> = history.iter().map(|h| h.kid.clone()).collect();
    let want: Vec<KeyId> = (4..=103u64).map(|v| kid(&t, v)).collect();
    assert_eq!(versions, want, "the oldest two (versions 2 and 3) dropped");
    assert!(history[..99].iter().all(|h| h.until_ms.is_some()));
    assert_eq!(history[99].until_ms, None, "the version in force is open");
}

/// A healthy GET of the key whose current version is `kid`.
pub(crate) fn key_seen(kid: KeyId) -> keyswitch_shared::health::KeySeen {
    keyswitch_shared::health::KeySeen {
        kid,
        kty: "RSA-HSM".into(),
        size_bits: 4096,
        key_ops: vec!["wrapKey".into(), "unwrapKey".into()],
        enabled: true,
        nbf: None,
        exp: None,
        updated: None,
        tags: [("keyswitch-company".to_owned(), COMPANY.to_owned())]
            .into_iter()
            .collect(),
        recovery_level: None,
        recoverable_days: Some(7),
    }
}

/// *Check now*; the GET names `current` as the key's current version (the
/// probe, if one follows, succeeds). Returns the effects of the GET's answer.
pub(crate) fn health_check_sees(r: &mut Run, current: &KeyId) -> Vec<Effect> {
    let fx = r.ok(Event::CheckNow { actor: admin() });
    let attempt = fx
        .iter()
        .find_map(|e| match e {
            Effect::CheckKey { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a GET of the key: {fx:?}"));
    let fx = r.ok(Event::KeyChecked {
        attempt,
        result: Ok(key_seen(current.clone())),
    });
    if let Some(Effect::ProbeKey { attempt, .. }) =
        fx.iter().find(|e| matches!(e, Effect::ProbeKey { .. }))
    {
        r.ok(Event::KeyProbed {
            attempt: *attempt,
            result: Ok(()),
        });
    }
    fx
}

#[test]
fn a_health_check_owes_a_re_wrap_only_for_a_new_version_of_the_key_in_force() {
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    // What the GET named as the current version → whether a re-wrap to it
    // is owed. A kid without a version would re-wrap with whatever version
    // is current at the wrap, and the company key could no longer be
    // unwrapped with the exact kid.
    let k3 = kid(&target(1), 3);
    for (current, owed) in [
        (k2.versionless(), None),
        (kid(&target(2), 3), None),
        (k2.clone(), None),
        (k3.clone(), Some(k3.clone())),
    ] {
        let fx = health_check_sees(&mut r, &current);
        assert_eq!(
            r.m.rewrap().and_then(|w| w.to.clone()),
            owed,
            "{current}: {fx:?}"
        );
        assert_eq!(r.m.provider(), &azure_of(&k2), "{current}");
    }
}

#[test]
fn a_health_check_during_a_re_wrap_neither_hurries_nor_redirects_it() {
    use keyswitch_shared::rotation::RewrapStep;
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let (k3, k4) = (kid(&target(1), 3), kid(&target(1), 4));
    // A back-off longer than a health check's few steps.
    r.policy.retry_base_ms = 60_000;
    // The re-wrap to version 3 fails and waits for its retry.
    rewrap_now_reads(&mut r, &k3);
    let attempt = r.attempt();
    r.ok(Event::Rewrapped {
        attempt,
        result: Err(CatalogError::Throttled),
    });
    let waiting = r.m.rewrap().cloned().expect("owed");
    let retry_at = waiting.next_retry_at_ms.expect("a retry is due later");
    assert!(retry_at >= r.now + 60_000 && r.m.lease().is_none());
    // Seeing version 3 again does not bring the retry forward.
    health_check_sees(&mut r, &k3);
    assert_eq!(
        r.m.rewrap().map(|w| w.next_retry_at_ms),
        Some(Some(retry_at))
    );
    assert!(r.m.lease().is_none(), "no wrap before the back-off");
    // The retry wraps; while it is in flight version 4 appears: the wrap in
    // flight ends first, with version 3.
    r.now = retry_at;
    r.ok_now(Event::Tick);
    assert_eq!(r.m.rewrap().map(|w| w.step), Some(RewrapStep::Wrap));
    let attempt = r.attempt();
    health_check_sees(&mut r, &k4);
    assert_eq!(r.m.rewrap().and_then(|w| w.to.clone()), Some(k3.clone()));
    r.ok(Event::Rewrapped {
        attempt,
        result: Ok((k3.clone(), "blob-3".into())),
    });
    let attempt = r.attempt();
    r.ok(Event::RewrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(r.m.provider(), &azure_of(&k3));
    assert_ne!(r.m.provider(), &azure_of(&k2));
    // The next GET sees version 4: that re-wrap is owed now.
    health_check_sees(&mut r, &k4);
    assert_eq!(r.m.rewrap().and_then(|w| w.to.clone()), Some(k4));
}

#[test]
fn rewrap_now_refuses_a_current_version_that_is_not_of_the_key_in_force() {
    // Key Vault's answer to the read names the version to wrap with: one
    // without a version or of another key is a wrong answer, retried.
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let other_key = keyswitch_shared::switch::Target {
        vault_uri: target(1).vault_uri,
        key_name: "other".parse().unwrap(),
    };
    let wrong = CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    };
    for answer in [k2.versionless(), kid(&target(2), 3), kid(&other_key, 3)] {
        let before = (r.m.provider().clone(), r.m.key().clone());
        r.now += 10 * 60 * 1000; // past any back-off of the previous answer
        rewrap_now_reads(&mut r, &answer);
        let rewrap = r.m.rewrap().expect("still owed").clone();
        assert_eq!(rewrap.to, None, "{answer}");
        assert_eq!(
            rewrap.last_error.as_ref().map(|e| e.code.as_str()),
            Some(wrong.code()),
            "{answer}"
        );
        assert!(
            rewrap.next_retry_at_ms.is_some_and(|at| at > r.now),
            "a retry after the back-off: {answer}"
        );
        assert!(r.m.lease().is_none(), "{answer}");
        assert_eq!((r.m.provider().clone(), r.m.key().clone()), before);
    }
}

#[test]
fn rewrap_now_on_a_company_stored_without_its_vault_tenant_is_dropped_once() {
    // A company stored before the vault's tenant was recorded cannot get a
    // token for its vault: the owed re-wrap is dropped (audited), not left
    // due for ever (an alarm firing at once, again and again).
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    let mut stored = serde_json::to_value(&r.m).unwrap();
    let key = stored["key"].as_object_mut().expect("the key");
    assert!(key.remove("azure_tenant").is_some(), "{key:?}");
    r.m = serde_json::from_value(stored).unwrap();
    r.alarm = r.m.next_deadline_ms();
    assert_eq!(r.m.key().azure_tenant, None);
    let fx = r.fx(Event::RewrapNow { actor: admin() });
    assert_eq!(
        without_alarm(&fx),
        vec![
            audit(ADMIN, A::RewrapRequested, O::Succeeded),
            audit_note(
                SYSTEM,
                A::Rewrap,
                O::Succeeded,
                "no longer needed: the vault's tenant is not recorded"
            ),
        ]
    );
    assert!(r.m.rewrap().is_none() && r.m.lease().is_none());
    assert_ne!(r.m.next_deadline_ms(), Some(r.now), "nothing due now");
}

#[test]
fn rewrap_now_with_the_recorded_version_current_changes_nothing() {
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let before = (r.m.provider().clone(), r.m.key().clone());
    r.ok(Event::RewrapNow { actor: admin() });
    let attempt = r.attempt();
    let fx = r.fx(Event::KeyVersionRead {
        attempt,
        result: Ok(k2.clone()),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(
            SYSTEM,
            A::Rewrap,
            O::Succeeded,
            &format!("nothing to do: {k2} is the current version")
        )]
    );
    assert_eq!((r.m.provider().clone(), r.m.key().clone()), before);
    assert!(r.m.rewrap().is_none() && r.m.lease().is_none());
    // What is left is the next health check of the key.
    assert_eq!(r.m.next_deadline_ms(), Some(next_health_check(&r)));
}

#[test]
fn rewrap_now_is_refused_without_an_azure_key_and_while_a_step_runs() {
    let mut r = Run::new(new_company());
    let e = r.refused(Event::RewrapNow { actor: admin() });
    assert_eq!(e.code(), "conflict");
    let ctx = r.ctx();
    let (_, fx) = refusal(&r.m, &Event::RewrapNow { actor: admin() }, &e, &ctx).unwrap();
    assert!(matches!(
        &fx[0],
        Effect::Audit(a) if a.action == A::RewrapRequested && a.outcome == O::Refused
    ));
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(Event::RewrapNow { actor: admin() });
    let e = r.refused(Event::RewrapNow { actor: admin() });
    assert_eq!(e.code(), "conflict");
}

#[test]
fn a_rewrap_is_retried_after_failures_and_crashes_and_never_wraps_twice() {
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let k3 = kid(&target(1), 3);
    rewrap_now_reads(&mut r, &k3);
    // The wrap fails (Key Vault throttled): the old kid stays, a retry is due.
    let attempt = r.attempt();
    let throttled = CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    };
    let fx = r.fx(Event::Rewrapped {
        attempt,
        result: Err(throttled.clone()),
    });
    assert_eq!(
        without_alarm(&fx),
        vec![audit_note(SYSTEM, A::Rewrap, O::Failed, throttled.code())]
    );
    assert_eq!(r.m.provider(), &azure_of(&k2));
    let due = r.m.rewrap().unwrap().next_retry_at_ms.unwrap();
    assert_eq!(due, r.now + 2 * r.policy.retry_base_ms);
    assert_eq!(r.alarm, Some(due));
    // A result of the spent attempt is stale.
    assert_eq!(
        r.refused(Event::Rewrapped {
            attempt,
            result: Ok((k3.clone(), "late".into())),
        }),
        stale()
    );
    // The alarm retries: the wrap runs again.
    r.now = due;
    let fx = r.ok_now(Event::Tick);
    let attempt = r.attempt();
    assert!(
        calls(&fx)
            .iter()
            .any(|e| matches!(e, Effect::Rewrap { kid, .. } if kid.same_as(&k3)))
    );
    r.ok(Event::Rewrapped {
        attempt,
        result: Ok((k3.clone(), "blob-3".into())),
    });
    // The worker dies while the verify runs: the alarm fails the attempt
    // when the lease ends and retries the verify of the same blob.
    let until = r.m.lease().unwrap().until_ms;
    r.now = until;
    let fx = r.fx(Event::Tick);
    assert!(
        fx.iter()
            .any(|f| matches!(f, Fx::Audit(SYSTEM, A::LeaseExpired, O::Failed, _)))
    );
    assert_eq!(r.m.provider(), &azure_of(&k2));
    r.now = r.m.rewrap().unwrap().next_retry_at_ms.unwrap();
    let fx = r.ok_now(Event::Tick);
    let attempt = r.attempt();
    assert!(
        calls(&fx).iter().any(
            |e| matches!(e, Effect::VerifyRewrap { kid, blob, .. } if kid.same_as(&k3) && blob == "blob-3")
        ),
        "{fx:?}"
    );
    assert!(
        !calls(&fx)
            .iter()
            .any(|e| matches!(e, Effect::Rewrap { .. }))
    );
    r.ok(Event::RewrapVerified {
        attempt,
        result: Ok(()),
    });
    assert_eq!(r.m.provider(), &azure_of(&k3));
    assert_eq!(r.m.key().blob, "blob-3");
    // What is left is the next health check of the key.
    assert_eq!(r.m.next_deadline_ms(), Some(next_health_check(&r)));
}

/// A re-wrap failure that repeats at every retry (a new version not tagged
/// yet, retried for hours) is audited once; a different failure is audited
/// again, and so is the first one if it comes back after another.
#[test]
fn a_repeated_rewrap_failure_is_audited_once_and_a_new_one_again() {
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    let k3 = kid(&target(1), 3);
    rewrap_now_reads(&mut r, &k3);
    let unexpected = CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    };
    let throttled = CatalogError::Throttled;
    let audited = [
        (unexpected.clone(), true),
        (unexpected.clone(), false),
        (unexpected.clone(), false),
        (throttled.clone(), true),
        (throttled, false),
        (unexpected, true),
    ];
    for (n, (error, once)) in audited.into_iter().enumerate() {
        if n > 0 {
            // The alarm retries the wrap.
            r.now = r.m.rewrap().unwrap().next_retry_at_ms.unwrap();
            r.ok_now(Event::Tick);
        }
        let attempt = r.attempt();
        let fx = r.fx(Event::Rewrapped {
            attempt,
            result: Err(error.clone()),
        });
        let want = if once {
            vec![audit_note(SYSTEM, A::Rewrap, O::Failed, error.code())]
        } else {
            vec![]
        };
        assert_eq!(without_alarm(&fx), want, "failure {n}: {}", error.code());
        let rw = r.m.rewrap_view().unwrap();
        assert_eq!(rw.last_error.unwrap().code, error.code());
        assert_eq!(rw.attempts as usize, n + 1);
    }
}

#[test]
fn a_wrap_answered_with_another_version_never_commits() {
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(Event::RewrapNow { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::KeyVersionRead {
        attempt,
        result: Ok(kid(&target(1), 3)),
    });
    let attempt = r.attempt();
    r.ok(Event::Rewrapped {
        attempt,
        result: Ok((kid(&target(1), 4), "blob-4".into())),
    });
    assert!(r.m.lease().is_none());
    let rw = r.m.rewrap_view().unwrap();
    assert_eq!(rw.attempts, 1);
    assert_eq!(rw.last_error.unwrap().code, "unexpected_answer");
    assert_eq!(r.m.provider(), &azure_of(&k2));
    // A kid of another key read as "current" is refused the same way.
    let mut r = Run::new(new_company());
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(Event::RewrapNow { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::KeyVersionRead {
        attempt,
        result: Ok(kid(&target(2), 3)),
    });
    assert_eq!(
        r.m.rewrap_view().unwrap().last_error.unwrap().code,
        "unexpected_answer"
    );
}

/// When the monitor of the Azure key in force checks next.
pub(crate) fn next_health_check(r: &Run) -> u64 {
    r.m.monitor()
        .health
        .next_check_at_ms
        .expect("a company on Azure Key Vault has its next health check")
}

// ---------- Check configuration ----------

fn bundle_for(k: &KeyId, bits: u32) -> keyswitch_shared::keyvault::KeyBundle {
    use keyswitch_shared::keyvault::{JsonWebKey, KeyAttributes, KeyBundle, encode_base64url};
    let bytes = (bits / 8) as usize;
    let mut n = vec![0xa5u8; bytes];
    n[0] = 0x80 | 1;
    KeyBundle {
        key: JsonWebKey {
            kid: Some(k.to_string()),
            kty: "RSA".into(),
            key_ops: ["wrapKey", "unwrapKey"].map(String::from).to_vec(),
            n: Some(encode_base64url(&n)),
            e: Some("AQAB".into()),
            crv: None,
            x: None,
            y: None,
        },
        attributes: KeyAttributes {
            enabled: Some(true),
            ..KeyAttributes::default()
        },
        tags: Some(
            [("keyswitch-company".to_owned(), COMPANY.to_owned())]
                .into_iter()
                .collect(),
        ),
        managed: None,
    }
}

#[test]
fn check_configuration_before_save_lists_every_problem_and_changes_nothing() {
    use keyswitch_shared::rotation::{CheckObservations, CheckScope, CheckStatus};
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let before = r.m.clone();
    let fx = r.ok(Event::CheckConfiguration { actor: admin() });
    let t = target(1);
    let versionless = KeyId::new(&t.vault_uri, &t.key_name, None);
    assert_eq!(
        calls(&fx),
        vec![Effect::CheckConfiguration {
            actor: admin(),
            scope: CheckScope::Pending,
            key: versionless.clone(),
            tenant: Some(tenant_id(VAULT_TENANT)),
            dry_run: Some(Box::new((before.provider().clone(), before.key().clone()))),
        }]
    );
    assert_eq!(r.m, before, "asking changes nothing");
    // The key is disabled, lacks unwrapKey and the tag names another
    // company; the probe fails; one backup set cannot be verified.
    let mut b = bundle_for(&kid(&t, 1), 3072);
    b.attributes.enabled = Some(false);
    b.key.key_ops = vec!["wrapKey".into()];
    b.tags = Some(
        [("keyswitch-company".to_owned(), "globex".to_owned())]
            .into_iter()
            .collect(),
    );
    let set = UnverifiableSet {
        set_id: "bs-9".into(),
        set_name: Some("Mail".into()),
        why: Unverifiable::TenantIsDomain {
            domain: "contoso.onmicrosoft.com".into(),
        },
    };
    let seen = CheckObservations {
        token: Some(Ok(())),
        key: Some(Ok(b)),
        probe: Some(Err(CatalogError::KeyDisabled)),
        dry_run: None,
        inventory: Some(Ok(Inventory {
            tenants: inventory(&[m365(VAULT_TENANT)]).tenants,
            unverifiable: vec![set],
        })),
    };
    let fx = r.ok(Event::ConfigurationChecked {
        actor: admin(),
        scope: CheckScope::Pending,
        key: versionless.clone(),
        seen: Box::new(seen),
    });
    let report = fx
        .iter()
        .find_map(|e| match e {
            Effect::Reply(Reply::Check(rep)) => Some(rep.clone()),
            _ => None,
        })
        .expect("a report");
    let codes: Vec<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        vec![
            "key_operations_missing",
            "key_disabled",
            "key_binding_mismatch",
            "key_disabled",
            "backup_set_unverifiable"
        ],
        "{report:#?}"
    );
    let status = |id: &str| {
        report
            .checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.status)
            .unwrap_or_else(|| panic!("no check {id}"))
    };
    for id in [
        "consent",
        "firewall",
        "role",
        "key_found",
        "key_type",
        "key_size",
        "validity",
        "throttling",
    ] {
        assert_eq!(status(id), CheckStatus::Ok, "{id}");
    }
    assert_eq!(status("dry_run"), CheckStatus::Skipped);
    assert!(report.problems.iter().all(|p| !p.fix.is_empty()));
    let tenant_check = format!("tenant:Microsoft 365 tenant {VAULT_TENANT}");
    assert_eq!(status(&tenant_check), CheckStatus::Ok);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Audit(a) if a.action == A::ConfigurationChecked
            && a.detail.as_deref().is_some_and(|d| d.contains("5 problems"))
    )));
    assert_eq!(
        same_but_audit_seq(&r.m, &before),
        before,
        "the check changed nothing"
    );
}

#[test]
fn check_configuration_rates_the_keys_validity_window() {
    use keyswitch_shared::rotation::{CheckObservations, CheckScope, CheckStatus};
    const DAY: i64 = 86_400;
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let t = target(1);
    let versionless = KeyId::new(&t.vault_uri, &t.key_name, None);
    // (nbf, exp) relative to now in seconds → the validity check's status
    // and, for a problem, its code.
    let cases = [
        (None, None, CheckStatus::Ok, None),
        (None, Some(40 * DAY), CheckStatus::Ok, None),
        (None, Some(30 * DAY), CheckStatus::Ok, None),
        (None, Some(30 * DAY - 1), CheckStatus::Warning, None),
        (None, Some(29 * DAY), CheckStatus::Warning, None),
        (None, Some(2 * DAY), CheckStatus::Warning, None),
        (None, Some(-10), CheckStatus::Problem, Some("key_expired")),
        (
            Some(DAY),
            None,
            CheckStatus::Problem,
            Some("key_not_yet_valid"),
        ),
        // Active since yesterday, or from this very second: valid.
        (Some(-DAY), None, CheckStatus::Ok, None),
        (Some(0), Some(40 * DAY), CheckStatus::Ok, None),
    ];
    for (nbf, exp, want, code) in cases {
        r.ok(Event::CheckConfiguration { actor: admin() });
        // `ok` moves the clock one second before the answer is applied.
        let now_secs = i64::try_from((r.now + 1_000) / 1_000).unwrap();
        let mut b = bundle_for(&kid(&t, 1), 3072);
        b.attributes.nbf = nbf.map(|d| now_secs + d);
        b.attributes.exp = exp.map(|d| now_secs + d);
        let fx = r.ok(Event::ConfigurationChecked {
            actor: admin(),
            scope: CheckScope::Pending,
            key: versionless.clone(),
            seen: Box::new(CheckObservations {
                token: Some(Ok(())),
                key: Some(Ok(b)),
                probe: Some(Ok(())),
                dry_run: None,
                inventory: Some(Ok(Inventory::default())),
            }),
        });
        let report = fx
            .iter()
            .find_map(|e| match e {
                Effect::Reply(Reply::Check(rep)) => Some(rep.clone()),
                _ => None,
            })
            .expect("a report");
        let validity = report
            .checks
            .iter()
            .find(|c| c.id == "validity")
            .expect("a validity check");
        assert_eq!(validity.status, want, "{nbf:?} {exp:?}: {validity:#?}");
        assert_eq!(
            validity.problem.as_ref().map(|p| p.code.as_str()),
            code,
            "{nbf:?} {exp:?}: {validity:#?}"
        );
        if want == CheckStatus::Warning {
            let days = exp.unwrap() / DAY;
            let detail = validity.detail.as_deref().unwrap_or_default();
            assert!(
                detail.contains(&format!("the key expires in {days} days")),
                "{detail}"
            );
        }
    }
}

#[test]
fn check_configuration_without_consent_says_so_and_skips_what_needs_it() {
    use keyswitch_shared::rotation::{CheckObservations, CheckScope, CheckStatus};
    let mut r = Run::new(new_company());
    // Nothing to check on the platform key without a setup.
    let e = r.refused(Event::CheckConfiguration { actor: admin() });
    assert_eq!(e.code(), "conflict");
    r.ok(start_event(1));
    let fx = r.ok(Event::CheckConfiguration { actor: admin() });
    let Some(Effect::CheckConfiguration { tenant, key, .. }) = calls(&fx).first().cloned() else {
        panic!("{fx:?}")
    };
    assert_eq!(tenant, None);
    let fx = r.ok(Event::ConfigurationChecked {
        actor: admin(),
        scope: CheckScope::Pending,
        key,
        seen: Box::new(CheckObservations {
            token: None,
            key: None,
            probe: None,
            dry_run: None,
            inventory: Some(Ok(Inventory::default())),
        }),
    });
    let Some(Effect::Reply(Reply::Check(report))) =
        fx.iter().find(|e| matches!(e, Effect::Reply(_))).cloned()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(report.problems.len(), 1, "{report:#?}");
    assert_eq!(report.problems[0].code, "admin_consent_required");
    assert!(
        report
            .checks
            .iter()
            .filter(|c| c.id != "consent" && c.id != "backup_sets")
            .all(|c| c.status == CheckStatus::Skipped),
        "{report:#?}"
    );
}

#[test]
fn check_configuration_after_the_switch_checks_the_key_in_force() {
    use keyswitch_shared::rotation::CheckScope;
    let mut r = Run::new(new_company());
    let k2 = complete(&mut r, &[m365(VAULT_TENANT)]);
    let fx = r.ok(Event::CheckConfiguration { actor: admin() });
    assert_eq!(
        calls(&fx),
        vec![Effect::CheckConfiguration {
            actor: admin(),
            scope: CheckScope::InForce,
            key: k2,
            tenant: Some(tenant_id(VAULT_TENANT)),
            dry_run: None,
        }]
    );
}

/// The report of a *Check configuration* answered with `seen`.
/// Check configuration of the pending setup where Key Vault's GET of the
/// key answers `b` (token fine, no dry run): its report.
fn check_of_bundle(
    r: &mut Run,
    versionless: &KeyId,
    b: keyswitch_shared::keyvault::KeyBundle,
    probe: Option<Result<(), CatalogError>>,
    inventory: Inventory,
) -> keyswitch_shared::rotation::CheckReport {
    r.ok(Event::CheckConfiguration { actor: admin() });
    check_report(
        r,
        keyswitch_shared::rotation::CheckScope::Pending,
        versionless,
        keyswitch_shared::rotation::CheckObservations {
            token: Some(Ok(())),
            key: Some(Ok(b)),
            probe,
            dry_run: None,
            inventory: Some(Ok(inventory)),
        },
    )
}

fn check_report(
    r: &mut Run,
    scope: keyswitch_shared::rotation::CheckScope,
    key: &KeyId,
    seen: keyswitch_shared::rotation::CheckObservations,
) -> keyswitch_shared::rotation::CheckReport {
    let fx = r.ok(Event::ConfigurationChecked {
        actor: admin(),
        scope,
        key: key.clone(),
        seen: Box::new(seen),
    });
    fx.iter()
        .find_map(|e| match e {
            Effect::Reply(Reply::Check(rep)) => Some(*rep.clone()),
            _ => None,
        })
        .expect("a report")
}

#[test]
fn check_configuration_names_the_check_a_key_vault_refusal_belongs_to() {
    use keyswitch_shared::rotation::{CheckObservations, CheckScope, CheckStatus as S};
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let t = target(1);
    let versionless = KeyId::new(&t.vault_uri, &t.key_name, None);
    let vault = t.vault_uri.clone();
    // What the GET of the key answered → the status of the firewall, role
    // and key-found checks, and which one carries the error.
    let cases = [
        (
            CatalogError::VaultFirewall,
            [S::Problem, S::Skipped, S::Skipped],
        ),
        (
            CatalogError::KeyVaultForbidden,
            [S::Ok, S::Problem, S::Skipped],
        ),
        (
            CatalogError::AccessPolicyVault,
            [S::Ok, S::Problem, S::Skipped],
        ),
        (
            CatalogError::RoleRemoved {
                vault: vault.clone(),
                key_name: t.key_name.clone(),
                connector: None,
            },
            [S::Ok, S::Problem, S::Skipped],
        ),
        (
            CatalogError::KeyNotFound {
                key_name: Some("cmk".into()),
            },
            [S::Ok, S::Ok, S::Problem],
        ),
        (
            CatalogError::KeyDeleted {
                vault: vault.clone(),
                key_name: "cmk".into(),
                recoverable_days: Some(90),
            },
            [S::Ok, S::Ok, S::Problem],
        ),
        // Anything else: the vault did not answer the GET as such.
        (
            CatalogError::AzureUnavailable,
            [S::Skipped, S::Skipped, S::Problem],
        ),
        (
            CatalogError::Throttled,
            [S::Skipped, S::Skipped, S::Problem],
        ),
    ];
    // Check configuration of the pending key, answered with the GET's and
    // the probe's outcomes.
    let check = |r: &mut Run, key, probe| {
        r.ok(Event::CheckConfiguration { actor: admin() });
        check_report(
            r,
            CheckScope::Pending,
            &versionless,
            CheckObservations {
                token: Some(Ok(())),
                key: Some(key),
                probe,
                dry_run: None,
                inventory: Some(Ok(Inventory::default())),
            },
        )
    };
    for (error, want) in cases {
        let report = check(&mut r, Err(error.clone()), None);
        let got: Vec<_> = ["firewall", "role", "key_found"]
            .iter()
            .map(|id| {
                let c = report.checks.iter().find(|c| c.id == *id).expect(id);
                (c.status, c.problem.as_ref().map(|p| p.code.clone()))
            })
            .collect();
        let expected: Vec<_> = want
            .iter()
            .map(|st| (*st, (*st == S::Problem).then(|| error.code().to_owned())))
            .collect();
        assert_eq!(got, expected, "{}", error.code());
        // Throttling shows as its own problem, whether the GET or the probe
        // was throttled; else it is only skipped (the key was not read).
        let throttling = report.checks.iter().find(|c| c.id == "throttling").unwrap();
        let throttled = matches!(error, CatalogError::Throttled);
        assert_eq!(
            throttling.status,
            if throttled { S::Problem } else { S::Skipped },
            "{}",
            error.code()
        );
    }
    // A throttled probe after a good GET: the key's figures give way to the
    // problem.
    let report = check(
        &mut r,
        Ok(bundle_for(&kid(&t, 1), 3072)),
        Some(Err(CatalogError::Throttled)),
    );
    let codes: Vec<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["throttled", "throttled"], "{report:#?}");
    let throttling = report.checks.iter().find(|c| c.id == "throttling").unwrap();
    assert_eq!(throttling.status, S::Problem);
}

/// Check configuration reports the key's size and type as Key Vault sent
/// them: a modulus with a leading zero byte (some encoders add one) is
/// still measured from its first set bit, a modulus whose top bit is clear
/// (4,095 bits) is named by its exact size, and a `kty` that is not RSA is
/// named with what it is (letters, digits and dashes only: `EC-HSM`, and
/// markup stripped from a forged one).
#[test]
fn check_configuration_reports_the_keys_size_and_type_as_sent() {
    use keyswitch_shared::keyvault::encode_base64url;
    use keyswitch_shared::rotation::CheckStatus as S;
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let t = target(1);
    let versionless = KeyId::new(&t.vault_uri, &t.key_name, None);
    let mut check = |b| {
        let report = check_of_bundle(&mut r, &versionless, b, None, Inventory::default());
        let item = |id: &str| report.checks.iter().find(|c| c.id == id).expect(id).clone();
        (item("key_type"), item("key_size"))
    };
    let with_n = |n: Vec<u8>| {
        let mut b = bundle_for(&kid(&t, 1), 4096);
        b.key.n = Some(encode_base64url(&n));
        b
    };
    // 4,096 bits behind a leading zero byte: still 4,096.
    let mut n = vec![0u8];
    n.extend(vec![0xc3u8; 512]);
    let (_, size) = check(with_n(n));
    assert_eq!(
        (size.status, size.detail.as_deref()),
        (S::Ok, Some("4096 bits"))
    );
    // Top byte 0x7f: 4,095 bits, named exactly.
    let mut n = vec![0x7fu8; 512];
    n[511] = 0x01;
    let (_, size) = check(with_n(n));
    assert_eq!(size.status, S::Problem);
    let problem = size.problem.expect("the size problem");
    assert_eq!(problem.code, "key_size_not_supported");
    assert!(problem.message.contains("RSA 4095,"), "{}", problem.message);
    // Not RSA: the type is named as sent, stripped to a safe alphabet.
    for (kty, named) in [("EC-HSM", "EC-HSM"), ("oct<b>x</b>", "octbxb")] {
        let mut b = bundle_for(&kid(&t, 1), 4096);
        b.key.kty = kty.into();
        let (ty, size) = check(b);
        assert_eq!(ty.status, S::Problem, "{kty}");
        let problem = ty.problem.expect("the type problem");
        assert_eq!(problem.code, "key_wrong_type");
        assert_eq!(
            problem.message,
            format!("The key is of type {named}, but an RSA key is required")
        );
        assert_eq!(size.status, S::Skipped, "{kty}");
    }
    // The operations the key lacks are named, each exactly; a key that
    // allows more than wrap and unwrap is fine.
    for (ops, lacking) in [
        (&["wrapKey"][..], Some("The key does not permit unwrapKey")),
        (&["unwrapKey"][..], Some("The key does not permit wrapKey")),
        (
            &[][..],
            Some("The key does not permit wrapKey and unwrapKey"),
        ),
        (&["sign", "unwrapKey", "wrapKey"][..], None),
    ] {
        let mut b = bundle_for(&kid(&t, 1), 4096);
        b.key.key_ops = ops.iter().map(|o| (*o).to_owned()).collect();
        let report = check_of_bundle(&mut r, &versionless, b, None, Inventory::default());
        let item = report
            .checks
            .iter()
            .find(|c| c.id == "key_ops")
            .expect("key_ops");
        assert_eq!(
            item.problem.as_ref().map(|p| p.message.as_str()),
            lacking,
            "{ops:?}"
        );
    }
}

/// The throttling headroom names Key Vault's limit for the key's type and
/// size (per 10 s: RSA 2,048 4,000; 3,072 1,000; 4,096 500; HSM keys half),
/// and the backup-set check says "no backup set" only when the inventory
/// lists neither a tenant nor a set that cannot be verified.
#[test]
fn check_configuration_names_the_keys_throttling_limit_and_an_empty_inventory() {
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    let t = target(1);
    let versionless = KeyId::new(&t.vault_uri, &t.key_name, None);
    let mut check =
        |b, inventory| check_of_bundle(&mut r, &versionless, b, Some(Ok(())), inventory);
    for (kty, bits, limit) in [
        ("RSA", 2048, 4000),
        ("RSA", 3072, 1000),
        ("RSA", 4096, 500),
        ("RSA-HSM", 2048, 2000),
        ("RSA-HSM", 3072, 500),
        ("RSA-HSM", 4096, 250),
    ] {
        let mut b = bundle_for(&kid(&t, 1), bits);
        b.key.kty = kty.into();
        let report = check(b, Inventory::default());
        let detail = report
            .checks
            .iter()
            .find(|c| c.id == "throttling")
            .and_then(|c| c.detail.clone())
            .unwrap_or_default();
        assert!(
            detail.starts_with(&format!("Key Vault allows {limit} operations per 10 s")),
            "{kty} {bits}: {detail}"
        );
    }
    let empty = |report: &keyswitch_shared::rotation::CheckReport| {
        report.checks.iter().any(|c| {
            c.id == "backup_sets"
                && c.detail.as_deref() == Some("the inventory lists no backup set")
        })
    };
    let b = || bundle_for(&kid(&t, 1), 4096);
    assert!(empty(&check(b(), Inventory::default())));
    let only_unverifiable = Inventory {
        tenants: vec![],
        unverifiable: unverifiable_sets(),
    };
    assert!(!empty(&check(b(), only_unverifiable)));
    assert!(!empty(&check(b(), inventory(&[m365(VAULT_TENANT)]))));
}

#[test]
fn check_configuration_shows_which_backup_set_tenants_the_setup_has_verified() {
    use keyswitch_shared::rotation::{CheckObservations, CheckScope, CheckStatus};
    let (a, b) = (m365(VAULT_TENANT), google("C01abcd23"));
    let mut r = Run::new(new_company());
    to_verifying(&mut r, &[a.clone(), b.clone()]);
    verify(&mut r, &a);
    assert_eq!(r.m.stage(), Stage::VerifyingTenants);
    let fx = r.ok(Event::CheckConfiguration { actor: admin() });
    let Some(Effect::CheckConfiguration { scope, key, .. }) = calls(&fx).first().cloned() else {
        panic!("{fx:?}")
    };
    assert_eq!(scope, CheckScope::Pending);
    let t = target(1);
    let report = check_report(
        &mut r,
        scope,
        &key,
        CheckObservations {
            token: Some(Ok(())),
            key: Some(Ok(bundle_for(&kid(&t, 1), 3072))),
            probe: Some(Ok(())),
            dry_run: None,
            inventory: Some(Ok(inventory(&[a, b]))),
        },
    );
    let detail = |id: &str| {
        let c = report
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}: {report:#?}"));
        assert_eq!(c.status, CheckStatus::Ok, "{id}");
        c.detail.clone().unwrap_or_default()
    };
    assert_eq!(
        detail(&format!("tenant:Microsoft 365 tenant {VAULT_TENANT}")),
        "verified"
    );
    assert_eq!(
        detail("tenant:Google Workspace customer C01abcd23"),
        "can be verified by a super admin of the Google Workspace"
    );
}

#[test]
fn check_configuration_once_the_commit_is_issued_no_longer_checks_the_setup() {
    // Once the final read has issued the commit (the re-wrap runs), the
    // setup is no longer pending for Check configuration (as for Cancel):
    // it checks the key in force, and on the platform key there is none.
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &[m365(VAULT_TENANT)]);
    let before = r.m.clone();
    let e = r.refused(Event::CheckConfiguration { actor: admin() });
    assert_eq!(e.code(), "conflict", "{e:?}");
    assert_eq!(r.m, before);
}

// ---------- the backup-set count the status shows (issue 15 item 2) ----------

#[test]
fn the_status_count_is_kept_and_due_again_after_its_maximum_age() {
    let mut r = Run::new(new_company());
    assert_eq!(r.m.backup_sets(), None);
    assert!(
        r.m.backup_set_count_due(r.now, &r.policy),
        "never read: due"
    );
    let fx = r.ok(Event::BackupSetsCounted { result: Ok(3) });
    assert!(
        fx.is_empty(),
        "a count is no audit entry and no call: {fx:?}"
    );
    let read_at = r.now;
    let kept = r.m.backup_sets().unwrap();
    assert_eq!((kept.count, kept.read_at_ms), (3, read_at));
    let max_age = r.policy.backup_set_count_max_age_ms;
    assert_eq!(max_age, 60_000, "the default maximum age");
    assert!(!r.m.backup_set_count_due(read_at + max_age - 1, &r.policy));
    assert!(r.m.backup_set_count_due(read_at + max_age, &r.policy));
    // A clock behind the read does not make it due.
    assert!(!r.m.backup_set_count_due(read_at - 5_000, &r.policy));
    // A fresh read replaces it.
    r.now += max_age;
    r.ok(Event::BackupSetsCounted { result: Ok(0) });
    let kept = r.m.backup_sets().unwrap();
    assert_eq!((kept.count, kept.read_at_ms), (0, r.now));
}

#[test]
fn a_failed_status_read_keeps_the_last_count_or_answers_the_error() {
    let mut r = Run::new(new_company());
    let before = r.m.clone();
    let e = r.refused(Event::BackupSetsCounted {
        result: Err(CatalogError::Internal),
    });
    assert_eq!(e, CatalogError::Internal, "nothing to show: the error");
    assert_eq!(r.m, before, "nothing changed");
    r.ok(Event::BackupSetsCounted { result: Ok(2) });
    let kept = r.m.backup_sets();
    let before = r.m.clone();
    let fx = r.ok(Event::BackupSetsCounted {
        result: Err(CatalogError::Internal),
    });
    assert!(fx.is_empty());
    assert_eq!(
        r.m.backup_sets(),
        kept,
        "the last count stays, with its time"
    );
    assert_eq!(r.m, before);
}

#[test]
fn every_inventory_read_refreshes_the_count_with_unverifiable_sets_included() {
    let mut r = Run::new(new_company());
    r.ok(Event::BackupSetsCounted { result: Ok(7) });
    to_tested(&mut r);
    r.ok(Event::Save { actor: admin() });
    let attempt = r.attempt();
    let mut read = inventory(&[m365(VAULT_TENANT), google("C01abcd23")]);
    read.unverifiable = unverifiable_sets();
    let sets = 2 + unverifiable_sets().len();
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(read),
    });
    let kept = r.m.backup_sets().unwrap();
    assert_eq!(kept.count, u32::try_from(sets).unwrap());
    assert_eq!(kept.read_at_ms, r.now);
    // A failed read leaves the count alone.
    r.ok(Event::Refresh { actor: admin() });
    let attempt = r.attempt();
    r.ok(Event::InventoryRead {
        attempt,
        result: Err(CatalogError::Internal),
    });
    assert_eq!(r.m.backup_sets(), Some(kept));
    // A stale result (another attempt) is refused and counts nothing.
    r.ok(Event::Refresh { actor: admin() });
    let attempt = r.attempt();
    let before = r.m.clone();
    r.refused(Event::InventoryRead {
        attempt: attempt + 1,
        result: Ok(inventory(&[m365(VAULT_TENANT)])),
    });
    assert_eq!(r.m, before);
    // The Refresh's own read counts.
    r.ok(Event::InventoryRead {
        attempt,
        result: Ok(inventory(&[m365(VAULT_TENANT)])),
    });
    assert_eq!(r.m.backup_sets().unwrap().count, 1);
}

#[test]
fn the_final_inventory_read_refreshes_the_count() {
    let tenants = [m365(VAULT_TENANT), google("C01abcd23")];
    let mut r = Run::new(new_company());
    to_wrap(&mut r, &tenants);
    let kept = r.m.backup_sets().unwrap();
    assert_eq!(kept.count, 2);
    assert_eq!(
        kept.read_at_ms, r.now,
        "counted by the last read, the final one"
    );
}

#[test]
fn a_status_read_does_not_resolve_an_expired_step() {
    let mut r = Run::new(new_company());
    to_tested(&mut r);
    r.ok(Event::Save { actor: admin() });
    let lease = r.m.lease().cloned().unwrap();
    r.now = lease.until_ms + 1;
    r.ok_now(Event::BackupSetsCounted { result: Ok(4) });
    assert_eq!(
        r.m.lease(),
        Some(&lease),
        "the alarm resolves it, not a status read"
    );
    assert_eq!(r.m.backup_sets().unwrap().count, 4);
}
