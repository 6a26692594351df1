//! The sign-in popup used for Microsoft's admin consent and for a tenant
//! admin's verification: opened on the click (while it still counts as a
//! user gesture), pointed at the page once the edge answers, and a link in
//! its place when the browser blocked it.

use leptos::prelude::*;

/// Window name of the sign-in popup (reused, never stacked).
const POPUP_NAME: &str = "keyswitch-consent";

/// The popup opened for the call in flight, if the browser allowed it.
#[derive(Clone, Copy)]
pub struct Popup(StoredValue<Option<web_sys::Window>, LocalStorage>);

impl Popup {
    /// No popup yet.
    #[must_use]
    pub fn new() -> Self {
        Self(StoredValue::new_local(None))
    }

    /// Opens an empty popup now; `None` when the browser blocked it.
    pub fn open(self) {
        let window = web_sys::window().and_then(|w| {
            w.open_with_url_and_target_and_features(
                "about:blank",
                POPUP_NAME,
                "popup,width=560,height=720",
            )
            .ok()
            .flatten()
        });
        self.0.set_value(window);
    }

    /// Points the popup at `url`, or closes it when the call brought none. A
    /// URL that no open popup can show goes to `blocked`, shown as a link.
    pub fn route(self, url: Option<String>, blocked: RwSignal<Option<String>>) {
        let window = self.0.get_value();
        self.0.set_value(None);
        let Some(url) = url else {
            if let Some(w) = window {
                let _closed = w.close();
            }
            return;
        };
        match window.filter(|w| !w.closed().unwrap_or(true)) {
            Some(w) if w.location().set_href(&url).is_ok() => {
                blocked.set(None);
                let _focused = w.focus();
            }
            _ => blocked.set(Some(url)),
        }
    }
}

impl Default for Popup {
    fn default() -> Self {
        Self::new()
    }
}

/// Shown when the browser blocked a sign-in popup: the same page as a link.
#[component]
pub fn BlockedPopup(
    /// The URL the popup should have opened.
    url: RwSignal<Option<String>>,
    /// What the page is, e.g. "Microsoft's consent page".
    what: &'static str,
) -> impl IntoView {
    move || {
        url.get().map(|u| view! {
            <div class="notice notice-warn" role="alert">
                <p class="notice-title">"Your browser blocked the pop-up window"</p>
                <p>
                    "Open "{what}" in a new tab instead. When the admin is done, come back to this tab: it updates by itself."
                </p>
                <a class="button button-primary" href=u target="_blank" rel="opener">
                    "Open "{what}
                </a>
            </div>
        })
    }
}
