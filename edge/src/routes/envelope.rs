//! `/api/envelope/companies/:company/data-keys…`: the backup engine's
//! envelope API (service-to-service, never a console session). GenerateDataKey
//! and Decrypt in the style of AWS KMS.
//!
//! Credentials: `ENVELOPE_SERVICE_TOKEN` and, during a rotation,
//! `ENVELOPE_SERVICE_TOKEN_NEXT` are both valid; each is limited to the
//! companies of its allow-list (`ENVELOPE_COMPANIES`,
//! `ENVELOPE_COMPANIES_NEXT`: `*` or comma-separated company ids; missing:
//! none). See docs/PRODUCT.md "Envelope API credentials".

use keyswitch_shared::api::DecryptDataKey;
use keyswitch_shared::envelope_access::CompanyAllowList;
use keyswitch_shared::{CatalogError, CompanyId};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use worker::{Env, Request};

use super::{Answer, Ctx, body};
use crate::company::commands::Command;
use crate::config;
use crate::do_client;
use crate::error::EdgeError;
use crate::profile::Profile;

/// The credential slots: the secret and the var holding its allow-list.
const SLOTS: [(&str, &str); 2] = [
    (config::ENVELOPE_SERVICE_TOKEN, config::ENVELOPE_COMPANIES),
    (
        config::ENVELOPE_SERVICE_TOKEN_NEXT,
        config::ENVELOPE_COMPANIES_NEXT,
    ),
];

/// The allow-list of one slot (missing var or unreadable list: none; the
/// configuration guard reports an unreadable one).
fn allow_list(env: &Env, var: &str) -> CompanyAllowList {
    env.var(var)
        .ok()
        .and_then(|v| CompanyAllowList::parse(&v.to_string()).ok())
        .unwrap_or(CompanyAllowList::Only(Vec::new()))
}

/// Checks the service credential and the company id: the presented token
/// is compared with every configured one (constant time over SHA-256
/// digests, so neither content nor length leaks, and both slots are always
/// compared), then the matching credential's allow-list must name the
/// company (403 [`CatalogError::EnvelopeCompanyNotAllowed`] otherwise).
pub(crate) fn service(req: &Request, ctx: &Ctx) -> Result<CompanyId, EdgeError> {
    let presented = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(|t| t.trim().to_owned()))
        .unwrap_or_default();
    let digest = Sha256::digest(presented.as_bytes());
    let raw = ctx.param("company").map(String::as_str).unwrap_or_default();
    let company: Option<CompanyId> = raw.parse().ok();
    let mut matched = Choice::from(0);
    let mut allowed = Choice::from(0);
    for (secret, list) in SLOTS {
        let Some(expected) = config::optional_secret(&ctx.env, secret) else {
            continue;
        };
        let same = digest.ct_eq(&Sha256::digest(expected.as_bytes()));
        let serves = company
            .as_ref()
            .is_some_and(|c| allow_list(&ctx.env, list).allows(c));
        matched |= same;
        allowed |= same & Choice::from(u8::from(serves));
    }
    if presented.is_empty() || !bool::from(matched) {
        return Err(CatalogError::NotSignedIn.into());
    }
    let company: CompanyId = raw.parse().map_err(CatalogError::from)?;
    if !bool::from(allowed) {
        return Err(CatalogError::EnvelopeCompanyNotAllowed.into());
    }
    Ok(company)
}

/// The object's [`DataKey`](keyswitch_shared::api::DataKey) JSON, relayed as
/// it wrote it (`do_client::relay`), never cached.
fn no_store(json: String) -> Answer {
    let resp = super::relayed(json)?;
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `POST …/data-keys`: a fresh data key, in the clear and wrapped.
pub async fn generate(req: Request, ctx: Ctx) -> Answer {
    let company = service(&req, &ctx)?;
    let data = do_client::relay(&ctx.env, &ctx.data, &company, &Command::GenerateDataKey).await?;
    no_store(data)
}

/// `POST …/data-keys/decrypt` [`DecryptDataKey`]: the data key inside.
pub async fn decrypt(mut req: Request, ctx: Ctx) -> Answer {
    let mut profile = Profile::start();
    let company = service(&req, &ctx)?;
    profile.mark("auth");
    let DecryptDataKey { wrapped } = body::json(&mut req).await?;
    if wrapped.len() > 4096 {
        return Err(EdgeError::field("wrapped", "is too long"));
    }
    profile.mark("body");
    let data = do_client::relay(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::DecryptDataKey { wrapped },
    )
    .await?;
    profile.mark("do");
    let resp = no_store(data)?;
    profile.mark("serialize");
    Ok(profile.finish(resp))
}
