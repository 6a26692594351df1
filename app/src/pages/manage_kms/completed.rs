//! *Done*: the switch completed. The admin gets one chance to export the
//! company key without re-verifying tenants; the key goes straight into a
//! file and is not kept by the console.

use keyswitch_shared::api::{CompanyKeyExport, ExportOffer};
use leptos::prelude::*;

use crate::job::Job;

use super::reverify::Reverification;
use super::store::use_kms;
use crate::api::{self, ApiError};
use crate::components::audit_table::format_time;
use crate::components::dialog::ConfirmDialog;
use crate::components::error_notice::{CatalogNotice, ErrorNotice, MaybeError};
use crate::fetched::Fetched;
use crate::session;

/// The query that brings the admin back to the export after signing in again.
const RESUME: &str = "resume=export";

/// Whether the page was opened to resume the export (after a fresh sign-in);
/// the query is removed from the address bar.
fn take_resume() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    if !search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == RESUME)
    {
        return false;
    }
    let path = location.pathname().unwrap_or_else(|_| "/".to_owned());
    if let Ok(history) = window.history() {
        let _replaced =
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
    true
}

/// The export's refusal for a stale sign-in: the catalog text and the way
/// through RedApp's sign-in back to the export.
#[component]
pub fn ReauthNotice(
    /// The refusal as the edge sent it.
    body: keyswitch_shared::ErrorBody,
    /// Where to come back to (this screen's path).
    #[prop(into)]
    return_path: String,
) -> impl IntoView {
    let href = session::fresh_sign_in_href(&format!("{return_path}?{RESUME}"));
    view! {
        <CatalogNotice body=body/>
        <div class="actions">
            // rel="external": a full page load to the edge, not a client-side route.
            <a class="button button-primary" href=href rel="external" data-testid="reauth-export">
                "Sign in again to export"
            </a>
        </div>
    }
}

/// Saves the export as a JSON file.
fn download(export: &CompanyKeyExport) -> Result<(), ApiError> {
    let json = serde_json::to_string_pretty(export)
        .map_err(|_| ApiError::Local("the file could not be saved: encoding".into()))?;
    crate::download::save_text(
        &format!("{}-company-key.json", export.company_id),
        "application/json",
        &json,
    )
}

/// The completed switch and the one-time export offer.
#[component]
pub fn CompletedView() -> impl IntoView {
    view! {
        <section class="card card-ok" aria-labelledby="done-heading">
            <h2 id="done-heading" tabindex="-1">"Switch complete"</h2>
            <p>"Your backup encryption keys are now protected by your Azure Key Vault key."</p>
            <h3>"Export the company key"</h3>
            {crate::on_demand::export()}
        </section>
    }
}

/// The export and its re-verification in any other stage, whenever the
/// model offers them (`KmsOverview.export`): e.g. a switch completed, a
/// later setup was started and cancelled, and the earlier switch's window
/// is still open.
#[component]
pub fn ExportCard() -> impl IntoView {
    let store = use_kms();
    let offered = move || {
        store.overview.with(|o| {
            o.as_ref()
                .is_some_and(|o| o.export != ExportOffer::Unavailable)
        })
    };
    view! {
        <Show when=offered>
            <section class="card" aria-labelledby="export-heading" data-testid="export-card">
                <h2 id="export-heading">"Export the company key"</h2>
                <p>
                    "The company key has been protected by your own key. Its export stays available as long as the offer of your last switch (or of a re-verification) lasts; after that, every tenant is verified again first."
                </p>
                {crate::on_demand::export()}
            </section>
        </Show>
    }
}

/// The export offer, the re-verification, and the confirmation dialog.
#[component]
pub fn ExportBody() -> impl IntoView {
    let store = use_kms();
    let company = store.company;
    let window = Fetched::new(move || {
        // Read again when the edge reports a state: a tenant verified in
        // the sign-in popup may have reopened the window.
        store.track_audit();
        let company = company.get();
        async move { api::export_verification(&company).await }
    });
    let confirm = RwSignal::new(false);
    let exported = RwSignal::new(false);
    let export = Job::new(move |(): &()| {
        let company = company.get_untracked();
        async move {
            let key = api::export(&company).await?;
            download(&key)
        }
    });
    Effect::new(move |_| {
        if let Some(r) = export.value().get() {
            if r.is_ok() {
                exported.set(true);
            }
            window.refetch();
            // The trail has a new event.
            store.audit_news.notify();
        }
    });
    let export_error = Signal::derive(move || export.value().get().and_then(Result::err));
    // Back from RedApp's sign-in for the export: ask again at once.
    let resume = take_resume();
    Effect::new(move |_| {
        if resume && matches!(window.get(), Some(Ok(w)) if w.export_open) {
            confirm.set(true);
        }
    });
    let stale = Signal::derive(move || match export_error.get() {
        Some(ApiError::Refused { body, .. }) if body.code == "reauthentication_required" => {
            Some(body)
        }
        _ => None,
    });
    let other_error = Signal::derive(move || export_error.get().filter(|_| stale.get().is_none()));
    let return_path = move || format!("/companies/{}/kms", company.get());

    let offer = move || {
        match window.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            // Open again after a re-verification round, even in this visit.
            Some(Ok(w)) if w.export_open => view! {
                <p>
                    "You have one opportunity to export a copy of your company encryption key without re-verifying your tenants. If you'd like an off-platform copy for safe-keeping, export it now."
                </p>
                {w.export_closes_at.map(|end| {
                    let at = format_time(u64::try_from(end).unwrap_or(0).saturating_mul(1000));
                    view! {
                        <p data-testid="export-until">
                            "This offer ends " <strong>{at}</strong>
                            ". Exporting needs a sign-in within the last 10 minutes: if yours is older, you will be asked to sign in to RedApp again."
                        </p>
                    }
                })}
                <div class="actions">
                    <button type="button" class="button button-primary" on:click=move |_| confirm.set(true)
                        disabled=move || export.pending().get()>
                        "Export key"
                    </button>
                </div>
            }
            .into_any(),
            Some(Ok(_)) => view! {
                <Show when=move || exported.get()>
                    <p data-testid="exported-note">
                        "The company key was exported to a file. Keep it somewhere safe: it decrypts your backups."
                    </p>
                </Show>
            }
            .into_any(),
            Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
        }
    };

    view! {
        <div aria-live="polite">
            {offer}
        </div>
        <Reverification window=window/>
        <MaybeError error=other_error/>
        {move || stale.get().map(|body| view! { <ReauthNotice body=body return_path=return_path()/> })}
        <ConfirmDialog
            open=confirm
            id="export-dialog"
            title="Export the company key now?"
            message="The export is recorded in the audit trail, and a further one requires verifying every tenant again. The file holds the key itself: store it offline and never share it."
                .to_owned()
            confirm_label="Export key"
            dismiss_label="Not now"
            on_confirm=Callback::new(move |()| {
                export.dispatch(());
            })
        />
    }
}
