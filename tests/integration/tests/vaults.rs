//! Vault management (seed 001, issue 8) against the built worker in workerd
//! and the simulator: roles, create (cloud and Azure External Keys), every
//! Azure refusal, one cloud vault per provider, exclusive default, the
//! write-only client secret and its replacement, items under the vault key,
//! and revoking / restoring the service principal's access.
//!
//! Each test uses its own workspace and its own customer app in the
//! simulator, so revoking one app's role never touches another test.

use keyswitch_integration::{assert_error, call, call_raw, control, fresh_company, session};
use serde_json::{Value, json};

const CONTOSO: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";
const SEED_APP: &str = "0c9d8e7f-1111-4a2b-8c3d-00000000c001";
const SEED_SECRET: &str = "contoso-app-secret-001";
const EXPIRED_APP: &str = "0c9d8e7f-2222-4a2b-8c3d-00000000c002";
const EXPIRED_SECRET: &str = "contoso-expired-secret";
const KMS_VAULT: &str = "contoso-kms";
const KMS_URI: &str = "https://contoso-kms.vault.azure.net";
const CRYPTO_USER: &str = "Key Vault Crypto User";

fn vaults(ws: &str) -> String {
    format!("/api/workspaces/{ws}/vaults")
}

/// A customer app of its own in Contoso with `role` on contoso-kms (none
/// when `role` is empty); returns (client id, secret).
async fn app_with_role(role: &str) -> (String, String) {
    let secret = format!("s3cret-{}", fresh_company("v"));
    let made = control(
        "POST",
        "/apps",
        Some(json!({"tenant": CONTOSO, "name": "Vault Manager Test", "value": secret})),
    )
    .await;
    let client = made["app"]["client_id"]
        .as_str()
        .expect("client id")
        .to_owned();
    if !role.is_empty() {
        grant(&client, role).await;
    }
    (client, secret)
}

