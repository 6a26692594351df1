//! `POST /api/companies/:company/kms/tenants/verify` [`VerifyTenantRequest`]:
//! the sign-in URL that verifies one tenant of the pending setup (or of an
//! export re-verification). The answer comes back through
//! `routes::oauth`.

use keyswitch_shared::api::{VerifyTenantAnswer, VerifyTenantRequest};
use worker::{Request, Response};

use super::kms::caller;
use super::{Answer, Ctx, body};
use crate::company::commands::Command;
use crate::do_client;

/// `POST …/kms/tenants/verify` `{tenant}`.
pub async fn post_verify(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    let VerifyTenantRequest { tenant } = body::json(&mut req).await?;
    let answer: VerifyTenantAnswer =
        do_client::call(&ctx.env, &company, &Command::BeginVerify { actor, tenant }).await?;
    Ok(Response::from_json(&answer)?)
}
