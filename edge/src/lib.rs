//! keyswitch edge: the Cloudflare Worker behind the Manage KMS console.
//!
//! This file holds the fetch event and the router, nothing else: handlers
//! live in `routes/`, the per-company authority in `company/`, outside calls
//! in their own service modules.

mod audit;
mod azure;
mod batch;
mod company;
mod config;
mod connection;
mod consent_cache;
mod cors;
mod crypto;
mod do_client;
mod error;
mod guidance;
mod inventory;
mod landing;
mod providers;
mod routes;
mod session;
mod timer;
mod verify;
mod workspace;

pub use company::CompanyKms;
pub use workspace::WorkspaceVaults;

use worker::{Context, Env, Request, Response, Result, Router, event};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if let Some(preflight) = cors::preflight(&req, &env)? {
        return Ok(preflight);
    }
    let origin = cors::allowed_origin(&req, &env);
    let api = req.path().starts_with("/api/");
    let resp = Router::new()
        .get("/api/health", routes::health::get)
        .get("/api/bench/crypto", routes::bench::crypto)
        .get("/api/openapi.yaml", routes::openapi::get)
        .get("/api/sign-in", routes::sign_in::get)
        .get_async("/api/companies/:company/kms", routes::kms::get_status)
        .post_async(
            "/api/companies/:company/kms/switch",
            routes::kms::post_switch,
        )
        .post_async(
            "/api/companies/:company/kms/consent",
            routes::kms::post_consent,
        )
        .get_async(
            "/api/companies/:company/kms/role-assignment",
            routes::kms::get_role_assignment,
        )
        .post_async("/api/companies/:company/kms/test", routes::kms::post_test)
        .post_async("/api/companies/:company/kms/save", routes::kms::post_save)
        .post_async(
            "/api/companies/:company/kms/cancel",
            routes::kms::post_cancel,
        )
        .get_async("/api/companies/:company/kms/audit", routes::kms::get_audit)
        .post_async(
            "/api/companies/:company/kms/tenants/verify",
            routes::verification::post_verify,
        )
        .post_async(
            "/api/companies/:company/kms/refresh",
            routes::verification::post_refresh,
        )
        .get_async(
            "/api/companies/:company/kms/finalize",
            routes::verification::get_finalize,
        )
        .post_async(
            "/api/companies/:company/kms/finalize",
            routes::verification::post_finalize,
        )
        .post_async(
            "/api/companies/:company/kms/export",
            routes::verification::post_export,
        )
        .get_async(
            "/api/companies/:company/kms/export/verification",
            routes::verification::get_export_verification,
        )
        .post_async(
            "/api/companies/:company/kms/export/verification",
            routes::verification::post_export_verification,
        )
        .post_async(
            "/api/companies/:company/kms/aws-kms",
            routes::verification::post_aws_kms,
        )
        .post_async(
            "/api/envelope/companies/:company/data-keys",
            routes::envelope::generate,
        )
        .post_async(
            "/api/envelope/companies/:company/data-keys/decrypt",
            routes::envelope::decrypt,
        )
        .get_async("/api/workspaces/:workspace/vaults", routes::vaults::list)
        .post_async("/api/workspaces/:workspace/vaults", routes::vaults::create)
        .get_async(
            "/api/workspaces/:workspace/vault-audit",
            routes::vaults::audit,
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault",
            routes::vaults::get,
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/default",
            routes::vaults::set_default,
        )
        .put_async(
            "/api/workspaces/:workspace/vaults/:vault/client-secret",
            routes::vaults::replace_secret,
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/test",
            routes::vaults::test,
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault/items",
            routes::vaults::list_items,
        )
        .post_async(
            "/api/workspaces/:workspace/vaults/:vault/items",
            routes::vaults::create_item,
        )
        .get_async(
            "/api/workspaces/:workspace/vaults/:vault/items/:item",
            routes::vaults::read_item,
        )
        .get_async("/oauth/consent/callback", routes::oauth::consent_callback)
        .run(req, env)
        .await?;
    let resp = error::catalog_for_unrouted(resp)?;
    if api {
        cors::decorate(&resp, origin.as_deref())?;
    }
    Ok(resp)
}
