//! Concurrency of the finalization (issue 6 item 9), over HTTP with
//! `tokio::join!`: two verification callbacks at once (and the same callback
//! twice at once), a double `POST …/kms/finalize` while an attempt runs and
//! after one failed, and Cancel racing the finalization at the inventory read
//! and at the wrap. Always exactly one outcome: no lost verification, at
//! most one commit, never a half-switched company.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

async fn commits(company: &str, t: &str) -> usize {
    let (_, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    trail["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["action"] == "switch_committed")
                .count()
        })
        .unwrap_or(0)
}

/// Requests to `path_part` in the simulator's request log.
async fn logged(path_part: &str) -> usize {
    let log = control("GET", "/requests", None).await;
    let list = log["requests"]
        .as_array()
        .or_else(|| log.as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.contains(path_part)))
        .count()
}

async fn finalize_post(company: &str, t: &str) -> (u16, Value) {
    call("POST", &format!("{}/finalize", kms(company)), Some(t), None).await
}

async fn cancel(company: &str, t: &str) -> (u16, Value) {
    call("POST", &format!("{}/cancel", kms(company)), Some(t), None).await
}

#[tokio::test]
async fn two_verification_callbacks_at_once() {
    let w = world(true, 2048).await;
    let company = company_for("it-cc-cb", &w, true).await;
    let t = session("partner_admin", &[&company]).await;
    let keys = vec![data_key(&company).await];
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let sup = google_email("super").await;

    // Both tenants' callbacks arrive together: both count.
    let u1 = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let u2 = begin_verify(&company, &t, &gws(GOOGLE_CUSTOMER)).await;
    let b1 = sign_in(&u1, &w.admin_oid, "accept").await;
    let b2 = sign_in(&u2, &sup, "accept").await;
    let (r1, r2) = tokio::join!(get_page(&b1), get_page(&b2));
    assert_eq!((r1.0, r2.0), (200, 200), "{} / {}", r1.2, r2.2);
    let done = wait_stage(&company, &t, "done", 60).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    assert_eq!(commits(&company, &t).await, 1);
    assert_data_keys(&company, &keys).await;

    // The same callback twice at once (export re-verification): one wins.
    let (s, _) = export(&company, &t).await;
    assert_eq!(s, 200);
    let (s, ev) = call(
        "POST",
        &format!("{}/export/verification", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{ev}");
    let u = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let b = sign_in(&u, &w.admin_oid, "accept").await;
    let (r1, r2) = tokio::join!(get_page(&b), get_page(&b));
    let mut codes = [r1.0, r2.0];
    codes.sort_unstable();
    assert_eq!(codes[0], 200, "{} / {}", r1.2, r2.2);
    assert!(codes[1] >= 400, "a state worked twice: {codes:?}");
}

#[tokio::test]
async fn double_finalize_runs_one_attempt_and_commits_once() {
    let w = world(true, 2048).await;
    let company = m365_company("it-cc-fin", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let keys = vec![data_key(&company).await];
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let wrap_path = format!("/{}.vault.azure.net/keys/company-kek/wrapkey", w.vault);

    // 1. While an attempt is in flight (the wrap held 2 s), two finalize
    // requests arrive together.
    let id = add_fault(json!({"service": "keyvault", "path": wrap_path, "count": 1,
        "action": {"kind": "latency", "ms": 2000}}))
    .await;
    let u = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let b = sign_in(&u, &w.admin_oid, "accept").await;
    let landing = tokio::spawn(async move { get_page(&b).await.0 });
    for _ in 0..100 {
        if fault(id).await.and_then(|r| r["fired"].as_u64()) == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (a, b) = tokio::join!(finalize_post(&company, &t), finalize_post(&company, &t));
    assert_eq!((a.0, b.0), (200, 200), "{} / {}", a.1, b.1);
    assert_eq!(landing.await.expect("landing"), 200);
    remove_fault(id).await;
    let done = wait_stage(&company, &t, "done", 60).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(logged(&wrap_path).await, 1, "more than one wrap");
    assert_eq!(commits(&company, &t).await, 1);
    assert_data_keys(&company, &keys).await;
    let (a, b) = tokio::join!(finalize_post(&company, &t), finalize_post(&company, &t));
    assert_eq!(
        (a.1["stage"].clone(), b.1["stage"].clone()),
        (json!("done"), json!("done"))
    );
    assert_eq!(commits(&company, &t).await, 1);

    // 2. After a failed attempt, the retry is raced by two finalize
    // requests (and the alarm).
    let w2 = world(true, 2048).await;
    let saved = ready_to_verify(&company, &t, &w2).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let wrap2 = format!("/{}.vault.azure.net/keys/company-kek/wrapkey", w2.vault);
    let id = add_fault(json!({"service": "keyvault", "path": wrap2, "count": 1,
        "action": {"kind": "status", "status": 503}}))
    .await;
    assert_eq!(verify_remaining(&company, &t, &w).await, 200);
    remove_fault(id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (a, b) = tokio::join!(finalize_post(&company, &t), finalize_post(&company, &t));
        assert_eq!((a.0, b.0), (200, 200), "{} / {}", a.1, b.1);
        if a.1["stage"] == "done" || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let done = wait_stage(&company, &t, "done", 30).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(commits(&company, &t).await, 2);
    // One failed wrap, one that succeeded.
    assert_eq!(logged(&wrap2).await, 2, "wraps");
    assert_data_keys(&company, &keys).await;
}

/// Cancel while the finalization waits on `hold` (a path held 2 s): either
/// the cancel wins (old provider, no commit, and none later) or the switch
/// does (new provider, one commit, the cancel refused) — never both.
async fn cancel_race(hold: impl Fn(&str, &World) -> String) -> &'static str {
    let w = world(true, 2048).await;
    let company = m365_company("it-cc-cancel", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let keys = vec![data_key(&company).await];
    let before = status_of(&company, &t).await;
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let id = add_fault(json!({"path": hold(&company, &w), "count": 1,
        "action": {"kind": "latency", "ms": 2000}}))
    .await;
    let u = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let b = sign_in(&u, &w.admin_oid, "accept").await;
    let landing = tokio::spawn(async move { get_page(&b).await.0 });
    for _ in 0..100 {
        if fault(id).await.and_then(|r| r["fired"].as_u64()) == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (c, f) = tokio::join!(cancel(&company, &t), finalize_post(&company, &t));
    assert_eq!(f.0, 200, "{}", f.1);
    let _ = landing.await;
    remove_fault(id).await;
    // Give a retry (alarm) time to happen, then look.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let after = status_of(&company, &t).await;
    let n = commits(&company, &t).await;
    assert_data_keys(&company, &keys).await;
    if c.0 == 200 {
        assert_eq!(after["provider"], before["provider"], "{after}");
        assert_eq!(
            after["company_key"]["wrapped_fingerprint"],
            before["company_key"]["wrapped_fingerprint"]
        );
        assert!(after["pending"].is_null(), "{after}");
        assert_eq!(n, 0, "committed after a successful cancel");
        "cancel won"
    } else {
        assert_eq!(c.0, 409, "{}", c.1);
        let done = wait_stage(&company, &t, "done", 30).await;
        assert_eq!(done["stage"], "done", "{done}");
        assert_eq!(done["provider"]["kind"], "azure_key_vault");
        assert_eq!(commits(&company, &t).await, 1);
        "switch won, cancel refused"
    }
}

#[tokio::test]
async fn cancel_racing_the_finalization() {
    let at_inventory =
        cancel_race(|company, _| format!("/redapp/v1/companies/{company}/backup-sets")).await;
    println!("cancel during the inventory read: {at_inventory}");
    let at_wrap =
        cancel_race(|_, w| format!("/{}.vault.azure.net/keys/company-kek/wrapkey", w.vault)).await;
    println!("cancel during the wrap: {at_wrap}");
    assert_eq!(at_wrap, "switch won, cancel refused");
}
