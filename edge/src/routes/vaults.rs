//! `/api/workspaces/:workspace/vaults…`: vault management (seed 001) and the
//! items stored in vaults. Every handler authenticates the session and
//! checks the role for the workspace (Workspace Owner, Super Admin or Admin
//! to manage vaults; any workspace role for items), then asks the
//! workspace's Durable Object. Except for the trail, the object's answer
//! is relayed as it wrote it (`do_client::relay`), not decoded and encoded
//! again in the worker.

use keyswitch_shared::vaults::{
    CreateVaultForm, ItemForm, ItemId, ReplaceSecretForm, VaultAuditTrail, VaultId, WorkspaceId,
};
use keyswitch_shared::{Actor, CatalogError};
use serde::Serialize;
use worker::{Request, Response};

use super::{Answer, Ctx, body};
use crate::audit;
use crate::do_client;
use crate::error::EdgeError;
use crate::session;
use crate::workspace::commands::Command;

type Res<T> = std::result::Result<T, EdgeError>;

/// Who may do what.
#[derive(Clone, Copy)]
enum Need {
    /// Manage vaults: Workspace Owner, Super Admin, Admin.
    Manage,
    /// Store and read items: any workspace role.
    Use,
}

/// Authenticates, validates the workspace id and checks the role.
async fn caller(req: &Request, ctx: &Ctx, need: Need) -> Res<(Actor, WorkspaceId)> {
    let actor = session::authenticate(req, &ctx.env).await?;
    let raw = ctx
        .param("workspace")
        .map(String::as_str)
        .unwrap_or_default();
    let workspace: WorkspaceId = raw.parse().map_err(|_| {
        EdgeError::field(
            "workspace",
            "The workspace ID must be 1 to 64 letters, digits, '-' or '_'",
        )
    })?;
    let allowed = match need {
        Need::Manage => actor.may_manage_vaults(workspace.as_str()),
        Need::Use => actor.may_use_items(workspace.as_str()),
    };
    if !allowed {
        return Err(CatalogError::ForbiddenVaultRole.into());
    }
    Ok((actor, workspace))
}

fn vault_id(ctx: &Ctx) -> Res<VaultId> {
    Ok(VaultId::from_path(
        ctx.param("vault").map(String::as_str).unwrap_or_default(),
    )?)
}

fn item_id(ctx: &Ctx) -> Res<ItemId> {
    Ok(ItemId::from_path(
        ctx.param("item").map(String::as_str).unwrap_or_default(),
    )?)
}

fn reply<T: Serialize>(status: u16, value: &T) -> Res<Response> {
    let resp = Response::from_json(value)?.with_status(status);
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// The workspace object's answer, relayed as the object wrote it
/// ([`do_client::relay`]): the same JSON, status and headers as [`reply`].
fn reply_json(status: u16, json: String) -> Res<Response> {
    let resp = super::relayed(json)?.with_status(status);
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET …/vaults`: the vault table.
pub async fn list(req: Request, ctx: Ctx) -> Answer {
    let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
    let list = do_client::relay(&ctx.env, &ctx.data, &ws, &Command::List).await?;
    reply_json(200, list)
}

/// `POST …/vaults` [`CreateVaultForm`]: Create new vault → 201 [`VaultSummary`](keyswitch_shared::vaults::VaultSummary).
pub async fn create(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
    let form: CreateVaultForm = body::json(&mut req).await?;
    let vault =
        do_client::relay(&ctx.env, &ctx.data, &ws, &Command::Create { actor, form }).await?;
    reply_json(201, vault)
}

/// `GET …/vaults/:vault`.
pub async fn get(req: Request, ctx: Ctx) -> Answer {
    let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
    let vault = vault_id(&ctx)?;
    let v = do_client::relay(&ctx.env, &ctx.data, &ws, &Command::Get { vault }).await?;
    reply_json(200, v)
}

/// `POST …/vaults/:vault/default`: make it the (only) default vault.
pub async fn set_default(req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
    let vault = vault_id(&ctx)?;
    let v = do_client::relay(
        &ctx.env,
        &ctx.data,
        &ws,
        &Command::SetDefault { actor, vault },
    )
    .await?;
    reply_json(200, v)
}

/// `PUT …/vaults/:vault/client-secret` [`ReplaceSecretForm`]: tests the
/// connection with the new secret, then stores it.
pub async fn replace_secret(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
    let vault = vault_id(&ctx)?;
    let form: ReplaceSecretForm = body::json(&mut req).await?;
    let v = do_client::relay(
        &ctx.env,
        &ctx.data,
        &ws,
        &Command::ReplaceSecret { actor, vault, form },
    )
    .await?;
    reply_json(200, v)
}

/// `POST …/vaults/:vault/test`: test the stored connection again.
pub async fn test(req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
    let vault = vault_id(&ctx)?;
    let v = do_client::relay(&ctx.env, &ctx.data, &ws, &Command::Test { actor, vault }).await?;
    reply_json(200, v)
}

/// `GET …/vaults/:vault/items`: item metadata.
pub async fn list_items(req: Request, ctx: Ctx) -> Answer {
    let (_, ws) = caller(&req, &ctx, Need::Use).await?;
    let vault = vault_id(&ctx)?;
    let items = do_client::relay(&ctx.env, &ctx.data, &ws, &Command::ListItems { vault }).await?;
    reply_json(200, items)
}

/// `POST …/vaults/:vault/items` [`ItemForm`] → 201 [`ItemSummary`](keyswitch_shared::vaults::ItemSummary).
pub async fn create_item(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Use).await?;
    let vault = vault_id(&ctx)?;
    let form: ItemForm = body::json(&mut req).await?;
    let item = do_client::relay(
        &ctx.env,
        &ctx.data,
        &ws,
        &Command::CreateItem { actor, vault, form },
    )
    .await?;
    reply_json(201, item)
}

/// `GET …/vaults/:vault/items/:item`: the decrypted item.
pub async fn read_item(req: Request, ctx: Ctx) -> Answer {
    let (actor, ws) = caller(&req, &ctx, Need::Use).await?;
    let vault = vault_id(&ctx)?;
    let item = item_id(&ctx)?;
    let item = do_client::relay(
        &ctx.env,
        &ctx.data,
        &ws,
        &Command::ReadItem { actor, vault, item },
    )
    .await?;
    reply_json(200, item)
}

/// `GET /api/workspaces/:workspace/vault-audit?cursor=<seq>&limit=N`: one
/// page of the trail, newest first.
pub async fn audit(req: Request, ctx: Ctx) -> Answer {
    let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
    let query = audit::Query::from_url(&req.url()?)?;
    let trail: VaultAuditTrail =
        do_client::call(&ctx.env, &ctx.data, &ws, &Command::Audit { query }).await?;
    reply(200, &trail)
}

/// `GET /api/workspaces/:workspace/vault-audit/download?format=csv|jsonl&action=…&outcome=…`:
/// every event of the vault trail that passes the filter, newest first, as
/// a file (streamed page by page, like the company trail's).
pub async fn audit_download(req: Request, ctx: Ctx) -> Answer {
    let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
    let (format, filter) = super::audit::download_query(&req.url()?)?;
    let name = keyswitch_shared::audit_export::vault_file_name(&ws, crate::clock::now_ms(), format);
    let source = super::audit::Source {
        env: ctx.env.clone(),
        rid: ctx.data.clone(),
        owner: ws,
        filter,
        command: |query| Command::Audit { query },
    };
    super::audit::stream::<_, keyswitch_shared::vaults::VaultAuditEvent>(source, format, &name)
        .await
}
