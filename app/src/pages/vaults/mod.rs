//! *Settings → Privacy and security → Vault management* (seed 001): the
//! table of vaults, **Create new vault** (name, strategy, default; then the
//! Azure External Keys settings), replacing the client secret, and the items
//! stored in a vault. Inputs are checked with the `shared` rules the edge
//! runs; the edge's answer is what the screen shows.

mod create;
mod items;
mod replace_secret;
mod role_commands;
mod table;
mod trail;

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::VaultSummary;
use leptos::prelude::*;

use crate::job::Job;

pub use self::create::CreateVaultDialog;
use self::items::ItemsSection;
pub use self::replace_secret::ReplaceSecretDialog;
pub use self::table::{HealthCell, VaultTable};
use crate::api::{self, ApiError};
use crate::components::error_notice::{ErrorNotice, MaybeError};
use crate::components::field::FieldError;
use crate::fetched::Fetched;
use crate::session::SessionState;

/// The screen's shared state: the workspace, its vaults as the edge last
/// listed them, and the success message.
#[derive(Clone, Copy)]
pub struct VaultsPage {
    /// The workspace in the path.
    pub workspace: Signal<String>,
    /// The vaults of the last good listing.
    pub vaults: Memo<Vec<VaultSummary>>,
    /// The last listing failed (cleared by the next good one).
    pub load_error: Signal<Option<ApiError>>,
    /// What just succeeded, announced politely.
    pub success: RwSignal<Option<String>>,
    /// Notified when the trail may have new entries (every listing).
    pub news: Trigger,
    list: Fetched<Result<Vec<VaultSummary>, ApiError>>,
}

impl VaultsPage {
    /// Lists the vaults of `workspace` and provides the state to the screen
    /// (and to a component test that mounts one of its parts).
    pub fn provide(workspace: Signal<String>) -> Self {
        let session = use_context::<SessionState>().unwrap_or_default();
        let list = Fetched::new(move || {
            let ws = workspace.get();
            async move { api::vaults::list(&ws).await.map(|l| l.vaults) }
        });
        let page = Self {
            workspace,
            // A failed listing keeps the last good one on screen.
            vaults: Memo::new(move |prev: Option<&Vec<VaultSummary>>| {
                list.with(|r| match r {
                    Some(Ok(vaults)) => vaults.clone(),
                    _ => prev.cloned().unwrap_or_default(),
                })
            }),
            load_error: Signal::derive(move || {
                list.with(|r| r.as_ref().and_then(|r| r.as_ref().err().cloned()))
            }),
            success: RwSignal::new(None),
            news: Trigger::new(),
            list,
        };
        provide_context(page);
        Effect::new(move |_| {
            if page
                .load_error
                .with(|e| e.as_ref().is_some_and(ApiError::is_not_signed_in))
            {
                session.sign_out();
            }
        });
        page
    }

    /// Lists the vaults again (their key status may have changed).
    pub fn refetch(self) {
        self.list.refetch();
        self.news.notify();
    }
}

/// The screen's state, for its parts.
#[must_use]
fn use_vaults() -> VaultsPage {
    expect_context::<VaultsPage>()
}

fn field_error(e: &CatalogError) -> FieldError {
    match e {
        CatalogError::InvalidInput(v) => FieldError::from_validation(v),
        _ => FieldError {
            message: e.message(),
            fix: e.fix(),
            suggestion: None,
        },
    }
}

/// The error for `field` from a refusal that names it.
fn refusal_for(error: Option<ApiError>, field: &str) -> Option<FieldError> {
    let body = error?.body()?.clone();
    (body.field.as_deref() == Some(field)).then_some(FieldError {
        message: body.message,
        fix: body.fix,
        suggestion: None,
    })
}

/// What a row of the table can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RowOp {
    /// Set as default.
    SetDefault(String),
    /// Test the connection again.
    Test(String),
}

/// The Vault management screen of the workspace in the path.
#[component]
pub fn Vaults(
    /// The workspace in the path.
    workspace: String,
) -> impl IntoView {
    let workspace = Signal::stored(workspace);
    let page = VaultsPage::provide(workspace);
    let success = page.success;

    let row = Job::new(move |op: &RowOp| {
        let (op, ws) = (op.clone(), workspace.get_untracked());
        async move {
            match &op {
                RowOp::SetDefault(id) => api::vaults::set_default(&ws, id).await,
                RowOp::Test(id) => api::vaults::test(&ws, id).await,
            }
            .map(|v| (op, v))
        }
    });
    Effect::new(move |_| {
        let Some(result) = row.value().get() else {
            return;
        };
        if let Ok((op, v)) = result {
            success.set(Some(match op {
                RowOp::SetDefault(_) => format!("{} is now the default vault.", v.name),
                RowOp::Test(_) => format!("The connection of {} works.", v.name),
            }));
        }
        page.refetch();
    });
    let row_error = Signal::derive(move || row.value().get().and_then(Result::err));

    let create_open = RwSignal::new(false);
    let secret_for = RwSignal::new(None::<VaultSummary>);
    let secret_open = RwSignal::new(false);
    view! {
        <h1>"Vault management"</h1>
        <p class="lead">
            "Vaults hold your workspace's accounts and secrets. With Azure External Keys, the vault key is wrapped by your own Azure Key Vault key: without access to it, nothing in the vault can be read."
        </p>
        <div role="status" class="notice notice-success" aria-live="polite">
            {move || success.get().map(|m| view! { <p>{m}</p> })}
        </div>
        <MaybeError error=row_error/>
        <section aria-labelledby="vaults-heading" class="card">
            <div class="section-head">
                <h2 id="vaults-heading">"Vaults"</h2>
                <button
                    type="button"
                    class="button button-primary"
                    on:click=move |_| {
                        success.set(None);
                        create_open.set(true);
                    }
                >
                    "Create new vault"
                </button>
            </div>
            {move || page.load_error.get().map(|e| view! { <ErrorNotice error=e/> })}
            <VaultTable
                vaults=page.vaults
                on_default=Callback::new(move |id| { row.dispatch(RowOp::SetDefault(id)); })
                on_test=Callback::new(move |id| { row.dispatch(RowOp::Test(id)); })
                on_replace=Callback::new(move |v: VaultSummary| {
                    success.set(None);
                    secret_for.set(Some(v));
                    secret_open.set(true);
                })
            />
        </section>
        <role_commands::RoleCommandsSection vaults=page.vaults/>
        <CreateVaultDialog open=create_open/>
        <ReplaceSecretDialog open=secret_open vault=secret_for/>
        <ItemsSection/>
        <trail::VaultTrailSection/>
    }
}
