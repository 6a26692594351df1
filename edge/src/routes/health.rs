//! `GET /api/health`: liveness, and the minimal route benchmarks compare to.

use worker::{Request, Response, Result, RouteContext};

/// Answers `ok` without touching any binding.
pub fn get(_req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    Response::ok("ok")
}
