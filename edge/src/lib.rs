//! keyswitch edge: the Cloudflare Worker behind the Manage KMS console and
//! vault management.
//!
//! This file holds the fetch event and the router, nothing else: handlers
//! live in `routes/`, the per-company and per-workspace authorities in
//! `company/` and `workspace/` (Durable Objects), outside calls in their own
//! service modules over `http`.

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
use routes::{run, run_now};
use worker::{
    Context, Env, Request, Response, Result, Router, ScheduleContext, ScheduledEvent, event,
};

/// A route's closure for the router: the handler's future is boxed, so
/// every route shares one [`run`] and one router adapter instead of a
/// monomorphized copy per handler (issue 15: the worker's upload).
macro_rules! routed {
    ($handler:path) => {
        |r, c| run(r, c, |r, c| Box::pin($handler(r, c)))
    };
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

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
    let router = Router::with_data(id.clone())
        .get("/api/health", |r, c| run_now(r, c, routes::health::get))
        .get_async("/api/openapi.yaml", routed!(routes::openapi::get))
        .get("/api/sign-in", |r, c| run_now(r, c, routes::sign_in::get))
        .get_async(
            "/api/companies/:company/kms",
            routed!(routes::kms::get_status),
        )
        .post_async(
            "/api/companies/:company/kms/switch",
            routed!(routes::kms::post_switch),
        )
        .post_async(
            "/api/companies/:company/kms/consent",
            routed!(routes::kms::post_consent),
        )
        .get_async(
            "/api/companies/:company/kms/role-assignment",
            routed!(routes::kms::get_role_assignment),
        )
        .post_async(
            "/api/companies/:company/kms/test",
            routed!(routes::kms::post_test),
        )
        .post_async(
            "/api/companies/:company/kms/health/check",
            routed!(routes::kms::post_check_now),
        )
        .post_async(
            "/api/companies/:company/kms/save",
            routed!(routes::kms::post_save),
        )
        .post_async(
            "/api/companies/:company/kms/cancel",
            routed!(routes::kms::post_cancel),
        )
        .get_async(
            "/api/companies/:company/kms/audit",
            routed!(routes::audit::get_page),
        )
        .get_async(
            "/api/companies/:company/kms/audit/download",
            routed!(routes::audit::download),
        )
        .post_async(
            "/api/companies/:company/kms/tenants/verify",
            routed!(routes::tenants::post_verify),
        )
        .post_async(
            "/api/companies/:company/kms/refresh",
            routed!(routes::kms::post_refresh),
        )
        .post_async(
            "/api/companies/:company/kms/confirm-no-tenants",
            routed!(routes::kms::post_confirm_no_tenants),
        )
        .get_async(
            "/api/companies/:company/kms/finalize",
            routed!(routes::finalize::get),
        )
        .post_async(
            "/api/companies/:company/kms/finalize",
            routed!(routes::finalize::post),
        )
        .post_async(
            "/api/companies/:company/kms/export",
            routed!(routes::export::post),
        )
        .get_async(
            "/api/companies/:company/kms/export/verification",
            routed!(routes::export::get_verification),
        )
        .post_async(
            "/api/companies/:company/kms/export/verification",
            routed!(routes::export::post_verification),
        )
        .post_async(
            "/api/companies/:company/kms/export/verification/confirm-no-tenants",
            routed!(routes::export::post_confirm_no_tenants),
        )
        .post_async(
            "/api/companies/:company/kms/check",
            routed!(routes::kms::post_check),
        )
        .post_async(
            "/api/companies/:company/kms/rewrap",
            routed!(routes::kms::post_rewrap),
        )
        .post_async(
            "/api/companies/:company/kms/aws-kms",
            routed!(routes::operator::post_aws_kms),
        )
        .get_async(
            "/api/companies/:company/kms/read-copy",
            routed!(routes::read_copy::for_console),
        )
        .get_async(
            "/api/envelope/companies/:company/kms-state",
            routed!(routes::read_copy::for_backup_engine),
        )
        .post_async(
            "/api/_dev/companies/:company/drop-alarm",
            routed!(routes::dev::drop_alarm),
        )
        .post_async(
            "/api/envelope/companies/:company/data-keys",
            routed!(routes::envelope::generate),
        )
        .post_async(
            "/api/envelope/companies/:company/data-keys/decrypt",
            routed!(routes::envelope::decrypt),
        )
        .get_async(
            "/api/workspaces/:workspace/vaults",
            routed!(routes::vaults::list),
        )
        .post_async(
            "/api/workspaces/:workspace/vaults",
            routed!(routes::vaults::create),
        )
        .get_async(
            "/api/workspaces/:workspace/vault-audit",
            routed!(routes::vaults::audit),
        )
        .get_async(
            "/api/workspaces/:workspace/vault-audit/download",
            routed!(routes::vaults::audit_download),
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault",
            routed!(routes::vaults::get),
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/default",
            routed!(routes::vaults::set_default),
        )
        .put_async(
            "/api/workspaces/:workspace/vaults/:vault/client-secret",
            routed!(routes::vaults::replace_secret),
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/test",
            routed!(routes::vaults::test),
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault/items",
            routed!(routes::vaults::list_items),
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/items",
            routed!(routes::vaults::create_item),
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault/items/:item",
            routed!(routes::vaults::read_item),
        )
        .get_async(
            "/oauth/consent/callback",
            routed!(routes::oauth::consent_callback),
        );
    #[cfg(feature = "bench")]
    let router = router
        .get_async("/api/bench/crypto", routed!(routes::bench::crypto))
        .get_async("/api/bench/do-ping", routed!(routes::bench::do_ping));
    let resp = router.run(req, env).await?;
    let resp = error::catalog_for_unrouted(resp, &id)?;
    if api {
        cors::decorate(&resp, origin.as_deref())?;
    }
    with_request_id(resp, &id)
}

/// The Cron Trigger (`[triggers]` in wrangler.toml): the sweep that finds a
/// company whose alarm was lost (see `sweep.rs`).
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
