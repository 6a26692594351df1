//! *Finalizing*: every tenant is verified and the edge re-wraps the company
//! key by itself; its progress is read again on every poll of the screen,
//! with retries shown.

use keyswitch_shared::api::{FinalizeProgress, FinalizeStep};
use leptos::prelude::*;

use super::store::use_kms;
use crate::api;
use crate::components::audit_table::format_time;
use crate::components::error_notice::{CatalogNotice, ErrorNotice};
use crate::fetched::Fetched;

const STEPS: [(FinalizeStep, &str); 4] = [
    (
        FinalizeStep::ReadInventory,
        "Reading the backup sets once more",
    ),
    (
        FinalizeStep::Wrap,
        "Wrapping the company key with your Azure key",
    ),
    (
        FinalizeStep::Verify,
        "Unwrapping through Azure Key Vault and comparing",
    ),
    (
        FinalizeStep::Commit,
        "Switching the provider in one transaction",
    ),
];

/// The finalization progress, read again whenever the screen re-reads the
/// state (every two seconds while finalizing).
#[component]
pub fn FinalizeView() -> impl IntoView {
    let store = use_kms();
    let progress = Fetched::new(move || {
        store.reread.track();
        let company = store.company.get();
        async move { api::finalize_progress(&company).await }
    });
    view! {
        <div class="step-panel">
            <h3>"Finalizing"</h3>
            <p>
                <span class="spinner" aria-hidden="true"></span>
                "Every tenant is verified. Your company key is being re-protected with your Azure Key Vault key; your current provider stays in force until the last step succeeds."
            </p>
            {move || match progress.get() {
                None => view! { <p class="muted">"Loading progress…"</p> }.into_any(),
                Some(Ok(p)) => view! { <Steps progress=p/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        </div>
    }
}

/// The four steps with the current one marked.
#[component]
fn Steps(
    /// What the edge reported.
    progress: FinalizeProgress,
) -> impl IntoView {
    let at = progress
        .step
        .and_then(|s| STEPS.iter().position(|(step, _)| *step == s));
    let retry = progress.next_retry_at_ms.map(format_time);
    view! {
        <ol class="finalize-steps" aria-label="Finalization steps">
            {STEPS
                .iter()
                .enumerate()
                .map(|(i, (_, label))| {
                    let (class, note) = match at {
                        Some(a) if i < a => ("step step-done", " (done)"),
                        Some(a) if i == a => ("step step-current", " (in progress)"),
                        _ => ("step step-todo", ""),
                    };
                    view! {
                        <li class=class aria-current=(at == Some(i)).then_some("step")>
                            {*label}<span class="sr-only">{note}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        {(progress.attempts > 0).then(|| view! {
            <p class="muted">{format!("Failed attempts so far: {}. Retried automatically; nothing changes until the last step succeeds.", progress.attempts)}</p>
        })}
        {retry.map(|t| view! { <p class="muted">"Next attempt: "{t}</p> })}
        {progress.last_error.map(|e| view! { <CatalogNotice body=e/> })}
    }
}
