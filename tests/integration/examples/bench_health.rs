//! Benchmark driver for `scripts/bench`: the key health monitor's call
//! budget (issue 14, item 1), measured on the running stack. One company is
//! switched to a fresh vault's key; then, with nobody clicking, the
//! simulator's request log is read over a window of `HEALTH_BENCH_SECS`
//! (default 95 s): every Key Vault call for that vault comes from the
//! company's own alarm-scheduled checks. Then one *Check now* is counted.
//! Prints one JSON line:
//!
//! * `window_s`, `checks` (GETs of the key in the window), `interval_s`
//!   (window / checks), `kv_calls`, `kv_calls_per_check`, `probes`
//!   (wraps in the window), `entra_calls` (token requests in the window);
//! * `check_now_calls`: Key Vault and Entra calls of one *Check now*;
//! * the projection at the production interval (300 s): checks per day and
//!   Key Vault transactions per key per day (GETs + 2 probe calls), and the
//!   share of the RSA-4096 software (500 / 10 s) and HSM (250 / 10 s) limits.
//!
//! Run: `cargo run -p keyswitch-integration --example bench_health` with
//! `KEYSWITCH_URL` and `SIM_URL` set.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keyswitch_integration::switch_helpers::{m365_company, switch_to};
use keyswitch_integration::{call, control, kms, session, world};
use serde_json::{Value, json};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// The simulator's requests between `since` and `until` (Unix ms).
async fn requests(since: u64, until: u64) -> Vec<Value> {
    control("GET", "/requests", None).await["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| {
            let at = e["at_ms"].as_u64().unwrap_or_default();
            at >= since && at <= until
        })
        .collect()
}

fn of_vault<'a>(log: &'a [Value], host: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|e| e["service"] == "keyvault" && e["vault"].as_str() == Some(host))
        .collect()
}

fn entra(log: &[Value]) -> usize {
    log.iter()
        .filter(|e| {
            e["service"] == "entra" && e["path"].as_str().is_some_and(|p| p.ends_with("/token"))
        })
        .count()
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("HEALTH_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(95);
    let w = world(true, 4096).await;
    let company = m365_company("bench-health", &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    if done["stage"] != "done" {
        println!(
            "{}",
            json!({"available": false, "reason": format!("the switch did not finish: {}", done["stage"])})
        );
        return;
    }
    let host = format!("{}.vault.azure.net", w.vault);
    let interval_cfg = done["health"]["check_interval_secs"].as_u64().unwrap_or(0);
    // Nobody clicks: the alarm's checks only.
    let start = now_ms();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let end = now_ms();
    let log = requests(start, end).await;
    let kv = of_vault(&log, &host);
    let gets = kv
        .iter()
        .filter(|e| {
            e["method"] == "GET"
                && e["path"].as_str().is_some_and(|p| {
                    p.trim_end_matches('/')
                        .ends_with(&format!("/keys/{}", w.key))
                })
        })
        .count();
    let probes = kv
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/wrapkey")))
        .count();
    // One Check now.
    let before = now_ms();
    let (status, answer) = call(
        "POST",
        &format!("{}/health/check", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    let after = now_ms();
    let now_log = requests(before, after).await;
    let window_s = (end - start) as f64 / 1000.0;
    let per_check = if gets == 0 {
        None
    } else {
        Some(kv.len() as f64 / gets as f64)
    };
    let prod_interval = 300.0;
    let checks_per_day = 86_400.0 / prod_interval;
    // One GET per check plus one probe (wrap + unwrap) a day.
    let per_day = checks_per_day + 2.0;
    println!(
        "{}",
        json!({
            "available": gets > 0,
            "reason": if gets == 0 { "no alarm-driven check was seen in the window" } else { "" },
            "configured_interval_s": interval_cfg,
            "window_s": window_s,
            "checks": gets,
            "interval_s": if gets == 0 { Value::Null } else { json!(window_s / gets as f64) },
            "kv_calls": kv.len(),
            "kv_calls_per_check": per_check,
            "probes": probes,
            "entra_token_requests": entra(&log),
            "check_now_status": status,
            "check_now_state": answer["kms"]["health"]["state"],
            "check_now_calls": {
                "keyvault": of_vault(&now_log, &host).len(),
                "entra": entra(&now_log),
            },
            "check_now_ms": after - before,
            "production_interval_s": prod_interval,
            "projected_checks_per_day": checks_per_day,
            "projected_kv_transactions_per_key_per_day": per_day,
            "kv_limit_rsa4096_software_per_day": 500.0 * 8640.0,
            "kv_limit_rsa4096_hsm_per_day": 250.0 * 8640.0,
            "share_of_software_limit_pct": per_day / (500.0 * 8640.0) * 100.0,
            "share_of_hsm_limit_pct": per_day / (250.0 * 8640.0) * 100.0,
        })
    );
}
