//! The company audit trail as a security team uses it (issue 17 item 6):
//! filtered by action and outcome, paged through everything (stable while
//! new entries are written), downloaded as CSV and JSON lines that parse
//! back to the same entries, each naming who acted (by kind) and the
//! request id of the answer that wrote it. Another company's admin and bad
//! filter values get the exact refusals, and nothing changes.

use keyswitch_integration::audit_helpers::{
    all_pages, assert_read_refused, call_with_headers, header, send_with_headers,
};
use keyswitch_integration::{
    assert_error, call, control, fresh_company, kms, record, session, session_with_ttl,
    start_and_consent, world,
};
use serde_json::{Value, json};

/// `POST …/kms/{action}` as `token`; returns the status and the answer's
/// `x-request-id`.
async fn post(company: &str, token: &str, action: &str) -> (u16, String) {
    let (s, h, _) = call_with_headers("POST", &format!("{}/{action}", kms(company)), token).await;
    (s, header(&h, "x-request-id"))
}

/// A company whose trail holds, oldest first: 5 refused cancels, 3 refused
/// refreshes, a switch started (succeeded) and cancelled (succeeded); with
/// the request id of each request, oldest first.
async fn busy_company(prefix: &str) -> (String, String, Vec<String>) {
    let company = fresh_company(prefix);
    let token = session("company_admin", &[&company]).await;
    let mut ids = Vec::new();
    for (action, n, status) in [("cancel", 5, 409), ("refresh", 3, 409)] {
        for _ in 0..n {
            let (s, id) = post(&company, &token, action).await;
            assert_eq!(s, status, "{action}");
            assert!(!id.is_empty(), "{action}: no x-request-id");
            ids.push(id);
        }
    }
    let body =
        json!({"vault_uri": "https://contoso-kms.vault.azure.net", "key_name": "company-kek"});
    let (s, h, text) = send_with_headers(
        "POST",
        &format!("{}/switch", kms(&company)),
        &token,
        Some(body),
    )
    .await;
    assert_eq!(s, 200, "{text}");
    ids.push(header(&h, "x-request-id"));
    let (s, id) = post(&company, &token, "cancel").await;
    assert_eq!(s, 200);
    ids.push(id);
    (company, token, ids)
}

fn seqs(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect()
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect()
}

#[tokio::test]
async fn filters_page_through_everything_and_name_the_request() {
    let (company, token, ids) = busy_company("it-audit-filter").await;
    let (everything, _) = all_pages(&company, &token, "", 500).await;
    assert!(everything.len() >= 10, "{everything:?}");
    // Each entry names the request that wrote it (newest first here; one
    // request may write several entries).
    let mut recorded: Vec<&str> = everything
        .iter()
        .map(|e| e["request_id"].as_str().expect("a request id"))
        .collect();
    recorded.dedup();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.reverse();
    assert_eq!(recorded, want);
    // Who: the RedApp user who clicked.
    for e in &everything {
        assert_eq!(e["actor_name"], "Test company_admin");
        assert_eq!(e["actor_role"], "company_admin");
        assert!(e.get("outside_admin").is_none(), "{e}");
    }

    // By action, paged by 2 over more than one page: every cancel, once.
    let (cancels, sizes) = all_pages(&company, &token, "action=cancel", 2).await;
    assert_eq!(actions(&cancels), ["cancel"; 6]);
    assert_eq!(sizes[..3], [2, 2, 2], "{sizes:?}");
    let newest = everything[0]["seq"].as_u64().expect("seq");
    assert_eq!(seqs(&cancels), [newest, 5, 4, 3, 2, 1]);
    // By outcome.
    let (refused, _) = all_pages(&company, &token, "outcome=refused", 3).await;
    assert_eq!(refused.len(), 8);
    assert!(refused.iter().all(|e| e["outcome"] == "refused"));
    let (ok, _) = all_pages(&company, &token, "outcome=succeeded", 3).await;
    assert_eq!(ok.len(), everything.len() - 8);
    assert!(ok.iter().all(|e| e["outcome"] == "succeeded"));
    assert_eq!(actions(&ok).first(), Some(&"cancel"));
    assert_eq!(actions(&ok).last(), Some(&"switch_started"));
    // Both, lists and repeats: the same as filtering the whole trail here.
    let (both, _) = all_pages(
        &company,
        &token,
        "action=refresh&action=configuration_checked,cancel&outcome=refused,failed",
        4,
    )
    .await;
    let expected: Vec<Value> = everything
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .cloned()
        .collect();
    assert_eq!(both, expected);
    let (none, sizes) = all_pages(&company, &token, "action=save", 5).await;
    assert!(none.is_empty() && sizes == [0], "{none:?} {sizes:?}");
}

