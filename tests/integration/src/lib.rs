//! Helpers for the integration tests, which drive the built worker running in
//! workerd (wrangler dev) over HTTP against the running simulator.
//!
//! The stack is started by `scripts/test`, which passes its addresses in
//! `KEYSWITCH_URL` and `SIM_URL`. Without them the tests fail: they never
//! pass with the worker absent.

/// Base URL of the worker under test, e.g. `http://127.0.0.1:18787`.
///
/// # Panics
/// When `KEYSWITCH_URL` is not set: run the tests through `scripts/test`.
#[must_use]
pub fn worker_url() -> String {
    required_env("KEYSWITCH_URL")
}

/// Base URL of the simulator, e.g. `http://127.0.0.1:18790`.
///
/// # Panics
/// When `SIM_URL` is not set: run the tests through `scripts/test`.
#[must_use]
pub fn sim_url() -> String {
    required_env("SIM_URL")
}

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.trim_end_matches('/').to_owned(),
        _ => panic!(
            "{name} is not set: run these tests through scripts/test, which starts the stack"
        ),
    }
}

/// A company id no other test uses, so tests can run in any order.
#[must_use]
pub fn fresh_company(prefix: &str) -> String {
    format!("{prefix}-{:x}", unique_nanos())
}

/// The clock in nanoseconds, strictly increasing within this process: two
/// test threads can read the same clock tick (which once made two worlds
/// of one binary collide), so a reading not past the last one given out
/// becomes the last one plus 1 ns. Ids keep their shape and every digit of
/// their tail stays the clock's.
fn unique_nanos() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    let prev = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last.saturating_add(1)))
        })
        .unwrap_or(now);
    now.max(prev.saturating_add(1))
}

use serde_json::{Value, json};

