//! Console sessions and the role rule: only Partner Admins (for their
//! companies) and Company Admins (for their own) may read or change KMS
//! settings; everyone else gets 403 and nothing changes. The cross-company
//! check runs over every operation of the served OpenAPI document (which
//! `openapi.rs` proves equal to the router), so a new route cannot be left
//! out (issue 18 item 4).

use keyswitch_integration::audit_helpers::{call_with_headers, header};
use keyswitch_integration::finalize_helpers::{envelope_token, envelope_token_next};
use keyswitch_integration::{
    assert_error, call, fresh_company, kms, session, session_with_ttl, start, status_of,
    worker_url, world,
};
use serde_json::{Value, json};

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
    // A path the API has, with a method it does not take: 405 in the
    // catalog's shape, and `Allow` names the methods it does take.
    for (method, path, allow) in [
        ("DELETE", kms(&company), "GET"),
        ("PUT", format!("{}/save", kms(&company)), "POST"),
        ("PATCH", "/api/health".to_owned(), "GET"),
    ] {
        let (status, headers, text) = call_with_headers(method, &path, &t).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(header(&headers, "allow"), allow, "{method} {path}");
        let body: Value = serde_json::from_str(&text).expect("a JSON body");
        assert_eq!(body["code"], "invalid_input", "{method} {path}: {body}");
        assert_eq!(body["field"], "method", "{method} {path}: {body}");
    }
}

/// Operations that belong to no company or workspace, and why. Every other
/// operation of the document must name `{company}` or `{workspace}`.
const NOT_SCOPED: &[(&str, &str, &str)] = &[
    ("GET", "/api/health", "liveness, no data"),
    ("GET", "/api/openapi.yaml", "the public API description"),
    (
        "GET",
        "/api/sign-in",
        "redirect to RedApp's sign-in; open-redirect tests in oauth_states.rs",
    ),
    (
        "GET",
        "/oauth/consent/callback",
        "authenticated by its signed state; oauth_states.rs",
    ),
];

/// Every `(METHOD, path template)` of the served OpenAPI document.
async fn documented_operations() -> Vec<(String, String)> {
    let text = reqwest::get(format!("{}/api/openapi.yaml", worker_url()))
        .await
        .expect("the worker answers")
        .text()
        .await
        .expect("a body");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("a path").to_owned();
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                ops.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    assert!(ops.len() > 30, "{ops:?}");
    ops
}

/// A request body that would be valid for the operation, so a refusal is
/// the role rule's and not the body check's.
fn plausible_body(method: &str, path: &str) -> Option<Value> {
    if method == "GET" || method == "DELETE" {
        return None;
    }
    let tail = path.rsplit('/').next().unwrap_or_default();
    Some(match tail {
        "switch" => {
            json!({"vault_uri": "https://contoso-kms.vault.azure.net", "key_name": "company-kek"})
        }
        "verify" => {
            json!({"tenant": {"kind": "microsoft365", "tenant_id": "00000000-0000-0000-0000-000000000001"}})
        }
        "aws-kms" => json!({"key_id": "alias/keyswitch"}),
        "vaults" => json!({"name": "Stolen", "provider": "azure", "default": false}),
        "client-secret" => json!({"client_secret": "not-a-real-secret"}),
        "items" => json!({"name": "x", "value": "y"}),
        "decrypt" => json!({"wrapped": "AAAA"}),
        _ => json!({}),
    })
}

/// What can change about a company, as its own admin sees it (without
/// the fields that move by themselves).
async fn company_state(company: &str, token: &str) -> (Value, Value) {
    let mut v = status_of(company, token).await;
    if let Value::Object(m) = &mut v {
        m.remove("as_of");
        m.remove("health");
    }
    let (s, audit) = call("GET", &format!("{}/audit", kms(company)), Some(token), None).await;
    assert_eq!(s, 200, "{audit}");
    (v, audit)
}

