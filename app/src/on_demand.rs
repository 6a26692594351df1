//! Parts of the console whose code the browser fetches when they are first
//! shown, not with the first page: the vault-management screen and the
//! pending switch's steps.
//!
//! With the cargo feature `split` (the release build, `app/index.html`),
//! each function in [`chunk`] is a split point: `scripts/split_wasm.py`
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

/// The split points. Each is its own module (named by `wasm_split`'s first
/// argument); code that only split points share goes to a further module
/// fetched with whichever needs it first, code the first load also runs
/// stays in the main module.
mod chunk {
    use super::*;

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(vaults, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn vaults(workspace: String) -> Part {
        Ok(view! { <crate::pages::vaults::Vaults workspace=workspace/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(
            pending,
            wasm_split_path = ::leptos::wasm_split,
            preload(preload_pending),
            fallible
        )
    )]
    pub fn pending(stage: Stage) -> Part {
        Ok(view! { <crate::pages::manage_kms::pending::PendingView stage=stage/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(azure, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn key_health() -> Part {
        Ok(view! { <crate::pages::manage_kms::health::KeyHealthSection/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(azure, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn key_in_force() -> Part {
        use crate::pages::manage_kms::{
            check_config::CheckConfiguration, key_versions::KeyVersionsSection,
        };
        Ok(view! { <KeyVersionsSection/> <CheckConfiguration/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(azure, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn export() -> Part {
        Ok(view! { <crate::pages::manage_kms::completed::ExportBody/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(pending, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn start_form() -> Part {
        Ok(view! { <crate::pages::manage_kms::start::StartForm/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(pending, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn pending_dialogs() -> Part {
        use crate::pages::manage_kms::{
            cancel::CancelDialog, role_assignment::RoleAssignmentDialog,
        };
        Ok(view! { <RoleAssignmentDialog/> <CancelDialog/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(commands, wasm_split_path = ::leptos::wasm_split, fallible)
    )]
    pub fn fix_commands(id: String, tabs: Vec<CommandTab>) -> Part {
        use crate::components::command_tabs::CommandTabs;
        Ok(view! { <CommandTabs id=id label="Commands that fix it" tabs=tabs/> }.into_any())
    }

    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(
            audit,
            wasm_split_path = ::leptos::wasm_split,
            preload(preload_audit),
            fallible
        )
    )]
    pub fn audit() -> Part {
        Ok(view! { <crate::pages::manage_kms::audit::AuditSection/> }.into_any())
    }
}

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

/// The vault-management screen of `workspace`.
pub fn vaults(workspace: String) -> AnyView {
    show(async move { call!(chunk::vaults(workspace)) })
}

/// The pending setup at `stage`.
pub fn pending(stage: Stage) -> AnyView {
    show(async move { call!(chunk::pending(stage)) })
}

/// The health of the key in force (an Azure Key Vault provider).
pub fn key_health() -> AnyView {
    show(async move { call!(chunk::key_health()) })
}

/// The key in force's versions and its configuration check (an Azure Key
/// Vault provider).
pub fn key_in_force() -> AnyView {
    show(async move { call!(chunk::key_in_force()) })
}

/// The one-time export of the company key and its re-verification.
pub fn export() -> AnyView {
    show(async move { call!(chunk::export()) })
}

/// The switch form that starts a setup.
pub fn start_form() -> AnyView {
    show(async move { call!(chunk::start_form()) })
}

/// The pending setup's dialogs: the role assignment's steps, and the
/// confirmation of Cancel pending setup.
pub fn pending_dialogs() -> AnyView {
    show(async move { call!(chunk::pending_dialogs()) })
}

/// The commands that fix a refusal, per tool (`id` unique on the page).
pub fn fix_commands(id: String, tabs: Vec<CommandTab>) -> AnyView {
    show(async move { call!(chunk::fix_commands(id, tabs)) })
}

/// The company's audit trail.
pub fn audit() -> AnyView {
    show(async move { call!(chunk::audit()) })
}

/// Starts fetching the pending steps' module when a setup may start (the
/// offer to switch is shown), so the form and its first step show without
/// waiting. A
/// failed fetch is silent here: showing the part tries again and says so.
/// Nothing to fetch in the one-module build.
pub fn prefetch_pending() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        let _ = chunk::preload_pending().await;
    });
}

/// Starts fetching the audit trail's module with the screen's first read:
/// the trail shows once the company's state is here, and its module is
/// then here too.
pub fn prefetch_audit() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        let _ = chunk::preload_audit().await;
    });
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
