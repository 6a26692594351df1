//! Tenant verification fails closed (issue 13, item 3): a backup set the
//! edge cannot verify (an unknown kind, a Microsoft 365 tenant given as a
//! domain, a malformed Google customer id) blocks Save with its own error
//! naming the set, stays listed, and the switch cannot finish until it is
//! corrected; a company without backup sets switches only after an admin
//! confirms there is nothing to verify (audited), and a set added after the
//! confirmation brings verification back.
//!
//! Before the fix, the edge dropped such sets silently and an empty list
//! finished the switch at once: every test here failed.

use std::time::Duration;

use keyswitch_integration::finalize_helpers::{m365, ready_to_save, verify_as, wait_stage};
use keyswitch_integration::switch_helpers::{add_fault, remove_fault};
use keyswitch_integration::{
    World, assert_error, call, control, fresh_company, kms, session, status_of, world,
};
use serde_json::{Value, json};

/// The company's audit trail, newest first.
async fn audit(company: &str, token: &str) -> Vec<Value> {
    let (s, v) = call(
        "GET",
        &format!("{}/audit?limit=100", kms(company)),
        Some(token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["events"].as_array().cloned().unwrap_or_default()
}

fn actions(trail: &[Value]) -> Vec<String> {
    trail
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["action"].as_str().unwrap_or("?"),
                e["outcome"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

async fn post(company: &str, token: &str, what: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("{}/{what}", kms(company)),
        Some(token),
        None,
    )
    .await
}

/// A company whose backup sets are `w`'s tenant and `bad`.
async fn company_with(prefix: &str, w: &World, bad: Value) -> String {
    let company = fresh_company(prefix);
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-m365", "tenant_id": w.tenant})),
    )
    .await;
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(bad),
    )
    .await;
    company
}

/// Save is refused with `backup_set_unverifiable` naming the set; the set
/// stays in the tenant list with why; nothing else changed.
async fn save_is_blocked(company: &str, token: &str, set_id: &str, name: &str, why: &str) {
    let got = post(company, token, "save").await;
    assert_error(&got, 409, "backup_set_unverifiable");
    let body = &got.1;
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("\"{name}\" ({set_id})")) && message.contains(why),
        "{body}"
    );
    let fix = body["fix"].as_str().unwrap_or_default();
    assert!(fix.contains("RedApp") && fix.contains("Refresh"), "{body}");
    let v = status_of(company, token).await;
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    let pending = &v["pending"];
    let sets = pending["unverifiable_sets"].as_array().expect("sets");
    assert_eq!(sets.len(), 1, "{pending}");
    assert_eq!(sets[0]["set_id"], set_id);
    assert_eq!(sets[0]["set_name"], name);
    assert_eq!(pending["last_error"]["code"], "backup_set_unverifiable");
    // The verifiable set is listed as before.
    assert_eq!(
        pending["tenants"].as_array().map(Vec::len),
        Some(1),
        "{pending}"
    );
    let trail = audit(company, token).await;
    let read = trail
        .iter()
        .find(|e| e["action"] == "inventory_loaded")
        .expect("the read is audited");
    assert_eq!(read["outcome"], "refused", "{read}");
    assert!(
        read["detail"].as_str().unwrap_or_default().contains(set_id),
        "{read}"
    );
}

