//! `GET /api/openapi.yaml`: the API description (edge/openapi.yaml).
//!
//! The document is not compiled into the worker (78 KiB of text, about
//! 16 KiB of the gzip upload): `scripts/build` ships it with the static
//! assets at `/api/openapi.yaml` (app/index.html copies it there), a path
//! the public never reaches directly (`run_worker_first` sends `/api/*` to
//! the worker), and this route reads it through the `ASSETS` binding, after
//! the same guard, request id and CORS handling as every route.

use worker::{Request, Response};

use super::{Answer, Ctx};

/// Where the static assets keep the document (the binding ignores the host).
const ASSET_URL: &str = "https://assets.invalid/api/openapi.yaml";

/// Serves the OpenAPI 3 document.
pub async fn get(_req: Request, ctx: Ctx) -> Answer {
    let mut asset = ctx.env.assets("ASSETS")?.fetch(ASSET_URL, None).await?;
    // With `not_found_handling = "single-page-application"` a missing file
    // would come back as the SPA's index.html: only the document is served.
    let text = asset.text().await?;
    if asset.status_code() != 200 || !text.starts_with("openapi: ") {
        return Err(worker::Error::RustError(
            "the OpenAPI document is missing from the static assets (scripts/build copies it)"
                .into(),
        )
        .into());
    }
    let resp = Response::ok(text)?;
    resp.headers()
        .set("Content-Type", "application/yaml; charset=utf-8")?;
    Ok(resp)
}
