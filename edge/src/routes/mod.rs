//! HTTP handlers, one module per resource. A handler parses (path, query,
//! [`body`]), authorises, asks a service or a Durable Object, and maps the
//! result; its error becomes the answer in one place ([`run`]).

pub mod audit;
pub mod body;
pub mod dev;
pub mod envelope;
pub mod export;
pub mod finalize;
pub mod health;
pub mod kms;
pub mod oauth;
pub mod openapi;
pub mod operator;
pub mod overview;
pub mod read_copy;
pub mod sign_in;
pub mod tenants;
pub mod vaults;

#[cfg(feature = "bench")]
pub mod bench;

use std::pin::Pin;

use worker::{Request, Response};

use crate::error::EdgeError;

pub use crate::router::Ctx;

/// What a handler answers.
pub type Answer = Result<Response, EdgeError>;

/// A 200 with a Durable Object's JSON answer as the object wrote it
/// ([`crate::do_client::relay`]): the headers `Response::from_json` sets.
pub fn relayed(json: String) -> worker::Result<Response> {
    let resp = Response::ok(json)?;
    resp.headers().set("Content-Type", "application/json")?;
    Ok(resp)
}

/// A handler's answer still to come, boxed (see [`run`]).
pub type Pending = Pin<Box<dyn Future<Output = Answer>>>;

/// Runs an async handler; an error becomes its catalog answer (and a 5xx is
/// logged with the request id). Not generic: every route's handler future
/// is boxed ([`Pending`]), so the router holds one copy of this and of its
/// own adapter, not one per route.
pub async fn run(
    req: Request,
    ctx: Ctx,
    handler: fn(Request, Ctx) -> Pending,
) -> worker::Result<Response> {
    let id = ctx.data.clone();
    handler(req, ctx).await.or_else(|e| e.into_response(&id))
}

/// [`run`] for a handler that does not wait on anything.
pub fn run_now(
    req: Request,
    ctx: Ctx,
    handler: fn(Request, Ctx) -> Answer,
) -> worker::Result<Response> {
    let id = ctx.data.clone();
    handler(req, ctx).or_else(|e| e.into_response(&id))
}
