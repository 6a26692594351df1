//! The workspace's vault audit trail card: every vault action (created,
//! tested, secret replaced, default set, items stored and read, health
//! changes), filtered by action and outcome, paged back through everything,
//! and downloaded as CSV or JSON lines, like Manage KMS's trail.

use keyswitch_shared::vaults::VaultAuditEvent;
use leptos::prelude::*;

use super::use_vaults;
use crate::components::audit_table::VaultAuditTable;
use crate::components::trail::{TrailOf, TrailSection};

fn table(events: Vec<VaultAuditEvent>) -> AnyView {
    // Vault names as the table lists them (a deleted or unknown vault by id).
    let names = use_context::<super::VaultsPage>()
        .map(|p| {
            p.vaults
                .get_untracked()
                .into_iter()
                .map(|v| (v.id.as_str().to_owned(), v.name.as_str().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    view! { <VaultAuditTable events=events names=names/> }.into_any()
}

/// The vault audit trail card.
#[component]
pub fn VaultTrailSection() -> impl IntoView {
    let page = use_vaults();
    view! {
        <section class="card" aria-labelledby="vault-audit-heading">
            <h2 id="vault-audit-heading">"Audit trail"</h2>
            <p>
                "Every action on this workspace's vaults: who did it, what, on which vault, when, how it ended, and the request ID that leads to the logs."
            </p>
            <TrailSection
                of=TrailOf::Workspace
                owner=page.workspace
                news=Callback::new(move |()| page.news.track())
                table=table
            />
        </section>
    }
}
