//! Console sessions and the role rule: only Partner Admins (for their
//! companies) and Company Admins (for their own) may read or change KMS
//! settings; everyone else gets 403 and nothing changes.

use keyswitch_integration::{
    assert_error, call, call_raw, fresh_company, kms, session, session_with_ttl, status_of,
};
use serde_json::json;

#[tokio::test]
async fn missing_malformed_expired_and_forged_sessions_are_401() {
    let company = fresh_company("it-auth");
    assert_error(
        &call("GET", &kms(&company), None, None).await,
        401,
        "not_signed_in",
    );
    assert_error(
        &call("GET", &kms(&company), Some("not.a.jwt"), None).await,
        401,
        "not_signed_in",
    );
    let expired = session_with_ttl("company_admin", &[&company], -600).await;
    assert_error(
        &call("GET", &kms(&company), Some(&expired), None).await,
        401,
        "not_signed_in",
    );
    // A valid token with its payload swapped: the signature no longer matches.
    let good = session("company_admin", &[&company]).await;
    let other = session("partner_admin", &[&company, "other"]).await;
    let parts: Vec<&str> = good.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap_or(""),
        parts[2]
    );
    assert_error(
        &call("GET", &kms(&company), Some(&forged), None).await,
        401,
        "not_signed_in",
    );
}

#[tokio::test]
async fn only_admins_of_the_company_may_read_or_change() {
    let a = fresh_company("it-a");
    let b = fresh_company("it-b");
    let admin_a = session("company_admin", &[&a]).await;
    let before_b = status_of(&b, &session("company_admin", &[&b]).await).await;

    // A Company Admin of A touching B: 403 on every route, B unchanged.
    for (method, path, body) in [
        ("GET", kms(&b), None),
        (
            "POST",
            format!("{}/switch", kms(&b)),
            Some(
                json!({"vault_uri": "https://contoso-kms.vault.azure.net", "key_name": "company-kek"}),
            ),
        ),
        ("POST", format!("{}/test", kms(&b)), None),
        ("POST", format!("{}/save", kms(&b)), None),
        ("POST", format!("{}/cancel", kms(&b)), None),
        ("POST", format!("{}/consent", kms(&b)), None),
        ("GET", format!("{}/audit", kms(&b)), None),
        ("GET", format!("{}/role-assignment", kms(&b)), None),
        (
            "POST",
            format!("{}/tenants/verify", kms(&b)),
            Some(
                json!({"kind": "microsoft365", "tenant_id": "00000000-0000-0000-0000-000000000001"}),
            ),
        ),
        ("POST", format!("{}/refresh", kms(&b)), None),
        ("POST", format!("{}/confirm-no-tenants", kms(&b)), None),
        ("GET", format!("{}/finalize", kms(&b)), None),
        ("POST", format!("{}/finalize", kms(&b)), None),
        ("POST", format!("{}/export", kms(&b)), None),
        ("GET", format!("{}/export/verification", kms(&b)), None),
        ("POST", format!("{}/export/verification", kms(&b)), None),
        ("POST", format!("{}/rewrap", kms(&b)), None),
        ("POST", format!("{}/check", kms(&b)), None),
        (
            "POST",
            format!("{}/aws-kms", kms(&b)),
            Some(json!({"key_id": "alias/keyswitch"})),
        ),
    ] {
        assert_error(
            &call(method, &path, Some(&admin_a), body).await,
            403,
            "forbidden_role",
        );
    }
    for role in [
        "company_user",
        "workspace_owner",
        "workspace_super_admin",
        "workspace_admin",
        "workspace_member",
    ] {
        let t = session(role, &[&b]).await;
        assert_error(
            &call("GET", &kms(&b), Some(&t), None).await,
            403,
            "forbidden_role",
        );
        assert_error(
            &call("POST", &format!("{}/cancel", kms(&b)), Some(&t), None).await,
            403,
            "forbidden_role",
        );
    }
    // A company role must name exactly one company.
    let two = session("company_admin", &[&a, &b]).await;
    assert_error(
        &call("GET", &kms(&b), Some(&two), None).await,
        403,
        "forbidden_role",
    );
    assert_eq!(
        status_of(&b, &session("company_admin", &[&b]).await).await,
        before_b
    );

    // Partner Admins: their companies only.
    let partner = session("partner_admin", &[&a, &b]).await;
    assert_eq!(call("GET", &kms(&a), Some(&partner), None).await.0, 200);
    assert_eq!(call("GET", &kms(&b), Some(&partner), None).await.0, 200);
    let c = fresh_company("it-c");
    assert_error(
        &call("GET", &kms(&c), Some(&partner), None).await,
        403,
        "forbidden_role",
    );
    assert_eq!(call("GET", &kms(&a), Some(&admin_a), None).await.0, 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_catalog_shape() {
    let company = fresh_company("it-routes");
    let t = session("company_admin", &[&company]).await;
    assert_error(
        &call("GET", "/api/nope", Some(&t), None).await,
        404,
        "not_found",
    );
    let (status, _) = call_raw("DELETE", &kms(&company), Some(&t), None).await;
    assert!(status == 405 || status == 404, "{status}");
}
