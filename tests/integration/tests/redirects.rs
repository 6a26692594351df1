//! Issue 13, item 6: an outside call that carries a token or a secret never
//! follows a redirect. The simulator's `redirect` fault answers 302 to its
//! logging endpoint (`/_sink/…`), which records everything it receives: a
//! client that followed would hand it the `Authorization` header or the
//! client secret.

use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// What the redirect target received whose path or body mentions `needle`.
async fn sink_entries(needle: &str) -> Vec<Value> {
    control("GET", "/sink", None).await["received"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.to_string().contains(needle))
        .collect()
}

/// The redirect target records what reaches it (so the assertions below can
/// fail): a request carrying a header and a body is logged whole.
async fn the_sink_records(marker: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{}/_sink/probe/{marker}", sim_url()))
        .header("Authorization", format!("Bearer probe-{marker}"))
        .body(format!("client_secret=probe-{marker}"))
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(resp.status().as_u16(), 200);
    let got = sink_entries(&format!("probe-{marker}")).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0]["headers"]["authorization"],
        format!("Bearer probe-{marker}")
    );
    assert!(
        got[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("client_secret"))
    );
}

#[tokio::test]
async fn a_key_vault_redirect_never_receives_the_bearer_token() {
    let w = world(true, 2048).await;
    the_sink_records(&w.vault).await;
    let company = fresh_company("it-redirect-kv");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    let id = add_fault(json!({
        "service": "keyvault",
        "path": format!("{}.vault.azure.net/keys/{}", w.vault, w.key),
        "method": "GET",
        "count": 1,
        "action": {"kind": "redirect"},
    }))
    .await;
    let r = test_connection(&company, &t).await;
    let fired = fault(id).await.map(|f| f["fired"].clone());
    remove_fault(id).await;
    assert_eq!(fired, Some(json!(1)), "the redirect was answered");
    // A 3xx is an unexpected answer, and nobody followed it.
    assert_error(&r, 502, "unexpected_answer");
    assert_eq!(r.1["message"], "Azure Key Vault gave an unexpected answer");
    let followed: Vec<Value> = sink_entries(&format!("{}.vault.azure.net", w.vault))
        .await
        .into_iter()
        .filter(|e| {
            !e["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/_sink/probe/")
        })
        .collect();
    assert!(
        followed.is_empty(),
        "the redirect target received {followed:?}"
    );
    assert!(sink_entries("Bearer ey").await.is_empty());
    // Without the fault the same test passes.
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn an_entra_token_redirect_never_receives_the_client_secret() {
    let w = world(true, 2048).await;
    the_sink_records(&w.tenant).await;
    let company = fresh_company("it-redirect-entra");
    let t = session("company_admin", &[&company]).await;
    let (s, answer) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{answer}");
    let url = answer["consent_url"].as_str().expect("a consent URL");
    let callback = consent_as(url, &w.admin_oid, "accept").await;
    // Every token request in this tenant is answered with a redirect.
    let id = add_fault(json!({
        "service": "entra",
        "path": format!("/{}/oauth2/v2.0/token", w.tenant),
        "method": "POST",
        "count": 0,
        "action": {"kind": "redirect"},
    }))
    .await;
    let (status, _, _) = get_page(&callback).await;
    let fired = fault(id).await.map(|f| f["fired"].as_u64().unwrap_or(0));
    remove_fault(id).await;
    assert!(fired.unwrap_or(0) >= 1, "a token request was redirected");
    assert_ne!(status, 200, "the consent is not proven by a redirect");
    assert_ne!(
        status_of(&company, &t).await["stage"],
        "awaiting_role_assignment"
    );
    let followed: Vec<Value> = sink_entries(&w.tenant)
        .await
        .into_iter()
        .filter(|e| {
            !e["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/_sink/probe/")
        })
        .collect();
    assert!(
        followed.is_empty(),
        "the redirect target received {followed:?}"
    );
    assert!(sink_entries(CONNECTOR_SECRET).await.is_empty());
}
