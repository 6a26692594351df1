//! Component tests, in headless Chromium: the vault screen's table (seed 001)
//! shows each vault's name as the row header, its strategy with the Azure
//! vault and key, whether the client secret is set (never its value), the
//! default, the key status with the catalog's message and fix when the key
//! is unreachable, the key's health, and only the actions that apply; the
//! actions hand the row's vault to the screen.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::pages::vaults::VaultTable;
use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::VaultSummary;
use leptos::prelude::*;
use serde_json::json;
use support::{find, find_all, mount, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const KID: &str =
    "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef";

/// A vault as `GET …/vaults` lists it.
fn azure_vault(
    id: &str,
    name: &str,
    is_default: bool,
    key_status: serde_json::Value,
) -> VaultSummary {
    serde_json::from_value(json!({
        "id": id,
        "name": name,
        "strategy": "azure_external_keys",
        "is_default": is_default,
        "key_status": key_status,
        "created_at_ms": 1_800_000_000_000u64,
        "created_by": "Wendy Owner",
        "item_count": 2,
        "azure": {
            "client_id": "11111111-2222-4333-8444-555555555555",
            "tenant_id": "72f988bf-0000-4c3a-9d6e-c0ffee000001",
            "vault_uri": "https://contoso-kms.vault.azure.net",
            "key_name": "company-kek",
            "kid": KID,
            "key_size_bits": 4096,
            "client_secret": "set",
            "client_secret_updated_at_ms": 1_800_000_000_000u64,
        },
        "health": {
            "state": "healthy",
            "since_ms": 1_800_000_000_000u64,
            "last_check_ms": 1_800_000_000_000u64,
            "next_check_ms": 1_800_000_300_000u64,
        },
    }))
    .expect("a vault summary")
}

fn cloud_vault(id: &str, name: &str) -> VaultSummary {
    serde_json::from_value(json!({
        "id": id,
        "name": name,
        "strategy": "cloud",
        "is_default": false,
        "key_status": { "state": "platform_managed", "checked_at_ms": 0 },
        "created_at_ms": 1_800_000_000_000u64,
        "created_by": "Wendy Owner",
        "item_count": 0,
    }))
    .expect("a vault summary")
}

struct Table {
    host: web_sys::HtmlElement,
    vaults: RwSignal<Vec<VaultSummary>>,
    defaults: RwSignal<Vec<String>>,
    tests: RwSignal<Vec<String>>,
    replaces: RwSignal<Vec<String>>,
}

fn table(list: Vec<VaultSummary>) -> Table {
    let vaults = RwSignal::new(list);
    let defaults = RwSignal::new(Vec::<String>::new());
    let tests = RwSignal::new(Vec::<String>::new());
    let replaces = RwSignal::new(Vec::<String>::new());
    let host = mount(move || {
        view! {
            <VaultTable
                vaults=vaults
                on_default=Callback::new(move |id| defaults.update(|v| v.push(id)))
                on_test=Callback::new(move |id| tests.update(|v| v.push(id)))
                on_replace=Callback::new(move |v: VaultSummary| replaces.update(|l| l.push(v.id)))
            />
        }
    });
    Table {
        host,
        vaults,
        defaults,
        tests,
        replaces,
    }
}

fn row(host: &web_sys::HtmlElement, name: &str) -> web_sys::HtmlElement {
    find_all(host, "tbody tr")
        .into_iter()
        .find(|r| find(r, "th[scope=row]").text_content().unwrap_or_default() == name)
        .unwrap_or_else(|| panic!("no row for {name}"))
}

fn buttons(row: &web_sys::HtmlElement) -> Vec<String> {
    find_all(row, "button")
        .iter()
        .map(|b| b.text_content().unwrap_or_default().trim().to_owned())
        .collect()
}

fn cell(row: &web_sys::HtmlElement, label: &str) -> String {
    find(row, &format!("td[data-label=\"{label}\"]"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn no_vaults_says_how_to_start_and_shows_no_table() {
    let t = table(Vec::new());
    tick().await;
    assert!(t.host.query_selector("table").unwrap().is_none());
    assert_eq!(
        t.host.text_content().unwrap(),
        "No vaults yet. Click Create new vault."
    );
}

#[wasm_bindgen_test]
async fn columns_are_headed_and_each_cell_carries_its_columns_name() {
    let t = table(vec![azure_vault(
        "v1",
        "Finance",
        true,
        json!({"state": "available", "checked_at_ms": 1}),
    )]);
    tick().await;
    let heads: Vec<String> = find_all(&t.host, "thead th")
        .iter()
        .map(|h| {
            assert_eq!(h.get_attribute("scope").as_deref(), Some("col"));
            h.text_content().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        heads,
        [
            "Name",
            "Strategy",
            "Default",
            "Key status",
            "Key health",
            "Created",
            "Actions"
        ]
    );
    // At 360 px the rows stack and each cell is labelled by its column (CSS
    // `content: attr(data-label)`): the labels are the headers' texts.
    let r = row(&t.host, "Finance");
    let labels: Vec<String> = find_all(&r, "td")
        .iter()
        .map(|c| {
            c.get_attribute("data-label")
                .expect("every cell is labelled")
        })
        .collect();
    assert_eq!(labels, heads[1..]);
}

#[wasm_bindgen_test]
async fn an_azure_vault_shows_its_key_and_secret_state_and_its_actions() {
    let t = table(vec![
        azure_vault(
            "v1",
            "Finance",
            true,
            json!({"state": "available", "checked_at_ms": 1}),
        ),
        cloud_vault("v2", "Team"),
    ]);
    tick().await;
    let finance = row(&t.host, "Finance");
    let strategy = cell(&finance, "Strategy");
    assert!(strategy.starts_with("Azure External Keys"), "{strategy}");
    assert!(
        strategy.contains("https://contoso-kms.vault.azure.net / company-kek"),
        "{strategy}"
    );
    assert!(strategy.contains("Client secret: set"), "{strategy}");
    assert_eq!(cell(&finance, "Default"), "Default");
    assert_eq!(cell(&finance, "Key status"), "Active");
    assert!(cell(&finance, "Key health").starts_with("Healthy"));
    assert_eq!(cell(&finance, "Created"), "2027-01-15 08:00:00 UTC");
    // The default vault is not offered "Set as default".
    assert_eq!(
        buttons(&finance),
        ["Test connection", "Replace client secret"]
    );

    let team = row(&t.host, "Team");
    assert_eq!(cell(&team, "Strategy"), "Cloud (CyberSentriq-managed)");
    assert_eq!(cell(&team, "Default"), "");
    assert_eq!(cell(&team, "Key status"), "Active (platform key)");
    assert_eq!(cell(&team, "Key health"), "Not monitored (platform key)");
    // A platform-key vault has no connection to test and no secret.
    assert_eq!(buttons(&team), ["Set as default"]);
}

#[wasm_bindgen_test]
async fn the_actions_name_their_rows_vault() {
    let t = table(vec![
        azure_vault(
            "v1",
            "Finance",
            false,
            json!({"state": "available", "checked_at_ms": 1}),
        ),
        cloud_vault("v2", "Team"),
    ]);
    tick().await;
    let click = |r: &web_sys::HtmlElement, label: &str| {
        find_all(r, "button")
            .into_iter()
            .find(|b| b.text_content().unwrap_or_default().trim() == label)
            .unwrap_or_else(|| panic!("no {label}"))
            .click();
    };
    click(&row(&t.host, "Team"), "Set as default");
    click(&row(&t.host, "Finance"), "Test connection");
    click(&row(&t.host, "Finance"), "Replace client secret");
    click(&row(&t.host, "Finance"), "Set as default");
    tick().await;
    assert_eq!(t.defaults.get_untracked(), ["v2", "v1"]);
    assert_eq!(t.tests.get_untracked(), ["v1"]);
    assert_eq!(t.replaces.get_untracked(), ["v1"]);
}

#[wasm_bindgen_test]
async fn an_unreachable_key_shows_the_catalogs_message_and_fix_and_the_list_follows_the_edge() {
    let body = CatalogError::KeyVaultForbidden.body();
    let t = table(vec![azure_vault(
        "v1",
        "Finance",
        true,
        json!({"state": "unreachable", "checked_at_ms": 1, "error": body}),
    )]);
    tick().await;
    let finance = row(&t.host, "Finance");
    let badge = find(&finance, "td[data-label=\"Key status\"] .badge");
    assert_eq!(badge.text_content().unwrap(), "Unreachable");
    assert!(badge.class_name().contains("badge-error"));
    let status = cell(&finance, "Key status");
    assert!(status.contains(&body.message), "{status}");
    assert!(status.contains(&body.fix), "{status}");
    // The next listing says the key works again: the row follows.
    t.vaults.set(vec![azure_vault(
        "v1",
        "Finance",
        true,
        json!({"state": "available", "checked_at_ms": 2}),
    )]);
    tick().await;
    let finance = row(&t.host, "Finance");
    assert_eq!(cell(&finance, "Key status"), "Active");
    assert!(finance.query_selector(".notice").unwrap().is_none());
}
