//! The Durable Object's alarm retries a failed finalization by itself, with
//! nobody polling (issue 18 item 2): the wrap fails twice (503), and after
//! the verification callback that started the finalization the test sends
//! the worker nothing at all — it only reads the simulator's request log —
//! until the third wrap has answered and the verify unwrap followed. Each
//! retry starts from the inventory read and waits its back-off (base × 2,
//! then × 4) after the failure. Only then is the company read: switched
//! once, two failed attempts audited, earlier data keys decrypt.

use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

fn at(e: &Value) -> u64 {
    e["at_ms"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn the_alarm_retries_a_failed_finalization_with_nobody_polling() {
    // FINALIZE_RETRY_BASE_MS of the test stack (scripts/lib.sh).
    let base: u64 = std::env::var("FINALIZE_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let x = saved_switch("it-alarm").await;
    let (w, company, t, keys, before, wrap) = (&x.w, &x.company, &x.t, &x.keys, &x.before, &x.wrap);
    let unwrap = format!("/{}.vault.azure.net/keys/company-kek/", w.vault);
    let inventory = format!("/companies/{company}/backup-sets");
    let wraps_before = requests_to(wrap).await.len();
    let reads_before = requests_to(&inventory).await.len();
    let id = add_fault(json!({"service": "keyvault", "path": wrap, "count": 2,
        "action": {"kind": "status", "status": 503}}))
    .await;

    // The last verification starts the finalization; its first attempt fails.
    let back = x.verify_back().await;
    let (s, _, html) = get_page(&back).await;
    assert_eq!(s, 200, "{html}");

    // From here on, nothing is sent to the worker: only the simulator's log
    // is read, until the third wrap answered and a verify unwrap followed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let wraps = loop {
        let wraps: Vec<Value> = requests_to(wrap).await.split_off(wraps_before);
        let last_wrap_seq = wraps.get(2).and_then(|e| e["seq"].as_u64());
        let verified = last_wrap_seq.is_some()
            && requests_to(&unwrap).await.iter().any(|e| {
                e["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/unwrapkey"))
                    && e["seq"].as_u64() > last_wrap_seq
                    && e["status"] == 200
            });
        if verified || std::time::Instant::now() > deadline {
            break wraps;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(fired(id).await, 2, "the two failures were not injected");
    remove_fault(id).await;
    assert_eq!(
        wraps.len(),
        3,
        "three wrap attempts, by the alarm alone: {wraps:?}"
    );
    assert_eq!(
        (&wraps[0]["fault"], &wraps[1]["fault"], &wraps[2]["status"]),
        (&json!("status 503"), &json!("status 503"), &json!(200)),
        "{wraps:?}"
    );
    // Each retry waited its back-off after the failure (base × 2^attempts).
    for (i, factor) in [(1usize, 2u64), (2, 4)] {
        let gap = at(&wraps[i]).saturating_sub(at(&wraps[i - 1]));
        assert!(
            gap >= base * factor,
            "retry {i} wrapped {gap} ms after the failure, before its back-off of {} ms",
            base * factor
        );
    }
    // Each retry started over from the inventory read.
    let reads: Vec<Value> = requests_to(&inventory).await.split_off(reads_before);
    for i in 1..3 {
        assert!(
            reads
                .iter()
                .any(|r| r["seq"].as_u64() > wraps[i - 1]["seq"].as_u64()
                    && r["seq"].as_u64() < wraps[i]["seq"].as_u64()),
            "retry {i} did not read the inventory first: {reads:?}"
        );
    }

    // Now look: switched once, the two failures and retries audited.
    let done = status_of(company, t).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    assert_ne!(
        done["company_key"]["wrapped_fingerprint"],
        before["company_key"]["wrapped_fingerprint"]
    );
    let (_, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    let count = |action: &str, outcome: &str| {
        trail["events"].as_array().map_or(0, |e| {
            e.iter()
                .filter(|x| x["action"] == action && x["outcome"] == outcome)
                .count()
        })
    };
    assert_eq!(count("finalize", "failed"), 2, "{trail}");
    assert_eq!(count("finalize_retry", "succeeded"), 2, "{trail}");
    assert_eq!(count("switch_committed", "succeeded"), 1, "{trail}");
    assert_data_keys(company, keys).await;
}
