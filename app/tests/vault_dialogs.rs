//! Component tests, in headless Chromium: the vault screen's dialogs (seed
//! 001). **Create new vault** checks each step with the `shared` rules the
//! edge runs and shows the refusal at the field at fault (nothing is sent
//! while a field is wrong), keeps the name when going Back, asks for the
//! Azure settings only for Azure External Keys, and forgets the client
//! secret when it closes. **Replace client secret** names its vault, takes
//! the secret write-only and forgets it on close. Both are modal dialogs
//! named by their title, with focus inside.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::pages::vaults::{CreateVaultDialog, ReplaceSecretDialog, VaultsPage};
use keyswitch_shared::vaults::VaultSummary;
use leptos::prelude::*;
use serde_json::json;
use support::{active_id, click_button, find, input_value, mount, text, tick, type_into};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The open dialog's title (its accessible name: `aria-labelledby`).
fn title(host: &web_sys::HtmlElement) -> String {
    let dialog = find(host, "dialog[open]");
    let by = dialog.get_attribute("aria-labelledby").expect("labelled");
    text(host, &format!("#{by}"))
}

fn is_open(host: &web_sys::HtmlElement) -> bool {
    host.query_selector("dialog[open]").unwrap().is_some()
}

fn button_labels(host: &web_sys::HtmlElement) -> Vec<String> {
    support::find_all(host, "dialog[open] .actions button")
        .iter()
        .map(|b| b.text_content().unwrap_or_default().trim().to_owned())
        .collect()
}

/// Picks a strategy in the select as a person does (value, then `change`).
async fn choose_strategy(host: &web_sys::HtmlElement, wire: &str) {
    let select = find(host, "#vault-strategy");
    js_sys::Reflect::set(&select, &"value".into(), &wire.into()).unwrap();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("change", &init).unwrap();
    select.dispatch_event(&ev).unwrap();
    tick().await;
}

const FIELDS: [&str; 5] = [
    "azure-client-id",
    "azure-tenant-id",
    "azure-client-secret",
    "azure-vault-uri",
    "azure-key-name",
];

/// Only `field` shows an error, and it contains `message`.
fn only_error_at(host: &web_sys::HtmlElement, field: &str, message: &str) {
    for f in FIELDS {
        let shown = text(host, &format!("#{f}-error"));
        let invalid = find(host, &format!("#{f}")).get_attribute("aria-invalid");
        if f == field {
            assert!(shown.contains(message), "{f}: {shown}");
            assert_eq!(invalid.as_deref(), Some("true"), "{f}");
        } else {
            assert_eq!(shown, "", "{f} shows no error");
            assert_eq!(invalid.as_deref(), Some("false"), "{f}");
        }
    }
}

