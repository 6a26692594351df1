//! Issue 14, item 8: the host reads a company's KMS state — provider,
//! tenant verification records, key health — from the KV read copy the
//! company's Durable Object writes through after every change, with `as_of`
//! and how stale it may be, without waking the object. Only the company's
//! admins (console) and the backup engine's credential for the company may
//! read it.

use std::time::{Duration, Instant};

use keyswitch_integration::consent_helpers::now_ms;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::Value;

fn read_copy(company: &str) -> String {
    format!("/api/companies/{company}/kms/read-copy")
}

fn engine_path(company: &str) -> String {
    format!("/api/envelope/companies/{company}/kms-state")
}

/// Polls the read copy until `done` holds (KV is eventually consistent).
async fn wait_copy(company: &str, t: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, v) = call("GET", &read_copy(company), Some(t), None).await;
        if s == 200 && done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "read copy of {company}: {s} {v}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn the_read_copy_follows_the_switch_with_its_tenants_and_states_its_age() {
    let w = world(true, 2048).await;
    let company = m365_company("it-rc", &w).await;
    let t = session("company_admin", &[&company]).await;

    // Never opened: there is no copy, and reading it does not create the
    // company (the object is not woken).
    assert_error(
        &call("GET", &read_copy(&company), Some(&t), None).await,
        404,
        "not_found",
    );
    assert_error(
        &call("GET", &read_copy(&company), Some(&t), None).await,
        404,
        "not_found",
    );

    // Opening Manage KMS writes the first copy.
    status_of(&company, &t).await;
    let before = wait_copy(&company, &t, |v| v["provider"]["kind"] == "platform").await;
    assert_eq!(before["company_id"], company.as_str());
    assert_eq!(before["stage"], "idle");
    assert_eq!(before["max_staleness_secs"], 60);
    let as_of = before["as_of_ms"].as_u64().expect("as_of_ms");
    assert!(now_ms().abs_diff(as_of) < 60_000, "{before}");
    assert!(
        before["as_of"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{before}"
    );
    assert!(
        before["age_secs"].as_u64().is_some_and(|a| a < 60),
        "{before}"
    );
    assert_eq!(before["tenants"]["in_force"], serde_json::json!([]));
    assert_eq!(before["tenants"]["pending_setup"], Value::Null);

    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let after = wait_copy(&company, &t, |v| v["stage"] == "done").await;
    assert_eq!(after["provider"], done["provider"], "{after}");
    assert_eq!(after["provider"]["kind"], "azure_key_vault");
    assert!(after["as_of_ms"].as_u64() > Some(as_of));
    // The tenant verification records of the switch in force.
    let in_force = after["tenants"]["in_force"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(in_force.len(), 1, "{after}");
    assert_eq!(
        in_force[0]["tenant"]["tenant_id"],
        w.tenant.as_str(),
        "{after}"
    );
    assert_eq!(in_force[0]["status"]["status"], "verified", "{after}");
    assert_eq!(after["tenants"]["pending_setup"], Value::Null);

    // The backup engine reads the same copy with its credential.
    let (s, engine) = call("GET", &engine_path(&company), Some(&envelope_token()), None).await;
    assert_eq!(s, 200, "{engine}");
    assert_eq!(engine["provider"], after["provider"]);
    assert_eq!(engine["tenants"], after["tenants"]);
}

#[tokio::test]
async fn another_companys_admin_or_credential_reads_nothing_and_changes_nothing() {
    let w = world(true, 2048).await;
    let victim = m365_company("it-rc-victim", &w).await;
    let attacker = m365_company("it-rc-attacker", &w).await;
    let owner = session("company_admin", &[&victim]).await;
    status_of(&victim, &owner).await;
    let copy = wait_copy(&victim, &owner, |_| true).await;

    // Another company's admin, a user of the company, a partner without it.
    let other_admin = session("company_admin", &[&attacker]).await;
    let user = session("company_user", &[&victim]).await;
    let partner = session("partner_admin", &[&attacker]).await;
    for t in [&other_admin, &user, &partner] {
        let got = call("GET", &read_copy(&victim), Some(t), None).await;
        assert_error(&got, 403, "forbidden_role");
        assert!(got.1.get("provider").is_none(), "{:?}", got.1);
    }
    assert_error(
        &call("GET", &read_copy(&victim), None, None).await,
        401,
        "not_signed_in",
    );

    // The backup engine's second credential is limited to other companies;
    // a guessed token is nobody.
    let got = call(
        "GET",
        &engine_path(&victim),
        Some(&envelope_token_next()),
        None,
    )
    .await;
    assert_error(&got, 403, "envelope_company_not_allowed");
    let got = call(
        "GET",
        &engine_path(&victim),
        Some("guessed-token-0123456789abcdef0123"),
        None,
    )
    .await;
    assert_error(&got, 401, "not_signed_in");
    // A console session is not the engine's credential.
    let got = call("GET", &engine_path(&victim), Some(&owner), None).await;
    assert_error(&got, 401, "not_signed_in");

    // Nothing changed: the same copy, and the company itself is untouched.
    let (s, again) = call("GET", &read_copy(&victim), Some(&owner), None).await;
    assert_eq!(s, 200);
    assert_eq!(again["as_of_ms"], copy["as_of_ms"]);
    assert_eq!(again["stage"], "idle");
}
