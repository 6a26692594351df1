//! `CompanyKms`: the Durable Object that holds one company's KMS state, and
//! carries out what the shared model decides. It decides nothing itself:
//! every request and the alarm become an [`Event`]; [`update`] returns the
//! next model and the effects; the object persists the model with its audit
//! entries in one transaction, performs the effects (outside calls, alarm)
//! and feeds their results back as events (see `run`).
//!
//! Storage: see `store.rs`. The unwrapped company key is cached in memory
//! only, briefly (see `keys.rs`).

mod check;
pub mod commands;
mod keys;
mod perform;
mod read_copy;
mod rpc;
mod store;

use std::cell::RefCell;
use std::collections::VecDeque;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyswitch_shared::api::{CompanyKeyExport, ExportVerification};
use keyswitch_shared::notify::NotifyPolicy;
use keyswitch_shared::switch::{Company, Ctx, Effect, Event, Policy, Reply, refusal, update};
use keyswitch_shared::{CatalogError, CompanyId};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::config;
use crate::error::{EdgeError, respond};
use crate::request_id::RequestId;

type Res<T> = std::result::Result<T, EdgeError>;

/// One per company, named by the company id.
#[cfg_attr(feature = "company-objects", durable_object)]
pub struct CompanyKms {
    state: State,
    env: Env,
    /// The model, as last loaded or written (see `store.rs`).
    model: RefCell<Option<Company>>,
    /// The unwrapped company key, briefly (see `keys.rs`).
    key_cache: RefCell<Option<keys::CachedKey>>,
    /// The KV read copy this instance last wrote (see `read_copy.rs`).
    read_copy: RefCell<Option<keyswitch_shared::read_copy::KmsReadCopy>>,
    /// The sweep mark written with it.
    read_copy_mark: std::cell::Cell<Option<keyswitch_shared::read_copy::SweepMark>>,
    /// The deployment's policy, read from the vars once per instance (they
    /// are fixed for its life; a `GET …/kms` used to read them three times).
    policy: std::cell::OnceCell<Policy>,
}

#[cfg(feature = "company-objects")]
impl DurableObject for CompanyKms {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            model: RefCell::new(None),
            key_cache: RefCell::new(None),
            read_copy: RefCell::new(None),
            read_copy_mark: std::cell::Cell::new(None),
            policy: std::cell::OnceCell::new(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let id = RequestId::forwarded(&req);
        respond(&id, self.route(&id, req).await)
    }

    /// Whatever is due: an expired lease, a finalization retry, expired states.
    async fn alarm(&self) -> Result<Response> {
        // An unsafe deployed configuration makes no outside call (guard.rs).
        if let Err(e) = crate::guard::check(&self.env) {
            return Err(worker::Error::RustError(format!("alarm refused: {e}")));
        }
        match self.stored().await {
            Ok(Some(model)) => {
                // The alarm's own id: its audit entries and log lines carry it.
                let rid = RequestId::alarm();
                worker::console_log!("request {rid}: alarm of company {}", model.company_id());
                if let Err(e) = self.run(&rid, model.company_id(), Event::Tick).await {
                    worker::console_error!(
                        "request {rid}: alarm of company {}: {}",
                        model.company_id(),
                        e.chain()
                    );
                    return Err(worker::Error::RustError(format!("alarm failed: {e}")));
                }
            }
            Ok(None) => {}
            Err(e) => {
                worker::console_error!("alarm: loading the model failed: {}", e.chain());
                return Err(worker::Error::RustError(format!("alarm failed: {e}")));
            }
        }
        Response::ok("")
    }
}

/// What one run produced for its caller besides the model.
#[derive(Default)]
struct Outcome {
    replies: Vec<Reply>,
    export: Option<CompanyKeyExport>,
    /// The model re-armed a lost alarm (the sweep's answer).
    restored: bool,
}

