//! `GET /api/openapi.yaml`: the API description (edge/openapi.yaml).

use worker::{Request, Response, Result, RouteContext};

const DOCUMENT: &str = include_str!("../../openapi.yaml");

/// Serves the OpenAPI 3 document.
pub fn get(_req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    let resp = Response::ok(DOCUMENT)?;
    resp.headers()
        .set("Content-Type", "application/yaml; charset=utf-8")?;
    Ok(resp)
}
