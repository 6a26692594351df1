//! `/{tenant}/oauth2/v2.0/authorize`: the code flow's sign-in (user picker).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::errors::{error_page, redirect_error};
use super::{page_params, redirect, resolve_tenant};
use crate::pages::{cancel_form, hidden_fields, layout, user_card};
use crate::state::{AppState, Cloud, PendingCode, User, directory_role_name};
use crate::util::{guid, html_escape as esc, lock, now, param, random_token, with_query};

/// A client registered in `cloud`: (display name, redirect URIs, home
/// tenant for single-tenant apps).
fn client(
    world: &crate::state::World,
    cloud: Cloud,
    client_id: &str,
) -> Option<(String, Vec<String>, Option<String>)> {
    if let Some(c) = world
        .connector_in(cloud)
        .filter(|c| c.client_id.eq_ignore_ascii_case(client_id))
    {
        return Some((c.name.clone(), c.redirect_uris.clone(), None));
    }
    world
        .customer_apps
        .iter()
        .find(|a| {
            a.client_id.eq_ignore_ascii_case(client_id)
                && world.tenant_in(cloud, &a.tenant_id).is_some()
        })
        .map(|a| {
            (
                a.name.clone(),
                a.redirect_uris.clone(),
                Some(a.tenant_id.clone()),
            )
        })
}

/// `GET|POST /entra/{tenant}/oauth2/v2.0/authorize`.
pub async fn authorize(
    State(sim): State<AppState>,
    Extension(cloud): Extension<Cloud>,
    Path(tenant): Path<String>,
    method: Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let Some(params) = page_params(&method, q.as_deref(), &body) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request could not be parsed.",
        );
    };
    let mut world = lock(&sim.world);
    let Some(tref) = resolve_tenant(&world, cloud, &tenant) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            90002,
            &super::tenant_not_found(&tenant),
        );
    };
    let directory = tref
        .tenant()
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "Microsoft".to_owned());
    let Some(client_id) = param(&params, "client_id")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some((app_name, redirect_uris, home)) = client(&world, cloud, &client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &super::app_not_found(&client_id, &directory),
        );
    };
    if let (Some(home), Some(t)) = (&home, tref.tenant())
        && *home != t.id
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &super::app_not_found(&client_id, &directory),
        );
    }
    let redirect_uri = match param(&params, "redirect_uri") {
        Some(r) if redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        Some(r) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                50011,
                &super::redirect_mismatch(r, &client_id),
            );
        }
        None => {
            return error_page(
                StatusCode::BAD_REQUEST,
                900144,
                "The request body must contain the following parameter: 'redirect_uri'.",
            );
        }
    };
    let state = param(&params, "state").map(str::to_owned);
    let back = |error: &str, code: u32, text: &str| {
        let mut pairs = redirect_error(error, code, text);
        if let Some(s) = &state {
            pairs.push(("state", s.clone()));
        }
        let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect(&with_query(&redirect_uri, &p))
    };
    if param(&params, "response_type") != Some("code") {
        return back(
            "unsupported_response_type",
            700054,
            "Only response_type=code is enabled for this application.",
        );
    }
    let Some(challenge) = param(&params, "code_challenge")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
    else {
        return back(
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    };
    if param(&params, "code_challenge_method") != Some("S256") {
        return back(
            "invalid_request",
            501491,
            "Invalid code_challenge_method: only S256 is accepted.",
        );
    }
    let scope = param(&params, "scope")
        .unwrap_or("openid profile")
        .to_owned();
    let prompt = param(&params, "prompt").unwrap_or("").to_owned();

    let action = param(&params, "action");
    let in_scope = |u: &User| match (tref.tenant(), &home) {
        (Some(t), _) => t.id == u.tenant_id,
        (None, Some(h)) => *h == u.tenant_id,
        (None, None) => world.tenant_in(cloud, &u.tenant_id).is_some(),
    };
    if method != Method::POST || action.is_none() {
        let hidden = hidden_fields(&params);
        let mut cards = String::new();
        for u in world.users.iter().filter(|u| in_scope(u)) {
            let tenant_name = world
                .tenants
                .iter()
                .find(|t| t.id == u.tenant_id)
                .map(|t| t.name.as_str())
                .unwrap_or("");
            let badges: Vec<String> = u
                .roles
                .iter()
                .map(|r| directory_role_name(r).to_owned())
                .collect();
            cards.push_str(&user_card(
                &hidden,
                &u.oid,
                &u.name,
                &format!("{} · {tenant_name}", u.upn),
                &badges,
                &format!("Sign in as {}", u.name),
            ));
        }
        let consent_note = if prompt == "admin_consent" {
            "<p class=muted>This request asks for <b>admin consent</b>: only a Global Administrator or Privileged Role Administrator can continue.</p>"
        } else {
            ""
        };
        let body = format!(
            r#"<div class="card"><h1>Pick an account</h1><p>to continue to <b>{}</b></p>{consent_note}<div class="users">{cards}</div>{}</div>"#,
            esc(&app_name),
            cancel_form(&hidden)
        );
        return Html(layout("Sign in to your account", "entra", &body)).into_response();
    }
    if action == Some("cancel") {
        return back(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
    }
    let Some(user) = param(&params, "user")
        .and_then(|oid| world.users.iter().find(|u| u.oid == oid))
        .filter(|u| in_scope(u))
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            50034,
            "The user account does not exist in this directory.",
        );
    };
    if prompt == "admin_consent" {
        if !user.can_admin_consent() {
            return back(
                "consent_required",
                90094,
                "The grant requires admin permission. Admin consent is required for the permissions requested by this application.",
            );
        }
        if home.is_none() {
            let scope = format!(
                "{}/.default",
                crate::state::resource(cloud, crate::state::VaultKind::Vault)
            );
            super::consent::grant(&mut world, cloud, &user.tenant_id, Some(&user.oid), &scope);
        }
    }
    let code = format!("1.A{}", random_token(48));
    world.entra_codes.insert(
        code.clone(),
        PendingCode {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
            nonce: param(&params, "nonce").map(str::to_owned),
            user: user.oid.clone(),
            scope,
            expires: now() + 600,
        },
    );
    let session = guid();
    let mut p: Vec<(&str, &str)> = vec![("code", &code)];
    if let Some(s) = &state {
        p.push(("state", s));
    }
    p.push(("session_state", &session));
    redirect(&with_query(&redirect_uri, &p))
}
