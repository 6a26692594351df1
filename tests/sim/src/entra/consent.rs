//! Admin consent, v1 (`/{tenant}/adminconsent`) and v2 (`/{tenant}/v2.0/adminconsent`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::errors::{error_page, redirect_error};
use super::{TenantRef, page_params, redirect, resolve_tenant};
use crate::pages::{cancel_form, hidden_fields, layout, user_card};
use crate::state::{AppState, Cloud, ServicePrincipal, User, World, directory_role_name};
use crate::util::{guid, html_escape as esc, lock, param, with_query};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// `GET|POST /entra/{tenant}/adminconsent`.
pub async fn v1(
    State(sim): State<AppState>,
    Extension(cloud): Extension<Cloud>,
    Path(tenant): Path<String>,
    method: Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let request = Request {
        cloud,
        version: Version::V1,
        tenant: &tenant,
        method: &method,
        query: q.as_deref(),
    };
    consent(&sim, &request, &body)
}

/// `GET|POST /entra/{tenant}/v2.0/adminconsent`.
pub async fn v2(
    State(sim): State<AppState>,
    Extension(cloud): Extension<Cloud>,
    Path(tenant): Path<String>,
    method: Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let request = Request {
        cloud,
        version: Version::V2,
        tenant: &tenant,
        method: &method,
        query: q.as_deref(),
    };
    consent(&sim, &request, &body)
}

/// Records the consent of `cloud`'s connector app in `tenant_id` (creating
/// its service principal).
pub fn grant(
    world: &mut World,
    cloud: Cloud,
    tenant_id: &str,
    by: Option<&str>,
    scope: &str,
) -> Option<ServicePrincipal> {
    let connector = world.connector_in(cloud)?.clone();
    if let Some(sp) = world
        .service_principals
        .iter_mut()
        .find(|sp| sp.app_id == connector.client_id && sp.tenant_id == tenant_id)
    {
        sp.consented_by = by.map(str::to_owned).or(sp.consented_by.take());
        sp.scope = scope.to_owned();
        return Some(sp.clone());
    }
    let sp = ServicePrincipal {
        object_id: guid(),
        tenant_id: tenant_id.to_owned(),
        app_id: connector.client_id,
        display_name: connector.name,
        consented_by: by.map(str::to_owned),
        scope: scope.to_owned(),
    };
    world.service_principals.push(sp.clone());
    Some(sp)
}

/// An admin-consent request: which authority and endpoint it reached.
struct Request<'a> {
    cloud: Cloud,
    version: Version,
    tenant: &'a str,
    method: &'a Method,
    query: Option<&'a str>,
}

