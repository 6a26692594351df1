//! The Manage KMS screen's state, shared with every step through context:
//! the company's KMS state as the edge last reported it, one dispatcher for
//! every operation with the last failure, the popups, and one poller.

use std::time::Duration;

use keyswitch_shared::api::{
    KmsAnswer, KmsOverview, PendingSetup, StartSwitch, VerifyTenantRequest,
};
use keyswitch_shared::switch::{SetupField, SetupStep, Stage, TenantRef};
use leptos::prelude::*;

use crate::job::Job;
use wasm_bindgen::JsCast;

use super::popup::Popup;
use crate::api::{self, ApiError};
use crate::fetched::Fetched;
use crate::session::SessionState;

/// What the admin can ask the edge to do on this screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Test Connection with these values: start (or restart) the switch.
    Start(StartSwitch),
    /// Grant admin consent (again).
    Grant,
    /// Completed, or "I've granted consent": run the connection test.
    Test,
    /// Save: list the tenants to verify.
    Save,
    /// Read the backup sets again.
    Refresh,
    /// No backup set: confirm there is nothing to verify.
    ConfirmNoTenants,
    /// Verify one tenant (its admin signs in).
    Verify(TenantRef),
    /// Cancel pending setup.
    Cancel,
    /// *Check now*: check the key in force at once.
    CheckNow,
    /// *Re-wrap now*: re-wrap the company key with the key's current version.
    Rewrap,
}

/// Which operation, without its input: where a failure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// [`Op::Start`].
    Start,
    /// [`Op::Grant`].
    Grant,
    /// [`Op::Test`].
    Test,
    /// [`Op::Save`].
    Save,
    /// [`Op::Refresh`].
    Refresh,
    /// [`Op::ConfirmNoTenants`].
    ConfirmNoTenants,
    /// [`Op::Verify`].
    Verify,
    /// [`Op::Cancel`].
    Cancel,
    /// [`Op::CheckNow`].
    CheckNow,
    /// [`Op::Rewrap`].
    Rewrap,
}

impl Op {
    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> OpKind {
        match self {
            Self::Start(_) => OpKind::Start,
            Self::Grant => OpKind::Grant,
            Self::Test => OpKind::Test,
            Self::Save => OpKind::Save,
            Self::Refresh => OpKind::Refresh,
            Self::ConfirmNoTenants => OpKind::ConfirmNoTenants,
            Self::Verify(_) => OpKind::Verify,
            Self::Cancel => OpKind::Cancel,
            Self::CheckNow => OpKind::CheckNow,
            Self::Rewrap => OpKind::Rewrap,
        }
    }

    /// Whether it opens a sign-in popup (opened on the click, while it still
    /// counts as a user gesture).
    fn signs_in(&self) -> bool {
        matches!(self, Self::Start(_) | Self::Grant | Self::Verify(_))
    }

    async fn call(self, company: String) -> Result<Answer, ApiError> {
        let state = match self {
            Self::Start(body) => api::start_switch(&company, &body).await,
            Self::Grant => api::consent(&company).await,
            Self::Test => api::test_connection(&company).await,
            Self::Save => api::save(&company).await,
            Self::Refresh => api::refresh_tenants(&company).await,
            Self::ConfirmNoTenants => api::confirm_no_tenants(&company).await,
            Self::Cancel => api::cancel(&company).await,
            Self::CheckNow => api::check_now(&company).await,
            Self::Rewrap => api::rewrap(&company).await,
            Self::Verify(tenant) => {
                let body = VerifyTenantRequest { tenant };
                let answer = api::verify_tenant(&company, &body).await?;
                return Ok(Answer::SignIn(answer.authorize_url));
            }
        };
        state.map(|s| Answer::State(Box::new(s)))
    }
}

/// What an operation brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// The new state (and a consent URL, when the setup waits for one).
    State(Box<KmsAnswer>),
    /// Where the tenant's admin signs in.
    SignIn(String),
}

/// An operation's result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    op: OpKind,
    result: Result<Answer, ApiError>,
}

