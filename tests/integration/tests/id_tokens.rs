//! The ID token at the end of a sign-in is checked, check by check: the
//! simulator issues a token that is bad in exactly one way (issue 18 item
//! 3), for Microsoft (tenant verification and the admin-consent sign-in)
//! and Google, and each is refused with its own catalog code. Each case
//! shows that the bad token was really issued (the rule fired once), that
//! the tenant stays unverified (nothing recorded), and — at the end — that
//! the same user's genuine token verifies, so the refusals are the checks'
//! doing and not a broken set-up.

use keyswitch_integration::attack_helpers::tenant_entry;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// Every way the simulator can make an ID token bad, with the code the
/// edge must answer.
const FAULTS: [(&str, &str); 9] = [
    ("bad_signature", "id_token_bad_signature"),
    ("unknown_kid", "id_token_unknown_key"),
    ("alg_none", "id_token_algorithm_refused"),
    ("wrong_audience", "id_token_wrong_audience"),
    ("wrong_issuer", "id_token_wrong_issuer"),
    ("wrong_nonce", "id_token_wrong_nonce"),
    ("expired", "id_token_expired"),
    ("not_yet_valid", "id_token_not_yet_valid"),
    ("malformed", "id_token_malformed"),
];

/// Asks the simulator for one bad ID token for `user`; returns the rule id.
async fn bad_token_for(user: &str, fault: &str) -> u64 {
    control(
        "POST",
        "/id-token-faults",
        Some(json!({"user": user, "fault": fault, "count": 1})),
    )
    .await["id"]
        .as_u64()
        .expect("a rule id")
}

/// How often rule `id` fired.
async fn fired(id: u64) -> u64 {
    control("GET", "/id-token-faults", None).await["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"].as_u64() == Some(id))
        .and_then(|r| r["fired"].as_u64())
        .expect("the rule is listed")
}

/// Verifies `tenant` (of `kind`) as `user` once per fault, each time with
/// a bad ID token: refused with the fault's code, the tenant failed with
/// that reason, nothing verified; then the genuine token verifies and the
/// switch completes.
async fn each_fault_refused(company: &str, t: &str, tenant: &Value, kind: &str, user: &str) {
    for (fault, code) in FAULTS {
        let rule = bad_token_for(user, fault).await;
        let (status, html) = verify_as(company, t, tenant, user, "accept").await;
        assert_eq!(fired(rule).await, 1, "{fault}: the bad token was issued");
        assert_eq!(status, 422, "{fault}: {html}");
        assert_eq!(
            landing_code(&html).as_deref(),
            Some(code),
            "{fault}: {html}"
        );
        assert!(html.contains("stays unverified"), "{fault}: {html}");
        let entry = tenant_entry(&status_of(company, t).await, kind);
        assert_eq!(entry["status"]["status"], "failed", "{fault}: {entry}");
        assert_eq!(entry["status"]["reason"]["code"], code, "{fault}: {entry}");
    }
    // The same user's genuine token verifies: the refusals were the checks.
    let (status, html) = verify_as(company, t, tenant, user, "accept").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(wait_stage(company, t, "done", 30).await["stage"], "done");
}

#[tokio::test]
async fn every_bad_microsoft_id_token_is_refused_with_its_own_code() {
    let w = world(true, 2048).await;
    let company = company_for("it-idt-ms", &w, false).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    each_fault_refused(&company, &t, &m365(&w.tenant), "microsoft365", &w.admin_oid).await;
}