fn consent(sim: &AppState, request: &Request<'_>, body: &Bytes) -> Response {
    let Request {
        cloud,
        version,
        tenant,
        method,
        query: q,
    } = *request;
    let Some(params) = page_params(method, q, body) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request could not be parsed.",
        );
    };
    let mut world = lock(&sim.world);
    let Some(tref) = resolve_tenant(&world, cloud, tenant) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            90002,
            &super::tenant_not_found(tenant),
        );
    };
    match (&tref, version) {
        (TenantRef::Consumers, _) | (TenantRef::Common, Version::V2) => {
            let id = param(&params, "client_id").unwrap_or("");
            return error_page(
                StatusCode::BAD_REQUEST,
                90130,
                &format!(
                    "Application '{id}' (CyberSentriq KMS Connector) is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."
                ),
            );
        }
        _ => {}
    }
    let directory = tref
        .tenant()
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "Microsoft".to_owned());
    let Some(client_id) = param(&params, "client_id").filter(|c| !c.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(connector) = world
        .connector_in(cloud)
        .cloned()
        .filter(|c| c.client_id.eq_ignore_ascii_case(client_id))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &super::app_not_found(client_id, &directory),
        );
    };
    let redirect_uri = match param(&params, "redirect_uri") {
        Some(r) if connector.redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        Some(r) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                50011,
                &super::redirect_mismatch(r, client_id),
            );
        }
        None => match connector.redirect_uris.first() {
            Some(r) => r.clone(),
            None => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    500113,
                    "No reply address is registered for the application.",
                );
            }
        },
    };
    let state = param(&params, "state").map(str::to_owned);
    let scope = param(&params, "scope").unwrap_or("").to_owned();
    let with_state = |mut p: Vec<(&'static str, String)>| {
        if let Some(s) = &state {
            p.push(("state", s.clone()));
        }
        p
    };
    let go = |pairs: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect(&with_query(&redirect_uri, &refs))
    };
    if version == Version::V2 && scope.is_empty() {
        return go(with_state(redirect_error(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )));
    }

    let action = param(&params, "action");
    let in_scope = |u: &User| match tref.tenant() {
        Some(t) => t.id == u.tenant_id,
        None => world.tenant_in(cloud, &u.tenant_id).is_some(),
    };
    if *method != Method::POST || action.is_none() {
        let users: Vec<&User> = world.users.iter().filter(|u| in_scope(u)).collect();
        return page(
            &world,
            &connector.name,
            &params,
            &users,
            tref.tenant().is_none(),
        );
    }

    if action == Some("cancel") {
        return match version {
            Version::V1 => go(with_state(vec![
                ("error", "permission_denied".to_owned()),
                (
                    "error_description",
                    "The admin canceled the request".to_owned(),
                ),
            ])),
            // As captured live (MicrosoftDocs/azure-docs#114009, 2023):
            // `error=access_denied`, the description with CRLF, `error_uri`,
            // `admin_consent=True`, the state, and no `tenant`.
            Version::V2 => {
                let mut pairs = redirect_error(
                    "access_denied",
                    65004,
                    "User declined to consent to access the app.",
                );
                pairs.push(("admin_consent", "True".to_owned()));
                go(with_state(pairs))
            }
        };
    }
    let Some(user) = param(&params, "user")
        .and_then(|oid| world.users.iter().find(|u| u.oid == oid))
        .filter(|u| in_scope(u))
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            50034,
            "The user account does not exist in this directory. To sign into this application, the account must be added to the directory.",
        );
    };
    if !user.can_admin_consent() {
        let mut pairs = redirect_error(
            "consent_required",
            90094,
            "The grant requires admin permission. Admin consent is required for the permissions requested by this application. Only a Global Administrator or Privileged Role Administrator can grant it.",
        );
        if version == Version::V2 {
            pairs.insert(0, ("admin_consent", "True".to_owned()));
        }
        return go(with_state(pairs));
    }
    let granted_scope = if scope.is_empty() {
        format!(
            "{}/.default",
            crate::state::resource(cloud, crate::state::VaultKind::Vault)
        )
    } else {
        scope.clone()
    };
    if grant(
        &mut world,
        cloud,
        &user.tenant_id,
        Some(&user.oid),
        &granted_scope,
    )
    .is_none()
    {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            90033,
            "A transient error has occurred. Please try again.",
        );
    }
    match version {
        Version::V2 => {
            let mut p = vec![
                ("admin_consent", "True".to_owned()),
                ("tenant", user.tenant_id.clone()),
                ("scope", granted_scope),
            ];
            if let Some(s) = &state {
                p.push(("state", s.clone()));
            }
            go(p)
        }
        Version::V1 => {
            let mut p = vec![("tenant", user.tenant_id.clone())];
            if let Some(s) = &state {
                p.push(("state", s.clone()));
            }
            p.push(("admin_consent", "True".to_owned()));
            go(p)
        }
    }
}

fn page(
    world: &World,
    app: &str,
    params: &[(String, String)],
    users: &[&User],
    all_tenants: bool,
) -> Response {
    let hidden = hidden_fields(params);
    let mut cards = String::new();
    for u in users {
        let tenant = world
            .tenants
            .iter()
            .find(|t| t.id == u.tenant_id)
            .map(|t| t.name.as_str())
            .unwrap_or("");
        let badges: Vec<String> = u
            .roles
            .iter()
            .map(|r| directory_role_name(r).to_owned())
            .collect();
        let sub = if all_tenants {
            format!("{} · {tenant}", u.upn)
        } else {
            u.upn.clone()
        };
        cards.push_str(&user_card(
            &hidden,
            &u.oid,
            &u.name,
            &sub,
            &badges,
            &format!("Accept as {}", u.name),
        ));
    }
    if users.is_empty() {
        cards.push_str(
            "<p class=muted>No users in this tenant. Add some with POST /_control/users.</p>",
        );
    }
    let body = format!(
        r#"<div class="card"><h1>Permissions requested</h1><p><b>{app}</b> wants to be granted admin consent for your organization.</p>
<p>This app would like to:</p><ul class="perm"><li>Access Azure Key Vault as the app (wrap and unwrap keys it is given access to)</li><li>Sign in and read user profile</li></ul>
<p class="muted">Accepting creates the app's service principal in your tenant. Only a Global Administrator or Privileged Role Administrator can grant admin consent. Pick the account to sign in with:</p>
<div class="users">{cards}</div>{}</div>"#,
        cancel_form(&hidden),
        app = esc(app),
    );
    Html(layout("Permissions requested", "entra", &body)).into_response()
}
