//! Routes that exist only in the development configuration (the local run
//! and the tests; `ENVIRONMENT=development`, loopback hosts only — see
//! `guard.rs`). Anywhere else they answer 404 like an unknown route.

use keyswitch_shared::CatalogError;
use worker::{Request, Response};

use super::{Answer, Ctx};
use crate::company::commands::{Command, SweepAnswer};
use crate::{do_client, guard};

/// `POST /api/_dev/companies/:company/drop-alarm`: deletes the company
/// object's alarm, as an eviction at the wrong moment would, so the
/// integration tests can show the Cron sweep finding the company. Needs a
/// session of an admin of the company; answers the object's alarm (now
/// none) and when its work is due.
pub async fn drop_alarm(req: Request, ctx: Ctx) -> Answer {
    if !guard::is_development(&ctx.env) {
        return Err(CatalogError::NotFound {
            what: "This route".into(),
        }
        .into());
    }
    let (_actor, company) = super::kms::caller(&req, &ctx).await?;
    let answer: SweepAnswer =
        do_client::call(&ctx.env, &ctx.data, &company, &Command::DropAlarm).await?;
    Ok(Response::from_json(&answer)?)
}
