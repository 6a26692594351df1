//! *Verify tenants*: each tenant of the backup sets is verified by its own
//! admin signing in; when the last one is, the switch finishes by itself.

use leptos::prelude::*;

use super::popup::BlockedPopup;
use super::store::{Op, OpKind, use_kms};
use crate::components::error_notice::MaybeError;
use crate::components::tenant_list::TenantList;

/// The tenant list with Verify and Refresh.
#[component]
pub fn TenantsStep() -> impl IntoView {
    let store = use_kms();
    let tenants = Signal::derive(move || {
        store
            .pending
            .with(|p| p.as_ref().map(|p| p.tenants.clone()).unwrap_or_default())
    });
    let unverifiable = Signal::derive(move || {
        store.pending.with(|p| {
            p.as_ref()
                .map(|p| p.unverifiable_sets.clone())
                .unwrap_or_default()
        })
    });
    let names = Signal::derive(move || {
        store.pending.with(|p| {
            p.as_ref()
                .map(|p| p.tenant_names.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <div class="step-panel">
            <p>"When every tenant is verified, the switch finishes by itself."</p>
            <TenantList
                tenants=tenants
                names=names
                unverifiable=unverifiable
                on_confirm_empty=Callback::new(move |()| store.run(Op::ConfirmNoTenants))
                on_verify=Callback::new(move |t| store.run(Op::Verify(t)))
                on_refresh=Callback::new(move |()| store.run(Op::Refresh))
                busy=Signal::derive(move || store.busy())
            />
            <MaybeError error=store.error_for(&[OpKind::Refresh, OpKind::Verify, OpKind::ConfirmNoTenants])/>
            <BlockedPopup url=store.verify_blocked what="sign-in page for this tenant"/>
        </div>
    }
}
