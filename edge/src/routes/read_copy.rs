//! The host's read of a company's KMS state from the KV read copy (issue 14
//! item 8): provider, tenant verification records and key health, with
//! `as_of` and how stale it may be. Served from KV without waking the
//! company's Durable Object; nothing is decided on it.
//!
//! * `GET /api/companies/:company/kms/read-copy` — a console session of a
//!   Partner Admin or Company Admin of the company (the host's pages).
//! * `GET /api/envelope/companies/:company/kms-state` — the backup engine's
//!   envelope credential, limited to its allow-list.

use keyswitch_shared::read_copy::{self, KmsReadCopy, ServedCopy};
use keyswitch_shared::{CatalogError, CompanyId};
use worker::{Request, Response};

use super::{Answer, Ctx};
use crate::config;

/// `GET /api/companies/:company/kms/read-copy`.
pub async fn for_console(req: Request, ctx: Ctx) -> Answer {
    let (_actor, company) = super::kms::caller(&req, &ctx).await?;
    serve(&ctx, &company).await
}

/// `GET /api/envelope/companies/:company/kms-state`.
pub async fn for_backup_engine(req: Request, ctx: Ctx) -> Answer {
    let company = super::envelope::service(&req, &ctx)?;
    serve(&ctx, &company).await
}

async fn serve(ctx: &Ctx, company: &CompanyId) -> Answer {
    // The stored JSON text, read with serde_json (KV's `.json()` would
    // decode it with serde_wasm_bindgen: a second decoder for the same type).
    let text = ctx
        .env
        .kv(config::KMS_CACHE)?
        .get(&read_copy::key(company.as_str()))
        .text()
        .await?;
    let copy: Option<KmsReadCopy> = text.as_deref().map(serde_json::from_str).transpose()?;
    let Some(copy) = copy else {
        return Err(CatalogError::NotFound {
            what: "A read copy of this company's KMS state (it is written when Manage KMS is first opened)".into(),
        }
        .into());
    };
    let resp = Response::from_json(&ServedCopy::at(copy, crate::clock::now_ms()))?;
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}
