//! Microsoft Entra ID: one authority per cloud, each with its own tenants and
//! app registrations: `/entra` stands for https://login.microsoftonline.com,
//! `/entra-china` for https://login.chinacloudapi.cn and `/entra-usgov` for
//! https://login.microsoftonline.us (PROTOCOLS.md). Every handler gets its
//! cloud as an [`axum::Extension`].

pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod errors;
pub mod token;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::state::{AppState, Cloud, Tenant, World};
use crate::util::parse_form;

/// Routes of `cloud`'s authority, relative to its path (`/entra`, …).
pub fn routes(cloud: Cloud) -> Router<AppState> {
    Router::new()
        .route("/{tenant}/adminconsent", get(consent::v1).post(consent::v1))
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(consent::v2).post(consent::v2),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize::authorize).post(authorize::authorize),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::jwks))
        .route("/{tenant}/discovery/keys", get(discovery::jwks))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .layer(Extension(cloud))
}

/// The `{tenant}` path segment, resolved.
#[derive(Debug, Clone)]
pub enum TenantRef {
    /// A known tenant (by GUID or domain).
    Known(Tenant),
    /// `organizations`: any work or school tenant.
    Organizations,
    /// `common`.
    Common,
    /// `consumers`.
    Consumers,
}

impl TenantRef {
    /// The specific tenant, if one was named.
    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            TenantRef::Known(t) => Some(t),
            _ => None,
        }
    }
}

/// Resolves the `{tenant}` segment at `cloud`'s authority; `None` for an
/// unknown tenant (a tenant of another cloud is unknown there: AADSTS90002
/// "… signing into the correct cloud").
pub fn resolve_tenant(world: &World, cloud: Cloud, segment: &str) -> Option<TenantRef> {
    match segment.to_ascii_lowercase().as_str() {
        "organizations" => Some(TenantRef::Organizations),
        "common" => Some(TenantRef::Common),
        "consumers" => Some(TenantRef::Consumers),
        _ => world
            .tenant_in(cloud, segment)
            .cloned()
            .map(TenantRef::Known),
    }
}

/// AADSTS90002 text.
pub fn tenant_not_found(segment: &str) -> String {
    format!(
        "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    )
}

/// AADSTS700016 text.
pub fn app_not_found(client_id: &str, directory: &str) -> String {
    format!(
        "Application with identifier '{client_id}' was not found in the directory '{directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
    )
}

/// AADSTS50011 text.
pub fn redirect_mismatch(uri: &str, client_id: &str) -> String {
    format!(
        "The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
    )
}

/// Parameters of a page request: the query on GET, the form body on POST.
pub fn page_params(
    method: &Method,
    query: Option<&str>,
    body: &Bytes,
) -> Option<Vec<(String, String)>> {
    let raw = if method == Method::POST {
        String::from_utf8_lossy(body).into_owned()
    } else {
        query.unwrap_or("").to_owned()
    };
    parse_form(&raw)
}

/// A 302 to `location`.
pub fn redirect(location: &str) -> Response {
    match header::HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => errors::error_page(
            StatusCode::BAD_REQUEST,
            50011,
            "The redirect URI is not a valid URI.",
        ),
    }
}
