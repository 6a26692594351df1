//! All HTTP to the edge API. Every call returns `Result<T, ApiError>` so a
//! screen can tell a refusal (the edge answered with a catalog error) from a
//! network failure (no answer, or an answer nobody can read). Bodies are the
//! `shared` crate's types: the edge serialises exactly these.

use gloo_net::http::{Method, RequestBuilder};
use keyswitch_shared::ErrorBody;
use keyswitch_shared::api::{
    CompanyKeyExport, ExportVerification, FinalizeProgress, KmsAnswer, KmsOverview,
    RoleAssignmentGuidance, StartSwitch, VerifyTenantAnswer, VerifyTenantRequest,
};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::audit_export::Format;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::components::check_results::{CheckRow, Outcome};

use crate::session;

pub mod vaults;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The edge answered with an error from the catalog.
    #[error("{}", body.message)]
    Refused {
        /// The HTTP status (401: not signed in, 403: role not allowed, …).
        status: u16,
        /// Code, message, fix, and the field at fault for input errors.
        body: ErrorBody,
    },
    /// The edge could not be reached, or answered something unreadable.
    #[error(
        "The keyswitch service could not be reached ({0}). Check your connection and try again; nothing was changed by this attempt."
    )]
    Network(String),
    /// Something failed in this browser, not on the way to the edge: a
    /// request that could not be built, a file that could not be saved.
    #[error("This browser could not finish the step ({0}). Reload the page and try again.")]
    Local(String),
}

impl ApiError {
    /// The session is missing or no longer valid (HTTP 401).
    #[must_use]
    pub fn is_not_signed_in(&self) -> bool {
        matches!(self, Self::Refused { status: 401, .. })
    }

    /// The signed-in role may not manage this company's KMS (HTTP 403).
    #[must_use]
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Refused { status: 403, .. })
    }

    /// The catalog body, for refusals.
    #[must_use]
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Self::Refused { body, .. } => Some(body),
            Self::Network(_) | Self::Local(_) => None,
        }
    }

    /// The form field the refusal names, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.body().and_then(|b| b.field.as_deref())
    }
}

/// For calls that send no body (a POST without one still sends `{}`).
const NO_BODY: Option<&()> = None;

fn authorised(builder: RequestBuilder) -> RequestBuilder {
    let builder = builder.header("Accept", "application/json");
    match session::token() {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

/// The one exchange with the edge, not generic (issue 15: one copy of the
/// request and response code instead of one per answer type): `method path`
/// with `json` as the body; the body of a 2xx answer, or the refusal.
async fn exchange(method: Method, path: &str, json: Option<String>) -> Result<String, ApiError> {
    let json = match json {
        None if method != Method::GET => Some("{}".to_owned()),
        json => json,
    };
    let is_get = method == Method::GET;
    let builder = authorised(RequestBuilder::new(path).method(method));
    let request = match json {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Local(format!("the request could not be built: {e}")))?;
    // Manage KMS's first read may already be under way (prefetch.rs).
    let prefetched = if is_get {
        crate::prefetch::take(path, session::token().as_deref()).await
    } else {
        None
    };
    let resp = match prefetched {
        Some(raw) => gloo_net::http::Response::from(raw),
        None => request
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?,
    };
    let status = resp.status();
    let text = resp.text().await;
    if resp.ok() {
        return text.map_err(|e| ApiError::Network(format!("unreadable answer: {e}")));
    }
    match text
        .ok()
        .and_then(|t| serde_json::from_str::<ErrorBody>(&t).ok())
    {
        Some(body) => Err(ApiError::Refused { status, body }),
        // No catalog body: a proxy, an outage page, a crash. Not a refusal.
        None => Err(ApiError::Network(format!(
            "HTTP {status} {}",
            resp.status_text()
        ))),
    }
}

/// Every call: `method path` with `body` as JSON, read as `T` or as a
/// catalog refusal. Only the encoding and the decoding are per type.
async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiError> {
    let json = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::Local(format!("the request could not be encoded: {e}")))?;
    let text = exchange(method, path, json).await?;
    serde_json::from_str(&text).map_err(|e| ApiError::Network(format!("unreadable answer: {e}")))
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send(Method::GET, path, NO_BODY).await
}

async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiError> {
    send(Method::POST, path, body).await
}

fn kms(company: &str, rest: &str) -> String {
    let company = String::from(js_sys::encode_uri_component(company));
    format!("/api/companies/{company}/kms{rest}")
}

/// `GET /api/companies/{company}/kms`: provider, stage, pending setup.
pub async fn overview(company: &str) -> Result<KmsOverview, ApiError> {
    get(&kms(company, "")).await
}

/// `POST …/kms/switch`: start (or restart) the switch with these values and
/// get Microsoft's admin consent URL.
pub async fn start_switch(company: &str, input: &StartSwitch) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/switch"), Some(input)).await
}

/// `POST …/kms/consent`: a new single-use admin-consent URL for the pending
/// setup (Grant admin consent again).
pub async fn consent(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/consent"), NO_BODY).await
}

/// `GET …/kms/role-assignment`: the az commands and portal steps, filled in.
pub async fn role_assignment(company: &str) -> Result<RoleAssignmentGuidance, ApiError> {
    get(&kms(company, "/role-assignment")).await
}

/// `POST …/kms/test`: the admin clicked Completed; run the connection test.
pub async fn test_connection(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/test"), NO_BODY).await
}

