//! Reading a company's audit trail over HTTP with the answer's headers
//! (request id, Content-Type, Content-Disposition), every answer recorded
//! for the secrets scan.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::{call, fresh_company, http, kms, record, session, worker_url};

/// `method` `path` on the worker as `token`: status, headers, body text.
pub async fn call_with_headers(method: &str, path: &str, token: &str) -> (u16, HeaderMap, String) {
    send_with_headers(method, path, token, None).await
}

/// [`call_with_headers`] with an optional JSON body.
pub async fn send_with_headers(
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, HeaderMap, String) {
    let verb = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = http()
        .request(verb, format!("{}{path}", worker_url()))
        .bearer_auth(token);
    if let Some(b) = body {
        let text = b.to_string();
        record::request_body(&text);
        req = req.header("Content-Type", "application/json").body(text);
    }
    let resp = req.send().await.expect("the worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    record::response(method, path, status, &text);
    (status, headers, text)
}

/// A header's value as text (empty when absent).
#[must_use]
pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every event of `company`'s trail that passes `filter` (`action=…&…`),
/// newest first, read page by page with `limit`; also the pages' sizes.
pub async fn all_pages(
    company: &str,
    token: &str,
    filter: &str,
    limit: usize,
) -> (Vec<Value>, Vec<usize>) {
    all_pages_of(&format!("{}/audit", kms(company)), token, filter, limit).await
}

/// [`all_pages`] of the trail at `path` (the company trail's
/// `…/kms/audit` or a workspace's `…/vault-audit`).
pub async fn all_pages_of(
    path: &str,
    token: &str,
    filter: &str,
    limit: usize,
) -> (Vec<Value>, Vec<usize>) {
    let mut events = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<u64> = None;
    loop {
        let mut url = format!("{path}?limit={limit}");
        if !filter.is_empty() {
            url.push('&');
            url.push_str(filter);
        }
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (s, v) = crate::call("GET", &url, Some(token), None).await;
        assert_eq!(s, 200, "{url}: {v}");
        let page = v["events"].as_array().expect("events").clone();
        assert!(page.len() <= limit, "{url}: {v}");
        sizes.push(page.len());
        events.extend(page);
        match v["next_cursor"].as_u64() {
            Some(next) => {
                assert!(cursor.is_none_or(|c| next < c), "the cursor went back");
                cursor = Some(next);
            }
            None => break,
        }
        assert!(sizes.len() < 200, "paging does not end");
    }
    (events, sizes)
}

/// `GET path` is refused to each of `outsiders` (403 `forbidden_role`) and
/// to a missing, a forged and the `expired` session (401 `not_signed_in`).
pub async fn assert_read_refused(path: &str, outsiders: &[&str], expired: &str) {
    for t in outsiders {
        let got = crate::call("GET", path, Some(t), None).await;
        crate::assert_error(&got, 403, "forbidden_role");
    }
    let got = crate::call("GET", path, None, None).await;
    crate::assert_error(&got, 401, "not_signed_in");
    let got = crate::call("GET", path, Some("forged.token.value"), None).await;
    crate::assert_error(&got, 401, "not_signed_in");
    let got = crate::call("GET", path, Some(expired), None).await;
    crate::assert_error(&got, 401, "not_signed_in");
}

/// A workspace with a platform-managed vault and its owner's session.
pub async fn workspace_with_vault(prefix: &str) -> (String, String, String) {
    let ws = fresh_company(prefix);
    let token = session("workspace_owner", &[&ws]).await;
    let (s, v) = call(
        "POST",
        &format!("/api/workspaces/{ws}/vaults"),
        Some(&token),
        Some(json!({"name": "Cloud", "strategy": "cloud"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let vault = v["id"].as_str().expect("vault id").to_owned();
    (ws, token, vault)
}
