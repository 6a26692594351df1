//! Component tests, in headless Chromium: the switch form validates as the
//! admin types with the `shared` parsers, shows their message and fix next to
//! the field at fault, refuses to submit invalid values (focusing the first
//! bad field), and shows the edge's refusal at the field it names.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::str::FromStr;

use keyswitch_app::api::ApiError;
use keyswitch_app::pages::manage_kms::switch_form::{SwitchForm, ValidTarget};
use keyswitch_shared::{ErrorBody, KeyName, VaultUri};
use leptos::prelude::*;
use support::{active_id, click_button, input_value, mount, text, tick, type_into};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

struct Form {
    host: web_sys::HtmlElement,
    submitted: RwSignal<Vec<ValidTarget>>,
    server_error: RwSignal<Option<ApiError>>,
}

fn form() -> Form {
    let submitted = RwSignal::new(Vec::<ValidTarget>::new());
    let server_error = RwSignal::new(None::<ApiError>);
    let host = mount(move || {
        view! {
            <SwitchForm
                on_submit=Callback::new(move |t| submitted.update(|v| v.push(t)))
                server_error=server_error
            />
        }
    });
    Form {
        host,
        submitted,
        server_error,
    }
}

#[wasm_bindgen_test]
async fn nothing_is_flagged_before_the_admin_types() {
    let f = form();
    tick().await;
    assert_eq!(text(&f.host, "#vault-uri-error"), "");
    assert_eq!(text(&f.host, "#key-name-error"), "");
    assert_eq!(
        support::find(&f.host, "#vault-uri")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn a_pasted_key_url_gets_the_seed_message_and_fix_as_typed() {
    let f = form();
    let pasted =
        "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef";
    type_into(&f.host, "vault-uri", pasted).await;
    // Exactly what the shared parser (and so the edge) says.
    let expected = VaultUri::from_str(pasted).unwrap_err();
    assert_eq!(
        text(&f.host, "#vault-uri-error .field-error-message"),
        "The URI appears to contain the key path"
    );
    assert_eq!(
        text(&f.host, "#vault-uri-error .field-error-fix"),
        expected.fix()
    );
    assert!(expected.fix().contains("company-kek"));
    assert_eq!(
        support::find(&f.host, "#vault-uri")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    // The error is tied to the input for screen readers.
    let described = support::find(&f.host, "#vault-uri")
        .get_attribute("aria-describedby")
        .unwrap_or_default();
    assert!(described.split(' ').any(|id| id == "vault-uri-error"));
}

#[wasm_bindgen_test]
async fn a_secret_url_is_called_a_secret() {
    let f = form();
    type_into(
        &f.host,
        "vault-uri",
        "https://contoso-kms.vault.azure.net/secrets/db-password",
    )
    .await;
    assert_eq!(
        text(&f.host, "#vault-uri-error .field-error-message"),
        "The URI appears to point to a secret"
    );
    assert_eq!(
        text(&f.host, "#vault-uri-error .field-error-fix"),
        "In the Azure Portal, open your Key Vault and go to Keys (not Secrets). Use an RSA key."
    );
}

#[wasm_bindgen_test]
async fn every_vault_uri_rule_comes_from_the_shared_parser() {
    let f = form();
    for input in [
        "contoso-kms.vault.azure.net",
        "http://contoso-kms.vault.azure.net",
        "https://contoso-kms.vault.azure.net:443",
        "https://contoso.example.com",
        "https://ab.vault.azure.net",
        "https://contoso--kms.vault.azure.net",
        "https://contoso-kms.vault.azure.net/?x=1",
    ] {
        type_into(&f.host, "vault-uri", input).await;
        let expected = VaultUri::from_str(input).expect_err(input);
        assert_eq!(
            text(&f.host, "#vault-uri-error .field-error-message"),
            expected.to_string(),
            "{input}"
        );
        assert_eq!(
            text(&f.host, "#vault-uri-error .field-error-fix"),
            expected.fix(),
            "{input}"
        );
    }
    type_into(&f.host, "vault-uri", "https://contoso-kms.vault.azure.net/").await;
    assert_eq!(text(&f.host, "#vault-uri-error"), "");
}

#[wasm_bindgen_test]
async fn key_name_rules_and_clearing_a_field() {
    let f = form();
    type_into(&f.host, "key-name", "company kek").await;
    let expected = KeyName::from_str("company kek").unwrap_err();
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        expected.to_string()
    );
    type_into(&f.host, "key-name", "").await;
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "Enter the key name"
    );
    type_into(&f.host, "key-name", "company-kek").await;
    assert_eq!(text(&f.host, "#key-name-error"), "");
}

#[wasm_bindgen_test]
async fn test_connection_with_empty_fields_flags_both_and_focuses_the_first() {
    let f = form();
    click_button(&f.host, "Test Connection").await;
    assert_eq!(
        text(&f.host, "#vault-uri-error .field-error-message"),
        "Enter the vault URI"
    );
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "Enter the key name"
    );
    assert_eq!(active_id(), "vault-uri");
    assert!(f.submitted.get_untracked().is_empty());
}

