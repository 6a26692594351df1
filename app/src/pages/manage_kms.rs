//! *Key Management → Manage KMS*: the company's current key provider.

use keyswitch_shared::api::KmsStatus;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::error_notice::ErrorNotice;

/// The Manage KMS screen for the company in the path.
#[component]
pub fn ManageKms() -> impl IntoView {
    let params = use_params_map();
    let company = move || params.read().get("company").unwrap_or_default();
    let status = LocalResource::new(move || {
        let company = company();
        async move { api::kms_status(&company).await }
    });

    view! {
        <h1>"Manage KMS"</h1>
        <section class="card" aria-labelledby="current-provider-heading" aria-live="polite">
            <h2 id="current-provider-heading">"Current provider"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || status.get().map(|result| match result {
                    Ok(s) => view! { <StatusView status=s/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// The loaded status.
#[component]
pub fn StatusView(
    /// What the edge reported.
    status: KmsStatus,
) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"Provider"</dt>
            <dd data-testid="provider">{status.provider.display_name()}</dd>
            <dt>"Backup sets"</dt>
            <dd data-testid="backup-sets">{status.backup_set_count}</dd>
        </dl>
    }
}
