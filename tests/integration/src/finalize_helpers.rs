//! Helpers for tenant verification, finalization and the envelope API.

use serde_json::{Value, json};

use crate::{World, call, control, get_page, kms, sim_url, start_and_consent};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// The simulator's world (users, Google users, …).
pub async fn sim_state() -> Value {
    http()
        .get(format!("{}/_control/state", sim_url()))
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("json")
}

/// The email of the default seed's Google user whose email starts with `local@`.
pub async fn google_email(local: &str) -> String {
    let state = sim_state().await;
    state["google"]["users"]
        .as_array()
        .expect("google users")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .find(|e| e.starts_with(&format!("{local}@")))
        .expect("a seeded Google user")
        .to_owned()
}

/// The seeded Google customer id.
pub const GOOGLE_CUSTOMER: &str = "C01abcdef";

/// A company whose backup sets are `w`'s tenant and the Google customer.
pub async fn company_for(prefix: &str, w: &World, google: bool) -> String {
    let company = crate::fresh_company(prefix);
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-m365", "tenant_id": w.tenant})),
    )
    .await;
    if google {
        control(
            "POST",
            &format!("/companies/{company}/backup-sets"),
            Some(json!({"kind": "google_workspace", "id": "bs-gws", "customer_id": GOOGLE_CUSTOMER, "domain": "example.com"})),
        )
        .await;
    }
    company
}

/// Consent, role assignment and connection test: the setup waits for Save.
pub async fn ready_to_save(company: &str, token: &str, w: &World) {
    assert_eq!(start_and_consent(company, token, w).await, 200);
    w.assign_role().await;
    w.bind_key(company).await;
    let (s, v) = call("POST", &format!("{}/test", kms(company)), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

/// Consent, role assignment, connection test and Save: tenants listed.
pub async fn ready_to_verify(company: &str, token: &str, w: &World) -> Value {
    ready_to_save(company, token, w).await;
    let (s, v) = call("POST", &format!("{}/save", kms(company)), Some(token), None).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Microsoft 365 tenant reference.
#[must_use]
pub fn m365(tenant: &str) -> Value {
    json!({"kind": "microsoft365", "tenant_id": tenant})
}

/// Google Workspace customer reference.
#[must_use]
pub fn gws(customer: &str) -> Value {
    json!({"kind": "google_workspace", "customer_id": customer})
}

/// Starts verifying `tenant`; returns the sign-in URL.
pub async fn begin_verify(company: &str, token: &str, tenant: &Value) -> String {
    let (s, v) = call(
        "POST",
        &format!("{}/tenants/verify", kms(company)),
        Some(token),
        Some(json!({ "tenant": tenant })),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["authorize_url"]
        .as_str()
        .expect("authorize_url")
        .to_owned()
}

/// Walks a sign-in page (Entra or Google) as `user` with `action`; returns
/// the redirect back to the worker.
pub async fn sign_in(authorize_url: &str, user: &str, action: &str) -> String {
    let url = reqwest::Url::parse(authorize_url).expect("a URL");
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("action".into(), action.into()));
    form.push(("user".into(), user.into()));
    let mut post = url.clone();
    post.set_query(None);
    let resp = http().post(post).form(&form).send().await.expect("answers");
    assert_eq!(
        resp.status().as_u16(),
        302,
        "sign-in page: {}",
        resp.status()
    );
    resp.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

/// Verifies `tenant` as `user`: the landing page's status and HTML.
pub async fn verify_as(
    company: &str,
    token: &str,
    tenant: &Value,
    user: &str,
    action: &str,
) -> (u16, String) {
    let url = begin_verify(company, token, tenant).await;
    let back = sign_in(&url, user, action).await;
    let (status, _, html) = get_page(&back).await;
    (status, html)
}

/// Polls `GET …/kms` until the stage is `stage` (at most `secs`).
pub async fn wait_stage(company: &str, token: &str, stage: &str, secs: u64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let v = crate::status_of(company, token).await;
        if v["stage"] == stage || std::time::Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// A secret of the stack's dev.vars file (`KEYSWITCH_DEV_VARS`), or of the
/// environment variable of the same name.
///
/// # Panics
/// When neither is available.
#[must_use]
pub fn dev_secret(name: &str) -> String {
    if let Ok(t) = std::env::var(name) {
        return t;
    }
    let path = std::env::var("KEYSWITCH_DEV_VARS").expect("KEYSWITCH_DEV_VARS");
    let text = std::fs::read_to_string(path).expect("dev.vars");
    let prefix = format!("{name}=");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("{name} in dev.vars"))
}

/// The envelope API's service credential (`ENVELOPE_SERVICE_TOKEN`, valid
/// for every company in the local stack).
#[must_use]
pub fn envelope_token() -> String {
    dev_secret("ENVELOPE_SERVICE_TOKEN")
}

/// The second envelope credential of a rotation
/// (`ENVELOPE_SERVICE_TOKEN_NEXT`, limited to `acme` and `it-envelope-a` in
/// the local stack: `ENVELOPE_COMPANIES_NEXT` in scripts/lib.sh).
#[must_use]
pub fn envelope_token_next() -> String {
    dev_secret("ENVELOPE_SERVICE_TOKEN_NEXT")
}

/// Makes sure `company` has its KMS record (a Partner Admin opens Manage
/// KMS): the envelope API refuses a company without one.
pub async fn ensure_company(company: &str) {
    let t = crate::session("partner_admin", &[company]).await;
    crate::status_of(company, &t).await;
}

/// A new data key for `company` (whose record is created first if needed):
/// `(plaintext, wrapped)`.
pub async fn data_key(company: &str) -> (String, String) {
    ensure_company(company).await;
    let (s, v) = call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys"),
        Some(&envelope_token()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    (
        v["plaintext"].as_str().expect("plaintext").to_owned(),
        v["wrapped"].as_str().expect("wrapped").to_owned(),
    )
}

/// Decrypts a wrapped data key: `(status, plaintext)`.
pub async fn decrypt(company: &str, wrapped: &str) -> (u16, String) {
    let (s, v) = call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys/decrypt"),
        Some(&envelope_token()),
        Some(json!({ "wrapped": wrapped })),
    )
    .await;
    (s, v["plaintext"].as_str().unwrap_or_default().to_owned())
}

/// The catalog code a landing page (consent or tenant verification) reports
/// to the console (`"code":"…"` in its message), if it reports a failure.
#[must_use]
pub fn landing_code(html: &str) -> Option<String> {
    let start = html.find("\"code\":\"")? + "\"code\":\"".len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// The pending setup's tenant of `kind` (`microsoft365`, `google_workspace`)
/// as `GET …/kms` shows it.
pub async fn pending_tenant(company: &str, token: &str, kind: &str) -> Value {
    let v = crate::status_of(company, token).await;
    v["pending"]["tenants"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["tenant"]["kind"] == kind).cloned())
        .unwrap_or(Value::Null)
}
