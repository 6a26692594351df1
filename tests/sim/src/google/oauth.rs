//! Google OAuth 2.0: the account chooser, the token endpoint, certs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::errors::oauth_error;
use crate::forge::materialize;
use crate::pages::{cancel_form, hidden_fields, layout, user_card};
use crate::server::Origin;
use crate::state::{AppState, GoogleGrant, GoogleRole, PendingCode};
use crate::util::{
    b64url, html_escape as esc, lock, now, param, parse_form, random_token, with_query,
};

fn error_page(status: StatusCode, error: &str, detail: &str) -> Response {
    let body = format!(
        r#"<div class="card"><h1>Access blocked: authorization error</h1><p class="err" data-testid="google-error">Error {}: {}</p><p>{}</p></div>"#,
        status.as_u16(),
        esc(error),
        esc(detail)
    );
    (status, Html(layout("Error", "google", &body))).into_response()
}

fn redirect(location: &str) -> Response {
    match header::HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid redirect_uri.",
        ),
    }
}

/// `GET|POST /google/accounts/o/oauth2/v2/auth`.
pub async fn authorize(
    State(sim): State<AppState>,
    method: Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let raw = if method == Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        q.unwrap_or_default()
    };
    let Some(params) = parse_form(&raw) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request could not be parsed.",
        );
    };
    let mut world = lock(&sim.world);
    let Some(client) = world.google_client.clone() else {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    };
    if param(&params, "client_id") != Some(client.client_id.as_str()) {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let Some(redirect_uri) = param(&params, "redirect_uri").map(str::to_owned) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    if !client.redirect_uris.contains(&redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            &format!(
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri={redirect_uri}"
            ),
        );
    }
    if param(&params, "response_type") != Some("code") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required parameter is missing or invalid: response_type (only 'code' is supported).",
        );
    }
    let Some(challenge) = param(&params, "code_challenge").map(str::to_owned) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: code_challenge",
        );
    };
    if param(&params, "code_challenge_method") != Some("S256") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid code_challenge_method: only S256 is accepted.",
        );
    }
    let Some(scope) = param(&params, "scope")
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: scope",
        );
    };
    let state = param(&params, "state").map(str::to_owned);
    let action = param(&params, "action");
    if method != Method::POST || action.is_none() {
        let hidden = hidden_fields(&params);
        let mut cards = String::new();
        for u in &world.google_users {
            let badge = match u.role {
                GoogleRole::SuperAdmin => vec!["Super Admin".to_owned()],
                GoogleRole::DelegatedAdmin => vec!["Delegated admin".to_owned()],
                GoogleRole::User => Vec::new(),
            };
            let sub = match &u.customer_id {
                Some(c) => format!("{} · customer {c}", u.email),
                None => format!("{} · personal account", u.email),
            };
            cards.push_str(&user_card(
                &hidden,
                &u.id,
                &u.name,
                &sub,
                &badge,
                &format!("Continue as {}", u.name),
            ));
        }
        let hint = param(&params, "hd")
            .map(|hd| format!("<p class=muted>Hint: accounts of <b>{}</b></p>", esc(hd)))
            .unwrap_or_default();
        let body = format!(
            r#"<div class="card"><h1>Choose an account</h1><p>to continue to <b>keyswitch</b></p>{hint}<p class="muted">The app will see your name, email address and (for administrators) read your organisation's user directory.</p><div class="users">{cards}</div>{}</div>"#,
            cancel_form(&hidden)
        );
        return Html(layout("Sign in - Google Accounts", "google", &body)).into_response();
    }
    if action == Some("cancel") {
        let mut p: Vec<(&str, &str)> = vec![("error", "access_denied")];
        if let Some(s) = &state {
            p.push(("state", s));
        }
        return redirect(&with_query(&redirect_uri, &p));
    }
    let Some(user) = param(&params, "user")
        .and_then(|id| world.google_user(id))
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unknown account.",
        );
    };
    let code = format!("4/0A{}", random_token(40));
    world.google_codes.insert(
        code.clone(),
        PendingCode {
            client_id: client.client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
            nonce: param(&params, "nonce").map(str::to_owned),
            user: user.id.clone(),
            scope: scope.clone(),
            expires: now() + 600,
        },
    );
    let hd = user
        .customer_id
        .as_ref()
        .and_then(|c| world.google_customers.iter().find(|gc| &gc.id == c))
        .map(|gc| gc.domain.clone());
    let mut p: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &state {
        p.push(("state", s));
    }
    p.push(("code", &code));
    p.push(("scope", &scope));
    p.push(("authuser", "0"));
    if let Some(hd) = &hd {
        p.push(("hd", hd));
    }
    p.push(("prompt", "consent"));
    redirect(&with_query(&redirect_uri, &p))
}

