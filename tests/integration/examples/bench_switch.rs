//! Benchmark driver for `scripts/bench`: one whole switch to Azure Key Vault
//! over HTTP, the way the integration tests drive it, and one JSON line on
//! stdout:
//!
//! * `finalize_ms`: by the edge's own clock (its audit trail), from the last
//!   `tenant_verified` event to `switch_committed` (provider flipped);
//! * `finalize_client_ms`: as a client sees it, from sending the last
//!   tenant's sign-in callback until `GET …/kms` shows the new provider
//!   (polled every 10 ms; includes the verification's own token exchange);
//! * calls to Entra and Key Vault per completed switch, from the simulator's
//!   request log (cleared just before the switch starts), in total, during
//!   finalization and from the last callback on.
//!
//! If a step the switch needs does not exist yet (finalization in progress),
//! it prints `{"available": false, "reason": …}` with the calls counted so
//! far instead of a figure. Run: `cargo run -p keyswitch-integration
//! --example bench_switch` with `KEYSWITCH_URL` and `SIM_URL` set.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keyswitch_integration::{
    call, consent_as, control, fresh_company, get_page, kms, session, start_and_consent, world,
};
use serde_json::{Map, Value, json};

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// Calls per simulated service logged from `since_ms` to `until_ms` (inclusive).
async fn calls(since_ms: u128, until_ms: u128) -> Map<String, Value> {
    let log = control("GET", "/requests", None).await;
    let mut by_service = Map::new();
    for e in log["requests"].as_array().into_iter().flatten() {
        let at = e["at_ms"].as_u64().map(u128::from).unwrap_or_default();
        if at < since_ms || at > until_ms {
            continue;
        }
        let service = e["service"].as_str().unwrap_or("other").to_owned();
        let n = by_service
            .get(&service)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        by_service.insert(service, json!(n + 1));
    }
    by_service
}

fn provider_of(v: &Value) -> Value {
    if v["provider"].is_null() {
        v["kms"]["provider"].clone()
    } else {
        v["provider"].clone()
    }
}

async fn unavailable(reason: String) {
    let so_far = calls(0, u128::MAX).await;
    println!(
        "{}",
        json!({"available": false, "reason": reason, "calls_before_stopping": so_far})
    );
}

#[tokio::main]
async fn main() {
    let company = fresh_company("bench-switch");
    let w = world(true, 4096).await;
    control(
        "POST",
        "/companies",
        Some(json!({"id": company, "name": "Bench Co"})),
    )
    .await;
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"name": "Mail", "kind": "microsoft365", "tenant_id": w.tenant, "tenant_name": "Bench tenant"})),
    )
    .await;
    let t = session("partner_admin", &[&company]).await;
    control("DELETE", "/requests", None).await;
    let started = Instant::now();

    let landing = start_and_consent(&company, &t, &w).await;
    if landing != 200 {
        return unavailable(format!("consent landing page answered {landing}")).await;
    }
    w.assign_role().await;
    w.bind_key(&company).await;
    for step in ["test", "save"] {
        let (s, v) = call("POST", &format!("{}/{step}", kms(&company)), Some(&t), None).await;
        if s != 200 {
            return unavailable(format!("POST …/kms/{step} answered {s}: {v}")).await;
        }
    }

    // Verify every tenant of the pending setup through its admin's sign-in.
    let (_, status) = call("GET", &kms(&company), Some(&t), None).await;
    let tenants = status["kms"]["pending"]["tenants"]
        .as_array()
        .or_else(|| status["pending"]["tenants"].as_array())
        .cloned()
        .unwrap_or_default();
    if tenants.is_empty() {
        return unavailable(format!("no tenants to verify after Save: {status}")).await;
    }
    let mut callback_sent_wall = 0;
    let mut callback_sent = Instant::now();
    for tenant in &tenants {
        let (s, v) = call(
            "POST",
            &format!("{}/tenants/verify", kms(&company)),
            Some(&t),
            Some(json!({"tenant": tenant["tenant"]})),
        )
        .await;
        let Some(url) = v["authorize_url"].as_str().filter(|_| s == 200) else {
            return unavailable(format!(
                "tenant verification (POST …/kms/tenants/verify) answered {s}: finalization has not landed"
            ))
            .await;
        };
        let callback = consent_as(url, &w.admin_oid, "accept").await;
        callback_sent_wall = now_ms();
        callback_sent = Instant::now();
        let (s, _, _) = get_page(&callback).await;
        if s != 200 {
            return unavailable(format!("tenant verification callback answered {s}")).await;
        }
    }

    // Finalization runs by itself once the last tenant is verified; poll until
    // the provider flips (at most 60 s).
    let flipped = loop {
        let (_, v) = call("GET", &kms(&company), Some(&t), None).await;
        if provider_of(&v)["kind"]
            .as_str()
            .is_some_and(|k| k != "platform")
        {
            break Some(callback_sent.elapsed());
        }
        if callback_sent.elapsed() > Duration::from_secs(60) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let Some(client_ms) = flipped else {
        return unavailable(
            "the provider did not flip within 60 s of the last verification".into(),
        )
        .await;
    };
    let switch_ms = started.elapsed().as_secs_f64() * 1e3;

    // The edge's own timestamps (audit trail): last `tenant_verified` → `switch_committed`.
    let (_, audit) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let events = audit["events"].as_array().cloned().unwrap_or_default();
    let at = |action: &str| {
        events
            .iter()
            .filter(|e| e["action"] == action && e["outcome"] == "succeeded")
            .filter_map(|e| e["at_ms"].as_u64())
            .max()
    };
    let (Some(verified_ms), Some(committed_ms)) = (at("tenant_verified"), at("switch_committed"))
    else {
        return unavailable(format!(
            "the audit trail has no tenant_verified/switch_committed pair: {audit}"
        ))
        .await;
    };
    let total = calls(0, u128::MAX).await;
    let during = calls(u128::from(verified_ms), u128::from(committed_ms)).await;
    let after_callback = calls(callback_sent_wall, u128::MAX).await;
    println!(
        "{}",
        json!({
            "available": true,
            "tenants": tenants.len(),
            "finalize_ms": committed_ms.saturating_sub(verified_ms),
            "finalize_client_ms": client_ms.as_secs_f64() * 1e3,
            "switch_total_ms": switch_ms,
            "calls_per_switch": total,
            "calls_during_finalization": during,
            "calls_from_last_callback": after_callback,
        })
    );
}
