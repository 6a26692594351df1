//! Component tests, in headless Chromium: the command tabs of the role
//! guidance (issue 17 item 3) — one tool shown at a time, each block with
//! its copy button, ARIA tabs that the arrow keys move through, and the
//! note instead of blocks where a tool cannot do it (Bicep and a Managed
//! HSM's local RBAC).
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::components::command_tabs::CommandTabs;
use keyswitch_shared::commands::role::{Grant, Principal};
use keyswitch_shared::{KeyName, VaultUri};
use leptos::prelude::*;
use support::{find, find_all, mount, tick};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const APP: &str = "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21";

fn tabs_for(uri: &str) -> Vec<keyswitch_shared::commands::CommandTab> {
    let vault: VaultUri = uri.parse().expect("a vault");
    let key: KeyName = "company-kek".parse().expect("a key");
    Grant {
        vault: &vault,
        key: &key,
        principal: Principal {
            app_id: APP,
            name: "the CyberSentriq KMS Connector",
        },
    }
    .tabs()
}

fn visible_panels(host: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    find_all(host, "[role=tabpanel]")
        .into_iter()
        .filter(|p| !p.hidden())
        .collect()
}

fn key(el: &web_sys::HtmlElement, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("an event");
    el.dispatch_event(&ev).expect("dispatched");
}

#[wasm_bindgen_test]
async fn one_tool_at_a_time_with_its_blocks_and_copy_buttons() {
    let tabs = tabs_for("https://contoso-kms.vault.azure.net");
    let host = mount(
        move || view! { <CommandTabs id="t1" label="Commands that assign the role" tabs=tabs/> },
    );
    tick().await;
    let list = find(&host, "[role=tablist]");
    assert_eq!(
        list.get_attribute("aria-label").as_deref(),
        Some("Commands that assign the role")
    );
    let buttons = find_all(&host, "[role=tab]");
    let names: Vec<String> = buttons
        .iter()
        .map(|b| b.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["Azure CLI", "Azure PowerShell", "Terraform", "Bicep"]
    );
    assert_eq!(
        buttons[0].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(buttons[0].tab_index(), 0);
    assert_eq!(buttons[1].tab_index(), -1);
    let shown = visible_panels(&host);
    assert_eq!(shown.len(), 1);
    assert_eq!(
        shown[0].get_attribute("aria-labelledby"),
        buttons[0].get_attribute("id")
    );
    let code = shown[0].text_content().unwrap_or_default();
    assert!(
        code.contains("VAULT_ID=$(az keyvault show --name contoso-kms --query id -o tsv)"),
        "{code}"
    );
    assert!(code.contains(&format!("--assignee {APP}")), "{code}");
    assert!(!code.contains("<subscription-id>"));

    // Terraform: the file and the run block, each with its own copy button.
    buttons[2].click();
    tick().await;
    let shown = visible_panels(&host);
    assert_eq!(shown.len(), 1);
    let copies: Vec<String> = find_all(&shown[0], "button")
        .iter()
        .map(|b| b.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        copies,
        [
            "Copy the Terraform file keyswitch-role.tf",
            "Copy the Terraform commands, part 2"
        ]
    );
    assert!(
        shown[0]
            .text_content()
            .unwrap_or_default()
            .contains("Save as keyswitch-role.tf")
    );
    assert_eq!(
        buttons[2].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(
        buttons[0].get_attribute("aria-selected").as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn the_arrow_keys_home_and_end_move_between_tools() {
    let tabs = tabs_for("https://contoso-kms.vault.azure.cn");
    let host = mount(move || view! { <CommandTabs id="t2" label="Commands" tabs=tabs/> });
    tick().await;
    let buttons = find_all(&host, "[role=tab]");
    buttons[0].focus().expect("focus");
    key(&buttons[0], "ArrowRight");
    tick().await;
    let active = || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .map(|e| e.unchecked_into::<web_sys::HtmlElement>().id())
    };
    assert_eq!(active(), Some("t2-tab-1".to_owned()));
    assert!(
        visible_panels(&host)[0]
            .text_content()
            .unwrap_or_default()
            .contains("Connect-AzAccount -Environment AzureChinaCloud")
    );
    key(&buttons[1], "End");
    tick().await;
    assert_eq!(active(), Some("t2-tab-3".to_owned()));
    key(&buttons[3], "ArrowRight");
    tick().await;
    assert_eq!(active(), Some("t2-tab-0".to_owned()));
    key(&buttons[0], "ArrowLeft");
    tick().await;
    assert_eq!(active(), Some("t2-tab-3".to_owned()));
    key(&buttons[3], "Home");
    tick().await;
    assert_eq!(active(), Some("t2-tab-0".to_owned()));
}

#[wasm_bindgen_test]
async fn a_tool_that_cannot_do_it_says_so_instead_of_a_block() {
    let tabs = tabs_for("https://contoso-hsm.managedhsm.azure.net");
    let host = mount(move || view! { <CommandTabs id="t3" label="Commands" tabs=tabs/> });
    tick().await;
    find_all(&host, "[role=tab]")[3].click();
    tick().await;
    let shown = visible_panels(&host);
    assert_eq!(shown.len(), 1);
    assert!(find_all(&shown[0], "pre").is_empty());
    assert!(find_all(&shown[0], "button").is_empty());
    let note = find(&shown[0], ".command-note")
        .text_content()
        .unwrap_or_default();
    assert!(
        note.contains("cannot reach a Managed HSM's local RBAC"),
        "{note}"
    );
}
