//! *Switch to Azure Key Vault*: when no setup is pending, the offer to
//! start one, opening the switch form.

use leptos::prelude::*;

use super::consent::start_with;
use super::popup::BlockedPopup;
use super::store::{OpKind, focus_id, use_kms};
use super::switch_form::SwitchForm;

/// The start section: a short explanation and the button that shows the
/// form.
#[component]
pub fn StartSection() -> impl IntoView {
    // Built again when the setup ends, so the form starts closed then.
    let show_form = RwSignal::new(false);
    // Moving to the customer's own key is what the screen offers a company
    // on another provider: the form's and the steps' code comes now, after
    // the screen, not when the button is clicked. A company already on
    // Azure Key Vault rarely moves again: its click fetches it.
    let store = use_kms();
    if !untrack(|| store.on_azure()) {
        crate::on_demand::prefetch_pending();
    }
    view! {
        <section class="card" aria-labelledby="switch-heading">
            <h2 id="switch-heading">"Switch to Azure Key Vault"</h2>
            <Show
                when=move || show_form.get()
                fallback=move || view! {
                    <p>"Put the master key that protects your backup encryption keys under your own Azure Key Vault RSA key."</p>
                    <button
                        type="button"
                        class="button button-primary"
                        on:click=move |_| show_form.set(true)
                    >
                        "Switch to Azure Key Vault"
                    </button>
                }
            >
                {crate::on_demand::start_form()}
            </Show>
        </section>
    }
}

/// The switch form and, when the browser blocks Microsoft's consent page,
/// its link. Its code comes with the pending steps' (`on_demand`).
#[component]
pub fn StartForm() -> impl IntoView {
    let store = use_kms();
    // Opened by the button: the first field takes the focus.
    focus_id("vault-uri");
    view! {
        <SwitchForm
            on_submit=start_with(store)
            server_error=store.error_for(&[OpKind::Start])
            clouds=Signal::derive(move || store.overview.with(|o| o.as_ref().map(|o| o.connector_clouds.clone())))
            busy=Signal::derive(move || store.busy())
        />
        <BlockedPopup url=store.consent_blocked what="Microsoft's consent page"/>
    }
}
