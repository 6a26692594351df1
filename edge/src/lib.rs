//! keyswitch edge: the Cloudflare Worker behind the Manage KMS console.
//!
//! This file holds the fetch event and the router, nothing else: handlers
//! live in `routes/`, the per-company authority in `company/`, outside calls
//! in their own service modules.

mod company;
mod config;
mod crypto;
mod error;
mod inventory;
mod routes;

pub use company::CompanyKms;

use worker::{Context, Env, Request, Response, Result, Router, event};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/api/health", routes::health::get)
        .get_async("/api/companies/:company/kms", routes::kms::get_status)
        .run(req, env)
        .await
}
