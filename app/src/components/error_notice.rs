//! Shows a failure where it happened: a catalog refusal with its fix (and why,
//! when the edge says), a network failure as such, or a failure inside the
//! browser, never one as another.

use keyswitch_shared::ErrorBody;
use leptos::prelude::*;

use crate::api::ApiError;

/// An alert box for a failed call.
#[component]
pub fn ErrorNotice(
    /// The failure to show.
    error: ApiError,
) -> impl IntoView {
    match error {
        ApiError::Refused { body, .. } => view! { <CatalogNotice body=body/> }.into_any(),
        ApiError::Network(_) => view! {
            <div class="notice notice-error notice-network" role="alert" data-code="network">
                <p class="notice-title">"Connection problem"</p>
                <p class="notice-fix">{error.to_string()}</p>
            </div>
        }
        .into_any(),
        ApiError::Local(_) => view! {
            <div class="notice notice-error" role="alert" data-code="local">
                <p class="notice-title">"Problem in this browser"</p>
                <p class="notice-fix">{error.to_string()}</p>
            </div>
        }
        .into_any(),
    }
}

/// A catalog error body (a refusal, a failed test, a failed verification):
/// message, why (when known) and how to fix it.
#[component]
pub fn CatalogNotice(
    /// Code, message, fix and detail as the edge sent them.
    body: ErrorBody,
    /// `alert` (default) for something that just happened, `none` for a
    /// standing reason inside a list.
    #[prop(optional, into)]
    role: Option<&'static str>,
) -> impl IntoView {
    let ErrorBody {
        code,
        message,
        fix,
        detail,
        commands,
        ..
    } = body;
    // The commands sit beside the alert, not in it: a screen reader
    // announces the failure and its fix, and the admin reaches the
    // commands (tabs and copy buttons) next.
    let commands = (!commands.is_empty()).then(|| {
        let id = format!("fix-commands-{}", next_notice_id());
        view! {
            <div class="notice-commands" data-commands-for=code.clone()>
                <p class="notice-commands-title">"The commands that fix it, for the tool you use:"</p>
                {crate::on_demand::fix_commands(id, commands)}
            </div>
        }
    });
    view! {
        <div class="notice notice-error" role=role.unwrap_or("alert") data-code=code>
            <p class="notice-title">{message}</p>
            {detail.map(|d| view! { <p class="notice-detail">{d}</p> })}
            <p class="notice-fix"><span class="fix-label">"How to fix it: "</span>{fix}</p>
        </div>
        {commands}
    }
}

/// A number unique on the page, for the ids of a notice's command tabs
/// (several notices may show the same error).
fn next_notice_id() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The failure of the last run of an action, if any, shown in place.
#[component]
pub fn MaybeError(
    /// The last failure, or `None`.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    move || error.get().map(|e| view! { <ErrorNotice error=e/> })
}