/// What can change about a workspace, as its owner sees it.
async fn workspace_state(ws: &str, token: &str) -> (Value, Value) {
    let (s, vaults) = call(
        "GET",
        &format!("/api/workspaces/{ws}/vaults"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{vaults}");
    let (s, audit) = call(
        "GET",
        &format!("/api/workspaces/{ws}/vault-audit"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{audit}");
    (vaults, audit)
}

#[tokio::test]
async fn every_documented_route_refuses_another_companys_admin_and_changes_nothing() {
    let w = world(true, 2048).await;
    let a = fresh_company("it-x-a");
    let b = fresh_company("it-x-b");
    let admin_a = session("company_admin", &[&a]).await;
    let partner_a = session("partner_admin", &[&a]).await;
    let admin_b = session("company_admin", &[&b]).await;
    status_of(&a, &admin_a).await;
    // B has a setup under way, so there is something to steal or cancel.
    let (s, v) = start(&b, &admin_b, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{v}");
    let before_b = company_state(&b, &admin_b).await;
    let owner_a = session("workspace_owner", &[&a]).await;
    let owner_b = session("workspace_owner", &[&b]).await;
    let before_ws_b = workspace_state(&b, &owner_b).await;
    let not_allowed = envelope_token_next();

    let mut checked = Vec::new();
    for (method, template) in documented_operations().await {
        if let Some((_, _, why)) = NOT_SCOPED
            .iter()
            .find(|(m, p, _)| *m == method && *p == template)
        {
            checked.push(format!("{method} {template}: not scoped ({why})"));
            continue;
        }
        let path = template
            .replace("{company}", &b)
            .replace("{workspace}", &b)
            .replace("{vault}", &format!("v{}", "0".repeat(32)))
            .replace("{item}", &format!("i{}", "0".repeat(32)));
        let body = plausible_body(&method, &template);
        if template.starts_with("/api/envelope/companies/{company}/") {
            // The backup engine's credential limited to other companies.
            assert_error(
                &call(&method, &path, Some(&not_allowed), body.clone()).await,
                403,
                "envelope_company_not_allowed",
            );
            // An admin's console session is not the engine's credential.
            assert_error(
                &call(&method, &path, Some(&admin_a), body).await,
                401,
                "not_signed_in",
            );
        } else if template.contains("{company}") {
            for token in [&admin_a, &partner_a] {
                let got = call(&method, &path, Some(token), body.clone()).await;
                assert!(
                    got.0 == 403 && got.1["code"] == "forbidden_role",
                    "{method} {template} as an admin of another company: {got:?}"
                );
            }
        } else if template.contains("{workspace}") {
            let got = call(&method, &path, Some(&owner_a), body).await;
            assert!(
                got.0 == 403 && got.1["code"] == "forbidden_role",
                "{method} {template} as the owner of another workspace: {got:?}"
            );
        } else {
            panic!(
                "{method} {template} names neither a company nor a workspace: add it to NOT_SCOPED with the reason, or scope it"
            );
        }
        checked.push(format!("{method} {template}"));
    }
    // Every exempt operation is still in the document (no stale exemption).
    for (m, p, _) in NOT_SCOPED {
        assert!(
            checked.iter().any(|c| c.starts_with(&format!("{m} {p}:"))),
            "{m} {p} is no longer documented"
        );
    }
    println!(
        "cross-company: {} operations\n{}",
        checked.len(),
        checked.join("\n")
    );
    assert_eq!(
        company_state(&b, &admin_b).await,
        before_b,
        "company B changed"
    );
    assert_eq!(
        workspace_state(&b, &owner_b).await,
        before_ws_b,
        "workspace B changed"
    );
    // The genuine credentials still work on B, so the refusals were the rule's.
    assert_eq!(call("GET", &kms(&b), Some(&admin_b), None).await.0, 200);
    let engine = call(
        "GET",
        &format!("/api/envelope/companies/{b}/kms-state"),
        Some(&envelope_token()),
        None,
    )
    .await;
    assert_ne!(engine.0, 403, "{engine:?}");
}
