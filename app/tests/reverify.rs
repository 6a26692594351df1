//! Component tests, in headless Chromium: the export re-verification as the
//! model offers it. The round is offered only when the model says one can
//! start (`offer: reverify`, window closed): not while the export is open,
//! not while a setup is pending (`unavailable`). An empty round asks the
//! admin to confirm there is nothing to verify; a round with tenants lists
//! them with Verify and offers to start again.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::api::ApiError;
use keyswitch_app::fetched::Fetched;
use keyswitch_app::pages::manage_kms::reverify::Reverification;
use keyswitch_app::pages::manage_kms::store::KmsStore;
use keyswitch_shared::api::ExportVerification;
use leptos::prelude::*;
use support::{find_all, mount, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CONTOSO: &str = "7d3c1a52-4b8e-4f0a-9c2d-1e5f6a7b8c9d";

/// The export verification as the edge sends it.
fn window(v: serde_json::Value) -> ExportVerification {
    serde_json::from_value(v).expect("an ExportVerification")
}

/// Mounts the re-verification over `state` (changed by the test).
fn mounted(state: RwSignal<ExportVerification>) -> web_sys::HtmlElement {
    mount(move || {
        KmsStore::provide(Signal::stored("acme".to_owned()));
        let fetched: Fetched<Result<ExportVerification, ApiError>> = Fetched::new(move || {
            let w = state.get();
            async move { Ok(w) }
        });
        view! { <Reverification window=fetched/> }
    })
}

fn testids(host: &web_sys::HtmlElement) -> Vec<String> {
    find_all(host, "[data-testid]")
        .iter()
        .filter_map(|e| e.get_attribute("data-testid"))
        .collect()
}

fn buttons(host: &web_sys::HtmlElement) -> Vec<String> {
    find_all(host, "button")
        .iter()
        .map(|b| b.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_round_is_offered_exactly_when_the_model_says_so() {
    let state = RwSignal::new(window(serde_json::json!({
        "export_open": true,
        "export_closes_at": 1_800_000_000,
        "tenants": [],
        "offer": "open",
    })));
    let host = mounted(state);
    tick().await;
    // The export is open: nothing to re-verify.
    assert!(buttons(&host).is_empty(), "{:?}", buttons(&host));
    assert_eq!(testids(&host), ["export-reverification"]);

    // Used: the round is offered.
    state.set(window(serde_json::json!({
        "export_open": false, "tenants": [], "offer": "reverify",
    })));
    tick().await;
    assert!(testids(&host).contains(&"export-needs-round".to_owned()));
    assert_eq!(buttons(&host), ["Verify every tenant again"]);

    // A setup is pending: the model offers nothing, and the screen asks for
    // nothing the model would refuse.
    state.set(window(serde_json::json!({
        "export_open": false, "tenants": [], "offer": "unavailable",
    })));
    tick().await;
    assert!(buttons(&host).is_empty(), "{:?}", buttons(&host));
    assert!(!testids(&host).contains(&"export-needs-round".to_owned()));

    // An answer from before the offer existed reads as nothing offered.
    state.set(window(
        serde_json::json!({"export_open": false, "tenants": []}),
    ));
    tick().await;
    assert!(buttons(&host).is_empty());
}

#[wasm_bindgen_test]
async fn an_empty_round_asks_for_a_confirmation_and_a_round_lists_its_tenants() {
    let state = RwSignal::new(window(serde_json::json!({
        "export_open": false,
        "tenants": [],
        "verifying": true,
        "nothing_to_verify": true,
        "offer": "reverify",
    })));
    let host = mounted(state);
    tick().await;
    assert!(testids(&host).contains(&"export-nothing-to-verify".to_owned()));
    assert_eq!(
        buttons(&host),
        [
            "Confirm there is nothing to verify",
            "Read the backup sets again"
        ]
    );

    state.set(window(serde_json::json!({
        "export_open": false,
        "tenants": [
            {"tenant": {"kind": "microsoft365", "tenant_id": CONTOSO}, "status": {"status": "unverified"}},
        ],
        "verifying": true,
        "offer": "reverify",
    })));
    tick().await;
    let text = host.text_content().unwrap_or_default();
    assert!(text.contains(CONTOSO), "{text}");
    assert!(text.contains("Tenants to verify again"), "{text}");
    let b = buttons(&host);
    assert!(b.iter().any(|b| b.starts_with("Verify")), "{b:?}");
    assert_eq!(
        b.last().map(String::as_str),
        Some("Start again with the current backup sets")
    );
    assert!(!testids(&host).contains(&"export-nothing-to-verify".to_owned()));
}
