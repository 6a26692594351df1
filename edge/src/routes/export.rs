//! `/api/companies/:company/kms/export…`: the one-time export of the company
//! key, and the re-verification of every tenant that allows another.

use keyswitch_shared::api::{CompanyKeyExport, ExportVerification};
use keyswitch_shared::{Actor, CatalogError, CompanyId};
use worker::{Request, Response};

use super::kms::caller;
use super::{Answer, Ctx};
use crate::company::commands::Command;
use crate::{do_client, session};

/// `POST …/kms/export`: the company key, once, as a file. The session's
/// `auth_time` goes to the model, which refuses a sign-in older than its
/// policy (`reauthentication_required`).
pub async fn post(req: Request, ctx: Ctx) -> Answer {
    let session = session::session(&req, &ctx.env).await?;
    let raw = ctx.param("company").map(String::as_str).unwrap_or_default();
    let company: CompanyId = raw.parse().map_err(CatalogError::from)?;
    session::authorise(&session.actor, &company)?;
    let command = Command::Export {
        actor: session.actor,
        signed_in_at: session.auth_time,
    };
    let file: CompanyKeyExport = do_client::call(&ctx.env, &ctx.data, &company, &command).await?;
    let resp = Response::from_json(&file)?;
    let h = resp.headers();
    h.set(
        "Content-Disposition",
        &format!(
            "attachment; filename=\"company-key-{}.json\"",
            company.as_str()
        ),
    )?;
    h.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET …/kms/export/verification`.
pub async fn get_verification(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let view: ExportVerification = do_client::call(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::ExportVerificationView,
    )
    .await?;
    Ok(Response::from_json(&view)?)
}

/// Runs an admin's command on the re-verification round and answers its
/// state.
async fn round(req: Request, ctx: Ctx, command: fn(Actor) -> Command) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    let view: ExportVerification =
        do_client::call(&ctx.env, &ctx.data, &company, &command(actor)).await?;
    Ok(Response::from_json(&view)?)
}

/// `POST …/kms/export/verification/confirm-no-tenants`: the round's
/// inventory lists no backup set; the admin confirms there is nothing to
/// verify (the model reads the inventory once more before it counts).
pub async fn post_confirm_no_tenants(req: Request, ctx: Ctx) -> Answer {
    round(req, ctx, |actor| Command::ConfirmNoExportTenants { actor }).await
}

/// `POST …/kms/export/verification`: start verifying every tenant again.
pub async fn post_verification(req: Request, ctx: Ctx) -> Answer {
    round(req, ctx, |actor| Command::BeginExportVerification { actor }).await
}
