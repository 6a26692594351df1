//! Issue 13, items 1a, 2 and 4: admin consent is proven per setup by an
//! admin's ID token from the vault's tenant, never borrowed from another
//! company; no call reaches a vault before that proof; connection tests are
//! rate limited; a callback's state is checked before anything is stored.

use keyswitch_integration::consent_helpers::*;
use keyswitch_integration::finalize_helpers::{landing_code, sign_in};
use keyswitch_integration::*;
use serde_json::{Value, json};

/// Company A switches to `w`'s key: consent, role, test passed.
async fn a_company_on(w: &World) -> (String, String) {
    let a = fresh_company("it-acme");
    let t = session("company_admin", &[&a]).await;
    assert_eq!(start_and_consent(&a, &t, w).await, 200);
    w.assign_role().await;
    w.bind_key(&a).await;
    let (s, v) = call("POST", &format!("{}/test", kms(&a)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested");
    (a, t)
}

#[tokio::test]
async fn a_consent_proven_for_one_company_is_never_reused_by_another() {
    let w = world(true, 2048).await;
    let _acme = a_company_on(&w).await;
    let calls_before = vault_calls(&w.vault_uri).await;

    // Another company's admin names acme's vault and key.
    let evil = fresh_company("it-evil");
    let t = session("company_admin", &[&evil]).await;
    let (status, answer) = start(&evil, &t, &w.vault_uri, &w.key).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kms"]["stage"], "awaiting_consent", "{answer}");
    assert_eq!(answer["kms"]["pending"]["consent"], Value::Null);
    let url = answer["consent_url"].as_str().expect("a consent URL");
    // Test, Completed, Save: nothing borrows acme's consent.
    assert_error(
        &call("POST", &format!("{}/test", kms(&evil)), Some(&t), None).await,
        422,
        "admin_consent_required",
    );
    assert_error(
        &call("POST", &format!("{}/save", kms(&evil)), Some(&t), None).await,
        409,
        "invalid_state_transition",
    );
    // The forged success on its own state proves nothing either.
    let state = state_of(url);
    let (status, _, html) = get_page(&callback(&format!(
        "admin_consent=True&tenant={}&state={state}",
        w.tenant
    )))
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Azure AD admin consent is required"),
        "{html}"
    );
    let s = status_of(&evil, &t).await;
    assert_eq!(s["pending"]["consent"], Value::Null);
    assert_eq!(s["provider"], json!({"kind": "platform"}));
    assert_error(
        &call("POST", &format!("{}/test", kms(&evil)), Some(&t), None).await,
        422,
        "admin_consent_required",
    );
    assert_eq!(
        vault_calls(&w.vault_uri).await,
        calls_before,
        "evil's requests reached acme's vault"
    );
}

#[tokio::test]
async fn a_forged_callback_without_a_code_gives_no_consent_even_where_the_connector_has_one() {
    let w = world(true, 2048).await;
    // The connector holds consent in the tenant (another customer granted it).
    control("POST", "/consents", Some(json!({"tenant": w.tenant}))).await;
    let company = fresh_company("it-forge");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let state = state_of(answer["consent_url"].as_str().expect("url"));
    let (status, _, html) = get_page(&callback(&format!(
        "admin_consent=True&tenant={}&state={state}",
        w.tenant
    )))
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Azure AD admin consent is required"),
        "{html}"
    );
    let s = status_of(&company, &t).await;
    assert_eq!(s["stage"], "draft");
    assert_eq!(s["pending"]["consent"], Value::Null);
    assert_eq!(s["pending"]["last_error"]["code"], "admin_consent_required");
    let events = audit_events(&company, &t).await;
    assert_eq!(events[0]["action"], "admin_consent", "{events:?}");
    assert_eq!(events[0]["outcome"], "failed");
}

#[tokio::test]
async fn an_id_token_from_another_tenant_is_refused() {
    let w = world(true, 2048).await;
    let other = world(true, 2048).await;
    let company = fresh_company("it-tid");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    // An admin of another tenant signs in (and consents there).
    let back = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &other.admin_oid,
        "accept",
    )
    .await;
    assert!(back.contains("code="), "{back}");
    let (status, _, html) = get_page(&back).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("different tenant"), "{html}");
    let s = status_of(&company, &t).await;
    assert_eq!(s["pending"]["consent"], Value::Null);
    assert_eq!(s["pending"]["last_error"]["code"], "tenant_mismatch");
    assert!(
        s["pending"]["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&other.tenant) && m.contains(&w.tenant)),
        "{s}"
    );
    // Nothing was kept: Test Connection asks for consent again.
    let (_, again) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(again["kms"]["stage"], "awaiting_consent");
    assert!(again["consent_url"].is_string());
}

#[tokio::test]
async fn an_id_token_of_a_user_without_an_admin_role_is_refused() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-wids");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    // The user drops prompt=admin_consent: Microsoft issues a code to a
    // user without an admin role, and the ID token has no such role.
    let url = without_param(answer["consent_url"].as_str().expect("url"), "prompt");
    let back = sign_in(&url, &w.plain_oid, "accept").await;
    assert!(back.contains("code="), "{back}");
    let (status, _, html) = get_page(&back).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Global Administrator or Privileged Role Administrator"),
        "{html}"
    );
    let s = status_of(&company, &t).await;
    assert_eq!(
        s["pending"]["last_error"]["code"],
        "consent_user_lacks_role"
    );
    assert_eq!(s["pending"]["consent"], Value::Null);
}

