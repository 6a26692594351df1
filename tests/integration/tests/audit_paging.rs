//! Both audit trails (the company's Manage KMS trail and a workspace's vault
//! trail) return every event, page by page: following `next_cursor` from the
//! newest page reaches the oldest event with no gap and no duplicate, newest
//! first, and the last page says so (`next_cursor: null`).

use keyswitch_integration::audit_helpers::workspace_with_vault;
use keyswitch_integration::{assert_error, call, fresh_company, kms, session};
use serde_json::Value;

/// Reads `path` page by page (`limit` events each); returns every page.
async fn pages(path: &str, token: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut cursor: Option<u64> = None;
    loop {
        let url = match cursor {
            None => format!("{path}?limit={limit}"),
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
        };
        let (s, v) = call("GET", &url, Some(token), None).await;
        assert_eq!(s, 200, "{url}: {v}");
        let events = v["events"].as_array().expect("events").clone();
        assert!(events.len() <= limit, "{url}: more than {limit}: {v}");
        assert!(v.get("next_cursor").is_some(), "next_cursor missing: {v}");
        out.push(events);
        match v["next_cursor"].as_u64() {
            Some(next) => {
                assert!(cursor.is_none_or(|c| next < c), "the cursor went back");
                cursor = Some(next);
            }
            None => {
                assert!(v["next_cursor"].is_null(), "{v}");
                break;
            }
        }
        assert!(out.len() < 100, "paging does not end");
    }
    out
}

/// Pages of `limit` hold every event of the trail exactly once, newest first,
/// and match the trail read in one page.
async fn assert_pages_cover_trail(path: &str, token: &str, limit: usize, at_least: usize) {
    let pages = pages(path, token, limit).await;
    let seqs: Vec<u64> = pages
        .iter()
        .flatten()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert!(seqs.len() >= at_least, "too few events: {seqs:?}");
    assert!(pages.len() > 1, "one page only: {seqs:?}");
    for page in &pages[..pages.len() - 1] {
        assert_eq!(page.len(), limit, "a page before the last is short");
    }
    // Newest first, from the newest down to 1: no gap, no duplicate.
    let newest = seqs[0];
    let expected: Vec<u64> = (1..=newest).rev().collect();
    assert_eq!(seqs, expected, "paging lost or repeated events");
    // The same events as one big page.
    let (s, all) = call("GET", &format!("{path}?limit=500"), Some(token), None).await;
    assert_eq!(s, 200, "{all}");
    assert!(all["next_cursor"].is_null(), "{all}");
    let flat: Vec<Value> = pages.into_iter().flatten().collect();
    assert_eq!(Value::Array(flat), all["events"]);
}

#[tokio::test]
async fn the_company_trail_pages_through_every_event() {
    let company = fresh_company("it-audit-page");
    let token = session("company_admin", &[&company]).await;
    // Cancel with nothing pending is refused, and every refusal is audited.
    for _ in 0..7 {
        let got = call(
            "POST",
            &format!("{}/cancel", kms(&company)),
            Some(&token),
            None,
        )
        .await;
        assert_error(&got, 409, "invalid_state_transition");
    }
    assert_pages_cover_trail(&format!("{}/audit", kms(&company)), &token, 3, 7).await;

    // A cursor that is not a sequence number is refused.
    let got = call(
        "GET",
        &format!("{}/audit?cursor=abc", kms(&company)),
        Some(&token),
        None,
    )
    .await;
    assert_error(&got, 400, "invalid_input");
    assert_eq!(got.1["field"], "cursor");
    // Found by schemathesis: a cursor past 2^53 - 1 was a 500.
    let got = call(
        "GET",
        &format!("{}/audit?cursor=40774445732014256", kms(&company)),
        Some(&token),
        None,
    )
    .await;
    assert_error(&got, 400, "invalid_input");
    assert_eq!(got.1["field"], "cursor");
}

#[tokio::test]
async fn the_vault_trail_pages_through_every_event() {
    let (ws, token, vault) = workspace_with_vault("ws-audit-page").await;
    for _ in 0..6 {
        let (s, v) = call(
            "POST",
            &format!("/api/workspaces/{ws}/vaults/{vault}/default"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    let path = format!("/api/workspaces/{ws}/vault-audit");
    assert_pages_cover_trail(&path, &token, 2, 7).await;

    let got = call("GET", &format!("{path}?cursor=0"), Some(&token), None).await;
    assert_error(&got, 400, "invalid_input");
    assert_eq!(got.1["field"], "cursor");
}
