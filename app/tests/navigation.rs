//! Component test, in headless Chromium: the console's links are real
//! `<a href>`s; a plain left click on one changes the address
//! (`history.pushState`) and the screen signal without loading the page, a
//! modified click is left to the browser, and Back/Forward (`popstate`) set
//! the signal to the address again.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::navigation::{Link, Navigation};
use keyswitch_app::route::Screen;
use leptos::prelude::*;
use support::{find, mount, tick};
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("window")
}

fn address() -> String {
    let l = window().location();
    format!("{}{}", l.pathname().unwrap(), l.search().unwrap())
}

/// Back (`-1`) or Forward (`1`), as the browser's buttons do; returns once
/// the browser said so with `popstate`.
async fn history_step(delta: i32) {
    let popped = js_sys::Promise::new(&mut |resolve, _| {
        let once = web_sys::AddEventListenerOptions::new();
        once.set_once(true);
        window()
            .add_event_listener_with_callback_and_add_event_listener_options(
                "popstate", &resolve, &once,
            )
            .unwrap();
    });
    window().history().unwrap().go_with_delta(delta).unwrap();
    wasm_bindgen_futures::JsFuture::from(popped).await.unwrap();
}

/// Clicks `a` like a person would (`init` sets button and modifiers) and
/// says whether the console's handler took the click (`defaultPrevented`).
/// A listener on the document, which runs after the link's own, then stops
/// the browser's default so the test page itself is never navigated away.
fn click(a: &web_sys::HtmlElement, init: &web_sys::MouseEventInit) -> bool {
    let taken = std::rc::Rc::new(std::cell::Cell::new(None));
    let seen = taken.clone();
    let guard = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        seen.set(Some(ev.default_prevented()));
        ev.prevent_default();
    });
    let document = window().document().unwrap();
    document
        .add_event_listener_with_callback("click", guard.as_ref().unchecked_ref())
        .unwrap();
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", init).unwrap();
    a.dispatch_event(&ev).unwrap();
    document
        .remove_event_listener_with_callback("click", guard.as_ref().unchecked_ref())
        .unwrap();
    taken.get().expect("the click reached the document")
}

#[wasm_bindgen_test]
async fn a_plain_click_changes_screen_without_loading_and_back_returns() {
    let start = address();
    let history_len = window().history().unwrap().length().unwrap();
    let nav = RwSignal::new(None::<Navigation>);
    let host = mount(move || {
        let n = Navigation::provide();
        nav.set(Some(n));
        let screen = n.screen();
        view! {
            <Link href="/companies/ac%20me/kms" class="brand">"Manage KMS"</Link>
            <p id="screen">{move || format!("{:?}", screen.get())}</p>
        }
    });
    tick().await;
    let nav = nav.get_untracked().expect("mounted");
    let a = find(&host, "a");
    // A real link: its href is there for a new tab, a copy, a screen reader.
    assert_eq!(
        a.get_attribute("href").as_deref(),
        Some("/companies/ac%20me/kms")
    );
    assert_eq!(a.class_name(), "brand");
    // Ctrl-click, Cmd-click, Shift-click, middle click: the browser's.
    for init in [
        {
            let i = web_sys::MouseEventInit::new();
            i.set_ctrl_key(true);
            i
        },
        {
            let i = web_sys::MouseEventInit::new();
            i.set_meta_key(true);
            i
        },
        {
            let i = web_sys::MouseEventInit::new();
            i.set_shift_key(true);
            i
        },
        {
            let i = web_sys::MouseEventInit::new();
            i.set_button(1);
            i
        },
    ] {
        assert!(!click(&a, &init), "a modified click is left to the browser");
        assert_eq!(address(), start);
    }
    // A plain left click: taken, a new history entry, the screen follows.
    assert!(
        click(&a, &web_sys::MouseEventInit::new()),
        "a plain click is taken"
    );
    tick().await;
    assert_eq!(address(), "/companies/ac%20me/kms");
    assert_eq!(
        window().history().unwrap().length().unwrap(),
        history_len + 1
    );
    assert_eq!(
        nav.screen().get_untracked(),
        Screen::ManageKms("ac me".into())
    );
    assert_eq!(support::text(&host, "#screen"), "ManageKms(\"ac me\")");
    // Clicking it again adds no entry.
    assert!(click(&a, &web_sys::MouseEventInit::new()));
    assert_eq!(
        window().history().unwrap().length().unwrap(),
        history_len + 1
    );
    // Back: the browser restores the address and says so with popstate.
    history_step(-1).await;
    tick().await;
    assert_eq!(address(), start);
    assert_eq!(
        nav.path.get_untracked(),
        window().location().pathname().unwrap()
    );
    assert_eq!(
        support::text(&host, "#screen"),
        format!(
            "{:?}",
            Screen::of_path(&window().location().pathname().unwrap())
        )
    );
}

#[wasm_bindgen_test]
async fn a_link_opening_elsewhere_is_left_to_the_browser() {
    let start = address();
    let host = mount(move || {
        Navigation::provide();
        view! { <Link href="/">"Key Management"</Link> }
    });
    tick().await;
    let a = find(&host, "a");
    a.set_attribute("target", "_blank").unwrap();
    assert!(
        !click(&a, &web_sys::MouseEventInit::new()),
        "target=_blank is the browser's"
    );
    assert_eq!(address(), start);
}

/// Waits until the browser has drawn a frame (focus moves on the next one).
async fn next_frame() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            window().request_animation_frame(&resolve).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
    tick().await;
}

fn focused() -> Option<web_sys::Element> {
    window().document().unwrap().active_element()
}

#[wasm_bindgen_test]
async fn a_screen_change_moves_focus_to_the_new_screens_heading_and_back_does_too() {
    let host = mount(move || {
        let n = Navigation::provide();
        let screen = n.screen();
        view! {
            <main>
                <h1>{move || format!("{:?}", screen.get())}</h1>
                <Link href="/workspaces/w%201/vaults">"Vault management"</Link>
            </main>
        }
    });
    tick().await;
    let a = find(&host, "a");
    a.focus().unwrap();
    assert_eq!(
        focused(),
        Some(a.clone().into()),
        "the link has focus first"
    );
    assert!(click(&a, &web_sys::MouseEventInit::new()));
    next_frame().await;
    let h1 = find(&host, "h1");
    assert_eq!(h1.text_content().unwrap(), "Vaults(\"w 1\")");
    assert_eq!(
        focused(),
        Some(h1.clone().into()),
        "focus is on the new screen's heading"
    );
    // Focusable by script only: not added to the Tab order.
    assert_eq!(h1.get_attribute("tabindex").as_deref(), Some("-1"));
    // Back: the old screen's heading has focus again.
    a.focus().unwrap();
    history_step(-1).await;
    next_frame().await;
    let h1 = find(&host, "h1");
    assert_ne!(h1.text_content().unwrap(), "Vaults(\"w 1\")");
    assert_eq!(focused(), Some(h1.into()), "Back focuses the heading too");
    // Leave no forward entry behind for the other tests of this page, which
    // count history entries.
    history_step(1).await;
    next_frame().await;
    assert_eq!(find(&host, "h1").text_content().unwrap(), "Vaults(\"w 1\")");
}
