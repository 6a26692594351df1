//! The edge's boundaries: a request body is limited while it is read (a
//! 90 MB upload is refused with 413 long before it is sent whole, whether
//! its length is declared or streamed), every answer carries a request id,
//! and a malformed body's error names the field without echoing the value.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use keyswitch_integration::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NINETY_MB: usize = 90 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// What a raw upload saw: the answer's status, its body, and how many body
/// bytes had been sent when the answer's head arrived.
struct Upload {
    status: u16,
    body: Value,
    sent_at_answer: usize,
}

/// `POST path` with a 90 MB body of spaces sent in 64 KiB writes (with
/// `Content-Length`, or chunked), reading the answer while sending.
async fn upload_90_mb(path: &str, token: &str, chunked: bool) -> Upload {
    let url = reqwest::Url::parse(&worker_url()).expect("worker url");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port_or_known_default().expect("port")
    );
    let stream = TcpStream::connect(&addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {NINETY_MB}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await.ok()?;
        let chunk = vec![b' '; CHUNK];
        while counter.load(Ordering::SeqCst) < NINETY_MB {
            if chunked {
                writer
                    .write_all(format!("{CHUNK:x}\r\n").as_bytes())
                    .await
                    .ok()?;
            }
            // The server may stop reading and close: that ends the upload.
            writer.write_all(&chunk).await.ok()?;
            if chunked {
                writer.write_all(b"\r\n").await.ok()?;
            }
            counter.fetch_add(CHUNK, Ordering::SeqCst);
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await.ok()?;
        }
        Some(())
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let mut sent_at_answer = None;
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if sent_at_answer.is_none() && answer.windows(4).any(|w| w == b"\r\n\r\n") {
                sent_at_answer = Some(sent.load(Ordering::SeqCst));
            }
        }
    })
    .await;
    sender.abort();
    assert!(read.is_ok(), "no whole answer within 60 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    // The body may be chunked: its JSON object is between the first `{` and the last `}`.
    let json = body
        .find('{')
        .zip(body.rfind('}'))
        .map_or("null", |(a, b)| &body[a..=b]);
    Upload {
        status,
        body: serde_json::from_str(json).unwrap_or(Value::Null),
        sent_at_answer: sent_at_answer.expect("an answer head"),
    }
}

#[tokio::test]
async fn a_90_mb_body_is_refused_while_it_is_sent() {
    let company = fresh_company("it-big");
    let t = session("partner_admin", &[&company]).await;
    let path = format!("{}/switch", kms(&company));
    for chunked in [false, true] {
        let up = upload_90_mb(&path, &t, chunked).await;
        assert_eq!(up.status, 413, "chunked={chunked}: {}", up.body);
        assert_eq!(up.body["code"], "body_too_large", "{}", up.body);
        assert_eq!(up.body["field"], "body", "{}", up.body);
        assert!(
            up.sent_at_answer < NINETY_MB / 4,
            "chunked={chunked}: the answer came only after {} of {NINETY_MB} bytes",
            up.sent_at_answer
        );
    }
    // The vault forms and the envelope API read bodies the same way.
    let ws = fresh_company("it-big-ws");
    let owner = session("workspace_owner", &[&ws]).await;
    let up = upload_90_mb(&format!("/api/workspaces/{ws}/vaults"), &owner, true).await;
    assert_eq!(up.status, 413, "{}", up.body);
    assert!(up.sent_at_answer < NINETY_MB / 4);
    // Nothing was started.
    assert_eq!(status_of(&company, &t).await["pending"], Value::Null);
}

