//! Issue 17 item 1 through the edge: after a failed connection test the
//! pending setup says where the failure is at fault (`fault`), which steps
//! stay done (`steps`), what comes next (`current_step`) and whether the
//! consent holds; correcting the key name tests again without a consent
//! sign-in. A vault that does not exist is `vault_not_found`, at the Vault
//! URI. Another company's admin and a forged session get their refusals,
//! and nothing changes.

use keyswitch_integration::consent_helpers::{start_when_allowed, test_connection};
use keyswitch_integration::*;
use serde_json::{Value, json};

fn steps(status: &Value) -> Vec<(String, String)> {
    status["pending"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or_default().to_owned(),
                s["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn key_not_found_is_at_the_key_name_and_the_corrected_name_tests_without_consent() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-recover");
    let t = session("company_admin", &[&company]).await;
    let (status, answer) = start(&company, &t, &w.vault_uri, "no-such-key").await;
    assert_eq!(status, 200, "{answer}");
    let cb = consent_as(
        answer["consent_url"].as_str().expect("a consent URL"),
        &w.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(get_page(&cb).await.0, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    assert_error(&test_connection(&company, &t).await, 422, "key_not_found");

    let s = status_of(&company, &t).await;
    let p = &s["pending"];
    assert_eq!(p["last_error"]["code"], "key_not_found", "{s}");
    assert_eq!(
        p["fault"],
        json!({"step": "vault_and_key", "field": "key_name", "key_reached": true}),
        "{s}"
    );
    assert_eq!(p["current_step"], "vault_and_key");
    assert_eq!(p["consent_holds"], true);
    assert_eq!(
        steps(&s),
        pairs(&[
            ("vault_and_key", "failed"),
            ("admin_consent", "done"),
            ("role_assignment", "done"),
            ("connection_test", "todo"),
            ("verify_tenants", "todo"),
            ("finalize", "todo"),
        ])
    );

    // Another company's admin, and a forged session: refused, nothing moves.
    let other = session("company_admin", &[&fresh_company("it-recover-x")]).await;
    assert_error(
        &start(&company, &other, &w.vault_uri, &w.key).await,
        403,
        "forbidden_role",
    );
    assert_error(
        &start(&company, "forged.session.token", &w.vault_uri, &w.key).await,
        401,
        "not_signed_in",
    );
    // Bad input: refused at its field, the failure and its place unchanged.
    let bad = start(&company, &t, &w.vault_uri, "company kek").await;
    assert_error(&bad, 400, "invalid_input");
    assert_eq!(bad.1["field"], "key_name");
    assert_eq!(status_of(&company, &t).await["pending"], s["pending"]);

    // The corrected name: no consent URL, the test runs and passes.
    let (status, answer) = start_when_allowed(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["consent_url"].is_null(), "{answer}");
    assert_eq!(answer["kms"]["stage"], "tested", "{answer}");
    let s = status_of(&company, &t).await;
    assert!(s["pending"]["fault"].is_null(), "{s}");
    assert_eq!(s["pending"]["current_step"], "connection_test");
    assert_eq!(
        steps(&s)[..4],
        pairs(&[
            ("vault_and_key", "done"),
            ("admin_consent", "done"),
            ("role_assignment", "done"),
            ("connection_test", "current"),
        ])[..]
    );
    // One consent sign-in in the whole walk.
    let audit = keyswitch_integration::consent_helpers::audit_events(&company, &t).await;
    let links = audit
        .iter()
        .filter(|e| e["action"] == "consent_link_issued")
        .count();
    assert_eq!(links, 1, "{audit:?}");
}

#[tokio::test]
async fn a_vault_that_does_not_exist_is_vault_not_found_at_the_vault_uri() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-novault");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    // A mistyped vault name: no such host. The consent this company proved
    // is reused, so the test probes the vault at once.
    let missing = format!("https://{}x.vault.azure.net", w.vault);
    let (status, answer) = start_when_allowed(&company, &t, &missing, &w.key).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["consent_url"].is_null(), "{answer}");
    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "vault_not_found");
    let host = missing.trim_start_matches("https://");
    assert_eq!(
        r.1["message"],
        format!("No Azure Key Vault answers at {host}")
    );
    assert_eq!(r.1["field"], "vault_uri");
    let s = status_of(&company, &t).await;
    let p = &s["pending"];
    assert_eq!(
        p["fault"],
        json!({"step": "vault_and_key", "field": "vault_uri", "key_reached": false}),
        "{s}"
    );
    assert_eq!(p["current_step"], "vault_and_key");
    assert_eq!(p["consent_holds"], true, "{s}");
    assert_eq!(
        steps(&s)[..3],
        pairs(&[
            ("vault_and_key", "failed"),
            ("admin_consent", "done"),
            ("role_assignment", "todo"),
        ])[..]
    );
}
