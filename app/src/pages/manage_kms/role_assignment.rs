//! *Role assignment*: what the Azure admin must do after consent (Key Vault
//! Crypto User for the connector on the vault, and the key's
//! `keyswitch-company` tag naming this company), filled in by the edge, with
//! copy buttons, the portal steps, and **Completed**.

use keyswitch_shared::api::RoleAssignmentGuidance;
use keyswitch_shared::switch::Stage;
use leptos::prelude::*;

use super::store::{KmsStore, Op, OpKind, use_kms};
use crate::api;
use crate::components::command_tabs::CommandTabs;
use crate::components::dialog::Dialog;
use crate::components::error_notice::{ErrorNotice, MaybeError};
use crate::fetched::Fetched;

/// The role-assignment step: consent is granted, the Azure admin assigns
/// the role, the admin clicks Completed (in the dialog).
#[component]
pub fn RoleAssignmentStep() -> impl IntoView {
    let store = use_kms();
    let consent = move || {
        store.pending.with(|p| {
            p.as_ref()
                .and_then(|p| p.consent.as_ref())
                .map(|c| format!(" for tenant {}", c.tenant))
        })
    };
    view! {
        <div class="step-panel">
            <h3>"Role assignment"</h3>
            <p>
                "Admin consent is granted"
                {consent}
                ". Your Azure admin must now assign the Key Vault Crypto User role to the CyberSentriq KMS Connector on the vault and tag the key with this company's id, then you click Completed."
            </p>
            <div class="actions">
                <button type="button" class="button button-primary" on:click=move |_| store.role_open.set(true)>
                    "Show role assignment steps"
                </button>
            </div>
            <MaybeError error=store.test_error_in_place()/>
        </div>
    }
}

/// Opens the dialog when the setup reaches the role assignment, and closes
/// it when a failed test sent the setup back (key not found, consent
/// required, …): that is not about the role, so it shows in place.
pub fn open_and_close_with_the_stage(store: KmsStore) {
    Effect::new(move |prev: Option<Option<Stage>>| {
        let now = store.stage.get();
        if now == Some(Stage::AwaitingRoleAssignment)
            && prev.is_some_and(|p| p != Some(Stage::AwaitingRoleAssignment))
        {
            store.role_open.set(true);
        }
        now
    });
    Effect::new(move |_| {
        let now = store.stage.get();
        if store.role_open.get_untracked()
            && now.is_some()
            && !matches!(
                now,
                Some(Stage::AwaitingRoleAssignment | Stage::TestingConnection)
            )
        {
            store.role_open.set(false);
            if untrack(|| store.error(&[OpKind::Test])).is_some() {
                store.focus_after_failure();
            }
        }
    });
}

/// The dialog: the steps filled in, the last test failure, and Completed
/// (which runs the connection test).
#[component]
pub fn RoleAssignmentDialog() -> impl IntoView {
    let store = use_kms();
    let open = store.role_open;
    // Loaded each time the dialog opens, so it reflects the current setup.
    let guidance = Fetched::new(move || {
        let wanted = open.get();
        let company = store.company.get();
        async move {
            if wanted {
                Some(api::role_assignment(&company).await)
            } else {
                None
            }
        }
    });
    let body = move || match guidance.get().flatten() {
        None => view! { <p class="muted">"Loading the steps…"</p> }.into_any(),
        Some(Ok(g)) => view! { <Guidance g=g/> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
    };
    let busy = move || store.running(OpKind::Test);
    view! {
        <Dialog open=open id="role-dialog" title="Assign the Key Vault Crypto User role".to_owned()>
            <div class="dialog-scroll">
                {body}
            </div>
            <MaybeError error=store.error_for(&[OpKind::Test])/>
            <div class="actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
                <button
                    type="button"
                    class="button button-primary"
                    autofocus
                    disabled=busy
                    on:click=move |_| store.run(Op::Test)
                >
                    "Completed"
                </button>
                <span class="muted busy-note" aria-live="polite">
                    {move || busy().then_some("Testing the connection…")}
                </span>
            </div>
        </Dialog>
    }
}

/// The steps, filled in.
#[component]
fn Guidance(
    /// What the edge says the Azure admin must do.
    g: RoleAssignmentGuidance,
) -> impl IntoView {
    let RoleAssignmentGuidance {
        service_principal_name,
        application_id,
        role_name,
        vault_name,
        commands,
        portal_steps,
        access_policy_note,
        binding,
        key_name,
        ..
    } = g;
    view! {
        <p>
            "Admin consent created the "<b>{service_principal_name.clone()}</b>
            " service principal (application id "<code>{application_id}</code>") in your tenant. Ask your Azure admin to assign it the "
            <b>{role_name.clone()}</b>" role on the vault "<b>{vault_name.clone()}</b>
            " with one of these tools, or in the Azure Portal. Then click Completed."
        </p>
        <h3>"Assign the role"</h3>
        <CommandTabs
            id="role-commands"
            label=format!("Commands that assign {role_name}")
            tabs=commands
        />
        <h3>"Azure Portal"</h3>
        <ol class="portal-steps">
            {portal_steps.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
        </ol>
        <p class="notice notice-info">{access_policy_note}</p>
        <section aria-labelledby="binding-heading">
            <h3 id="binding-heading">"Bind the key to this company"</h3>
            <p>
                "The key itself must name this company: ask your Azure admin to set the tag "
                <b>{binding.tag_name}</b>" to "<b>{binding.tag_value}</b>" on the key "
                <b>{key_name.as_str().to_owned()}</b>" in "<b>{vault_name.clone()}</b>"."
            </p>
            <CommandTabs
                id="tag-commands"
                label="Commands that tag the key".to_owned()
                tabs=binding.commands
            />
            <ol class="portal-steps">
                {binding.portal_steps.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
            </ol>
            <p class="notice notice-info">{binding.note}</p>
        </section>
    }
}
