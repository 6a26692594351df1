//! *Key versions*: which versions of the customer's key have protected the
//! company key (the `kid` history), and *Re-wrap now*.

use keyswitch_shared::Provider;
use keyswitch_shared::api::KmsOverview;
use keyswitch_shared::rotation::{KidReason, RewrapProgress, RewrapStep};
use leptos::prelude::*;

use super::store::{Op, OpKind, use_kms};
use crate::components::audit_table::format_time;
use crate::components::error_notice::{CatalogNotice, MaybeError};
use crate::components::kid_history::{KidHistory, KidRow};

/// The history and the re-wrap, for an Azure Key Vault provider.
#[component]
pub fn KeyVersionsSection() -> impl IntoView {
    let store = use_kms();
    let rows = Memo::new(move |_| store.overview.with(|o| o.as_ref().and_then(kid_rows)));
    let rewrapping = Signal::derive(move || store.running(OpKind::Rewrap) && store.busy());
    move || {
        rows.get().map(|rows| {
            view! {
                <section class="card" aria-labelledby="versions-heading" data-testid="key-versions">
                    <div class="card-head">
                        <h2 id="versions-heading">"Key versions"</h2>
                        <button type="button" class="button" disabled=move || store.busy()
                            on:click=move |_| store.run(Op::Rewrap)>
                            {move || if rewrapping.get() { "Re-wrapping…" } else { "Re-wrap now" }}
                        </button>
                    </div>
                    <p>
                        "When a new version of your key appears in Key Vault (you rotated it, or a rotation policy did), keyswitch re-wraps the company key with it by itself at its next check: it unwraps with the version on record, wraps with the new one, checks that the new one unwraps it, then switches over in one step. "
                        "Re-wrap now does the same at once. Your backups are not re-encrypted and nothing stops while it runs."
                    </p>
                    <p>"Once the newest version is in use here, you can disable the older versions in Key Vault: keyswitch no longer needs them."</p>
                    <MaybeError error=store.error_for(&[OpKind::Rewrap])/>
                    <div aria-live="polite">
                        {move || store.overview.with(|o| o.as_ref().and_then(|o| o.rewrap.clone()))
                            .map(|p| view! { <RewrapNote progress=p/> })}
                    </div>
                    <KidHistory rows=rows/>
                </section>
            }
        })
    }
}

/// How a version came in, for people.
#[must_use]
pub fn reason_label(reason: KidReason) -> &'static str {
    match reason {
        KidReason::Switch => "Switch to Azure Key Vault",
        KidReason::Rotation => "New version seen in Key Vault; re-wrapped by keyswitch",
        KidReason::RewrapNow => "Re-wrap now",
    }
}

/// The history in the edge's status view (`None`: the key in force is not
/// an Azure Key Vault key).
#[must_use]
pub fn kid_rows(overview: &KmsOverview) -> Option<Vec<KidRow>> {
    if !matches!(overview.status.provider, Provider::AzureKeyVault { .. }) {
        return None;
    }
    Some(
        overview
            .kid_history
            .iter()
            .map(|r| KidRow {
                kid: r.kid.to_string(),
                version: r
                    .kid
                    .version()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| r.kid.to_string()),
                from_ms: r.from_ms,
                until_ms: r.until_ms,
                how: reason_label(r.reason).to_owned(),
            })
            .collect(),
    )
}

/// A re-wrap owed or under way: which version, how far, and its last
/// failure (retried by itself).
#[component]
fn RewrapNote(
    /// What the edge reported.
    progress: RewrapProgress,
) -> impl IntoView {
    let to = progress
        .to_kid
        .as_ref()
        .and_then(|k| k.version().map(|v| v.to_string()));
    let step = match progress.step {
        RewrapStep::ReadKey => "reading the key's current version",
        RewrapStep::Wrap => "wrapping the company key with the new version",
        RewrapStep::Verify => "unwrapping with the new version and comparing",
    };
    let title = match to {
        Some(v) => format!("Re-wrapping with version {v}: {step}"),
        None => format!("Re-wrapping: {step}"),
    };
    view! {
        <div class="notice notice-info" role="status" data-testid="rewrap-progress">
            <p class="notice-title">{title}</p>
            <p>"The version on record stays in force until the new one is proven to unwrap the company key."</p>
            {(progress.attempts > 0).then(|| view! {
                <p>{format!("Failed attempts so far: {}. keyswitch retries by itself.", progress.attempts)}</p>
            })}
            {progress.next_retry_at_ms.map(|t| view! { <p>"Next attempt: "{format_time(t)}</p> })}
        </div>
        {progress.last_error.map(|e| view! { <CatalogNotice body=e/> })}
    }
}
