//! Component test, in headless Chromium: which screen an address names (the
//! console reads its path once; ids are percent-decoded by the browser's
//! own `decodeURIComponent`).
#![cfg(target_arch = "wasm32")]

use keyswitch_app::route::Screen;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn each_screen_is_named_by_its_path() {
    assert_eq!(Screen::of_path("/"), Screen::Home);
    assert_eq!(Screen::of_path(""), Screen::NotFound);
    assert_eq!(
        Screen::of_path("/companies/acme/kms"),
        Screen::ManageKms("acme".into())
    );
    assert_eq!(
        Screen::of_path("/companies/acme/kms/"),
        Screen::ManageKms("acme".into())
    );
    assert_eq!(
        Screen::of_path("/workspaces/acme/vaults"),
        Screen::Vaults("acme".into())
    );
    assert_eq!(
        Screen::of_path("/companies/a%20b/kms"),
        Screen::ManageKms("a b".into())
    );
}

#[wasm_bindgen_test]
fn anything_else_is_not_found() {
    for path in [
        "/companies//kms",
        "/companies/acme",
        "/companies/acme/kms/extra",
        "/companies/acme/vaults",
        "/workspaces/acme/kms",
        "/companies/%E0%A4%A/kms",
        "/kms",
        "//",
        "/companies/acme/kms//",
    ] {
        assert_eq!(Screen::of_path(path), Screen::NotFound, "{path}");
    }
}
