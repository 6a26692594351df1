//! *Connection test passed*: the key works; Save lists the tenants to
//! verify.

use leptos::prelude::*;

use super::store::{Op, OpKind, use_kms};
use crate::components::error_notice::MaybeError;

/// The passed test, the key it used, and Save.
#[component]
pub fn TestedStep() -> impl IntoView {
    let store = use_kms();
    let key = move || {
        store.pending.with(|p| {
            p.as_ref().and_then(|p| p.tested_key.as_ref()).map(|k| {
                let text = format!("{} · {} bits ({})", k.kid, k.size_bits, k.kty.as_str());
                view! { <p class="wrap"><code>{text}</code></p> }
            })
        })
    };
    view! {
        <div class="step-panel">
            <div class="notice notice-ok" role="status" id="test-passed" tabindex="-1">
                <p class="notice-title">"Connection test passed"</p>
                <p>"CyberSentriq can wrap and unwrap with your key."</p>
                {key}
            </div>
            <p>"Save to list the Microsoft 365 and Google Workspace tenants in your backup sets. Each must be verified before the switch can finish."</p>
            <div class="actions">
                <button type="button" class="button button-primary" disabled=move || store.busy() on:click=move |_| store.run(Op::Save)>
                    "Save"
                </button>
            </div>
            <MaybeError error=store.error_for(&[OpKind::Save])/>
        </div>
    }
}