#[tokio::test]
async fn a_body_just_over_the_limit_is_413_and_one_under_is_read() {
    let company = fresh_company("it-limit");
    let t = session("partner_admin", &[&company]).await;
    let path = format!("{}/switch", kms(&company));
    let padded = |len: usize| {
        let mut body = r#"{"vault_uri": "http://not-https.example", "key_name": "k"}"#.to_owned();
        body.push_str(&" ".repeat(len - body.len()));
        body
    };
    let (status, text) = call_raw("POST", &path, Some(&t), Some(padded(32 * 1024 + 1))).await;
    assert_eq!(status, 413, "{text}");
    // At the limit the body is read and its first field judged.
    let got = call_raw("POST", &path, Some(&t), Some(padded(32 * 1024))).await;
    let v: Value = serde_json::from_str(&got.1).expect("json");
    assert_error(&(got.0, v.clone()), 400, "invalid_input");
    assert_eq!(v["field"], "vault_uri", "{v}");
}

#[tokio::test]
async fn malformed_bodies_name_the_field_and_never_echo_the_value() {
    let company = fresh_company("it-field");
    let t = session("partner_admin", &[&company]).await;
    let switch = format!("{}/switch", kms(&company));
    for (body, field) in [
        (json!({"vault_uri": 5, "key_name": "k"}), "vault_uri"),
        (
            json!({"vault_uri": "https://a.vault.azure.net"}),
            "key_name",
        ),
        (
            json!({"vault_uri": "https://a.vault.azure.net", "key_name": "k", "extra": true}),
            "extra",
        ),
    ] {
        let got = call("POST", &switch, Some(&t), Some(body.clone())).await;
        assert_error(&got, 400, "invalid_input");
        assert_eq!(got.1["field"], field, "{body}: {}", got.1);
    }
    let got = call(
        "POST",
        &format!("{}/tenants/verify", kms(&company)),
        Some(&t),
        Some(json!({"tenant": {"kind": "microsoft365"}})),
    )
    .await;
    assert_error(&got, 400, "invalid_input");
    assert!(
        got.1["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("tenant")),
        "{}",
        got.1
    );
    // Nested fields are named by their path; a secret sent with the wrong
    // type is not repeated in the answer.
    let ws = fresh_company("it-field-ws");
    let owner = session("workspace_owner", &[&ws]).await;
    let secret = "s3cr3t-never-echoed";
    let got = call(
        "POST",
        &format!("/api/workspaces/{ws}/vaults"),
        Some(&owner),
        Some(
            json!({"name": "V", "strategy": "azure_external_keys", "azure": {
            "client_id": "c", "tenant_id": "t", "client_secret": [secret],
            "vault_uri": "https://a.vault.azure.net", "key_name": "k"}}),
        ),
    )
    .await;
    assert_error(&got, 400, "invalid_input");
    assert_eq!(got.1["field"], "azure.client_secret", "{}", got.1);
    assert!(!got.1.to_string().contains(secret), "{}", got.1);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let company = fresh_company("it-rid");
    let t = session("partner_admin", &[&company]).await;
    let base = worker_url();
    let mut ids = std::collections::HashSet::new();
    let requests = [
        client.get(format!("{base}/api/health")),
        client.get(format!("{base}/api/no-such-route")),
        client.delete(format!("{base}/api/health")),
        client.get(format!("{base}{}", kms(&company))),
        client
            .get(format!("{base}{}", kms(&company)))
            .bearer_auth(&t),
        client
            .post(format!("{base}{}/switch", kms(&company)))
            .bearer_auth(&t)
            .body("{"),
        client.get(format!("{base}/oauth/consent/callback?state=nope")),
        client.get(format!("{base}/api/sign-in?return_to=/")),
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/api/health"))
            .header("Origin", ALLOWED_ORIGIN)
            .header("Access-Control-Request-Method", "GET"),
    ];
    for req in requests {
        let resp = req.send().await.expect("the worker answers");
        let status = resp.status();
        let id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let id = id.unwrap_or_else(|| panic!("{} {status}: no x-request-id", resp.url()));
        assert!(
            (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{id}"
        );
        assert!(ids.insert(id.clone()), "{id} given twice");
    }
}
