//! `/{tenant}/oauth2/v2.0/token`: client credentials and authorization code.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::errors::aad_error;
use super::{TenantRef, resolve_tenant};
use crate::forge::materialize;
use crate::server::Origin;
use crate::state::{AppState, Cloud, ServicePrincipal, Tenant, User, World};
use crate::util::{b64url, lock, now, param, parse_form, random_token};

/// Default Graph audience for user access tokens.
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
/// Role template id every member user carries in `wids`.
const MEMBER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

fn missing(name: &str) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// How a client authenticated.
enum ClientAuth {
    Ok,
    Failed(Response),
}

/// Checks the client secret of `client_id` (`cloud`'s connector or a
/// customer app).
fn check_secret(
    world: &World,
    cloud: Cloud,
    client_id: &str,
    params: &[(String, String)],
) -> ClientAuth {
    if param(params, "client_assertion").is_some() {
        return ClientAuth::Failed(aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation (certificate credentials are not registered for this app in the simulator).",
        ));
    }
    let Some(secret) = param(params, "client_secret") else {
        return ClientAuth::Failed(aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    let invalid = || {
        ClientAuth::Failed(aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        ))
    };
    if let Some(c) = world
        .connector_in(cloud)
        .filter(|c| c.client_id.eq_ignore_ascii_case(client_id))
    {
        return if c.secret == secret {
            ClientAuth::Ok
        } else {
            invalid()
        };
    }
    if let Some(app) = world
        .customer_apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    {
        return match app.secrets.iter().find(|s| s.value == secret) {
            Some(s) if s.expires_at <= now() => ClientAuth::Failed(aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000222,
                &format!(
                    "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                ),
            )),
            Some(_) => ClientAuth::Ok,
            None => invalid(),
        };
    }
    invalid()
}

/// `POST /entra/{tenant}/oauth2/v2.0/token`.
pub async fn token(
    State(sim): State<AppState>,
    Extension(cloud): Extension<Cloud>,
    Origin(origin): Origin,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let Some(params) = parse_form(&String::from_utf8_lossy(&body)) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    let Some(grant) = param(&params, "grant_type").map(str::to_owned) else {
        return missing("grant_type");
    };
    let Some(key) = materialize(sim.entra_key.clone()).await else {
        return aad_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        );
    };
    match grant.as_str() {
        "client_credentials" => client_credentials(&sim, cloud, &tenant, &params, &key),
        "authorization_code" => {
            let issuer_base = format!("{origin}/{}", cloud.authority_path());
            authorization_code(&sim, cloud, &issuer_base, &tenant, &params, &key)
        }
        other => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn client_credentials(
    sim: &AppState,
    cloud: Cloud,
    tenant: &str,
    params: &[(String, String)],
    key: &rsa::RsaPrivateKey,
) -> Response {
    let world = lock(&sim.world);
    let t: Tenant = match resolve_tenant(&world, cloud, tenant) {
        Some(TenantRef::Known(t)) => t,
        Some(_) => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50059,
                "No tenant-identifying information found in either the request or implied by any provided credentials.",
            );
        }
        None => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90002,
                &super::tenant_not_found(tenant),
            );
        }
    };
    let Some(client_id) = param(params, "client_id").filter(|c| !c.is_empty()) else {
        return missing("client_id");
    };
    let sp: Option<ServicePrincipal> = world.service_principal(client_id, &t.id).cloned();
    let Some(sp) = sp else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &super::app_not_found(client_id, &t.name),
        );
    };
    if let ClientAuth::Failed(r) = check_secret(&world, cloud, client_id, params) {
        return r;
    }
    let Some(scope) = param(params, "scope").filter(|s| !s.trim().is_empty()) else {
        return missing("scope");
    };
    let Some(resource) = scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix("/.default"))
        .map(str::to_owned)
    else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };
    // Each cloud's Entra knows only its own cloud's resources: the public
    // authority has no service principal for `https://vault.azure.cn`, and
    // the other way round (PROTOCOLS.md: a connector registered in the
    // public cloud cannot get tokens there).
    if cloud.foreign_vault_resource(&resource) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                t.name
            ),
        );
    }
    let n = now();
    let sts = cloud.sts();
    let claims = json!({
        "aud": resource,
        "iss": format!("{sts}/{}/", t.id),
        "iat": n, "nbf": n, "exp": n + 3599,
        "aio": random_token(24),
        "appid": sp.app_id,
        "appidacr": "1",
        "idp": format!("{sts}/{}/", t.id),
        "idtyp": "app",
        "oid": sp.object_id,
        "rh": random_token(12),
        "sub": sp.object_id,
        "tid": t.id,
        "uti": random_token(16),
        "ver": "1.0",
    });
    Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": crate::jwt::sign(key, &claims),
    }))
    .into_response()
}