fn random_token() -> Res<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl CompanyKms {
    /// The context of one update; `nonce` when the caller already used the
    /// random part (a sign-in URL carries it), else a fresh one.
    fn ctx(&self, nonce: Option<String>) -> Res<Ctx> {
        let nonce = match nonce {
            Some(n) => n,
            None => random_token()?,
        };
        Ok(Ctx {
            now_ms: crate::clock::now_ms(),
            nonce,
            policy: self.policy(),
        })
    }

    /// The deployment's policy, from the worker's vars.
    fn policy(&self) -> Policy {
        self.policy.get_or_init(|| self.read_policy()).clone()
    }

    fn read_policy(&self) -> Policy {
        Policy {
            consent_ttl_secs: config::consent_max_age_secs(&self.env),
            state_ttl_ms: config::state_ttl_ms(&self.env),
            retry_base_ms: config::finalize_retry_base_ms(&self.env),
            export_window_secs: config::export_window_secs(&self.env),
            test_interval_ms: config::connection_test_interval_ms(&self.env),
            health: config::health_schedule(&self.env),
            key_cache_secs: config::key_cache_secs(&self.env),
            backup_set_count_max_age_ms: config::backup_set_count_max_age_ms(&self.env),
            connectors: crate::azure::cloud::connectors(&self.env),
            notify: NotifyPolicy {
                enabled: config::webhook_url(&self.env).is_some(),
                retry_base_ms: config::finalize_retry_base_ms(&self.env),
                ..NotifyPolicy::default()
            },
            ..Policy::default()
        }
    }

    /// The export window now, and the re-verification's state.
    async fn export_view(&self, company: &CompanyId) -> Res<ExportVerification> {
        let model = self.load(company).await?;
        Ok(model.export_verification(crate::clock::now_secs(), &self.policy()))
    }

    /// The interpreter: applies `first`, persists, performs the effects and
    /// applies their results, until nothing is left. A refused first event
    /// is the caller's error; a refused result (stale: its step was
    /// cancelled or expired meanwhile) is logged and dropped.
    async fn run(&self, rid: &RequestId, company: &CompanyId, first: Event) -> Res<Outcome> {
        self.run_with_nonce(rid, company, first, None).await
    }

    /// [`Self::run`] whose first update uses `nonce` as its random part.
    async fn run_with_nonce(
        &self,
        rid: &RequestId,
        company: &CompanyId,
        first: Event,
        mut nonce: Option<String>,
    ) -> Res<Outcome> {
        let mut out = Outcome::default();
        let mut queue = VecDeque::from([first]);
        let mut is_first = true;
        while let Some(event) = queue.pop_front() {
            let model = self.load(company).await?;
            let name = event.name();
            let ctx = self.ctx(nonce.take())?;
            let refused = is_first.then(|| event.clone());
            let (next, effects) = match update(&model, event, &ctx) {
                Ok(step) => step,
                Err(e) if is_first => {
                    // The model says whether (and how) a refusal is recorded.
                    let recorded = refused.and_then(|ev| refusal(&model, &ev, &e, &ctx));
                    if let Some((next, effects)) = recorded {
                        let audits: Vec<_> = effects
                            .into_iter()
                            .filter_map(|x| match x {
                                Effect::Audit(entry) => Some(entry),
                                _ => None,
                            })
                            .collect();
                        self.persist(rid, &next, &audits).await?;
                    }
                    return Err(e.into());
                }
                Err(e) => {
                    worker::console_warn!(
                        "company {company}: result {name} not applied: {} ({e})",
                        e.code()
                    );
                    continue;
                }
            };
            is_first = false;
            out.restored |= effects.iter().any(
                |e| matches!(e, Effect::Audit(a) if a.action == keyswitch_shared::AuditAction::AlarmRestored),
            );
            let audits: Vec<_> = effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Audit(entry) => Some(entry.clone()),
                    _ => None,
                })
                .collect();
            if next != model || !audits.is_empty() {
                self.persist(rid, &next, &audits).await?;
            }
            for effect in effects {
                if let Some(result) = self.perform(&next, effect, &ctx, &mut out).await? {
                    queue.push_back(result);
                }
            }
        }
        self.write_read_copy(company).await;
        Ok(out)
    }

    async fn route(&self, rid: &RequestId, mut req: Request) -> Res<Response> {
        let company: CompanyId = crate::wire::addressee(&req)
            .parse()
            .map_err(CatalogError::from)?;
        let command = crate::wire::decode(&mut req).await?;
        self.dispatch(rid, &company, command).await
    }
}