#[tokio::test]
async fn repeated_switch_and_test_never_reach_the_vault_before_the_proof_and_tests_are_rate_limited()
 {
    let w = world(true, 2048).await;
    let company = fresh_company("it-quota");
    let t = session("company_admin", &[&company]).await;
    let before = vault_calls(&w.vault_uri).await;
    for _ in 0..10 {
        let (s, v) = start(&company, &t, &w.vault_uri, &w.key).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["kms"]["stage"], "awaiting_consent");
        assert_error(
            &call("POST", &format!("{}/test", kms(&company)), Some(&t), None).await,
            422,
            "admin_consent_required",
        );
    }
    assert_eq!(
        vault_calls(&w.vault_uri).await,
        before,
        "a vault call before the consent proof"
    );

    // Proven: the first test runs, the next within 10 s is refused.
    let (_, v) = start(&company, &t, &w.vault_uri, &w.key).await;
    let back = consent_as(
        v["consent_url"].as_str().expect("url"),
        &w.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(get_page(&back).await.0, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    let (s, _, v) = post_with_headers(&company, &t, "test", None).await;
    assert_eq!(s, 200, "{v}");
    let after_first = vault_calls(&w.vault_uri).await;
    let (s, retry_after, v) = post_with_headers(&company, &t, "test", None).await;
    assert_error(&(s, v.clone()), 429, "rate_limited");
    let secs: u64 = retry_after
        .as_deref()
        .and_then(|r| r.parse().ok())
        .expect("Retry-After");
    assert!((1..=10).contains(&secs), "{secs}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("wait") && message.contains(" s"),
        "the wait is in the message: {message}"
    );
    // Test Connection on the same key would test too: also refused.
    let (s, retry_after, v) = post_with_headers(
        &company,
        &t,
        "switch",
        Some(json!({"vault_uri": w.vault_uri, "key_name": w.key})),
    )
    .await;
    assert_error(&(s, v), 429, "rate_limited");
    assert!(retry_after.is_some());
    assert_eq!(vault_calls(&w.vault_uri).await, after_first);
    assert_eq!(status_of(&company, &t).await["stage"], "tested");
    // The refusals are on the audit trail.
    let events = audit_events(&company, &t).await;
    assert!(
        events
            .iter()
            .any(|e| e["outcome"] == "refused" && e["detail"] == "rate_limited"),
        "{events:?}"
    );
    // After the wait the test runs again.
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    let (s, _, v) = post_with_headers(&company, &t, "test", None).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_flood_of_bogus_states_creates_no_record_and_no_audit_entry() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-flood");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let state = state_of(answer["consent_url"].as_str().expect("url"));
    let before = status_of(&company, &t).await;
    let trail = audit_events(&company, &t).await;
    let never_seen = fresh_company("it-ghost");
    let (payload, mac) = state.rsplit_once('.').expect("a signed state");
    let nonce = payload.rsplit('.').next().expect("a nonce");
    let mut bogus = vec![
        // The old shapes, a made-up MAC, a MAC moved to another company or
        // flow, and states naming a company that never existed.
        format!("{company}.{nonce}"),
        format!("{company}.verify.{nonce}"),
        format!("{payload}.AAAA"),
        format!("{payload}x.{mac}"),
        format!("{never_seen}.consent.{nonce}.{mac}"),
        format!("{company}.verify.{nonce}.{mac}"),
        format!("{never_seen}.{nonce}"),
        format!("{never_seen}.verify.{nonce}"),
        String::new(),
    ];
    for i in 0..40 {
        bogus.push(format!("{never_seen}.consent.n{i}.m{i}"));
        bogus.push(format!("{company}.verify.n{i}.{mac}"));
    }
    for s in &bogus {
        for extra in [
            "admin_consent=True",
            "code=stolen-code",
            "error=access_denied",
        ] {
            let (status, _, html) = get_page(&callback(&format!("{extra}&state={s}"))).await;
            assert_eq!(status, 400, "{s}: {html}");
            assert_eq!(
                landing_code(&html).as_deref(),
                Some("oauth_state_invalid"),
                "{s}: {html}"
            );
        }
    }
    assert_eq!(status_of(&company, &t).await, before);
    assert_eq!(audit_events(&company, &t).await, trail, "no audit entry");
    // The never-seen company has no record: the first read creates it now.
    let flood_over = now_ms();
    let ghost_token = session("company_admin", &[&never_seen]).await;
    let ghost = status_of(&never_seen, &ghost_token).await;
    let created = ghost["company_key"]["created_at_ms"]
        .as_u64()
        .expect("created_at_ms");
    assert!(
        created >= flood_over,
        "a callback created {never_seen}'s record at {created} (flood over at {flood_over})"
    );
    assert!(audit_events(&never_seen, &ghost_token).await.is_empty());
    // The genuine state still works afterwards.
    let back = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(get_page(&back).await.0, 200);
}
