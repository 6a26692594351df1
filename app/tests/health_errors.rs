//! Component tests, in headless Chromium: every catalog error the key-health
//! panel shows as the cause of `access_lost` (issue 14) appears with its
//! message and its fix, inside the panel, as the edge sends it.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::pages::manage_kms::health::{HealthFacts, KeyHealthPanel};
use keyswitch_shared::CatalogError;
use leptos::prelude::*;
use support::{find, mount};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The panel in `access_lost` with `error` as the cause.
fn panel(error: &CatalogError) -> web_sys::HtmlElement {
    let facts = HealthFacts {
        state: "access_lost".into(),
        cause: Some(error.body()),
        last_check_ms: Some(1_800_000_000_000),
        ..HealthFacts::default()
    };
    mount(move || view! { <KeyHealthPanel facts=facts.clone() now=1_800_000_000_000u64/> })
}

/// The text of the cause's notice and its `data-code`.
fn shown(error: &CatalogError) -> (String, String) {
    let host = panel(error);
    let notice = find(&host, "[data-testid=health-status] .notice");
    (
        notice.text_content().unwrap_or_default(),
        notice.get_attribute("data-code").unwrap_or_default(),
    )
}

fn assert_shows(error: &CatalogError, code: &str) -> String {
    let (text, shown_code) = shown(error);
    assert_eq!(shown_code, code);
    assert!(text.contains(&error.message()), "{text}");
    assert!(
        text.contains(&format!("How to fix it: {}", error.fix())),
        "{text}"
    );
    text
}

#[wasm_bindgen_test]
fn role_removed_names_the_vault_and_the_role_to_assign_again() {
    let text = assert_shows(
        &CatalogError::RoleRemoved {
            vault: "https://contoso-kms.vault.azure.net"
                .parse()
                .expect("a vault"),
            key_name: "company-kek".parse().expect("a key"),
            connector: None,
        },
        "role_removed",
    );
    assert!(text.contains("contoso-kms"), "{text}");
    assert!(text.contains("Key Vault Crypto User"), "{text}");
}

const CONNECTOR: &str = "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21";

/// The panel with `error` as the cause: the command tabs beside the
/// notice (tool names, and the visible panel's text), none when absent.
async fn commands_shown(error: &CatalogError) -> (Vec<String>, String) {
    let host = panel(error);
    support::tick().await;
    let tools = support::find_all(
        &host,
        "[data-testid=health-status] .notice-commands [role=tab]",
    )
    .iter()
    .map(|t| t.text_content().unwrap_or_default())
    .collect();
    let visible = support::find_all(
        &host,
        "[data-testid=health-status] .notice-commands [role=tabpanel]",
    )
    .into_iter()
    .filter(|p| !p.hidden())
    .map(|p| p.text_content().unwrap_or_default())
    .collect::<Vec<_>>()
    .join("\n");
    (tools, visible)
}

#[wasm_bindgen_test]
async fn a_removed_role_shows_the_commands_that_assign_it_to_the_connector() {
    let error = CatalogError::RoleRemoved {
        vault: "https://contoso-kms.vault.azure.cn"
            .parse()
            .expect("a vault"),
        key_name: "company-kek".parse().expect("a key"),
        connector: Some(CONNECTOR.parse().expect("an app id")),
    };
    let text = assert_shows(&error, "role_removed");
    assert!(text.contains(&format!("--assignee {CONNECTOR}")), "{text}");
    let (tools, visible) = commands_shown(&error).await;
    assert_eq!(
        tools,
        ["Azure CLI", "Azure PowerShell", "Terraform", "Bicep"],
        "{visible}"
    );
    assert!(
        visible.contains("az cloud set --name AzureChinaCloud"),
        "{visible}"
    );
    assert!(
        visible.contains("VAULT_ID=$(az keyvault show --name contoso-kms --query id -o tsv)"),
        "{visible}"
    );
    assert!(
        visible.contains(&format!("--assignee {CONNECTOR}")),
        "{visible}"
    );
    assert!(visible.contains("Copy"), "a copy button: {visible}");
    // Without the connector's id, the portal way and no tabs.
    let (tools, _) = commands_shown(&CatalogError::RoleRemoved {
        vault: "https://contoso-kms.vault.azure.cn"
            .parse()
            .expect("a vault"),
        key_name: "company-kek".parse().expect("a key"),
        connector: None,
    })
    .await;
    assert!(tools.is_empty(), "{tools:?}");
}

#[wasm_bindgen_test]
async fn a_missing_tag_and_a_deleted_key_show_their_commands() {
    let (tools, visible) = commands_shown(&CatalogError::KeyBindingMissing {
        vault: "https://contoso-hsm.managedhsm.azure.net"
            .parse()
            .expect("a vault"),
        key_name: "company-kek".into(),
        company: "acme-001".into(),
    })
    .await;
    assert_eq!(tools, ["Azure CLI", "Azure PowerShell"]);
    assert!(
        visible.contains("az keyvault key set-attributes --hsm-name contoso-hsm --name company-kek --tags keyswitch-company=\"acme-001\""),
        "{visible}"
    );
    let (tools, visible) = commands_shown(&CatalogError::KeyDeleted {
        vault: "https://contoso-kms.vault.azure.net"
            .parse()
            .expect("a vault"),
        key_name: "company-kek".into(),
        recoverable_days: None,
    })
    .await;
    assert_eq!(tools, ["Azure CLI", "Azure PowerShell"]);
    assert!(
        visible.contains("az keyvault key recover --vault-name contoso-kms --name company-kek"),
        "{visible}"
    );
}

#[wasm_bindgen_test]
fn consent_removed_says_who_must_consent_again() {
    let text = assert_shows(
        &CatalogError::ConsentRemoved {
            tenant: Some(
                "72f988bf-0000-4c3a-9d6e-c0ffee000001"
                    .parse()
                    .expect("a tenant"),
            ),
        },
        "consent_removed",
    );
    assert!(
        text.contains("72f988bf-0000-4c3a-9d6e-c0ffee000001"),
        "{text}"
    );
    assert!(text.contains("Global Administrator"), "{text}");
}

#[wasm_bindgen_test]
fn a_deleted_key_says_how_to_recover_it() {
    let text = assert_shows(
        &CatalogError::KeyDeleted {
            vault: "https://contoso-kms.vault.azure.net"
                .parse()
                .expect("a vault"),
            key_name: "company-kek".into(),
            recoverable_days: Some(7),
        },
        "key_deleted",
    );
    assert!(
        text.contains("az keyvault key recover --vault-name contoso-kms --name company-kek"),
        "{text}"
    );
    assert!(text.contains("within 7 days"), "{text}");
}

#[wasm_bindgen_test]
fn the_vault_firewall_and_a_disabled_key_show_their_fix() {
    assert_shows(&CatalogError::VaultFirewall, "vault_firewall");
    assert_shows(&CatalogError::KeyDisabled, "key_disabled");
}

#[wasm_bindgen_test]
fn an_expired_key_says_what_still_works_and_what_to_do() {
    let text = assert_shows(
        &CatalogError::KeyExpired {
            expired_at: Some(1_800_000_000),
        },
        "key_expired",
    );
    // Key Vault still unwraps with an expired key; new wraps fail.
    assert!(text.contains("still unwraps"), "{text}");
    assert!(text.contains("2027-01-15 08:00 UTC"), "{text}");
}
