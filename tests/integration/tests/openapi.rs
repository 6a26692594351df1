//! The served OpenAPI document (`GET /api/openapi.yaml`) describes every
//! route the edge router answers, and nothing it does not: the routes are
//! read from the router itself (edge/src/lib.rs), each one is probed against
//! the running worker without credentials (so nothing changes state), and
//! both sets must match the document's operations exactly.

use std::collections::BTreeSet;

use keyswitch_integration::worker_url;
use serde_json::Value;

/// Routes in the router source that are deliberately not documented: they
/// exist only in a worker built with the cargo feature `bench` (scripts/bench)
/// and the tested worker is the production build, where they answer like an
/// unknown path (checked below).
const UNDOCUMENTED: &[(&str, &str)] =
    &[("GET", "/api/bench/crypto"), ("GET", "/api/bench/do-ping")];

/// HTTP methods an OpenAPI path item can hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(METHOD, /path/{param})` pairs registered in the router source.
fn router_routes() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../edge/src/lib.rs");
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let mut routes = BTreeSet::new();
    let mut rest = src.as_str();
    // `.get(`, `.get_async(`, `.post_async(`, … followed by a string literal.
    while let Some(dot) = rest.find('.') {
        rest = &rest[dot + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let method = name.strip_suffix("_async").unwrap_or(name);
        let after = &rest[name_len..];
        if !METHODS.contains(&method) || !after.starts_with('(') {
            continue;
        }
        let arg = after[1..].trim_start();
        let Some(lit) = arg.strip_prefix('"') else {
            continue;
        };
        let Some(end) = lit.find('"') else { continue };
        let template = lit[..end]
            .split('/')
            .map(|seg| match seg.strip_prefix(':') {
                Some(p) => format!("{{{p}}}"),
                None => seg.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        routes.insert((method.to_ascii_uppercase(), template));
    }
    assert!(
        routes.len() > 10,
        "could not read the routes from {path}: {routes:?}"
    );
    routes
}

/// A concrete path for a template: well-formed ids that exist nowhere.
fn concrete(template: &str) -> String {
    template
        .replace("{company}", "acme")
        .replace("{workspace}", "acme")
        .replace("{vault}", &format!("v{}", "0".repeat(32)))
        .replace("{item}", &format!("i{}", "0".repeat(32)))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Whether the worker answered "no such route" (404 `This API route…` or 405).
async fn unrouted(method: &str, template: &str) -> Option<String> {
    let url = format!("{}{}", worker_url(), concrete(template));
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let resp = client()
        .request(m, &url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {template}: {e}"));
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let no_route = status == 405
        || (status == 404
            && body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("This API route")));
    no_route.then(|| format!("{method} {template} answered {status} {body}"))
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_answers() {
    let resp = client()
        .get(format!("{}/api/openapi.yaml", worker_url()))
        .send()
        .await
        .expect("the worker answers");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        ctype.starts_with("application/yaml"),
        "content type {ctype}"
    );
    let text = resp.text().await.expect("a body");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert_eq!(doc["openapi"].as_str(), Some("3.0.3"));

    let mut documented = BTreeSet::new();
    let paths = doc["paths"].as_mapping().expect("paths");
    for (path, item) in paths {
        let path = path.as_str().expect("a path string").to_owned();
        let item = item.as_mapping().expect("a path item");
        for (key, op) in item {
            let key = key.as_str().unwrap_or_default();
            if METHODS.contains(&key) {
                assert!(
                    op["responses"].as_mapping().is_some_and(|r| !r.is_empty()),
                    "{key} {path} has no responses"
                );
                documented.insert((key.to_ascii_uppercase(), path.clone()));
            }
        }
    }

    let routed = router_routes();
    let skipped: BTreeSet<(String, String)> = UNDOCUMENTED
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let expected: BTreeSet<_> = routed.difference(&skipped).cloned().collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes of edge/src/lib.rs missing from edge/openapi.yaml: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "edge/openapi.yaml documents routes the router does not have: {extra:?}"
    );

    // Every documented operation is answered by a handler, not by the
    // router's "no such route".
    let mut failures = Vec::new();
    for (method, path) in &documented {
        if let Some(f) = unrouted(method, path).await {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "documented but not routed:\n{}",
        failures.join("\n")
    );

    // The bench routes are left out because the production build (the one
    // under test) does not have them: each answers exactly like an unknown path.
    for (method, path) in UNDOCUMENTED {
        assert!(
            routed.contains(&((*method).to_owned(), (*path).to_owned())),
            "{method} {path} is no longer in the router: drop it from UNDOCUMENTED"
        );
        assert!(
            unrouted(method, path).await.is_some(),
            "{method} {path} answers in the production build: document it, or put it back behind the bench feature"
        );
    }

    // Sanity check of the probe itself: an unknown path is seen as unrouted.
    assert!(unrouted("GET", "/api/no-such-route").await.is_some());
}
