//! The tenants found in the company's backup sets, each with its verification
//! status, the reason when a verification failed, and a Verify button; the
//! backup sets that cannot be verified, each with why and how to fix it; and,
//! when there is no backup set at all, the confirmation that there is
//! nothing to verify.

use keyswitch_shared::api::TenantName;
use keyswitch_shared::switch::{Tenant, TenantRef, TenantStatus, UnverifiableSet};
use leptos::prelude::*;

use crate::components::error_notice::CatalogNotice;

/// "Microsoft 365" or "Google Workspace".
#[must_use]
pub fn kind_label(tenant: &TenantRef) -> &'static str {
    match tenant {
        TenantRef::Microsoft365 { .. } => "Microsoft 365",
        TenantRef::GoogleWorkspace { .. } => "Google Workspace",
    }
}

/// The tenant id or Google customer id.
#[must_use]
pub fn tenant_id(tenant: &TenantRef) -> String {
    match tenant {
        TenantRef::Microsoft365 { tenant_id } => tenant_id.to_string(),
        TenantRef::GoogleWorkspace { customer_id } => customer_id.to_string(),
    }
}

/// What the edge calls the id, for people.
fn id_label(tenant: &TenantRef) -> &'static str {
    match tenant {
        TenantRef::Microsoft365 { .. } => "Tenant ID",
        TenantRef::GoogleWorkspace { .. } => "Customer ID",
    }
}

/// The tenant list with Refresh.
#[component]
pub fn TenantList(
    /// The tenants of the latest inventory.
    #[prop(into)]
    tenants: Signal<Vec<Tenant>>,
    /// Verify clicked for a tenant.
    on_verify: Callback<TenantRef>,
    /// Refresh clicked (no Refresh button without it).
    #[prop(optional)]
    on_refresh: Option<Callback<()>>,
    /// A call is running: buttons wait.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// Display names from the host's inventory (a tenant may have none).
    #[prop(optional, into)]
    names: Signal<Vec<TenantName>>,
    /// Backup sets that cannot be verified: each blocks the switch.
    #[prop(optional, into)]
    unverifiable: Signal<Vec<UnverifiableSet>>,
    /// "Confirm there is nothing to verify" clicked (offered only when the
    /// inventory lists no backup set at all).
    #[prop(optional, into)]
    on_confirm_empty: Option<Callback<()>>,
    /// The card's heading (default "Tenants to verify").
    #[prop(optional)]
    heading: Option<&'static str>,
) -> impl IntoView {
    let summary = move || {
        let blocked = unverifiable.with(Vec::len);
        tenants.with(|ts| {
            let done = ts.iter().filter(|t| t.is_verified()).count();
            let mut s = format!("{done} of {} tenants verified", ts.len());
            if blocked > 0 {
                s.push_str(&format!(
                    "; {blocked} backup set{} can't be verified",
                    if blocked == 1 { "" } else { "s" }
                ));
            }
            s
        })
    };
    let no_sets = move || tenants.with(Vec::is_empty) && unverifiable.with(Vec::is_empty);
    let empty = move || {
        view! {
            <div data-testid="no-backup-sets">
                <p>"RedApp lists no backup sets for this company, so there is no Microsoft 365 or Google Workspace tenant to verify."</p>
                {on_confirm_empty.map(|confirm| view! {
                    <p>"If that is right (this company backs up nothing yet), confirm it to finish the switch. If backup sets are missing, add them in RedApp and select Refresh instead. keyswitch reads the backup sets once more before it finishes: a set added by then must be verified first."</p>
                    <button
                        type="button"
                        class="button button-primary"
                        data-testid="confirm-no-tenants"
                        disabled=move || busy.get()
                        on:click=move |_| confirm.run(())
                    >
                        "Confirm there is nothing to verify"
                    </button>
                })}
            </div>
        }
    };
    view! {
        <section class="card tenants" aria-labelledby="tenants-heading">
            <div class="card-head">
                <h2 id="tenants-heading">{heading.unwrap_or("Tenants to verify")}</h2>
                {on_refresh.map(|refresh| view! {
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| refresh.run(())
                        disabled=move || busy.get()
                    >
                        "Refresh"
                    </button>
                })}
            </div>
            <p class="muted" role="status" data-testid="tenant-summary">{summary}</p>
            <Show when=move || !unverifiable.with(Vec::is_empty)>
                <h3 class="unverifiable-heading">"Backup sets that can't be verified"</h3>
                <p>"The switch can't finish while these backup sets are listed as they are: correct each one in RedApp, then select Refresh."</p>
                <ul class="tenant-list" aria-label="Backup sets that can't be verified">
                    <For
                        each=move || unverifiable.get()
                        key=Clone::clone
                        children=move |set| view! { <UnverifiableRow set=set/> }
                    />
                </ul>
            </Show>
            <Show when=move || !no_sets() fallback=empty>
                <Show when=move || tenants.with(|t| !t.is_empty())>
                <ul class="tenant-list" aria-label="Tenants">
                    <For
                        each=move || tenants.get()
                        key=|t| (t.tenant.clone(), format!("{:?}", t.status))
                        children=move |t| {
                            let name = names.with(|ns| {
                                ns.iter().find(|n| n.tenant == t.tenant).map(|n| n.name.clone())
                            });
                            view! { <TenantRow tenant=t name=name on_verify=on_verify busy=busy/> }
                        }
                    />
                </ul>
                </Show>
            </Show>
        </section>
    }
}