async fn grant(client: &str, role: &str) {
    control(
        "POST",
        &format!("/vaults/{KMS_VAULT}/role-assignments"),
        Some(json!({"principal": format!("app:{client}"), "role": role})),
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

fn azure_form(name: &str, client: &str, secret: &str, key: &str, default: bool) -> Value {
    json!({
        "name": name,
        "strategy": "azure_external_keys",
        "is_default": default,
        "azure": {
            "client_id": client,
            "tenant_id": CONTOSO,
            "client_secret": secret,
            "vault_uri": KMS_URI,
            "key_name": key,
        }
    })
}

async fn owner(ws: &str) -> String {
    session("workspace_owner", &[ws]).await
}

async fn list(ws: &str, token: &str) -> Vec<Value> {
    let (s, v) = call("GET", &vaults(ws), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    v["vaults"].as_array().expect("vaults").clone()
}

/// Creates an Azure External Keys vault with a fresh Crypto User app.
async fn azure_vault(ws: &str, token: &str) -> (Value, String, String) {
    let (client, secret) = app_with_role(CRYPTO_USER).await;
    let (s, v) = call(
        "POST",
        &vaults(ws),
        Some(token),
        Some(azure_form("Finance", &client, &secret, "company-kek", true)),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    (v, client, secret)
}

#[tokio::test]
async fn managers_can_manage_vaults_and_others_cannot() {
    for role in [
        "workspace_owner",
        "workspace_super_admin",
        "workspace_admin",
    ] {
        let ws = fresh_company("ws");
        let token = session(role, &[&ws]).await;
        let (s, v) = call(
            "POST",
            &vaults(&ws),
            Some(&token),
            Some(json!({"name": "Cloud", "strategy": "cloud"})),
        )
        .await;
        assert_eq!(s, 201, "{role}: {v}");
        assert_eq!(v["strategy"], "cloud");
        assert_eq!(v["key_status"]["state"], "platform_managed");
        assert_eq!(list(&ws, &token).await.len(), 1, "{role}");
    }

    let ws = fresh_company("ws");
    let member = session("workspace_member", &[&ws]).await;
    let body = json!({"name": "Cloud", "strategy": "cloud"});
    let got = call("POST", &vaults(&ws), Some(&member), Some(body.clone())).await;
    assert_error(&got, 403, "forbidden_role");
    assert!(
        got.1["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("Workspace Owner")
    );
    assert_error(
        &call("GET", &vaults(&ws), Some(&member), None).await,
        403,
        "forbidden_role",
    );
    // An admin of another workspace, and RedApp roles of Manage KMS.
    let other = session("workspace_admin", &["some-other-ws"]).await;
    assert_error(
        &call("POST", &vaults(&ws), Some(&other), Some(body.clone())).await,
        403,
        "forbidden_role",
    );
    let company_admin = session("company_admin", &[&ws]).await;
    assert_error(
        &call(
            "POST",
            &vaults(&ws),
            Some(&company_admin),
            Some(body.clone()),
        )
        .await,
        403,
        "forbidden_role",
    );
    assert_error(
        &call("POST", &vaults(&ws), None, Some(body)).await,
        401,
        "not_signed_in",
    );
    // Nothing changed.
    assert!(list(&ws, &owner(&ws).await).await.is_empty());
    // A member cannot replace a secret or change the default either.
    let (v, _, _) = azure_vault(&ws, &owner(&ws).await).await;
    let id = v["id"].as_str().expect("id");
    assert_error(
        &call(
            "PUT",
            &format!("{}/{id}/client-secret", vaults(&ws)),
            Some(&member),
            Some(json!({"client_secret": "x"})),
        )
        .await,
        403,
        "forbidden_role",
    );
    assert_error(
        &call(
            "POST",
            &format!("{}/{id}/default", vaults(&ws)),
            Some(&member),
            None,
        )
        .await,
        403,
        "forbidden_role",
    );
}

#[tokio::test]
async fn creates_an_azure_external_keys_vault_and_records_the_kid() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (v, client, secret) = azure_vault(&ws, &token).await;
    assert_eq!(v["name"], "Finance");
    assert_eq!(v["strategy"], "azure_external_keys");
    assert_eq!(v["is_default"], true);
    assert_eq!(v["key_status"]["state"], "available");
    let azure = &v["azure"];
    assert_eq!(azure["client_id"], client.as_str());
    assert_eq!(azure["tenant_id"], CONTOSO);
    assert_eq!(azure["vault_uri"], KMS_URI);
    assert_eq!(azure["key_name"], "company-kek");
    assert_eq!(azure["key_size_bits"], 4096);
    assert_eq!(azure["client_secret"], "set");
    let kid = azure["kid"].as_str().expect("kid");
    let version = kid
        .strip_prefix(&format!("{KMS_URI}/keys/company-kek/"))
        .expect("a versioned kid of company-kek");
    assert_eq!(version.len(), 32, "{kid}");
    // The secret is never returned, in any answer.
    let (_, text) = call_raw("GET", &vaults(&ws), Some(&token), None).await;
    assert!(!text.contains(&secret), "secret leaked in the list");
    assert!(text.contains("\"client_secret\":\"set\""), "{text}");
    let (_, text) = call_raw(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(&token),
        None,
    )
    .await;
    assert!(!text.contains(&secret), "secret leaked in the audit trail");
    assert!(text.contains("vault_created"), "{text}");
}

#[tokio::test]
async fn key_vault_administrator_works_too() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (client, secret) = app_with_role("Key Vault Administrator").await;
    let (s, v) = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(azure_form(
            "Admin role",
            &client,
            &secret,
            "company-kek",
            false,
        )),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["key_status"]["state"], "available");
}

#[tokio::test]
async fn entra_refusals_are_mapped() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let create = |form: Value| {
        let ws = ws.clone();
        let token = token.clone();
        async move { call("POST", &vaults(&ws), Some(&token), Some(form)).await }
    };
    // Unknown tenant.
    let mut form = azure_form("V", SEED_APP, SEED_SECRET, "company-kek", false);
    form["azure"]["tenant_id"] = json!("0badbeef-0000-4000-8000-000000000000");
    assert_error(&create(form).await, 400, "tenant_not_found");
    // App not in the tenant (wrong client id).
    let form = azure_form(
        "V",
        "0c9d8e7f-9999-4a2b-8c3d-00000000c999",
        SEED_SECRET,
        "company-kek",
        false,
    );
    assert_error(&create(form).await, 400, "application_not_found");
    // Wrong secret.
    let form = azure_form("V", SEED_APP, "not-the-secret", "company-kek", false);
    let got = create(form).await;
    assert_error(&got, 400, "client_secret_invalid");
    assert!(!got.1.to_string().contains("not-the-secret"));
    // Expired secret.
    let form = azure_form("V", EXPIRED_APP, EXPIRED_SECRET, "company-kek", false);
    assert_error(&create(form).await, 400, "client_secret_expired");
    // Nothing was created; the failures are audited.
    assert!(list(&ws, &token).await.is_empty());
    let (_, audit) = call(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(&token),
        None,
    )
    .await;
    let events = audit["events"].as_array().expect("events");
    assert!(events.len() >= 4, "{audit}");
    assert!(events.iter().all(|e| e["outcome"] == "failed"), "{audit}");
}

#[tokio::test]
async fn only_rsa_4096_keys_are_accepted() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (client, secret) = app_with_role(CRYPTO_USER).await;
    let key3072 = format!("rsa3072-{}", &fresh_company("k")[2..12]);
    control(
        "POST",
        &format!("/vaults/{KMS_VAULT}/keys"),
        Some(json!({"name": key3072, "kty": "RSA", "size": 3072})),
    )
    .await;
    for (key, found) in [
        ("small-key", "RSA 2048"),
        (key3072.as_str(), "RSA 3072"),
        ("ec-key", "EC"),
    ] {
        let got = call(
            "POST",
            &vaults(&ws),
            Some(&token),
            Some(azure_form("V", &client, &secret, key, false)),
        )
        .await;
        assert_error(&got, 422, "key_not_rsa_4096");
        let message = got.1["message"].as_str().unwrap_or_default();
        assert!(message.contains(found), "{key}: {message}");
        assert!(message.contains("RSA 4096"), "{message}");
    }
    let got = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(azure_form("V", &client, &secret, "no-such-key", false)),
    )
    .await;
    assert_error(&got, 422, "key_not_found");
    assert!(
        got.1["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no-such-key"),
        "{}",
        got.1
    );
    assert!(list(&ws, &token).await.is_empty());
}

