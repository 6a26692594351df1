//! Component tests, in headless Chromium: who is signed in (header), the
//! notice for an ignored session link, the session fragment's state check,
//! and the screen texts of the export's new refusals (a stale sign-in, with
//! the way through RedApp's sign-in back to the export; the window's end).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::components::error_notice::CatalogNotice;
use keyswitch_app::components::identity::{IdentityBar, IgnoredSessionNotice, Scope};
use keyswitch_app::pages::manage_kms::completed::ReauthNotice;
use keyswitch_app::session::{
    Identity, identity_of, state_from_fragment, state_matches, token_from_fragment,
};
use keyswitch_shared::{CatalogError, Role};
use leptos::prelude::*;
use support::{find, mount, text, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn casey() -> Identity {
    Identity {
        sub: "casey".into(),
        name: "Casey Company-Admin".into(),
        role: Role::CompanyAdmin,
        companies: vec!["acme".into()],
    }
}

#[wasm_bindgen_test]
async fn the_header_names_who_is_signed_in_and_for_which_company() {
    let host = mount(|| {
        view! { <IdentityBar identity=Some(casey()) scope=Scope::of_path("/companies/acme/kms")/> }
    });
    tick().await;
    assert_eq!(
        text(&host, "[data-testid=signed-in-as]"),
        "Signed in as Casey Company-Admin (company admin) · Company acme"
    );
    let host = mount(|| {
        view! { <IdentityBar identity=None scope=Scope::of_path("/workspaces/ws%201/vaults")/> }
    });
    tick().await;
    assert_eq!(
        text(&host, "[data-testid=signed-in-as]"),
        "Not signed in · Workspace ws 1"
    );
    assert_eq!(Scope::of_path("/"), None);
}

#[wasm_bindgen_test]
async fn an_ignored_session_link_is_explained() {
    let host = mount(|| view! { <IgnoredSessionNotice/> });
    tick().await;
    assert_eq!(
        find(&host, "[role=alert]")
            .get_attribute("data-code")
            .as_deref(),
        Some("session_link_ignored")
    );
    assert_eq!(text(&host, ".notice-title"), "A sign-in link was ignored");
    assert_eq!(
        text(&host, ".notice-fix"),
        "The address carried a RedApp session that this browser tab did not ask for (it may be someone else's). It was not used. To sign in, use Sign in through RedApp on this page."
    );
}

#[wasm_bindgen_test]
fn a_fragment_counts_only_with_this_tabs_state() {
    let mine = "0123456789abcdef".repeat(4);
    let hash = format!("#session=abc.def.ghi&state={mine}");
    assert_eq!(token_from_fragment(&hash).as_deref(), Some("abc.def.ghi"));
    assert_eq!(state_from_fragment(&hash).as_deref(), Some(mine.as_str()));
    assert!(state_matches(Some(&mine), Some(&mine)));
    // No state stored, none given, another one, a short one: refused.
    assert!(!state_matches(None, Some(&mine)));
    assert!(!state_matches(Some(&mine), None));
    assert!(!state_matches(Some(&mine), Some(&"f".repeat(64))));
    assert!(!state_matches(Some("abc"), Some("abc")));
    assert_eq!(state_from_fragment("#session=abc"), None);
    // The header reads the token's claims (display only).
    let payload = "eyJzdWIiOiJjYXNleSIsIm5hbWUiOiJDYXNleSBDb21wYW55LUFkbWluIiwicm9sZSI6ImNvbXBhbnlfYWRtaW4iLCJjb21wYW5pZXMiOlsiYWNtZSJdfQ";
    assert_eq!(identity_of(&format!("h.{payload}.s")), Some(casey()));
    assert_eq!(identity_of("not-a-jwt"), None);
}

#[wasm_bindgen_test]
async fn a_stale_sign_in_shows_the_refusal_and_the_way_back_to_the_export() {
    let body = CatalogError::ReauthenticationRequired { max_age_mins: 10 }.body();
    let host = mount(
        move || view! { <ReauthNotice body=body.clone() return_path="/companies/acme/kms"/> },
    );
    tick().await;
    assert_eq!(
        find(&host, "[role=alert]")
            .get_attribute("data-code")
            .as_deref(),
        Some("reauthentication_required")
    );
    assert_eq!(
        text(&host, ".notice-title"),
        "This action needs a recent sign-in"
    );
    assert_eq!(
        text(&host, ".notice-detail"),
        "Exporting the company key needs a session signed in within the last 10 minutes; this session's sign-in is older."
    );
    assert_eq!(
        text(&host, ".notice-fix"),
        "How to fix it: Sign in to RedApp again (a sign-in within the last 10 minutes counts), then repeat the action."
    );
    let link = find(&host, "[data-testid=reauth-export]");
    assert_eq!(
        link.text_content().unwrap_or_default(),
        "Sign in again to export"
    );
    let href = link.get_attribute("href").unwrap_or_default();
    let prefix = "/api/sign-in?return_to=%2Fcompanies%2Facme%2Fkms%3Fresume%3Dexport&state=";
    assert!(href.starts_with(prefix), "{href}");
    assert!(href.ends_with("&prompt=login"), "{href}");
    let state = &href[prefix.len()..href.len() - "&prompt=login".len()];
    assert_eq!(state.len(), 64, "{href}");
    assert!(state.bytes().all(|b| b.is_ascii_hexdigit()), "{href}");
}

#[wasm_bindgen_test]
async fn an_export_after_the_window_says_when_it_ended_and_what_to_do() {
    let body = CatalogError::ExportWindowExpired {
        closed_at: 1_800_000_000,
    }
    .body();
    let host = mount(move || view! { <CatalogNotice body=body.clone()/> });
    tick().await;
    assert_eq!(
        text(&host, ".notice-title"),
        "The one-time key export window has ended"
    );
    assert_eq!(
        text(&host, ".notice-detail"),
        "The export without re-verification was offered until 2027-01-15 08:00 UTC."
    );
    assert_eq!(
        text(&host, ".notice-fix"),
        "How to fix it: The export without re-verification is offered for a limited time after the switch. Verify every tenant again, then export the key."
    );
}
