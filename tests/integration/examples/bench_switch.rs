//! Benchmark driver for `scripts/bench`: one whole switch to Azure Key Vault
//! over HTTP, the way the integration tests drive it, and one JSON line on
//! stdout:
//!
//! * `finalize_ms`: from the moment the last tenant's verification callback
//!   answered to the moment the provider is flipped (polled every 10 ms, so
//!   the figure is at most 10 ms late);
//! * calls to Entra and Key Vault per completed switch, from the simulator's
//!   request log (cleared just before the switch starts), in total and after
//!   the last verification.
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

/// Calls per simulated service, over the whole log or from `since_ms` on.
async fn calls(since_ms: u128) -> Map<String, Value> {
    let log = control("GET", "/requests", None).await;
    let mut by_service = Map::new();
    for e in log["requests"].as_array().into_iter().flatten() {
        let at = e["at_ms"].as_u64().map(u128::from).unwrap_or_default();
        if at < since_ms {
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
    let so_far = calls(0).await;
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
        let (s, _, _) = get_page(&callback).await;
        if s != 200 {
            return unavailable(format!("tenant verification callback answered {s}")).await;
        }
    }
    let verified_at = Instant::now();
    let verified_wall = now_ms();

    // Finalization runs by itself after the last verification; poll until the
    // provider flips (at most 60 s).
    let flipped = loop {
        let (_, v) = call("GET", &kms(&company), Some(&t), None).await;
        if provider_of(&v)["kind"]
            .as_str()
            .is_some_and(|k| k != "platform")
        {
            break Some(verified_at.elapsed());
        }
        if verified_at.elapsed() > Duration::from_secs(60) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let Some(finalize) = flipped else {
        return unavailable(
            "the provider did not flip within 60 s of the last verification".into(),
        )
        .await;
    };
    let total = calls(0).await;
    let after = calls(verified_wall).await;
    println!(
        "{}",
        json!({
            "available": true,
            "tenants": tenants.len(),
            "finalize_ms": finalize.as_secs_f64() * 1e3,
            "switch_total_ms": started.elapsed().as_secs_f64() * 1e3,
            "calls_per_switch": total,
            "calls_after_last_verification": after,
        })
    );
}
