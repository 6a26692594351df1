//! `/api/companies/:company/kms`: a company's KMS status.

use keyswitch_shared::api::KmsStatus;
use worker::{Request, Response, Result, RouteContext};

use crate::company::ProviderStatus;
use crate::config;
use crate::error::{EdgeError, respond};
use crate::inventory::Inventory;

/// `GET`: the provider in force (from the company's Durable Object) and the
/// number of backup sets the host product lists.
pub async fn get_status(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(status(&ctx).await)
}

async fn status(ctx: &RouteContext<()>) -> std::result::Result<Response, EdgeError> {
    let company = ctx
        .param("company")
        .ok_or(EdgeError::BadRequest("missing company"))?;
    if company.is_empty()
        || company.len() > 64
        || !company
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(EdgeError::BadRequest("The company id is not valid."));
    }
    let stub = ctx
        .durable_object(config::COMPANY_KMS)?
        .get_by_name(company)?;
    let mut answer = stub
        .fetch_with_str(&format!("https://company-kms/{company}/status"))
        .await?;
    if answer.status_code() != 200 {
        return Ok(answer);
    }
    let ProviderStatus { provider } = answer.json().await?;
    let inventory = Inventory::from_env(&ctx.env)?;
    let backup_sets = inventory.backup_sets(company).await?;
    Ok(Response::from_json(&KmsStatus {
        company_id: company.clone(),
        provider,
        backup_set_count: u32::try_from(backup_sets.len()).unwrap_or(u32::MAX),
    })?)
}
