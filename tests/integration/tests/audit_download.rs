//! Downloads of long trails (issue 17 item 6, stop 24): the company's
//! Manage KMS trail and a workspace's vault trail, each of more than 1,200
//! entries, downloaded as CSV and as JSON lines, streamed by the worker page
//! by page (no Content-Length: the body is written as it is read), and
//! parsed back to exactly the entries the paged API lists, in the same
//! order. The vault trail's download is authorised like every workspace
//! route: another workspace's owner, a member, a Manage KMS role, a missing,
//! forged or expired session and bad filter values get their exact
//! refusals, and the trail does not change.

use std::collections::BTreeSet;

use keyswitch_integration::audit_helpers::{
    all_pages_of, assert_read_refused, call_with_headers, header, workspace_with_vault,
};
use keyswitch_integration::{assert_error, call, fresh_company, kms, session, session_with_ttl};
use serde_json::Value;
use tokio::task::JoinSet;

/// Entries each long trail gets: more than four of the worker's download
/// pages (250) and thirteen pages of the API's default 100.
const ENTRIES: usize = 1_210;

/// Requests in flight at once while filling a trail.
const PARALLEL: usize = 8;

/// Sends `POST path` `n` times (a few at once) as `token`, every call
/// expecting `status`; returns the `x-request-id` of each.
async fn post_many(paths: Vec<String>, token: &str, status: u16) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for chunk in paths.chunks(PARALLEL) {
        let mut set = JoinSet::new();
        for path in chunk {
            let (path, token) = (path.clone(), token.to_owned());
            set.spawn(async move { call_with_headers("POST", &path, &token).await });
        }
        while let Some(done) = set.join_next().await {
            let (s, h, text) = done.expect("a request task");
            assert_eq!(s, status, "{text}");
            let id = header(&h, "x-request-id");
            assert!(!id.is_empty(), "no x-request-id");
            ids.insert(id);
        }
    }
    ids
}

/// `GET path` as `token`: the file, after checking the download's headers
/// (streamed: no Content-Length) and its file name.
async fn download(path: &str, token: &str, prefix: &str, ext: &str) -> String {
    let (s, h, text) = call_with_headers("GET", path, token).await;
    assert_eq!(s, 200, "{path}: {text}");
    let content_type = header(&h, "content-type");
    assert_eq!(
        content_type,
        if ext == "csv" {
            "text/csv; charset=utf-8; header=present"
        } else {
            "application/x-ndjson; charset=utf-8"
        }
    );
    let disposition = header(&h, "content-disposition");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{prefix}-"))
            && disposition.ends_with(&format!(".{ext}\"")),
        "{disposition}"
    );
    assert_eq!(header(&h, "cache-control"), "no-store");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(
        h.get("content-length").is_none(),
        "{path}: answered in one piece (Content-Length {}), not streamed",
        header(&h, "content-length")
    );
    text
}

/// The CSV file's rows as column → cell maps, after checking its header
/// is exactly `columns`.
fn csv_rows(text: &str, columns: &[&str]) -> Vec<Vec<(String, String)>> {
    assert!(text.ends_with("\r\n"), "a CSV file ends its last row");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let head: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(head, columns);
    reader
        .records()
        .map(|r| {
            let r = r.expect("an RFC 4180 row");
            head.iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(c, _)| c == name)
        .map(|(_, v)| v.as_str())
        .expect("a column")
}

/// The JSON-lines file as objects, one per line.
fn json_lines(text: &str) -> Vec<Value> {
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The columns the paged API answers as they are (the files add `time`
/// and `actor_kind`, and spell the outside admin out in two columns).
fn api_fields<'a>(columns: &[&'a str]) -> Vec<&'a str> {
    let derived = [
        "time",
        "actor_kind",
        "outside_admin_provider",
        "outside_admin_account",
    ];
    let fields: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !derived.contains(c))
        .collect();
    assert!(fields.contains(&"request_id") && fields.contains(&"seq"));
    fields
}

/// A JSON value as the CSV writes it (absent: empty).
fn as_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Both files of the trail at `base` (with `filter`) hold exactly `trail`,
/// in order, field by field (`fields`: those the API answers too).
async fn assert_files_match(
    base: &str,
    filter: &str,
    token: &str,
    prefix: &str,
    columns: &[&str],
    fields: &[&str],
    trail: &[Value],
) {
    let sep = if filter.is_empty() { "" } else { "&" };
    let text = download(
        &format!("{base}/download?format=csv{sep}{filter}"),
        token,
        prefix,
        "csv",
    )
    .await;
    let rows = csv_rows(&text, columns);
    assert_eq!(rows.len(), trail.len(), "CSV rows ({filter})");
    for (row, e) in rows.iter().zip(trail) {
        for f in fields {
            assert_eq!(cell(row, f), as_cell(&e[*f]), "CSV {f} of {e}");
        }
        assert!(cell(row, "time").ends_with('Z'));
    }
    let text = download(
        &format!("{base}/download?format=jsonl{sep}{filter}"),
        token,
        prefix,
        "jsonl",
    )
    .await;
    let lines = json_lines(&text);
    assert_eq!(lines.len(), trail.len(), "JSON lines ({filter})");
    for (line, e) in lines.iter().zip(trail) {
        let keys: BTreeSet<&str> = line
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, columns.iter().copied().collect(), "{line}");
        for f in fields {
            let want = if e[*f].is_null() {
                &Value::Null
            } else {
                &e[*f]
            };
            assert_eq!(&line[*f], want, "JSON {f} of {e}");
        }
    }
}