/// An answer numbered in the order answers arrived, so the newest state
/// wins whether a read or an operation brought it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arrived<T> {
    seq: u64,
    value: T,
}

/// Numbers `value` as the next answer to arrive.
fn arrive<T>(counter: StoredValue<u64>, value: T) -> Arrived<T> {
    let seq = counter
        .try_update_value(|n| {
            *n += 1;
            *n
        })
        .unwrap_or_default();
    Arrived { seq, value }
}

/// The screen's shared state. `Copy`: every field is a reactive handle.
#[derive(Clone, Copy)]
pub struct KmsStore {
    /// The company in the path.
    pub company: Signal<String>,
    /// The state as the edge last reported it (by a read or an operation).
    pub overview: Memo<Option<KmsOverview>>,
    /// Where the switch stands.
    pub stage: Memo<Option<Stage>>,
    /// The setup in progress (updates in place).
    pub pending: Memo<Option<PendingSetup>>,
    /// The last read of the state failed (cleared by the next good read).
    pub load_error: Signal<Option<ApiError>>,
    /// Notified whenever the screen should read from the edge again.
    pub reread: Trigger,
    /// The audit trail has news beyond a state change (an export).
    pub audit_news: Trigger,
    /// The role-assignment dialog is open.
    pub role_open: RwSignal<bool>,
    /// The Cancel pending setup confirmation is open.
    pub confirm_cancel: RwSignal<bool>,
    /// The consent page the browser did not let us open.
    pub consent_blocked: RwSignal<Option<String>>,
    /// A tenant's sign-in page the browser did not let us open.
    pub verify_blocked: RwSignal<Option<String>>,
    /// Arrival number of the newest state.
    latest: Memo<u64>,
    action: Job<Op, Arrived<Reply>>,
    popup: Popup,
    session: SessionState,
}

/// The store of the Manage KMS screen this component belongs to.
#[must_use]
pub fn use_kms() -> KmsStore {
    expect_context::<KmsStore>()
}

impl KmsStore {
    /// Creates the store for `company` and provides it to the screen: reads
    /// the state, re-reads it when the admin comes back from a popup or a
    /// tab, and every two seconds while the edge moves on by itself.
    pub fn provide(company: Signal<String>) -> Self {
        let arrivals = StoredValue::new(0u64);
        let reread = Trigger::new();
        let loaded = Fetched::new(move || {
            reread.track();
            let company = company.get();
            async move { arrive(arrivals, api::overview(&company).await) }
        });
        let action = Job::new(move |op: &Op| {
            let (op, company) = (op.clone(), company.get_untracked());
            async move {
                let kind = op.kind();
                let result = op.call(company).await;
                arrive(arrivals, Reply { op: kind, result })
            }
        });
        // The newest state, from a read or an operation's answer; a failed
        // read keeps the last one.
        let state = Memo::new(move |prev: Option<&Option<Arrived<KmsOverview>>>| {
            let read = loaded.with(|a| {
                let a = a.as_ref()?;
                let overview = a.value.as_ref().ok()?.clone();
                Some(Arrived {
                    seq: a.seq,
                    value: overview,
                })
            });
            let answered = action.value().with(|a| {
                let a = a.as_ref()?;
                let Ok(Answer::State(answer)) = &a.value.result else {
                    return None;
                };
                Some(Arrived {
                    seq: a.seq,
                    value: answer.kms.clone(),
                })
            });
            [prev.cloned().flatten(), read, answered]
                .into_iter()
                .flatten()
                .max_by_key(|a| a.seq)
        });
        // Unchanged state: keep the DOM (and focus, and typed text) as is.
        let overview = Memo::new(move |_| state.with(|s| s.as_ref().map(|a| a.value.clone())));
        let store = Self {
            company,
            overview,
            stage: Memo::new(move |_| overview.with(|o| o.as_ref().map(|o| o.stage))),
            pending: Memo::new(move |_| {
                overview.with(|o| o.as_ref().and_then(|o| o.pending.clone()))
            }),
            load_error: Signal::derive(move || {
                loaded.with(|a| a.as_ref().and_then(|a| a.value.as_ref().err().cloned()))
            }),
            reread,
            audit_news: Trigger::new(),
            role_open: RwSignal::new(false),
            confirm_cancel: RwSignal::new(false),
            consent_blocked: RwSignal::new(None),
            verify_blocked: RwSignal::new(None),
            latest: Memo::new(move |_| state.with(|s| s.as_ref().map_or(0, |a| a.seq))),
            action,
            popup: Popup::new(),
            session: use_context::<SessionState>().unwrap_or_default(),
        };
        provide_context(store);

        Effect::new(move |_| {
            if store
                .load_error
                .with(|e| e.as_ref().is_some_and(ApiError::is_not_signed_in))
            {
                store.session.sign_out();
            }
        });
        Effect::new(move |_| {
            if let Some(reply) = action.value().get() {
                store.take(reply.value);
            }
        });
        store.poll_while_moving();
        store.reread_after_health_check();
        store.reread_on_return();
        store
    }

