//! *Key Management → Manage KMS*: the current provider, the pending setup and
//! every step of the switch to Azure Key Vault, Cancel pending setup, and the
//! audit trail. The edge's answer to each action is the new state, so the
//! screen always shows what the edge decided.
//!
//! The screen's state lives in one [`store::KmsStore`] provided through
//! context; each step is a module that reads it and asks it to run
//! operations.

pub mod audit;
pub mod cancel;
pub mod check_config;
pub mod completed;
mod consent;
pub mod finalize;
mod fix_target;
pub mod health;
pub mod key_versions;
pub mod pending;
mod popup;
pub mod reverify;
pub mod role_assignment;
pub mod start;
mod status;
pub mod store;
pub mod switch_form;
mod tenants;
mod tested;

use keyswitch_shared::switch::Stage;
use leptos::prelude::*;

use self::cancel::CancelledNote;
use self::completed::{CompletedView, ExportCard};
use self::start::StartSection;
use self::status::{CurrentProvider, ForbiddenNotice, StageAnnouncement};
pub use self::status::{StatusView, stage_announcement};
use self::store::KmsStore;
use crate::navigation::Link;

/// The Manage KMS screen for the company in the path.
#[component]
pub fn ManageKms(
    /// The company in the path.
    company: String,
) -> impl IntoView {
    let company = Signal::stored(company);
    let store = KmsStore::provide(company);
    // The trail is built once the state is here: its module comes
    // meanwhile.
    crate::on_demand::prefetch_audit();
    // What decides the screen's structure; data inside updates in place.
    let shape = Memo::new(move |_| {
        store
            .overview
            .with(|o| o.as_ref().map(|o| (o.stage, o.pending.is_some())))
    });
    let azure = Memo::new(move |_| store.on_azure());
    let pending = Memo::new(move |_| shape.get().is_some_and(|(_, pending)| pending));
    role_assignment::open_and_close_with_the_stage(store);
    let body = move || {
        shape.get().map(|(stage, pending)| {
            if pending {
                view! {
                    {crate::on_demand::pending(stage)}
                    <ExportCard/>
                }
                .into_any()
            } else {
                view! { <NoSetup stage=stage/> }.into_any()
            }
        })
    };
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                <li><Link href="/">"Key Management"</Link></li>
                <li><span aria-current="page">"Manage KMS"</span></li>
            </ol>
        </nav>
        <h1>"Manage KMS"</h1>
        <ForbiddenNotice/>
        <CurrentProvider/>
        {move || azure.get().then(crate::on_demand::key_health)}
        <StageAnnouncement/>
        {body}
        {move || pending.get().then(crate::on_demand::pending_dialogs)}
        <Show when=move || store.overview.with(Option::is_some)>
            {crate::on_demand::audit()}
        </Show>
    }
}

/// No setup pending: how the last one ended, and the offer to start one.
#[component]
fn NoSetup(
    /// Where the last switch ended (idle, done, cancelled).
    stage: Stage,
) -> impl IntoView {
    let store = store::use_kms();
    let azure = Memo::new(move |_| store.on_azure());
    view! {
        {(stage == Stage::Done).then(|| view! { <CompletedView/> })}
        {(stage == Stage::Cancelled).then(|| view! { <CancelledNote/> })}
        {(stage != Stage::Done).then(|| view! { <ExportCard/> })}
        {move || azure.get().then(crate::on_demand::key_in_force)}
        <StartSection/>
    }
}
