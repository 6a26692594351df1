//! The company's audit trail, read again whenever the edge reports a state;
//! older events a page at a time.

use leptos::prelude::*;

use super::store::use_kms;
use crate::api;
use crate::components::audit_table::AuditTable;
use crate::components::error_notice::ErrorNotice;
use crate::fetched::Fetched;

/// The audit trail card.
#[component]
pub fn AuditSection() -> impl IntoView {
    let store = use_kms();
    let pages = RwSignal::new(1usize);
    let trail = Fetched::new(move || {
        store.track_audit();
        let (company, pages) = (store.company.get(), pages.get());
        async move { api::audit(&company, pages).await }
    });
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            {move || match trail.get() {
                    None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    Some(Ok(t)) => view! {
                        <AuditTable events=t.events/>
                        {t.next_cursor.is_some().then(|| view! {
                            <button type="button" class="button" on:click=move |_| pages.update(|n| *n += 1)>
                                "Show older events"
                            </button>
                        })}
                    }
                    .into_any(),
                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                }}
        </section>
    }
}
