//! Issue 14, item 1: the Cron Trigger is the safety net of the companies'
//! own alarms. A company on Azure Key Vault whose alarm was lost (here: the
//! development route deletes it, as an eviction at the wrong moment would)
//! keeps its work due — a webhook retry — and nothing happens at the due
//! time; the sweep (`/__scheduled`, wrangler dev's `--test-scheduled`)
//! finds it from the KV read copies, the model re-arms the alarm (audited
//! `alarm_restored`) and the overdue work runs.

use std::time::{Duration, Instant};

use keyswitch_integration::consent_helpers::{audit_events, now_ms};
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::webhook_helpers::*;
use keyswitch_integration::*;
use serde_json::Value;

/// How long after its due time the sweep wakes a company
/// (`read_copy::SWEEP_GRACE_MS`).
const GRACE_MS: u64 = keyswitch_shared::read_copy::SWEEP_GRACE_MS;

async fn scheduled() -> u16 {
    let resp = reqwest::Client::new()
        .get(format!("{}/__scheduled?cron=*/5+*+*+*+*", worker_url()))
        .send()
        .await
        .expect("the worker answers");
    resp.status().as_u16()
}

async fn attempts(company: &str) -> Vec<Value> {
    deliveries_for(company)
        .await
        .into_iter()
        .filter(|d| d["json"]["type"] == "kms.switch_completed")
        .collect()
}

async fn has_audit(company: &str, t: &str, action: &str, detail: &str) -> bool {
    audit_events(company, t)
        .await
        .iter()
        .any(|e| e["action"] == action && e["detail"].as_str().is_some_and(|d| d.contains(detail)))
}

#[tokio::test]
async fn a_company_whose_alarm_was_lost_is_found_by_the_sweep() {
    let w = world(true, 2048).await;
    let company = m365_company("it-sweep", &w).await;
    let t = session("company_admin", &[&company]).await;
    // The host fails five attempts: the sixth is due about 5 s after the
    // fifth, and only the alarm sends it.
    fail_next(&company, 5, 503).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !has_audit(&company, &t, "webhook_delivery", "attempt 5 failed").await {
        assert!(Instant::now() < deadline, "no fifth attempt");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The alarm is lost.
    let path = format!("/api/_dev/companies/{company}/drop-alarm");
    let (s, dropped) = call("POST", &path, Some(&t), None).await;
    assert_eq!(s, 200, "{dropped}");
    assert_eq!(dropped["alarm_at_ms"], Value::Null, "{dropped}");
    let due = dropped["due_ms"].as_u64().expect("the retry is still owed");
    let seen = attempts(&company).await.len();
    assert_eq!(seen, 5);

    // Past its due time (and the sweep's grace) nothing happened.
    while now_ms() <= due + GRACE_MS + 500 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        attempts(&company).await.len(),
        seen,
        "the retry ran without an alarm"
    );
    assert!(!has_audit(&company, &t, "alarm_restored", "").await);

    // The sweep finds the company, the model re-arms its alarm, the retry
    // runs and is delivered.
    assert_eq!(scheduled().await, 200);
    let got = wait_delivered(&company, "kms.switch_completed", 30).await;
    assert_eq!(got.len(), seen + 1, "{got:#?}");
    assert!(has_audit(&company, &t, "alarm_restored", "alarm missing; work due at").await);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !has_audit(&company, &t, "webhook_delivery", "delivered on attempt 6").await {
        assert!(Instant::now() < deadline, "the delivery was not logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A second sweep finds nothing to do for it: nothing more is restored.
    assert_eq!(scheduled().await, 200);
    let restored = audit_events(&company, &t)
        .await
        .iter()
        .filter(|e| e["action"] == "alarm_restored")
        .count();
    assert_eq!(restored, 1);
}

#[tokio::test]
async fn the_development_alarm_drop_needs_the_companys_admin() {
    let w = world(true, 2048).await;
    let company = m365_company("it-sweep-auth", &w).await;
    let other = m365_company("it-sweep-other", &w).await;
    let t_other = session("company_admin", &[&other]).await;
    let path = format!("/api/_dev/companies/{company}/drop-alarm");
    assert_error(
        &call("POST", &path, Some(&t_other), None).await,
        403,
        "forbidden_role",
    );
    assert_error(&call("POST", &path, None, None).await, 401, "not_signed_in");
}
