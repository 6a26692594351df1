//! The company's audit trail card (the trail itself: `components::trail`):
//! filtered by action and outcome, paged back through everything, and
//! downloaded as CSV or JSON lines.

use keyswitch_shared::api::AuditEvent;
use leptos::prelude::*;

use super::store::use_kms;
use crate::components::audit_table::AuditTable;
pub use crate::components::trail::AuditFilters;
use crate::components::trail::{TrailOf, TrailSection};

/// What the company trail's card shows: the events read so far.
pub type Listing = crate::components::trail::Listing<AuditEvent>;

fn table(events: Vec<AuditEvent>) -> AnyView {
    view! { <AuditTable events=events/> }.into_any()
}

/// The audit trail card.
#[component]
pub fn AuditSection() -> impl IntoView {
    let store = use_kms();
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <p>
                "Every action on this company's KMS settings: who did it (a RedApp user, an admin at Microsoft or Google, or keyswitch itself), what, when, how it ended, and the request ID that leads to the logs."
            </p>
            <TrailSection
                of=TrailOf::Company
                owner=store.company
                news=Callback::new(move |()| store.track_audit())
                table=table
            />
        </section>
    }
}
