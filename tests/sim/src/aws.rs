//! `/aws/kms`: a reverse proxy to moto (`--moto-url`). Method, body and
//! headers go to moto's `/` as they came (moto does not check SigV4
//! signatures, so the Host it sees does not matter); moto's answer comes back
//! as it is. The envelope logs these calls as service `aws` and applies
//! fault rules to them.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::requestlog::KmsCall;
use crate::state::AppState;

/// An AWS JSON-protocol error (`__type`, `message`).
pub fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut resp = (
        status,
        serde_json::json!({"__type": kind, "message": message}).to_string(),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    resp
}

fn client() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .ok()
        })
        .as_ref()
}

/// Headers that belong to one hop and are not forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "content-length"
    )
}

/// What a KMS request asks for, for the request log (never the plaintext).
fn kms_call(headers: &axum::http::HeaderMap, body: &[u8]) -> Option<KmsCall> {
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    let action = target.rsplit('.').next()?.to_owned();
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    Some(KmsCall {
        action,
        key_id: v["KeyId"].as_str().map(str::to_owned),
        encryption_context: v.get("EncryptionContext").cloned(),
        ciphertext_blob: None,
    })
}

/// Forwards the request to moto's `/` and its answer back.
pub async fn kms_proxy(State(sim): State<AppState>, req: Request) -> Response {
    let Some(moto) = sim.config.moto_url.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "keyswitch-sim was started without --moto-url.",
        );
    };
    let Some(client) = client() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "KMSInternalException",
            "No HTTP client.",
        );
    };
    let method = req.method().clone();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let headers = req.headers().clone();
    let Ok(body) = axum::body::to_bytes(req.into_body(), 4 << 20).await else {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The request body could not be read.",
        );
    };
    let mut call = kms_call(&headers, &body);
    let mut out = client.request(method, format!("{moto}/{query}"));
    for (name, value) in &headers {
        if !hop_by_hop(name) {
            out = out.header(name, value);
        }
    }
    let answer = match out.body(body).send().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "moto did not answer");
            return crate::server::dropped();
        }
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let Ok(bytes) = answer.bytes().await else {
        return crate::server::dropped();
    };
    if let Some(c) = call
        .as_mut()
        .filter(|c| c.action == "Encrypt" && status.is_success())
    {
        c.ciphertext_blob = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["CiphertextBlob"].as_str().map(str::to_owned));
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    if let Some(c) = call {
        resp.extensions_mut().insert(c);
    }
    for (name, value) in &answer_headers {
        if !hop_by_hop(name) {
            resp.headers_mut().append(name, value.clone());
        }
    }
    resp
}
