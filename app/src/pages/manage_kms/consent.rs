//! *Admin consent*: a Global Administrator (or Privileged Role
//! Administrator) of the vault's tenant signs in and grants consent in the
//! Microsoft window (their ID token is the proof); the vault or key can
//! still change.

use keyswitch_shared::api::StartSwitch;
use leptos::prelude::*;

use super::popup::BlockedPopup;
use super::store::{KmsStore, Op, OpKind, use_kms};
use super::switch_form::{SwitchForm, ValidTarget};
use crate::components::error_notice::MaybeError;

/// Test Connection with the form's values: start (or restart) the switch.
#[must_use]
pub fn start_with(store: KmsStore) -> Callback<ValidTarget> {
    Callback::new(move |t: ValidTarget| {
        store.run(Op::Start(StartSwitch {
            vault_uri: t.vault_uri,
            key_name: t.key_name,
        }));
    })
}

/// The consent step, with *Change the vault or key*.
#[component]
pub fn ConsentStep() -> impl IntoView {
    let store = use_kms();
    let busy = move || store.busy();
    let (vault_uri, key_name) = store
        .pending
        .with_untracked(|p| {
            p.as_ref()
                .map(|p| (p.vault_uri.to_string(), p.key_name.to_string()))
        })
        .unwrap_or_default();
    view! {
        <div class="step-panel">
            <h3>"Admin consent"</h3>
            <p>
                "A Global Administrator or Privileged Role Administrator of the vault's Microsoft Entra tenant must sign in and grant admin consent in the Microsoft window. Their sign-in proves they are an admin of the vault's tenant; the consent counts for this company only, for 24 hours. This page updates when they are done."
            </p>
            <div class="actions">
                <button type="button" class="button button-primary" disabled=busy on:click=move |_| store.run(Op::Grant)>
                    "Grant admin consent"
                </button>
                <button type="button" class="button" disabled=busy on:click=move |_| store.run(Op::Test)>
                    "I've granted consent: test the connection"
                </button>
            </div>
            <MaybeError error=store.error_for(&[OpKind::Grant])/>
            <MaybeError error=store.test_error_in_place()/>
            <BlockedPopup url=store.consent_blocked what="Microsoft's consent page"/>
            <details class="edit-target">
                <summary>"Change the vault or key"</summary>
                <SwitchForm
                    initial_vault_uri=vault_uri
                    initial_key_name=key_name
                    on_submit=start_with(store)
                    server_error=store.error_for(&[OpKind::Start])
                    clouds=Signal::derive(move || store.overview.with(|o| o.as_ref().map(|o| o.connector_clouds.clone())))
                    busy=Signal::derive(busy)
                />
            </details>
        </div>
    }
}