#[wasm_bindgen_test]
async fn valid_values_are_submitted_once() {
    let f = form();
    type_into(&f.host, "vault-uri", "https://contoso-kms.vault.azure.net/").await;
    type_into(&f.host, "key-name", "company-kek").await;
    click_button(&f.host, "Test Connection").await;
    assert_eq!(
        f.submitted.get_untracked(),
        vec![ValidTarget {
            vault_uri: "https://contoso-kms.vault.azure.net/".into(),
            key_name: "company-kek".into(),
        }]
    );
}

#[wasm_bindgen_test]
async fn an_edge_refusal_shows_at_its_field_until_the_field_changes() {
    let f = form();
    type_into(&f.host, "vault-uri", "https://contoso-kms.vault.azure.net").await;
    type_into(&f.host, "key-name", "no-such-key").await;
    f.server_error.set(Some(ApiError::Refused {
        status: 422,
        body: ErrorBody {
            code: "invalid_input".into(),
            message: "Refused by the edge".into(),
            fix: "Do something else.".into(),
            field: Some("key_name".into()),
            detail: None,
            cause: None,
            commands: Vec::new(),
        },
    }));
    tick().await;
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "Refused by the edge"
    );
    type_into(&f.host, "key-name", "other-key").await;
    assert_eq!(text(&f.host, "#key-name-error"), "");
}

#[wasm_bindgen_test]
async fn a_refusal_without_a_field_and_a_network_failure_show_differently() {
    let f = form();
    f.server_error.set(Some(ApiError::Refused {
        status: 422,
        body: ErrorBody {
            code: "key_not_found".into(),
            message: "Key not found in the vault".into(),
            fix: "Open the vault's Keys section in the Azure Portal and copy the exact key name."
                .into(),
            field: None,
            detail: None,
            cause: None,
            commands: Vec::new(),
        },
    }));
    tick().await;
    let notice = support::find(&f.host, ".form-error [role=alert]");
    assert_eq!(
        notice.get_attribute("data-code").as_deref(),
        Some("key_not_found")
    );
    assert!(
        notice
            .text_content()
            .unwrap_or_default()
            .contains("copy the exact key name")
    );

    f.server_error
        .set(Some(ApiError::Network("Failed to fetch".into())));
    tick().await;
    let notice = support::find(&f.host, ".form-error [role=alert]");
    assert_eq!(
        notice.get_attribute("data-code").as_deref(),
        Some("network")
    );
    assert!(
        notice
            .text_content()
            .unwrap_or_default()
            .contains("could not be reached")
    );
}

/// Issue 16: a vault of a cloud the deployment has no connector for is
/// refused at the Vault URI field with the words of `cloud_not_configured`
/// (the same `shared` check the edge runs), and never submitted.
#[wasm_bindgen_test]
async fn a_cloud_without_a_connector_is_refused_at_the_field() {
    use keyswitch_shared::{CatalogError, Cloud};
    let submitted = RwSignal::new(Vec::<ValidTarget>::new());
    let host = mount(move || {
        view! {
            <SwitchForm
                on_submit=Callback::new(move |t| submitted.update(|v| v.push(t)))
                clouds=Signal::derive(|| Some(vec![Cloud::Public, Cloud::China]))
            />
        }
    });
    let gov = "https://contoso-gov.vault.usgovcloudapi.net";
    type_into(&host, "vault-uri", gov).await;
    type_into(&host, "key-name", "company-kek").await;
    let expected = VaultUri::parse_in(gov, &[Cloud::Public, Cloud::China]).unwrap_err();
    let edge = CatalogError::from(expected.clone());
    assert_eq!(edge.code(), "cloud_not_configured");
    assert_eq!(
        text(&host, "#vault-uri-error .field-error-message"),
        edge.message()
    );
    assert_eq!(text(&host, "#vault-uri-error .field-error-fix"), edge.fix());
    click_button(&host, "Test Connection").await;
    assert!(submitted.get_untracked().is_empty());
    assert_eq!(active_id(), "vault-uri");
    // A China vault (and Managed HSM) is fine.
    type_into(&host, "vault-uri", "https://contoso-cn.vault.azure.cn").await;
    assert_eq!(text(&host, "#vault-uri-error"), "");
    click_button(&host, "Test Connection").await;
    assert_eq!(submitted.get_untracked().len(), 1);
}

