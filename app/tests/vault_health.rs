//! Component test, in headless Chromium: the vault table's health cell shows
//! the monitor's state, the cause and its fix, and the checks' times.
#![cfg(target_arch = "wasm32")]

use keyswitch_app::pages::vaults::HealthCell;
use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::{HealthState, VaultHealth};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn mount(health: VaultHealth) -> web_sys::HtmlElement {
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
        move || view! { <HealthCell health=health.clone()/> },
    );
    handle.forget();
    host
}

#[wasm_bindgen_test]
fn access_lost_shows_the_cause_and_its_fix() {
    let error = CatalogError::KeyVaultForbidden.body();
    let host = mount(VaultHealth {
        state: HealthState::AccessLost,
        cause: Some("role_removed".into()),
        error: Some(error.clone()),
        since_ms: 1_800_000_000_000,
        last_check_ms: Some(1_800_000_000_000),
        next_check_ms: 1_800_000_300_000,
        ..VaultHealth::default()
    });
    let cell = host
        .query_selector("[data-health]")
        .expect("selector")
        .expect("the cell");
    assert_eq!(
        cell.get_attribute("data-health").as_deref(),
        Some("access_lost")
    );
    let text = host.text_content().unwrap_or_default();
    assert!(text.contains("Access lost"), "{text}");
    assert!(text.contains("Cause: role_removed"), "{text}");
    assert!(text.contains(&error.fix), "{text}");
    assert!(
        text.contains("Last check: 2027-01-15 08:00:00 UTC"),
        "{text}"
    );
    assert!(
        text.contains("Next check: 2027-01-15 08:05:00 UTC"),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn healthy_shows_no_error() {
    let host = mount(VaultHealth {
        state: HealthState::Healthy,
        last_check_ms: Some(1_800_000_000_000),
        next_check_ms: 1_800_000_300_000,
        ..VaultHealth::default()
    });
    let text = host.text_content().unwrap_or_default();
    assert!(text.contains("Healthy"), "{text}");
    assert!(!text.contains("Cause"), "{text}");
    assert!(host.query_selector(".notice").expect("selector").is_none());
}