/// Client id and secret from the form or HTTP Basic.
fn client_credentials(
    headers: &HeaderMap,
    params: &[(String, String)],
) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        && let Some((id, secret)) = basic.split_once(':')
    {
        return (Some(id.to_owned()), Some(secret.to_owned()));
    }
    (
        param(params, "client_id").map(str::to_owned),
        param(params, "client_secret").map(str::to_owned),
    )
}

/// `POST /google/oauth2/token`.
pub async fn token(
    State(sim): State<AppState>,
    Origin(origin): Origin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(params) = parse_form(&String::from_utf8_lossy(&body)) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Could not parse the request body.",
        );
    };
    let grant = param(&params, "grant_type").unwrap_or("");
    if grant != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {grant}"),
        );
    }
    let Some(key) = materialize(sim.google_key.clone()).await else {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "Try again.",
        );
    };
    let (client_id, secret) = client_credentials(&headers, &params);
    let mut world = lock(&sim.world);
    let Some(client) = world
        .google_client
        .clone()
        .filter(|c| Some(&c.client_id) == client_id.as_ref())
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    };
    if secret.as_deref() != Some(client.secret.as_str()) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let Some(pending) = param(&params, "code")
        .and_then(|c| world.google_codes.remove(c))
        .filter(|p| p.expires > now() && p.client_id == client.client_id)
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
    };
    if param(&params, "redirect_uri") != Some(pending.redirect_uri.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        );
    }
    match param(&params, "code_verifier") {
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Missing code verifier.",
            );
        }
        Some(v) if b64url(&Sha256::digest(v.as_bytes())) != pending.challenge => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Invalid code verifier.",
            );
        }
        Some(_) => {}
    }
    let Some(user) = world.google_user(&pending.user).cloned() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
    };
    let access = format!("ya29.{}", random_token(48));
    let scopes: Vec<String> = pending
        .scope
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    world.google_tokens.insert(
        access.clone(),
        GoogleGrant {
            user: user.id.clone(),
            scopes: scopes.clone(),
            expires: now() + 3599,
        },
    );
    let mut out = json!({
        "access_token": access,
        "expires_in": 3599,
        "scope": pending.scope,
        "token_type": "Bearer",
    });
    if scopes.iter().any(|s| s == "openid")
        && let Value::Object(map) = &mut out
    {
        let n = now();
        let mut claims = json!({
            "iss": format!("{origin}/google/accounts"),
            "azp": client.client_id,
            "aud": client.client_id,
            "sub": user.id,
            "email": user.email,
            "email_verified": true,
            "name": user.name,
            "iat": n,
            "exp": n + 3599,
        });
        if let Value::Object(c) = &mut claims {
            if let Some(domain) = user
                .customer_id
                .as_ref()
                .and_then(|cid| world.google_customers.iter().find(|gc| &gc.id == cid))
            {
                c.insert("hd".to_owned(), json!(domain.domain));
            }
            if let Some(nonce) = &pending.nonce {
                c.insert("nonce".to_owned(), json!(nonce));
            }
        }
        map.insert(
            "id_token".to_owned(),
            json!(crate::id_token_faults::sign(
                &[&user.id, &user.email],
                &key,
                &claims
            )),
        );
    }
    Json(out).into_response()
}

/// `GET /google/oauth2/v3/certs`.
pub async fn certs(State(sim): State<AppState>) -> Response {
    match materialize(sim.google_key.clone()).await {
        Some(key) => Json(json!({"keys": [crate::jwt::jwk(&key, &[("alg", json!("RS256"))])]}))
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `GET /google/accounts/.well-known/openid-configuration`.
pub async fn openid_configuration(Origin(origin): Origin) -> Json<Value> {
    Json(json!({
        "issuer": format!("{origin}/google/accounts"),
        "authorization_endpoint": format!("{origin}/google/accounts/o/oauth2/v2/auth"),
        "token_endpoint": format!("{origin}/google/oauth2/token"),
        "jwks_uri": format!("{origin}/google/oauth2/v3/certs"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "hd", "iat", "iss", "name", "nonce", "sub"],
    }))
}