#[tokio::test]
async fn a_bad_id_token_at_the_admin_consent_sign_in_proves_nothing() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-idt-consent");
    let t = session("company_admin", &[&company]).await;
    for (fault, code) in [
        ("bad_signature", "id_token_bad_signature"),
        ("wrong_audience", "id_token_wrong_audience"),
        ("alg_none", "id_token_algorithm_refused"),
        ("expired", "id_token_expired"),
    ] {
        let (s, v) = start(&company, &t, &w.vault_uri, &w.key).await;
        assert_eq!(s, 200, "{v}");
        let url = v["consent_url"].as_str().expect("a consent URL").to_owned();
        let rule = bad_token_for(&w.admin_oid, fault).await;
        let back = consent_as(&url, &w.admin_oid, "accept").await;
        let (status, _, html) = get_page(&back).await;
        assert_eq!(fired(rule).await, 1, "{fault}: the bad token was issued");
        assert_eq!(status, 422, "{fault}: {html}");
        assert!(html.contains(code), "{fault}: {html}");
        // No consent was recorded: the setup is back to draft, saying why.
        let v = status_of(&company, &t).await;
        assert_eq!(v["stage"], "draft", "{fault}: {v}");
        assert_eq!(v["pending"]["consent"], Value::Null, "{fault}: {v}");
        assert_eq!(v["pending"]["last_error"]["code"], code, "{fault}: {v}");
        let (s, v) = call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
        assert_eq!(s, 200, "{v}");
    }
    // Genuine: the consent is proven.
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
}

/// A fresh Google Workspace customer with one user of each role.
struct Google {
    customer: String,
    super_admin: String,
    plain: String,
}

async fn google_customer() -> Google {
    let id = fresh_company("g");
    let tail: String = id.chars().rev().take(6).collect();
    let customer = format!("C0{tail}");
    let domain = format!("{tail}.example.com");
    control(
        "POST",
        "/google/customers",
        Some(json!({"id": customer, "domain": domain})),
    )
    .await;
    let user = |local: &str, role: &str| {
        let email = format!("{local}@{domain}");
        let body = json!({"email": email, "name": local, "customer_id": customer, "role": role});
        async move {
            control("POST", "/google/users", Some(body)).await;
            email
        }
    };
    let super_admin = user("super", "super_admin").await;
    let plain = user("plain", "user").await;
    Google {
        customer,
        super_admin,
        plain,
    }
}

async fn google_company(prefix: &str, customer: &str) -> String {
    let company = fresh_company(prefix);
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "google_workspace", "id": "bs-gws", "customer_id": customer, "domain": "example.com"})),
    )
    .await;
    company
}

#[tokio::test]
async fn every_bad_google_id_token_is_refused_with_its_own_code() {
    let w = world(true, 2048).await;
    let g = google_customer().await;
    let company = google_company("it-idt-g", &g.customer).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    each_fault_refused(
        &company,
        &t,
        &gws(&g.customer),
        "google_workspace",
        &g.super_admin,
    )
    .await;
}

#[tokio::test]
async fn google_plain_user_and_another_customers_super_admin_are_refused() {
    let w = world(true, 2048).await;
    let ours = google_customer().await;
    let theirs = google_customer().await;
    let company = google_company("it-idt-gx", &ours.customer).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let tenant = gws(&ours.customer);

    // A plain user of the right customer: not a Super Admin.
    let (status, html) = verify_as(&company, &t, &tenant, &ours.plain, "accept").await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("google_not_super_admin"),
        "{html}"
    );
    let entry = tenant_entry(&status_of(&company, &t).await, "google_workspace");
    assert_eq!(
        entry["status"]["reason"]["code"], "google_not_super_admin",
        "{entry}"
    );

    // A genuine Super Admin of another customer: the customer id differs.
    let (status, html) = verify_as(&company, &t, &tenant, &theirs.super_admin, "accept").await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("tenant_mismatch"),
        "{html}"
    );
    let entry = tenant_entry(&status_of(&company, &t).await, "google_workspace");
    assert_eq!(entry["status"]["status"], "failed", "{entry}");
    assert_eq!(
        entry["status"]["reason"]["code"], "tenant_mismatch",
        "{entry}"
    );
    assert!(
        entry["status"]["reason"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{entry}"
    );
    assert_eq!(status_of(&company, &t).await["stage"], "verifying_tenants");

    // Our own Super Admin verifies.
    let (status, html) = verify_as(&company, &t, &tenant, &ours.super_admin, "accept").await;
    assert_eq!(status, 200, "{html}");
}
