//! `GET /api/health`: liveness, and the minimal route benchmarks compare to.

use worker::{Request, Response};

use super::{Answer, Ctx};

/// Answers `ok` without touching any binding.
pub fn get(_req: Request, _ctx: Ctx) -> Answer {
    Ok(Response::ok("ok")?)
}
