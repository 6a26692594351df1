//! Issue 17 item 2 at the edge: a key URL (any cloud, Key Vault or Managed
//! HSM) or `name/version` typed as the Key Name is refused by the edge with
//! exactly the words the browser shows (the same `shared` parser), at the
//! Key Name field, and nothing changes: no setup starts, no vault is
//! created. The fix text names the vault and key the SPA's one-click button
//! puts in the fields.

use keyswitch_integration::{assert_error, call, fresh_company, kms, session, start};
use keyswitch_shared::KeyName;
use serde_json::{Value, json};

const VERSION: &str = "0123456789abcdef0123456789abcdef";

/// What the shared parser (the browser's check) says about `typed`.
fn browser_says(typed: &str) -> (String, String) {
    let e = KeyName::try_from(typed).expect_err(typed);
    (e.to_string(), e.fix())
}

fn assert_same_as_browser(got: &(u16, Value), typed: &str) {
    assert_error(got, 400, "invalid_input");
    let (message, fix) = browser_says(typed);
    assert_eq!(got.1["field"], "key_name", "{typed}: {}", got.1);
    assert_eq!(got.1["message"], message.as_str(), "{typed}: {}", got.1);
    assert_eq!(got.1["fix"], fix.as_str(), "{typed}: {}", got.1);
}

#[tokio::test]
async fn manage_kms_refuses_a_key_url_as_key_name_like_the_browser_and_starts_nothing() {
    let company = fresh_company("it-keyurl");
    let token = session("company_admin", &[&company]).await;
    let pasted = [
        (
            format!("https://contoso-kms.vault.azure.net/keys/company-kek/{VERSION}"),
            "Use vault https://contoso-kms.vault.azure.net and key company-kek:",
        ),
        (
            "https://contoso.vault.azure.cn/keys/company-kek".to_owned(),
            "Use vault https://contoso.vault.azure.cn and key company-kek:",
        ),
        (
            format!("https://pool1.managedhsm.usgovcloudapi.net/keys/company-kek/{VERSION}"),
            "Use vault https://pool1.managedhsm.usgovcloudapi.net and key company-kek:",
        ),
        (format!("company-kek/{VERSION}"), "Use key company-kek:"),
    ];
    for (typed, fix_starts) in &pasted {
        let got = start(
            &company,
            &token,
            "https://contoso-kms.vault.azure.net",
            typed,
        )
        .await;
        assert_same_as_browser(&got, typed);
        let fix = got.1["fix"].as_str().unwrap_or_default();
        assert!(fix.starts_with(fix_starts), "{typed}: {fix}");
    }
    // A secret's URL: refused the same way, with no vault or key to offer.
    let secret = "https://contoso-kms.vault.azure.net/secrets/db-password";
    let got = start(
        &company,
        &token,
        "https://contoso-kms.vault.azure.net",
        secret,
    )
    .await;
    assert_same_as_browser(&got, secret);
    assert_eq!(got.1["message"], "The key name must be a name, not a URL");

    // Nothing started, nothing audited as a start.
    let (s, v) = call("GET", &kms(&company), Some(&token), None).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["pending"].is_null(), "{v}");
    assert_eq!(v["stage"], "idle", "{v}");

    // Another company's admin gets the refusal for their role first, not a
    // field check of this company's form.
    let other = session("company_admin", &[&fresh_company("it-keyurl-other")]).await;
    let got = start(
        &company,
        &other,
        "https://contoso-kms.vault.azure.net",
        &pasted[0].0,
    )
    .await;
    assert_error(&got, 403, "forbidden_role");
}

#[tokio::test]
async fn the_vault_screen_refuses_a_key_url_as_vault_key_name_like_the_browser() {
    let ws = fresh_company("ws-keyurl");
    let token = session("workspace_owner", &[&ws]).await;
    let typed = format!("https://contoso-kms.vault.azure.net/keys/company-kek/{VERSION}");
    let form = json!({
        "name": "Finance",
        "strategy": "azure_external_keys",
        "is_default": false,
        "azure": {
            "client_id": "0c9d8e7f-1111-4a2b-8c3d-00000000c001",
            "tenant_id": "72f988bf-0000-4c3a-9d6e-c0ffee000001",
            "client_secret": "not-used-the-form-is-refused-first",
            "vault_uri": "https://contoso-kms.vault.azure.net",
            "key_name": typed,
        }
    });
    let path = format!("/api/workspaces/{ws}/vaults");
    let got = call("POST", &path, Some(&token), Some(form)).await;
    assert_same_as_browser(&got, &typed);
    let (s, v) = call("GET", &path, Some(&token), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["vaults"], json!([]), "{v}");
}
