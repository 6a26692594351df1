//! Issue 13, item 1c: one registry (a Durable Object per vault host + key
//! name) records which companies a key is bound to: bound on the commit of a
//! switch, released when the company moves to another key or provider. The
//! company's audit shows each write, naming the key and how many other
//! companies share it.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::Value;

/// A whole switch of `company` to `w`'s key, as its admin and the key's
/// Azure admin would do it (the key's tag gets this company added); the
/// company's backup set is in `bs`'s tenant.
async fn switch_company_to(company: &str, t: &str, w: &World, bs: &World) {
    // Consent (a consent this company proved for another tenant does not
    // count for `w`'s vault: start_and_consent then asks for it).
    assert_eq!(start_and_consent(company, t, w).await, 200);
    w.assign_role().await;
    w.bind_key(company).await;
    let (s, v) = test_connection(company, t).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call("POST", &format!("{}/save", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(verify_remaining(company, t, bs).await, 200);
    let done = wait_stage(company, t, "done", 60).await;
    assert_eq!(done["stage"], "done", "{done}");
}

/// Waits until `company`'s audit has a succeeded `action` whose detail
/// names `key`; returns that detail.
async fn registry_entry(company: &str, t: &str, action: &str, key: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (s, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
        assert_eq!(s, 200, "{trail}");
        let found = trail["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .find(|e| {
                e["action"] == action
                    && e["outcome"] == "succeeded"
                    && e["detail"].as_str().is_some_and(|d| d.contains(key))
            });
        if let Some(e) = found {
            return e["detail"].as_str().unwrap_or_default().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {action} for {key} in {company}'s audit: {trail}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn key_of(w: &World) -> String {
    format!("{}.vault.azure.net/keys/{}", w.vault, w.key)
}

#[tokio::test]
async fn the_registry_binds_on_commit_and_releases_on_switching_away() {
    let shared = world(true, 2048).await;
    let other = world(true, 2048).await;
    let acme = m365_company("it-reg-acme", &shared).await;
    let globex = m365_company("it-reg-globex", &shared).await;
    let initech = m365_company("it-reg-initech", &shared).await;
    // A partner manages the three companies.
    let t = session("partner_admin", &[&acme, &globex, &initech]).await;
    let k = key_of(&shared);

    switch_company_to(&acme, &t, &shared, &shared).await;
    assert_eq!(
        registry_entry(&acme, &t, "key_bound", &k).await,
        format!("bound to {k}; 0 other companies bound to it")
    );

    // The key's tag names both; globex shares the key with acme.
    switch_company_to(&globex, &t, &shared, &shared).await;
    assert_eq!(
        registry_entry(&globex, &t, "key_bound", &k).await,
        format!("bound to {k}; 1 other company bound to it")
    );

    // acme moves to another key: released from the shared one, bound to
    // the new one.
    switch_company_to(&acme, &t, &other, &shared).await;
    assert_eq!(
        registry_entry(&acme, &t, "key_released", &k).await,
        format!("released from {k}; 1 other company bound to it")
    );
    let k2 = key_of(&other);
    assert_eq!(
        registry_entry(&acme, &t, "key_bound", &k2).await,
        format!("bound to {k2}; 0 other companies bound to it")
    );

    // The registry no longer counts acme on the shared key: initech finds
    // only globex there.
    switch_company_to(&initech, &t, &shared, &shared).await;
    assert_eq!(
        registry_entry(&initech, &t, "key_bound", &k).await,
        format!("bound to {k}; 1 other company bound to it")
    );

    // globex leaves Azure for AWS KMS: released, initech remains.
    let (s, v) = move_to_aws(&globex, &t, &moto_create_key().await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        registry_entry(&globex, &t, "key_released", &k).await,
        format!("released from {k}; 1 other company bound to it")
    );
    let status: Value = status_of(&globex, &t).await;
    assert_eq!(status["provider"]["kind"], "aws_kms", "{status}");
}