#[tokio::test]
async fn a_set_of_an_unknown_kind_blocks_save_until_it_is_corrected() {
    let w = world(true, 2048).await;
    let company = company_with(
        "it-bs-kind",
        &w,
        json!({"kind": "dropbox", "id": "bs-dropbox", "name": "Dropbox archive"}),
    )
    .await;
    let t = session("company_admin", &[&company]).await;
    ready_to_save(&company, &t, &w).await;
    save_is_blocked(
        &company,
        &t,
        "bs-dropbox",
        "Dropbox archive",
        "its kind \"dropbox\" is unknown",
    )
    .await;
    // Verifying every tenant that can be verified does not finish the switch.
    let (s, _) = verify_as(&company, &t, &m365(&w.tenant), &w.admin_oid, "accept").await;
    assert_eq!(s, 200);
    let v = call(
        "POST",
        &format!("{}/finalize", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(v.0, 200, "{}", v.1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let v = status_of(&company, &t).await;
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    // Nor does a confirmation that there is nothing to verify.
    assert_error(
        &post(&company, &t, "confirm-no-tenants").await,
        409,
        "backup_set_unverifiable",
    );
    // Refresh while the set is unchanged: refused again.
    assert_error(
        &post(&company, &t, "refresh").await,
        409,
        "backup_set_unverifiable",
    );
    // Corrected in RedApp (removed): Refresh lists it no more; the switch finishes.
    let _ = reqwest::Client::new()
        .delete(format!(
            "{}/_control/companies/{company}/backup-sets/bs-dropbox",
            keyswitch_integration::sim_url()
        ))
        .send()
        .await
        .expect("the simulator answers");
    let (s, v) = post(&company, &t, "refresh").await;
    assert_eq!(s, 200, "{v}");
    let v = wait_stage(&company, &t, "done", 20).await;
    assert_eq!(v["stage"], "done", "{v}");
    assert_eq!(v["provider"]["kind"], "azure_key_vault", "{v}");
}

#[tokio::test]
async fn a_microsoft_365_tenant_given_as_a_domain_blocks_save() {
    let w = world(true, 2048).await;
    let company = company_with(
        "it-bs-domain",
        &w,
        json!({"kind": "microsoft365", "id": "bs-domain", "name": "Contoso mail", "tenant_id": "contoso.onmicrosoft.com"}),
    )
    .await;
    let t = session("company_admin", &[&company]).await;
    ready_to_save(&company, &t, &w).await;
    save_is_blocked(
        &company,
        &t,
        "bs-domain",
        "Contoso mail",
        "given as the domain \"contoso.onmicrosoft.com\"",
    )
    .await;
}

#[tokio::test]
async fn a_malformed_google_customer_id_blocks_save() {
    let w = world(true, 2048).await;
    let company = company_with(
        "it-bs-cust",
        &w,
        json!({"kind": "google_workspace", "id": "bs-cust", "name": "Fabrikam Workspace", "customer_id": "03az79cb", "domain": "fabrikam.example"}),
    )
    .await;
    let t = session("company_admin", &[&company]).await;
    ready_to_save(&company, &t, &w).await;
    save_is_blocked(
        &company,
        &t,
        "bs-cust",
        "Fabrikam Workspace",
        "customer ID \"03az79cb\" is malformed",
    )
    .await;
}

#[tokio::test]
async fn a_company_without_backup_sets_switches_only_after_the_confirmation() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-bs-none");
    let t = session("company_admin", &[&company]).await;
    ready_to_save(&company, &t, &w).await;
    // Before Save there is nothing to confirm.
    assert_error(
        &post(&company, &t, "confirm-no-tenants").await,
        409,
        "invalid_state_transition",
    );
    let (s, v) = post(&company, &t, "save").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["kms"]["pending"]["tenants"], json!([]), "{v}");
    assert_eq!(v["kms"]["pending"]["nothing_to_verify"], false, "{v}");
    // It does not finish by itself, however long one waits or pokes it.
    let (s, _) = call(
        "POST",
        &format!("{}/finalize", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let v = status_of(&company, &t).await;
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    assert!(
        !actions(&audit(&company, &t).await)
            .iter()
            .any(|a| a.starts_with("finalize")),
        "a finalization started without the confirmation"
    );
    // Someone without the role cannot confirm.
    let reader = session("read_only", &[&company]).await;
    let got = post(&company, &reader, "confirm-no-tenants").await;
    assert_eq!(got.0, 403, "{}", got.1);
    // The admin confirms: audited with who; the switch finishes.
    let (s, v) = post(&company, &t, "confirm-no-tenants").await;
    assert_eq!(s, 200, "{v}");
    let v = wait_stage(&company, &t, "done", 20).await;
    assert_eq!(v["stage"], "done", "{v}");
    assert_eq!(v["provider"]["kind"], "azure_key_vault", "{v}");
    let trail = audit(&company, &t).await;
    let confirmed: Vec<&Value> = trail
        .iter()
        .filter(|e| e["action"] == "no_tenants_confirmed" && e["outcome"] == "succeeded")
        .collect();
    assert_eq!(confirmed.len(), 1, "{:?}", actions(&trail));
    assert!(
        confirmed[0]["actor"]
            .as_str()
            .is_some_and(|a| !a.is_empty() && a != "keyswitch"),
        "{}",
        confirmed[0]
    );
    // The refused attempt before Save is on the trail too.
    assert!(
        actions(&trail)
            .iter()
            .any(|a| a == "no_tenants_confirmed/refused"),
        "{:?}",
        actions(&trail)
    );
}

#[tokio::test]
async fn a_backup_set_added_after_the_confirmation_brings_verification_back() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-bs-late");
    let t = session("company_admin", &[&company]).await;
    ready_to_save(&company, &t, &w).await;
    let (s, v) = post(&company, &t, "save").await;
    assert_eq!(s, 200, "{v}");
    // The finalization's own inventory read fails once: the set is added
    // before the retry reads the inventory again.
    let rule = add_fault(json!({
        "service": "redapp",
        "path": format!("/companies/{company}/backup-sets"),
        "count": 1,
        "action": {"kind": "status", "status": 503},
    }))
    .await;
    let (s, v) = post(&company, &t, "confirm-no-tenants").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "finalizing", "{v}");
    assert_eq!(
        keyswitch_integration::switch_helpers::fired(rule).await,
        1,
        "the finalization's inventory read did not fail"
    );
    remove_fault(rule).await;
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-late", "tenant_id": w.tenant})),
    )
    .await;
    // The retry's read finds the set: the confirmation no longer counts.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let v = loop {
        let (s, p) = call(
            "POST",
            &format!("{}/finalize", kms(&company)),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{p}");
        if p["stage"] != "finalizing" || std::time::Instant::now() > deadline {
            break status_of(&company, &t).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(v["stage"], "verifying_tenants", "{v}");
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    let pending = &v["pending"];
    assert_eq!(pending["nothing_to_verify"], false, "{pending}");
    let tenants = pending["tenants"].as_array().expect("tenants");
    assert_eq!(tenants.len(), 1, "{pending}");
    assert_eq!(tenants[0]["tenant"]["tenant_id"], w.tenant.as_str());
    assert_eq!(tenants[0]["status"]["status"], "unverified");
    // Confirming again is refused: there is a tenant to verify.
    assert_error(
        &post(&company, &t, "confirm-no-tenants").await,
        409,
        "conflict",
    );
    // Verifying it finishes the switch.
    let (s, _) = verify_as(&company, &t, &m365(&w.tenant), &w.admin_oid, "accept").await;
    assert_eq!(s, 200);
    let v = wait_stage(&company, &t, "done", 20).await;
    assert_eq!(v["stage"], "done", "{v}");
}
