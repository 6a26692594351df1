//! Role assignment guidance and the connection test ("Completed") against
//! the simulator set up to cause each row of the seed's "Common issues".

use keyswitch_integration::consent_helpers::start_when_allowed;
use keyswitch_integration::switch_helpers::{add_fault, fired, remove_fault, requests_to};
use keyswitch_integration::*;
use serde_json::{Value, json};

/// Completed (a retest waits out the rate limit).
async fn test(company: &str, t: &str) -> (u16, Value) {
    keyswitch_integration::consent_helpers::test_connection(company, t).await
}

#[tokio::test]
async fn guidance_then_a_passing_test_records_the_key() {
    let w = world(true, 3072).await;
    let company = fresh_company("it-pass");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    let (status, g) = call(
        "GET",
        &format!("{}/role-assignment", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["service_principal_name"], "CyberSentriq KMS Connector");
    assert_eq!(g["role_id"], "12338af0-0e69-4776-bea7-57ae8d297424");
    assert_eq!(g["role_name"], "Key Vault Crypto User");
    assert_eq!(g["vault_name"], w.vault.as_str());
    let az = g["az_commands"].as_str().expect("az");
    assert!(
        az.contains(&format!("--assignee {CONNECTOR_CLIENT_ID}")),
        "{az}"
    );
    assert!(az.contains(&format!(
        "az keyvault show --name {} --query id -o tsv",
        w.vault
    )));
    assert!(g["portal_steps"].as_array().is_some_and(|s| s.len() >= 5));

    // Role not assigned yet: Forbidden / Access denied.
    assert_error(&test(&company, &t).await, 422, "key_vault_forbidden");
    assert_eq!(
        status_of(&company, &t).await["stage"],
        "awaiting_role_assignment"
    );
    w.assign_role().await;
    w.bind_key(&company).await;
    let (status, answer) = test(&company, &t).await;
    assert_eq!(status, 200, "{answer}");
    let pending = &answer["kms"]["pending"];
    assert_eq!(answer["kms"]["stage"], "tested");
    assert_eq!(pending["tested_key"]["size_bits"], 3072);
    let kid = pending["tested_key"]["kid"].as_str().expect("kid");
    assert!(
        kid.starts_with(&format!("{}/keys/company-kek/", w.vault_uri)),
        "{kid}"
    );
    assert_eq!(answer["kms"]["provider"], json!({"kind": "platform"}));
}

#[tokio::test]
async fn unknown_key_and_secret_name_are_key_not_found() {
    let w = world(true, 2048).await;
    control(
        "POST",
        &format!("/vaults/{}/secrets", w.vault),
        Some(json!({"name": "db-password", "value": "x"})),
    )
    .await;
    let company = fresh_company("it-nokey");
    let t = session("company_admin", &[&company]).await;
    let (status, answer) = start(&company, &t, &w.vault_uri, "db-password").await;
    assert_eq!(status, 200);
    let cb = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(get_page(&cb).await.0, 200);
    w.assign_role().await;
    let r = test(&company, &t).await;
    assert_error(&r, 422, "key_not_found");
    assert_eq!(r.1["message"], "Key not found in the vault");
    let s = status_of(&company, &t).await;
    assert_eq!(s["pending"]["last_error"]["code"], "key_not_found");
    // Fix the key name: consent is still fresh, so the test runs at once
    // (once the rate limit allows another test).
    let (status, answer) = start_when_allowed(&company, &t, &w.vault_uri, "no-such-key").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["code"], "key_not_found");
    w.bind_key(&company).await;
    let (status, answer) = start_when_allowed(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kms"]["stage"], "tested");
}

#[tokio::test]
async fn access_policy_vault_is_named() {
    let w = world(false, 2048).await;
    let company = fresh_company("it-policy");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    let r = test(&company, &t).await;
    assert_error(&r, 422, "access_policy_vault");
    assert!(
        r.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("vault access policy"))
    );
}

