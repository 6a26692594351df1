//! The console session: a JWT signed by RedApp that arrives once in the URL
//! fragment (`#session=<jwt>`), is removed from the address bar at once and
//! lives only in `sessionStorage` (gone when the tab closes).

use leptos::prelude::*;

/// `sessionStorage` key of the token.
const STORAGE_KEY: &str = "keyswitch.session";

/// Whether the console holds a session, shared through context so a 401 from
/// any call sends every screen back to the sign-in screen.
#[derive(Debug, Clone, Copy)]
pub struct SessionState {
    /// `true` while a token is stored.
    pub signed_in: RwSignal<bool>,
}

impl SessionState {
    /// Reads the stored token (after [`capture_from_url`] ran).
    #[must_use]
    pub fn new() -> Self {
        Self {
            signed_in: RwSignal::new(token().is_some()),
        }
    }

    /// Forgets the token: the edge said it is no longer valid.
    pub fn sign_out(&self) {
        clear();
        self.signed_in.set(false);
    }
}

impl Default for SessionState {
    fn default() -> Self {
        Self::new()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Moves `#session=<jwt>` from the address bar into `sessionStorage` and
/// rewrites the URL without the fragment (history.replaceState), so the token
/// is neither bookmarked, shared nor kept in history.
pub fn capture_from_url() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Ok(hash) = location.hash() else {
        return;
    };
    let Some(token) = token_from_fragment(&hash) else {
        return;
    };
    if let Some(s) = storage() {
        // A failing storage (quota, disabled) leaves us signed out: the
        // sign-in screen then says so rather than pretending.
        let _stored = s.set_item(STORAGE_KEY, &token);
    }
    let path = location.pathname().unwrap_or_else(|_| "/".to_owned());
    let search = location.search().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _replaced = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{search}")),
        );
    }
}

/// The token in a fragment such as `#session=abc` (also among other
/// `&`-separated parameters), if any.
#[must_use]
pub fn token_from_fragment(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("session="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The stored token.
#[must_use]
pub fn token() -> Option<String> {
    storage()?.get_item(STORAGE_KEY).ok().flatten()
}

/// Removes the stored token.
pub fn clear() {
    if let Some(s) = storage() {
        let _removed = s.remove_item(STORAGE_KEY);
    }
}

/// The edge route that sends the admin to RedApp's sign-in page and back to
/// `return_to` (a path of this console).
#[must_use]
pub fn sign_in_href(return_to: &str) -> String {
    format!(
        "/api/sign-in?return_to={}",
        String::from(js_sys::encode_uri_component(return_to))
    )
}

/// The current path (and query), for `return_to`.
#[must_use]
pub fn current_path() -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}",
                l.pathname().unwrap_or_else(|_| "/".to_owned()),
                l.search().unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "/".to_owned())
}