#[tokio::test]
async fn a_long_company_trail_downloads_in_full_as_both_files() {
    let company = fresh_company("it-audit-long");
    let token = session("company_admin", &[&company]).await;
    // Refused cancels (nothing pending), with a refused refresh every
    // 121st request: every refusal is audited.
    let paths: Vec<String> = (0..ENTRIES)
        .map(|i| {
            let action = if i % 121 == 60 { "refresh" } else { "cancel" };
            format!("{}/{action}", kms(&company))
        })
        .collect();
    let ids = post_many(paths, &token, 409).await;
    let base = format!("{}/audit", kms(&company));
    let (trail, sizes) = all_pages_of(&base, &token, "", 100).await;
    assert_eq!(trail.len(), ENTRIES);
    assert!(sizes.len() >= 13, "{sizes:?}");
    let written: BTreeSet<String> = trail
        .iter()
        .map(|e| e["request_id"].as_str().expect("a request id").to_owned())
        .collect();
    assert_eq!(written, ids, "each entry names the request that wrote it");

    let columns = keyswitch_shared::audit_export::COLUMNS;
    let fields = api_fields(&columns);
    let prefix = format!("audit-{company}");
    assert_files_match(&base, "", &token, &prefix, &columns, &fields, &trail).await;

    // Filtered: the ten refused refreshes, found across every page.
    let (refreshes, _) = all_pages_of(&base, &token, "action=refresh", 100).await;
    assert_eq!(refreshes.len(), 10);
    assert_files_match(
        &base,
        "action=refresh",
        &token,
        &prefix,
        &columns,
        &fields,
        &refreshes,
    )
    .await;
    // Nothing passes: a header row only, and an empty JSON-lines file.
    assert_files_match(
        &base,
        "outcome=succeeded",
        &token,
        &prefix,
        &columns,
        &fields,
        &[],
    )
    .await;
}

#[tokio::test]
async fn a_long_vault_trail_downloads_in_full_as_both_files() {
    let (ws, token, vault) = workspace_with_vault("ws-audit-long").await;
    let paths = vec![format!("/api/workspaces/{ws}/vaults/{vault}/default"); ENTRIES - 1];
    let ids = post_many(paths, &token, 200).await;
    let base = format!("/api/workspaces/{ws}/vault-audit");
    let (trail, sizes) = all_pages_of(&base, &token, "", 100).await;
    assert_eq!(trail.len(), ENTRIES);
    assert!(sizes.len() >= 13, "{sizes:?}");
    let written: BTreeSet<String> = trail[..ENTRIES - 1]
        .iter()
        .map(|e| e["request_id"].as_str().expect("a request id").to_owned())
        .collect();
    assert_eq!(written, ids, "each entry names the request that wrote it");
    assert_eq!(trail[ENTRIES - 1]["action"], "vault_created");

    let columns = keyswitch_shared::audit_export::VAULT_COLUMNS;
    let fields = api_fields(&columns);
    let prefix = format!("vault-audit-{ws}");
    assert_files_match(&base, "", &token, &prefix, &columns, &fields, &trail).await;
    let (created, _) = all_pages_of(&base, &token, "action=vault_created", 100).await;
    assert_eq!(created.len(), 1);
    assert_files_match(
        &base,
        "action=vault_created&outcome=succeeded",
        &token,
        &prefix,
        &columns,
        &fields,
        &created,
    )
    .await;
}

#[tokio::test]
async fn the_vault_trail_download_refuses_strangers_and_bad_filters_and_nothing_changes() {
    let (ws, token, vault) = workspace_with_vault("ws-audit-refuse").await;
    let (s, _) = call(
        "POST",
        &format!("/api/workspaces/{ws}/vaults/{vault}/default"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let base = format!("/api/workspaces/{ws}/vault-audit");
    let (before, _) = all_pages_of(&base, &token, "", 500).await;
    assert_eq!(before.len(), 2);

    let other_ws = fresh_company("ws-audit-other");
    let stranger = session("workspace_owner", &[&other_ws]).await;
    let member = session("workspace_member", &[&ws]).await;
    let company_admin = session("company_admin", &[&ws]).await;
    let expired = session_with_ttl("workspace_owner", &[&ws], -600).await;
    for path in [
        format!("{base}/download?format=csv"),
        format!("{base}/download?format=jsonl&action=vault_created"),
    ] {
        assert_read_refused(&path, &[&stranger, &member, &company_admin], &expired).await;
    }
    for (query, field) in [
        ("download?format=xlsx", "format"),
        ("download", "format"),
        ("download?format=csv&action=drop_table", "action"),
        (
            "download?format=csv&action=vault_created,%3D1%2B1",
            "action",
        ),
        ("download?format=jsonl&outcome=", "outcome"),
        ("download?format=jsonl&outcome=SUCCEEDED", "outcome"),
    ] {
        let got = call("GET", &format!("{base}/{query}"), Some(&token), None).await;
        assert_error(&got, 400, "invalid_input");
        assert_eq!(got.1["field"], field, "{query}: {}", got.1);
    }
    let (after, _) = all_pages_of(&base, &token, "", 500).await;
    assert_eq!(after, before, "a refused download changed the trail");
}
