//! Helpers for the consent proof, the rate limit and the OAuth state checks:
//! the simulator's request log, raw answers with headers, and forged
//! callbacks.

use serde_json::Value;

use crate::{control, kms, worker_url};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// How many requests the simulator's Key Vault answered for `vault_uri`'s
/// host so far (any method, any path).
pub async fn vault_calls(vault_uri: &str) -> usize {
    let host = reqwest::Url::parse(vault_uri)
        .expect("a vault URI")
        .host_str()
        .expect("a host")
        .to_owned();
    control("GET", "/requests?service=keyvault", None).await["requests"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|e| e["vault"].as_str() == Some(host.as_str()))
                .count()
        })
        .unwrap_or(0)
}

/// `POST …/kms/{action}` as `token` with an optional JSON body: status,
/// `Retry-After` and the body.
pub async fn post_with_headers(
    company: &str,
    token: &str,
    action: &str,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = http()
        .post(format!("{}{}/{action}", worker_url(), kms(company)))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the worker answers");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().await.unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, retry_after, v)
}

/// The consent callback URL with `query` (already encoded).
#[must_use]
pub fn callback(query: &str) -> String {
    format!("{}/oauth/consent/callback?{query}", worker_url())
}

/// `url` with its query parameter `name` removed.
#[must_use]
pub fn without_param(url: &str, name: &str) -> String {
    let mut u = reqwest::Url::parse(url).expect("a URL");
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut().clear().extend_pairs(kept);
    u.into()
}

/// The audit trail's entries (newest first) of `company`.
pub async fn audit_events(company: &str, token: &str) -> Vec<Value> {
    let (s, v) = crate::call("GET", &format!("{}/audit", kms(company)), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    v["events"].as_array().cloned().unwrap_or_default()
}

/// Now, Unix milliseconds.
#[must_use]
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// `POST …/kms/test` (Completed) as `token`; a `rate_limited` refusal is
/// waited out (its `Retry-After`) and the test asked once more.
pub async fn test_connection(company: &str, token: &str) -> (u16, Value) {
    let (status, retry_after, body) = post_with_headers(company, token, "test", None).await;
    if status != 429 || body["code"] != "rate_limited" {
        return (status, body);
    }
    let secs: u64 = retry_after
        .as_deref()
        .and_then(|r| r.parse().ok())
        .expect("a rate_limited answer has Retry-After");
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    let (status, _, body) = post_with_headers(company, token, "test", None).await;
    (status, body)
}

/// Test Connection (`POST …/kms/switch`) with `vault_uri` and `key`; a
/// `rate_limited` refusal (the same key's test would run at once) is waited
/// out and the request sent once more.
pub async fn start_when_allowed(
    company: &str,
    token: &str,
    vault_uri: &str,
    key: &str,
) -> (u16, Value) {
    let body = serde_json::json!({"vault_uri": vault_uri, "key_name": key});
    let (status, retry_after, answer) =
        post_with_headers(company, token, "switch", Some(body.clone())).await;
    if status != 429 || answer["code"] != "rate_limited" {
        return (status, answer);
    }
    let secs: u64 = retry_after
        .as_deref()
        .and_then(|r| r.parse().ok())
        .expect("a rate_limited answer has Retry-After");
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    let (status, _, answer) = post_with_headers(company, token, "switch", Some(body)).await;
    (status, answer)
}
