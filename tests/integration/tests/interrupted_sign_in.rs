//! A tenant sign-in whose code exchange outlives its lease (issue 18 item
//! 5: `step_interrupted` comes out of a real run). Entra's token endpoint
//! and the tenant's JWKS each answer after 12 s (both under the 15 s call
//! timeout, together past the 20 s lease): the alarm fails the sign-in with
//! `step_interrupted` while the exchange still runs, and the exchange's late
//! success does not verify the tenant. Its own binary: the token endpoint's
//! fault is not scoped to one test.

use keyswitch_integration::attack_helpers::tenant_entry;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::{add_fault, fault, remove_fault};
use keyswitch_integration::*;
use serde_json::json;

#[tokio::test]
async fn an_exchange_past_its_lease_is_step_interrupted_and_its_late_result_does_not_count() {
    // The vault's tenant (whose keys the consent proof fetched, so the edge
    // holds them) and the backed-up tenant, whose keys it has never fetched.
    let w = world(true, 2048).await;
    let backed_up = world(true, 2048).await;
    let company = fresh_company("it-int");
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-m365", "tenant_id": backed_up.tenant})),
    )
    .await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    // The sign-in's code exchange only (`/organizations/…`): a health check
    // of another test's company asks its own tenant's token endpoint for a
    // client-credentials token and must not take this fault.
    let slow_token = add_fault(json!({
        "service": "entra", "path": "/organizations/oauth2/v2.0/token", "method": "POST",
        "count": 1, "action": {"kind": "latency", "ms": 12_000}
    }))
    .await;
    let slow_keys = add_fault(json!({
        "service": "entra", "path": format!("/{}/discovery/v2.0/keys", backed_up.tenant),
        "count": 1, "action": {"kind": "latency", "ms": 12_000}
    }))
    .await;
    let url = begin_verify(&company, &t, &m365(&backed_up.tenant)).await;
    let back = sign_in(&url, &backed_up.admin_oid, "accept").await;
    let started = std::time::Instant::now();
    let landing = tokio::spawn(async move { get_page(&back).await });

    // The lease (20 s) runs out while the exchange waits on the slow calls.
    let mut entry = serde_json::Value::Null;
    while started.elapsed() < std::time::Duration::from_secs(40) {
        let v = status_of(&company, &t).await;
        assert!(v["pending"]["tenants"].is_array(), "{v}");
        entry = tenant_entry(&v, "microsoft365");
        if entry["status"]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(entry["status"]["status"], "failed", "{entry}");
    assert_eq!(
        entry["status"]["reason"]["code"], "step_interrupted",
        "{entry}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(19),
        "failed before the lease ran out: {:?}",
        started.elapsed()
    );

    // The exchange ends late (about 24 s): its success is not counted.
    let (status, _, html) = landing.await.expect("the landing request");
    for id in [slow_token, slow_keys] {
        let fired = fault(id).await.map(|f| f["fired"].clone());
        remove_fault(id).await;
        assert_eq!(fired, Some(json!(1)), "fault {id} fired once");
    }
    // The late result finds no sign-in to complete: the page says the
    // sign-in request no longer works.
    assert_eq!(
        (status, landing_code(&html).as_deref()),
        (400, Some("oauth_state_expired")),
        "{html}"
    );
    let v = status_of(&company, &t).await;
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    let entry = tenant_entry(&v, "microsoft365");
    assert_eq!(
        entry["status"]["reason"]["code"], "step_interrupted",
        "{entry}"
    );
    // Verifying again works.
    let (status, html) = verify_as(
        &company,
        &t,
        &m365(&backed_up.tenant),
        &backed_up.admin_oid,
        "accept",
    )
    .await;
    assert_eq!(status, 200, "{html}");
}
