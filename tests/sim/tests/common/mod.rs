//! Starts the simulator in-process on 127.0.0.1:0 and offers small HTTP helpers.
#![allow(dead_code)]

use keyswitch_sim::config::Config;
use keyswitch_sim::server::Running;
use serde_json::Value;

pub const CONTOSO: &str = keyswitch_sim::seed::CONTOSO;
pub const FABRIKAM: &str = keyswitch_sim::seed::FABRIKAM;
pub const APP: &str = keyswitch_sim::seed::CUSTOMER_APP_ID;
pub const APP_SECRET: &str = keyswitch_sim::seed::CUSTOMER_APP_SECRET;
pub const CONNECTOR: &str = keyswitch_sim::config::DEFAULT_CONNECTOR_CLIENT_ID;
pub const REDIRECT: &str = "http://127.0.0.1:8787/callback";

pub struct Sim {
    pub running: Running,
    pub url: String,
    pub http: reqwest::Client,
}

pub async fn start() -> Sim {
    let mut config = Config::for_tests();
    // Seed keys are cached across test runs (4096-bit generation is slow).
    config.state_dir = Some(std::env::temp_dir().join("keyswitch-sim-test-state"));
    let running = keyswitch_sim::start(config)
        .await
        .expect("simulator starts");
    let url = running.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Sim { running, url, http }
}

impl Sim {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut rb = self.http.get(self.at(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.expect("send");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut rb = self.http.post(self.at(path)).json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.expect("send");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_urlencoded::to_string(form).expect("form");
        self.http
            .post(self.at(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("send")
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.at(&format!("/_control{path}")))
            .json(&body)
            .send()
            .await
            .expect("send");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Client-credentials token of the public cloud (panics on failure).
    pub async fn token(&self, tenant: &str, client: &str, secret: &str) -> String {
        self.token_in(
            "entra",
            tenant,
            client,
            secret,
            "https://vault.azure.net/.default",
        )
        .await
    }

    /// Client credentials at the authority at `/{authority}` (`entra`,
    /// `entra-china`, `entra-usgov`) for `scope`: status and JSON answer.
    pub async fn cc_in(
        &self,
        authority: &str,
        tenant: &str,
        client: &str,
        secret: &str,
        scope: &str,
    ) -> (u16, Value) {
        let r = self
            .form(
                &format!("/{authority}/{tenant}/oauth2/v2.0/token"),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    ("client_secret", secret),
                    ("scope", scope),
                ],
            )
            .await;
        let s = r.status().as_u16();
        (s, r.json().await.expect("json"))
    }

    /// [`Sim::cc_in`]'s access token (panics on failure).
    pub async fn token_in(
        &self,
        authority: &str,
        tenant: &str,
        client: &str,
        secret: &str,
        scope: &str,
    ) -> String {
        let (s, v) = self.cc_in(authority, tenant, client, secret, scope).await;
        assert_eq!(s, 200, "{v}");
        v["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn app_token(&self) -> String {
        self.token(CONTOSO, APP, APP_SECRET).await
    }

    /// Grants the connector consent in `tenant` and returns its token there
    /// for `scope`.
    pub async fn connector_token_for(&self, tenant: &str, scope: &str) -> (String, String) {
        let (_, oid) = self.connector_token(tenant).await;
        (
            self.token_in("entra", tenant, CONNECTOR, "dev-connector-secret", scope)
                .await,
            oid,
        )
    }

    /// Grants the connector consent in `tenant` and returns its token there.
    pub async fn connector_token(&self, tenant: &str) -> (String, String) {
        let (s, sp) = self
            .control(
                reqwest::Method::POST,
                "/consents",
                serde_json::json!({"tenant": tenant}),
            )
            .await;
        assert_eq!(s, 201);
        let oid = sp["object_id"].as_str().expect("oid").to_owned();
        (
            self.token(tenant, CONNECTOR, "dev-connector-secret").await,
            oid,
        )
    }
}

/// Query parameters of a Location header.
pub fn location_params(resp: &reqwest::Response) -> Vec<(String, String)> {
    let loc = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let q = loc.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).expect("query")
}

pub fn param<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}
