//! `/api/envelope/companies/:company/data-keys…`: the backup engine's
//! envelope API (service-to-service; bearer `ENVELOPE_SERVICE_TOKEN`, never
//! a console session). GenerateDataKey and Decrypt in the style of AWS KMS.

use keyswitch_shared::api::{DataKey, DecryptDataKey};
use keyswitch_shared::{CatalogError, CompanyId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::{Request, Response};

use super::{Answer, Ctx, body};
use crate::company::commands::Command;
use crate::config;
use crate::do_client;
use crate::error::EdgeError;

/// Checks the service credential (constant time over SHA-256 digests, so
/// neither content nor length leaks) and the company id.
fn service(req: &Request, ctx: &Ctx) -> Result<CompanyId, EdgeError> {
    let expected = config::secret(&ctx.env, config::ENVELOPE_SERVICE_TOKEN)?;
    let presented = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(|t| t.trim().to_owned()))
        .unwrap_or_default();
    let ok: bool = Sha256::digest(presented.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into();
    if presented.is_empty() || expected.is_empty() || !ok {
        return Err(CatalogError::NotSignedIn.into());
    }
    let raw = ctx.param("company").map(String::as_str).unwrap_or_default();
    Ok(raw.parse().map_err(CatalogError::from)?)
}

fn no_store(data: &DataKey) -> Answer {
    let resp = Response::from_json(data)?;
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `POST …/data-keys`: a fresh data key, in the clear and wrapped.
pub async fn generate(req: Request, ctx: Ctx) -> Answer {
    let company = service(&req, &ctx)?;
    let data: DataKey = do_client::call(&ctx.env, &company, &Command::GenerateDataKey).await?;
    no_store(&data)
}

/// `POST …/data-keys/decrypt` [`DecryptDataKey`]: the data key inside.
pub async fn decrypt(mut req: Request, ctx: Ctx) -> Answer {
    let company = service(&req, &ctx)?;
    let DecryptDataKey { wrapped } = body::json(&mut req).await?;
    if wrapped.len() > 4096 {
        return Err(EdgeError::field("wrapped", "is too long"));
    }
    let data: DataKey =
        do_client::call(&ctx.env, &company, &Command::DecryptDataKey { wrapped }).await?;
    no_store(&data)
}
