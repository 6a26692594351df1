//! The console session: a JWT signed by RedApp that arrives once in the URL
//! fragment (`#session=<jwt>&state=<state>`), is removed from the address
//! bar at once and lives only in `sessionStorage` (gone when the tab closes).
//!
//! Login CSRF: a session is taken from the fragment only when its `state`
//! is the random sign-in state this tab stored before it sent the admin to
//! RedApp ([`sign_in_href`]); the state is then spent. Any other fragment
//! (someone else's session in a link) is removed from the address bar and
//! ignored, and the console says so.

use keyswitch_shared::Role;
use leptos::prelude::*;
use serde::Deserialize;

/// `sessionStorage` key of the token.
const STORAGE_KEY: &str = "keyswitch.session";
/// `sessionStorage` key of the sign-in state this tab is waiting for.
const STATE_KEY: &str = "keyswitch.sign_in_state";

/// What [`capture_from_url`] found in the address bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// No session in the fragment.
    Nothing,
    /// A session of a sign-in this tab started: stored.
    Accepted,
    /// A session this tab did not ask for (no or another state): ignored.
    Ignored,
}

/// Whether the console holds a session, shared through context so a 401 from
/// any call sends every screen back to the sign-in screen.
#[derive(Debug, Clone, Copy)]
pub struct SessionState {
    /// `true` while a token is stored.
    pub signed_in: RwSignal<bool>,
    /// Who the stored session is for (display only: the edge verifies).
    pub identity: RwSignal<Option<Identity>>,
    /// A session in the address bar was ignored (not of this tab's sign-in).
    pub ignored: RwSignal<bool>,
}

impl SessionState {
    /// Reads the stored token (after [`capture_from_url`] ran).
    #[must_use]
    pub fn new(capture: Capture) -> Self {
        let token = token();
        Self {
            signed_in: RwSignal::new(token.is_some()),
            identity: RwSignal::new(token.as_deref().and_then(identity_of)),
            ignored: RwSignal::new(capture == Capture::Ignored),
        }
    }

    /// Takes what [`capture_from_url`] found into the signals.
    pub fn refresh(&self, capture: Capture) {
        let token = token();
        self.signed_in.set(token.is_some());
        self.identity.set(token.as_deref().and_then(identity_of));
        match capture {
            Capture::Nothing => {}
            Capture::Accepted => self.ignored.set(false),
            Capture::Ignored => self.ignored.set(true),
        }
    }

    /// Forgets the token: the edge said it is no longer valid.
    pub fn sign_out(&self) {
        clear();
        self.signed_in.set(false);
        self.identity.set(None);
    }
}

/// Who a session names: the claims the console shows in its header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Identity {
    /// RedApp's user id.
    pub sub: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The RedApp role.
    pub role: Role,
    /// The companies (or workspaces) the session lists.
    #[serde(default)]
    pub companies: Vec<String>,
}

/// The claims of a JWT's payload, read without verifying (the edge verifies
/// every call; this only labels the screen).
#[must_use]
pub fn identity_of(token: &str) -> Option<Identity> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Default for SessionState {
    fn default() -> Self {
        Self::new(Capture::Nothing)
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Moves `#session=<jwt>&state=<state>` from the address bar into
/// `sessionStorage` when `state` is the one this tab is waiting for (and
/// spends it), and rewrites the URL without the fragment
/// (history.replaceState), so the token is neither bookmarked, shared nor
/// kept in history. A session without this tab's state is dropped.
pub fn capture_from_url() -> Capture {
    let Some(window) = web_sys::window() else {
        return Capture::Nothing;
    };
    let location = window.location();
    let Ok(hash) = location.hash() else {
        return Capture::Nothing;
    };
    let Some(token) = token_from_fragment(&hash) else {
        return Capture::Nothing;
    };
    let expected = storage().and_then(|s| s.get_item(STATE_KEY).ok().flatten());
    let capture = if state_matches(expected.as_deref(), state_from_fragment(&hash).as_deref()) {
        if let Some(s) = storage() {
            // A failing storage (quota, disabled) leaves us signed out: the
            // sign-in screen then says so rather than pretending.
            let _stored = s.set_item(STORAGE_KEY, &token);
            let _spent = s.remove_item(STATE_KEY);
        }
        Capture::Accepted
    } else {
        Capture::Ignored
    };
    let path = location.pathname().unwrap_or_else(|_| "/".to_owned());
    let search = location.search().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _replaced = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{search}")),
        );
    }
    capture
}

/// Whether the fragment's `state` is the one this tab stored (both present,
/// equal, and of the shape [`new_state`] makes).
#[must_use]
pub fn state_matches(expected: Option<&str>, got: Option<&str>) -> bool {
    match (expected, got) {
        (Some(e), Some(g)) => e.len() >= 32 && e.len() == g.len() && e == g,
        _ => false,
    }
}

/// The `state` in a fragment such as `#session=…&state=abc`, if any.
#[must_use]
pub fn state_from_fragment(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("state="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// 32 random bytes (the browser's CSPRNG) as 64 hex digits.
fn new_state() -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; 32];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The sign-in state this tab waits for: the stored one, or a new one
/// (stored). `None` when the browser has no storage or randomness: the
/// console then cannot accept any session, and says so on the sign-in screen.
fn sign_in_state() -> Option<String> {
    let s = storage()?;
    if let Some(state) = s
        .get_item(STATE_KEY)
        .ok()
        .flatten()
        .filter(|x| x.len() == 64)
    {
        return Some(state);
    }
    let state = new_state()?;
    s.set_item(STATE_KEY, &state).ok()?;
    Some(state)
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
/// `return_to` (a path of this console), with this tab's sign-in state.
#[must_use]
pub fn sign_in_href(return_to: &str) -> String {
    sign_in_link(return_to, false)
}

/// [`sign_in_href`] asking RedApp for a fresh sign-in (`prompt=login`), for
/// a step that needs a recent one (the export).
#[must_use]
pub fn fresh_sign_in_href(return_to: &str) -> String {
    sign_in_link(return_to, true)
}

fn sign_in_link(return_to: &str, fresh: bool) -> String {
    let mut href = format!(
        "/api/sign-in?return_to={}",
        String::from(js_sys::encode_uri_component(return_to))
    );
    if let Some(state) = sign_in_state() {
        href.push_str("&state=");
        href.push_str(&state);
    }
    if fresh {
        href.push_str("&prompt=login");
    }
    href
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
