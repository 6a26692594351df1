//! Save (the tenants of the backup sets become the list to verify), Cancel
//! at every stage (pending gone, provider and company key unchanged), and
//! the audit trail.

use keyswitch_integration::*;
use serde_json::{Value, json};

async fn tested_setup(company: &str, t: &str) -> World {
    let w = world(true, 2048).await;
    assert_eq!(start_and_consent(company, t, &w).await, 200);
    w.assign_role().await;
    w.bind_key(company).await;
    let (status, answer) = call("POST", &format!("{}/test", kms(company)), Some(t), None).await;
    assert_eq!(status, 200, "{answer}");
    w
}

#[tokio::test]
async fn save_lists_every_backup_set_tenant_unverified() {
    let company = fresh_company("it-save");
    control(
        "POST",
        "/companies",
        Some(json!({"id": company, "name": "Save Co"})),
    )
    .await;
    for body in [
        json!({"name": "Mail", "kind": "microsoft365", "tenant_id": "8f0a5c2e-6b1d-4e3f-9a7b-2c4d6e8f0a1b", "tenant_name": "Tailspin"}),
        json!({"name": "Drive", "kind": "google_workspace", "customer_id": "C01abcdef", "domain": "example-workspace.test"}),
    ] {
        control(
            "POST",
            &format!("/companies/{company}/backup-sets"),
            Some(body),
        )
        .await;
    }
    let t = session("partner_admin", &[&company]).await;
    // Save before a passing test is refused.
    let (_, _) = start(
        &company,
        &t,
        "https://contoso-kms.vault.azure.net",
        "company-kek",
    )
    .await;
    assert_error(
        &call("POST", &format!("{}/save", kms(&company)), Some(&t), None).await,
        409,
        "invalid_state_transition",
    );
    tested_setup(&company, &t).await;
    let (status, answer) = call("POST", &format!("{}/save", kms(&company)), Some(&t), None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kms"]["stage"], "verifying_tenants");
    let tenants = answer["kms"]["pending"]["tenants"]
        .as_array()
        .expect("tenants");
    assert_eq!(tenants.len(), 2, "{tenants:?}");
    assert!(
        tenants
            .iter()
            .all(|t| t["status"]["status"] == "unverified")
    );
    assert!(
        tenants
            .iter()
            .any(|t| t["tenant"]["tenant_id"] == "8f0a5c2e-6b1d-4e3f-9a7b-2c4d6e8f0a1b")
    );
    assert!(
        tenants
            .iter()
            .any(|t| t["tenant"]["customer_id"] == "C01abcdef")
    );
    // The tenant list carries the names the inventory gives.
    let names = answer["kms"]["pending"]["tenant_names"]
        .as_array()
        .expect("tenant_names");
    assert!(
        names.iter().any(|n| n["name"] == "Tailspin"
            && n["tenant"]["tenant_id"] == "8f0a5c2e-6b1d-4e3f-9a7b-2c4d6e8f0a1b"),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n["name"] == "example-workspace.test"
                && n["tenant"]["customer_id"] == "C01abcdef"),
        "{names:?}"
    );
    assert_eq!(answer["kms"]["provider"], json!({"kind": "platform"}));
}

async fn cancel_keeps_everything(company: &str, t: &str, before: &Value) {
    let (status, answer) = call("POST", &format!("{}/cancel", kms(company)), Some(t), None).await;
    assert_eq!(status, 200, "{answer}");
    let after = status_of(company, t).await;
    assert_eq!(after["pending"], Value::Null);
    assert_eq!(after["stage"], "cancelled");
    assert_eq!(after["provider"], before["provider"]);
    assert_eq!(after["company_key"], before["company_key"]);
}

#[tokio::test]
async fn cancel_at_every_stage_leaves_provider_and_key_unchanged() {
    let company = fresh_company("it-cancel");
    let t = session("company_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    assert_error(
        &call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await,
        409,
        "invalid_state_transition",
    );

    // Awaiting consent; its state is dead afterwards.
    let w = world(true, 2048).await;
    // One backup set, so Save stops at "verifying tenants" (with none, every
    // tenant is verified and the finalization starts by itself).
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-m365", "tenant_id": w.tenant})),
    )
    .await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let url = answer["consent_url"].as_str().expect("url").to_owned();
    cancel_keeps_everything(&company, &t, &before).await;
    let cb = consent_as(&url, &w.admin_oid, "accept").await;
    assert_eq!(get_page(&cb).await.0, 400);
    assert_eq!(status_of(&company, &t).await["pending"], Value::Null);

    // Draft (after a failed consent).
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let cb = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.plain_oid,
        "accept",
    )
    .await;
    get_page(&cb).await;
    assert_eq!(status_of(&company, &t).await["stage"], "draft");
    cancel_keeps_everything(&company, &t, &before).await;

    // Awaiting role assignment.
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    assert_eq!(
        status_of(&company, &t).await["stage"],
        "awaiting_role_assignment"
    );
    cancel_keeps_everything(&company, &t, &before).await;

    // Tested.
    tested_setup(&company, &t).await;
    cancel_keeps_everything(&company, &t, &before).await;

    // Verifying tenants.
    tested_setup(&company, &t).await;
    let (status, _) = call("POST", &format!("{}/save", kms(&company)), Some(&t), None).await;
    assert_eq!(status, 200);
    cancel_keeps_everything(&company, &t, &before).await;
}

#[tokio::test]
async fn every_step_is_audited_without_secrets() {
    let company = fresh_company("it-audit");
    let t = session("company_admin", &[&company]).await;
    tested_setup(&company, &t).await;
    call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
    let (status, raw) = call_raw("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    assert_eq!(status, 200, "{raw}");
    assert!(
        !raw.contains(CONNECTOR_SECRET),
        "the connector secret leaked"
    );
    assert!(!raw.contains(&t), "the session token leaked");
    assert!(!raw.to_lowercase().contains("bearer"), "{raw}");
    let v: Value = serde_json::from_str(&raw).expect("json");
    let events = v["events"].as_array().expect("events");
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    for a in [
        "switch_started",
        "test_connection",
        "admin_consent",
        "connection_test",
        "cancel",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    for e in events {
        assert!(e["at_ms"].as_u64().is_some_and(|t| t > 0));
        assert!(e["actor"].as_str().is_some_and(|a| !a.is_empty()));
        assert!(["succeeded", "failed", "refused"].contains(&e["outcome"].as_str().unwrap_or("")));
    }
    // Newest first, limit respected.
    let (_, one) = call(
        "GET",
        &format!("{}/audit?limit=1", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(one["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["events"][0]["action"], "cancel");
}

#[tokio::test]
async fn cors_allows_only_configured_origins_and_openapi_is_served() {
    let client = reqwest::Client::new();
    let pre = |origin: &'static str| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/companies/acme/kms", worker_url()),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let ok = pre(ALLOWED_ORIGIN).await.expect("answer");
    assert_eq!(ok.headers()["access-control-allow-origin"], ALLOWED_ORIGIN);
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap_or("")
            .contains("Authorization")
    );
    let evil = pre("https://evil.example").await.expect("answer");
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let doc = client
        .get(format!("{}/api/openapi.yaml", worker_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(doc.status(), 200);
    let text = doc.text().await.expect("text");
    assert!(
        text.starts_with("openapi: 3."),
        "{}",
        &text[..text.len().min(40)]
    );
}
