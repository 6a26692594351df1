//! Component tests, in headless Chromium: the vault screen's **Create new
//! vault** dialog shows the commands that give the service principal being
//! entered the key-use role on the vault and key being entered (issue 17
//! item 3), rebuilt as they are typed: nothing until the three values
//! parse (it says which are missing), then every tool with the typed client
//! id, vault and key, the Managed HSM's local RBAC for an HSM URL, the
//! sovereign cloud's sign-in for its URL, and the chosen tool kept while
//! typing.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::pages::vaults::{CreateVaultDialog, VaultsPage};
use leptos::prelude::*;
use support::{click_button, find_all, mount, text, tick, type_into};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CLIENT: &str = "11111111-2222-4333-8444-555555555555";

/// The visible command panel's text.
fn visible_commands(host: &web_sys::HtmlElement) -> String {
    find_all(host, "[data-testid=create-role-commands] [role=tabpanel]")
        .into_iter()
        .filter(|p| !p.hidden())
        .map(|p| p.text_content().unwrap_or_default())
        .collect()
}

fn tools(host: &web_sys::HtmlElement) -> Vec<String> {
    find_all(host, "[data-testid=create-role-commands] [role=tab]")
        .iter()
        .map(|t| t.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_commands_follow_the_values_being_typed() {
    let open = RwSignal::new(true);
    let host = mount(move || {
        VaultsPage::provide(Signal::stored("ws-commands".to_owned()));
        view! { <CreateVaultDialog open=open/> }
    });
    tick().await;
    type_into(&host, "vault-name", "Finance").await;
    click_button(&host, "Next").await;

    // Nothing typed yet: it names what is missing, offers no command.
    assert!(tools(&host).is_empty());
    assert_eq!(
        text(&host, "[data-testid=create-role-missing]"),
        "Enter a valid Client ID, Vault URL, Vault Key Name to see the commands for them."
    );
    type_into(&host, "azure-client-id", CLIENT).await;
    type_into(
        &host,
        "azure-vault-uri",
        "https://contoso-kms.vault.azure.net",
    )
    .await;
    assert_eq!(
        text(&host, "[data-testid=create-role-missing]"),
        "Enter a valid Vault Key Name to see the commands for them."
    );
    // A key URL in Key Name is not a key name: still no command.
    type_into(
        &host,
        "azure-key-name",
        "https://contoso-kms.vault.azure.net/keys/finance-kek",
    )
    .await;
    assert!(tools(&host).is_empty());

    type_into(&host, "azure-key-name", "finance-kek").await;
    assert_eq!(
        tools(&host),
        ["Azure CLI", "Azure PowerShell", "Terraform", "Bicep"]
    );
    assert_eq!(
        text(&host, "[data-testid=create-role-for]"),
        format!("Key Vault Crypto User for client ID {CLIENT} on contoso-kms")
    );
    let cli = visible_commands(&host);
    assert!(
        cli.contains("VAULT_ID=$(az keyvault show --name contoso-kms --query id -o tsv)"),
        "{cli}"
    );
    assert!(cli.contains(&format!("--assignee {CLIENT}")), "{cli}");
    assert!(!cli.contains("az cloud set"), "{cli}");

    // Another tool chosen, then the vault typed again: same tool, new vault.
    find_all(&host, "[data-testid=create-role-commands] [role=tab]")[2].click();
    tick().await;
    assert!(visible_commands(&host).contains("resource \"azurerm_role_assignment\""));
    type_into(
        &host,
        "azure-vault-uri",
        "https://finance-kms.vault.azure.cn",
    )
    .await;
    let tf = visible_commands(&host);
    assert!(tf.contains("name = \"finance-kms\""), "{tf}");
    assert!(tf.contains("environment = \"china\""), "{tf}");
    assert!(tf.contains(&format!("client_id = \"{CLIENT}\"")), "{tf}");
    assert_eq!(
        find_all(&host, "[data-testid=create-role-commands] [role=tab]")[2]
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );

    // A Managed HSM: its local RBAC on the key; Bicep says it cannot.
    type_into(
        &host,
        "azure-vault-uri",
        "https://finance-hsm.managedhsm.azure.net",
    )
    .await;
    assert_eq!(
        text(&host, "[data-testid=create-role-for]"),
        format!("Managed HSM Crypto User for client ID {CLIENT} on finance-hsm")
    );
    find_all(&host, "[data-testid=create-role-commands] [role=tab]")[0].click();
    tick().await;
    let cli = visible_commands(&host);
    assert!(
        cli.contains("az keyvault role assignment create \\\n  --hsm-name finance-hsm"),
        "{cli}"
    );
    assert!(cli.contains("--scope /keys/finance-kek"), "{cli}");

    // A wrong client id takes the commands away again.
    type_into(&host, "azure-client-id", "not-a-guid").await;
    assert!(tools(&host).is_empty());
    assert_eq!(
        text(&host, "[data-testid=create-role-missing]"),
        "Enter a valid Client ID to see the commands for them."
    );
}
