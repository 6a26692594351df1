//! Issue 16: sovereign clouds and Managed HSM through the edge, and the
//! Key Vault refusals `shared` now reads by their recorded words.
//!
//! The test stack configures the connector for the public cloud and Azure
//! China (`scripts/lib.sh`), and none for Azure US Government.

use keyswitch_integration::consent_helpers::vault_calls;
use keyswitch_integration::switch_helpers::{add_fault, fault, remove_fault};
use keyswitch_integration::*;
use serde_json::{Value, json};

/// The connector's Azure China registration in the test stack.
const CHINA_CONNECTOR: &str = "3c7d9e21-5b4a-4f6e-8a1c-2b9d0e6f7a31";

/// A fresh tenant of `cloud` with a Global Administrator, and a vault (or
/// Managed HSM, `kind`) there with an RSA-HSM key.
async fn cloud_world(cloud: &str, kind: &str) -> World {
    world_in(
        json!({"cloud": cloud}),
        json!({"kind": kind}),
        json!({"kty": "RSA-HSM", "size": 2048}),
    )
    .await
}

/// Assigns `role` (on the key, as a Managed HSM's local RBAC does it, or on
/// the vault) to the connector's service principal in `w`'s tenant.
async fn assign(w: &World, role: &str, on_key: bool) {
    let mut body = json!({"principal": format!("connector:{}", w.tenant), "role": role});
    if on_key {
        body["key"] = json!(w.key);
    }
    control(
        "POST",
        &format!("/vaults/{}/role-assignments", w.vault),
        Some(body),
    )
    .await;
}

