//! The walking skeleton's slice, through the real worker: `GET` of a
//! company's KMS status is answered by its Durable Object (a new company
//! starts on the platform provider) and carries the backup-set count the
//! worker read from the simulator's inventory over HTTP.

use keyswitch_integration::{fresh_company, session, sim_url, worker_url};
use keyswitch_shared::Provider;
use keyswitch_shared::api::KmsStatus;
use serde_json::{Value, json};

async fn status(company: &str) -> reqwest::Response {
    let token = session("partner_admin", &[company]).await;
    reqwest::Client::new()
        .get(format!("{}/api/companies/{company}/kms", worker_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("the worker answers")
}

async fn add_backup_set(company: &str, body: Value) {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/_control/companies/{company}/backup-sets",
            sim_url()
        ))
        .json(&body)
        .send()
        .await
        .expect("the simulator answers");
    assert!(
        resp.status().is_success(),
        "adding a backup set: {}",
        resp.status()
    );
}

#[tokio::test]
async fn seeded_company_starts_on_the_platform_provider_with_its_backup_sets() {
    let resp = status("acme").await;
    assert_eq!(resp.status(), 200);
    let status: KmsStatus = resp.json().await.expect("a KmsStatus body");
    assert_eq!(status.company_id, "acme");
    assert_eq!(status.provider, Provider::Platform);
    // The default seed gives acme one Microsoft 365 and one Google Workspace set.
    assert_eq!(status.backup_set_count, 2);
}

#[tokio::test]
async fn backup_set_count_follows_the_inventory() {
    let company = fresh_company("it-count");
    let first: KmsStatus = status(&company).await.json().await.expect("status");
    assert_eq!(first.backup_set_count, 0);
    assert_eq!(first.provider, Provider::Platform);

    add_backup_set(
        &company,
        json!({"name": "Mail", "kind": "microsoft365", "tenant_id": "8f0a5c2e-6b1d-4e3f-9a7b-2c4d6e8f0a1b", "tenant_name": "Tailspin"}),
    )
    .await;
    let second: KmsStatus = status(&company).await.json().await.expect("status");
    assert_eq!(second.backup_set_count, 1);
}

#[tokio::test]
async fn invalid_company_id_is_refused_with_the_error_shape() {
    let resp = status("not%20valid").await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json error");
    for field in ["code", "message", "fix"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} missing in {body}"
        );
    }
}
