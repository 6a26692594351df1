//! *Check configuration*: one action that runs every check at once without
//! changing anything and lists every problem with its fix. Before Save it
//! also tries the re-wrap (and throws the result away).

use leptos::prelude::*;

use crate::job::Job;

use super::store::use_kms;
use crate::api;
use crate::components::check_results::CheckResults;
use crate::components::error_notice::MaybeError;

/// The button, what it checks, and the last result.
#[component]
pub fn CheckConfiguration(
    /// Before Save (the pending setup's key) rather than the key in force.
    #[prop(optional)]
    before_save: bool,
) -> impl IntoView {
    let store = use_kms();
    let check = Job::new(move |(): &()| {
        let company = store.company.get_untracked();
        async move { api::check_configuration(&company).await }
    });
    // The check is audited: the trail has news.
    Effect::new(move |_| {
        if check.value().with(Option::is_some) {
            store.audit_news.notify();
        }
    });
    let result = move || {
        check
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|_| !check.pending().get())
            .map(|checks| view! { <CheckResults checks=checks/> })
    };
    let error = Signal::derive(move || check.value().get().and_then(Result::err));
    let what = if before_save {
        "Runs every check on the new key at once, without changing anything: admin consent, the role and its scope, key type, size and permitted operations, enabled, activation and expiry dates, the keyswitch-company tag, the vault firewall, request headroom, and each backup-set tenant. It also tries the re-wrap (unwrap with your current provider, wrap and unwrap with the new key) and discards the result."
    } else {
        "Runs every check on the key in force at once, without changing anything: admin consent, the role and its scope, key type, size and permitted operations, enabled, activation and expiry dates, the keyswitch-company tag, the vault firewall, request headroom, and each backup-set tenant."
    };
    let body = view! {
        <p>{what}</p>
        <div class="actions">
            <button type="button" class="button" disabled=move || check.pending().get()
                on:click=move |_| { check.dispatch(()); }>
                {move || if check.pending().get() { "Checking configuration…" } else { "Check configuration" }}
            </button>
        </div>
        <div aria-live="polite">{result}</div>
        <MaybeError error=error/>
    };
    if before_save {
        view! {
            <div class="step-panel" role="region" aria-labelledby="check-before-save-heading" data-testid="check-configuration">
                <h3 id="check-before-save-heading">"Check configuration"</h3>
                {body}
            </div>
        }
        .into_any()
    } else {
        view! {
            <section class="card" aria-labelledby="check-heading" data-testid="check-configuration">
                <h2 id="check-heading">"Check configuration"</h2>
                {body}
            </section>
        }
        .into_any()
    }
}
