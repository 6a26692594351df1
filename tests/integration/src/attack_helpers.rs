//! Helpers for the attack tests: what a landing page reports, callback URLs
//! with a state swapped, and OAuth states signed with the local stack's
//! platform key (to show the model's own checks behind the edge's MAC).

use serde_json::Value;

/// The catalog code a landing page reports (its `postMessage` payload), or
/// `None` for a success page.
#[must_use]
pub fn landing_code(html: &str) -> Option<String> {
    let at = html.find("\"code\":\"")? + "\"code\":\"".len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

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
