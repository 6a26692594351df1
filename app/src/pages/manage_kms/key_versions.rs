//! *Key versions*: which versions of the customer's key have protected the
//! company key (the `kid` history), and *Re-wrap now*.

use leptos::prelude::*;

use super::store::{Op, OpKind, use_kms};
use crate::components::error_notice::MaybeError;
use crate::components::kid_history::{KidHistory, KidRow};

/// The history and the re-wrap, for an Azure Key Vault provider.
#[component]
pub fn KeyVersionsSection() -> impl IntoView {
    let store = use_kms();
    let rows = Memo::new(move |_| store.overview.with(|o| o.as_ref().and_then(kid_rows)));
    let rewrapping = Signal::derive(move || store.running(OpKind::Rewrap) && store.busy());
    move || {
        rows.get().map(|rows| {
            view! {
                <section class="card" aria-labelledby="versions-heading" data-testid="key-versions">
                    <div class="card-head">
                        <h2 id="versions-heading">"Key versions"</h2>
                        <button type="button" class="button" disabled=move || store.busy()
                            on:click=move |_| store.run(Op::Rewrap)>
                            {move || if rewrapping.get() { "Re-wrapping…" } else { "Re-wrap now" }}
                        </button>
                    </div>
                    <p>
                        "When a new version of your key appears in Key Vault (you rotated it, or a rotation policy did), keyswitch re-wraps the company key with it by itself at its next check: it unwraps with the version on record, wraps with the new one, checks that the new one unwraps it, then switches over in one step. "
                        "Re-wrap now does the same at once. Your backups are not re-encrypted and nothing stops while it runs."
                    </p>
                    <p>"Once the newest version is in use here, you can disable the older versions in Key Vault: keyswitch no longer needs them."</p>
                    <MaybeError error=store.error_for(&[OpKind::Rewrap])/>
                    <KidHistory rows=rows/>
                </section>
            }
        })
    }
}

/// The history in the edge's status view (`None`: not an Azure provider).
#[must_use]
pub fn kid_rows(overview: &keyswitch_shared::api::KmsOverview) -> Option<Vec<KidRow>> {
    // Wired to the rotation stream's status view as it lands.
    let _ = overview;
    None
}
