//! *Vault and key*, after a failure at one of them (issue 17): the switch
//! form open, prefilled with the setup's values, the failure shown at the
//! field at fault and that field focused. Test Connection with the
//! corrected values runs the test again; a consent that still holds is not
//! asked for again (the model decides; this view only says so).

use keyswitch_shared::switch::{SetupField, SetupStep};
use leptos::prelude::*;

use super::consent::start_with;
use super::popup::BlockedPopup;
use super::store::{OpKind, use_kms};
use super::switch_form::SwitchForm;
use crate::api::ApiError;

/// What to correct, for the field at fault.
fn what_to_correct(field: Option<SetupField>) -> &'static str {
    match field {
        Some(SetupField::KeyName) => {
            "Correct the Key Name below (it is prefilled with the name that failed), then click Test Connection."
        }
        Some(SetupField::VaultUri) | None => {
            "Correct the Vault URI below, or fix the vault's settings in Azure, then click Test Connection."
        }
    }
}

/// The form for the vault and key, open at the field at fault.
#[component]
pub fn FixTargetStep() -> impl IntoView {
    let store = use_kms();
    let busy = Signal::derive(move || store.busy());
    let (vault_uri, key_name, field, consent_holds) = store
        .pending
        .with_untracked(|p| {
            p.as_ref().map(|p| {
                (
                    p.vault_uri.to_string(),
                    p.key_name.to_string(),
                    p.fault
                        .filter(|f| f.step == SetupStep::VaultAndKey)
                        .and_then(|f| f.field),
                    p.consent_holds,
                )
            })
        })
        .unwrap_or_default();
    // The setup's failure, at the field the model names; a refusal of the
    // next Test Connection replaces it.
    let failure = Memo::new(move |_| {
        store.error(&[OpKind::Start]).or_else(|| {
            store.pending.with(|p| {
                let p = p.as_ref()?;
                let field = p.fault.and_then(|f| f.field)?;
                let mut body = p.last_error.clone()?;
                body.field = Some(field.as_str().to_owned());
                Some(ApiError::Refused { status: 422, body })
            })
        })
    });
    let consent_note = if consent_holds {
        "Admin consent for the vault's tenant is still valid: the test runs without asking for it again."
    } else {
        "A Global Administrator or Privileged Role Administrator of the vault's tenant will be asked for admin consent when you test."
    };
    view! {
        <div class="step-panel" data-testid="fix-target">
            <h3>"Vault and key"</h3>
            <p>{what_to_correct(field)}" "{consent_note}</p>
            <SwitchForm
                initial_vault_uri=vault_uri
                initial_key_name=key_name
                on_submit=start_with(store)
                server_error=failure
                clouds=Signal::derive(move || store.overview.with(|o| o.as_ref().map(|o| o.connector_clouds.clone())))
                busy=busy
                focus=field.unwrap_or(SetupField::VaultUri)
            />
            <BlockedPopup url=store.consent_blocked what="Microsoft's consent page"/>
        </div>
    }
}
