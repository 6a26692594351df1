//! Issue 14 for seed-001 vaults: each Azure External Keys vault has a
//! health monitor run by the workspace Durable Object's alarm; every change
//! is audited and shown in the vault table. Revocation of the customer's
//! service principal bites on vault items at the next item operation (the
//! vault key is never cached) with 422 `vault_key_unreachable` naming the
//! cause, and lifts as soon as access returns; the monitor sees the
//! recovery by itself.
//!
//! Each test uses its own workspace and its own customer app in the
//! simulator, so revoking one app's role never touches another test.

use std::time::{Duration, Instant};

use keyswitch_integration::command_helpers::{
    Azure, block, check_all, fix_line, hcl, hcl_block, key_vault_role_calls, run_cli, run_line, tab,
};
use keyswitch_integration::{assert_error, call, call_raw, control, fresh_company, session};
use serde_json::{Value, json};

const CONTOSO: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";
const KMS_VAULT: &str = "contoso-kms";
const KMS_URI: &str = "https://contoso-kms.vault.azure.net";
const CRYPTO_USER: &str = "Key Vault Crypto User";

/// The stack's check interval (`HEALTH_CHECK_INTERVAL_SECONDS`, 30 in the
/// test stack) plus slack for the alarm and the calls.
fn check_wait() -> Duration {
    let secs = std::env::var("HEALTH_CHECK_INTERVAL_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30u64);
    Duration::from_secs(secs + 20)
}

fn vaults(ws: &str) -> String {
    format!("/api/workspaces/{ws}/vaults")
}

async fn new_app() -> (String, String) {
    let secret = format!("s3cret-{}", fresh_company("vh"));
    let made = control(
        "POST",
        "/apps",
        Some(json!({"tenant": CONTOSO, "name": "Vault Health Test", "value": secret})),
    )
    .await;
    let client = made["app"]["client_id"]
        .as_str()
        .expect("client id")
        .to_owned();
    grant(&client).await;
    (client, secret)
}

async fn grant(client: &str) {
    control(
        "POST",
        &format!("/vaults/{KMS_VAULT}/role-assignments"),
        Some(json!({"principal": format!("app:{client}"), "role": CRYPTO_USER})),
    )
    .await;
}

async fn revoke(client: &str) {
    control(
        "DELETE",
        &format!("/vaults/{KMS_VAULT}/role-assignments?principal=app:{client}"),
        None,
    )
    .await;
}

/// A workspace with an Azure External Keys vault of its own app and its own
/// RSA 4096 key in contoso-kms (so disabling it touches no other test);
/// returns (workspace, owner session, vault id, client id, key name).
async fn azure_vault() -> (String, String, String, String, String) {
    let ws = fresh_company("ws-health");
    let token = session("workspace_owner", &[&ws]).await;
    let (client, secret) = new_app().await;
    let key = format!("health-{}", fresh_company("k").replace('_', "-"));
    control(
        "POST",
        &format!("/vaults/{KMS_VAULT}/keys"),
        Some(json!({"name": key, "kty": "RSA", "size": 4096})),
    )
    .await;
    let (s, v) = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(json!({
            "name": "Finance",
            "strategy": "azure_external_keys",
            "is_default": true,
            "azure": {
                "client_id": client,
                "tenant_id": CONTOSO,
                "client_secret": secret,
                "vault_uri": KMS_URI,
                "key_name": key,
            }
        })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // The create's proof is the first check.
    assert_eq!(v["health"]["state"], "healthy", "{v}");
    assert!(
        v["health"]["next_check_ms"].as_u64().unwrap_or(0) > 0,
        "{v}"
    );
    let id = v["id"].as_str().expect("id").to_owned();
    (ws, token, id, client, key)
}

async fn row(ws: &str, token: &str, id: &str) -> Value {
    let (s, v) = call("GET", &vaults(ws), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    v["vaults"]
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["id"] == id).cloned())
        .expect("the vault")
}

/// Polls the vault's row until its health is `state`, within `wait`.
async fn health_becomes(ws: &str, token: &str, id: &str, state: &str, wait: Duration) -> Value {
    let deadline = Instant::now() + wait;
    loop {
        let r = row(ws, token, id).await;
        if r["health"]["state"] == state {
            return r["health"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "health still {} after {} s: {r}",
            r["health"]["state"],
            wait.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits for the receiver to have a 200-answered `vault.health_changed`
/// about `ws` whose `data.to` is `to`; returns that delivery.
async fn delivered(ws: &str, to: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = control("GET", "/webhooks", None).await;
        let found = all["deliveries"].as_array().and_then(|d| {
            d.iter()
                .find(|x| {
                    x["json"]["workspace_id"] == ws
                        && x["json"]["type"] == "vault.health_changed"
                        && x["json"]["data"]["to"] == to
                        && x["status"] == 200
                })
                .cloned()
        });
        if let Some(f) = found {
            return f;
        }
        assert!(
            Instant::now() < deadline,
            "no vault.health_changed to {to} for {ws}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn health_audit(ws: &str, token: &str) -> Vec<String> {
    let (_, v) = call(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(token),
        None,
    )
    .await;
    v["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| e["action"] == "vault_health_changed")
        .map(|e| {
            assert_eq!(e["actor_role"], "system", "{e}");
            e["detail"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn revoked_access_stops_items_names_the_cause_and_the_monitor_sees_it_come_back() {
    let (ws, token, id, client, _key) = azure_vault().await;
    let items = format!("{}/{id}/items", vaults(&ws));
    let (s, stored) = call(
        "POST",
        &items,
        Some(&token),
        Some(json!({"kind": "secret", "name": "API key", "secret": "sk-live-123"})),
    )
    .await;
    assert_eq!(s, 201, "{stored}");
    let item = stored["id"].as_str().expect("item id").to_owned();

    revoke(&client).await;
    // Items: refused at the next operation, with the cause.
    let got = call("GET", &format!("{items}/{item}"), Some(&token), None).await;
    assert_error(&got, 422, "vault_key_unreachable");
    assert_eq!(got.1["cause"], "role_removed", "{}", got.1);
    // Issue 17 item 3: the fix is runnable, for the workspace's own
    // service principal (its client id) on this vault: the Azure CLI block
    // and the fix's one line run the same assignment; Terraform names it.
    let commands = &got.1["commands"];
    assert!(check_all(commands) >= 6, "{}", got.1);
    let azure = Azure::finding(KMS_VAULT, "Microsoft.KeyVault/vaults");
    let assignment = key_vault_role_calls(&azure, &client);
    assert_eq!(run_cli(commands, &azure), assignment);
    let fix = got.1["fix"].as_str().unwrap_or_default();
    let line = fix_line(fix, " again: ", ". The vault works again");
    assert_eq!(run_line(line, &azure), assignment, "{fix}");
    let tf = hcl(block(tab(commands, "terraform"), "hcl"));
    assert_eq!(
        hcl_block(&tf, "data", "azuread_service_principal", "keyswitch")["client_id"],
        client.as_str()
    );
    assert!(!got.1.to_string().contains("sk-live-123"));
    // The failed read makes the monitor check at once: access_lost with
    // its cause and fix, audited once.
    let h = health_becomes(&ws, &token, &id, "access_lost", Duration::from_secs(15)).await;
    assert_eq!(h["cause"], "role_removed", "{h}");
    assert!(
        h["error"]["fix"]
            .as_str()
            .is_some_and(|f| f.contains(CRYPTO_USER)),
        "{h}"
    );
    assert_eq!(
        health_audit(&ws, &token).await,
        vec!["healthy -> access_lost (role_removed)".to_owned()]
    );
    // The host is told by a signed webhook about the workspace.
    let sent = delivered(&ws, "access_lost").await;
    assert_eq!(sent["signature_valid"], true, "{sent}");
    assert_eq!(sent["json"]["data"]["cause"], "role_removed", "{sent}");
    assert_eq!(sent["json"]["data"]["vault_id"], id.as_str(), "{sent}");
    assert!(sent["json"].get("company_id").is_none(), "{sent}");

    // Access restored in Azure only: nobody acts in keyswitch; the next
    // scheduled check sees it, audited.
    grant(&client).await;
    let h = health_becomes(&ws, &token, &id, "healthy", check_wait()).await;
    assert!(h.get("cause").is_none() && h.get("error").is_none(), "{h}");
    assert_eq!(
        health_audit(&ws, &token).await,
        vec![
            "access_lost -> healthy".to_owned(),
            "healthy -> access_lost (role_removed)".to_owned(),
        ]
    );
    delivered(&ws, "healthy").await;
    // The item stored before the loss reads again.
    let (s, read) = call("GET", &format!("{items}/{item}"), Some(&token), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"]["secret"], "sk-live-123");
}

#[tokio::test]
async fn a_disabled_key_version_is_seen_by_test_connection_and_the_monitor() {
    let (ws, token, id, _client, key) = azure_vault().await;
    let path = format!("/vaults/{KMS_VAULT}/keys/{key}");
    let patch = |enabled: bool| control("PATCH", &path, Some(json!({"enabled": enabled})));
    patch(false).await;
    let got = call(
        "POST",
        &format!("{}/{id}/test", vaults(&ws)),
        Some(&token),
        None,
    )
    .await;
    assert_error(&got, 422, "key_disabled");
    // The failed test makes the monitor check at once.
    let h = health_becomes(&ws, &token, &id, "access_lost", Duration::from_secs(15)).await;
    assert_eq!(h["cause"], "key_disabled", "{h}");
    assert_eq!(
        health_audit(&ws, &token).await,
        vec!["healthy -> access_lost (key_disabled)".to_owned()]
    );
    patch(true).await;
    // Test connection passes again and the monitor confirms at once.
    let (s, v) = call(
        "POST",
        &format!("{}/{id}/test", vaults(&ws)),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    health_becomes(&ws, &token, &id, "healthy", Duration::from_secs(15)).await;
}

/// Another workspace's admin sees nothing of this vault's health, and a
/// platform vault has none.
#[tokio::test]
async fn health_is_shown_only_to_the_workspace_and_only_for_azure_vaults() {
    let (ws, _token, _id, _client, _key) = azure_vault().await;
    let stranger = session("workspace_owner", &["ws-elsewhere"]).await;
    let got = call("GET", &vaults(&ws), Some(&stranger), None).await;
    assert_error(&got, 403, "forbidden_role");
    assert!(got.1.get("vaults").is_none(), "{}", got.1);
    let (_, audit) = call_raw(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(&stranger),
        None,
    )
    .await;
    assert!(!audit.contains("vault_health_changed"), "{audit}");

    let cloud_ws = fresh_company("ws-cloud");
    let owner = session("workspace_owner", &[&cloud_ws]).await;
    let (s, v) = call(
        "POST",
        &vaults(&cloud_ws),
        Some(&owner),
        Some(json!({"name": "Cloud", "strategy": "cloud", "is_default": true})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert!(v.get("health").is_none(), "{v}");
}
