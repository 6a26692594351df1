//! A key's health as a badge: a word and a symbol, never colour alone, and
//! one sentence on what it means for the company's backups.

use leptos::prelude::*;

/// How a health state (its wire code: `healthy`, `degraded`, `access_lost`,
/// `unknown`) is shown: label, symbol, badge class.
#[must_use]
pub fn health_look(state: &str) -> (&'static str, &'static str, &'static str) {
    match state {
        "healthy" => ("Healthy", "✓", "badge-ok"),
        "degraded" => ("Degraded", "!", "badge-warn"),
        "access_lost" => ("Access lost", "✕", "badge-error"),
        _ => ("Not checked yet", "?", "badge-pending"),
    }
}

/// What a health state means for the company, in plain words.
#[must_use]
pub fn health_meaning(state: &str) -> &'static str {
    match state {
        "healthy" => {
            "keyswitch reached your key at the last check: backups can be encrypted and restored."
        }
        "degraded" => {
            "Key Vault did not answer properly at the last check (too many requests, a service error or no answer). This is usually temporary: keyswitch retries by itself, waiting a little longer each time. Nothing is wrong with your key's permissions."
        }
        "access_lost" => {
            "keyswitch can no longer use your key, so new backups cannot be encrypted and restores fail once the cached copy of the company key expires. The cause and how to fix it are below; keyswitch notices the fix by itself at its next check, or at once with Check now."
        }
        _ => "keyswitch has not checked your key yet; the first check runs within minutes.",
    }
}

/// The badge. `state` is the wire code.
#[component]
pub fn HealthBadge(
    /// `healthy`, `degraded`, `access_lost` or `unknown`.
    #[prop(into)]
    state: Signal<String>,
) -> impl IntoView {
    let look = move || health_look(&state.get());
    view! {
        <span
            class=move || format!("badge badge-health {}", look().2)
            data-testid="health-badge"
            data-state=move || state.get()
        >
            <span aria-hidden="true">{move || look().1}" "</span>
            {move || look().0}
        </span>
    }
}
