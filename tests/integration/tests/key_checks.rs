//! Key checks end to end, through the edge and the simulator (issue 18
//! item 5): the connection test refuses a disabled, expired, not-yet-valid,
//! operation-less, EC and RSA 1024 key, each with its own code, and accepts
//! a role assigned on the key alone; after a switch and after a vault is
//! created, a rotation of the customer's key does not move the unwrap: the
//! exact recorded `kid` (its version) is what Key Vault is asked to unwrap
//! with, until keyswitch re-wraps (Manage KMS) — and a vault keeps using
//! its version, so disabling it makes the vault's items unreachable with
//! that cause, and enabling it brings them back.

use keyswitch_integration::consent_helpers::start_when_allowed;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// Adds key `name` to `w`'s vault with `attrs`, bound to `company`.
async fn add_key(w: &World, company: &str, name: &str, attrs: Value) {
    let mut body = json!({ "name": name });
    if let (Value::Object(b), Value::Object(a)) = (&mut body, attrs) {
        b.extend(a);
    }
    control("POST", &format!("/vaults/{}/keys", w.vault), Some(body)).await;
    bind_key(&w.vault, name, company).await;
}

/// Starts a setup of a fresh company on `key` in `w`'s vault, consents and
/// runs the connection test: (company, session, the test's answer).
async fn test_key(
    w: &World,
    prefix: &str,
    key: &str,
    attrs: Value,
) -> (String, String, (u16, Value)) {
    let company = fresh_company(prefix);
    let t = session("company_admin", &[&company]).await;
    add_key(w, &company, key, attrs).await;
    let (s, v) = start(&company, &t, &w.vault_uri, key).await;
    assert_eq!(s, 200, "{v}");
    let back = consent_as(
        v["consent_url"].as_str().expect("a consent URL"),
        &w.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(get_page(&back).await.0, 200);
    w.assign_role().await;
    let answer = test_connection(&company, &t).await;
    (company, t, answer)
}

#[tokio::test]
async fn every_unusable_key_is_refused_by_the_connection_test_with_its_code() {
    let w = world(true, 2048).await;
    let n = now();
    let cases = [
        ("k-disabled", json!({"enabled": false}), "key_disabled"),
        ("k-expired", json!({"exp": n - 3600}), "key_expired"),
        ("k-early", json!({"nbf": n + 86_400}), "key_not_yet_valid"),
        (
            "k-noops",
            json!({"key_ops": ["sign", "verify"]}),
            "key_operations_missing",
        ),
        (
            "k-ec",
            json!({"kty": "EC", "crv": "P-256"}),
            "key_wrong_type",
        ),
        (
            "k-1024",
            json!({"size": 1024, "any_size": true}),
            "key_size_not_supported",
        ),
    ];
    for (name, attrs, code) in cases {
        let (company, t, r) = test_key(&w, "it-keys", name, attrs).await;
        assert_error(&r, 422, code);
        let v = status_of(&company, &t).await;
        assert_eq!(v["pending"]["last_error"]["code"], code, "{name}: {v}");
        assert_eq!(v["pending"]["key_name"], name, "{v}");
        assert!(v["pending"]["tested_key"].is_null(), "{name}: {v}");
        assert_eq!(v["provider"], json!({"kind": "platform"}), "{v}");
    }
    // The same vault, consent and role with a usable key pass: the refusals
    // were the keys'.
    let (_, _, (s, v)) = test_key(&w, "it-keys", "k-good", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

#[tokio::test]
async fn a_role_on_the_key_alone_is_enough_and_one_on_another_key_is_not() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-keyrole");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.bind_key(&company).await;
    add_key(&w, &company, "other-key", json!({})).await;
    let role = |key: &str| json!({"principal": format!("connector:{}", w.tenant), "role": "Key Vault Crypto User", "key": key});
    let path = format!("/vaults/{}/role-assignments", w.vault);
    control("POST", &path, Some(role("other-key"))).await;
    let r = start_when_allowed(&company, &t, &w.vault_uri, &w.key).await;
    assert_error(&r, 422, "key_vault_forbidden");
    assert_eq!(
        status_of(&company, &t).await["stage"],
        "awaiting_role_assignment"
    );
    control("POST", &path, Some(role(&w.key))).await;
    let (s, v) = start_when_allowed(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

/// The simulator's Key Vault request log.
async fn kv_log() -> Vec<Value> {
    control("GET", "/requests?service=keyvault", None).await["requests"]
        .as_array()
        .cloned()
        .expect("requests")
}

/// The newest sequence number in the log (a mark to read after).
async fn log_mark() -> u64 {
    kv_log()
        .await
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .max()
        .unwrap_or(0)
}

/// The key versions Key Vault was asked to unwrap with for `vault_uri`,
/// in request order, after the log mark `after`.
async fn unwrap_versions(vault_uri: &str, after: u64) -> Vec<String> {
    let host = reqwest::Url::parse(vault_uri)
        .expect("a vault URI")
        .host_str()
        .expect("a host")
        .to_owned();
    kv_log()
        .await
        .iter()
        .filter(|e| e["vault"].as_str() == Some(host.as_str()))
        .filter(|e| e["seq"].as_u64().is_some_and(|n| n > after))
        .filter_map(|e| e["path"].as_str())
        .filter_map(|p| {
            let lower = p.to_ascii_lowercase();
            let rest = lower.strip_suffix("/unwrapkey")?;
            Some(rest.rsplit('/').next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The version part of a kid.
fn version(kid: &str) -> String {
    kid.rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Rotates `key` in `vault`; returns the new version's kid.
async fn rotate(vault: &str, key: &str) -> String {
    let v = control("POST", &format!("/vaults/{vault}/keys/{key}/rotate"), None).await;
    v["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["name"] == key))
        .and_then(|k| k["versions"].as_array())
        .and_then(|vs| vs.last())
        .and_then(|x| x["kid"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("the new version's kid: {v}"))
}

async fn set_enabled(vault: &str, key: &str, kid: &str, enabled: bool) {
    control(
        "PATCH",
        &format!("/vaults/{vault}/keys/{key}"),
        Some(json!({"version": version(kid), "enabled": enabled})),
    )
    .await;
}

/// Waits out the edge's in-memory copy of the company key (6 s in the test
/// stack), so the next decrypt unwraps through Key Vault.
async fn past_key_cache(company: &str, t: &str) {
    let secs = status_of(company, t).await["key_cache_seconds"]
        .as_u64()
        .expect("key_cache_seconds");
    tokio::time::sleep(std::time::Duration::from_secs(secs + 1)).await;
}

#[tokio::test]
async fn after_a_switch_a_rotation_keeps_the_exact_kid_until_the_rewrap() {
    let w = world(true, 2048).await;
    let company = m365_company("it-kid-sw", &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let k1 = done["provider"]["kid"].as_str().expect("kid").to_owned();
    let keys = vec![data_key(&company).await, data_key(&company).await];

    // The customer rotates the key: a new current version, not yet taken up.
    let k2 = rotate(&w.vault, &w.key).await;
    assert_ne!(version(&k1), version(&k2));
    past_key_cache(&company, &t).await;
    let mark = log_mark().await;
    assert_data_keys(&company, &keys).await;
    let used = unwrap_versions(&w.vault_uri, mark).await;
    assert!(
        !used.is_empty(),
        "the company key was unwrapped through Key Vault"
    );
    assert!(
        used.iter().all(|v| *v == version(&k1)),
        "unwrapped with {used:?}, not only the recorded {k1}"
    );

    // The recorded version disabled before any re-wrap: the data keys are
    // not decrypted with another version (access lost, cause key_disabled).
    set_enabled(&w.vault, &w.key, &k1, false).await;
    past_key_cache(&company, &t).await;
    let (s, body) = call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys/decrypt"),
        Some(&envelope_token()),
        Some(json!({ "wrapped": keys[0].1 })),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["code"], "key_access_lost", "{body}");
    assert_eq!(body["cause"], "key_disabled", "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains(&k1)),
        "{body}"
    );
    set_enabled(&w.vault, &w.key, &k1, true).await;

    // Re-wrap now takes up the new version; then the old one can go.
    w.bind_key(&company).await;
    let (s, v) = call("POST", &format!("{}/rewrap", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["provider"]["kid"], k2.as_str(), "{v}");
    set_enabled(&w.vault, &w.key, &k1, false).await;
    past_key_cache(&company, &t).await;
    let mark = log_mark().await;
    assert_data_keys(&company, &keys).await;
    let used = unwrap_versions(&w.vault_uri, mark).await;
    assert!(
        !used.is_empty() && used.iter().all(|v| *v == version(&k2)),
        "after the re-wrap: {used:?}"
    );
}

const CONTOSO: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";

#[tokio::test]
async fn after_a_vault_is_created_a_rotation_keeps_its_kid_and_disabling_it_is_named() {
    // A vault and RSA 4096 key of this test's own in Contoso, and an app
    // with Key Vault Crypto User on it.
    let id = fresh_company("kv");
    let vault: String = format!("kvr{}", &id[id.len() - 10..]);
    control(
        "POST",
        "/vaults",
        Some(json!({"name": vault, "tenant": CONTOSO, "permission_model": "rbac"})),
    )
    .await;
    control(
        "POST",
        &format!("/vaults/{vault}/keys"),
        Some(json!({"name": "ws-kek", "kty": "RSA", "size": 4096})),
    )
    .await;
    let secret = format!("s3cret-{id}");
    let app = control(
        "POST",
        "/apps",
        Some(json!({"tenant": CONTOSO, "name": "Rotation Test", "value": secret})),
    )
    .await;
    let client = app["app"]["client_id"]
        .as_str()
        .expect("client id")
        .to_owned();
    control(
        "POST",
        &format!("/vaults/{vault}/role-assignments"),
        Some(json!({"principal": format!("app:{client}"), "role": "Key Vault Crypto User"})),
    )
    .await;
    let vault_uri = format!("https://{vault}.vault.azure.net");
    let ws = fresh_company("ws-rot");
    let owner = session("workspace_owner", &[&ws]).await;
    let (s, created) = call(
        "POST",
        &format!("/api/workspaces/{ws}/vaults"),
        Some(&owner),
        Some(json!({
            "name": "Rotated", "strategy": "azure_external_keys", "is_default": true,
            "azure": {"client_id": client, "tenant_id": CONTOSO, "client_secret": secret,
                      "vault_uri": vault_uri, "key_name": "ws-kek"}
        })),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let k1 = created["azure"]["kid"].as_str().expect("kid").to_owned();
    let items = format!(
        "/api/workspaces/{ws}/vaults/{}/items",
        created["id"].as_str().expect("id")
    );
    let (s, stored) = call(
        "POST",
        &items,
        Some(&owner),
        Some(json!({"kind": "secret", "name": "API key", "secret": "sk-rot-1"})),
    )
    .await;
    assert_eq!(s, 201, "{stored}");
    let item = format!("{items}/{}", stored["id"].as_str().expect("item id"));

    // Rotation: the item still reads, unwrapped with the recorded version.
    let k2 = rotate(&vault, "ws-kek").await;
    assert_ne!(version(&k1), version(&k2));
    let mark = log_mark().await;
    let (s, read) = call("GET", &item, Some(&owner), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"]["secret"], "sk-rot-1");
    let used = unwrap_versions(&vault_uri, mark).await;
    assert!(
        used.iter().all(|v| *v == version(&k1)),
        "unwrapped with {used:?}, not only the recorded {k1}"
    );

    // The recorded version disabled: unreachable, with that cause; nothing
    // is read with the new version instead.
    set_enabled(&vault, "ws-kek", &k1, false).await;
    let got = call("GET", &item, Some(&owner), None).await;
    assert_error(&got, 422, "vault_key_unreachable");
    assert_eq!(got.1["cause"], "key_disabled", "{}", got.1);
    assert!(!got.1.to_string().contains("sk-rot-1"));
    // Enabled again: the item reads, nothing lost.
    set_enabled(&vault, "ws-kek", &k1, true).await;
    let (s, read) = call("GET", &item, Some(&owner), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"]["secret"], "sk-rot-1");
}
