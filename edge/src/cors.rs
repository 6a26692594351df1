//! CORS for the API: only the configured host-product origins, and the
//! headers every API answer carries.

use worker::{Env, Method, Request, Response};

/// The request's `Origin`, when it is one of the configured origins.
pub fn allowed_origin(req: &Request, env: &Env) -> Option<String> {
    let origin = req.headers().get("Origin").ok().flatten()?;
    crate::config::allowed_origins(env)
        .into_iter()
        .find(|o| *o == origin)
}

/// Answers a CORS preflight for `/api/*` (`None` for any other request).
pub fn preflight(req: &Request, env: &Env) -> worker::Result<Option<Response>> {
    if req.method() != Method::Options || !req.path().starts_with("/api/") {
        return Ok(None);
    }
    let resp = Response::empty()?.with_status(204);
    if let Some(origin) = allowed_origin(req, env) {
        let h = resp.headers();
        h.set("Access-Control-Allow-Origin", &origin)?;
        h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
        h.set(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        )?;
        h.set("Access-Control-Max-Age", "600")?;
    }
    resp.headers().set("Vary", "Origin")?;
    Ok(Some(resp))
}

/// Adds CORS (for an allowed origin) and hardening headers to an API answer.
pub fn decorate(resp: &Response, origin: Option<&str>) -> worker::Result<()> {
    let h = resp.headers();
    if let Some(origin) = origin {
        h.set("Access-Control-Allow-Origin", origin)?;
        h.set("Access-Control-Expose-Headers", crate::request_id::HEADER)?;
    }
    h.set("Vary", "Origin")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    if !h.has("Cache-Control")? {
        h.set("Cache-Control", "no-store")?;
    }
    Ok(())
}
