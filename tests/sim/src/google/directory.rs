//! Admin SDK Directory API: `users.get` and `customers.get`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::{google_error, not_authorized, unauthenticated};
use crate::state::{AppState, GoogleGrant, GoogleRole, GoogleUser};
use crate::util::{lock, now, param, parse_form, rfc3339};

const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

fn caller(sim: &AppState, headers: &HeaderMap) -> Result<(GoogleGrant, GoogleUser), Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match auth.split_once(' ') {
        Some((s, t)) if s.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => t.trim(),
        _ => return Err(unauthenticated(true)),
    };
    let world = lock(&sim.world);
    let grant = world
        .google_tokens
        .get(token)
        .filter(|g| g.expires > now())
        .cloned()
        .ok_or_else(|| unauthenticated(false))?;
    let user = world
        .google_user(&grant.user)
        .cloned()
        .ok_or_else(|| unauthenticated(false))?;
    Ok((grant, user))
}

fn has_scope(grant: &GoogleGrant, any_of: &[&str]) -> bool {
    grant.scopes.iter().any(|s| {
        any_of
            .iter()
            .any(|want| s == &format!("{SCOPE_PREFIX}{want}"))
    })
}

fn insufficient_scopes() -> Response {
    google_error(
        StatusCode::FORBIDDEN,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        "PERMISSION_DENIED",
    )
}

/// `GET /google/admin/directory/v1/users/{userKey}?viewType=admin_view|domain_public`.
pub async fn user(
    State(sim): State<AppState>,
    Path(user_key): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (grant, me) = match caller(&sim, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !has_scope(
        &grant,
        &["admin.directory.user.readonly", "admin.directory.user"],
    ) {
        return insufficient_scopes();
    }
    let pairs = parse_form(q.as_deref().unwrap_or("")).unwrap_or_default();
    let admin_view = match param(&pairs, "viewType").unwrap_or("admin_view") {
        "admin_view" => true,
        "domain_public" => false,
        other => {
            return google_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid value at 'view_type' ({other})"),
                "invalid",
                "INVALID_ARGUMENT",
            );
        }
    };
    let Some(my_customer) = me.customer_id.clone() else {
        return not_authorized();
    };
    if admin_view && me.role == GoogleRole::User {
        return not_authorized();
    }
    let world = lock(&sim.world);
    let Some(target) = world.google_user(&user_key).cloned() else {
        return google_error(
            StatusCode::NOT_FOUND,
            "Resource Not Found: userKey",
            "notFound",
            "",
        );
    };
    if target.customer_id.as_deref() != Some(my_customer.as_str()) {
        return not_authorized();
    }
    let (given, family) = target
        .name
        .split_once(' ')
        .unwrap_or((target.name.as_str(), ""));
    let mut body = json!({
        "kind": "admin#directory#user",
        "id": target.id,
        "primaryEmail": target.email,
        "name": {"givenName": given, "familyName": family, "fullName": target.name},
        "emails": [{"address": target.email, "primary": true}],
        "customerId": my_customer,
    });
    if admin_view && let Some(map) = body.as_object_mut() {
        let extra = json!({
            "etag": format!("\"{}\"", crate::util::stable_version(&target.id)),
            "isAdmin": target.role == GoogleRole::SuperAdmin,
            "isDelegatedAdmin": target.role == GoogleRole::DelegatedAdmin,
            "lastLoginTime": rfc3339(now() - 3600),
            "creationTime": "2021-03-01T09:00:00.000Z",
            "agreedToTerms": true,
            "suspended": false,
            "archived": false,
            "changePasswordAtNextLogin": false,
            "ipWhitelisted": false,
            "orgUnitPath": "/",
            "isMailboxSetup": true,
            "isEnrolledIn2Sv": true,
            "isEnforcedIn2Sv": false,
            "includeInGlobalAddressList": true,
        });
        if let Some(e) = extra.as_object() {
            map.extend(e.clone());
        }
    }
    Json(body).into_response()
}

/// `GET /google/admin/directory/v1/customers/{customerKey}` (`my_customer` or the id).
pub async fn customer(
    State(sim): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (grant, me) = match caller(&sim, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !has_scope(
        &grant,
        &[
            "admin.directory.customer.readonly",
            "admin.directory.customer",
        ],
    ) {
        return insufficient_scopes();
    }
    let Some(my_customer) = me.customer_id.clone() else {
        return not_authorized();
    };
    if me.role == GoogleRole::User || (key != "my_customer" && key != my_customer) {
        return not_authorized();
    }
    let world = lock(&sim.world);
    let Some(c) = world.google_customers.iter().find(|c| c.id == my_customer) else {
        return google_error(
            StatusCode::NOT_FOUND,
            "Resource Not Found: customerKey",
            "notFound",
            "",
        );
    };
    Json(json!({
        "kind": "admin#directory#customer",
        "id": c.id,
        "etag": format!("\"{}\"", crate::util::stable_version(&c.id)),
        "customerDomain": c.domain,
        "alternateEmail": format!("it@{}", c.domain),
        "customerCreationTime": "2021-03-01T09:00:00.000Z",
        "language": "en",
    }))
    .into_response()
}
