//! `/api/companies/:company/kms…`: Manage KMS. Every handler authenticates
//! the session, checks the role for the company, then asks the company's
//! Durable Object.

use keyswitch_shared::api::StartSwitch;
use keyswitch_shared::{Actor, CatalogError, CompanyId, KeyName, VaultUri};
use worker::{Env, Request, Response};

use super::overview::{self, ViewText};
use super::{Answer, Ctx, body};
use crate::azure::entra::Entra;
use crate::company::commands::Command;
use crate::do_client;
use crate::error::EdgeError;
use crate::guidance::{self, GuidedSetup};
use crate::profile::Profile;
use crate::session;

type Res<T> = std::result::Result<T, EdgeError>;

/// Authenticates, validates the company id and checks the role.
pub(crate) async fn caller(req: &Request, ctx: &Ctx) -> Res<(Actor, CompanyId)> {
    let actor = session::authenticate(req, &ctx.env).await?;
    let raw = ctx.param("company").map(String::as_str).unwrap_or_default();
    let company: CompanyId = raw.parse().map_err(CatalogError::from)?;
    session::authorise(&actor, &company)?;
    Ok((actor, company))
}

/// Turns the object's view (its JSON text) into the action answer (with
/// the consent URL when a consent sign-in was issued): see [`overview`].
pub(crate) fn answer(env: &Env, company: &CompanyId, view: &str) -> Answer {
    Ok(super::relayed(overview::answer(env, company, view, None)?)?)
}

/// `GET …/kms`: provider, stage, pending setup and inventory size. The
/// backup-set count is the one the company's model kept from its latest
/// inventory read (0 when it never read one; the object reads it again
/// when it is due).
pub async fn get_status(req: Request, ctx: Ctx) -> Answer {
    let mut profile = Profile::start();
    let (_, company) = caller(&req, &ctx).await?;
    profile.mark("session");
    // The object reads the inventory only when the kept count is due.
    let view = do_client::relay(&ctx.env, &ctx.data, &company, &Command::View).await?;
    profile.mark("do");
    let resp = super::relayed(overview::overview(&ctx.env, &company, &view)?)?;
    profile.mark("serialize");
    Ok(profile.finish(resp))
}

/// `POST …/kms/switch` [`StartSwitch`]: Test Connection. Starts (or edits)
/// the setup without calling the vault: the company's object answers the
/// consent sign-in URL when this company has proven no consent, else the
/// setup waits for the role assignment (or the test runs).
pub async fn post_switch(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    let start: StartSwitch = body::json(&mut req).await?;
    let vault_uri: VaultUri = start.vault_uri.parse().map_err(CatalogError::from)?;
    crate::azure::cloud::check(&ctx.env, &vault_uri)?;
    let key_name: KeyName = start.key_name.parse().map_err(CatalogError::from)?;
    let view = do_client::relay(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::Start {
            actor,
            vault_uri,
            key_name,
        },
    )
    .await?;
    answer(&ctx.env, &company, &view)
}

/// `POST …/kms/consent`: a new admin-consent URL for the pending setup.
pub async fn post_consent(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::IssueConsent { actor }).await
}

/// `POST …/kms/test`: Completed — run the connection test.
pub async fn post_test(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::Test { actor }).await
}

/// `POST …/kms/save`: list the tenants of the backup sets to verify.
pub async fn post_save(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::Save { actor }).await
}

/// `POST …/kms/cancel`: cancel the pending setup.
pub async fn post_cancel(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::Cancel { actor }).await
}

/// `POST …/kms/refresh`: read the inventory again.
pub async fn post_refresh(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::Refresh { actor }).await
}

/// `POST …/kms/confirm-no-tenants`: the inventory lists no backup set; the
/// admin confirms that there is nothing to verify.
pub async fn post_confirm_no_tenants(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::ConfirmNoTenants { actor }).await
}

/// `POST …/kms/rewrap`: *Re-wrap now* — re-wrap the company key with the
/// Azure key's current version (nothing to do when it is the recorded one).
pub async fn post_rewrap(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::Rewrap { actor }).await
}

/// `POST …/kms/check`: *Check configuration* — every check at once, of the
/// pending setup's key (before Save with the re-wrap dry run) or of the key
/// in force; changes nothing; answers the report (`CheckReport`).
pub async fn post_check(req: Request, ctx: Ctx) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    // The object's `CheckReport`, relayed as it wrote it (do_client::relay).
    let report = do_client::relay(&ctx.env, &ctx.data, &company, &Command::Check { actor }).await?;
    Ok(super::relayed(report)?)
}

/// An action without a body: the object's view after it, as [`KmsAnswer`].
async fn action(req: Request, ctx: Ctx, command: fn(Actor) -> Command) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    let view = do_client::relay(&ctx.env, &ctx.data, &company, &command(actor)).await?;
    answer(&ctx.env, &company, &view)
}

/// `POST …/kms/health/check`: *Check now* — check the key's health at once
/// (one GET of the key, and the wrap/unwrap probe when due); answers the
/// state after the check. At most one per company per the connection
/// test's interval (429 `rate_limited`); 409 `conflict` when the provider
/// is not Azure Key Vault.
pub async fn post_check_now(req: Request, ctx: Ctx) -> Answer {
    action(req, ctx, |actor| Command::CheckNow { actor }).await
}

/// `GET …/kms/role-assignment`: the az commands and portal steps.
pub async fn get_role_assignment(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let view = do_client::relay(&ctx.env, &ctx.data, &company, &Command::View).await?;
    let pending: Option<GuidedSetup> = serde_json::from_str(ViewText::parse(&view)?.pending.get())?;
    let pending = pending.ok_or_else(|| CatalogError::Conflict {
        reason: "No Azure Key Vault setup is pending".into(),
    })?;
    let entra = Entra::for_vault(&ctx.env, &pending.vault_uri)?;
    Ok(Response::from_json(&guidance::build(
        &company,
        &pending,
        entra.client_id(),
    ))?)
}
