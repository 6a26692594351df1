//! A crash in the middle of the finalization is picked up by the Durable
//! Object's alarm alone: the worker is killed (SIGKILL) while the wrap call
//! is in flight, restarted with the same state, and only the progress
//! endpoint (`GET …/kms/finalize`, which never starts an attempt) is polled.
//! The switch completes once and earlier data keys still decrypt.
//! Its own test binary: it restarts the worker, so nothing may run beside it.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::json;

#[tokio::test]
async fn the_alarm_resumes_a_finalization_cut_by_a_crash() {
    let w = world(true, 2048).await;
    let company = m365_company("it-crash", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let keys = vec![data_key(&company).await];
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let wrap = format!("/{}.vault.azure.net/keys/company-kek/wrapkey", w.vault);
    let id = add_fault(json!({"service": "keyvault", "path": wrap, "count": 1,
        "action": {"kind": "latency", "ms": 4000}}))
    .await;
    let url = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let back = sign_in(&url, &w.admin_oid, "accept").await;
    let landing = tokio::spawn(async move { reqwest::get(back).await.map(|r| r.status()) });
    for _ in 0..200 {
        if fault(id).await.and_then(|r| r["fired"].as_u64()) == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    restart_worker();
    let _ = landing.await;
    remove_fault(id).await;

    // Only the progress endpoint: no request starts an attempt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let progress = loop {
        let (s, p) = call(
            "GET",
            &format!("{}/finalize", kms(&company)),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{p}");
        if p["stage"] == "done" || std::time::Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(
        progress["stage"], "done",
        "the alarm did not resume: {progress}"
    );
    assert_eq!(
        progress["provider"]["kind"], "azure_key_vault",
        "{progress}"
    );
    assert_data_keys(&company, &keys).await;
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let commits = trail["events"].as_array().map(|e| {
        e.iter()
            .filter(|x| x["action"] == "switch_committed")
            .count()
    });
    assert_eq!(commits, Some(1), "{trail}");
}
