//! Refusals of the outside services that no other test produced (issue 18
//! item 5: every catalog code comes out of some test): a code Entra or
//! Google will not redeem, Google unreachable, a sign-in without the admin
//! role, Key Vault refusing the connector's token or the request. Each
//! fault is shown to have fired, and the state it leaves is exact.

use keyswitch_integration::attack_helpers::{tenant_entry, with_param};
use keyswitch_integration::consent_helpers::start_when_allowed;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::{add_fault, fault, remove_fault};
use keyswitch_integration::*;
use serde_json::{Value, json};

/// Verifies `tenant` as `user`, but hands the callback a code the provider
/// never issued: the landing page's status and code.
async fn with_forged_code(company: &str, t: &str, tenant: &Value, user: &str) -> (u16, String) {
    let url = begin_verify(company, t, tenant).await;
    let back = sign_in(&url, user, "accept").await;
    let (status, _, html) = get_page(&with_param(&back, "code", "code-nobody-issued")).await;
    (status, landing_code(&html).unwrap_or_default())
}

#[tokio::test]
async fn sign_in_refusals_of_entra_and_google_are_named() {
    let w = world(true, 2048).await;
    let company = company_for("it-out-v", &w, true).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let ms = m365(&w.tenant);
    let google = gws(GOOGLE_CUSTOMER);
    let super_admin = google_email("super").await;

    // A user of the tenant without Global / Privileged Role Administrator.
    let (status, html) = verify_as(&company, &t, &ms, &w.plain_oid, "accept").await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("tenant_verified_without_role")
    );
    let entry = tenant_entry(&status_of(&company, &t).await, "microsoft365");
    assert_eq!(
        entry["status"]["reason"]["code"],
        "tenant_verified_without_role"
    );

    // Codes the providers never issued: Entra and Google refuse to redeem.
    let (status, code) = with_forged_code(&company, &t, &ms, &w.admin_oid).await;
    assert_eq!((status, code.as_str()), (422, "entra_rejected"));
    let entry = tenant_entry(&status_of(&company, &t).await, "microsoft365");
    assert_eq!(entry["status"]["status"], "failed", "{entry}");
    assert_eq!(
        entry["status"]["reason"]["code"], "entra_rejected",
        "{entry}"
    );
    assert!(
        entry["status"]["reason"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("invalid_grant")),
        "{entry}"
    );
    let (status, code) = with_forged_code(&company, &t, &google, &super_admin).await;
    assert_eq!((status, code.as_str()), (502, "google_rejected"));
    let entry = tenant_entry(&status_of(&company, &t).await, "google_workspace");
    assert_eq!(
        entry["status"]["reason"]["code"], "google_rejected",
        "{entry}"
    );

    // Google's token endpoint unreachable (the connection drops).
    let id = add_fault(json!({
        "service": "google", "path": "/oauth2/token", "method": "POST",
        "count": 1, "action": {"kind": "drop"}
    }))
    .await;
    let (status, html) = verify_as(&company, &t, &google, &super_admin, "accept").await;
    let fired = fault(id).await.map(|f| f["fired"].clone());
    remove_fault(id).await;
    assert_eq!(fired, Some(json!(1)), "the fault fired once");
    assert_eq!(status, 503, "{html}");
    assert_eq!(landing_code(&html).as_deref(), Some("google_unavailable"));
    let v = status_of(&company, &t).await;
    assert_eq!(
        tenant_entry(&v, "google_workspace")["status"]["reason"]["code"],
        "google_unavailable"
    );
    // Nothing was verified along the way; both verify with their admins.
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(
        verify_as(&company, &t, &ms, &w.admin_oid, "accept").await.0,
        200
    );
    assert_eq!(
        verify_as(&company, &t, &google, &super_admin, "accept")
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn key_vault_refusing_the_token_or_the_request_is_named() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-out-kv");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    // A key of this test's own, so its faults touch no other test.
    let key = format!("kv-{}", &company[company.len() - 8..]);
    control(
        "POST",
        &format!("/vaults/{}/keys", w.vault),
        Some(json!({"name": key})),
    )
    .await;
    bind_key(&w.vault, &key, &company).await;
    for (status, code, answered) in [
        (401, "vault_token_rejected", 422),
        (400, "key_vault_rejected", 502),
    ] {
        let id = add_fault(json!({
            "service": "keyvault", "path": format!("/keys/{key}/"), "method": "POST",
            "count": 0, "action": {"kind": "status", "status": status}
        }))
        .await;
        let r = start_when_allowed(&company, &t, &w.vault_uri, &key).await;
        let fired = fault(id).await.map(|f| f["fired"].as_u64().unwrap_or(0));
        remove_fault(id).await;
        assert!(fired.is_some_and(|n| n >= 1), "{code}: the fault fired");
        assert_error(&r, answered, code);
        let v = status_of(&company, &t).await;
        assert_eq!(v["pending"]["last_error"]["code"], code, "{v}");
        assert!(v["pending"]["tested_key"].is_null(), "{v}");
        assert_eq!(v["provider"], json!({"kind": "platform"}), "{v}");
    }
    // Without the faults the same key passes.
    let (s, v) = start_when_allowed(&company, &t, &w.vault_uri, &key).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

#[tokio::test]
async fn a_backup_set_added_during_the_final_read_sends_the_switch_back_with_tenants_unverified() {
    let w = world(true, 2048).await;
    let company = company_for("it-out-late", &w, false).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    // The final inventory read of this company answers after 3 s; a backup
    // set is added meanwhile.
    let id = add_fault(json!({
        "service": "redapp", "path": format!("/companies/{company}/backup-sets"),
        "count": 1, "action": {"kind": "latency", "ms": 3000}
    }))
    .await;
    let tenant = m365(&w.tenant);
    let verify = verify_as(&company, &t, &tenant, &w.admin_oid, "accept");
    let add_late = async {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        control(
            "POST",
            &format!("/companies/{company}/backup-sets"),
            Some(json!({"kind": "microsoft365", "id": "bs-late", "tenant_id": "a1b2c3d4-0000-4e5f-8a9b-fab000000009"})),
        )
        .await;
    };
    let ((status, html), ()) = tokio::join!(verify, add_late);
    assert_eq!(status, 200, "{html}");
    let v = wait_stage(&company, &t, "verifying_tenants", 20).await;
    let fired = fault(id).await.map(|f| f["fired"].clone());
    remove_fault(id).await;
    assert_eq!(fired, Some(json!(1)), "the final read was the slow one");
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["provider"]["kind"], "platform", "nothing committed: {v}");
    assert_eq!(
        v["pending"]["last_error"]["code"], "tenants_unverified",
        "{v}"
    );
    let late = v["pending"]["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|x| x["tenant"]["tenant_id"] == "a1b2c3d4-0000-4e5f-8a9b-fab000000009")
        .cloned()
        .expect("the new tenant is listed");
    assert_eq!(late["status"]["status"], "unverified", "{late}");
}
