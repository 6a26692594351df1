//! Helpers for the attack tests: a callback URL with one parameter swapped,
//! a parameter of a URL, and the pending tenant entry of a status answer.

use serde_json::Value;

/// `url` with query parameter `name` set to `value` (replacing it).
#[must_use]
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u =
        reqwest::Url::parse(&crate::consent_helpers::without_param(url, name)).expect("a URL");
    u.query_pairs_mut().append_pair(name, value);
    u.into()
}

/// The query parameter `name` of `url`.
#[must_use]
pub fn param_of(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

/// The pending tenant entry of `kind` in a status answer.
#[must_use]
pub fn tenant_entry(status: &Value, kind: &str) -> Value {
    status["pending"]["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|x| x["tenant"]["kind"] == kind)
        .cloned()
        .expect("the tenant is listed")
}
