//! The configuration guard in the development stack (issue 13, item 8):
//! `ENVIRONMENT=development` serves this machine only, so a development
//! configuration deployed by mistake answers 503 `service_misconfigured` to
//! every request for a real host. (A deployed environment's guard is
//! checked by tests/config-guard/run.sh, which starts its own workers.)

use keyswitch_integration::*;
use serde_json::Value;

async fn get_as_host(path: &str, host: Option<&str>) -> (u16, Value, bool) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut req = client.get(format!("{}{path}", worker_url()));
    if let Some(h) = host {
        req = req.header(reqwest::header::HOST, h);
    }
    let resp = req.send().await.expect("the worker answers");
    let status = resp.status().as_u16();
    let has_id = resp.headers().contains_key("x-request-id");
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, has_id)
}

#[tokio::test]
async fn a_development_configuration_refuses_every_host_but_this_machine() {
    let company = fresh_company("it-guard");
    let kms_path = format!("/api/companies/{company}/kms");
    for path in ["/api/health", "/api/openapi.yaml", kms_path.as_str()] {
        for host in ["keyswitch.example.com", "10.1.2.3:8787"] {
            let (status, body, has_id) = get_as_host(path, Some(host)).await;
            assert_error(&(status, body.clone()), 503, "service_misconfigured");
            assert_eq!(
                body["message"], "The service is not configured correctly",
                "{body}"
            );
            assert!(!body.to_string().contains("ENVIRONMENT"), "{body}");
            assert!(has_id, "{path} for {host}: no x-request-id");
        }
    }
    // This machine is served, by any of its names.
    let port = reqwest::Url::parse(&worker_url())
        .ok()
        .and_then(|u| u.port())
        .expect("the worker's port");
    for host in [None, Some(format!("localhost:{port}"))] {
        let (status, body, _) = get_as_host("/api/health", host.as_deref()).await;
        assert_eq!(status, 200, "{host:?}: {body}");
    }
}
