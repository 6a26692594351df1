//! keyswitch edge: the Cloudflare Worker behind the Manage KMS console and
//! vault management.
//!
//! This file holds the fetch event and the route table, nothing else: handlers
//! live in `routes/`, the per-company and per-workspace authorities in
//! `company/` and `workspace/` (Durable Objects), outside calls in their own
//! service modules over `http`.
//!
//! The cargo features `routes`, `company-objects` and `vault-objects` (all
//! three by default, as deployed) select which part a build exports; a
//! build of one part leaves the others' code unused.
#![cfg_attr(
    not(all(
        feature = "routes",
        feature = "company-objects",
        feature = "vault-objects"
    )),
    allow(dead_code, unused_imports)
)]

mod audit;
mod azure;
mod batch;
mod clock;
mod company;
mod config;
mod connection;
mod cors;
mod crypto;
mod do_client;
mod error;
mod guard;
mod guidance;
mod http;
mod idp;
mod inventory;
mod jwt;
mod key_bindings;
mod landing;
mod oauth_state;
mod profile;
mod providers;
mod request_id;
mod router;
mod routes;
mod session;
mod stored;
mod sweep;
mod timer;
mod webcrypto;
mod webhook;
mod wire;
mod workspace;

pub use company::CompanyKms;
pub use key_bindings::KeyBindings;
pub use workspace::WorkspaceVaults;

use request_id::RequestId;
use router::{Handler, Table};
use worker::{Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent, event};

/// A route's async handler: its future is boxed, so every route shares one
/// [`routes::run`] instead of a monomorphized copy per handler (issue 15:
/// the worker's upload).
macro_rules! later {
    ($handler:path) => {
        Handler::Later(|r, c| -> routes::Pending { Box::pin($handler(r, c)) })
    };
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[cfg(feature = "routes")]
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let id = RequestId::of(&req);
    // An unsafe deployed configuration answers every route 503 (guard.rs).
    if let Err(refused) = guard::check_request(&env, &req) {
        return with_request_id(refused.into_response(&id)?, &id);
    }
    if let Some(preflight) = cors::preflight(&req, &env)? {
        return with_request_id(preflight, &id);
    }
    let origin = cors::allowed_origin(&req, &env);
    let api = req.path().starts_with("/api/");
    let resp = router::route(req, env, &id).await?;
    let resp = error::catalog_for_unrouted(resp, &id)?;
    if api {
        cors::decorate(&resp, origin.as_deref())?;
    }
    with_request_id(resp, &id)
}

