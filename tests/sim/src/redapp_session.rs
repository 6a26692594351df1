//! RedApp's console sessions, simulated: RedApp signs a session token (RS256
//! JWT) for the signed-in user and hands it to the keyswitch SPA, which sends
//! it to the edge; the edge verifies it against RedApp's JWKS.
//!
//! * `GET /redapp/.well-known/jwks.json` — RedApp's signing keys.
//! * `GET /redapp/sign-in?return_to=…&state=…` — pick a test user (the local
//!   "development sign-in"); `POST` of that form redirects to
//!   `return_to#session=<jwt>&state=<state>` (the console's sign-in state
//!   comes back unchanged; without one, only `#session=`). `return_to` must
//!   be on the origin of a registered keyswitch redirect URI. The session's
//!   `auth_time` is the moment of that sign-in.
//! * `POST /_control/redapp/sessions` — a token for tests, with any claims
//!   (`auth_age_seconds`: a sign-in that long ago; `no_auth_time`: none).

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::forge::LazyRsa;
use crate::pages::{hidden_fields, layout, user_card};
use crate::state::AppState;
use crate::util::{now, param, parse_form};

/// Issuer and audience of RedApp session tokens.
pub const ISSUER: &str = "redapp";
/// Audience of RedApp session tokens.
pub const AUDIENCE: &str = "keyswitch";
const SESSION_SECONDS: i64 = 8 * 3600;

/// A RedApp test user.
struct TestUser {
    id: &'static str,
    name: &'static str,
    role: &'static str,
    role_label: &'static str,
    scope: &'static [&'static str],
}

/// RedApp's test users: who can manage KMS (and vaults) and who cannot.
const USERS: &[TestUser] = &[
    TestUser {
        id: "casey",
        name: "Casey Company-Admin",
        role: "company_admin",
        role_label: "Company Admin",
        scope: &["acme"],
    },
    TestUser {
        id: "pat",
        name: "Pat Partner-Admin",
        role: "partner_admin",
        role_label: "Partner Admin",
        scope: &["acme", "globex"],
    },
    TestUser {
        id: "gil",
        name: "Gil Globex-Admin",
        role: "company_admin",
        role_label: "Company Admin",
        scope: &["globex"],
    },
    TestUser {
        id: "uma",
        name: "Uma Company-User",
        role: "company_user",
        role_label: "Company User",
        scope: &["acme"],
    },
    TestUser {
        id: "wendy",
        name: "Wendy Workspace-Owner",
        role: "workspace_owner",
        role_label: "Workspace Owner",
        scope: &["acme"],
    },
    TestUser {
        id: "sam",
        name: "Sam Super-Admin",
        role: "workspace_super_admin",
        role_label: "Workspace Super Admin",
        scope: &["acme"],
    },
    TestUser {
        id: "alex",
        name: "Alex Workspace-Admin",
        role: "workspace_admin",
        role_label: "Workspace Admin",
        scope: &["acme"],
    },
    TestUser {
        id: "max",
        name: "Max Member",
        role: "workspace_member",
        role_label: "Workspace Member",
        scope: &["acme"],
    },
];

/// RedApp's signing key (generated once per process, or cached in the state dir).
fn signing_key() -> &'static Arc<LazyRsa> {
    static KEY: OnceLock<Arc<LazyRsa>> = OnceLock::new();
    KEY.get_or_init(|| crate::forge::stable("signing/redapp", 2048))
}

fn issue(claims: &Value) -> Option<String> {
    signing_key().get().map(|k| crate::jwt::sign(k, claims))
}

/// The claims of a session issued now for a sign-in `auth_age` seconds ago
/// (`auth_time`, as OpenID Connect names it; `None`: the claim is left out).
fn claims_for(
    sub: &str,
    name: &str,
    role: &str,
    companies: &[String],
    ttl: i64,
    auth_age: Option<i64>,
) -> Value {
    let iat = now();
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "name": name, "role": role,
        "companies": companies, "iat": iat, "nbf": iat.min(iat + ttl), "exp": iat + ttl,
    });
    if let (Some(age), Some(map)) = (auth_age, claims.as_object_mut()) {
        map.insert("auth_time".into(), json!(iat - age));
    }
    claims
}

