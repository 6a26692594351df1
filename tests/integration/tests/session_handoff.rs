//! Session handoff (issue 13, item 10): `/api/sign-in` passes the console's
//! sign-in state (and `prompt=login`) to RedApp, RedApp's sign-in returns it
//! beside the session in the fragment, and the session says when its holder
//! signed in (`auth_time`). A malformed state is refused at the edge.

use base64::Engine;
use keyswitch_integration::*;
use serde_json::Value;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn the_sign_in_state_goes_through_redapp_and_comes_back_in_the_fragment() {
    let state = "0123456789abcdef".repeat(4);
    let resp = client()
        .get(format!(
            "{}/api/sign-in?return_to=%2Fcompanies%2Facme%2Fkms%3Fresume%3Dexport&state={state}&prompt=login",
            worker_url()
        ))
        .send()
        .await
        .expect("the worker answers");
    assert_eq!(resp.status(), 302);
    let to = reqwest::Url::parse(&location(&resp)).expect("a URL");
    let q = |k: &str| {
        to.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("state").as_deref(), Some(state.as_str()));
    assert_eq!(q("prompt").as_deref(), Some("login"));
    let return_to = q("return_to").expect("return_to");
    assert_eq!(
        return_to,
        format!("{}/companies/acme/kms?resume=export", worker_url())
    );

    // RedApp's (simulated) sign-in page keeps the state in its form …
    let page = client()
        .get(to.as_str())
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains(&state), "the form carries the state");
    // … and returns it beside the session, which says when Casey signed in.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let resp = client()
        .post(format!("{}/redapp/sign-in", sim_url()))
        .form(&[
            ("user", "casey"),
            ("return_to", return_to.as_str()),
            ("state", state.as_str()),
        ])
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(resp.status(), 303);
    let back = location(&resp);
    let (base, fragment) = back.split_once('#').expect("a fragment");
    assert_eq!(base, return_to);
    let token = fragment
        .strip_prefix("session=")
        .and_then(|f| f.strip_suffix(&format!("&state={state}")))
        .expect("#session=<jwt>&state=<state>");
    let c = claims(token);
    assert_eq!(c["sub"], "casey");
    let auth_time = c["auth_time"].as_u64().expect("auth_time");
    assert!(auth_time + 5 >= before && auth_time <= before + 5, "{c}");

    // The session works at the edge.
    let (s, v) = call("GET", "/api/companies/acme/kms", Some(token), None).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_malformed_state_or_prompt_is_refused_at_the_edge() {
    for query in [
        "return_to=%2F&state=%3Cscript%3E",
        "return_to=%2F&state=short",
        "return_to=%2F&prompt=none",
    ] {
        let resp = client()
            .get(format!("{}/api/sign-in?{query}", worker_url()))
            .send()
            .await
            .expect("the worker answers");
        assert_eq!(resp.status(), 400, "{query}");
        assert!(resp.headers().get("location").is_none(), "{query}");
        let v: Value = resp.json().await.expect("JSON");
        assert_eq!(v["code"], "invalid_input", "{v}");
    }
}
