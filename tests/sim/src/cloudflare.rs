//! The small part of Cloudflare's API v4 that `wrangler secret list`,
//! `secret put` and `secret delete` call, under `/cloudflare/client/v4`
//! (wrangler reaches it with `CLOUDFLARE_API_BASE_URL=<sim>/cloudflare/client/v4`),
//! so `scripts/deploy --dry-run` runs the real wrangler against it.
//!
//! * `GET    /accounts/{account}/workers/scripts/{script}/secrets`: the
//!   worker's secrets as `[{"name", "type": "secret_text"}]`.
//! * `PUT    /accounts/{account}/workers/scripts/{script}/secrets`: sets one
//!   (`{"name", "text", "type": "secret_text"}`); only its name is kept.
//! * `DELETE /accounts/{account}/workers/scripts/{script}/secrets/{name}`.
//! * `PUT    /accounts/{account}/workers/scripts/{script}`: the draft worker
//!   `wrangler secret put` uploads when the worker does not exist yet
//!   (multipart; the simulator keeps only that the worker exists).
//!
//! Every answer has Cloudflare's envelope (`success`, `errors`, `messages`,
//! `result`). A request without the API token [`API_TOKEN`] or for another
//! account than [`ACCOUNT_ID`] is refused 403 with code 10000
//! (`Authentication error`); an unknown worker answers 404 with code 10007,
//! which wrangler reports as "Worker … not found".
//!
//! Control (`/_control/cloudflare`): `GET /workers` (each worker's secret
//! names, the account id and token to use), `PUT /workers/{script}` with
//! `{"secrets": [names]}` (creates the worker or replaces its secrets),
//! `DELETE /workers/{script}`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::util::lock;

/// The simulated account's id (32 hexadecimal characters, like Cloudflare's).
pub const ACCOUNT_ID: &str = "8f3c2a91d04e4b7a9c1e5f60b2d7a4e3";
/// The API token the simulated account accepts (`CLOUDFLARE_API_TOKEN`).
pub const API_TOKEN: &str = "keyswitch-sim-cloudflare-api-token";

/// The account's Workers: each worker's secret names (values are never kept).
#[derive(Debug, Default)]
pub struct Account {
    /// Secret names by worker (script) name.
    pub workers: BTreeMap<String, BTreeSet<String>>,
}

/// Routes relative to `/cloudflare/client/v4`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/accounts/{account}/workers/scripts/{script}",
            put(upload_draft),
        )
        .route(
            "/accounts/{account}/workers/scripts/{script}/secrets",
            get(list_secrets).put(put_secret),
        )
        .route(
            "/accounts/{account}/workers/scripts/{script}/secrets/{name}",
            axum::routing::delete(delete_secret),
        )
}

/// Routes relative to `/_control/cloudflare`.
pub fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/workers", get(control_list))
        .route("/workers/{script}", put(control_put).delete(control_delete))
}

fn envelope(status: StatusCode, result: Value) -> Response {
    (
        status,
        axum::Json(json!({"success": true, "errors": [], "messages": [], "result": result})),
    )
        .into_response()
}

fn failure(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "success": false,
            "errors": [{"code": code, "message": message}],
            "messages": [],
            "result": null,
        })),
    )
        .into_response()
}

fn worker_not_found() -> Response {
    failure(
        StatusCode::NOT_FOUND,
        10007,
        "This Worker does not exist on your account.",
    )
}

/// The API token and the account must be this account's.
fn authorize(headers: &HeaderMap, account: &str) -> Result<(), Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    if token != Some(API_TOKEN) || account != ACCOUNT_ID {
        return Err(failure(
            StatusCode::FORBIDDEN,
            10000,
            "Authentication error",
        ));
    }
    Ok(())
}

/// Worker script names as Cloudflare accepts them.
fn valid_script_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Secret (binding) names as Cloudflare accepts them: a JavaScript identifier.
fn valid_secret_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

