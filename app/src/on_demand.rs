//! Parts of the console whose code the browser fetches when they are first
//! shown (or just before), not with the first page: the vault-management
//! screen; the switch's form, steps and dialogs; the Azure key's cards and
//! the export; the audit trail; the commands beside a refusal.
//!
//! With the cargo feature `split` (the release build, `app/index.html`),
//! each function in `chunk` is a split point: `scripts/split_wasm.py`
//! moves the code only it reaches into its own wasm file, which the loader
//! fetches on the first call. Without the feature (component tests, native
//! checks) the same functions run from the one module, so both builds
//! render the same views.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use keyswitch_shared::commands::CommandTab;
use keyswitch_shared::switch::Stage;
use leptos::prelude::*;
use leptos::reactive::computed::ScopedFuture;

/// A part's code could not be fetched (offline, or the deployment changed
/// under an open tab). A later call tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkUnavailable;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for ChunkUnavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

/// What a part shows, once its code is here.
pub type Part = Result<AnyView, ChunkUnavailable>;

/// Awaits a split point in the split build; calls it in the other.
macro_rules! call {
    ($e:expr) => {{
        #[cfg(feature = "split")]
        let part = $e.await;
        #[cfg(not(feature = "split"))]
        let part = $e;
        part
    }};
}

/// Declares each part: a split point in `chunk` (in the split build, a
/// function of the named module) that builds the part's view, and a
/// function of the same name here that [`show`]s it. A part with
/// `[prefetch_x]` also gets `prefetch_x()`, which starts fetching its
/// module without showing it (a failed fetch is silent there: showing the
/// part tries again and says so; nothing to fetch in the one-module build). Code that only split points share goes to a
/// further module fetched with whichever needs it first; code the first
/// load also runs stays in the main module.
macro_rules! parts {
    ($(
        $(#[doc = $doc:literal])*
        $module:ident $([$prefetch:ident])? => fn $name:ident($($arg:ident: $ty:ty),*) $body:block
    )*) => {
        mod chunk {
            use super::*;
            $(
                #[cfg_attr(
                    feature = "split",
                    leptos::wasm_split::wasm_split(
                        $module,
                        wasm_split_path = ::leptos::wasm_split,
                        $(preload($prefetch),)?
                        fallible
                    )
                )]
                pub fn $name($($arg: $ty),*) -> Part {
                    Ok($body.into_any())
                }
            )*
        }
        $(
            $(#[doc = $doc])*
            pub fn $name($($arg: $ty),*) -> AnyView {
                show(async move { call!(chunk::$name($($arg),*)) })
            }
            $(
                pub fn $prefetch() {
                    #[cfg(feature = "split")]
                    leptos::task::spawn_local(async {
                        let _ = chunk::$prefetch().await;
                    });
                }
            )?
        )*
    };
}

parts! {
    /// The vault-management screen of `workspace`.
    vaults => fn vaults(workspace: String) {
        view! { <crate::pages::vaults::Vaults workspace=workspace/> }
    }
    /// The pending setup at `stage`.
    pending [prefetch_pending] => fn pending(stage: Stage) {
        view! { <crate::pages::manage_kms::pending::PendingView stage=stage/> }
    }
    /// The switch form that starts a setup.
    pending => fn start_form() {
        view! { <crate::pages::manage_kms::start::StartForm/> }
    }
    /// The pending setup's dialogs: the role assignment's steps, and the
    /// confirmation of Cancel pending setup.
    pending => fn pending_dialogs() {
        use crate::pages::manage_kms::{cancel::CancelDialog, role_assignment::RoleAssignmentDialog};
        view! { <RoleAssignmentDialog/> <CancelDialog/> }
    }
    /// The health of the key in force (an Azure Key Vault provider).
    azure => fn key_health() {
        view! { <crate::pages::manage_kms::health::KeyHealthSection/> }
    }
    /// The key in force's versions and its configuration check (an Azure
    /// Key Vault provider).
    azure => fn key_in_force() {
        use crate::pages::manage_kms::{check_config::CheckConfiguration, key_versions::KeyVersionsSection};
        view! { <KeyVersionsSection/> <CheckConfiguration/> }
    }
    /// The one-time export of the company key and its re-verification.
    azure => fn export() {
        view! { <crate::pages::manage_kms::completed::ExportBody/> }
    }
    /// The commands that fix a refusal, per tool (`id` unique on the page).
    commands => fn fix_commands(id: String, tabs: Vec<CommandTab>) {
        view! { <crate::components::command_tabs::CommandTabs id=id label="Commands that fix it" tabs=tabs/> }
    }
    /// The company's audit trail.
    audit [prefetch_audit] => fn audit() {
        view! { <crate::pages::manage_kms::audit::AuditSection/> }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    Ready,
    Failed,
}

/// Shows `load`'s view once it resolves. The view is built under this
/// place's reactive owner (its contexts, and its cleanup when the place
/// goes), without subscribing the caller to what the view reads. A part
/// whose code is already here resolves at the first poll and shows at once
/// (a step panel built again on a stage change does not flash "Loading").
pub fn show(load: impl Future<Output = Part> + 'static) -> AnyView {
    let mut load = Box::pin(ScopedFuture::new_untracked(load));
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(part) = load.as_mut().poll(&mut cx) {
        return shown(part);
    }
    let phase = RwSignal::new(Phase::Loading);
    let part = StoredValue::new_local(None::<AnyView>);
    leptos::task::spawn_local(async move {
        let next = match load.await {
            Ok(view) => {
                // The place may be gone by now: then the view is dropped.
                let _ = part.try_set_value(Some(view));
                Phase::Ready
            }
            Err(ChunkUnavailable) => Phase::Failed,
        };
        phase.try_set(next);
    });
    (move || match phase.get() {
        Phase::Loading => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
        Phase::Ready => shown(Ok(part
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_else(|| ().into_any()))),
        Phase::Failed => shown(Err(ChunkUnavailable)),
    })
    .into_any()
}

/// A part's view, or why it is missing.
fn shown(part: Part) -> AnyView {
    match part {
        Ok(view) => view,
        Err(ChunkUnavailable) => view! {
            <div class="notice notice-error notice-network" role="alert" data-code="chunk_unavailable">
                <p class="notice-title">"This part of the console could not be loaded"</p>
                <p class="notice-fix">"Check your connection, then reload the page."</p>
            </div>
        }
        .into_any(),
    }
}
