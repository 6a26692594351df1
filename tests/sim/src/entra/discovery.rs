//! OpenID configuration and JWKS.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::{TenantRef, resolve_tenant};
use crate::forge::materialize;
use crate::server::Origin;
use crate::state::{AppState, Cloud};
use crate::util::lock;

/// `GET /entra/{tenant}/discovery/v2.0/keys`.
pub async fn jwks(State(sim): State<AppState>) -> Response {
    match materialize(sim.entra_key.clone()).await {
        Some(key) => {
            let kid = crate::jwt::key_id(&key);
            Json(json!({"keys": [crate::jwt::jwk(&key, &[("x5t", json!(kid))])]})).into_response()
        }
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `GET /entra/{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn openid_configuration(
    State(sim): State<AppState>,
    Extension(cloud): Extension<Cloud>,
    Origin(origin): Origin,
    Path(tenant): Path<String>,
) -> Response {
    let resolved = resolve_tenant(&lock(&sim.world), cloud, &tenant);
    let (path_tenant, issuer_tenant) = match resolved {
        Some(TenantRef::Known(t)) => (t.id.clone(), t.id),
        Some(_) => (tenant.to_ascii_lowercase(), "{tenantid}".to_owned()),
        None => {
            return super::errors::aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_tenant",
                90002,
                &super::tenant_not_found(&tenant),
            );
        }
    };
    let authority = format!("{origin}/{}", cloud.authority_path());
    let base = format!("{authority}/{path_tenant}");
    Json(json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{authority}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email", "oid", "wids"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": cloud.authority_host().trim_start_matches("login."),
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net"
    }))
    .into_response()
}