async fn list_secrets(
    State(sim): State<AppState>,
    Path((account, script)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&headers, &account) {
        return r;
    }
    let world = lock(&sim.world);
    let Some(secrets) = world.cloudflare.workers.get(&script) else {
        return worker_not_found();
    };
    let list: Vec<Value> = secrets
        .iter()
        .map(|name| json!({"name": name, "type": "secret_text"}))
        .collect();
    envelope(StatusCode::OK, Value::Array(list))
}

#[derive(Deserialize)]
struct SecretBody {
    name: String,
    text: String,
    #[serde(rename = "type")]
    kind: String,
}

async fn put_secret(
    State(sim): State<AppState>,
    Path((account, script)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&headers, &account) {
        return r;
    }
    let Ok(secret) = serde_json::from_slice::<SecretBody>(&body) else {
        return failure(
            StatusCode::BAD_REQUEST,
            10026,
            "Could not parse the request body: expected {name, text, type}.",
        );
    };
    if secret.kind != "secret_text" || !valid_secret_name(&secret.name) || secret.text.is_empty() {
        return failure(
            StatusCode::BAD_REQUEST,
            10021,
            "The secret's name must be an identifier, its type secret_text and its text not empty.",
        );
    }
    let mut world = lock(&sim.world);
    let Some(secrets) = world.cloudflare.workers.get_mut(&script) else {
        return worker_not_found();
    };
    secrets.insert(secret.name.clone());
    envelope(
        StatusCode::OK,
        json!({"name": secret.name, "type": "secret_text"}),
    )
}

async fn delete_secret(
    State(sim): State<AppState>,
    Path((account, script, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&headers, &account) {
        return r;
    }
    let mut world = lock(&sim.world);
    let Some(secrets) = world.cloudflare.workers.get_mut(&script) else {
        return worker_not_found();
    };
    if !secrets.remove(&name) {
        return failure(
            StatusCode::NOT_FOUND,
            10056,
            "The secret does not exist on this Worker.",
        );
    }
    envelope(StatusCode::OK, Value::Null)
}

/// `wrangler secret put` for a worker that does not exist uploads a draft
/// worker first; the simulator keeps only that it exists.
async fn upload_draft(
    State(sim): State<AppState>,
    Path((account, script)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&headers, &account) {
        return r;
    }
    if !valid_script_name(&script) {
        return failure(
            StatusCode::BAD_REQUEST,
            10016,
            "Invalid Worker name: lowercase letters, digits, - and _ only.",
        );
    }
    lock(&sim.world)
        .cloudflare
        .workers
        .entry(script.clone())
        .or_default();
    envelope(StatusCode::OK, json!({"id": script}))
}

async fn control_list(State(sim): State<AppState>) -> Response {
    let world = lock(&sim.world);
    let workers: BTreeMap<&String, &BTreeSet<String>> = world.cloudflare.workers.iter().collect();
    axum::Json(json!({
        "account_id": ACCOUNT_ID,
        "api_token": API_TOKEN,
        "api_base_path": "/cloudflare/client/v4",
        "workers": workers,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ControlWorker {
    #[serde(default)]
    secrets: Vec<String>,
}

async fn control_put(
    State(sim): State<AppState>,
    Path(script): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(worker) = serde_json::from_slice::<ControlWorker>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": "bad_request", "message": "expected {\"secrets\": [names]}"}),
            ),
        )
            .into_response();
    };
    if !valid_script_name(&script) || !worker.secrets.iter().all(|s| valid_secret_name(s)) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "bad_request", "message": "invalid worker or secret name"})),
        )
            .into_response();
    }
    let secrets: BTreeSet<String> = worker.secrets.into_iter().collect();
    lock(&sim.world)
        .cloudflare
        .workers
        .insert(script.clone(), secrets.clone());
    axum::Json(json!({"worker": script, "secrets": secrets})).into_response()
}

async fn control_delete(State(sim): State<AppState>, Path(script): Path<String>) -> Response {
    if lock(&sim.world)
        .cloudflare
        .workers
        .remove(&script)
        .is_none()
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
