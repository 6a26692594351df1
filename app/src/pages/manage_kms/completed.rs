//! *Done*: the switch completed. The admin gets one chance to export the
//! company key without re-verifying tenants; the key goes straight into a
//! file and is not kept by the console.

use keyswitch_shared::api::CompanyKeyExport;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::store::use_kms;
use crate::api::{self, ApiError};
use crate::components::dialog::ConfirmDialog;
use crate::components::error_notice::{ErrorNotice, MaybeError};

/// Saves the export as a JSON file through a temporary object URL.
fn download(export: &CompanyKeyExport) -> Result<(), ApiError> {
    let fail = |what: &str| ApiError::Local(format!("the file could not be saved: {what}"));
    let json = serde_json::to_string_pretty(export).map_err(|_| fail("encoding"))?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| fail("blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("url"))?;
    let anchor: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|_| fail("link"))?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(&format!("{}-company-key.json", export.company_id));
    anchor.click();
    let _revoked = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The completed switch and the one-time export offer.
#[component]
pub fn CompletedView() -> impl IntoView {
    let store = use_kms();
    let company = store.company;
    let window = LocalResource::new(move || {
        let company = company.get();
        async move { api::export_verification(&company).await }
    });
    let confirm = RwSignal::new(false);
    let exported = RwSignal::new(false);
    let export = Action::new_local(move |(): &()| {
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

    let offer = move || {
        window.get().map(|r| match r {
            Ok(w) if w.export_open && !exported.get() => view! {
                <p>
                    "You have one opportunity to export a copy of your company encryption key without re-verifying your tenants. If you'd like an off-platform copy for safe-keeping, export it now."
                </p>
                <div class="actions">
                    <button type="button" class="button button-primary" on:click=move |_| confirm.set(true)
                        disabled=move || export.pending().get()>
                        "Export key"
                    </button>
                </div>
            }
            .into_any(),
            Ok(_) => view! {
                <p>
                    {move || if exported.get() {
                        "The company key was exported to a file. Keep it somewhere safe: it decrypts your backups. "
                    } else {
                        ""
                    }}
                    "A further export requires verifying every tenant again."
                </p>
            }
            .into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })
    };

    view! {
        <section class="card card-ok" aria-labelledby="done-heading">
            <h2 id="done-heading" tabindex="-1">"Switch complete"</h2>
            <p>"Your backup encryption keys are now protected by your Azure Key Vault key."</p>
            <h3>"Export the company key"</h3>
            <div aria-live="polite">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{offer}</Transition>
            </div>
            <MaybeError error=export_error/>
        </section>
        <ConfirmDialog
            open=confirm
            id="export-dialog"
            title="Export the company key now?"
            message="This is your one export without re-verifying tenants, and it is recorded in the audit trail. The file holds the key itself: store it offline and never share it."
                .to_owned()
            confirm_label="Export key"
            dismiss_label="Not now"
            on_confirm=Callback::new(move |()| {
                export.dispatch(());
            })
        />
    }
}
