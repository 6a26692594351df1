//! Where things stand: the provider in force, a refusal for roles that may
//! not manage KMS, and one short announcement per stage change.

use keyswitch_shared::Provider;
use keyswitch_shared::api::KmsStatus;
use keyswitch_shared::switch::Stage;
use leptos::prelude::*;

use super::store::use_kms;
use crate::api::ApiError;
use crate::components::error_notice::ErrorNotice;

/// The *Current provider* card: loading, the provider, or why it could not
/// be read (with Try again).
#[component]
pub fn CurrentProvider() -> impl IntoView {
    let store = use_kms();
    let loading = move || {
        (store.overview.with(Option::is_none) && store.load_error.with(Option::is_none))
            .then(|| view! { <p class="muted">"Loading…"</p> })
    };
    let status = move || {
        store
            .overview
            .get()
            .map(|o| view! { <StatusView status=o.status/> })
    };
    let failure = move || {
        store.load_error.get().filter(|e| !e.is_forbidden()).map(|e| {
            view! {
                <ErrorNotice error=e/>
                <button type="button" class="button" on:click=move |_| store.refetch()>"Try again"</button>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="current-provider-heading">
            <h2 id="current-provider-heading">"Current provider"</h2>
            <div aria-live="polite">{loading}{status}{failure}</div>
        </section>
    }
}

/// The refusal for a role that may not manage this company's KMS.
#[component]
pub fn ForbiddenNotice() -> impl IntoView {
    let store = use_kms();
    let forbidden = move || {
        store
            .load_error
            .with(|e| e.as_ref().is_some_and(ApiError::is_forbidden))
    };
    let fix = move || {
        store
            .load_error
            .get()
            .and_then(|e| e.body().map(|b| b.fix.clone()))
    };
    view! {
        <Show when=forbidden>
            <div class="notice notice-error" role="alert" data-code="forbidden_role">
                <p class="notice-title">"Your role can't manage KMS for this company"</p>
                <p class="notice-fix">
                    "Only a Partner Admin (for their companies) or a Company Admin (for their own company) can see or change Key Management. "
                    {fix}
                </p>
            </div>
        </Show>
    }
}

/// The provider in force, with the vault, key and version for Azure.
#[component]
pub fn StatusView(
    /// What the edge reported.
    status: KmsStatus,
) -> impl IntoView {
    let details = match &status.provider {
        Provider::Platform => None,
        Provider::AwsKms { key_id } => Some(
            view! {
                <dt>"AWS KMS key"</dt>
                <dd class="wrap"><code>{key_id.clone()}</code></dd>
            }
            .into_any(),
        ),
        Provider::AzureKeyVault {
            vault_uri,
            key_name,
            kid,
        } => {
            let version = kid.version().map(|v| v.to_string()).unwrap_or_default();
            Some(
                view! {
                    <dt>"Vault"</dt>
                    <dd class="wrap" data-testid="vault"><code>{vault_uri.to_string()}</code></dd>
                    <dt>"Key"</dt>
                    <dd data-testid="key"><code>{key_name.to_string()}</code></dd>
                    <dt>"Version"</dt>
                    <dd class="wrap" data-testid="version"><code>{version}</code></dd>
                }
                .into_any(),
            )
        }
    };
    view! {
        <dl class="facts">
            <dt>"Provider"</dt>
            <dd data-testid="provider">{status.provider.display_name()}</dd>
            {details}
            <dt>"Backup sets"</dt>
            <dd data-testid="backup-sets">{status.backup_set_count}</dd>
        </dl>
    }
}

/// One short announcement per stage change, instead of re-reading whole
/// sections.
#[component]
pub fn StageAnnouncement() -> impl IntoView {
    let store = use_kms();
    view! {
        <p class="sr-only" role="status" data-testid="stage-announcement">
            {move || store.stage.get().map(stage_announcement)}
        </p>
    }
}

/// What a screen reader hears when the setup moves on.
#[must_use]
pub fn stage_announcement(stage: Stage) -> &'static str {
    match stage {
        Stage::Idle => "",
        Stage::Draft => "Setup started. Grant admin consent, or change the vault or key.",
        Stage::AwaitingConsent => "Waiting for admin consent in the Microsoft window.",
        Stage::AwaitingRoleAssignment => {
            "Admin consent granted. Next: assign the Key Vault Crypto User role, then click Completed."
        }
        Stage::TestingConnection => "Testing the connection.",
        Stage::Tested => "The connection works. Next: Save.",
        Stage::VerifyingTenants => "Saved. Verify each tenant in the list.",
        Stage::Finalizing => "Every tenant is verified. Finalizing the switch.",
        Stage::Done => "Done: the company key is now protected by Azure Key Vault.",
        Stage::Cancelled => "Setup cancelled; encryption unchanged.",
    }
}
