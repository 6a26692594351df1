//! `WorkspaceVaults`: the Durable Object that is the authority for one
//! workspace's vaults (seed 001). One object per workspace, named by the
//! workspace id. Its alarm runs the vaults' health checks: after every
//! request and every alarm it is set to the model's next deadline
//! ([`Workspace::next_deadline_ms`]), and the alarm feeds [`Event::Tick`].
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
#[cfg_attr(feature = "vault-objects", durable_object)]
pub struct WorkspaceVaults {
    state: State,
    env: Env,
    /// The model as last written (read once per instance).
    model: RefCell<Option<Workspace>>,
    /// The workspace, once recorded in storage by this instance.
    recorded: RefCell<Option<WorkspaceId>>,
}

#[cfg(feature = "vault-objects")]
impl DurableObject for WorkspaceVaults {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            model: RefCell::new(None),
            recorded: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let id = RequestId::forwarded(&req);
        let answer = self.route(req, &id).await;
        respond(&id, answer)
    }

    /// The health checks that are due (one per alarm; the alarm is set
    /// again at once when another is due).
    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = crate::guard::check(&self.env) {
            return Err(worker::Error::RustError(format!("alarm refused: {e}")));
        }
        let workspace = match store::workspace_id(&self.state.storage()).await {
            Ok(Some(w)) => w,
            Ok(None) => return Response::ok(""),
            Err(e) => return Err(worker::Error::RustError(format!("alarm: {e}"))),
        };
        let rid = RequestId::alarm();
        if let Err(e) = self.run(&workspace, Event::Tick, &rid).await {
            worker::console_error!(
                "alarm {} of workspace {workspace}: {}",
                rid.as_str(),
                e.chain()
            );
            return Err(worker::Error::RustError(format!("alarm failed: {e}")));
        }
        Response::ok("")
    }
}

/// Time between two health checks of a vault (`HEALTH_CHECK_INTERVAL_SECONDS`,
/// default 300 s, at least 1 s).
fn health_interval_ms(env: &Env) -> u64 {
    env.var("HEALTH_CHECK_INTERVAL_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(keyswitch_shared::vaults::health::CHECK_INTERVAL_MS, |s| {
            s.saturating_mul(1000)
        })
}

impl WorkspaceVaults {
    async fn route(&self, mut req: Request, rid: &RequestId) -> Res<Response> {
        let workspace: WorkspaceId = crate::wire::addressee(&req)
            .parse()
            .map_err(|_| EdgeError::field("workspace", "missing"))?;
        self.record(&workspace).await?;
        let command: Command = crate::wire::decode(&mut req).await?;
        self.answer(&workspace, command, rid).await
    }

    /// Records which workspace this object serves (once per instance).
    async fn record(&self, workspace: &WorkspaceId) -> Res<()> {
        if self.recorded.borrow().as_ref() == Some(workspace) {
            return Ok(());
        }
        let storage = self.state.storage();
        if store::workspace_id(&storage).await?.as_ref() != Some(workspace) {
            store::put_workspace_id(&storage, workspace).await?;
        }
        *self.recorded.borrow_mut() = Some(workspace.clone());
        Ok(())
    }

    /// The alarm at the model's next deadline (none without an Azure vault).
    async fn arm(&self, model: &Workspace) -> Res<()> {
        let storage = self.state.storage();
        match model.next_deadline_ms() {
            Some(at) => {
                let offset = at.saturating_sub(crate::clock::now_ms());
                let offset = i64::try_from(offset).unwrap_or(i64::MAX).max(1);
                storage.set_alarm(offset).await?;
            }
            None => storage.delete_alarm().await?,
        }
        Ok(())
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

    fn ctx(&self, workspace: &WorkspaceId) -> Res<Ctx> {
        let mut fresh = [0u8; 16];
        getrandom::fill(&mut fresh)?;
        Ok(Ctx {
            workspace: workspace.clone(),
            now_ms: crate::clock::now_ms(),
            fresh,
            health_interval_ms: health_interval_ms(&self.env),
            notify: keyswitch_shared::notify::NotifyPolicy {
                enabled: crate::config::webhook_url(&self.env).is_some(),
                retry_base_ms: crate::config::finalize_retry_base_ms(&self.env),
                ..keyswitch_shared::notify::NotifyPolicy::default()
            },
        })
    }

    /// Runs one request through the model until it replies: `update`,
    /// persist (model, items and audit events in one `putMultiple`),
    /// perform the effect in flight, feed its answer back.
    async fn dispatch(&self, workspace: &WorkspaceId, first: Event, rid: &RequestId) -> Res<Reply> {
        self.run(workspace, first, rid).await?.ok_or_else(|| {
            worker::console_error!("the workspace model ended a request without a reply");
            CatalogError::Internal.into()
        })
    }

    /// [`Self::dispatch`] without requiring a reply (the alarm's checks
    /// answer nobody); sets the alarm to the next deadline at the end. The
    /// audit events it writes carry `rid` (the request, or the alarm run).
    async fn run(
        &self,
        workspace: &WorkspaceId,
        first: Event,
        rid: &RequestId,
    ) -> Res<Option<Reply>> {
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
            let webhook_answer = matches!(event, Event::WebhookAnswered { .. });
            let (next, effects) = match update(&model, event, &self.ctx(workspace)?) {
                Ok(step) => step,
                // A webhook answer whose send is gone (answered twice):
                // logged and dropped; the request goes on. Any other
                // refusal is the request's answer (an unknown item: 404).
                Err(e) if webhook_answer => {
                    worker::console_warn!(
                        "workspace {workspace}: a result not applied: {}",
                        e.code()
                    );
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut items = Vec::new();
            let mut events = Vec::new();
            let mut in_flight = Vec::new();
            for effect in effects {
                match effect {
                    Effect::PutItem(item) => items.push(item),
                    Effect::Audit(mut event) => {
                        event.request_id = Some(rid.as_str().to_owned());
                        events.push(event);
                    }
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
        self.arm(&self.model().await?).await?;
        Ok(reply)
    }
}
