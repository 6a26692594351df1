//! *Cancel pending setup*: confirmed first; encryption stays as it was.

use leptos::prelude::*;

use super::store::{Op, use_kms};
use crate::components::dialog::ConfirmDialog;

/// The confirmation before the setup is discarded.
#[component]
pub fn CancelDialog() -> impl IntoView {
    let store = use_kms();
    let message = Signal::derive(move || {
        let current = store.overview.with(|o| {
            o.as_ref()
                .map_or("the current provider", |o| o.status.provider.display_name())
        });
        format!(
            "The switch to Azure Key Vault stops here and everything entered so far is discarded. Your current encryption ({current}) stays unchanged."
        )
    });
    view! {
        <ConfirmDialog
            open=store.confirm_cancel
            id="cancel-dialog"
            title="Cancel pending setup?"
            message=message
            confirm_label="Cancel pending setup"
            dismiss_label="Keep setting up"
            on_confirm=Callback::new(move |()| store.run(Op::Cancel))
        />
    }
}

/// Said once the setup was cancelled (focused, so it is heard).
#[component]
pub fn CancelledNote() -> impl IntoView {
    let store = use_kms();
    let provider = move || {
        store
            .overview
            .with(|o| o.as_ref().map_or("", |o| o.status.provider.display_name()))
    };
    view! {
        <p class="notice notice-info" id="cancelled-note" tabindex="-1">
            "The pending setup was cancelled. Your current encryption ("{provider}") is unchanged."
        </p>
    }
}