fn query(url: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_cloud_without_a_connector_is_refused_at_the_vault_uri_field() {
    let company = fresh_company("it-usgov");
    let t = session("company_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    assert_eq!(before["connector_clouds"], json!(["public", "china"]));
    let calls = vault_calls("https://contoso-gov.vault.usgovcloudapi.net").await;
    for uri in [
        "https://contoso-gov.vault.usgovcloudapi.net",
        "https://pool1.managedhsm.usgovcloudapi.net/",
    ] {
        let r = start(&company, &t, uri, "company-kek").await;
        assert_error(&r, 400, "cloud_not_configured");
        assert_eq!(r.1["field"], "vault_uri", "{}", r.1);
        assert_eq!(
            r.1["message"],
            "Azure US Government vaults can't be used here: CyberSentriq has no connector for that cloud"
        );
        assert!(
            r.1["fix"]
                .as_str()
                .is_some_and(|f| f.contains("Azure (public cloud) or Azure China")),
            "{}",
            r.1
        );
    }
    // Nothing changed and nothing reached the vault or Entra.
    let after = status_of(&company, &t).await;
    assert_eq!(after["stage"], before["stage"]);
    assert_eq!(after["pending"], Value::Null);
    assert_eq!(
        vault_calls("https://contoso-gov.vault.usgovcloudapi.net").await,
        calls
    );
    // Another company's admin and bad input get their own answers first.
    let other = session("company_admin", &[&fresh_company("it-other")]).await;
    assert_error(
        &start(
            &company,
            &other,
            "https://contoso-gov.vault.usgovcloudapi.net",
            "k",
        )
        .await,
        403,
        "forbidden_role",
    );
    assert_error(
        &start(
            &company,
            &t,
            "http://contoso-gov.vault.usgovcloudapi.net",
            "k",
        )
        .await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn a_china_vault_works_through_chinas_authority_connector_and_audience() {
    let w = cloud_world("china", "vault").await;
    assert!(w.vault_uri.ends_with(".vault.azure.cn"), "{}", w.vault_uri);
    let company = fresh_company("it-china");
    let t = session("company_admin", &[&company]).await;

    // The connector's China registration without `wids` in its ID tokens
    // (groupMembershipClaims not set): the admin's roles are unknown, and
    // the refusal says why instead of "not an admin".
    control(
        "PATCH",
        "/connectors/china",
        Some(json!({"wids_claim": false})),
    )
    .await;
    let (s, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{answer}");
    let url = answer["consent_url"]
        .as_str()
        .expect("a consent URL")
        .to_owned();
    let callback = consent_as(&url, &w.admin_oid, "accept").await;
    let (status, _, html) = get_page(&callback).await;
    control(
        "PATCH",
        "/connectors/china",
        Some(json!({"wids_claim": true})),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("groupMembershipClaims"), "{html}");
    let s1 = status_of(&company, &t).await;
    assert_eq!(
        s1["pending"]["last_error"]["code"],
        "id_token_without_roles"
    );
    assert_eq!(s1["stage"], "draft", "{s1}");
    assert_eq!(s1["pending"]["consent"], Value::Null, "no consent recorded");

    // The consent sign-in runs at China's authority with China's connector.
    let (s, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{answer}");
    let url = answer["consent_url"]
        .as_str()
        .expect("a consent URL")
        .to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/entra-china/organizations/oauth2/v2.0/authorize?",
            sim_url()
        )),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(param(&q, "client_id"), Some(CHINA_CONNECTOR));
    assert_eq!(param(&q, "prompt"), Some("admin_consent"));
    let callback = consent_as(&url, &w.admin_oid, "accept").await;
    let (status, _, html) = get_page(&callback).await;
    assert_eq!(status, 200, "{html}");
    let s2 = status_of(&company, &t).await;
    assert_eq!(s2["stage"], "awaiting_role_assignment", "{s2}");
    assert_eq!(s2["pending"]["consent"]["tenant"], w.tenant.as_str());

    // The role guidance is China's: its connector, `az cloud set`, its portal.
    let (s, g) = call(
        "GET",
        &format!("{}/role-assignment", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["application_id"], CHINA_CONNECTOR);
    assert_eq!(g["role_name"], "Key Vault Crypto User");
    let az = g["az_commands"].as_str().expect("az");
    assert!(az.contains("az cloud set --name AzureChinaCloud"), "{az}");
    assert!(
        az.contains(&format!(
            "az keyvault show --name {} --query id -o tsv",
            w.vault
        )),
        "{az}"
    );
    assert!(
        az.contains(&format!("--assignee {CHINA_CONNECTOR}")),
        "{az}"
    );
    assert!(
        g["portal_steps"][0]
            .as_str()
            .is_some_and(|p| p.contains("https://portal.azure.cn")),
        "{g}"
    );

    // With the role and the binding, the test passes: the token came from
    // China's authority with China's audience (the vault accepts no other).
    assign(&w, "Key Vault Crypto User", false).await;
    bind_key(&w.vault, &w.key, &company).await;
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
    let tokens = control("GET", "/requests?service=entra", None).await["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        tokens.iter().any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p == format!("/entra-china/{}/oauth2/v2.0/token", w.tenant))),
        "no token request at China's authority"
    );
}

#[tokio::test]
async fn a_managed_hsm_gets_local_rbac_guidance_and_works() {
    let w = cloud_world("public", "managed_hsm").await;
    assert!(
        w.vault_uri.ends_with(".managedhsm.azure.net"),
        "{}",
        w.vault_uri
    );
    let company = fresh_company("it-mhsm");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    let (s, g) = call(
        "GET",
        &format!("{}/role-assignment", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["role_name"], "Managed HSM Crypto User");
    assert_eq!(g["role_id"], "21dbd100-6940-42c2-9190-5d6cb909625b");
    assert_eq!(g["scope"], format!("/keys/{}", w.key));
    let az = g["az_commands"].as_str().expect("az");
    assert!(
        az.contains(&format!(
            "az keyvault role assignment create \\\n  --hsm-name {}",
            w.vault
        )),
        "{az}"
    );
    assert!(!az.contains("az role assignment create"), "{az}");
    assert!(!az.contains("az cloud set"), "{az}");
    assert!(
        g["binding"]["az_command"]
            .as_str()
            .is_some_and(|c| c.contains(&format!("--hsm-name {}", w.vault))),
        "{g}"
    );
    assert!(
        g["portal_steps"].as_array().is_some_and(|s| s
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.contains("Local RBAC")))),
        "{g}"
    );
    // An Azure RBAC role does not reach the HSM's keys; its local role does.
    assign(&w, "Key Vault Crypto User", false).await;
    bind_key(&w.vault, &w.key, &company).await;
    assert_error(
        &test_connection(&company, &t).await,
        422,
        "key_vault_forbidden",
    );
    assign(&w, "Managed HSM Crypto User", true).await;
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

/// A company whose setup for `w` waits only for the test (consent given,
/// role assigned, key bound).
async fn ready(w: &World, prefix: &str) -> (String, String) {
    let company = fresh_company(prefix);
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, w).await, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    (company, t)
}

#[tokio::test]
async fn access_denied_to_first_party_service_is_not_an_access_policy_vault() {
    let w = world(true, 2048).await;
    let (company, t) = ready(&w, "it-1p").await;
    control(
        "PUT",
        &format!("/vaults/{}/first-party-only", w.vault),
        Some(json!({"enabled": true})),
    )
    .await;
    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "first_party_service_denied");
    assert!(
        !r.1["fix"].as_str().unwrap_or("").contains("access control"),
        "{}",
        r.1
    );
    // The setup is back to a draft with the error, nothing tested.
    let s = status_of(&company, &t).await;
    assert_eq!(s["stage"], "draft", "{s}");
    assert_eq!(
        s["pending"]["last_error"]["code"],
        "first_party_service_denied"
    );
    assert_eq!(s["pending"]["tested_key"], Value::Null);
    control(
        "PUT",
        &format!("/vaults/{}/first-party-only", w.vault),
        Some(json!({"enabled": false})),
    )
    .await;
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(
        (s, v["kms"]["stage"].as_str()),
        (200, Some("tested")),
        "{v}"
    );
}

#[tokio::test]
async fn an_unrecognised_403_advises_no_role() {
    let w = world(true, 2048).await;
    let (company, t) = ready(&w, "it-403").await;
    let host = w.vault_uri.trim_start_matches("https://").to_owned();
    let id = add_fault(json!({
        "service": "keyvault", "path": host, "count": 0,
        "action": {"kind": "status", "status": 403}
    }))
    .await;
    let r = test_connection(&company, &t).await;
    let fired = fault(id).await.map(|f| f["fired"].as_u64());
    remove_fault(id).await;
    assert!(fired.flatten().is_some_and(|n| n >= 1), "the fault fired");
    assert_error(&r, 422, "key_vault_forbidden_other");
    let fix = r.1["fix"].as_str().unwrap_or("");
    assert!(!fix.contains("Crypto User"), "{fix}");
    assert!(
        r.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("BadParameter")),
        "{}",
        r.1
    );
    let s = status_of(&company, &t).await;
    assert_eq!(s["stage"], "draft", "{s}");
    assert_eq!(
        s["pending"]["last_error"]["code"],
        "key_vault_forbidden_other"
    );
    assert_eq!(s["pending"]["tested_key"], Value::Null);
}

#[tokio::test]
async fn a_keys_missing_operations_are_named_not_a_role() {
    let w = world(true, 2048).await;
    let (company, t) = ready(&w, "it-keyops").await;
    // The pre-flight GET sees key_ops; the recorded 403 KeyOperationForbidden
    // of the wrap call itself is read the same way (shared's mapping).
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({"key_ops": ["encrypt", "decrypt", "unwrapKey"]})),
    )
    .await;
    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "key_operations_missing");
    assert!(
        r.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("wrapKey")),
        "{}",
        r.1
    );
    assert!(
        !r.1["fix"].as_str().unwrap_or("").contains("role"),
        "{}",
        r.1
    );
}
