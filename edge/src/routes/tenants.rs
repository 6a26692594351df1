//! `POST /api/companies/:company/kms/tenants/verify` [`VerifyTenantRequest`]:
//! the sign-in URL that verifies one tenant of the pending setup (or of an
//! export re-verification). The answer comes back through
//! `routes::oauth`.

use keyswitch_shared::api::VerifyTenantRequest;
use worker::Request;

use super::kms::caller;
use super::{Answer, Ctx, body};
use crate::company::commands::Command;
use crate::do_client;

/// `POST …/kms/tenants/verify` `{tenant}`.
pub async fn post_verify(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    let VerifyTenantRequest { tenant } = body::json(&mut req).await?;
    // The object's `VerifyTenantAnswer`, relayed as it wrote it.
    let answer = do_client::relay(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::BeginVerify { actor, tenant },
    )
    .await?;
    Ok(super::relayed(answer)?)
}
