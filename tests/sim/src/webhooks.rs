//! The host's webhook receiver (issue 14 item 6): `POST /webhooks/receive`
//! takes keyswitch's signed webhooks and runs the verification documented
//! in docs/PRODUCT.md ("Webhooks") on each, independently of keyswitch's
//! code: HMAC-SHA256 over `"<t>.<raw body>"` with the shared secret
//! (`SIM_WEBHOOK_SECRET`, default `dev-webhook-secret-0123456789abcdef`,
//! the test stack's `WEBHOOK_SECRET`), the timestamp within 300 seconds,
//! and the idempotency id processed once.
//!
//! Answers: 200 `{"accepted":true}` for a first genuine delivery, 200
//! `{"duplicate":true}` for an id already processed (not processed again),
//! 401 for a bad or missing signature or a stale timestamp, and the
//! configured status while a test asked the next N deliveries to fail.
//!
//! Control (`/_control/webhooks`): `GET` lists every delivery received
//! (with the verdict), `DELETE` forgets them and the processed ids,
//! `POST /_control/webhooks/fail` `{"count":N,"status":503,"subject":"acme"}`
//! makes the next N deliveries (about that company or workspace; any when
//! `subject` is left out) fail with that status, before any verification.

use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::state::AppState;
use crate::util::now;

/// How far a signature's timestamp may be from now (seconds).
pub const TOLERANCE_SECS: i64 = 300;
/// The secret when `SIM_WEBHOOK_SECRET` is not set.
pub const DEFAULT_SECRET: &str = "dev-webhook-secret-0123456789abcdef";

/// One delivery as received, with the receiver's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// When it arrived (Unix seconds).
    pub received_at: i64,
    /// `Keyswitch-Webhook-Id`.
    pub id: Option<String>,
    /// `Keyswitch-Signature`.
    pub signature: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: String,
    /// The body as JSON, when it is.
    pub json: Value,
    /// The status answered.
    pub status: u16,
    /// Whether the signature matched (not checked while failing on request).
    pub signature_valid: bool,
    /// Whether the timestamp was within the tolerance.
    pub timestamp_fresh: bool,
    /// Whether the id had already been processed.
    pub duplicate: bool,
    /// Whether it failed because a test asked for it.
    pub forced_failure: bool,
}

#[derive(Default)]
struct Receiver {
    received: Vec<Received>,
    processed: BTreeSet<String>,
    /// Forced failures: (subject or `None` for any, count left, status).
    fail: Vec<(Option<String>, u32, u16)>,
}

static RECEIVER: LazyLock<Mutex<Receiver>> = LazyLock::new(|| Mutex::new(Receiver::default()));

fn receiver() -> std::sync::MutexGuard<'static, Receiver> {
    RECEIVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn secret() -> String {
    std::env::var("SIM_WEBHOOK_SECRET").unwrap_or_else(|_| DEFAULT_SECRET.to_owned())
}

/// The receiver's and the control routes (full paths).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/receive", post(receive))
        .route("/_control/webhooks", get(list).delete(clear))
        .route("/_control/webhooks/fail", post(fail_next))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The documented verification: `(signature_valid, timestamp_fresh)`.
fn verify(secret: &[u8], signature: Option<&str>, body: &[u8], now: i64) -> (bool, bool) {
    let Some(signature) = signature else {
        return (false, false);
    };
    let mut t = None;
    let mut sigs = Vec::new();
    for part in signature.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex_decode(v)),
            _ => {}
        }
    }
    let Some(t) = t else {
        return (false, false);
    };
    let valid = sigs.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    (valid, (now - t).abs() <= TOLERANCE_SECS)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

async fn receive(headers: HeaderMap, body: Bytes) -> Response {
    let now = now();
    let id = header(&headers, "keyswitch-webhook-id");
    let signature = header(&headers, "keyswitch-signature");
    let mut rx = receiver();
    let mut entry = Received {
        received_at: now,
        id: id.clone(),
        signature: signature.clone(),
        content_type: header(&headers, "content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        status: 200,
        signature_valid: false,
        timestamp_fresh: false,
        duplicate: false,
        forced_failure: false,
    };
    let subject = entry
        .json
        .get("company_id")
        .or_else(|| entry.json.get("workspace_id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let rule = rx
        .fail
        .iter_mut()
        .find(|(who, left, _)| *left > 0 && (who.is_none() || *who == subject));
    if let Some((_, left, status)) = rule {
        *left -= 1;
        let status = *status;
        rx.fail.retain(|(_, left, _)| *left > 0);
        entry.status = status;
        entry.forced_failure = true;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        rx.received.push(entry);
        return (status, Json(json!({"error": "failing on request"}))).into_response();
    }
    let (valid, fresh) = verify(secret().as_bytes(), signature.as_deref(), &body, now);
    entry.signature_valid = valid;
    entry.timestamp_fresh = fresh;
    let answer = if !valid || !fresh {
        entry.status = 401;
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": if valid { "stale_timestamp" } else { "bad_signature" }})),
        )
            .into_response()
    } else if let Some(id) = id.filter(|id| !id.is_empty()) {
        if rx.processed.insert(id) {
            Json(json!({"accepted": true})).into_response()
        } else {
            entry.duplicate = true;
            Json(json!({"duplicate": true})).into_response()
        }
    } else {
        entry.status = 400;
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "missing_id"})),
        )
            .into_response()
    };
    rx.received.push(entry);
    answer
}

async fn list() -> Json<Value> {
    let rx = receiver();
    Json(json!({
        "deliveries": rx.received,
        "processed": rx.processed,
        "failing": rx.fail.iter().map(|(who, left, status)| json!({"subject": who, "count": left, "status": status})).collect::<Vec<_>>(),
    }))
}

async fn clear() -> StatusCode {
    let mut rx = receiver();
    rx.received.clear();
    rx.processed.clear();
    rx.fail.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    #[serde(default = "default_status")]
    status: u16,
    /// Only deliveries about this company (or workspace) fail.
    #[serde(default)]
    subject: Option<String>,
}

fn default_status() -> u16 {
    503
}

async fn fail_next(Json(req): Json<FailNext>) -> Response {
    if !(400..600).contains(&req.status) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "status must be 4xx or 5xx"})),
        )
            .into_response();
    }
    let mut rx = receiver();
    rx.fail.retain(|(who, _, _)| *who != req.subject);
    if req.count > 0 {
        rx.fail.push((req.subject.clone(), req.count, req.status));
    }
    Json(json!({"subject": req.subject, "count": req.count, "status": req.status})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_a_known_vector_and_rejects_tampering() {
        // openssl dgst -sha256 -hmac secret <<< '1.{}' (no newline)
        let sig = "t=1,v1=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908";
        assert_eq!(verify(b"secret", Some(sig), b"{}", 1), (true, true));
        assert_eq!(verify(b"secret", Some(sig), b"{ }", 1), (false, true));
        assert_eq!(verify(b"other", Some(sig), b"{}", 1), (false, true));
        assert_eq!(verify(b"secret", Some(sig), b"{}", 1000), (true, false));
        assert_eq!(verify(b"secret", None, b"{}", 1), (false, false));
    }
}
