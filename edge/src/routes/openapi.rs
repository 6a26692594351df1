//! `GET /api/openapi.yaml`: the API description (edge/openapi.yaml).

use worker::{Request, Response};

use super::{Answer, Ctx};

const DOCUMENT: &str = include_str!("../../openapi.yaml");

/// Serves the OpenAPI 3 document.
pub fn get(_req: Request, _ctx: Ctx) -> Answer {
    let resp = Response::ok(DOCUMENT)?;
    resp.headers()
        .set("Content-Type", "application/yaml; charset=utf-8")?;
    Ok(resp)
}