#[tokio::test]
async fn a_missing_role_is_the_catalog_error() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (client, secret) = app_with_role("").await;
    let got = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(azure_form("V", &client, &secret, "company-kek", false)),
    )
    .await;
    assert_error(&got, 422, "key_vault_forbidden");
    assert!(
        got.1["fix"]
            .as_str()
            .unwrap_or_default()
            .contains(CRYPTO_USER)
    );
    assert!(list(&ws, &token).await.is_empty());
}

#[tokio::test]
async fn bad_input_is_a_4xx_and_changes_nothing() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let mut key_path = azure_form("V", SEED_APP, SEED_SECRET, "company-kek", false);
    key_path["azure"]["vault_uri"] = json!("https://contoso-kms.vault.azure.net/keys/company-kek");
    let mut secret_uri = azure_form("V", SEED_APP, SEED_SECRET, "company-kek", false);
    secret_uri["azure"]["vault_uri"] =
        json!("https://contoso-kms.vault.azure.net/secrets/db-password");
    let mut bad_tenant = azure_form("V", SEED_APP, SEED_SECRET, "company-kek", false);
    bad_tenant["azure"]["tenant_id"] = json!("contoso.onmicrosoft.com");
    let mut no_secret = azure_form("V", SEED_APP, SEED_SECRET, "company-kek", false);
    no_secret["azure"]["client_secret"] = json!("  ");
    let cases: Vec<(Value, &str, &str)> = vec![
        (key_path, "uri_contains_key_path", "vault_uri"),
        (secret_uri, "uri_points_to_secret", "vault_uri"),
        (bad_tenant, "invalid_input", "tenant_id"),
        (no_secret, "invalid_input", "client_secret"),
        (
            json!({"name": "", "strategy": "cloud"}),
            "invalid_input",
            "name",
        ),
        (
            json!({"name": "V", "strategy": "aws"}),
            "invalid_input",
            "strategy",
        ),
        (
            json!({"name": "V", "strategy": "azure_external_keys"}),
            "invalid_input",
            "azure",
        ),
        (
            json!({"name": "V", "strategy": "cloud", "extra": 1}),
            "invalid_input",
            "extra",
        ),
        // The body reader names the field of a wrong type (it said `body`).
        (
            json!({"name": "V", "strategy": "cloud", "is_default": "yes"}),
            "invalid_input",
            "is_default",
        ),
        (json!([1, 2]), "invalid_input", "body"),
    ];
    for (body, code, field) in cases {
        let got = call("POST", &vaults(&ws), Some(&token), Some(body.clone())).await;
        assert_error(&got, 400, code);
        assert_eq!(got.1["field"], field, "{body}: {}", got.1);
    }
    let (s, text) = call_raw("POST", &vaults(&ws), Some(&token), Some("{not json".into())).await;
    assert_eq!(s, 400, "{text}");
    assert_error(
        &call("GET", &format!("{}/nope", vaults(&ws)), Some(&token), None).await,
        404,
        "not_found",
    );
    assert_error(
        &call("GET", "/api/workspaces/bad%20ws/vaults", Some(&token), None).await,
        400,
        "invalid_input",
    );
    assert!(list(&ws, &token).await.is_empty());
}

