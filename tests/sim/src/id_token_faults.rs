//! Bad ID tokens on request: a test names a user and a fault, and the next
//! ID token Entra's or Google's token endpoint issues for that user is bad in
//! exactly that way (everything else about the answer stays genuine), so the
//! edge's checks are fed what an attacker or a broken provider would send.
//!
//! Control (`/_control/id-token-faults`): `POST {"user": oid | Google id or
//! email, "fault": …, "count": 1}` adds a rule (answers its `id`); `GET`
//! lists the rules with how often each `fired`; `DELETE` removes them all.
//! Faults: `bad_signature` (the claims are changed after signing: the
//! signature no longer matches), `unknown_kid` (a `kid` the JWKS does not
//! publish), `alg_none` (header `alg: none`, no signature), `wrong_audience`,
//! `wrong_issuer`, `wrong_nonce`, `expired` (an hour ago), `not_yet_valid`
//! (valid from an hour ahead), `malformed` (not three parts).
//!
//! The rules are scoped to one user so tests running side by side never
//! receive each other's bad tokens.

use std::sync::{LazyLock, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::state::AppState;
use crate::util::{b64url, lock, now};

/// A way to make an ID token bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Claims changed after signing.
    BadSignature,
    /// A key id the JWKS does not publish.
    UnknownKid,
    /// `alg: none` and an empty signature.
    AlgNone,
    /// `aud` names another client.
    WrongAudience,
    /// `iss` names another issuer.
    WrongIssuer,
    /// `nonce` is not the one of the authorization request.
    WrongNonce,
    /// `exp` an hour ago.
    Expired,
    /// `nbf`/`iat` an hour ahead.
    NotYetValid,
    /// Not a JWT at all.
    Malformed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Rule {
    #[serde(default)]
    id: u64,
    user: String,
    fault: Fault,
    #[serde(default = "one")]
    count: u32,
    #[serde(default)]
    fired: u32,
}

fn one() -> u32 {
    1
}

#[derive(Default)]
struct Rules {
    next_id: u64,
    list: Vec<Rule>,
}

static RULES: LazyLock<Mutex<Rules>> = LazyLock::new(|| Mutex::new(Rules::default()));

/// The fault to apply to the next ID token of any of `names`, counted as fired.
fn take(names: &[&str]) -> Option<Fault> {
    let mut rules = lock(&RULES);
    let rule = rules
        .list
        .iter_mut()
        .find(|r| r.fired < r.count && names.iter().any(|n| n.eq_ignore_ascii_case(&r.user)))?;
    rule.fired += 1;
    Some(rule.fault)
}

/// Signs `claims` as the ID token for the user known by `names` (object id,
/// Google id, email): genuine unless a rule asks for a bad one.
pub fn sign(names: &[&str], key: &RsaPrivateKey, claims: &Value) -> String {
    let Some(fault) = take(names) else {
        return crate::jwt::sign(key, claims);
    };
    tracing::info!(?fault, "issuing a bad ID token on request");
    let mut claims = claims.clone();
    let n = now();
    let set = |c: &mut Value, k: &str, v: Value| {
        if let Value::Object(map) = c {
            map.insert(k.to_owned(), v);
        }
    };
    match fault {
        Fault::BadSignature => {
            let genuine = crate::jwt::sign(key, &claims);
            set(
                &mut claims,
                "name",
                json!("Mallory (altered after signing)"),
            );
            let mut parts = genuine.split('.');
            let (h, _, s) = (parts.next(), parts.next(), parts.next());
            return format!(
                "{}.{}.{}",
                h.unwrap_or_default(),
                b64url(claims.to_string().as_bytes()),
                s.unwrap_or_default()
            );
        }
        Fault::UnknownKid => {
            return with_header(
                key,
                &claims,
                &json!({"typ": "JWT", "alg": "RS256", "kid": "kid-nobody-publishes"}),
            );
        }
        Fault::AlgNone => {
            let header = json!({"typ": "JWT", "alg": "none"});
            return format!(
                "{}.{}.",
                b64url(header.to_string().as_bytes()),
                b64url(claims.to_string().as_bytes())
            );
        }
        Fault::Malformed => return format!("{}.not-a-jwt", b64url(b"{\"alg\":\"RS256\"}")),
        Fault::WrongAudience => set(
            &mut claims,
            "aud",
            json!("00000000-0000-4000-8000-0000000bad01"),
        ),
        Fault::WrongIssuer => {
            let tid = claims["tid"].as_str().unwrap_or("common").to_owned();
            set(
                &mut claims,
                "iss",
                json!(format!("https://issuer.invalid/{tid}/v2.0")),
            );
        }
        Fault::WrongNonce => set(&mut claims, "nonce", json!("a-nonce-from-another-sign-in")),
        Fault::Expired => {
            set(&mut claims, "iat", json!(n - 7200));
            set(&mut claims, "nbf", json!(n - 7200));
            set(&mut claims, "exp", json!(n - 3600));
        }
        Fault::NotYetValid => {
            set(&mut claims, "iat", json!(n + 3600));
            set(&mut claims, "nbf", json!(n + 3600));
            set(&mut claims, "exp", json!(n + 7200));
        }
    }
    crate::jwt::sign(key, &claims)
}

/// An RS256 token signed with `key` under a header of the caller's choice.
fn with_header(key: &RsaPrivateKey, claims: &Value, header: &Value) -> String {
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let sig = SigningKey::<sha2::Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", b64url(&sig.to_bytes()))
}

/// The control routes (full paths).
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/_control/id-token-faults",
        get(list).post(add).delete(clear),
    )
}

async fn add(body: Bytes) -> Response {
    let mut rule: Rule = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "bad_request", "message": e.to_string()})),
            )
                .into_response();
        }
    };
    let mut rules = lock(&RULES);
    rules.next_id += 1;
    rule.id = rules.next_id;
    rule.fired = 0;
    let id = rule.id;
    rules.list.push(rule);
    Json(json!({ "id": id })).into_response()
}

async fn list() -> Json<Value> {
    Json(json!({ "rules": lock(&RULES).list }))
}

async fn clear() -> Json<Value> {
    lock(&RULES).list.clear();
    Json(json!({ "cleared": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_fires_once_for_its_user_only() {
        {
            let mut r = lock(&RULES);
            r.list.push(Rule {
                id: 99,
                user: "unit-user-x".into(),
                fault: Fault::Expired,
                count: 1,
                fired: 0,
            });
        }
        assert_eq!(take(&["someone-else"]), None);
        assert_eq!(take(&["UNIT-USER-X"]), Some(Fault::Expired));
        assert_eq!(take(&["unit-user-x"]), None);
        lock(&RULES).list.retain(|r| r.id != 99);
    }
}