/// A sign-in `state` the console passes through RedApp: URL-safe base64
/// characters only, 16 to 128 of them (it travels in a URL fragment).
fn valid_state(state: &str) -> bool {
    (16..=128).contains(&state.len())
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /redapp/.well-known/jwks.json`.
pub async fn jwks() -> Response {
    match signing_key().get() {
        Some(k) => {
            Json(json!({"keys": [crate::jwt::jwk(k, &[("alg", json!("RS256"))])]})).into_response()
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "signing key unavailable").into_response(),
    }
}

/// `return_to` must be an absolute http(s) URL on a registered keyswitch origin.
fn allowed_return(sim: &AppState, return_to: &str) -> bool {
    let origin_of = |u: &str| -> Option<String> {
        let (scheme, rest) = u.split_once("://")?;
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let host = rest.split(['/', '?', '#']).next()?;
        (!host.is_empty() && !host.contains('@'))
            .then(|| format!("{scheme}://{host}").to_ascii_lowercase())
    };
    let Some(target) = origin_of(return_to) else {
        return false;
    };
    sim.config
        .redirect_uris
        .iter()
        .filter_map(|r| origin_of(r))
        .any(|o| o == target)
}

/// `GET /redapp/sign-in?return_to=…`: the test-user picker.
pub async fn sign_in_page(State(sim): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let pairs = q.as_deref().and_then(parse_form).unwrap_or_default();
    let Some(return_to) = param(&pairs, "return_to").filter(|r| allowed_return(&sim, r)) else {
        return bad_return();
    };
    let mut fields = vec![("return_to".to_owned(), return_to.to_owned())];
    match param(&pairs, "state") {
        Some(state) if valid_state(state) => fields.push(("state".to_owned(), state.to_owned())),
        Some(_) => return bad_return(),
        None => {}
    }
    let hidden = hidden_fields(&fields);
    let mut body = String::from(
        r#"<div class="card"><h1>Sign in to RedApp</h1><p class="muted">Development sign-in: pick a test user. Only Company Admins (for their company) and Partner Admins (for their companies) may manage KMS; Workspace Owners, Super Admins and Admins may manage vaults.</p>"#,
    );
    for u in USERS {
        let badges = vec![u.role_label.to_owned(), u.scope.join(", ")];
        body.push_str(&user_card(
            &hidden,
            u.id,
            u.name,
            &format!("{}@redapp.test", u.id),
            &badges,
            "Sign in",
        ));
    }
    body.push_str("</div>");
    Html(layout("Sign in to RedApp", "redapp", &body)).into_response()
}

/// `POST /redapp/sign-in`: issues the session and returns to keyswitch.
pub async fn sign_in_submit(State(sim): State<AppState>, body: Bytes) -> Response {
    let pairs = std::str::from_utf8(&body)
        .ok()
        .and_then(parse_form)
        .unwrap_or_default();
    let Some(return_to) = param(&pairs, "return_to").filter(|r| allowed_return(&sim, r)) else {
        return bad_return();
    };
    let Some(user) = param(&pairs, "user").and_then(|id| USERS.iter().find(|u| u.id == id)) else {
        return (
            StatusCode::BAD_REQUEST,
            Html(layout(
                "Sign in",
                "redapp",
                "<div class=card><h1>Unknown user</h1></div>",
            )),
        )
            .into_response();
    };
    let state = match param(&pairs, "state") {
        Some(state) if valid_state(state) => Some(state),
        Some(_) => return bad_return(),
        None => None,
    };
    let companies: Vec<String> = user.scope.iter().map(|s| (*s).to_owned()).collect();
    // The user just signed in: auth_time is now.
    let Some(token) = issue(&claims_for(
        user.id,
        user.name,
        user.role,
        &companies,
        SESSION_SECONDS,
        Some(0),
    )) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "signing key unavailable").into_response();
    };
    let base = return_to.split('#').next().unwrap_or(return_to);
    // The console's sign-in state comes back beside the session, so the
    // console accepts only a session it asked for.
    let fragment = match state {
        Some(state) => format!("session={token}&state={state}"),
        None => format!("session={token}"),
    };
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("{base}#{fragment}"))],
    )
        .into_response()
}

fn bad_return() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(layout(
            "Sign in",
            "redapp",
            "<div class=card><h1>Sign-in link not valid</h1><p>return_to must be a keyswitch address registered with the simulator (--redirect-uri).</p></div>",
        )),
    )
        .into_response()
}

/// Body of `POST /_control/redapp/sessions`.
#[derive(Deserialize)]
pub struct NewSession {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    role: String,
    #[serde(default)]
    companies: Vec<String>,
    #[serde(default = "default_ttl")]
    ttl_seconds: i64,
    /// How long ago the user signed in (`auth_time` = now − this; 0 by default).
    #[serde(default)]
    auth_age_seconds: i64,
    /// Leave `auth_time` out (a session that does not say when).
    #[serde(default)]
    no_auth_time: bool,
}

fn default_ttl() -> i64 {
    900
}

/// `POST /_control/redapp/sessions`: a session token for tests (a negative
/// `ttl_seconds` gives an expired one).
pub async fn control_session(body: Bytes) -> Response {
    let Ok(s) = serde_json::from_slice::<NewSession>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "bad_request", "message": "expected {sub, role, companies, ttl_seconds}"})))
            .into_response();
    };
    let name = s.name.clone().unwrap_or_else(|| s.sub.clone());
    match issue(&claims_for(
        &s.sub,
        &name,
        &s.role,
        &s.companies,
        s.ttl_seconds,
        (!s.no_auth_time).then_some(s.auth_age_seconds),
    )) {
        Some(token) => Json(json!({"token": token})).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "signing key unavailable").into_response(),
    }
}
