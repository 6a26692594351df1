//! Component test, in headless Chromium: a part fetched on demand
//! (`on_demand::show`) says it is loading until its code is here, then shows
//! its view under the place's reactive owner (contexts reach it); a part
//! already here shows at once, without a "Loading" flash; a part whose code
//! cannot be fetched is an alert with its fix.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::on_demand::{ChunkUnavailable, show};
use leptos::prelude::*;
use support::{mount, sleep, text, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Nothing on the page matches `selector`.
fn absent(host: &web_sys::HtmlElement, selector: &str) -> bool {
    host.query_selector(selector)
        .expect("valid selector")
        .is_none()
}

#[derive(Clone)]
struct Greeting(&'static str);

/// A part that needs a context of the place it is shown in.
fn part() -> AnyView {
    let greeting = use_context::<Greeting>()
        .map(|g| g.0)
        .unwrap_or("no context");
    view! { <p id="part">{greeting}</p> }.into_any()
}

#[wasm_bindgen_test]
async fn a_part_still_loading_says_so_then_shows_with_its_places_context() {
    let host = mount(|| {
        provide_context(Greeting("hello from the place"));
        view! {
            <div id="place">
                {show(async {
                    sleep(50).await;
                    Ok(part())
                })}
            </div>
        }
    });
    tick().await;
    assert_eq!(text(&host, "#place [role=status]"), "Loading…");
    sleep(120).await;
    assert_eq!(text(&host, "#part"), "hello from the place");
    assert!(
        absent(&host, "#place [role=status]"),
        "the loading note is gone"
    );
}

#[wasm_bindgen_test]
async fn a_part_already_here_shows_at_once() {
    let host = mount(|| {
        provide_context(Greeting("at once"));
        view! { <div id="place">{show(async { Ok(part()) })}</div> }
    });
    // No tick: built in the same turn as the place.
    assert_eq!(text(&host, "#part"), "at once");
    assert!(absent(&host, "#place [role=status]"));
}

#[wasm_bindgen_test]
async fn a_part_that_cannot_be_fetched_is_an_alert_with_its_fix() {
    let host = mount(|| {
        view! {
            <div id="place">
                {show(async {
                    sleep(20).await;
                    Err(ChunkUnavailable)
                })}
            </div>
        }
    });
    sleep(80).await;
    let alert = text(&host, "#place [role=alert]");
    assert!(
        alert.contains("This part of the console could not be loaded"),
        "{alert}"
    );
    assert!(
        alert.contains("Check your connection, then reload the page."),
        "{alert}"
    );
    assert!(absent(&host, "#part"));
}

#[wasm_bindgen_test]
async fn a_place_gone_before_its_part_arrives_drops_it() {
    let here = RwSignal::new(true);
    let host = mount(move || {
        view! {
            <div id="place">
                <Show when=move || here.get()>
                    {show(async {
                        sleep(50).await;
                        Ok(part())
                    })}
                </Show>
            </div>
        }
    });
    tick().await;
    here.set(false);
    sleep(120).await;
    assert!(absent(&host, "#part"));
    assert_eq!(text(&host, "#place"), "");
}