#[wasm_bindgen_test]
async fn create_new_vault_checks_each_step_at_the_field_and_forgets_the_secret() {
    let open = RwSignal::new(false);
    let host = mount(move || {
        VaultsPage::provide(Signal::stored("ws-dialogs".to_owned()));
        view! { <CreateVaultDialog open=open/> }
    });
    tick().await;
    assert!(!is_open(&host));
    open.set(true);
    tick().await;
    assert!(is_open(&host));
    assert_eq!(title(&host), "Create new vault");
    assert_eq!(active_id(), "vault-name", "focus starts in the first field");
    assert_eq!(button_labels(&host), ["Cancel", "Next"]);

    // Step 1: no name, no next step; the refusal is at the field.
    click_button(&host, "Next").await;
    assert_eq!(title(&host), "Create new vault");
    assert!(text(&host, "#vault-name-error").contains("Enter a vault name"));
    assert_eq!(
        find(&host, "#vault-name")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );

    // The cloud strategy needs no Azure step: the dialog creates at once.
    choose_strategy(&host, "cloud").await;
    assert_eq!(button_labels(&host), ["Cancel", "Create vault"]);
    choose_strategy(&host, "azure_external_keys").await;
    assert_eq!(button_labels(&host), ["Cancel", "Next"]);

    type_into(&host, "vault-name", "Finance").await;
    click_button(&host, "Next").await;
    assert_eq!(title(&host), "Configure the Azure vault");
    assert_eq!(button_labels(&host), ["Cancel", "Back", "Create vault"]);
    for f in FIELDS {
        let input = find(&host, &format!("#{f}"));
        // Every field has a visible label naming it, and its hint and error
        // in its description.
        assert!(
            host.query_selector(&format!("label[for={f}]"))
                .unwrap()
                .is_some(),
            "{f}"
        );
        assert_eq!(
            input.get_attribute("aria-describedby").as_deref(),
            Some(format!("{f}-hint {f}-error").as_str())
        );
    }
    let secret = find(&host, "#azure-client-secret");
    assert_eq!(secret.get_attribute("type").as_deref(), Some("password"));
    assert_eq!(
        secret.get_attribute("autocomplete").as_deref(),
        Some("new-password")
    );

    // Each wrong field is refused where it is, in the order of the form.
    click_button(&host, "Create vault").await;
    only_error_at(&host, "azure-client-id", "The client ID must be a GUID");
    type_into(
        &host,
        "azure-client-id",
        "11111111-2222-4333-8444-555555555555",
    )
    .await;
    type_into(&host, "azure-tenant-id", "contoso").await;
    click_button(&host, "Create vault").await;
    only_error_at(&host, "azure-tenant-id", "The tenant ID must be a GUID");
    type_into(
        &host,
        "azure-tenant-id",
        "72f988bf-0000-4c3a-9d6e-c0ffee000001",
    )
    .await;
    click_button(&host, "Create vault").await;
    only_error_at(&host, "azure-client-secret", "Enter the client secret");
    type_into(&host, "azure-client-secret", "s3cr3t-value").await;
    type_into(
        &host,
        "azure-vault-uri",
        "https://contoso-kms.vault.azure.net/keys/company-kek",
    )
    .await;
    click_button(&host, "Create vault").await;
    only_error_at(
        &host,
        "azure-vault-uri",
        "The URI appears to contain the key path",
    );
    // Nothing was sent: the button never said "Creating…".
    assert_eq!(button_labels(&host), ["Cancel", "Back", "Create vault"]);

    // Back keeps the name; Next returns to the values typed.
    click_button(&host, "Back").await;
    assert_eq!(title(&host), "Create new vault");
    assert_eq!(input_value(&host, "vault-name"), "Finance");
    click_button(&host, "Next").await;
    assert_eq!(input_value(&host, "azure-client-secret"), "s3cr3t-value");

    // Cancel closes; opened again, it starts over and the secret is gone.
    click_button(&host, "Cancel").await;
    assert!(!is_open(&host));
    open.set(true);
    tick().await;
    assert_eq!(title(&host), "Create new vault");
    assert_eq!(text(&host, "#vault-name-error"), "");
    click_button(&host, "Next").await;
    assert_eq!(title(&host), "Configure the Azure vault");
    assert_eq!(
        input_value(&host, "azure-client-secret"),
        "",
        "the secret is not kept"
    );
    assert_eq!(
        input_value(&host, "azure-client-id"),
        "11111111-2222-4333-8444-555555555555"
    );
    open.set(false);
    tick().await;
    assert!(!is_open(&host));
}

#[wasm_bindgen_test]
async fn replace_client_secret_names_the_vault_and_forgets_the_secret_on_close() {
    let vault: VaultSummary = serde_json::from_value(json!({
        "id": "v1",
        "name": "Finance",
        "strategy": "azure_external_keys",
        "is_default": true,
        "key_status": { "state": "available", "checked_at_ms": 1 },
        "created_at_ms": 1_800_000_000_000u64,
        "created_by": "Wendy Owner",
        "item_count": 0,
    }))
    .unwrap();
    let open = RwSignal::new(false);
    let chosen = RwSignal::new(Some(vault));
    let host = mount(move || {
        VaultsPage::provide(Signal::stored("ws-replace".to_owned()));
        view! { <ReplaceSecretDialog open=open vault=chosen/> }
    });
    tick().await;
    open.set(true);
    tick().await;
    assert_eq!(title(&host), "Replace client secret");
    assert!(text(&host, "dialog[open]").contains(
        "Vault: Finance. The connection is tested with the new secret before it is stored."
    ));
    assert_eq!(active_id(), "new-client-secret");
    let input = find(&host, "#new-client-secret");
    assert_eq!(input.get_attribute("type").as_deref(), Some("password"));
    assert_eq!(
        input.get_attribute("autocomplete").as_deref(),
        Some("new-password")
    );

    click_button(&host, "Replace secret").await;
    assert!(text(&host, "#new-client-secret-error").contains("Enter the client secret"));
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    type_into(&host, "new-client-secret", "half-typed").await;

    click_button(&host, "Cancel").await;
    assert!(!is_open(&host));
    open.set(true);
    tick().await;
    assert_eq!(
        input_value(&host, "new-client-secret"),
        "",
        "the secret is not kept"
    );
    assert_eq!(text(&host, "#new-client-secret-error"), "");
    open.set(false);
    tick().await;
}