    /// Asks the edge to do `op`; a sign-in popup opens now, on the click,
    /// unless the model says the admin consent it could ask for still holds
    /// (Test Connection after correcting the vault or key).
    pub fn run(self, op: Op) {
        let consent_holds = matches!(op, Op::Start(_))
            && self
                .pending
                .with_untracked(|p| p.as_ref().is_some_and(|p| p.consent_holds));
        if op.signs_in() && !consent_holds {
            self.popup.open();
        }
        self.action.dispatch(op);
    }

    /// Reads the state (and what depends on it) again.
    pub fn refetch(self) {
        self.reread.notify();
    }

    /// The key in force is an Azure Key Vault key (whose health, versions
    /// and configuration check the screen shows).
    #[must_use]
    pub fn on_azure(self) -> bool {
        self.overview.with(|o| {
            o.as_ref().is_some_and(|o| {
                matches!(
                    o.status.provider,
                    keyswitch_shared::Provider::AzureKeyVault { .. }
                )
            })
        })
    }

    /// An operation is running: buttons wait.
    #[must_use]
    pub fn busy(self) -> bool {
        self.action.pending().get()
    }

    /// An operation of this kind is running.
    #[must_use]
    pub fn running(self, kind: OpKind) -> bool {
        self.action
            .input()
            .with(|op| op.as_ref().is_some_and(|op| op.kind() == kind))
    }

    /// The failure of the last operation, when it is one of `kinds`. A new
    /// operation starts with a clean slate: older failures are stale.
    #[must_use]
    pub fn error(self, kinds: &[OpKind]) -> Option<ApiError> {
        if self.busy() {
            return None;
        }
        self.action.value().with(|a| {
            let reply = &a.as_ref()?.value;
            match &reply.result {
                Err(e) if kinds.contains(&reply.op) => Some(e.clone()),
                _ => None,
            }
        })
    }

    /// [`Self::error`] as a signal, for widgets that take one.
    #[must_use]
    pub fn error_for(self, kinds: &'static [OpKind]) -> Signal<Option<ApiError>> {
        Signal::derive(move || self.error(kinds))
    }

    /// The connection test's failure where it was clicked: in the step,
    /// unless the role dialog shows it.
    #[must_use]
    pub fn test_error_in_place(self) -> Signal<Option<ApiError>> {
        Signal::derive(move || {
            self.error(&[OpKind::Test])
                .filter(|_| !self.role_open.get())
        })
    }

    /// After a failed step: focus where the admin fixes it, as the model
    /// places the failure (the field at fault, which the form focuses as it
    /// appears), else the pending setup's heading.
    pub fn focus_after_failure(self) {
        let at_field = self.pending.with_untracked(|p| {
            p.as_ref()
                .and_then(|p| (p.current_step == SetupStep::VaultAndKey).then_some(p.fault?.field?))
        });
        focus_id(match at_field {
            Some(SetupField::VaultUri) => "vault-uri",
            Some(SetupField::KeyName) => "key-name",
            None => "pending-heading",
        });
    }