/// Every route of the API (built once per isolate: `router.rs`).
fn routes_table() -> Result<Table, String> {
    let table = Table::default()
        .get("/api/health", Handler::Now(routes::health::get))
        .get("/api/openapi.yaml", later!(routes::openapi::get))
        .get("/api/sign-in", Handler::Now(routes::sign_in::get))
        .get(
            "/api/companies/:company/kms",
            later!(routes::kms::get_status),
        )
        .post(
            "/api/companies/:company/kms/switch",
            later!(routes::kms::post_switch),
        )
        .post(
            "/api/companies/:company/kms/consent",
            later!(routes::kms::post_consent),
        )
        .get(
            "/api/companies/:company/kms/role-assignment",
            later!(routes::kms::get_role_assignment),
        )
        .post(
            "/api/companies/:company/kms/test",
            later!(routes::kms::post_test),
        )
        .post(
            "/api/companies/:company/kms/health/check",
            later!(routes::kms::post_check_now),
        )
        .post(
            "/api/companies/:company/kms/save",
            later!(routes::kms::post_save),
        )
        .post(
            "/api/companies/:company/kms/cancel",
            later!(routes::kms::post_cancel),
        )
        .get(
            "/api/companies/:company/kms/audit",
            later!(routes::audit::get_page),
        )
        .get(
            "/api/companies/:company/kms/audit/download",
            later!(routes::audit::download),
        )
        .post(
            "/api/companies/:company/kms/tenants/verify",
            later!(routes::tenants::post_verify),
        )
        .post(
            "/api/companies/:company/kms/refresh",
            later!(routes::kms::post_refresh),
        )
        .post(
            "/api/companies/:company/kms/confirm-no-tenants",
            later!(routes::kms::post_confirm_no_tenants),
        )
        .get(
            "/api/companies/:company/kms/finalize",
            later!(routes::finalize::get),
        )
        .post(
            "/api/companies/:company/kms/finalize",
            later!(routes::finalize::post),
        )
        .post(
            "/api/companies/:company/kms/export",
            later!(routes::export::post),
        )
        .get(
            "/api/companies/:company/kms/export/verification",
            later!(routes::export::get_verification),
        )
        .post(
            "/api/companies/:company/kms/export/verification",
            later!(routes::export::post_verification),
        )
        .post(
            "/api/companies/:company/kms/export/verification/confirm-no-tenants",
            later!(routes::export::post_confirm_no_tenants),
        )
        .post(
            "/api/companies/:company/kms/check",
            later!(routes::kms::post_check),
        )
        .post(
            "/api/companies/:company/kms/rewrap",
            later!(routes::kms::post_rewrap),
        )
        .post(
            "/api/companies/:company/kms/aws-kms",
            later!(routes::operator::post_aws_kms),
        )
        .get(
            "/api/companies/:company/kms/read-copy",
            later!(routes::read_copy::for_console),
        )
        .get(
            "/api/envelope/companies/:company/kms-state",
            later!(routes::read_copy::for_backup_engine),
        )
        .post(
            "/api/_dev/companies/:company/drop-alarm",
            later!(routes::dev::drop_alarm),
        )
        .post(
            "/api/envelope/companies/:company/data-keys",
            later!(routes::envelope::generate),
        )
        .post(
            "/api/envelope/companies/:company/data-keys/decrypt",
            later!(routes::envelope::decrypt),
        )
        .get(
            "/api/workspaces/:workspace/vaults",
            later!(routes::vaults::list),
        )
        .post(
            "/api/workspaces/:workspace/vaults",
            later!(routes::vaults::create),
        )
        .get(
            "/api/workspaces/:workspace/vault-audit",
            later!(routes::vaults::audit),
        )
        .get(
            "/api/workspaces/:workspace/vault-audit/download",
            later!(routes::vaults::audit_download),
        )
        .get(
            "/api/workspaces/:workspace/vaults/:vault",
            later!(routes::vaults::get),
        )
        .post(
            "/api/workspaces/:workspace/vaults/:vault/default",
            later!(routes::vaults::set_default),
        )
        .put(
            "/api/workspaces/:workspace/vaults/:vault/client-secret",
            later!(routes::vaults::replace_secret),
        )
        .post(
            "/api/workspaces/:workspace/vaults/:vault/test",
            later!(routes::vaults::test),
        )
        .get(
            "/api/workspaces/:workspace/vaults/:vault/items",
            later!(routes::vaults::list_items),
        )
        .post(
            "/api/workspaces/:workspace/vaults/:vault/items",
            later!(routes::vaults::create_item),
        )
        .get(
            "/api/workspaces/:workspace/vaults/:vault/items/:item",
            later!(routes::vaults::read_item),
        )
        .get(
            "/oauth/consent/callback",
            later!(routes::oauth::consent_callback),
        );
    #[cfg(feature = "bench")]
    let table = table
        .get("/api/bench/crypto", later!(routes::bench::crypto))
        .get("/api/bench/do-ping", later!(routes::bench::do_ping));
    table.finish()
}

/// The Cron Trigger (`[triggers]` in wrangler.toml): the sweep that finds a
/// company whose alarm was lost (see `sweep.rs`).
#[cfg(feature = "routes")]
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = guard::check(&env) {
        worker::console_error!("sweep refused: {e}");
        return;
    }
    match sweep::run(&env).await {
        Ok(s) => worker::console_log!(
            "sweep: {} read copies, {} companies woken, {} alarms restored, {} failed",
            s.listed,
            s.woken,
            s.restored,
            s.failed
        ),
        Err(e) => worker::console_error!("sweep: {}", e.chain()),
    }
}

/// Adds `x-request-id` to the answer (rebuilding it when its headers are
/// immutable, as a fetched or redirect response's are).
fn with_request_id(resp: Response, id: &RequestId) -> Result<Response> {
    if resp.headers().set(request_id::HEADER, id.as_str()).is_ok() {
        return Ok(resp);
    }
    let headers = resp.headers().clone();
    headers.set(request_id::HEADER, id.as_str())?;
    Ok(resp.with_headers(headers))
}