#[tokio::test]
async fn consent_missing_asks_for_consent_again() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-noconsent");
    let t = session("company_admin", &[&company]).await;
    // Never consented.
    let (status, _) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(status, 200);
    let r = test(&company, &t).await;
    assert_error(&r, 422, "admin_consent_required");
    assert_eq!(r.1["message"], "Azure AD admin consent is required");
    // A revoked consent shows up once the cached token expires (Entra does
    // not revoke issued tokens); the forged-callback test covers Entra's refusal.
}

#[tokio::test]
async fn throttling_backs_off_then_succeeds_or_gives_a_clear_error() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-throttle");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    let key_path = format!("{}.vault.azure.net/keys/{}", w.vault, w.key);
    // KEYVAULT_RETRY_BASE_MS of the test stack (scripts/lib.sh).
    let base: u64 = std::env::var("KEYVAULT_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // Two 429s on GET key: the back-off absorbs them (both fired, then a
    // third call answered).
    let id = add_fault(json!({"service": "keyvault", "path": key_path, "method": "GET", "count": 2, "action": {"kind": "throttle"}})).await;
    let (status, answer) = test(&company, &t).await;
    let n = fired(id).await;
    remove_fault(id).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(n, 2, "the two 429s did not both fire");
    let seen: Vec<_> = requests_to(&key_path)
        .await
        .into_iter()
        .filter(|e| e["method"] == "GET")
        .collect();
    let throttled = seen.iter().position(|e| e["fault"] == "throttle");
    let after = throttled.map(|i| &seen[i..]).unwrap_or_default();
    assert!(
        after.len() >= 3
            && after[0]["fault"] == "throttle"
            && after[1]["fault"] == "throttle"
            && after[2]["status"] == 200,
        "two 429s, then an answer: {after:?}"
    );

    // Throttled on every call: one call and retries after 1, 2, 4, 8, 16 ×
    // base, then a clear error.
    let first_seq = requests_to(&key_path)
        .await
        .last()
        .and_then(|e| e["seq"].as_u64())
        .unwrap_or(0);
    let id = add_fault(json!({"service": "keyvault", "path": key_path, "method": "GET", "count": 0, "action": {"kind": "throttle"}})).await;
    let r = test(&company, &t).await;
    let n = fired(id).await;
    remove_fault(id).await;
    assert_error(&r, 429, "throttled");
    assert_eq!(n, 6, "one call and five retries");
    let at: Vec<u64> = requests_to(&key_path)
        .await
        .into_iter()
        .filter(|e| e["seq"].as_u64().unwrap_or(0) > first_seq && e["fault"] == "throttle")
        .filter_map(|e| e["at_ms"].as_u64())
        .collect();
    assert_eq!(at.len(), 6, "six throttled calls in the log: {at:?}");
    for (i, factor) in [1u64, 2, 4, 8, 16].iter().enumerate() {
        let gap = at[i + 1].saturating_sub(at[i]);
        assert!(
            gap >= base * factor,
            "retry {} came {gap} ms after the previous call, before its back-off of {} ms: {at:?}",
            i + 1,
            base * factor
        );
    }
    assert_eq!(
        status_of(&company, &t).await["provider"],
        json!({"kind": "platform"})
    );
}

#[tokio::test]
async fn azure_unavailable_is_reported_and_the_provider_stays() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-outage");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    let id = add_fault(json!({"service": "keyvault", "path": format!("{}.vault.azure.net/keys/{}", w.vault, w.key), "count": 0, "action": {"kind": "status", "status": 503}})).await;
    let r = test(&company, &t).await;
    let n = fired(id).await;
    remove_fault(id).await;
    assert!(n > 0, "the 503 never fired");
    assert_error(&r, 503, "azure_unavailable");
    assert_eq!(
        status_of(&company, &t).await["provider"],
        json!({"kind": "platform"})
    );
}
