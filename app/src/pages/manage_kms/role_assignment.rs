//! The role-assignment dialog: what the Azure admin must do after consent
//! (Key Vault Crypto User for the connector on the vault), filled in by the
//! edge, with copy buttons, the portal steps, and **Completed**.

use keyswitch_shared::api::RoleAssignmentGuidance;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::copy_button::CopyButton;
use crate::components::dialog::Dialog;
use crate::components::error_notice::{ErrorNotice, MaybeError};

/// The az commands split into copyable blocks (blank lines separate them).
#[must_use]
pub fn command_blocks(az: &str) -> Vec<String> {
    az.split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The dialog. Opens with `open`; Completed runs the connection test.
#[component]
pub fn RoleAssignmentDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
    /// The company.
    #[prop(into)]
    company: Signal<String>,
    /// Completed clicked.
    on_completed: Callback<()>,
    /// The connection test is running.
    #[prop(into)]
    busy: Signal<bool>,
    /// The last connection test failure, shown next to Completed.
    #[prop(into)]
    test_error: Signal<Option<ApiError>>,
) -> impl IntoView {
    // Loaded each time the dialog opens, so it reflects the current setup.
    let guidance = LocalResource::new(move || {
        let wanted = open.get();
        let company = company.get();
        async move {
            if wanted {
                Some(api::role_assignment(&company).await)
            } else {
                None
            }
        }
    });
    let body = move || {
        guidance.get().flatten().map(|r| match r {
            Ok(g) => view! { <Guidance g=g/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })
    };
    view! {
        <Dialog open=open id="role-dialog" title="Assign the Key Vault Crypto User role".to_owned()>
            <div class="dialog-scroll">
                <Suspense fallback=|| view! { <p class="muted">"Loading the steps…"</p> }>
                    {body}
                </Suspense>
            </div>
            <MaybeError error=test_error/>
            <div class="actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
                <button
                    type="button"
                    class="button button-primary"
                    autofocus
                    disabled=move || busy.get()
                    on:click=move |_| on_completed.run(())
                >
                    "Completed"
                </button>
                <span class="muted busy-note" aria-live="polite">
                    {move || busy.get().then_some("Testing the connection…")}
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
        role_name,
        vault_name,
        az_commands,
        portal_steps,
        access_policy_note,
        ..
    } = g;
    let blocks = command_blocks(&az_commands);
    let many = blocks.len() > 1;
    view! {
        <p>
            "Admin consent created the "<b>{service_principal_name.clone()}</b>
            " service principal in your tenant. Ask your Azure admin to assign it the "
            <b>{role_name}</b>" role on the vault "<b>{vault_name}</b>
            ", with the Azure CLI or in the Azure Portal. Then click Completed."
        </p>
        <h3>"Azure CLI"</h3>
        {blocks
            .into_iter()
            .enumerate()
            .map(|(i, block)| {
                let what = if many { format!("command {}", i + 1) } else { "the commands".to_owned() };
                let text = block.clone();
                view! {
                    <div class="code-block">
                        <pre><code>{block}</code></pre>
                        <CopyButton text=text what=what/>
                    </div>
                }
            })
            .collect_view()}
        <h3>"Azure Portal"</h3>
        <ol class="portal-steps">
            {portal_steps.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
        </ol>
        <p class="notice notice-info">{access_policy_note}</p>
    }
}
