//! Component test, in headless Chromium: the errors of the consent proof and
//! the connection-test rate limit show their catalog text (issue 13).
#![cfg(target_arch = "wasm32")]

use keyswitch_app::components::error_notice::CatalogNotice;
use keyswitch_shared::CatalogError;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn mount(error: &CatalogError) -> web_sys::HtmlElement {
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
    let body = error.body();
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <CatalogNotice body=body.clone()/> }
    });
    handle.forget();
    host
}

fn text(host: &web_sys::HtmlElement, selector: &str) -> String {
    host.query_selector(selector)
        .expect("valid selector")
        .unwrap_or_else(|| panic!("no element {selector}"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn rate_limited_shows_the_wait() {
    let host = mount(&CatalogError::RateLimited {
        retry_after_secs: 7,
        interval_secs: 10,
    });
    assert_eq!(
        text(&host, ".notice-title"),
        "A connection test ran moments ago: wait 7 s before the next one"
    );
    assert_eq!(
        text(&host, ".notice-fix"),
        "How to fix it: Wait 7 s, then run the test again. keyswitch runs at most one connection test per company every 10 seconds, to spare your vault's request quota."
    );
    assert!(
        host.query_selector("[role=alert][data-code=rate_limited]")
            .expect("valid selector")
            .is_some()
    );
}

#[wasm_bindgen_test]
fn an_admin_of_another_tenant_is_named_with_both_tenants() {
    let host = mount(&CatalogError::TenantMismatch {
        expected: "72f988bf-0000-4c3a-9d6e-c0ffee000001".into(),
        found: "11111111-2222-3333-4444-555555555555".into(),
    });
    assert_eq!(
        text(&host, ".notice-title"),
        "The admin signed in to a different tenant (11111111-2222-3333-4444-555555555555) than the one to verify (72f988bf-0000-4c3a-9d6e-c0ffee000001)"
    );
}
