//! *Replace client secret* of an Azure External Keys vault: the edge tests
//! the connection with the new secret before it stores it.

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::{ReplaceSecretForm, VaultSummary};
use leptos::prelude::*;

use crate::job::Job;

use super::{field_error, refusal_for, use_vaults};
use crate::api;
use crate::components::dialog::Dialog;
use crate::components::error_notice::MaybeError;
use crate::components::field::{FieldText, TextField};

const NEW_SECRET: FieldText = FieldText {
    id: "new-client-secret",
    label: "New client secret",
    hint: "The new secret's Value from Certificates & secrets.",
    placeholder: "",
};

/// The dialog.
#[component]
pub fn ReplaceSecretDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
    /// The vault.
    vault: RwSignal<Option<VaultSummary>>,
) -> impl IntoView {
    let page = use_vaults();
    let secret = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<CatalogError>);
    let replace = Job::new(move |(id, form): &(String, ReplaceSecretForm)| {
        let (id, form, ws) = (id.clone(), form.clone(), page.workspace.get_untracked());
        async move { api::vaults::replace_secret(&ws, &id, &form).await }
    });
    let server_error = Signal::derive(move || replace.value().get().and_then(Result::err));
    let busy = replace.pending();
    Effect::new(move |_| {
        if let Some(Ok(v)) = replace.value().get() {
            open.set(false);
            page.success.set(Some(format!(
                "The client secret of {} was replaced and the connection tested.",
                v.name
            )));
            page.refetch();
        }
    });
    Effect::new(move |_| {
        if !open.get() {
            secret.set(String::new());
            local_error.set(None);
            replace.value().set(None);
        }
    });
    let error = Signal::derive(move || {
        local_error
            .get()
            .map(|e| field_error(&e))
            .or_else(|| refusal_for(server_error.get(), "client_secret"))
    });
    let general_error = Signal::derive(move || {
        server_error
            .get()
            .filter(|e| e.field() != Some("client_secret"))
    });
    let submit = move || {
        let form = ReplaceSecretForm {
            client_secret: secret.get_untracked(),
        };
        if let Err(e) = form.parse() {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        replace.value().set(None);
        if let Some(v) = vault.get_untracked() {
            replace.dispatch((v.id, form));
        }
    };
    let about = move || {
        vault.get().map(|v| {
            format!(
                "Vault: {}. The connection is tested with the new secret before it is stored.",
                v.name
            )
        })
    };
    view! {
        <Dialog open=open id="replace-secret" title="Replace client secret".to_owned()>
            <p>{about}</p>
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <TextField text=NEW_SECRET value=secret error=error secret=true/>
                <MaybeError error=general_error/>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button button-primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Testing…" } else { "Replace secret" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
