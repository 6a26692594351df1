//! keyswitch-sim: the outside world of keyswitch, simulated over HTTP.
//!
//! * `entra/` — Microsoft Entra ID: admin consent, authorize, token, JWKS.
//! * `keyvault/` — Azure Key Vault data plane.
//! * `google/` — Google OAuth and the Admin SDK Directory API.
//! * `redapp` — the host product's backup-set inventory.
//! * `aws` — a reverse proxy to moto's AWS KMS (`--moto-url`), so faults and
//!   the request log apply to KMS calls too.
//! * `cloudflare` — the part of Cloudflare's API that `wrangler secret`
//!   calls (`scripts/deploy --dry-run` runs against it).
//! * `control` — the JSON control API for tests and people; `pages` — HTML.
//! * `faults`, `requestlog`, `server` — the envelope around every request.

// Handlers return `Result<_, Response>` so every early exit is an answer in
// the outside service's own error shape; boxing them buys nothing here.
#![allow(clippy::result_large_err)]

pub mod aws;
pub mod cloudflare;
pub mod config;
pub mod control;
pub mod entra;
pub mod faults;
pub mod forge;
pub mod google;
pub mod id_token_faults;
pub mod jwt;
pub mod keyvault;
pub mod pages;
pub mod redapp;
pub mod redapp_session;
pub mod requestlog;
pub mod seed;
pub mod server;
pub mod state;
pub mod tls;
pub mod util;
pub mod webhooks;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

pub use server::{Running, start};
use state::AppState;

/// All routes, wrapped in the envelope (log, faults, Host-addressed vaults).
pub fn router(sim: AppState) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route(
            "/redapp/v1/companies/{company}/backup-sets",
            get(redapp::backup_sets),
        )
        .route("/redapp/.well-known/jwks.json", get(redapp_session::jwks))
        .route(
            "/redapp/sign-in",
            get(redapp_session::sign_in_page).post(redapp_session::sign_in_submit),
        )
        .route("/kv/{host}/{*rest}", any(kv_by_path))
        .route("/aws/kms", any(aws::kms_proxy))
        .route("/_sink/{*rest}", any(server::sink))
        .nest("/entra", entra::routes(state::Cloud::Public))
        .nest("/entra-china", entra::routes(state::Cloud::China))
        .nest("/entra-usgov", entra::routes(state::Cloud::Usgov))
        .nest("/google", google::routes())
        .nest("/_control", control::routes())
        .nest("/_control/cloudflare", cloudflare::control_routes())
        .nest("/cloudflare/client/v4", cloudflare::api_routes())
        .merge(webhooks::routes())
        .merge(id_token_faults::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            server::envelope,
        ))
        .with_state(sim)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"error": "not_found", "message": "No such route in keyswitch-sim. See / for what exists."})),
    )
        .into_response()
}

/// `/kv/{vault-host}/…`: the worker's way to reach `https://{vault-host}/…`.
async fn kv_by_path(
    State(sim): State<AppState>,
    Path((host, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    let known = sim
        .world
        .lock()
        .map(|w| w.vault(&host).map(|v| v.host.clone()))
        .unwrap_or_else(|p| p.into_inner().vault(&host).map(|v| v.host.clone()));
    let Some(canonical) = known.filter(|h| h.eq_ignore_ascii_case(&host)) else {
        // An unknown vault host does not resolve in DNS: the caller sees a
        // connection failure, not an HTTP answer.
        return server::dropped();
    };
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), 4 << 20).await {
        Ok(b) => b,
        Err(_) => return keyvault::errors::bad_parameter("The request body could not be read."),
    };
    let target = keyvault::Target {
        base: format!("https://{canonical}"),
        host: canonical,
    };
    keyvault::handle(
        sim,
        target,
        method,
        format!("/{rest}"),
        query,
        headers,
        body,
    )
    .await
}
