//! A crash in the middle of the connection test is resolved by the Durable
//! Object's alarm alone: the worker is killed (SIGKILL) while the GET key
//! call is in flight, restarted with the same state, and only `GET …/kms`
//! (which changes nothing) is polled. The test's lease expires, the alarm
//! starts the test once more, and the setup leaves `testing_connection`
//! (here: `tested`, since the vault answers the second time).
//! Its own test binary: it restarts the worker, so nothing may run beside it.

use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::json;

#[tokio::test]
async fn the_alarm_resolves_a_connection_test_cut_by_a_crash() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-crashtest");
    let t = session("partner_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    let get_key = format!("/{}.vault.azure.net/keys/company-kek", w.vault);
    let id = add_fault(
        json!({"service": "keyvault", "path": get_key, "method": "GET", "count": 1,
        "action": {"kind": "latency", "ms": 5000}}),
    )
    .await;
    let test = tokio::spawn({
        let (company, t) = (company.clone(), t.clone());
        async move { call("POST", &format!("{}/test", kms(&company)), Some(&t), None).await }
    });
    let mut fired = false;
    for _ in 0..200 {
        if fault(id).await.and_then(|r| r["fired"].as_u64()) == Some(1) {
            fired = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fired, "the GET key call never reached the simulator");
    let during = status_of(&company, &t).await;
    assert_eq!(during["stage"], "testing_connection", "{during}");
    restart_worker();
    let _ = test.await;
    remove_fault(id).await;

    // Nobody asks for anything but the status: the alarm alone resolves it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let after = loop {
        let s = status_of(&company, &t).await;
        if s["stage"] != "testing_connection" || std::time::Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(
        after["stage"], "tested",
        "the alarm did not resolve the test: {after}"
    );
    assert!(
        after["pending"]["tested_key"]["kid"]
            .as_str()
            .is_some_and(|k| k.contains("/keys/company-kek/")),
        "{after}"
    );
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let events = trail["events"].as_array().cloned().unwrap_or_default();
    let expired = events
        .iter()
        .filter(|e| e["action"] == "lease_expired" && e["actor"] == "keyswitch")
        .count();
    assert_eq!(
        expired, 1,
        "one expired lease, resolved by keyswitch: {trail}"
    );
    let passed = events
        .iter()
        .filter(|e| e["action"] == "connection_test" && e["outcome"] == "succeeded")
        .count();
    assert_eq!(passed, 1, "{trail}");
}