/// A backup set that cannot be verified: its name and id, why, and the fix.
#[component]
fn UnverifiableRow(
    /// The set.
    set: UnverifiableSet,
) -> impl IntoView {
    let body = set.error().body();
    view! {
        <li class="tenant" data-testid="unverifiable-set">
            <div class="tenant-main">
                <p class="tenant-name">
                    {set.set_name.clone().map(|n| view! { <strong>{n}</strong>" · " })}
                    <span class="tenant-kind">"Backup set"</span>
                </p>
                <p class="tenant-id"><span class="muted">"Set ID: "</span><code>{set.set_id.clone()}</code></p>
            </div>
            <span class="badge badge-error" data-testid="tenant-status">"Can't be verified"</span>
            <div class="tenant-reason"><CatalogNotice body=body role="none"/></div>
        </li>
    }
}

/// One tenant.
#[component]
fn TenantRow(
    /// The tenant and its status.
    tenant: Tenant,
    /// Its display name, when the inventory gives one.
    name: Option<String>,
    /// Verify clicked.
    on_verify: Callback<TenantRef>,
    /// A call is running.
    busy: Signal<bool>,
) -> impl IntoView {
    let kind = kind_label(&tenant.tenant);
    let id = tenant_id(&tenant.tenant);
    let id_name = id_label(&tenant.tenant);
    let (status_text, status_class) = match &tenant.status {
        TenantStatus::Verified { .. } => ("Verified", "badge badge-ok"),
        TenantStatus::Unverified => ("Not verified", "badge badge-pending"),
        TenantStatus::Failed { .. } => ("Verification failed", "badge badge-error"),
    };
    let reason = match &tenant.status {
        TenantStatus::Failed { reason } => Some(reason.clone()),
        _ => None,
    };
    let verified = tenant.is_verified();
    let target = tenant.tenant.clone();
    view! {
        <li class="tenant" data-testid="tenant">
            <div class="tenant-main">
                <p class="tenant-name">
                    {name.map(|n| view! { <strong>{n}</strong>" · " })}
                    <span class="tenant-kind">{kind}</span>
                </p>
                <p class="tenant-id"><span class="muted">{id_name}": "</span><code>{id.clone()}</code></p>
            </div>
            <span class=status_class data-testid="tenant-status">{status_text}</span>
            {(!verified).then(|| view! {
                <button
                    type="button"
                    class="button button-primary"
                    disabled=move || busy.get()
                    on:click=move |_| on_verify.run(target.clone())
                >
                    "Verify"<span class="sr-only">" "{kind}" "{id.clone()}</span>
                </button>
            })}
            {reason.map(|r| view! { <div class="tenant-reason"><CatalogNotice body=r role="none"/></div> })}
        </li>
    }
}
