//! The object's command table: a [`Command`] becomes a query of the model
//! or an event for it (forms are parsed here, once; bad input is refused
//! before the model sees it, changes nothing and is not audited), and the
//! model's reply becomes the answer.

use keyswitch_shared::vaults::model::{Event, Reply};
use keyswitch_shared::vaults::{ItemList, VaultAuditEvent, WorkspaceId};
use serde::Serialize;
use worker::Response;

use super::WorkspaceVaults;
use super::commands::Command;
use super::store;
use crate::audit;
use crate::error::EdgeError;
use crate::request_id::RequestId;

type Res<T> = Result<T, EdgeError>;

fn json<T: Serialize>(value: &T) -> Res<Response> {
    Ok(Response::from_json(value)?)
}

impl WorkspaceVaults {
    /// Answers one command.
    pub(super) async fn answer(
        &self,
        workspace: &WorkspaceId,
        command: Command,
        rid: &RequestId,
    ) -> Res<Response> {
        let storage = self.state.storage();
        let event = match command {
            Command::List => return json(&self.model().await?.list(workspace)),
            Command::Get { vault } => return json(&self.model().await?.summary(&vault)?),
            Command::ListItems { vault } => {
                self.model().await?.vault(&vault)?;
                let items = store::items(&storage, &vault).await?;
                let items = items.iter().map(|i| i.summary()).collect();
                return json(&ItemList { items });
            }
            Command::Audit { query } => {
                return json(&audit::page::<VaultAuditEvent>(&storage, query).await?);
            }
            Command::Create { actor: a, form } => Event::Create {
                actor: a,
                vault: form.parse()?,
            },
            Command::SetDefault { actor: a, vault } => Event::SetDefault { actor: a, vault },
            Command::ReplaceSecret {
                actor: a,
                vault,
                form,
            } => Event::ReplaceSecret {
                actor: a,
                vault,
                secret: form.parse()?,
            },
            Command::Test { actor: a, vault } => Event::Test { actor: a, vault },
            Command::CreateItem {
                actor: a,
                vault,
                form,
            } => Event::CreateItem {
                actor: a,
                vault,
                content: form.parse()?,
            },
            Command::ReadItem {
                actor: a,
                vault,
                item,
            } => Event::ReadItem {
                actor: a,
                vault,
                item,
            },
        };
        match self.dispatch(workspace, event, rid).await? {
            Reply::Vault(v) => json(&v),
            Reply::ItemStored(i) => json(&i),
            Reply::Item(i) => json(&i),
            Reply::Failed(e) => Err(e.into()),
        }
    }
}
