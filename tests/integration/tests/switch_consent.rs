//! Start a switch (validation by `shared`; no call to the vault) and admin
//! consent: the consent sign-in URL, the single-use signed state, the
//! callback's landing page, and its failure cases.

use keyswitch_integration::finalize_helpers::landing_code;
use keyswitch_integration::*;
use serde_json::{Value, json};

const CONTOSO: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";

#[tokio::test]
async fn key_path_and_secret_uris_are_refused_and_change_nothing() {
    let company = fresh_company("it-uri");
    let t = session("company_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    let r = start(
        &company,
        &t,
        "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef",
        "company-kek",
    )
    .await;
    assert_error(&r, 400, "uri_contains_key_path");
    assert_eq!(r.1["message"], "The URI appears to contain the key path");
    assert_eq!(r.1["field"], "vault_uri");
    let r = start(
        &company,
        &t,
        "https://contoso-kms.vault.azure.net/secrets/db-password",
        "company-kek",
    )
    .await;
    assert_error(&r, 400, "uri_points_to_secret");
    assert_eq!(r.1["message"], "The URI appears to point to a secret");
    assert_error(
        &start(&company, &t, "http://contoso-kms.vault.azure.net", "k").await,
        400,
        "invalid_input",
    );
    assert_error(
        &start(
            &company,
            &t,
            "https://contoso-kms.vault.azure.net",
            "bad name!",
        )
        .await,
        400,
        "invalid_input",
    );
    assert_eq!(status_of(&company, &t).await, before);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_clear_400s() {
    let company = fresh_company("it-json");
    let t = session("company_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    let path = format!("{}/switch", kms(&company));
    for raw in [
        "{",
        "",
        "[]",
        "null",
        "42",
        "\"x\"",
        "{\"vault_uri\": 5, \"key_name\": \"k\"}",
        "{\"vault_uri\": \"https://a.vault.azure.net\"}",
        "{\"vault_uri\": \"https://a.vault.azure.net\", \"key_name\": [1]}",
        "{\"vault_uri\": \"https://a.vault.azure.net\", \"key_name\": \"k\", \"extra\": true}",
    ] {
        let (status, text) = call_raw("POST", &path, Some(&t), Some(raw.to_owned())).await;
        assert_eq!(status, 400, "{raw}: {text}");
        let v: Value = serde_json::from_str(&text).expect("json error body");
        assert_eq!(v["code"], "invalid_input", "{raw}: {v}");
        assert!(v["fix"].as_str().is_some_and(|f| !f.is_empty()));
    }
    // Bodies on the no-body actions are ignored (never parsed): with no
    // setup pending each is refused for the state, not as invalid input,
    // and nothing changes; bad query values are 400.
    for action in ["test", "save", "cancel", "consent"] {
        let (status, text) = call_raw(
            "POST",
            &format!("{}/{action}", kms(&company)),
            Some(&t),
            Some("{not json".into()),
        )
        .await;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_error(&(status, v), 409, "invalid_state_transition");
    }
    assert_eq!(status_of(&company, &t).await, before);
    assert_error(
        &call(
            "GET",
            &format!("{}/audit?limit=abc", kms(&company)),
            Some(&t),
            None,
        )
        .await,
        400,
        "invalid_input",
    );
    assert_eq!(status_of(&company, &t).await["pending"], Value::Null);
    assert_eq!(
        status_of(&company, &t).await["company_key"],
        before["company_key"]
    );
}

#[tokio::test]
async fn switch_answers_a_consent_sign_in_without_calling_the_vault() {
    let company = fresh_company("it-start");
    let t = session("partner_admin", &[&company]).await;
    let (status, answer) = start(
        &company,
        &t,
        "https://contoso-kms.vault.azure.net/",
        "company-kek",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let pending = &answer["kms"]["pending"];
    assert_eq!(answer["kms"]["stage"], "awaiting_consent");
    // Not learned yet: the vault is not called before the consent proof.
    assert_eq!(pending["vault_tenant"], Value::Null);
    assert_eq!(pending["vault_name"], "contoso-kms");
    assert_eq!(answer["kms"]["provider"], json!({"kind": "platform"}));
    let url =
        reqwest::Url::parse(answer["consent_url"].as_str().expect("consent url")).expect("url");
    // An OpenID Connect sign-in with admin consent, PKCE and a nonce.
    assert!(
        url.path().ends_with("/organizations/oauth2/v2.0/authorize"),
        "{url}"
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CONNECTOR_CLIENT_ID);
    assert_eq!(q["scope"], "openid profile");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["prompt"], "admin_consent");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43);
    assert!(q["nonce"].len() >= 16);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/oauth/consent/callback", worker_url())
    );
    // `{company}.consent.{nonce}.{mac}`.
    assert!(
        q["state"].starts_with(&format!("{company}.consent.")) && q["state"].len() > 80,
        "{}",
        q["state"]
    );
    assert_eq!(q["state"].split('.').count(), 4);
    // Each consent link is new and unguessable.
    let (_, again) = call(
        "POST",
        &format!("{}/consent", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_ne!(
        state_of(again["consent_url"].as_str().expect("url")),
        q["state"]
    );
}

#[tokio::test]
async fn consent_by_a_global_admin_is_proven_and_the_state_works_once() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-consent");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let consent_url = answer["consent_url"].as_str().expect("url").to_owned();
    let callback = consent_as(&consent_url, &w.admin_oid, "accept").await;
    assert!(callback.starts_with(&format!("{}/oauth/consent/callback", worker_url())));
    let (status, headers, html) = get_page(&callback).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Admin consent granted") && html.contains("Key Vault Crypto User"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/companies/{company}/kms")),
        "link back to Manage KMS"
    );
    assert!(
        html.contains("postMessage") && html.contains(&worker_url()),
        "tells the opener, fixed origin"
    );
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("frame-ancestors 'self' https://redapp.example.test"),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let s = status_of(&company, &t).await;
    assert_eq!(s["stage"], "awaiting_role_assignment");
    assert_eq!(s["pending"]["consent"]["tenant"], w.tenant.as_str());
    assert_eq!(s["pending"]["vault_tenant"], w.tenant.as_str());

    // Replayed state: refused as used, nothing changes.
    let (status, _, html) = get_page(&callback).await;
    assert_eq!(status, 400);
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("oauth_state_used"),
        "{html}"
    );
    assert!(html.contains("already used"), "{html}");
    assert_eq!(status_of(&company, &t).await, s);
}