#[tokio::test]
async fn pages_stay_stable_while_new_entries_are_written() {
    let (company, token, _) = busy_company("it-audit-stable").await;
    let (before, _) = all_pages(&company, &token, "", 500).await;
    // The first page of 4, then 3 more entries, then the rest by cursor.
    let (s, first) = call(
        "GET",
        &format!("{}/audit?limit=4", kms(&company)),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{first}");
    let cursor = first["next_cursor"].as_u64().expect("a next page");
    for _ in 0..3 {
        assert_eq!(post(&company, &token, "cancel").await.0, 409);
    }
    let mut rest = Vec::new();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let (s, page) = call(
            "GET",
            &format!("{}/audit?limit=4&cursor={c}", kms(&company)),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s, 200, "{page}");
        rest.extend(page["events"].as_array().expect("events").clone());
        next = page["next_cursor"].as_u64();
    }
    let mut read: Vec<Value> = first["events"].as_array().expect("events").clone();
    read.extend(rest);
    assert_eq!(read, before, "a page shifted under new entries");
    // And the new ones are on top of a fresh read.
    let (now, _) = all_pages(&company, &token, "", 500).await;
    let top = before.len() as u64;
    assert_eq!(seqs(&now)[..3], [top + 3, top + 2, top + 1]);
    assert_eq!(now[3..], before[..]);
}

#[tokio::test]
async fn csv_and_json_lines_downloads_parse_back_to_the_trail() {
    let company = fresh_company("it-audit-dl");
    // A display name a spreadsheet would run as a formula.
    let name = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let v = control(
        "POST",
        "/redapp/sessions",
        Some(json!({
            "sub": format!("u-{company}"),
            "name": name,
            "role": "company_admin",
            "companies": [company],
            "ttl_seconds": 900,
        })),
    )
    .await;
    let token = v["token"].as_str().expect("a token").to_owned();
    record::secret("session_token", &token);
    for action in ["cancel", "refresh", "check", "cancel"] {
        post(&company, &token, action).await;
    }
    let (trail, _) = all_pages(&company, &token, "", 500).await;
    assert_eq!(trail.len(), 4);

    // CSV.
    let path = format!("{}/audit/download?format=csv", kms(&company));
    let (s, h, text) = call_with_headers("GET", &path, &token).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(
        header(&h, "content-type"),
        "text/csv; charset=utf-8; header=present"
    );
    let disposition = header(&h, "content-disposition");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"audit-{company}-"))
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(header(&h, "cache-control"), "no-store");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(columns, keyswitch_shared::audit_export::COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), trail.len());
    let col = |row: &csv::StringRecord, name: &str| {
        let i = columns.iter().position(|c| c == name).expect("column");
        row.get(i).expect("cell").to_owned()
    };
    for (row, e) in rows.iter().zip(&trail) {
        assert_eq!(col(row, "seq"), e["seq"].to_string());
        assert_eq!(col(row, "at_ms"), e["at_ms"].to_string());
        assert_eq!(col(row, "action"), e["action"].as_str().expect("action"));
        assert_eq!(col(row, "outcome"), e["outcome"].as_str().expect("outcome"));
        assert_eq!(col(row, "detail"), e["detail"].as_str().unwrap_or_default());
        assert_eq!(
            col(row, "request_id"),
            e["request_id"].as_str().expect("id")
        );
        assert_eq!(col(row, "actor_kind"), "redapp_user");
        // The formula is neutralised: a leading ' and otherwise unchanged.
        assert_eq!(col(row, "actor_name"), format!("'{name}"));
        assert!(col(row, "time").ends_with('Z'));
    }

    // JSON lines.
    let path = format!("{}/audit/download?format=jsonl", kms(&company));
    let (s, h, text) = call_with_headers("GET", &path, &token).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(
        header(&h, "content-type"),
        "application/x-ndjson; charset=utf-8"
    );
    assert!(header(&h, "content-disposition").ends_with(".jsonl\""));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), trail.len());
    for (line, e) in lines.iter().zip(&trail) {
        for field in [
            "seq",
            "at_ms",
            "actor",
            "actor_role",
            "action",
            "outcome",
            "from",
            "to",
            "detail",
            "request_id",
        ] {
            assert_eq!(line[field], e[field], "{field}");
        }
        assert_eq!(line["actor_name"], name, "JSON carries the name unchanged");
        assert_eq!(line["actor_kind"], "redapp_user");
    }

    // Filtered download: only the refused cancels.
    let path = format!(
        "{}/audit/download?format=jsonl&action=cancel&outcome=refused",
        kms(&company)
    );
    let (s, _, text) = call_with_headers("GET", &path, &token).await;
    assert_eq!(s, 200, "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["action"] == "cancel" && l["outcome"] == "refused")
    );
}

