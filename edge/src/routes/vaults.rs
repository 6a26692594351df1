//! `/api/workspaces/:workspace/vaults…`: vault management (seed 001) and the
//! items stored in vaults. Every handler authenticates the session and
//! checks the role for the workspace (Workspace Owner, Super Admin or Admin
//! to manage vaults; any workspace role for items), then asks the
//! workspace's Durable Object.

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::{
    CreateVaultForm, Item, ItemForm, ItemId, ItemList, ItemSummary, ReplaceSecretForm,
    VaultAuditTrail, VaultId, VaultList, VaultSummary, WorkspaceId,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Request, Response, Result, RouteContext};

use crate::audit;
use crate::do_client;
use crate::error::{EdgeError, respond};
use crate::session::{self, Actor};
use crate::workspace::commands::Command;

/// Largest request body accepted.
const MAX_BODY: usize = 32 * 1024;

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
async fn caller(req: &Request, ctx: &RouteContext<()>, need: Need) -> Res<(Actor, WorkspaceId)> {
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
    let role = audit::role_of(&actor);
    let listed = actor.companies.iter().any(|w| w == workspace.as_str());
    let allowed = match need {
        Need::Manage => role.manages_vaults(),
        Need::Use => role.uses_items(),
    };
    if !(allowed && listed) {
        return Err(CatalogError::ForbiddenVaultRole.into());
    }
    Ok((actor, workspace))
}

fn vault_id(ctx: &RouteContext<()>) -> Res<VaultId> {
    Ok(VaultId::from_path(
        ctx.param("vault").map(String::as_str).unwrap_or_default(),
    )?)
}

fn item_id(ctx: &RouteContext<()>) -> Res<ItemId> {
    Ok(ItemId::from_path(
        ctx.param("item").map(String::as_str).unwrap_or_default(),
    )?)
}

/// Reads a JSON body into `T`, refusing anything else with a clear 400 that
/// never echoes the values sent (they may hold secrets).
async fn body<T: DeserializeOwned>(req: &mut Request) -> Res<T> {
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_BODY {
        return Err(EdgeError::field("body", "The request body is too large"));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| EdgeError::field("body", "The request body is not valid JSON"))?;
    if !value.is_object() {
        return Err(EdgeError::field(
            "body",
            "The request body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        match text
            .strip_prefix("unknown field `")
            .and_then(|r| r.split_once('`'))
        {
            Some((name, _)) => {
                let name: String = name.chars().take(40).collect();
                EdgeError::field(&name, "is not a known field")
            }
            None => EdgeError::field(
                "body",
                "A field is missing or has the wrong type (text, true/false or an object)",
            ),
        }
    })
}

fn reply<T: Serialize>(status: u16, value: &T) -> Res<Response> {
    let resp = Response::from_json(value)?.with_status(status);
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET …/vaults`: the vault table.
pub async fn list(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
            let list: VaultList = do_client::call(&ctx.env, &ws, &Command::List).await?;
            reply(200, &list)
        }
        .await,
    )
}

/// `POST …/vaults` [`CreateVaultForm`]: Create new vault → 201 [`VaultSummary`].
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
            let form: CreateVaultForm = body(&mut req).await?;
            let vault: VaultSummary =
                do_client::call(&ctx.env, &ws, &Command::Create { actor, form }).await?;
            reply(201, &vault)
        }
        .await,
    )
}

/// `GET …/vaults/:vault`.
pub async fn get(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
            let vault = vault_id(&ctx)?;
            let v: VaultSummary = do_client::call(&ctx.env, &ws, &Command::Get { vault }).await?;
            reply(200, &v)
        }
        .await,
    )
}

/// `POST …/vaults/:vault/default`: make it the (only) default vault.
pub async fn set_default(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
            let vault = vault_id(&ctx)?;
            let v: VaultSummary =
                do_client::call(&ctx.env, &ws, &Command::SetDefault { actor, vault }).await?;
            reply(200, &v)
        }
        .await,
    )
}

/// `PUT …/vaults/:vault/client-secret` [`ReplaceSecretForm`]: tests the
/// connection with the new secret, then stores it.
pub async fn replace_secret(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
            let vault = vault_id(&ctx)?;
            let form: ReplaceSecretForm = body(&mut req).await?;
            let v: VaultSummary = do_client::call(
                &ctx.env,
                &ws,
                &Command::ReplaceSecret { actor, vault, form },
            )
            .await?;
            reply(200, &v)
        }
        .await,
    )
}

/// `POST …/vaults/:vault/test`: test the stored connection again.
pub async fn test(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Manage).await?;
            let vault = vault_id(&ctx)?;
            let v: VaultSummary =
                do_client::call(&ctx.env, &ws, &Command::Test { actor, vault }).await?;
            reply(200, &v)
        }
        .await,
    )
}

/// `GET …/vaults/:vault/items`: item metadata.
pub async fn list_items(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (_, ws) = caller(&req, &ctx, Need::Use).await?;
            let vault = vault_id(&ctx)?;
            let items: ItemList =
                do_client::call(&ctx.env, &ws, &Command::ListItems { vault }).await?;
            reply(200, &items)
        }
        .await,
    )
}

/// `POST …/vaults/:vault/items` [`ItemForm`] → 201 [`ItemSummary`].
pub async fn create_item(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Use).await?;
            let vault = vault_id(&ctx)?;
            let form: ItemForm = body(&mut req).await?;
            let item: ItemSummary =
                do_client::call(&ctx.env, &ws, &Command::CreateItem { actor, vault, form }).await?;
            reply(201, &item)
        }
        .await,
    )
}

/// `GET …/vaults/:vault/items/:item`: the decrypted item.
pub async fn read_item(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, ws) = caller(&req, &ctx, Need::Use).await?;
            let vault = vault_id(&ctx)?;
            let item = item_id(&ctx)?;
            let item: Item =
                do_client::call(&ctx.env, &ws, &Command::ReadItem { actor, vault, item }).await?;
            reply(200, &item)
        }
        .await,
    )
}

/// `GET /api/workspaces/:workspace/vault-audit?cursor=<seq>&limit=N`: one
/// page of the trail, newest first.
pub async fn audit(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (_, ws) = caller(&req, &ctx, Need::Manage).await?;
            let query = audit::Query::from_url(&req.url()?)?;
            let trail: VaultAuditTrail =
                do_client::call(&ctx.env, &ws, &Command::Audit { query }).await?;
            reply(200, &trail)
        }
        .await,
    )
}
