//! Issue 15's cold-start lever: the first read of Manage KMS starts before
//! the wasm boots. An inline script in `index.html` (pinned in the CSP by
//! its hash, `scripts/csp_hash.py`) sees `/companies/{id}/kms` with a
//! session the console would use (the stored one, or the fragment's when it
//! carries this tab's sign-in state) and starts
//! `GET /api/companies/{id}/kms` at once, leaving
//! `window.__keyswitchPrefetch = {path, token, response}`. The app's first
//! GET of that path with that same session takes the answer instead of
//! asking again; the entry is removed on first look, so every later read
//! goes to the edge. The script decides nothing: `session::capture_from_url`
//! still decides which session the console holds, and a prefetch made with
//! another token is dropped unread.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The global the inline script leaves.
const GLOBAL: &str = "__keyswitchPrefetch";

fn field(entry: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(entry, &JsValue::from_str(name)).ok()
}

/// The answer the page started for `GET path` with `token`, if it did; the
/// entry is spent (removed) as soon as a read of its path looks at it. A
/// prefetch that failed to reach the edge gives `None`: the caller asks
/// again itself.
pub async fn take(path: &str, token: Option<&str>) -> Option<web_sys::Response> {
    let window: js_sys::Object = web_sys::window()?.unchecked_into();
    let key = JsValue::from_str(GLOBAL);
    let entry = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)?;
    if field(&entry, "path")?.as_string().as_deref() != Some(path) {
        return None;
    }
    // Spent whatever happens next: the token leaves the page's globals.
    let _removed = js_sys::Reflect::delete_property(&window, &key);
    let used = field(&entry, "token")?.as_string();
    if token.is_none() || used.as_deref() != token {
        return None;
    }
    let promise: js_sys::Promise = field(&entry, "response")?.dyn_into().ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}
