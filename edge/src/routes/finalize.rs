//! `/api/companies/:company/kms/finalize`: the progress of the automatic
//! finalization (the crash-safe re-wrap), and running a due attempt now.

use keyswitch_shared::api::FinalizeProgress;
use worker::{Request, Response};

use super::kms::caller;
use super::{Answer, Ctx};
use crate::company::commands::Command;
use crate::do_client;

async fn finalize(req: Request, ctx: Ctx, run: bool) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let progress: FinalizeProgress =
        do_client::call(&ctx.env, &company, &Command::Finalize { run }).await?;
    Ok(Response::from_json(&progress)?)
}

/// `GET …/kms/finalize`: progress of the finalization (for polling).
pub async fn get(req: Request, ctx: Ctx) -> Answer {
    finalize(req, ctx, false).await
}

/// `POST …/kms/finalize`: run a due finalization attempt now (idempotent).
pub async fn post(req: Request, ctx: Ctx) -> Answer {
    finalize(req, ctx, true).await
}
