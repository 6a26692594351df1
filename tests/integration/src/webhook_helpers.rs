//! The simulator's webhook receiver (`tests/sim/src/webhooks.rs`): what it
//! received about a company, forced failures, and the receiver's own
//! verification of a delivery the test sends.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{control, sim_url};

/// The deliveries the receiver got whose body names `company`
/// (`company_id`), oldest first.
pub async fn deliveries_for(company: &str) -> Vec<Value> {
    let all = control("GET", "/webhooks", None).await;
    all["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["json"]["company_id"] == company)
        .collect()
}

/// Waits until `company` has a delivery of `kind` answered 200; returns
/// every delivery of that kind for the company (all attempts).
///
/// # Panics
/// When none arrives within `secs`.
pub async fn wait_delivered(company: &str, kind: &str, secs: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let of_kind: Vec<Value> = deliveries_for(company)
            .await
            .into_iter()
            .filter(|d| d["json"]["type"] == kind)
            .collect();
        if of_kind.iter().any(|d| d["status"] == 200) {
            return of_kind;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} delivered for {company}: {of_kind:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Makes the receiver fail the next `count` deliveries about `company`
/// with `status`.
pub async fn fail_next(company: &str, count: u32, status: u16) {
    control(
        "POST",
        "/webhooks/fail",
        Some(json!({"count": count, "status": status, "subject": company})),
    )
    .await;
}

/// POSTs a delivery to the receiver as an attacker would: `body` with the
/// given signature and id headers. Returns the status and answer.
pub async fn post_to_receiver(body: &str, signature: &str, id: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/webhooks/receive", sim_url()))
        .header("Content-Type", "application/json")
        .header("Keyswitch-Signature", signature)
        .header("Keyswitch-Webhook-Id", id)
        .body(body.to_owned())
        .send()
        .await
        .expect("the simulator answers");
    let status = resp.status().as_u16();
    let v = resp.json().await.unwrap_or(Value::Null);
    (status, v)
}
