//! In-page navigation without a router (issue 15: no `leptos_router` in the
//! download). The current path lives in one signal ([`Navigation`]); the
//! console's own links ([`Link`]) stay real `<a href>` (a person can open
//! them in a new tab, copy them, read them with a screen reader), but a plain
//! left click on one is taken here: `history.pushState` and the signal are
//! set, and the screen changes without loading the page again. Back and
//! Forward (`popstate`) set the signal back. The session is not touched: it
//! lives in `sessionStorage`, and a `#session=` fragment is still taken by
//! `session::capture_from_url` at start and on `hashchange`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::route::{Screen, current_path};

/// The console's current path, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Navigation {
    /// The path the address bar shows (without query or fragment).
    pub path: RwSignal<String>,
}

impl Navigation {
    /// Reads the address, follows Back/Forward, and provides itself as
    /// context (the App does this once; component tests too).
    pub fn provide() -> Self {
        let nav = Self {
            path: RwSignal::new(current_path()),
        };
        let pop = window_event_listener(leptos::ev::popstate, move |_| {
            nav.path.set(current_path());
            focus_heading();
        });
        on_cleanup(move || pop.remove());
        provide_context(nav);
        nav
    }

    /// The screen the current path names.
    #[must_use]
    pub fn screen(self) -> Memo<Screen> {
        Memo::new(move |_| self.path.with(|p| Screen::of_path(p)))
    }

    /// Shows `to` (a path of this console, maybe with a query): a new
    /// history entry unless the address already is `to`, then the signal.
    pub fn go(self, to: &str) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        if here != to
            && let Ok(history) = window.history()
        {
            let _pushed = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
        }
        window.scroll_to_with_x_and_y(0.0, 0.0);
        self.path.set(current_path());
        focus_heading();
    }

    /// Takes a click on one of the console's links when it is a plain left
    /// click on a same-origin link without `target` or `download`; anything
    /// else (Ctrl/Cmd/Shift/Alt-click, middle click, new tab) is left to the
    /// browser.
    pub fn follow(self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.ctrl_key()
            || ev.meta_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(a) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        let same_origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .is_some_and(|o| o == a.origin());
        if !same_origin || !a.target().is_empty() || a.has_attribute("download") {
            return;
        }
        ev.prevent_default();
        self.go(&format!("{}{}", a.pathname(), a.search()));
    }
}

/// After a screen change without a page load, focus goes to the new screen's
/// heading (`<main>`'s `<h1>`), as a page load would start a screen reader
/// or a keyboard there: otherwise it stays on the link that was clicked, now
/// gone, and the next Tab starts from the top of the document. The heading
/// gets `tabindex="-1"` (focusable by script, not in the Tab order). Done
/// on the next animation frame, once the new screen is rendered.
pub fn focus_heading() {
    request_animation_frame(|| {
        let heading = document()
            .query_selector("main h1")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(h) = heading {
            if !h.has_attribute("tabindex") {
                let _set = h.set_attribute("tabindex", "-1");
            }
            let _focused = h.focus();
        }
    });
}

/// A link to a screen of this console: a real `<a href>`, followed in the
/// page on a plain left click (see [`Navigation::follow`]).
#[component]
pub fn Link(
    /// The console path it names.
    href: &'static str,
    /// CSS class, if any.
    #[prop(optional)]
    class: Option<&'static str>,
    /// The link text.
    children: Children,
) -> impl IntoView {
    let nav = use_context::<Navigation>();
    let click = move |ev: web_sys::MouseEvent| {
        if let Some(nav) = nav {
            nav.follow(&ev);
        }
    };
    view! { <a href=href class=class on:click=click>{children()}</a> }
}
