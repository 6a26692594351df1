//! The Cloudflare API part (`/cloudflare/client/v4`): what `wrangler secret
//! list/put/delete` call, with Cloudflare's envelope and error codes.

mod common;

use common::*;
use keyswitch_sim::cloudflare::{ACCOUNT_ID, API_TOKEN};
use reqwest::Method;
use serde_json::{Value, json};

fn secrets_path(account: &str, script: &str) -> String {
    format!("/cloudflare/client/v4/accounts/{account}/workers/scripts/{script}/secrets")
}

async fn call(
    sim: &Sim,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = sim.http.request(method, sim.at(path)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("send");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn names(v: &Value) -> Vec<String> {
    v["result"]
        .as_array()
        .expect("a result list")
        .iter()
        .map(|s| {
            assert_eq!(s["type"], "secret_text", "{s}");
            s["name"].as_str().expect("name").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn secrets_are_listed_set_and_deleted_by_name_only() {
    let sim = start().await;
    let list = secrets_path(ACCOUNT_ID, "keyswitch-staging");
    // Unknown worker: wrangler's "Worker not found" code.
    let (s, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(
        (s, b["success"].clone(), b["errors"][0]["code"].clone()),
        (404, json!(false), json!(10007))
    );

    let (s, _) = sim
        .control(
            Method::PUT,
            "/cloudflare/workers/keyswitch-staging",
            json!({"secrets": ["PLATFORM_KEY"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["success"], true);
    assert_eq!(names(&b), vec!["PLATFORM_KEY"]);

    // wrangler secret put's body; the value is never kept nor answered.
    let (s, b) = call(
        &sim,
        Method::PUT,
        &list,
        API_TOKEN,
        Some(json!({"name": "GOOGLE_CLIENT_SECRET", "text": "google-value-123", "type": "secret_text"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(!b.to_string().contains("google-value-123"));
    let (_, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(names(&b), vec!["GOOGLE_CLIENT_SECRET", "PLATFORM_KEY"]);
    let (_, state) = sim
        .control(Method::GET, "/cloudflare/workers", json!({}))
        .await;
    assert!(!state.to_string().contains("google-value-123"), "{state}");

    let (s, _) = call(
        &sim,
        Method::DELETE,
        &format!("{list}/PLATFORM_KEY"),
        API_TOKEN,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (_, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(names(&b), vec!["GOOGLE_CLIENT_SECRET"]);
    let (s, b) = call(
        &sim,
        Method::DELETE,
        &format!("{list}/PLATFORM_KEY"),
        API_TOKEN,
        None,
    )
    .await;
    assert_eq!((s, b["success"].clone()), (404, json!(false)));
}

#[tokio::test]
async fn another_token_or_account_is_refused_and_nothing_changes() {
    let sim = start().await;
    sim.control(
        Method::PUT,
        "/cloudflare/workers/keyswitch",
        json!({"secrets": ["PLATFORM_KEY"]}),
    )
    .await;
    let list = secrets_path(ACCOUNT_ID, "keyswitch");
    let other = secrets_path("00000000000000000000000000000000", "keyswitch");
    for (path, token) in [(&list, "forged-token"), (&other, API_TOKEN)] {
        for (method, body) in [
            (Method::GET, None),
            (
                Method::PUT,
                Some(json!({"name": "X", "text": "v", "type": "secret_text"})),
            ),
            (Method::DELETE, None),
        ] {
            let p = if method == Method::DELETE {
                format!("{path}/PLATFORM_KEY")
            } else {
                path.clone()
            };
            let (s, b) = call(&sim, method.clone(), &p, token, body).await;
            assert_eq!(s, 403, "{method} {p}");
            assert_eq!(b["errors"][0]["code"], 10000, "{b}");
        }
    }
    let (_, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(names(&b), vec!["PLATFORM_KEY"]);
}

#[tokio::test]
async fn bad_input_is_refused_and_a_draft_worker_can_be_created() {
    let sim = start().await;
    let list = secrets_path(ACCOUNT_ID, "draft-1");
    // A secret for a worker that does not exist: not found, nothing created.
    let put = json!({"name": "PLATFORM_KEY", "text": "v", "type": "secret_text"});
    let (s, _) = call(&sim, Method::PUT, &list, API_TOKEN, Some(put.clone())).await;
    assert_eq!(s, 404);
    // The draft upload wrangler makes, then the secret goes in.
    let draft = format!("/cloudflare/client/v4/accounts/{ACCOUNT_ID}/workers/scripts/draft-1");
    let (s, _) = call(&sim, Method::PUT, &draft, API_TOKEN, None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&sim, Method::PUT, &list, API_TOKEN, Some(put)).await;
    assert_eq!(s, 200);
    for bad in [
        json!({"name": "1BAD", "text": "v", "type": "secret_text"}),
        json!({"name": "OK", "text": "", "type": "secret_text"}),
        json!({"name": "OK", "text": "v", "type": "plain_text"}),
        json!({"text": "v"}),
    ] {
        let (s, b) = call(&sim, Method::PUT, &list, API_TOKEN, Some(bad.clone())).await;
        assert_eq!((s, b["success"].clone()), (400, json!(false)), "{bad}");
    }
    let (_, b) = call(&sim, Method::GET, &list, API_TOKEN, None).await;
    assert_eq!(names(&b), vec!["PLATFORM_KEY"]);
    let bad_name = format!("/cloudflare/client/v4/accounts/{ACCOUNT_ID}/workers/scripts/Bad.Name");
    let (s, _) = call(&sim, Method::PUT, &bad_name, API_TOKEN, None).await;
    assert_eq!(s, 400);
    let (s, _) = sim
        .control(
            Method::PUT,
            "/cloudflare/workers/ok",
            json!({"secrets": ["no spaces"]}),
        )
        .await;
    assert_eq!(s, 400);
}