#[tokio::test]
async fn an_admin_at_microsoft_is_named_as_who_consented() {
    let w = world(true, 3072).await;
    let company = fresh_company("it-audit-who");
    let token = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &token, &w).await, 200);
    let (trail, _) = all_pages(
        &company,
        &token,
        "action=admin_consent&outcome=succeeded",
        50,
    )
    .await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    let consent = &trail[0];
    assert_eq!(
        consent["outside_admin"]["provider"], "microsoft",
        "{consent}"
    );
    let account = consent["outside_admin"]["account"]
        .as_str()
        .expect("an account");
    assert!(!account.is_empty());
    // The RedApp user who started it is still named.
    assert_eq!(consent["actor_name"], "Test company_admin");
    // The callback was a request of its own: its id is recorded.
    assert!(
        consent["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let path = format!(
        "{}/audit/download?format=jsonl&action=admin_consent",
        kms(&company)
    );
    let (s, _, text) = call_with_headers("GET", &path, &token).await;
    assert_eq!(s, 200, "{text}");
    let line: Value = serde_json::from_str(text.lines().next().expect("a line")).expect("json");
    assert_eq!(line["actor_kind"], "microsoft_admin");
    assert_eq!(line["outside_admin_provider"], "microsoft");
    assert_eq!(line["outside_admin_account"], account);
    // The switch's start was the RedApp user's own.
    let (started, _) = all_pages(&company, &token, "action=switch_started", 50).await;
    assert_eq!(started.len(), 1);
    assert!(started[0].get("outside_admin").is_none());
}

#[tokio::test]
async fn another_companys_admin_and_bad_filters_are_refused_and_nothing_changes() {
    let (company, token, _) = busy_company("it-audit-refuse").await;
    let (before, _) = all_pages(&company, &token, "", 500).await;
    let other = fresh_company("it-audit-other");
    let stranger = session("company_admin", &[&other]).await;
    let partner = session("partner_admin", &[&other]).await;
    let user = session("company_user", &[&company]).await;
    let expired = session_with_ttl("company_admin", &[&company], -600).await;
    for path in [
        format!("{}/audit/download?format=csv", kms(&company)),
        format!(
            "{}/audit/download?format=jsonl&action=cancel",
            kms(&company)
        ),
        format!("{}/audit?action=cancel&outcome=refused", kms(&company)),
    ] {
        assert_read_refused(&path, &[&stranger, &partner, &user], &expired).await;
    }
    // Bad values: the parameter is named, and nothing is recorded.
    for (query, field) in [
        ("audit?action=drop_table", "action"),
        ("audit?action=", "action"),
        ("audit?outcome=ok", "outcome"),
        ("audit?action=cancel&outcome=SUCCEEDED", "outcome"),
        ("audit/download?format=xlsx", "format"),
        ("audit/download", "format"),
        ("audit/download?format=csv&action=cancel,%3D1%2B1", "action"),
        ("audit/download?format=jsonl&outcome=", "outcome"),
    ] {
        let got = call(
            "GET",
            &format!("{}/{query}", kms(&company)),
            Some(&token),
            None,
        )
        .await;
        assert_error(&got, 400, "invalid_input");
        assert_eq!(got.1["field"], field, "{query}: {}", got.1);
    }
    let (after, _) = all_pages(&company, &token, "", 500).await;
    assert_eq!(after, before, "a refused read changed the trail");
}
