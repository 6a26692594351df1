//! Component tests, in headless Chromium (issue 17 item 1): after a failed
//! connection test, the steps show what the model reports (done steps stay
//! done, the step at fault says so), and the switch form opens prefilled
//! with the failure at the field the model names, that field focused.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::api::ApiError;
use keyswitch_app::components::progress::Progress;
use keyswitch_app::pages::manage_kms::switch_form::{SwitchForm, ValidTarget};
use keyswitch_shared::CatalogError;
use keyswitch_shared::switch::{Fault, SetupField, SetupStep, Stage, progress};
use leptos::prelude::*;
use support::{active_id, click_button, find_all, input_value, mount, text, tick, type_into};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `(data-step, class, screen-reader words)` of each step shown.
fn shown(host: &web_sys::HtmlElement) -> Vec<(String, String, String)> {
    find_all(host, ".steps li")
        .into_iter()
        .map(|li| {
            let said = li
                .query_selector(".sr-only")
                .ok()
                .flatten()
                .and_then(|s| s.text_content())
                .unwrap_or_default();
            (
                li.get_attribute("data-step").unwrap_or_default(),
                li.class_name(),
                said,
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn key_not_found_keeps_consent_and_role_done_and_marks_the_key_step() {
    let fault = Fault::of(
        &CatalogError::KeyNotFound { key_name: None },
        SetupStep::ConnectionTest,
    );
    let steps = RwSignal::new(progress(Stage::Draft, Some(fault), true).steps);
    let host = mount(move || view! { <Progress steps=steps/> });
    tick().await;
    let got = shown(&host);
    assert_eq!(got.len(), 6);
    assert_eq!(
        got[0],
        (
            "vault_and_key".into(),
            "step step-current step-failed".into(),
            " (needs attention)".into()
        )
    );
    assert_eq!(got[1].1, "step step-done");
    assert_eq!(got[1].2, " (done)");
    assert_eq!(got[2].0, "role_assignment");
    assert_eq!(got[2].1, "step step-done");
    assert!(got[3..].iter().all(|s| s.1 == "step step-todo"), "{got:?}");
    // Exactly one step is current, for assistive technology.
    assert_eq!(find_all(&host, "[aria-current=step]").len(), 1);
    assert_eq!(
        text(&host, "[aria-current=step] .step-label"),
        "Vault and key"
    );

    // The test passes with the corrected name: the steps follow the model.
    steps.set(progress(Stage::Tested, None, true).steps);
    tick().await;
    let got = shown(&host);
    assert!(got[..3].iter().all(|s| s.1 == "step step-done"), "{got:?}");
    assert_eq!(got[3].1, "step step-current");
    assert_eq!(got[3].2, " (current step)");
}

#[wasm_bindgen_test]
async fn the_form_opens_prefilled_with_the_failure_at_the_key_name_focused() {
    let failure = CatalogError::KeyNotFound { key_name: None };
    let mut body = failure.body();
    // What the pending view hands the form: the model's field at fault.
    body.field = Some(SetupField::KeyName.as_str().to_owned());
    let server_error = RwSignal::new(Some(ApiError::Refused { status: 422, body }));
    let submitted = RwSignal::new(Vec::<ValidTarget>::new());
    let host = mount(move || {
        view! {
            <SwitchForm
                initial_vault_uri="https://contoso-kms.vault.azure.net"
                initial_key_name="no-such-key"
                on_submit=Callback::new(move |t| submitted.update(|v| v.push(t)))
                server_error=server_error
                focus=SetupField::KeyName
            />
        }
    });
    tick().await;
    tick().await;
    assert_eq!(input_value(&host, "key-name"), "no-such-key");
    assert_eq!(
        input_value(&host, "vault-uri"),
        "https://contoso-kms.vault.azure.net"
    );
    assert_eq!(active_id(), "key-name");
    assert_eq!(
        text(&host, "#key-name-error .field-error-message"),
        "Key not found in the vault"
    );
    assert_eq!(
        text(&host, "#key-name-error .field-error-fix"),
        failure.fix()
    );
    assert_eq!(text(&host, "#vault-uri-error"), "");
    // Not repeated next to the button.
    assert!(find_all(&host, ".form-error [role=alert]").is_empty());

    // Corrected: the error goes, and Test Connection submits the new name.
    type_into(&host, "key-name", "company-kek").await;
    assert_eq!(text(&host, "#key-name-error"), "");
    click_button(&host, "Test Connection").await;
    assert_eq!(
        submitted.get_untracked(),
        vec![ValidTarget {
            vault_uri: "https://contoso-kms.vault.azure.net".into(),
            key_name: "company-kek".into(),
        }]
    );
}

#[wasm_bindgen_test]
async fn a_firewall_opens_the_form_at_the_vault_uri() {
    let mut body = CatalogError::VaultFirewall.body();
    body.field = Some(SetupField::VaultUri.as_str().to_owned());
    let server_error = RwSignal::new(Some(ApiError::Refused { status: 422, body }));
    let host = mount(move || {
        view! {
            <SwitchForm
                initial_vault_uri="https://contoso-kms.vault.azure.net"
                initial_key_name="company-kek"
                on_submit=Callback::new(|_| {})
                server_error=server_error
                focus=SetupField::VaultUri
            />
        }
    });
    tick().await;
    tick().await;
    assert_eq!(active_id(), "vault-uri");
    assert_eq!(
        text(&host, "#vault-uri-error .field-error-message"),
        "The vault's firewall blocked the request"
    );
    assert_eq!(text(&host, "#key-name-error"), "");
}