fn pkce_s256(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

fn invalid_grant(code: u32, text: &str) -> Response {
    aad_error(StatusCode::BAD_REQUEST, "invalid_grant", code, text)
}

fn authorization_code(
    sim: &AppState,
    cloud: Cloud,
    issuer_base: &str,
    tenant: &str,
    params: &[(String, String)],
    key: &rsa::RsaPrivateKey,
) -> Response {
    let mut world = lock(&sim.world);
    if resolve_tenant(&world, cloud, tenant).is_none() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &super::tenant_not_found(tenant),
        );
    }
    let Some(client_id) = param(params, "client_id")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
    else {
        return missing("client_id");
    };
    let Some(code) = param(params, "code") else {
        return missing("code");
    };
    // A code is single-use, even when redemption fails.
    let pending = world.entra_codes.remove(code);
    if let ClientAuth::Failed(r) = check_secret(&world, cloud, &client_id, params) {
        return r;
    }
    let Some(pending) = pending.filter(|p| p.expires > now()) else {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity or was already redeemed. Send a new interactive authorization request for this user and resource.",
        );
    };
    if !pending.client_id.eq_ignore_ascii_case(&client_id) {
        return invalid_grant(
            70000,
            "The provided authorization code was issued to a different client.",
        );
    }
    if param(params, "redirect_uri") != Some(pending.redirect_uri.as_str()) {
        return invalid_grant(
            500117,
            "The reply uri specified in the token request does not match the reply uri used when requesting the authorization code.",
        );
    }
    match param(params, "code_verifier") {
        Some(v) if pkce_s256(v) == pending.challenge => {}
        _ => {
            return invalid_grant(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            );
        }
    }
    let Some(user) = world.users.iter().find(|u| u.oid == pending.user).cloned() else {
        return invalid_grant(50034, "The user account does not exist in this directory.");
    };
    let n = now();
    let mut out = json!({
        "token_type": "Bearer",
        "scope": pending.scope,
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": crate::jwt::sign(key, &json!({
            "aud": GRAPH, "iss": format!("{}/{}/", cloud.sts(), user.tenant_id),
            "iat": n, "nbf": n, "exp": n + 3599, "oid": user.oid, "tid": user.tenant_id,
            "scp": pending.scope, "upn": user.upn, "name": user.name, "appid": client_id, "ver": "1.0",
        })),
    });
    // `wids` only when the app's manifest asks for directory roles.
    let wids = world
        .connector_in(cloud)
        .filter(|c| c.client_id.eq_ignore_ascii_case(&client_id))
        .is_none_or(|c| c.wids_claim);
    if pending.scope.split_whitespace().any(|s| s == "openid")
        && let Value::Object(map) = &mut out
    {
        let mut claims = id_token_claims(issuer_base, &client_id, &user, pending.nonce.as_deref());
        if !wids && let Value::Object(c) = &mut claims {
            c.remove("wids");
        }
        map.insert(
            "id_token".to_owned(),
            Value::String(crate::id_token_faults::sign(
                &[&user.oid, &user.upn],
                key,
                &claims,
            )),
        );
    }
    Json(out).into_response()
}

/// Claims of a v2 ID token for `user`, issued by the authority at
/// `issuer_base` (`{origin}/entra`, `{origin}/entra-china`, …).
pub fn id_token_claims(
    issuer_base: &str,
    client_id: &str,
    user: &User,
    nonce: Option<&str>,
) -> Value {
    let n = now();
    let sub = b64url(&Sha256::digest(format!("{}/{client_id}", user.oid).as_bytes())[..20]);
    let mut wids = user.roles.clone();
    wids.push(MEMBER_ROLE.to_owned());
    let mut claims = json!({
        "ver": "2.0",
        "iss": format!("{issuer_base}/{}/v2.0", user.tenant_id),
        "sub": sub,
        "aud": client_id,
        "exp": n + 3600,
        "iat": n,
        "nbf": n,
        "name": user.name,
        "preferred_username": user.upn,
        "oid": user.oid,
        "tid": user.tenant_id,
        "wids": wids,
        "aio": random_token(24),
        "uti": random_token(16),
    });
    if let (Some(nonce), Value::Object(map)) = (nonce, &mut claims) {
        map.insert("nonce".to_owned(), Value::String(nonce.to_owned()));
    }
    claims
}
