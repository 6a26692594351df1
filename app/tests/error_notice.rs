//! Component test, in headless Chromium: a refusal the edge can answer on
//! any screen (a deployed worker whose configuration is refused: 503
//! `service_misconfigured`) shows the catalog's text, and nothing of the
//! configuration.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::api::ApiError;
use keyswitch_app::components::error_notice::ErrorNotice;
use keyswitch_shared::CatalogError;
use leptos::prelude::*;
use support::mount;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_misconfigured_service_shows_the_catalog_text() {
    let e = CatalogError::ServiceMisconfigured;
    let error = ApiError::Refused {
        status: e.status(),
        body: e.body(),
    };
    let host = mount(move || view! { <ErrorNotice error=error.clone()/> });
    let notice = host
        .query_selector("[data-code=service_misconfigured]")
        .expect("valid selector")
        .expect("the notice carries the code");
    let text = notice.text_content().unwrap_or_default();
    assert!(
        text.contains("The service is not configured correctly"),
        "{text}"
    );
    assert!(
        text.contains(
            "How to fix it: Try again later. The operator has been alerted; nothing was changed."
        ),
        "{text}"
    );
    assert!(!text.contains("KEYVAULT_PROXY"), "{text}");
}