#[tokio::test]
async fn foreign_state_and_a_callback_for_another_tenant_change_nothing() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-foreign");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let state = state_of(answer["consent_url"].as_str().expect("url"));
    let before = status_of(&company, &t).await;
    let cb = format!("{}/oauth/consent/callback", worker_url());
    // Made-up state, a state moved to another company, none at all.
    let other = fresh_company("it-other");
    let rest = state
        .split_once('.')
        .map(|(_, n)| n.to_owned())
        .unwrap_or_default();
    for bad in [
        format!("{company}.AAAA"),
        format!("{other}.{rest}"),
        "garbage".to_owned(),
        String::new(),
    ] {
        let (status, _, html) = get_page(&format!(
            "{cb}?admin_consent=True&tenant={}&state={bad}",
            w.tenant
        ))
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            landing_code(&html).as_deref(),
            Some("oauth_state_invalid"),
            "{bad}: {html}"
        );
    }
    assert_eq!(status_of(&company, &t).await, before);
    // A genuine state, but only `admin_consent` and `tenant`: never proof.
    let (status, _, html) = get_page(&format!(
        "{cb}?admin_consent=True&tenant={CONTOSO}&state={state}"
    ))
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Azure AD admin consent is required"),
        "{html}"
    );
    let after = status_of(&company, &t).await;
    assert_eq!(after["pending"]["consent"], Value::Null);
    assert_eq!(
        after["pending"]["last_error"]["code"],
        "admin_consent_required"
    );
    assert_eq!(after["provider"], before["provider"]);
}

#[tokio::test]
async fn a_forged_success_without_consent_is_not_believed() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-forged");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let state = state_of(answer["consent_url"].as_str().expect("url"));
    // Nobody consented: the token request proves there is no consent.
    let (status, _, html) = get_page(&format!(
        "{}/oauth/consent/callback?admin_consent=True&tenant={}&state={state}",
        worker_url(),
        w.tenant
    ))
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Azure AD admin consent is required"),
        "{html}"
    );
    assert_eq!(
        status_of(&company, &t).await["pending"]["consent"],
        Value::Null
    );
}

#[tokio::test]
async fn consent_by_a_user_without_the_role_and_a_declined_consent() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-norole");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let callback = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.plain_oid,
        "accept",
    )
    .await;
    let (status, _, html) = get_page(&callback).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Global Administrator or Privileged Role Administrator"),
        "{html}"
    );
    assert!(html.contains("postMessage"));
    let s = status_of(&company, &t).await;
    assert_eq!(
        s["pending"]["last_error"]["code"],
        "consent_user_lacks_role"
    );
    assert_eq!(s["stage"], "draft");

    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let callback = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.admin_oid,
        "cancel",
    )
    .await;
    let (status, _, html) = get_page(&callback).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("declined"), "{html}");
    assert_eq!(
        status_of(&company, &t).await["pending"]["last_error"]["code"],
        "consent_declined"
    );
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    // The local stack sets OAUTH_STATE_TTL_SECONDS=30.
    let w = world(true, 2048).await;
    let company = fresh_company("it-expired");
    let t = session("company_admin", &[&company]).await;
    let (_, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    let consent_url = answer["consent_url"].as_str().expect("url").to_owned();
    tokio::time::sleep(std::time::Duration::from_secs(32)).await;
    let callback = consent_as(&consent_url, &w.admin_oid, "accept").await;
    let (status, _, html) = get_page(&callback).await;
    assert_eq!(status, 400, "{html}");
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("oauth_state_expired"),
        "{html}"
    );
    assert!(html.contains("has expired"), "{html}");
    assert_eq!(status_of(&company, &t).await["stage"], "awaiting_consent");
}

#[tokio::test]
async fn a_vault_nobody_answers_for_is_a_clear_error_after_the_consent() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-novault");
    let t = session("company_admin", &[&company]).await;
    let vault = "https://no-such-vault-xyz.vault.azure.net";
    // Test Connection calls nobody: the consent comes first.
    let (status, answer) = start(&company, &t, vault, "k").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kms"]["stage"], "awaiting_consent");
    // The proof asks Key Vault for the vault's tenant: nobody answers.
    let back = consent_as(
        answer["consent_url"].as_str().expect("url"),
        &w.admin_oid,
        "accept",
    )
    .await;
    let (status, _, html) = get_page(&back).await;
    // A host where no Key Vault answers is named at the Vault URI field
    // (catalog `vault_not_found`, 422), on the landing page and in the setup.
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("No Azure Key Vault answers at no-such-vault-xyz.vault.azure.net"),
        "{html}"
    );
    let s = status_of(&company, &t).await;
    assert_eq!(s["pending"]["last_error"]["code"], "vault_not_found", "{s}");
    assert_eq!(s["pending"]["fault"]["field"], "vault_uri", "{s}");
    assert_eq!(s["pending"]["consent"], Value::Null);
}
