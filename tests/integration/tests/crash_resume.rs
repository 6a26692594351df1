//! A crash in the middle of the finalization is picked up by the Durable
//! Object's alarm alone: the worker is killed (SIGKILL) while the wrap call
//! is in flight, restarted with the same state, and only the progress
//! endpoint (`GET …/kms/finalize`, which never starts an attempt) is polled.
//! The switch completes once and earlier data keys still decrypt.
//! Its own test binary: it restarts the worker, so nothing may run beside it.

use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::json;

#[tokio::test]
async fn the_alarm_resumes_a_finalization_cut_by_a_crash() {
    let x = saved_switch("it-crash").await;
    let (company, t, keys, before, wrap) = (&x.company, &x.t, &x.keys, &x.before, &x.wrap);
    let wraps_before = requests_to(wrap).await.len();
    let id = add_fault(json!({"service": "keyvault", "path": wrap, "count": 1,
        "action": {"kind": "latency", "ms": 4000}}))
    .await;
    let back = x.verify_back().await;
    let landing = tokio::spawn(async move { reqwest::get(back).await.map(|r| r.status()) });
    // The crash must hit the wrap in flight: the held call has arrived.
    assert_eq!(wait_fired(id, 1, 30).await, 1, "the wrap was never called");
    let (s, held) = call("GET", &format!("{}/finalize", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{held}");
    assert_eq!(
        (&held["stage"], &held["step"], held["attempts"].as_u64()),
        (&json!("finalizing"), &json!("wrap"), Some(0)),
        "just before the crash: {held}"
    );
    assert_eq!(held["provider"], before["provider"], "{held}");
    assert_eq!(
        requests_to(wrap).await.len(),
        wraps_before,
        "the held wrap must not have answered before the crash"
    );
    restart_worker();
    let _ = landing.await;
    remove_fault(id).await;
    // Right after the crash nothing has changed: the old provider and its
    // wrapped key, and no commit.
    let after_crash = status_of(company, t).await;
    assert_eq!(after_crash["provider"], before["provider"], "{after_crash}");
    assert_eq!(
        after_crash["company_key"]["wrapped_fingerprint"],
        before["company_key"]["wrapped_fingerprint"],
        "{after_crash}"
    );
    assert_data_keys(company, keys).await;

    // Only the progress endpoint: no request starts an attempt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let progress = loop {
        let (s, p) = call("GET", &format!("{}/finalize", kms(company)), Some(t), None).await;
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
    assert_data_keys(company, keys).await;
    let (_, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    let commits = trail["events"].as_array().map(|e| {
        e.iter()
            .filter(|x| x["action"] == "switch_committed")
            .count()
    });
    assert_eq!(commits, Some(1), "{trail}");
    // The held wrap was never answered (its connection died with the
    // worker; the simulator logs only answered calls, and may drop the
    // cut one); the alarm's attempt wrapped once, successfully.
    let wraps: Vec<_> = requests_to(wrap).await.split_off(wraps_before);
    let answered: Vec<_> = wraps
        .iter()
        .filter(|e| e["status"] == 200 && e["fault"].is_null())
        .collect();
    assert_eq!(answered.len(), 1, "wraps since the fault: {wraps:?}");
    assert!(wraps.len() <= 2, "wraps since the fault: {wraps:?}");
}
