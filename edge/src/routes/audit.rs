//! `/api/companies/:company/kms/audit…`: the company's audit trail, a page
//! at a time (filtered by action and outcome), and the whole trail (or the
//! filtered part) as a CSV or JSON-lines download. Authorised like every
//! company route: the company's admins only.

use keyswitch_shared::api::AuditTrail;
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::audit_export::{self, Format};
use worker::{Request, Response};

use super::kms::caller;
use super::{Answer, Ctx};
use crate::audit;
use crate::company::commands::Command;
use crate::do_client;
use crate::error::EdgeError;

/// `GET …/kms/audit?cursor=<seq>&limit=N&action=…&outcome=…`: one page of
/// the audit trail, newest first.
pub async fn get_page(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let query = audit::Query::from_url(&req.url()?)?;
    let trail: AuditTrail =
        do_client::call(&ctx.env, &ctx.data, &company, &Command::Audit { query }).await?;
    Ok(Response::from_json(&trail)?)
}

/// `GET …/kms/audit/download?format=csv|jsonl&action=…&outcome=…`: every
/// event that passes the filter, newest first, as a file.
pub async fn download(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let mut filter = AuditFilter::default();
    let mut format = None;
    for (name, value) in req.url()?.query_pairs() {
        if name == "format" {
            format = Some(Format::parse(&value)?);
        } else {
            filter.take(&name, &value)?;
        }
    }
    let format = format.ok_or_else(|| EdgeError::field("format", "must be csv or jsonl"))?;
    let trail: AuditTrail =
        do_client::call(&ctx.env, &ctx.data, &company, &Command::AuditAll { filter }).await?;
    let name = audit_export::file_name(&company, crate::clock::now_ms(), format);
    let resp = Response::ok(format.file(&trail.events))?;
    let h = resp.headers();
    h.set("Content-Type", format.content_type())?;
    h.set(
        "Content-Disposition",
        &format!("attachment; filename=\"{name}\""),
    )?;
    h.set("Cache-Control", "no-store")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    Ok(resp)
}