/// The KMS Connector's client id in the simulator's default configuration.
pub const CONNECTOR_CLIENT_ID: &str = "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21";
/// The connector's client secret in the local stack (must never leak).
pub const CONNECTOR_SECRET: &str = "dev-connector-secret";
/// The origin the local stack allows for CORS and framing.
pub const ALLOWED_ORIGIN: &str = "https://redapp.example.test";

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A RedApp session token from the simulator (`ttl_seconds` negative gives
/// an expired one).
pub async fn session_with_ttl(role: &str, companies: &[&str], ttl_seconds: i64) -> String {
    let body = json!({
        "sub": format!("{role}-{}", fresh_company("u")),
        "name": format!("Test {role}"),
        "role": role,
        "companies": companies,
        "ttl_seconds": ttl_seconds,
    });
    let resp = http()
        .post(format!("{}/_control/redapp/sessions", sim_url()))
        .json(&body)
        .send()
        .await
        .expect("the simulator answers");
    assert!(resp.status().is_success(), "session: {}", resp.status());
    let v: Value = resp.json().await.expect("json");
    let token = v["token"].as_str().expect("a token").to_owned();
    record::secret("session_token", &token);
    token
}

/// A valid 15-minute session for `role` over `companies`.
pub async fn session(role: &str, companies: &[&str]) -> String {
    session_with_ttl(role, companies, 900).await
}

/// A valid 15-minute session whose holder signed in `auth_age_seconds` ago
/// (`auth_time`); `None`: a session without `auth_time`.
pub async fn session_signed_in(
    role: &str,
    companies: &[&str],
    auth_age_seconds: Option<i64>,
) -> String {
    let body = json!({
        "sub": format!("{role}-{}", fresh_company("u")),
        "name": format!("Test {role}"),
        "role": role,
        "companies": companies,
        "ttl_seconds": 900,
        "auth_age_seconds": auth_age_seconds.unwrap_or(0),
        "no_auth_time": auth_age_seconds.is_none(),
    });
    let v = control("POST", "/redapp/sessions", Some(body)).await;
    let token = v["token"].as_str().expect("a token").to_owned();
    record::secret("session_token", &token);
    token
}

/// Calls the worker: `method` `path` with an optional token and JSON body.
pub async fn call(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, text) = call_raw(method, path, token, body.map(|b| b.to_string())).await;
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// Like [`call`] with a raw body; returns the status and body text.
pub async fn call_raw(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, String) {
    let verb = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = http().request(verb, format!("{}{path}", worker_url()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        record::request_body(&b);
        req = req.header("Content-Type", "application/json").body(b);
    }
    let resp = req.send().await.expect("the worker answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    record::response(method, path, status, &text);
    if status == 200
        && path.ends_with("/kms/export")
        && let Ok(v) = serde_json::from_str::<Value>(&text)
    {
        record::secret("exported_key", v["key"].as_str().unwrap_or_default());
    }
    (status, text)
}

/// Asserts a catalog-shaped error with `status` and `code`.
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    let (s, body) = got;
    assert_eq!(*s, status, "status for {code}: {body}");
    assert_eq!(body["code"], code, "{body}");
    for f in ["message", "fix"] {
        assert!(
            body[f].as_str().is_some_and(|m| !m.is_empty()),
            "{f} missing: {body}"
        );
    }
}

/// POSTs to the simulator's control API.
pub async fn control(method: &str, path: &str, body: Option<Value>) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = http().request(method, format!("{}/_control{path}", sim_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the simulator answers");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "control {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A tenant, an RBAC vault with an RSA key, and a Global Administrator, all
/// new, so tests do not share consent or role state.
pub struct World {
    /// The tenant id.
    pub tenant: String,
    /// The vault name.
    pub vault: String,
    /// The vault base URI.
    pub vault_uri: String,
    /// The key's name.
    pub key: String,
    /// Object id of a Global Administrator.
    pub admin_oid: String,
    /// Object id of a user without an Entra role.
    pub plain_oid: String,
}

fn short_id() -> String {
    let full = fresh_company("x");
    let tail: String = full.chars().rev().take(10).collect();
    tail.chars().rev().collect()
}

/// Builds a fresh [`World`] (`rbac` false gives an access-policy vault).
pub async fn world(rbac: bool, key_size: u32) -> World {
    let model = if rbac { "rbac" } else { "access_policy" };
    world_in(
        json!({}),
        json!({"permission_model": model}),
        json!({"kty": "RSA", "size": key_size}),
    )
    .await
}

/// Builds a fresh [`World`]: the tenant with `tenant` (e.g.
/// `{"cloud": "china"}`), the vault with `vault` (e.g. `{"kind":
/// "managed_hsm"}`), the key `company-kek` with `key` (`kty`, `size`) added
/// to what the control API is given.
pub async fn world_in(tenant: Value, vault: Value, key: Value) -> World {
    let id = short_id();
    let merged = |extra: Value, base: Value| {
        let mut out = base;
        if let (Some(o), Value::Object(e)) = (out.as_object_mut(), extra) {
            o.extend(e);
        }
        out
    };
    let t = control(
        "POST",
        "/tenants",
        Some(merged(tenant, json!({"name": format!("Tenant {id}")}))),
    )
    .await;
    let tenant = t["id"].as_str().expect("tenant id").to_owned();
    let admin = control(
        "POST",
        "/users",
        Some(json!({"tenant": tenant, "name": "Gina Global", "roles": ["Global Administrator"]})),
    )
    .await;
    let plain = control(
        "POST",
        "/users",
        Some(json!({"tenant": tenant, "name": "Pete Plain", "roles": []})),
    )
    .await;
    let name = format!("kv{id}");
    let v = control(
        "POST",
        "/vaults",
        Some(merged(vault, json!({"name": name, "tenant": tenant}))),
    )
    .await;
    control(
        "POST",
        &format!("/vaults/{name}/keys"),
        Some(merged(key, json!({"name": "company-kek"}))),
    )
    .await;
    World {
        vault_uri: format!("https://{}", v["host"].as_str().expect("the vault's host")),
        tenant,
        vault: name,
        key: "company-kek".into(),
        admin_oid: admin["oid"].as_str().expect("oid").to_owned(),
        plain_oid: plain["oid"].as_str().expect("oid").to_owned(),
    }
}

/// The key binding tag's name (the key names the companies it serves).
pub const BINDING_TAG: &str = "keyswitch-company";

/// Sets the tags of the current version of `key` in `vault` (as the Azure
/// admin would with `az keyvault key set-attributes --tags`): replaces them.
pub async fn set_key_tags(vault: &str, key: &str, tags: Value) {
    control(
        "PATCH",
        &format!("/vaults/{vault}/keys/{key}"),
        Some(json!({ "tags": tags })),
    )
    .await;
}

/// The tags of the current version of `key` in `vault`.
pub async fn key_tags(vault: &str, key: &str) -> Value {
    let state = control("GET", "/state", None).await;
    let vaults = state["vaults"].as_array().cloned().unwrap_or_default();
    let v = vaults
        .iter()
        .find(|v| v["name"].as_str() == Some(vault))
        .expect("the vault");
    let k = v["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["name"].as_str() == Some(key)))
        .expect("the key");
    k["versions"]
        .as_array()
        .and_then(|vs| vs.last())
        .map(|x| x["tags"].clone())
        .unwrap_or(Value::Null)
}

/// Binds `key` in `vault` to `company` as the key's Azure admin would: adds
/// the company id to the `keyswitch-company` tag, keeping the ids and the
/// other tags already there.
pub async fn bind_key(vault: &str, key: &str, company: &str) {
    let mut tags = key_tags(vault, key).await;
    if !tags.is_object() {
        tags = json!({});
    }
    let mut ids: Vec<String> = tags[BINDING_TAG]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !ids.iter().any(|i| i == company) {
        ids.push(company.to_owned());
    }
    tags[BINDING_TAG] = Value::String(ids.join(" "));
    set_key_tags(vault, key, tags).await;
}

impl World {
    /// Binds the world's key to `company` (the tag step of the role dialog).
    pub async fn bind_key(&self, company: &str) {
        bind_key(&self.vault, &self.key, company).await;
    }

    /// Assigns Key Vault Crypto User to the connector on the vault.
    pub async fn assign_role(&self) {
        control(
            "POST",
            &format!("/vaults/{}/role-assignments", self.vault),
            Some(json!({"principal": format!("connector:{}", self.tenant), "role": "Key Vault Crypto User"})),
        )
        .await;
    }
}

/// Walks Microsoft's consent page as `user_oid` (`action` `accept` or
/// `cancel`) and returns the callback URL Entra redirects to.
pub async fn consent_as(consent_url: &str, user_oid: &str, action: &str) -> String {
    let url = reqwest::Url::parse(consent_url).expect("a consent URL");
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("action".into(), action.into()));
    form.push(("user".into(), user_oid.into()));
    let mut post_url = url.clone();
    post_url.set_query(None);
    let resp = http()
        .post(post_url)
        .form(&form)
        .send()
        .await
        .expect("Entra answers");
    assert_eq!(
        resp.status().as_u16(),
        302,
        "consent page: {}",
        resp.status()
    );
    resp.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

/// GETs a full URL on the worker (the landing page): status, headers, body.
pub async fn get_page(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = http().get(url).send().await.expect("the worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    record::response("GET", resp_path(url), status, &text);
    (status, headers, text)
}

/// `state` of a consent URL.
#[must_use]
pub fn state_of(consent_url: &str) -> String {
    reqwest::Url::parse(consent_url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state")
}

/// The company path prefix.
#[must_use]
pub fn kms(company: &str) -> String {
    format!("/api/companies/{company}/kms")
}

/// Starts a switch to `world`'s key as `token`; returns the answer.
pub async fn start(company: &str, token: &str, vault_uri: &str, key: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("{}/switch", kms(company)),
        Some(token),
        Some(json!({"vault_uri": vault_uri, "key_name": key})),
    )
    .await
}

/// Starts a switch and completes admin consent (the consent sign-in) as the
/// world's admin; returns the landing page status. A consent this company
/// proved moments ago for `w`'s tenant is reused (200, no sign-in); one
/// proved for another tenant makes the connection test ask for consent
/// (`admin_consent_required`), which is then given, and the rate limit of
/// that test is waited out.
pub async fn start_and_consent(company: &str, token: &str, w: &World) -> u16 {
    let (status, mut answer) = start(company, token, &w.vault_uri, &w.key).await;
    assert_eq!(status, 200, "{answer}");
    if answer["consent_url"].is_null() {
        assert_eq!(
            answer["kms"]["stage"], "awaiting_role_assignment",
            "{answer}"
        );
        if answer["kms"]["pending"]["consent"]["tenant"] == w.tenant.as_str() {
            return 200;
        }
        let r = consent_helpers::test_connection(company, token).await;
        assert_error(&r, 422, "admin_consent_required");
        let (status, again) = start(company, token, &w.vault_uri, &w.key).await;
        assert_eq!(status, 200, "{again}");
        answer = again;
        let wait: u64 = std::env::var("CONNECTION_TEST_INTERVAL_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    let url = answer["consent_url"].as_str().expect("a consent URL");
    let callback = consent_as(url, &w.admin_oid, "accept").await;
    get_page(&callback).await.0
}

/// `POST …/kms/test` (the connection test) as `token`. When the company's
/// previous test was too recent (`rate_limited`, 429), waits the
/// `Retry-After` the edge asked for and asks once more, as an admin would.
pub async fn test_connection(company: &str, token: &str) -> (u16, Value) {
    let path = format!("{}/test", kms(company));
    let first = call("POST", &path, Some(token), None).await;
    if first.0 != 429 || first.1["code"] != "rate_limited" {
        return first;
    }
    let wait = first.1["retry_after_seconds"]
        .as_u64()
        .unwrap_or(10)
        .min(30);
    tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 200)).await;
    call("POST", &path, Some(token), None).await
}

/// The status of `company` (as a company admin).
pub async fn status_of(company: &str, token: &str) -> Value {
    let (s, v) = call("GET", &kms(company), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    v
}
/// The path of a full URL (for the record: never its query).
fn resp_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split('?').next().unwrap_or("/")
}

pub mod attack_helpers;
pub mod audit_helpers;
pub mod command_helpers;
pub mod consent_helpers;
pub mod finalize_helpers;
pub mod record;
pub mod switch_helpers;
pub mod webhook_helpers;
