//! `WorkspaceVaults`: the Durable Object that is the authority for one
//! workspace's vaults (seed 001). One object per workspace, named by the
//! workspace id.
//!
//! It decides nothing itself: it interprets the shared workspace model
//! (`keyswitch_shared::vaults::model`). For each request it runs the model's
//! `update`, writes the new model, new items and audit events in one
//! `putMultiple` (`store.rs`), carries out the effect in flight
//! (`perform.rs`: the customer's token from Entra, Key Vault, the platform
//! key, item storage) and feeds its result back to `update`, until the model
//! replies. Answers are checked against the model as it is then, so
//! requests that interleave while Azure answers cannot break its rules.
//!
//! * `commands.rs`: what the worker sends; `rpc.rs`: the command table;
//! * `store.rs`: the storage layout; `perform.rs`: the effects;
//! * `azure_app.rs`: the customer's service principal and its Key Vault
//!   calls; `envelope.rs`: the key hierarchy and its AAD.

pub mod azure_app;
pub mod commands;
pub mod envelope;
mod perform;
mod rpc;
mod store;

use std::cell::RefCell;
use std::collections::VecDeque;

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::WorkspaceId;
use keyswitch_shared::vaults::model::{Ctx, Effect, Event, Reply, Workspace, update};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::error::{EdgeError, respond};
use crate::request_id::RequestId;
use commands::Command;
use perform::{Means, Session};

type Res<T> = std::result::Result<T, EdgeError>;

/// One per workspace, named by the workspace id.
#[durable_object]
pub struct WorkspaceVaults {
    state: State,
    env: Env,
    /// The model as last written (read once per instance).
    model: RefCell<Option<Workspace>>,
}

impl DurableObject for WorkspaceVaults {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            model: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let id = RequestId::forwarded(&req);
        respond(&id, self.route(req).await)
    }
}

impl WorkspaceVaults {
    async fn route(&self, mut req: Request) -> Res<Response> {
        let url = req.url()?;
        let workspace: WorkspaceId = url
            .path_segments()
            .and_then(|mut s| s.next().map(str::to_owned))
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| EdgeError::field("workspace", "missing"))?;
        let command: Command = req.json().await?;
        self.answer(&workspace, command).await
    }

    /// The model: from memory, or read once from storage.
    async fn model(&self) -> Res<Workspace> {
        if let Some(model) = self.model.borrow().as_ref() {
            return Ok(model.clone());
        }
        let loaded = store::load(&self.state.storage()).await?;
        *self.model.borrow_mut() = Some(loaded.clone());
        Ok(loaded)
    }

    fn ctx(workspace: &WorkspaceId) -> Res<Ctx> {
        let mut fresh = [0u8; 16];
        getrandom::fill(&mut fresh)?;
        Ok(Ctx {
            workspace: workspace.clone(),
            now_ms: crate::clock::now_ms(),
            fresh,
        })
    }

    /// Runs one request through the model until it replies: `update`,
    /// persist (model, items and audit events in one `putMultiple`),
    /// perform the effect in flight, feed its answer back.
    async fn dispatch(&self, workspace: &WorkspaceId, first: Event) -> Res<Reply> {
        let storage = self.state.storage();
        let means = Means {
            env: &self.env,
            storage: &storage,
            workspace: workspace.as_str(),
        };
        let mut session = Session::default();
        let mut queue = VecDeque::from([first]);
        let mut reply = None;
        while let Some(event) = queue.pop_front() {
            let model = self.model().await?;
            let (next, effects) = update(&model, event, &Self::ctx(workspace)?)?;
            let mut items = Vec::new();
            let mut events = Vec::new();
            let mut in_flight = Vec::new();
            for effect in effects {
                match effect {
                    Effect::PutItem(item) => items.push(item),
                    Effect::Audit(event) => events.push(event),
                    Effect::Reply(r) => reply = Some(r),
                    other => in_flight.push(other),
                }
            }
            store::persist(&storage, &model, &next, &items, events).await?;
            *self.model.borrow_mut() = Some(next);
            for effect in in_flight {
                queue.push_back(means.perform(effect, &mut session).await?);
            }
        }
        reply.ok_or_else(|| {
            worker::console_error!("the workspace model ended a request without a reply");
            CatalogError::Internal.into()
        })
    }
}
