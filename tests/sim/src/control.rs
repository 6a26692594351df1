//! The control API under `/_control` (JSON): shape the world, inject faults,
//! read the request log, reset.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::Seed;
use crate::faults::FaultSpec;
use crate::forge::materialize;
use crate::keyvault::access;
use crate::state::*;
use crate::util::{guid, lock, now, random_token};

/// Routes relative to `/_control`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/state", get(state))
        .route("/reset", post(reset))
        .route("/tenants", post(add_tenant))
        .route("/users", post(add_user))
        .route("/users/{oid}", delete(remove_user))
        .route("/users/{oid}/roles", put(set_user_roles))
        .route("/consents", post(add_consent))
        .route("/consents/{tenant}", delete(remove_consent))
        .route("/apps", post(add_app))
        .route("/apps/{client_id}/secrets", post(add_app_secret))
        .route("/vaults", post(add_vault))
        .route("/vaults/{vault}", delete(remove_vault))
        .route("/vaults/{vault}/permission-model", put(set_model))
        .route("/vaults/{vault}/aliases", post(add_alias))
        .route("/vaults/{vault}/throttle", put(set_throttle))
        .route("/vaults/{vault}/keys", post(add_key))
        .route(
            "/vaults/{vault}/keys/{name}",
            patch(update_key).delete(remove_key),
        )
        .route("/vaults/{vault}/keys/{name}/rotate", post(rotate_key))
        .route("/vaults/{vault}/firewall", put(set_firewall))
        .route(
            "/vaults/{vault}/first-party-only",
            put(set_first_party_only),
        )
        .route("/toggles", get(get_toggles).put(set_toggles))
        .route("/connectors/{cloud}", patch(set_connector))
        .route(
            "/vaults/{vault}/keys/{name}/soft-delete",
            post(soft_delete_key),
        )
        .route(
            "/vaults/{vault}/deleted-keys/{name}/recover",
            post(recover_key),
        )
        .route("/rotation-policies/run", post(run_rotation_policies))
        .route(
            "/vaults/{vault}/keys/{name}/rotationpolicy",
            get(get_rotation_policy).put(put_rotation_policy),
        )
        .route("/vaults/{vault}/secrets", post(add_secret))
        .route(
            "/vaults/{vault}/role-assignments",
            post(add_role).delete(remove_roles_of),
        )
        .route("/vaults/{vault}/role-assignments/{id}", delete(remove_role))
        .route("/vaults/{vault}/access-policies", put(set_policy))
        .route(
            "/vaults/{vault}/access-policies/{object_id}",
            delete(remove_policy),
        )
        .route("/google/customers", post(add_google_customer))
        .route("/google/users", post(add_google_user))
        .route("/companies", post(add_company))
        .route("/companies/{company}/backup-sets", post(add_backup_set))
        .route(
            "/companies/{company}/backup-sets/{id}",
            delete(remove_backup_set),
        )
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/redapp/sessions",
            post(crate::redapp_session::control_session),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/sink", get(list_sink).delete(clear_sink))
}

fn err(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": status.canonical_reason().unwrap_or("error"), "message": message})),
    )
        .into_response()
}

fn bad(message: &str) -> Response {
    err(StatusCode::BAD_REQUEST, message)
}