    /// Changes whenever the edge reports a state or the trail has news:
    /// the audit trail is read again then.
    pub fn track_audit(self) {
        // Read, not just `track()`ed: a memo nobody reads is never computed,
        // so it would never learn that its sources changed.
        let _newest = self.latest.get();
        self.audit_news.track();
    }

    /// What an operation's answer does beyond the new state.
    fn take(self, reply: Reply) {
        match reply.result {
            Err(e) => {
                if e.is_not_signed_in() {
                    self.session.sign_out();
                }
                // A refused change may still have changed what the edge
                // shows (e.g. last_error); read it again.
                if reply.op != OpKind::Verify && matches!(e, ApiError::Refused { .. }) {
                    self.refetch();
                }
                self.popup.route(None, self.consent_blocked);
            }
            Ok(Answer::SignIn(url)) => self.popup.route(Some(url), self.verify_blocked),
            Ok(Answer::State(answer)) => match reply.op {
                OpKind::Start | OpKind::Grant => {
                    self.popup.route(answer.consent_url, self.consent_blocked);
                }
                OpKind::Test if answer.kms.stage == Stage::Tested => {
                    self.role_open.set(false);
                    focus_id("test-passed");
                }
                OpKind::Save => focus_id("tenants-heading"),
                OpKind::Cancel => {
                    self.role_open.set(false);
                    self.consent_blocked.set(None);
                    focus_id("cancelled-note");
                }
                OpKind::Test
                | OpKind::Refresh
                | OpKind::Verify
                | OpKind::ConfirmNoTenants
                | OpKind::CheckNow
                | OpKind::Rewrap => {}
            },
        }
    }

    /// Finalizing, a running test and an owed re-wrap move on by
    /// themselves: poll.
    fn poll_while_moving(self) {
        Effect::new(move |_| {
            let rewrapping = self
                .overview
                .with(|o| o.as_ref().is_some_and(|o| o.rewrap.is_some()));
            let moving = rewrapping
                || matches!(
                    self.stage.get(),
                    Some(Stage::Finalizing | Stage::TestingConnection)
                );
            if moving
                && let Ok(handle) =
                    set_interval_with_handle(move || self.refetch(), Duration::from_secs(2))
            {
                on_cleanup(move || handle.clear());
            }
        });
    }

    /// The edge checks the key in force on its own schedule: read the state
    /// again just after the next check is due (at most a minute apart), so
    /// a change of health shows without a reload.
    fn reread_after_health_check(self) {
        // Bumped by each timer, so the next one is armed even when the
        // state read back is unchanged.
        let rounds = RwSignal::new(0u32);
        Effect::new(move |_| {
            rounds.track();
            let next = self.overview.with(|o| {
                o.as_ref()
                    .and_then(super::health::health_facts)
                    .map(|f| f.next_check_ms)
            });
            let Some(next) = next else { return };
            let now = crate::components::when::now_ms();
            let wait_ms = next
                .map_or(60_000, |at| at.saturating_sub(now).saturating_add(1_500))
                .clamp(2_000, 60_000);
            let handle = set_timeout_with_handle(
                move || {
                    self.refetch();
                    rounds.update(|n| *n = n.wrapping_add(1));
                },
                Duration::from_millis(wait_ms),
            );
            if let Ok(handle) = handle {
                on_cleanup(move || handle.clear());
            }
        });
    }

    /// The sign-in popups report back with postMessage from our own origin;
    /// coming back to this tab (fallback: a new tab) also re-reads the state.
    fn reread_on_return(self) {
        let message = window_event_listener(leptos::ev::message, move |ev| {
            let own = web_sys::window().and_then(|w| w.location().origin().ok());
            if own.is_some_and(|o| o == ev.origin()) {
                self.refetch();
            }
        });
        let focus = window_event_listener(leptos::ev::focus, move |_| self.refetch());
        on_cleanup(move || {
            message.remove();
            focus.remove();
        });
    }
}

/// Moves focus to the element with `id` once it is rendered.
pub fn focus_id(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _focused = el.focus();
        }
    });
}