/// Issue 17 item 2: a key URL pasted into Key Name is recognised by the
/// shared parser (the edge refuses it with the same words) and one click
/// puts the vault and the key in their fields; then the form submits.
#[wasm_bindgen_test]
async fn a_key_url_in_key_name_offers_use_vault_and_key_in_one_click() {
    let f = form();
    let pasted =
        "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef";
    type_into(&f.host, "key-name", pasted).await;
    let expected = KeyName::from_str(pasted).unwrap_err();
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        expected.to_string()
    );
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "This is the key's URL, not its name"
    );
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-fix"),
        expected.fix()
    );
    let label = "Use vault https://contoso-kms.vault.azure.net and key company-kek";
    assert_eq!(text(&f.host, "#key-name-error button"), label);
    click_button(&f.host, label).await;
    assert_eq!(
        input_value(&f.host, "vault-uri"),
        "https://contoso-kms.vault.azure.net"
    );
    assert_eq!(input_value(&f.host, "key-name"), "company-kek");
    assert_eq!(text(&f.host, "#key-name-error"), "");
    assert_eq!(text(&f.host, "#vault-uri-error"), "");
    assert_eq!(active_id(), "key-name");
    click_button(&f.host, "Test Connection").await;
    assert_eq!(
        f.submitted.get_untracked(),
        vec![ValidTarget {
            vault_uri: "https://contoso-kms.vault.azure.net".into(),
            key_name: "company-kek".into(),
        }]
    );
}

/// `name/version` in Key Name: "Use key …" keeps the vault as typed.
#[wasm_bindgen_test]
async fn name_slash_version_offers_use_key() {
    let f = form();
    type_into(&f.host, "vault-uri", "https://contoso-kms.vault.azure.net/").await;
    type_into(
        &f.host,
        "key-name",
        "company-kek/0123456789abcdef0123456789abcdef",
    )
    .await;
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "The key name must not include a version"
    );
    click_button(&f.host, "Use key company-kek").await;
    assert_eq!(
        input_value(&f.host, "vault-uri"),
        "https://contoso-kms.vault.azure.net/"
    );
    assert_eq!(input_value(&f.host, "key-name"), "company-kek");
    assert_eq!(text(&f.host, "#key-name-error"), "");
}

/// The opposite mistake, a key URL in Vault URI, gets the same one-click
/// fix; a secret's URL in Key Name gets no button (nothing to put where).
#[wasm_bindgen_test]
async fn the_vault_uri_field_offers_the_same_fix_and_other_urls_none() {
    let f = form();
    let pasted = "https://pool1.managedhsm.azure.net/keys/company-kek";
    type_into(&f.host, "vault-uri", pasted).await;
    click_button(
        &f.host,
        "Use vault https://pool1.managedhsm.azure.net and key company-kek",
    )
    .await;
    assert_eq!(
        input_value(&f.host, "vault-uri"),
        "https://pool1.managedhsm.azure.net"
    );
    assert_eq!(input_value(&f.host, "key-name"), "company-kek");
    assert_eq!(text(&f.host, "#vault-uri-error"), "");

    type_into(
        &f.host,
        "key-name",
        "https://contoso-kms.vault.azure.net/secrets/db-password",
    )
    .await;
    assert_eq!(
        text(&f.host, "#key-name-error .field-error-message"),
        "The key name must be a name, not a URL"
    );
    assert!(support::find_all(&f.host, "#key-name-error button").is_empty());
}
