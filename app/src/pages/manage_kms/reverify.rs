//! *Verify every tenant again*: after the one-time export (or once its
//! window ended), one more export needs every tenant of the backup sets
//! verified again by its own admin. The round lists the tenants of the
//! inventory as it is when the round starts; each is verified with the
//! same sign-in as during a switch; when the last one is, one more export
//! is offered. An inventory with no backup set opens nothing by itself: an
//! admin confirms there is nothing to verify (keyswitch reads the backup
//! sets once more before it counts).

use keyswitch_shared::api::{ExportOffer, ExportVerification};
use leptos::prelude::*;

use crate::job::Job;

use super::popup::BlockedPopup;
use super::store::{Op, OpKind, use_kms};
use crate::api::{self, ApiError};
use crate::components::error_notice::MaybeError;
use crate::components::tenant_list::TenantList;
use crate::fetched::Fetched;

/// What the admin asked for in this section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Start a round (or start it again).
    Begin,
    /// The round lists no backup set: confirm there is nothing to verify.
    ConfirmEmpty,
}

/// The re-verification, for a closed export window.
#[component]
pub fn Reverification(
    /// The export window and the round, as the edge reports them.
    window: Fetched<Result<ExportVerification, ApiError>>,
) -> impl IntoView {
    let store = use_kms();
    let company = store.company;
    let ask = Job::new(move |what: &Ask| {
        let (company, what) = (company.get_untracked(), *what);
        async move {
            match what {
                Ask::Begin => api::begin_export_verification(&company).await,
                Ask::ConfirmEmpty => api::confirm_no_export_tenants(&company).await,
            }
        }
    });
    Effect::new(move |_| {
        if ask.value().get().is_some() {
            // The round (or the window) changed, and the trail has news.
            window.refetch();
            store.audit_news.notify();
        }
    });
    let ask_error = Signal::derive(move || ask.value().get().and_then(Result::err));
    let verify_error = Signal::derive(move || store.error(&[OpKind::Verify]));
    let busy = Signal::derive(move || ask.pending().get() || store.busy());
    // What the model offers: a round only when one can start (not during
    // a setup) and the window is closed.
    let round = move || match window.get() {
        Some(Ok(w)) if !w.export_open && w.offer == ExportOffer::Reverify => Some(w),
        _ => None,
    };
    let body = move || {
        let w = round()?;
        Some(if !w.verifying {
            view! {
                <p data-testid="export-needs-round">
                    "A further export requires verifying every tenant again. Each Microsoft 365 or Google Workspace tenant of your backup sets is verified by its own admin signing in, as during the switch. When the last one is verified, you can export the key once more."
                </p>
                <div class="actions">
                    <button type="button" class="button button-primary" data-testid="begin-export-verification"
                        disabled=move || busy.get() on:click=move |_| { ask.dispatch(Ask::Begin); }>
                        "Verify every tenant again"
                    </button>
                </div>
            }
            .into_any()
        } else if w.nothing_to_verify {
            view! {
                <div data-testid="export-nothing-to-verify">
                    <p>
                        "RedApp lists no backup sets for this company, so there is no Microsoft 365 or Google Workspace tenant to verify."
                    </p>
                    <p>
                        "If that is right, confirm it to allow one more export; the confirmation is recorded in the audit trail. keyswitch reads the backup sets once more first: if a set was added meanwhile, its tenant must be verified instead. If backup sets are missing, add them in RedApp and read them again."
                    </p>
                    <div class="actions">
                        <button type="button" class="button button-primary" data-testid="confirm-no-export-tenants"
                            disabled=move || busy.get() on:click=move |_| { ask.dispatch(Ask::ConfirmEmpty); }>
                            "Confirm there is nothing to verify"
                        </button>
                        <button type="button" class="button" disabled=move || busy.get()
                            on:click=move |_| { ask.dispatch(Ask::Begin); }>
                            "Read the backup sets again"
                        </button>
                    </div>
                </div>
            }
            .into_any()
        } else {
            let tenants = Signal::derive(move || match window.get() {
                Some(Ok(w)) => w.tenants,
                _ => Vec::new(),
            });
            view! {
                <p>"Verify each tenant again. When the last one is verified, you can export the key once more."</p>
                <TenantList
                    tenants=tenants
                    on_verify=Callback::new(move |t| store.run(Op::Verify(t)))
                    busy=busy
                    heading="Tenants to verify again"
                />
                <div class="actions">
                    <button type="button" class="button" disabled=move || busy.get()
                        on:click=move |_| { ask.dispatch(Ask::Begin); }>
                        "Start again with the current backup sets"
                    </button>
                </div>
                <p class="muted">"Starting again reads the backup sets once more; tenants already verified in this round must then be verified again."</p>
            }
            .into_any()
        })
    };
    view! {
        <div data-testid="export-reverification">
            {body}
            <MaybeError error=ask_error/>
            <MaybeError error=verify_error/>
            <BlockedPopup url=store.verify_blocked what="sign-in page for this tenant"/>
        </div>
    }
}
