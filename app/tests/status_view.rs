//! Component test, in headless Chromium: the Manage KMS status view shows the
//! provider the edge reported, by the name the seed article uses.
#![cfg(target_arch = "wasm32")]

use keyswitch_app::pages::manage_kms::StatusView;
use keyswitch_shared::Provider;
use keyswitch_shared::api::KmsStatus;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn mount(status: KmsStatus) -> web_sys::HtmlElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let host: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    let handle = leptos::mount::mount_to(
        host.clone(),
        move || view! { <StatusView status=status.clone()/> },
    );
    handle.forget();
    host
}

fn text_of(host: &web_sys::HtmlElement, testid: &str) -> String {
    host.query_selector(&format!("[data-testid={testid}]"))
        .expect("valid selector")
        .unwrap_or_else(|| panic!("no element {testid}"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn platform_provider_is_named_as_in_the_seed() {
    let host = mount(KmsStatus {
        company_id: "acme".into(),
        provider: Provider::Platform,
        backup_set_count: 2,
    });
    assert_eq!(text_of(&host, "provider"), "CyberSentriq-Managed");
    assert_eq!(text_of(&host, "backup-sets"), "2");
}

#[wasm_bindgen_test]
fn azure_provider_is_shown_as_azure_key_vault() {
    let host = mount(KmsStatus {
        company_id: "acme".into(),
        provider: Provider::AzureKeyVault {
            vault_uri: "https://contoso-kms.vault.azure.net".parse().expect("valid"),
            key_name: "company-kek".parse().expect("valid"),
            kid: "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef".parse().expect("valid"),
        },
        backup_set_count: 0,
    });
    assert_eq!(text_of(&host, "provider"), "Azure Key Vault");
    assert_eq!(text_of(&host, "backup-sets"), "0");
}

#[wasm_bindgen_test]
fn azure_provider_shows_vault_key_and_version() {
    let host = mount(KmsStatus {
        company_id: "acme".into(),
        provider: Provider::AzureKeyVault {
            vault_uri: "https://contoso-kms.vault.azure.net".parse().expect("valid"),
            key_name: "company-kek".parse().expect("valid"),
            kid: "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef".parse().expect("valid"),
        },
        backup_set_count: 2,
    });
    assert_eq!(
        text_of(&host, "vault"),
        "https://contoso-kms.vault.azure.net"
    );
    assert_eq!(text_of(&host, "key"), "company-kek");
    assert_eq!(
        text_of(&host, "version"),
        "0123456789abcdef0123456789abcdef"
    );
}
