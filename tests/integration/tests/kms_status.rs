//! The walking skeleton's slice, through the real worker: `GET` of a
//! company's KMS status is answered by its Durable Object (a new company
//! starts on the platform provider) and carries the backup-set count the
//! object kept from its latest read of the simulator's inventory over HTTP.

use keyswitch_integration::{control, fresh_company, session, sim_url, worker_url};
use keyswitch_shared::Provider;
use keyswitch_shared::api::{KmsOverview, KmsStatus};
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

/// Inventory reads of `company` in the simulator's request log.
async fn inventory_reads(company: &str) -> usize {
    let log = control("GET", "/requests", None).await;
    let path = format!("/companies/{company}/backup-sets");
    log["requests"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|e| e["path"].as_str().is_some_and(|p| p.contains(&path)))
                .count()
        })
        .unwrap_or(0)
}

async fn overview(company: &str) -> KmsOverview {
    let resp = status(company).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("a KmsOverview body")
}

/// The count is kept by the company's object from its latest inventory
/// read: status calls within its maximum age (2 s on the test stack,
/// `BACKUP_SET_COUNT_MAX_AGE_SECONDS`) read nothing; once due, the next
/// status reads the inventory again and shows the new count.
#[tokio::test]
async fn backup_set_count_is_kept_and_follows_the_inventory_once_due() {
    let company = fresh_company("it-count");
    let first = overview(&company).await;
    assert_eq!(first.status.backup_set_count, 0);
    assert_eq!(first.status.provider, Provider::Platform);
    assert_eq!(inventory_reads(&company).await, 1);

    add_backup_set(
        &company,
        json!({"name": "Mail", "kind": "microsoft365", "tenant_id": "8f0a5c2e-6b1d-4e3f-9a7b-2c4d6e8f0a1b", "tenant_name": "Tailspin"}),
    )
    .await;
    // Several status calls: one that read nothing shows the kept count
    // (0); one after a new read shows the new set.
    let calls = 8;
    let mut reads = 1;
    for _ in 0..calls {
        let o = overview(&company).await;
        let now = inventory_reads(&company).await;
        if now == 1 {
            assert_eq!(
                o.status.backup_set_count, 0,
                "the kept count, not a new read"
            );
        } else {
            assert_eq!(o.status.backup_set_count, 1, "a new read sees the new set");
        }
        reads = now;
    }
    assert!(
        reads < calls + 1,
        "status calls within the maximum age read nothing: {reads} reads for {} calls",
        calls + 1
    );

    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let later = overview(&company).await;
    assert_eq!(later.status.backup_set_count, 1);
    assert_eq!(inventory_reads(&company).await, reads + 1);
}

/// An inventory that cannot be read: a company whose count was never read
/// gets the error (exact code, nothing stored); one with a kept count
/// gets that count.
#[tokio::test]
async fn an_unreadable_inventory_keeps_the_last_count_or_answers_the_error() {
    let company = fresh_company("it-count-fault");
    let fault = control(
        "POST",
        "/faults",
        Some(json!({"service": "redapp", "path": format!("/companies/{company}/backup-sets"), "count": 0, "action": {"kind": "status", "status": 503}})),
    )
    .await;
    let resp = status(&company).await;
    let code = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        (code, body["code"].as_str()),
        (502, Some("unexpected_answer")),
        "{body}"
    );
    control("DELETE", &format!("/faults/{}", fault["id"]), None).await;

    add_backup_set(
        &company,
        json!({"kind": "google_workspace", "customer_id": "C01abcdef", "domain": "example.com"}),
    )
    .await;
    let read = overview(&company).await;
    assert_eq!(
        read.status.backup_set_count, 1,
        "read once the fault is gone"
    );
    add_backup_set(
        &company,
        json!({"kind": "google_workspace", "customer_id": "C02abcdef", "domain": "example.org"}),
    )
    .await;

    let fault = control(
        "POST",
        "/faults",
        Some(json!({"service": "redapp", "path": format!("/companies/{company}/backup-sets"), "count": 0, "action": {"kind": "status", "status": 503}})),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let reads_before = inventory_reads(&company).await;
    let kept = overview(&company).await;
    let reads_after = inventory_reads(&company).await;
    let rule = control("GET", "/faults", None).await;
    control("DELETE", &format!("/faults/{}", fault["id"]), None).await;
    assert_eq!(
        reads_after,
        reads_before + 1,
        "the due count was read again"
    );
    let fired = rule["faults"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["id"] == fault["id"]))
        .and_then(|r| r["fired"].as_u64());
    assert_eq!(fired, Some(1), "the fault fired on that read: {rule}");
    assert_eq!(
        kept.status.backup_set_count, 1,
        "the last count stays (the second set is not seen)"
    );
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
