//! The pending setup: what was entered, where it stands, its last failure,
//! and the panel of its current step.

use keyswitch_shared::api::PendingSetup;
use keyswitch_shared::switch::{SetupStep, Stage};
use leptos::prelude::*;

use super::check_config::CheckConfiguration;
use super::consent::ConsentStep;
use super::finalize::FinalizeView;
use super::fix_target::FixTargetStep;
use super::role_assignment::RoleAssignmentStep;
use super::store::{OpKind, use_kms};
use super::tenants::TenantsStep;
use super::tested::TestedStep;
use crate::components::audit_table::format_time;
use crate::components::error_notice::{CatalogNotice, MaybeError};
use crate::components::progress::Progress;

/// A pending setup at its current step.
#[component]
pub fn PendingView(
    /// Its stage (the view is built again when it changes).
    stage: Stage,
) -> impl IntoView {
    let store = use_kms();
    let get = move |f: fn(&PendingSetup) -> String| {
        store
            .pending
            .with(|p| p.as_ref().map(f).unwrap_or_default())
    };
    let busy = move || store.busy();
    // The panel of the step the model says comes next; built again only
    // when that step changes.
    let next = Memo::new(move |_| store.pending.with(|p| p.as_ref().map(|p| p.current_step)));
    let step = move || {
        next.get().map(|current| match current {
            SetupStep::VaultAndKey => view! { <FixTargetStep/> }.into_any(),
            SetupStep::AdminConsent => view! { <ConsentStep/> }.into_any(),
            SetupStep::RoleAssignment => view! { <RoleAssignmentStep/> }.into_any(),
            SetupStep::ConnectionTest => view! { <TestedStep/> }.into_any(),
            SetupStep::VerifyTenants => view! { <TenantsStep/> }.into_any(),
            SetupStep::Finalize => view! { <FinalizeView/> }.into_any(),
        })
    };
    let steps = Signal::derive(move || {
        store
            .pending
            .with(|p| p.as_ref().map(|p| p.steps.clone()).unwrap_or_default())
    });
    view! {
        <section class="card" aria-labelledby="pending-heading">
            <div class="card-head">
                <h2 id="pending-heading" tabindex="-1">"Pending setup: Azure Key Vault"</h2>
                <button
                    type="button"
                    class="button button-danger-outline"
                    disabled=busy
                    on:click=move |_| store.confirm_cancel.set(true)
                >
                    "Cancel pending setup"
                </button>
            </div>
            <MaybeError error=store.error_for(&[OpKind::Cancel])/>
            <Progress steps=steps/>
            <dl class="facts">
                <dt>"Vault URI"</dt>
                <dd class="wrap" data-testid="pending-vault"><code>{move || get(|p| p.vault_uri.to_string())}</code></dd>
                <dt>"Key Name"</dt>
                <dd data-testid="pending-key"><code>{move || get(|p| p.key_name.to_string())}</code></dd>
                <dt>"Vault tenant"</dt>
                <dd class="wrap"><code>{move || get(|p| p.vault_tenant.as_ref().map(ToString::to_string).unwrap_or_else(|| "not known yet".to_owned()))}</code></dd>
                <dt>"Started"</dt>
                <dd>{move || get(|p| format!("{} · {}", p.started_by, format_time(p.started_at_ms)))}</dd>
            </dl>
            <LastError stage=stage/>
            {step}
            {matches!(stage, Stage::AwaitingRoleAssignment | Stage::TestingConnection | Stage::Tested)
                .then(|| view! { <CheckConfiguration before_save=true/> })}
        </section>
    }
}

/// The setup's last failure, unless the operation that caused it is showing
/// it right where it was clicked, the form shows it at the field at fault,
/// or the test passed since.
#[component]
fn LastError(
    /// The setup's stage.
    stage: Stage,
) -> impl IntoView {
    let store = use_kms();
    let shown_in_place = move || {
        store
            .error(&[OpKind::Start, OpKind::Grant, OpKind::Test])
            .is_some()
            || store.pending.with(|p| {
                p.as_ref().is_some_and(|p| {
                    p.current_step == SetupStep::VaultAndKey
                        && p.fault.is_some_and(|f| f.field.is_some())
                })
            })
    };
    move || {
        store
            .pending
            .with(|p| p.as_ref().and_then(|p| p.last_error.clone()))
            .filter(|_| stage != Stage::Tested && !shown_in_place())
            .map(|e| view! { <CatalogNotice body=e/> })
    }
}
