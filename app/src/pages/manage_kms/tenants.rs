//! *Verify tenants*: each tenant of the backup sets is verified by its own
//! admin signing in; when the last one is, the switch finishes by itself.

use leptos::prelude::*;

use super::popup::BlockedPopup;
use super::store::{Op, OpKind, use_kms};
use crate::api::ApiError;
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
    // A set that cannot be verified is shown once, as the setup's last error
    // and on its own row; the refused Refresh adds nothing to that.
    let errors = Signal::derive(move || {
        store
            .error(&[OpKind::Refresh, OpKind::Verify, OpKind::ConfirmNoTenants])
            .filter(|e| {
                !matches!(e, ApiError::Refused { body, .. } if body.code == "backup_set_unverifiable")
            })
    });
    view! {
        <div class="step-panel">
            <Show when=move || !(tenants.with(Vec::is_empty) && unverifiable.with(Vec::is_empty))>
                <p>"When every tenant is verified, the switch finishes by itself."</p>
            </Show>
            <TenantList
                tenants=tenants
                names=names
                unverifiable=unverifiable
                on_confirm_empty=Callback::new(move |()| store.run(Op::ConfirmNoTenants))
                on_verify=Callback::new(move |t| store.run(Op::Verify(t)))
                on_refresh=Callback::new(move |()| store.run(Op::Refresh))
                busy=Signal::derive(move || store.busy())
            />
            <MaybeError error=errors/>
            <BlockedPopup url=store.verify_blocked what="sign-in page for this tenant"/>
        </div>
    }
}
