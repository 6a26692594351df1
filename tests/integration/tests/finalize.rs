//! Tenant verification, Refresh, the automatic finalization platform →
//! Azure, the envelope API across the switch, and the one-time export; the
//! consent maximum age (the test stack sets it to 20 s).

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::*;
use serde_json::json;

#[tokio::test]
async fn consent_older_than_the_max_age_requires_admin_consent() {
    let w = world(true, 2048).await;
    let company = fresh_company("it-age");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    w.bind_key(&company).await;
    let (s, v) = call("POST", &format!("{}/test", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested");
    // CONSENT_MAX_AGE_SECONDS is 20 in the test stack (room for the connection-test rate limit).
    tokio::time::sleep(std::time::Duration::from_secs(21)).await;
    let r = call("POST", &format!("{}/test", kms(&company)), Some(&t), None).await;
    assert_error(&r, 422, "admin_consent_required");
    assert_eq!(r.1["message"], "Azure AD admin consent is required");
    // Starting again asks for consent (the cached one is too old as well).
    let (s, v) = start(&company, &t, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "awaiting_consent", "{v}");
    assert!(v["consent_url"].is_string(), "{v}");
}

#[tokio::test]
async fn verification_refresh_finalization_envelope_and_export() {
    let w = world(true, 2048).await;
    let company = company_for("it-fin", &w, true).await;
    let t = session("partner_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    assert_eq!(before["provider"]["kind"], "platform");
    let (dk_plain, dk_wrapped) = data_key(&company).await;

    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let tenants = saved["kms"]["pending"]["tenants"]
        .as_array()
        .expect("tenants")
        .clone();
    assert_eq!(tenants.len(), 2, "{saved}");
    assert!(
        tenants
            .iter()
            .all(|x| x["status"]["status"] == "unverified")
    );

    // Missing role: stays unverified with the reason.
    let (s, html) = verify_as(&company, &t, &m365(&w.tenant), &w.plain_oid, "accept").await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("stays unverified"), "{html}");
    assert_eq!(
        landing_code(&html).as_deref(),
        Some("tenant_verified_without_role")
    );
    let m = pending_tenant(&company, &t, "microsoft365").await;
    assert_eq!(m["status"]["status"], "failed", "{m}");
    assert_eq!(
        m["status"]["reason"]["code"], "tenant_verified_without_role",
        "{m}"
    );
    // Declined: the refusal is reported, the tenant stays unverified.
    let before_decline = status_of(&company, &t).await;
    let (s, html) = verify_as(&company, &t, &m365(&w.tenant), &w.admin_oid, "cancel").await;
    assert_eq!(
        (s, landing_code(&html).as_deref()),
        (400, Some("consent_declined")),
        "{html}"
    );
    let m = pending_tenant(&company, &t, "microsoft365").await;
    assert_ne!(m["status"]["status"], "verified", "{m}");
    assert_eq!(
        status_of(&company, &t).await["pending"]["tenants"]
            .as_array()
            .map(Vec::len),
        before_decline["pending"]["tenants"]
            .as_array()
            .map(Vec::len)
    );
    // Wrong tenant: a Contoso Global Administrator signs in.
    let adele = sim_state().await["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["upn"] == "adele@contoso.onmicrosoft.com")
        .and_then(|u| u["oid"].as_str().map(str::to_owned))
        .expect("adele");
    let (s, html) = verify_as(&company, &t, &m365(&w.tenant), &adele, "accept").await;
    assert_eq!(
        (s, landing_code(&html).as_deref()),
        (422, Some("tenant_mismatch")),
        "{html}"
    );
    let v = status_of(&company, &t).await;
    let m = v["pending"]["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|x| x["tenant"]["kind"] == "microsoft365")
        .expect("m365")
        .clone();
    assert_eq!(m["status"]["status"], "failed", "{m}");
    assert_eq!(m["status"]["reason"]["code"], "tenant_mismatch", "{m}");

    // Google: a delegated admin is refused with a message naming Super Admin.
    let delegated = google_email("delegated").await;
    let (s, html) = verify_as(&company, &t, &gws(GOOGLE_CUSTOMER), &delegated, "accept").await;
    assert_eq!(
        (s, landing_code(&html).as_deref()),
        (422, Some("google_delegated_admin")),
        "{html}"
    );
    assert!(html.contains("Super Admin"), "{html}");
    let g = pending_tenant(&company, &t, "google_workspace").await;
    assert_eq!(g["status"]["status"], "failed", "{g}");
    assert_eq!(
        g["status"]["reason"]["code"], "google_delegated_admin",
        "{g}"
    );

    // A replayed state changes nothing.
    let url = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let back = sign_in(&url, &w.admin_oid, "accept").await;
    let (s, _, html) = get_page(&back).await;
    assert_eq!(s, 200, "{html}");
    let verified = status_of(&company, &t).await;
    assert_eq!(
        pending_tenant(&company, &t, "microsoft365").await["status"]["status"],
        "verified"
    );
    let (s, _, html) = get_page(&back).await;
    assert_eq!(
        (s, landing_code(&html).as_deref()),
        (400, Some("oauth_state_used")),
        "{html}"
    );
    assert_eq!(
        status_of(&company, &t).await,
        verified,
        "a replay changed the state"
    );

    // A backup set added during setup shows after Refresh; removing it hides it.
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-new", "tenant_id": "a1b2c3d4-0000-4e5f-8a9b-fab000000002"})),
    )
    .await;
    let (s, v) = call(
        "POST",
        &format!("{}/refresh", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let list = v["kms"]["pending"]["tenants"]
        .as_array()
        .expect("tenants")
        .clone();
    assert_eq!(list.len(), 3, "{v}");
    assert!(list.iter().any(|x| x["tenant"]["tenant_id"]
        == "a1b2c3d4-0000-4e5f-8a9b-fab000000002"
        && x["status"]["status"] == "unverified"));
    assert!(
        list.iter()
            .any(|x| x["tenant"]["tenant_id"] == w.tenant.as_str()
                && x["status"]["status"] == "verified"),
        "{v}"
    );
    control(
        "DELETE",
        &format!("/companies/{company}/backup-sets/bs-new"),
        None,
    )
    .await;
    let (_, v) = call(
        "POST",
        &format!("{}/refresh", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        v["kms"]["pending"]["tenants"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );

    // The Super Admin verifies the last tenant: finalization runs by itself.
    let sup = google_email("super").await;
    let (s, html) = verify_as(&company, &t, &gws(GOOGLE_CUSTOMER), &sup, "accept").await;
    assert_eq!(s, 200, "{html}");
    let done = wait_stage(&company, &t, "done", 30).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    let kid = done["provider"]["kid"].as_str().expect("kid");
    assert!(
        kid.starts_with(&format!("{}/keys/{}/", w.vault_uri, w.key)),
        "{kid}"
    );
    assert_ne!(
        done["company_key"]["wrapped_fingerprint"],
        before["company_key"]["wrapped_fingerprint"]
    );
    let (s, p) = call(
        "GET",
        &format!("{}/finalize", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(p["stage"], "done", "{p}");

    // Data keys made before the switch still decrypt; new ones work too.
    assert_eq!(decrypt(&company, &dk_wrapped).await, (200, dk_plain));
    let (p2, w2) = data_key(&company).await;
    assert_eq!(decrypt(&company, &w2).await, (200, p2));
    // Wrong credential, other company: refused.
    let (s, _) = call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 401);
    let other = fresh_company("it-other");
    ensure_company(&other).await;
    assert_eq!(decrypt(&other, &dk_wrapped).await.0, 400);

    // One-time export, then refused until every tenant is verified again.
    let (s, file) = call("POST", &format!("{}/export", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{file}");
    assert_eq!(file["algorithm"], "AES-256-GCM");
    assert_eq!(file["key"].as_str().map(str::len), Some(44));
    let r = call("POST", &format!("{}/export", kms(&company)), Some(&t), None).await;
    assert_error(&r, 409, "export_not_available");
    let (s, ev) = call(
        "POST",
        &format!("{}/export/verification", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["tenants"].as_array().map(Vec::len), Some(2), "{ev}");
    let (s, _) = verify_as(&company, &t, &m365(&w.tenant), &w.admin_oid, "accept").await;
    assert_eq!(s, 200);
    let (s, html) = verify_as(&company, &t, &gws(GOOGLE_CUSTOMER), &sup, "accept").await;
    assert_eq!(s, 200, "{html}");
    let (s, again) = call("POST", &format!("{}/export", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["key"], file["key"]);

    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let events = trail["events"].as_array().expect("events");
    let exports: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "company_key_export")
        .map(|e| e["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(exports, ["succeeded", "refused", "succeeded"], "{trail}");
    assert!(events.iter().any(|e| e["action"] == "switch_committed"));
    let text = trail.to_string();
    assert!(!text.contains(file["key"].as_str().unwrap_or("x")));
}