fn not_found(what: &str) -> Response {
    err(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    let raw: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(raw).map_err(|e| bad(&format!("invalid JSON body: {e}")))
}

macro_rules! body {
    ($t:ty, $b:expr) => {
        match parse::<$t>(&$b) {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

fn vault_json(v: &Vault) -> Value {
    let keys: Vec<Value> = v
        .keys
        .iter()
        .map(|(name, k)| {
            let versions: Vec<Value> = k
                .versions
                .iter()
                .map(|kv| {
                    json!({
                        "version": kv.version,
                        "kid": format!("https://{}/keys/{name}/{}", v.host, kv.version),
                        "kty": kv.kty.as_str(),
                        "size": if kv.bits() == 0 { Value::Null } else { json!(kv.bits()) },
                        "enabled": kv.enabled, "nbf": kv.nbf, "exp": kv.exp, "key_ops": kv.key_ops, "tags": kv.tags,
                    })
                })
                .collect();
            json!({"name": name, "versions": versions})
        })
        .collect();
    json!({
        "name": v.name, "host": v.host, "url": format!("https://{}", v.host),
        "tenant_id": v.tenant_id, "cloud": v.cloud, "kind": v.kind, "permission_model": v.model,
        "aliases": v.aliases, "keys": keys, "secrets": v.secrets.keys().collect::<Vec<_>>(),
        "role_assignments": v.role_assignments, "access_policies": v.access_policies,
        "throttle_limit": v.throttle_limit,
        "firewall": v.firewall,
        "firewall_variant": v.firewall_variant,
        "first_party_only": v.first_party_only,
        "deleted_keys": v.deleted_keys.keys().collect::<Vec<_>>(),
    })
}

/// `GET /_control/state`: the whole world (no private keys).
async fn state(State(sim): State<AppState>) -> Json<Value> {
    let w = lock(&sim.world);
    Json(json!({
        "tenants": w.tenants,
        "users": w.users.iter().map(|u| json!({
            "oid": u.oid, "tenant_id": u.tenant_id, "name": u.name, "upn": u.upn, "roles": u.roles,
            "role_names": u.roles.iter().map(|r| directory_role_name(r)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "connector": w.connector,
        "sovereign_connectors": w.sovereign_connectors,
        "toggles": w.toggles,
        "service_principals": w.service_principals,
        "customer_apps": w.customer_apps,
        "vaults": w.vaults.iter().map(vault_json).collect::<Vec<_>>(),
        "google": {"client": w.google_client, "customers": w.google_customers, "users": w.google_users},
        "companies": w.companies,
    }))
}

#[derive(Deserialize)]
struct ResetBody {
    #[serde(default)]
    seed: Option<Seed>,
}

/// `POST /_control/reset {"seed":"default"|"empty"}`.
async fn reset(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(ResetBody, b);
    let seed = body.seed.unwrap_or(sim.config.seed);
    sim.reset(seed);
    sim.warm_keys();
    Json(json!({"reset": true, "seed": format!("{seed:?}").to_lowercase()})).into_response()
}

#[derive(Deserialize)]
struct TenantBody {
    name: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    id: Option<String>,
    /// The cloud whose authority holds the tenant (default public).
    #[serde(default)]
    cloud: Option<Cloud>,
}

async fn add_tenant(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(TenantBody, b);
    let id = body.id.unwrap_or_else(guid);
    if !crate::util::is_guid(&id) {
        return bad("id must be a GUID");
    }
    let slug: String = body
        .name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let t = Tenant {
        id,
        domain: body
            .domain
            .unwrap_or_else(|| format!("{slug}.onmicrosoft.com")),
        name: body.name,
        cloud: body.cloud.unwrap_or(Cloud::Public),
    };
    let mut w = lock(&sim.world);
    if w.tenant(&t.id).is_some() || w.tenant(&t.domain).is_some() {
        return err(StatusCode::CONFLICT, "tenant id or domain already exists");
    }
    w.tenants.push(t.clone());
    (StatusCode::CREATED, Json(json!(t))).into_response()
}

#[derive(Deserialize)]
struct UserBody {
    tenant: String,
    name: String,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

fn resolve_roles(roles: &[String]) -> Result<Vec<String>, Response> {
    roles
        .iter()
        .map(|r| {
            directory_role_id(r)
                .map(str::to_owned)
                .ok_or_else(|| bad(&format!("unknown directory role '{r}' (known: Global Administrator, Privileged Role Administrator, Application Administrator, Cloud Application Administrator, Global Reader)")))
        })
        .collect()
}

async fn add_user(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(UserBody, b);
    let roles = match resolve_roles(&body.roles) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut w = lock(&sim.world);
    let Some(t) = w.tenant_loose(&body.tenant).cloned() else {
        return not_found("tenant");
    };
    let local: String = body
        .name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let u = User {
        oid: guid(),
        tenant_id: t.id,
        upn: body.upn.unwrap_or_else(|| format!("{local}@{}", t.domain)),
        name: body.name,
        roles,
    };
    w.users.push(u.clone());
    (StatusCode::CREATED, Json(json!(u))).into_response()
}

async fn remove_user(State(sim): State<AppState>, Path(oid): Path<String>) -> Response {
    let mut w = lock(&sim.world);
    let before = w.users.len();
    w.users.retain(|u| u.oid != oid);
    if w.users.len() == before {
        not_found("user")
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

#[derive(Deserialize)]
struct RolesBody {
    roles: Vec<String>,
}

async fn set_user_roles(
    State(sim): State<AppState>,
    Path(oid): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(RolesBody, b);
    let roles = match resolve_roles(&body.roles) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut w = lock(&sim.world);
    match w.users.iter_mut().find(|u| u.oid == oid) {
        Some(u) => {
            u.roles = roles;
            Json(json!(u.clone())).into_response()
        }
        None => not_found("user"),
    }
}

#[derive(Deserialize)]
struct ConsentBody {
    tenant: String,
}

/// Grants the connector's admin consent directly (no browser).
async fn add_consent(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(ConsentBody, b);
    let mut w = lock(&sim.world);
    let Some(t) = w.tenant_loose(&body.tenant).cloned() else {
        return not_found("tenant");
    };
    let scope = format!(
        "{}/.default",
        crate::state::resource(t.cloud, VaultKind::Vault)
    );
    match crate::entra::consent::grant(&mut w, t.cloud, &t.id, None, &scope) {
        Some(sp) => (StatusCode::CREATED, Json(json!(sp))).into_response(),
        None => bad("no connector app configured in the tenant's cloud"),
    }
}

async fn remove_consent(State(sim): State<AppState>, Path(tenant): Path<String>) -> Response {
    let mut w = lock(&sim.world);
    let Some(t) = w.tenant_loose(&tenant).cloned() else {
        return not_found("tenant");
    };
    let Some(app) = w.connector_in(t.cloud).map(|c| c.client_id.clone()) else {
        return bad("no connector app configured in the tenant's cloud");
    };
    w.service_principals
        .retain(|sp| !(sp.app_id == app && sp.tenant_id == t.id));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SecretBody {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    expired: bool,
}

impl SecretBody {
    fn build(&self) -> AppSecret {
        let expires_at = match (self.expires_at, self.expired) {
            (Some(t), _) => t,
            (None, true) => now() - 86_400,
            (None, false) => now() + 180 * 86_400,
        };
        AppSecret {
            id: guid(),
            value: self.value.clone().unwrap_or_else(|| random_token(30)),
            expires_at,
        }
    }
}

#[derive(Deserialize)]
struct AppBody {
    tenant: String,
    name: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(flatten)]
    secret: SecretBody,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

/// Creates a customer app (registration + service principal + one secret).
async fn add_app(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(AppBody, b);
    let mut w = lock(&sim.world);
    let Some(t) = w.tenant_loose(&body.tenant).cloned() else {
        return not_found("tenant");
    };
    let client_id = body.client_id.clone().unwrap_or_else(guid);
    if w.customer_apps.iter().any(|a| a.client_id == client_id) {
        return err(StatusCode::CONFLICT, "client id already exists");
    }
    let app = CustomerApp {
        client_id: client_id.clone(),
        tenant_id: t.id.clone(),
        name: body.name.clone(),
        secrets: vec![body.secret.build()],
        redirect_uris: body.redirect_uris,
    };
    let sp = ServicePrincipal {
        object_id: guid(),
        tenant_id: t.id,
        app_id: client_id,
        display_name: body.name,
        consented_by: None,
        scope: String::new(),
    };
    w.customer_apps.push(app.clone());
    w.service_principals.push(sp.clone());
    (
        StatusCode::CREATED,
        Json(json!({"app": app, "service_principal": sp})),
    )
        .into_response()
}

async fn add_app_secret(
    State(sim): State<AppState>,
    Path(client_id): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(SecretBody, b);
    let mut w = lock(&sim.world);
    let Some(app) = w
        .customer_apps
        .iter_mut()
        .find(|a| a.client_id == client_id)
    else {
        return not_found("app");
    };
    let s = body.build();
    app.secrets.push(s.clone());
    (StatusCode::CREATED, Json(json!(s))).into_response()
}

fn valid_vault_name(n: &str) -> bool {
    (3..=24).contains(&n.len())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && n.starts_with(|c: char| c.is_ascii_alphabetic())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !n.contains("--")
}

#[derive(Deserialize)]
struct VaultBody {
    name: String,
    tenant: String,
    #[serde(default)]
    cloud: Option<Cloud>,
    #[serde(default)]
    kind: Option<VaultKind>,
    #[serde(default)]
    permission_model: Option<PermissionModel>,
    #[serde(default)]
    aliases: Vec<String>,
}

async fn add_vault(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(VaultBody, b);
    if !valid_vault_name(&body.name) {
        return bad(
            "vault names are 3-24 characters, alphanumerics and hyphens, start with a letter, end with a letter or digit, no consecutive hyphens",
        );
    }
    let mut w = lock(&sim.world);
    let Some(t) = w.tenant_loose(&body.tenant).cloned() else {
        return not_found("tenant");
    };
    // A vault trusts a tenant of its own cloud.
    let cloud = body.cloud.unwrap_or(t.cloud);
    if cloud != t.cloud {
        return bad("a vault trusts a tenant of its own cloud: create the tenant with that cloud");
    }
    let mut v = crate::seed::vault(
        &body.name,
        &t.id,
        cloud,
        body.kind.unwrap_or(VaultKind::Vault),
        body.permission_model.unwrap_or(PermissionModel::Rbac),
    );
    if w.vault(&v.host).is_some() {
        return err(StatusCode::CONFLICT, "vault already exists");
    }
    v.aliases = body
        .aliases
        .iter()
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let out = vault_json(&v);
    w.vaults.push(v);
    (StatusCode::CREATED, Json(out)).into_response()
}

async fn remove_vault(State(sim): State<AppState>, Path(vault): Path<String>) -> Response {
    let mut w = lock(&sim.world);
    let before = w.vaults.len();
    w.vaults
        .retain(|v| !(v.name.eq_ignore_ascii_case(&vault) || v.host.eq_ignore_ascii_case(&vault)));
    if w.vaults.len() == before {
        not_found("vault")
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

#[derive(Deserialize)]
struct FirewallBody {
    enabled: bool,
    /// The recorded wording to answer with (default `client_address`).
    #[serde(default)]
    variant: Option<FirewallVariant>,
}

/// `PUT /_control/vaults/{vault}/firewall` `{"enabled": bool}`: the vault's
/// firewall refuses (or lets through) every data-plane call with 403
/// `ForbiddenByFirewall`, as a vault whose public network access was
/// disabled does.
async fn set_firewall(
    State(sim): State<AppState>,
    Path(vault): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(FirewallBody, b);
    with_vault(&sim, &vault, |v, _| {
        v.firewall = body.enabled;
        if let Some(variant) = body.variant {
            v.firewall_variant = variant;
        }
        Json(json!({"vault": v.name, "firewall": v.firewall, "variant": v.firewall_variant}))
            .into_response()
    })
}

#[derive(Deserialize)]
struct EnabledBody {
    enabled: bool,
}

/// `PUT /_control/vaults/{vault}/first-party-only` `{"enabled": bool}`: the
/// vault answers every data-plane call 403 "Access denied to first party
/// service" (inner `AccessDenied`), as a vault that lets only trusted
/// Microsoft services through does.
async fn set_first_party_only(
    State(sim): State<AppState>,
    Path(vault): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(EnabledBody, b);
    with_vault(&sim, &vault, |v, _| {
        v.first_party_only = body.enabled;
        Json(json!({"vault": v.name, "first_party_only": v.first_party_only})).into_response()
    })
}

/// `GET /_control/toggles`: the switches for unconfirmed shapes.
async fn get_toggles(State(sim): State<AppState>) -> Response {
    Json(json!(lock(&sim.world).toggles)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TogglesBody {
    #[serde(default)]
    disabled_key_get_forbidden: Option<bool>,
}

/// `PUT /_control/toggles` `{"disabled_key_get_forbidden": bool}`: GET of a
/// disabled key answers 403 `KeyDisabled` instead of 200 (both shapes are
/// unconfirmed). `POST /_control/reset` restores the defaults.
async fn set_toggles(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(TogglesBody, b);
    let mut w = lock(&sim.world);
    if let Some(v) = body.disabled_key_get_forbidden {
        w.toggles.disabled_key_get_forbidden = v;
    }
    Json(json!(w.toggles)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorBody {
    #[serde(default)]
    wids_claim: Option<bool>,
}

/// `PATCH /_control/connectors/{cloud}` `{"wids_claim": bool}`: the
/// connector's app manifest asks for directory roles (`groupMembershipClaims`
/// `DirectoryRole`) or not; without it its ID tokens carry no `wids`.
async fn set_connector(
    State(sim): State<AppState>,
    Path(cloud): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(ConnectorBody, b);
    let Ok(cloud) = serde_json::from_value::<Cloud>(json!(cloud)) else {
        return bad("cloud is public, china or usgov");
    };
    let mut w = lock(&sim.world);
    let Some(c) = w.connector_in_mut(cloud) else {
        return not_found("connector");
    };
    if let Some(v) = body.wids_claim {
        c.wids_claim = v;
    }
    Json(json!(c.clone())).into_response()
}

/// The vault's canonical host and the origin its ids use.
fn vault_host_recovery(sim: &AppState, vault: &str) -> Option<(String, (&'static str, i64))> {
    let w = lock(&sim.world);
    w.vault(vault)
        .map(|v| (v.host.clone(), crate::keyvault::recovery(v)))
}

/// `POST /_control/vaults/{vault}/keys/{name}/soft-delete`: what `az
/// keyvault key delete` does: the key goes to `/deletedkeys` (answers the
/// deleted-key bundle, as `DELETE /keys/{name}` does).
async fn soft_delete_key(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
) -> Response {
    let Some((host, rec)) = vault_host_recovery(&sim, &vault) else {
        return not_found("vault");
    };
    let base = format!("https://{host}");
    crate::keyvault::soft_delete(&sim, &host, &base, &name, rec)
        .await
        .unwrap_or_else(|r| r)
}

/// `POST /_control/vaults/{vault}/deleted-keys/{name}/recover`: what `az
/// keyvault key recover` does (answers the key's bundle).
async fn recover_key(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
) -> Response {
    let Some((host, rec)) = vault_host_recovery(&sim, &vault) else {
        return not_found("vault");
    };
    let base = format!("https://{host}");
    crate::keyvault::recover(&sim, &host, &base, &name, rec)
        .await
        .unwrap_or_else(|r| r)
}

/// Runs `f` on a vault, answering 404 when unknown.
fn with_vault(
    sim: &AppState,
    vault: &str,
    f: impl FnOnce(&mut Vault, &World) -> Response,
) -> Response {
    let mut w = lock(&sim.world);
    let Some(idx) = w
        .vaults
        .iter()
        .position(|v| v.name.eq_ignore_ascii_case(vault) || v.host.eq_ignore_ascii_case(vault))
    else {
        return not_found("vault");
    };
    let mut v = w.vaults.remove(idx);
    let r = f(&mut v, &w);
    w.vaults.insert(idx, v);
    r
}

#[derive(Deserialize)]
struct ModelBody {
    model: PermissionModel,
}

async fn set_model(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(ModelBody, b);
    with_vault(&sim, &vault, |v, _| {
        v.model = body.model;
        Json(vault_json(v)).into_response()
    })
}

#[derive(Deserialize)]
struct AliasBody {
    host: String,
}

/// `POST /_control/vaults/{vault}/aliases {"host"}`: `host` (e.g.
/// `localhost:8791`) now addresses this vault; like a DNS name, an alias
/// names one vault, so it leaves any other vault that had it.
async fn add_alias(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(AliasBody, b);
    let h = body.host.to_ascii_lowercase();
    {
        let mut w = lock(&sim.world);
        if w.vault(&vault).is_none() {
            return not_found("vault");
        }
        for v in &mut w.vaults {
            v.aliases.retain(|a| *a != h);
        }
    }
    with_vault(&sim, &vault, |v, _| {
        v.aliases.push(h.clone());
        Json(vault_json(v)).into_response()
    })
}

#[derive(Deserialize)]
struct ThrottleBody {
    limit: Option<u32>,
}

async fn set_throttle(
    State(sim): State<AppState>,
    Path(vault): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(ThrottleBody, b);
    *lock(&sim.throttle) = Default::default();
    with_vault(&sim, &vault, |v, _| {
        v.throttle_limit = body.limit;
        Json(json!({"vault": v.name, "limit": v.throttle_limit})).into_response()
    })
}

#[derive(Deserialize)]
struct KeyBody {
    name: String,
    #[serde(default)]
    kty: Option<Kty>,
    #[serde(default)]
    size: Option<usize>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    /// Allows an RSA size Key Vault does not create (1024): a test fixture
    /// showing keyswitch refuses such a key if an answer ever names one.
    #[serde(default)]
    any_size: bool,
}

fn valid_key_name(n: &str) -> bool {
    (1..=127).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

async fn add_key(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(KeyBody, b);
    if !valid_key_name(&body.name) {
        return bad("key names are 1-127 characters of 0-9, a-z, A-Z and '-'");
    }
    let kty = body.kty.unwrap_or(Kty::Rsa);
    let size = body.size.unwrap_or(2048);
    let crv = body.crv.clone().unwrap_or_else(|| "P-256".to_owned());
    match kty {
        Kty::Rsa | Kty::RsaHsm if !body.any_size && ![2048, 3072, 4096].contains(&size) => {
            return bad("RSA size must be 2048, 3072 or 4096");
        }
        Kty::Ec | Kty::EcHsm if !["P-256", "P-384", "P-521", "P-256K"].contains(&crv.as_str()) => {
            return bad("crv must be P-256, P-384, P-521 or P-256K");
        }
        _ => {}
    }
    if lock(&sim.world).vault(&vault).is_none() {
        return not_found("vault");
    }
    let material = crate::seed::material(kty, size, &crv, None);
    if let Material::Rsa(k) = &material
        && materialize(k.clone()).await.is_none()
    {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "key generation failed");
    }
    let mut version = crate::seed::version(kty, material, crate::util::random_version());
    version.enabled = body.enabled.unwrap_or(true);
    version.nbf = body.nbf;
    version.exp = body.exp;
    if let Some(ops) = body.key_ops {
        version.key_ops = ops;
    }
    with_vault(&sim, &vault, |v, _| {
        match v
            .keys
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&body.name))
        {
            Some((_, existing)) => existing.versions.push(version),
            None => {
                v.keys.insert(
                    body.name.clone(),
                    Key {
                        versions: vec![version],
                    },
                );
            }
        }
        (StatusCode::CREATED, Json(vault_json(v))).into_response()
    })
}

#[derive(Deserialize)]
struct KeyUpdate {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default, with = "double_option")]
    nbf: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    exp: Option<Option<i64>>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    /// Replaces the version's tags (`{}` removes them all).
    #[serde(default)]
    tags: Option<std::collections::BTreeMap<String, String>>,
}

/// Distinguishes an absent field from an explicit `null` (clear).
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

async fn update_key(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
    b: Bytes,
) -> Response {
    let body = body!(KeyUpdate, b);
    with_vault(&sim, &vault, |v, _| {
        let Some((_, key)) = v
            .keys
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        else {
            return not_found("key");
        };
        let target = match &body.version {
            Some(ver) => key
                .versions
                .iter_mut()
                .find(|kv| kv.version.eq_ignore_ascii_case(ver)),
            None => key.versions.last_mut(),
        };
        let Some(kv) = target else {
            return not_found("key version");
        };
        if let Some(e) = body.enabled {
            kv.enabled = e;
        }
        if let Some(n) = body.nbf {
            kv.nbf = n;
        }
        if let Some(x) = body.exp {
            kv.exp = x;
        }
        if let Some(ops) = &body.key_ops {
            kv.key_ops = ops.clone();
        }
        if let Some(tags) = &body.tags {
            kv.tags = tags.clone();
        }
        kv.updated = now();
        Json(vault_json(v)).into_response()
    })
}

async fn remove_key(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
) -> Response {
    with_vault(&sim, &vault, |v, _| {
        let before = v.keys.len();
        v.keys.retain(|k, _| !k.eq_ignore_ascii_case(&name));
        if v.keys.len() == before {
            not_found("key")
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
}

async fn rotate_key(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
) -> Response {
    let latest = {
        let w = lock(&sim.world);
        let Some(v) = w.vault(&vault) else {
            return not_found("vault");
        };
        let Some(l) = v.key(&name).and_then(|(_, k)| k.latest()).cloned() else {
            return not_found("key");
        };
        l
    };
    let material = match &latest.material {
        Material::Rsa(k) => {
            let fresh = crate::forge::fresh(k.bits());
            if materialize(fresh.clone()).await.is_none() {
                return err(StatusCode::INTERNAL_SERVER_ERROR, "key generation failed");
            }
            Material::Rsa(fresh)
        }
        Material::Ec { crv, .. } => crate::seed::material(latest.kty, 0, crv, None),
    };
    let mut nv = crate::seed::version(latest.kty, material, crate::util::random_version());
    nv.key_ops = latest.key_ops.clone();
    with_vault(&sim, &vault, |v, _| {
        let Some((_, key)) = v
            .keys
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        else {
            return not_found("key");
        };
        key.versions.push(nv);
        Json(vault_json(v)).into_response()
    })
}

#[derive(Deserialize, Default)]
struct RunPoliciesBody {
    /// The time to run the policies at (Unix seconds; default now).
    #[serde(default)]
    at: Option<i64>,
}

fn vault_host(sim: &AppState, vault: &str) -> Option<String> {
    lock(&sim.world).vault(vault).map(|v| v.host.clone())
}

/// The key's rotation policy, exactly as Key Vault's data plane answers it.
async fn get_rotation_policy(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
) -> Response {
    let Some(host) = vault_host(&sim, &vault) else {
        return not_found("vault");
    };
    crate::keyvault::rotation::get(&sim, &host, &format!("https://{host}"), &name)
}

/// Sets the key's rotation policy as the data plane's `PUT` does (same
/// body, same checks, same answer), without a token.
async fn put_rotation_policy(
    State(sim): State<AppState>,
    Path((vault, name)): Path<(String, String)>,
    b: Bytes,
) -> Response {
    let Some(host) = vault_host(&sim, &vault) else {
        return not_found("vault");
    };
    crate::keyvault::rotation::put(&sim, &host, &format!("https://{host}"), &name, &b)
}

/// Runs every key rotation policy as Key Vault would at `at`: each key
/// whose Rotate action is due gets a new version. Answers their ids.
async fn run_rotation_policies(State(sim): State<AppState>, b: Bytes) -> Response {
    let body: RunPoliciesBody = if b.is_empty() {
        RunPoliciesBody::default()
    } else {
        body!(RunPoliciesBody, b)
    };
    let at = body.at.unwrap_or_else(now);
    match crate::keyvault::rotation::run_due(&sim, at).await {
        Ok(rotated) => Json(json!({"at": at, "rotated": rotated})).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct VaultSecretBody {
    name: String,
    value: String,
}

async fn add_secret(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(VaultSecretBody, b);
    if !valid_key_name(&body.name) {
        return bad("secret names are 1-127 characters of 0-9, a-z, A-Z and '-'");
    }
    with_vault(&sim, &vault, |v, _| {
        v.secrets.insert(body.name.clone(), body.value.clone());
        (StatusCode::CREATED, Json(vault_json(v))).into_response()
    })
}

/// Resolves `principal_id` or `principal` (`connector:<tenant>`, `app:<client id>`).
fn principal(w: &World, id: Option<&str>, named: Option<&str>) -> Result<String, Response> {
    if let Some(id) = id {
        return Ok(id.to_owned());
    }
    let Some(named) = named else {
        return Err(bad(
            "give principal_id (object id) or principal ('connector:<tenant>' or 'app:<client id>')",
        ));
    };
    if let Some(tenant) = named.strip_prefix("connector:") {
        let t = w.tenant_loose(tenant).ok_or_else(|| not_found("tenant"))?;
        let app = w
            .connector_in(t.cloud)
            .map(|c| c.client_id.clone())
            .unwrap_or_default();
        return w
            .service_principal(&app, &t.id)
            .map(|sp| sp.object_id.clone())
            .ok_or_else(|| bad("the connector has no service principal in that tenant yet: grant admin consent first"));
    }
    if let Some(client) = named.strip_prefix("app:") {
        return w
            .service_principals
            .iter()
            .find(|sp| sp.app_id.eq_ignore_ascii_case(client))
            .map(|sp| sp.object_id.clone())
            .ok_or_else(|| not_found("app"));
    }
    Err(bad(
        "principal must look like 'connector:<tenant>' or 'app:<client id>'",
    ))
}

#[derive(Deserialize)]
struct RoleBody {
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    role: String,
    #[serde(default)]
    key: Option<String>,
}

async fn add_role(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(RoleBody, b);
    let Some(role_id) = access::role_id(&body.role) else {
        return bad(
            "unknown role (Key Vault Crypto User, Key Vault Crypto Service Encryption User, Key Vault Crypto Officer, Key Vault Administrator, Key Vault Secrets User, Managed HSM Crypto User, or a role id)",
        );
    };
    with_vault(&sim, &vault, |v, w| {
        let pid = match principal(w, body.principal_id.as_deref(), body.principal.as_deref()) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let ra = RoleAssignment {
            id: guid(),
            principal_id: pid,
            role_id: role_id.to_owned(),
            role_name: access::role_name(role_id).to_owned(),
            key: body.key.clone(),
        };
        v.role_assignments.push(ra.clone());
        (StatusCode::CREATED, Json(json!(ra))).into_response()
    })
}

async fn remove_role(
    State(sim): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
) -> Response {
    with_vault(&sim, &vault, |v, _| {
        let before = v.role_assignments.len();
        v.role_assignments.retain(|r| r.id != id);
        if v.role_assignments.len() == before {
            not_found("role assignment")
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
}

#[derive(Deserialize)]
struct PrincipalQuery {
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    principal: Option<String>,
}

/// Revokes every assignment of one principal on the vault.
async fn remove_roles_of(
    State(sim): State<AppState>,
    Path(vault): Path<String>,
    Query(q): Query<PrincipalQuery>,
) -> Response {
    with_vault(&sim, &vault, |v, w| {
        let pid = match principal(w, q.principal_id.as_deref(), q.principal.as_deref()) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let before = v.role_assignments.len();
        v.role_assignments
            .retain(|r| !r.principal_id.eq_ignore_ascii_case(&pid));
        Json(json!({"removed": before - v.role_assignments.len()})).into_response()
    })
}

#[derive(Deserialize)]
struct PolicyBody {
    #[serde(default)]
    object_id: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
}

async fn set_policy(State(sim): State<AppState>, Path(vault): Path<String>, b: Bytes) -> Response {
    let body = body!(PolicyBody, b);
    with_vault(&sim, &vault, |v, w| {
        let pid = match principal(w, body.object_id.as_deref(), body.principal.as_deref()) {
            Ok(p) => p,
            Err(r) => return r,
        };
        v.access_policies
            .retain(|p| !p.object_id.eq_ignore_ascii_case(&pid));
        let p = AccessPolicy {
            object_id: pid,
            keys: body.keys.clone(),
            secrets: body.secrets.clone(),
        };
        v.access_policies.push(p.clone());
        Json(json!(p)).into_response()
    })
}

async fn remove_policy(
    State(sim): State<AppState>,
    Path((vault, oid)): Path<(String, String)>,
) -> Response {
    with_vault(&sim, &vault, |v, _| {
        let before = v.access_policies.len();
        v.access_policies
            .retain(|p| !p.object_id.eq_ignore_ascii_case(&oid));
        if v.access_policies.len() == before {
            not_found("access policy")
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
}

#[derive(Deserialize)]
struct GoogleCustomerBody {
    #[serde(default)]
    id: Option<String>,
    domain: String,
}

async fn add_google_customer(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(GoogleCustomerBody, b);
    let c = GoogleCustomer {
        id: body
            .id
            .unwrap_or_else(|| format!("C0{}", &crate::util::random_version()[..7])),
        domain: body.domain,
    };
    let mut w = lock(&sim.world);
    if w.google_customers.iter().any(|x| x.id == c.id) {
        return err(StatusCode::CONFLICT, "customer exists");
    }
    w.google_customers.push(c.clone());
    (StatusCode::CREATED, Json(json!(c))).into_response()
}

#[derive(Deserialize)]
struct GoogleUserBody {
    email: String,
    name: String,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    role: Option<GoogleRole>,
}

async fn add_google_user(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(GoogleUserBody, b);
    let mut w = lock(&sim.world);
    if let Some(c) = &body.customer_id
        && !w.google_customers.iter().any(|x| &x.id == c)
    {
        return not_found("google customer");
    }
    if w.google_user(&body.email).is_some() {
        return err(StatusCode::CONFLICT, "user exists");
    }
    let id = format!(
        "1{}",
        &crate::util::hex(&crate::util::random_bytes(10))
            .chars()
            .map(|c| char::from(b'0' + (c as u8 % 10)))
            .collect::<String>()
    );
    let u = GoogleUser {
        id,
        email: body.email,
        name: body.name,
        customer_id: body.customer_id,
        role: body.role.unwrap_or(GoogleRole::User),
    };
    w.google_users.push(u.clone());
    (StatusCode::CREATED, Json(json!(u))).into_response()
}

#[derive(Deserialize)]
struct CompanyBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

async fn add_company(State(sim): State<AppState>, b: Bytes) -> Response {
    let body = body!(CompanyBody, b);
    if body.id.is_empty() || body.id.contains('/') {
        return bad("company id must be non-empty and contain no '/'");
    }
    let mut w = lock(&sim.world);
    let c = w
        .companies
        .entry(body.id.clone())
        .or_insert_with(|| Company {
            id: body.id.clone(),
            name: body.name.clone().unwrap_or_else(|| body.id.clone()),
            backup_sets: Vec::new(),
        });
    (StatusCode::CREATED, Json(json!(c))).into_response()
}

/// A backup set to add; `id` optional. The values are not checked: a test
/// may add a Microsoft 365 set whose tenant is a domain
/// (`contoso.onmicrosoft.com`), a Google Workspace set with a malformed
/// customer id, or a set of any other `kind` (e.g. `dropbox`), as a host
/// product could list them.
#[derive(Deserialize)]
#[serde(tag = "kind")]
enum NewBackupSet {
    #[serde(rename = "microsoft365")]
    Microsoft365 {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        name: Option<String>,
        tenant_id: String,
        #[serde(default)]
        tenant_name: Option<String>,
    },
    #[serde(rename = "google_workspace")]
    GoogleWorkspace {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        name: Option<String>,
        customer_id: String,
        domain: String,
    },
    #[serde(untagged)]
    Other {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        name: Option<String>,
        kind: String,
    },
}

/// Adds a backup set (creating the company if needed).
async fn add_backup_set(
    State(sim): State<AppState>,
    Path(company): Path<String>,
    b: Bytes,
) -> Response {
    let body = body!(NewBackupSet, b);
    let mut w = lock(&sim.world);
    let set = match body {
        NewBackupSet::Microsoft365 {
            id,
            name,
            tenant_id,
            tenant_name,
        } => {
            let tname = tenant_name
                .or_else(|| w.tenant(&tenant_id).map(|t| t.name.clone()))
                .unwrap_or_else(|| "Unknown tenant".to_owned());
            BackupSet::Microsoft365 {
                id: id.unwrap_or_else(|| format!("bs-{}", &guid()[..8])),
                name: name.unwrap_or_else(|| format!("{tname} Microsoft 365")),
                tenant_id,
                tenant_name: tname,
            }
        }
        NewBackupSet::GoogleWorkspace {
            id,
            name,
            customer_id,
            domain,
        } => BackupSet::GoogleWorkspace {
            id: id.unwrap_or_else(|| format!("bs-{}", &guid()[..8])),
            name: name.unwrap_or_else(|| domain.clone()),
            customer_id,
            domain,
        },
        NewBackupSet::Other { id, name, kind } => BackupSet::Other {
            id: id.unwrap_or_else(|| format!("bs-{}", &guid()[..8])),
            name: name.unwrap_or_else(|| format!("{kind} backups")),
            kind,
        },
    };
    let c = w
        .companies
        .entry(company.clone())
        .or_insert_with(|| Company {
            id: company.clone(),
            name: company.clone(),
            backup_sets: Vec::new(),
        });
    if c.backup_sets.iter().any(|s| s.id() == set.id()) {
        return err(StatusCode::CONFLICT, "backup set id exists");
    }
    c.backup_sets.push(set.clone());
    (StatusCode::CREATED, Json(json!(set))).into_response()
}

async fn remove_backup_set(
    State(sim): State<AppState>,
    Path((company, id)): Path<(String, String)>,
) -> Response {
    let mut w = lock(&sim.world);
    let Some(c) = w.companies.get_mut(&company) else {
        return not_found("company");
    };
    let before = c.backup_sets.len();
    c.backup_sets.retain(|s| s.id() != id);
    if c.backup_sets.len() == before {
        not_found("backup set")
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn list_faults(State(sim): State<AppState>) -> Json<Value> {
    Json(json!({"faults": lock(&sim.faults).rules}))
}

async fn add_fault(State(sim): State<AppState>, b: Bytes) -> Response {
    let spec = body!(FaultSpec, b);
    if let crate::faults::FaultAction::Status { status } = spec.action
        && !(100..=599).contains(&status)
    {
        return bad("status must be 100-599");
    }
    let rule = lock(&sim.faults).add(spec);
    (StatusCode::CREATED, Json(json!(rule))).into_response()
}

async fn clear_faults(State(sim): State<AppState>) -> StatusCode {
    lock(&sim.faults).rules.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(sim): State<AppState>, Path(id): Path<u64>) -> Response {
    if lock(&sim.faults).remove(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found("fault")
    }
}

#[derive(Deserialize)]
struct LogQuery {
    #[serde(default)]
    service: Option<String>,
}

async fn list_requests(State(sim): State<AppState>, Query(q): Query<LogQuery>) -> Json<Value> {
    Json(json!({"requests": lock(&sim.log).list(q.service.as_deref())}))
}

async fn list_sink(State(sim): State<AppState>) -> Json<Value> {
    Json(json!({"received": lock(&sim.sink).clone()}))
}

async fn clear_sink(State(sim): State<AppState>) -> StatusCode {
    lock(&sim.sink).clear();
    StatusCode::NO_CONTENT
}

async fn clear_requests(State(sim): State<AppState>) -> StatusCode {
    lock(&sim.log).clear();
    StatusCode::NO_CONTENT
}