#[tokio::test]
async fn one_cloud_vault_per_provider_and_an_exclusive_default() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (s, cloud) = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(json!({"name": "Everyday", "strategy": "cloud"})),
    )
    .await;
    assert_eq!(s, 201, "{cloud}");
    assert_eq!(cloud["is_default"], true, "the first vault is the default");
    let (azure, client, secret) = azure_vault(&ws, &token).await;
    assert_eq!(azure["is_default"], true);
    let rows = list(&ws, &token).await;
    let defaults: Vec<&Value> = rows.iter().filter(|v| v["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1, "{rows:?}");
    assert_eq!(defaults[0]["id"], azure["id"]);

    // A second Azure External Keys vault is refused with a clear message.
    let got = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(azure_form("Second", &client, &secret, "company-kek", false)),
    )
    .await;
    assert_error(&got, 409, "cloud_vault_exists");
    assert!(
        got.1["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Azure External Keys")
    );
    let got = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(json!({"name": "Another", "strategy": "cloud"})),
    )
    .await;
    assert_error(&got, 409, "conflict");
    assert_eq!(list(&ws, &token).await.len(), 2);

    // Default moves, exclusively.
    let id = cloud["id"].as_str().expect("id");
    let (s, v) = call(
        "POST",
        &format!("{}/{id}/default", vaults(&ws)),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let rows = list(&ws, &token).await;
    let defaults: Vec<&Value> = rows.iter().filter(|v| v["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], cloud["id"]);
}

#[tokio::test]
async fn the_client_secret_can_be_replaced_and_is_retested() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (v, client, old_secret) = azure_vault(&ws, &token).await;
    let id = v["id"].as_str().expect("id");
    let path = format!("{}/{id}/client-secret", vaults(&ws));
    let before = v["azure"]["client_secret_updated_at_ms"]
        .as_u64()
        .expect("ms");

    // A wrong secret is refused (the connection is tested) and nothing changes.
    let got = call(
        "PUT",
        &path,
        Some(&token),
        Some(json!({"client_secret": "wrong-value"})),
    )
    .await;
    assert_error(&got, 400, "client_secret_invalid");
    // An expired one, too.
    let expired = control(
        "POST",
        &format!("/apps/{client}/secrets"),
        Some(json!({"value": format!("{old_secret}-old"), "expired": true})),
    )
    .await;
    assert!(expired.is_object());
    let got = call(
        "PUT",
        &path,
        Some(&token),
        Some(json!({"client_secret": format!("{old_secret}-old")})),
    )
    .await;
    assert_error(&got, 400, "client_secret_expired");
    assert_error(
        &call(
            "PUT",
            &path,
            Some(&token),
            Some(json!({"client_secret": ""})),
        )
        .await,
        400,
        "invalid_input",
    );
    let (_, now) = call("GET", &format!("{}/{id}", vaults(&ws)), Some(&token), None).await;
    assert_eq!(
        now["azure"]["client_secret_updated_at_ms"].as_u64(),
        Some(before)
    );

    // A new valid secret, while the role is revoked: the re-test fails.
    let new_secret = format!("{old_secret}-new");
    control(
        "POST",
        &format!("/apps/{client}/secrets"),
        Some(json!({"value": new_secret})),
    )
    .await;
    revoke(&client).await;
    let got = call(
        "PUT",
        &path,
        Some(&token),
        Some(json!({"client_secret": new_secret})),
    )
    .await;
    assert_error(&got, 422, "key_vault_forbidden");
    grant(&client, CRYPTO_USER).await;

    // With access: replaced, never returned.
    let (s, v) = call(
        "PUT",
        &path,
        Some(&token),
        Some(json!({"client_secret": new_secret})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["azure"]["client_secret"], "set");
    assert!(v["azure"]["client_secret_updated_at_ms"].as_u64() > Some(before));
    assert!(!v.to_string().contains(&new_secret));
    let (_, audit) = call_raw(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(&token),
        None,
    )
    .await;
    assert!(audit.contains("client_secret_replaced"));
    assert!(!audit.contains(&new_secret) && !audit.contains(&old_secret));

    // The connection test with the stored secret passes.
    let (s, v) = call(
        "POST",
        &format!("{}/{id}/test", vaults(&ws)),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["key_status"]["state"], "available");
}

fn account() -> Value {
    json!({
        "kind": "account",
        "name": "Payroll portal",
        "username": "finance@contoso.com",
        "secret": "correct horse battery staple",
        "url": "https://payroll.example.com",
    })
}

#[tokio::test]
async fn items_are_unreadable_while_access_is_revoked_and_come_back() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let member = session("workspace_member", &[&ws]).await;
    let (v, client, _) = azure_vault(&ws, &token).await;
    let id = v["id"].as_str().expect("id");
    let items = format!("{}/{id}/items", vaults(&ws));

    // Any workspace member stores and reads items.
    let (s, stored) = call("POST", &items, Some(&member), Some(account())).await;
    assert_eq!(s, 201, "{stored}");
    let item = stored["id"].as_str().expect("item id");
    let (s, secret_item) = call(
        "POST",
        &items,
        Some(&token),
        Some(json!({"kind": "secret", "name": "API key", "secret": "sk-live-123"})),
    )
    .await;
    assert_eq!(s, 201, "{secret_item}");
    let (s, read) = call("GET", &format!("{items}/{item}"), Some(&member), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"], account());

    // Revoke the service principal's access to the Azure key.
    revoke(&client).await;
    let got = call("GET", &format!("{items}/{item}"), Some(&member), None).await;
    assert_error(&got, 422, "vault_key_unreachable");
    let message = got.1["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Azure key") && message.contains("unreachable"),
        "{message}"
    );
    assert!(message.contains(CRYPTO_USER), "says why: {message}");
    assert!(!got.1.to_string().contains("correct horse"));
    // Nothing can be stored either, and the table shows the key status.
    let got = call("POST", &items, Some(&member), Some(account())).await;
    assert_error(&got, 422, "vault_key_unreachable");
    let rows = list(&ws, &token).await;
    assert_eq!(rows[0]["key_status"]["state"], "unreachable");
    assert_eq!(
        rows[0]["key_status"]["error"]["code"],
        "vault_key_unreachable"
    );
    assert_eq!(rows[0]["item_count"], 2);

    // Restore access: readable again, nothing lost.
    grant(&client, CRYPTO_USER).await;
    let (s, read) = call("GET", &format!("{items}/{item}"), Some(&member), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"], account());
    let sid = secret_item["id"].as_str().expect("id");
    let (s, read) = call("GET", &format!("{items}/{sid}"), Some(&member), None).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"]["secret"], "sk-live-123");
    let rows = list(&ws, &token).await;
    assert_eq!(rows[0]["key_status"]["state"], "available");
    let (_, listing) = call_raw("GET", &items, Some(&member), None).await;
    assert!(
        !listing.contains("correct horse") && !listing.contains("Payroll"),
        "{listing}"
    );

    // Reads are audited, failures with their code.
    let (_, audit) = call_raw(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(&token),
        None,
    )
    .await;
    assert!(
        audit.contains("vault_key_unreachable") && audit.contains("item_read"),
        "{audit}"
    );
    // Someone outside the workspace cannot read items.
    let stranger = session("workspace_member", &["elsewhere"]).await;
    assert_error(
        &call("GET", &format!("{items}/{item}"), Some(&stranger), None).await,
        403,
        "forbidden_role",
    );
}

#[tokio::test]
async fn cloud_vault_items_round_trip_and_bad_items_are_refused() {
    let ws = fresh_company("ws");
    let token = owner(&ws).await;
    let (_, cloud) = call(
        "POST",
        &vaults(&ws),
        Some(&token),
        Some(json!({"name": "Everyday", "strategy": "cloud"})),
    )
    .await;
    let items = format!(
        "{}/{}/items",
        vaults(&ws),
        cloud["id"].as_str().expect("id")
    );
    let (s, stored) = call("POST", &items, Some(&token), Some(account())).await;
    assert_eq!(s, 201, "{stored}");
    let (s, read) = call(
        "GET",
        &format!("{items}/{}", stored["id"].as_str().expect("id")),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"], account());
    for bad in [
        json!({"kind": "account", "name": "", "secret": "x"}),
        json!({"kind": "account", "name": "n", "secret": ""}),
        json!({"kind": "note", "name": "n", "secret": "x"}),
        json!({"kind": "secret", "name": "n", "secret": "x", "url": "https://x"}),
    ] {
        assert_error(
            &call("POST", &items, Some(&token), Some(bad)).await,
            400,
            "invalid_input",
        );
    }
    let (_, listing) = call("GET", &items, Some(&token), None).await;
    assert_eq!(listing["items"].as_array().map(Vec::len), Some(1));
    assert_error(
        &call(
            "GET",
            &format!("{items}/i{}", "0".repeat(32)),
            Some(&token),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

/// Issue 17 item 3: the vault screen's role guidance names the workspace's
/// own service principal and runs as copied (the Azure CLI stand-in records
/// what the copied block passes it).
#[tokio::test]
async fn a_vault_lists_the_role_commands_for_its_own_service_principal() {
    use keyswitch_integration::command_helpers::{
        Azure, block, call as words, check_all, hcl, hcl_block, run_shell, tab,
    };
    let ws = fresh_company("ws-cmds");
    let token = owner(&ws).await;
    let (_, client, _) = azure_vault(&ws, &token).await;
    let all = list(&ws, &token).await;
    let v = all
        .iter()
        .find(|v| v["azure"]["client_id"] == client.as_str())
        .expect("the vault");
    let cmds = &v["azure"]["role_commands"];
    assert!(check_all(cmds) >= 6, "{cmds}");
    let vault_id = format!(
        "/subscriptions/8d3f2a61-4c1e-4b7a-9e0d-5f6a7b8c9d01/resourceGroups/rg-kms/providers/Microsoft.KeyVault/vaults/{KMS_VAULT}"
    );
    let azure = Azure {
        vault_name: KMS_VAULT.to_owned(),
        vault_id: vault_id.clone(),
        resource_group: "rg-kms".to_owned(),
        sp_object_id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".to_owned(),
    };
    let ran = run_shell(block(tab(cmds, "azure_cli"), "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[1],
        words(&[
            "az",
            "role",
            "assignment",
            "create",
            "--assignee",
            &client,
            "--role",
            CRYPTO_USER,
            "--scope",
            &vault_id,
        ])
    );
    let tf = hcl(block(tab(cmds, "terraform"), "hcl"));
    assert_eq!(
        hcl_block(&tf, "data", "azuread_service_principal", "keyswitch")["client_id"],
        client.as_str()
    );
    assert!(
        block(tab(cmds, "bicep"), "bicep")
            .contains(&format!("az ad sp show --id {client} --query id -o tsv"))
    );
}