/// `POST …/kms/save`: list the tenants to verify.
pub async fn save(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/save"), NO_BODY).await
}

/// `POST …/kms/refresh`: read the backup sets again.
pub async fn refresh_tenants(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/refresh"), NO_BODY).await
}

/// `POST …/kms/confirm-no-tenants`: no backup set; nothing to verify.
pub async fn confirm_no_tenants(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/confirm-no-tenants"), NO_BODY).await
}

/// `POST …/kms/cancel`: cancel the pending setup; encryption stays as it is.
pub async fn cancel(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/cancel"), NO_BODY).await
}

/// Where a trail is read: `/api/companies/{c}/kms/audit` (the company's
/// Manage KMS trail) or `/api/workspaces/{w}/vault-audit` (a workspace's
/// vault trail).
#[must_use]
pub fn trail_path(of: crate::components::trail::TrailOf, owner: &str) -> String {
    use crate::components::trail::TrailOf;
    match of {
        TrailOf::Company => kms(owner, "/audit"),
        TrailOf::Workspace => {
            let owner = String::from(js_sys::encode_uri_component(owner));
            format!("/api/workspaces/{owner}/vault-audit")
        }
    }
}

/// `GET {trail}`: one page (50 events) of the trail at `path` that passes
/// `filter`, newest first: the newest, or the one older than `cursor`.
pub async fn trail_page<E: DeserializeOwned>(
    path: &str,
    filter: &AuditFilter,
    cursor: Option<u64>,
) -> Result<crate::components::trail::TrailPage<E>, ApiError> {
    get(&audit_query(&format!("{path}?limit=50"), filter, cursor)).await
}

/// `rest` with the filter and the cursor as query parameters.
fn audit_query(rest: &str, filter: &AuditFilter, cursor: Option<u64>) -> String {
    let mut path = rest.to_owned();
    let query = filter.to_query();
    if !query.is_empty() {
        path.push('&');
        path.push_str(&query);
    }
    if let Some(c) = cursor {
        path.push_str(&format!("&cursor={c}"));
    }
    path
}

/// `GET {trail}/download?format=…`: every event of the trail at `path`
/// that passes `filter`, as the file's text.
pub async fn trail_file(
    path: &str,
    filter: &AuditFilter,
    format: Format,
) -> Result<String, ApiError> {
    let rest = format!("{path}/download?format={}", format.extension());
    exchange(Method::GET, &audit_query(&rest, filter, None), None).await
}

/// `POST …/kms/export/verification`: start verifying every tenant again.
pub async fn begin_export_verification(company: &str) -> Result<ExportVerification, ApiError> {
    post(&kms(company, "/export/verification"), NO_BODY).await
}

/// `POST …/kms/export/verification/confirm-no-tenants`: the round lists no
/// backup set; confirm there is nothing to verify.
pub async fn confirm_no_export_tenants(company: &str) -> Result<ExportVerification, ApiError> {
    post(
        &kms(company, "/export/verification/confirm-no-tenants"),
        NO_BODY,
    )
    .await
}

/// `POST …/kms/tenants/verify`: where to send the tenant's admin.
pub async fn verify_tenant(
    company: &str,
    input: &VerifyTenantRequest,
) -> Result<VerifyTenantAnswer, ApiError> {
    post(&kms(company, "/tenants/verify"), Some(input)).await
}

/// `GET …/kms/finalize`: progress of the automatic finalization.
pub async fn finalize_progress(company: &str) -> Result<FinalizeProgress, ApiError> {
    get(&kms(company, "/finalize")).await
}

/// `GET …/kms/export/verification`: whether the one-time export is open.
pub async fn export_verification(company: &str) -> Result<ExportVerification, ApiError> {
    get(&kms(company, "/export/verification")).await
}

/// `POST …/kms/export`: the company key, once. Secret: hand it to the admin
/// as a file and drop it.
pub async fn export(company: &str) -> Result<CompanyKeyExport, ApiError> {
    post(&kms(company, "/export"), NO_BODY).await
}

/// `POST …/kms/health/check`: *Check now*, check the key in force at once.
pub async fn check_now(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/health/check"), NO_BODY).await
}

/// `POST …/kms/rewrap`: *Re-wrap now* with the key's current version.
pub async fn rewrap(company: &str) -> Result<KmsAnswer, ApiError> {
    post(&kms(company, "/rewrap"), NO_BODY).await
}

/// One check of *Check configuration*, as the edge reports it.
#[derive(Deserialize)]
struct CheckWire {
    name: String,
    status: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    problem: Option<ErrorBody>,
}

/// The report of *Check configuration*.
#[derive(Deserialize)]
struct CheckReportWire {
    checks: Vec<CheckWire>,
}

/// `POST …/kms/check`: *Check configuration*, every check at once, nothing
/// changed.
pub async fn check_configuration(company: &str) -> Result<Vec<CheckRow>, ApiError> {
    let report: CheckReportWire = post(&kms(company, "/check"), NO_BODY).await?;
    Ok(report
        .checks
        .into_iter()
        .map(|c| CheckRow {
            outcome: match c.status.as_str() {
                "ok" => Outcome::Ok,
                "warning" => Outcome::Warning,
                "skipped" => Outcome::Skipped,
                _ => Outcome::Problem,
            },
            name: c.name,
            detail: c.detail,
            problem: c.problem,
        })
        .collect())
}
