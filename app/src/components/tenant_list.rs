//! The tenants found in the company's backup sets, each with its verification
//! status, the reason when a verification failed, and a Verify button.

use keyswitch_shared::api::TenantName;
use keyswitch_shared::switch::{Tenant, TenantRef, TenantStatus};
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
    /// Refresh clicked.
    on_refresh: Callback<()>,
    /// A call is running: buttons wait.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// Display names from the host's inventory (a tenant may have none).
    #[prop(optional, into)]
    names: Signal<Vec<TenantName>>,
) -> impl IntoView {
    let summary = move || {
        tenants.with(|ts| {
            let done = ts.iter().filter(|t| t.is_verified()).count();
            format!("{done} of {} tenants verified", ts.len())
        })
    };
    view! {
        <section class="card tenants" aria-labelledby="tenants-heading">
            <div class="card-head">
                <h2 id="tenants-heading">"Tenants to verify"</h2>
                <button
                    type="button"
                    class="button"
                    on:click=move |_| on_refresh.run(())
                    disabled=move || busy.get()
                >
                    "Refresh"
                </button>
            </div>
            <p class="muted" role="status" data-testid="tenant-summary">{summary}</p>
            <Show
                when=move || tenants.with(|t| !t.is_empty())
                fallback=|| view! { <p>"No Microsoft 365 or Google Workspace tenants were found in the backup sets."</p> }
            >
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
        </section>
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
