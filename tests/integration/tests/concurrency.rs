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
    let mut got = [(r1.0, landing_code(&r1.2)), (r2.0, landing_code(&r2.2))];
    got.sort();
    assert_eq!(
        got,
        [(200, None), (400, Some("oauth_state_used".to_owned()))],
        "one callback works, the other is the spent state's: {} / {}",
        r1.2,
        r2.2
    );
    let verified = status_of(&company, &t).await;
    // The spent state once more: refused, nothing changes.
    let (s, _, html) = get_page(&b).await;
    assert_eq!(
        (s, landing_code(&html).as_deref()),
        (400, Some("oauth_state_used")),
        "{html}"
    );
    assert_eq!(status_of(&company, &t).await, verified);
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
    assert_eq!(wait_fired(id, 1, 30).await, 1, "the wrap was never held");
    let (a, b) = tokio::join!(finalize_post(&company, &t), finalize_post(&company, &t));
    assert_eq!((a.0, b.0), (200, 200), "{} / {}", a.1, b.1);
    // Both arrived while the attempt was in flight, at the wrap.
    for p in [&a.1, &b.1] {
        assert_eq!(
            (&p["stage"], &p["step"], p["attempts"].as_u64()),
            (&json!("finalizing"), &json!("wrap"), Some(0)),
            "{p}"
        );
    }
    assert_eq!(landing.await.expect("landing"), 200);
    remove_fault(id).await;
    let done = wait_stage(&company, &t, "done", 60).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(requests_to(&wrap_path).await.len(), 1, "more than one wrap");
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
    assert_eq!(wait_fired(id, 1, 30).await, 1, "the wrap never failed");
    remove_fault(id).await;
    let (_, failed) = call(
        "GET",
        &format!("{}/finalize", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    if failed["stage"] != "done" {
        assert_eq!(
            failed["last_error"]["code"], "azure_unavailable",
            "{failed}"
        );
    }
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
    assert_eq!(requests_to(&wrap2).await.len(), 2, "wraps");
    assert_data_keys(&company, &keys).await;
}

/// Where Cancel races the finalization.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Point {
    /// The final inventory read is in flight: no commit is issued yet.
    Inventory,
    /// The wrap is in flight: the commit is issued.
    Wrap,
}

/// Cancel while the finalization waits on the call at `point` (held 2 s;
/// the hold is asserted to have begun). The product's promise (PRODUCT.md
/// §2, the model's `cancel`): Cancel is allowed while the setup is pending
/// and no commit is issued. So at the inventory read the cancel wins: the
/// old provider and its wrapped key stay, nothing is wrapped or committed,
/// then or later (observed past the lease the held read had). At the wrap
/// it is refused (409 `invalid_state_transition`) and the switch completes
/// once.
async fn cancel_race(point: Point) {
    let x = saved_switch("it-cc-cancel").await;
    let (company, t, keys, before, wrap) = (&x.company, &x.t, &x.keys, &x.before, &x.wrap);
    let hold = match point {
        Point::Inventory => format!("/redapp/v1/companies/{company}/backup-sets"),
        Point::Wrap => wrap.clone(),
    };
    let wraps_before = requests_to(wrap).await.len();
    let id = add_fault(json!({"path": hold, "count": 1,
        "action": {"kind": "latency", "ms": 2000}}))
    .await;
    let b = x.verify_back().await;
    let landing = tokio::spawn(async move { get_page(&b).await.0 });
    assert_eq!(
        wait_fired(id, 1, 30).await,
        1,
        "the {point:?} call was never made: no race"
    );
    let (c, f) = tokio::join!(cancel(company, t), finalize_post(company, t));
    assert_eq!(f.0, 200, "{}", f.1);
    let landed = landing.await.expect("landing");
    remove_fault(id).await;
    assert_data_keys(company, keys).await;
    match point {
        Point::Inventory => {
            assert_eq!(c.0, 200, "Cancel before the commit was refused: {}", c.1);
            assert_eq!(landed, 200);
            // Nothing later: past the lease of the held read (after which
            // the alarm would have retried it), still nothing.
            let lease = keyswitch_shared::switch::Policy::default().lease_ms;
            tokio::time::sleep(std::time::Duration::from_millis(lease + 2_000)).await;
            let after = status_of(company, t).await;
            assert_eq!(after["stage"], "cancelled", "{after}");
            assert_eq!(after["provider"], before["provider"], "{after}");
            assert_eq!(
                after["company_key"]["wrapped_fingerprint"],
                before["company_key"]["wrapped_fingerprint"]
            );
            assert!(after["pending"].is_null(), "{after}");
            assert_eq!(commits(company, t).await, 0, "committed after a cancel");
            assert_eq!(
                requests_to(wrap).await.len(),
                wraps_before,
                "wrapped after a cancel"
            );
            assert_data_keys(company, keys).await;
        }
        Point::Wrap => {
            assert_error(&c, 409, "invalid_state_transition");
            let done = wait_stage(company, t, "done", 30).await;
            assert_eq!(done["stage"], "done", "{done}");
            assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
            assert_eq!(commits(company, t).await, 1);
            assert_eq!(requests_to(wrap).await.len(), wraps_before + 1, "one wrap");
            assert_data_keys(company, keys).await;
        }
    }
}

#[tokio::test]
async fn cancel_wins_while_the_final_inventory_read_runs() {
    cancel_race(Point::Inventory).await;
}

#[tokio::test]
async fn cancel_is_refused_once_the_wrap_runs() {
    cancel_race(Point::Wrap).await;
}
