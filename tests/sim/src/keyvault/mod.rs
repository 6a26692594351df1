//! Azure Key Vault data plane (keys, versions, wrap/unwrap, rotation).
//!
//! A vault is addressed either by the Host header (its canonical host or a
//! registered alias such as `localhost:8791`) or by the path prefix
//! `/kv/{vault-host}/…`.

pub mod access;
pub mod crypto;
pub mod errors;
pub mod model;
pub mod rotation;
pub mod throttle;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use self::access::{Action, Denied};
use self::crypto::Alg;
use self::model::*;
use crate::forge::{jwk_parts, materialize};
use crate::state::{AppState, Key, KeyVersion, Material, Vault, VaultKind};
use crate::util::{b64_decode_tolerant, b64url, lock, now, param, parse_form};

/// Stable data-plane API versions accepted.
pub const API_VERSIONS: &[&str] = &["7.4", "7.5", "7.6", "2025-07-01"];

/// How a request reached a vault.
#[derive(Debug, Clone)]
pub struct Target {
    /// The vault's canonical host.
    pub host: String,
    /// Origin used in returned ids (`https://contoso-kms.vault.azure.net` or the alias).
    pub base: String,
}

/// Finds the vault a Host header names: (canonical host, matched an alias?).
pub fn vault_for_host(sim: &AppState, host: &str) -> Option<(String, bool)> {
    let world = lock(&sim.world);
    let host = host.trim().to_ascii_lowercase();
    let bare = host.split(':').next().unwrap_or("");
    for v in &world.vaults {
        if v.host.eq_ignore_ascii_case(bare) {
            return Some((v.host.clone(), false));
        }
        if v.aliases.iter().any(|a| a.eq_ignore_ascii_case(&host)) {
            return Some((v.host.clone(), true));
        }
    }
    None
}

/// Is this a Key Vault object path (so Host-addressed requests go to the vault)?
pub fn is_vault_path(path: &str) -> bool {
    ["/keys", "/secrets", "/deletedkeys", "/certificates"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

#[derive(Debug, Clone, Copy)]
enum CryptoOp {
    Wrap,
    Unwrap,
    Encrypt,
    Decrypt,
}

impl CryptoOp {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "wrapkey" => Some(CryptoOp::Wrap),
            "unwrapkey" => Some(CryptoOp::Unwrap),
            "encrypt" => Some(CryptoOp::Encrypt),
            "decrypt" => Some(CryptoOp::Decrypt),
            _ => None,
        }
    }
    fn action(self) -> Action {
        match self {
            CryptoOp::Wrap => Action::KeyWrap,
            CryptoOp::Unwrap => Action::KeyUnwrap,
            CryptoOp::Encrypt => Action::KeyEncrypt,
            CryptoOp::Decrypt => Action::KeyDecrypt,
        }
    }
    fn forward(self) -> bool {
        matches!(self, CryptoOp::Wrap | CryptoOp::Encrypt)
    }
}

#[derive(Debug)]
enum Op {
    ListKeys,
    ListVersions(String),
    Get(String, Option<String>),
    Rotate(String),
    GetRotationPolicy(String),
    PutRotationPolicy(String),
    Update(String, Option<String>),
    Crypto(String, Option<String>, CryptoOp),
    GetSecret(String),
    Delete(String),
    ListDeleted,
    GetDeleted(String),
    Recover(String),
}

impl Op {
    fn action(&self) -> Action {
        match self {
            Op::ListKeys | Op::ListVersions(_) | Op::Get(..) => Action::KeyRead,
            Op::Rotate(_) => Action::KeyRotate,
            Op::GetRotationPolicy(_) => Action::RotationPolicyRead,
            Op::PutRotationPolicy(_) => Action::RotationPolicyWrite,
            Op::Update(..) => Action::KeyUpdate,
            Op::Crypto(_, _, c) => c.action(),
            Op::GetSecret(_) => Action::SecretGet,
            Op::Delete(_) => Action::KeyDelete,
            Op::ListDeleted | Op::GetDeleted(_) => Action::DeletedKeyRead,
            Op::Recover(_) => Action::KeyRecover,
        }
    }
    fn object(&self) -> Option<&str> {
        match self {
            Op::ListKeys | Op::ListDeleted => None,
            Op::Delete(n) | Op::GetDeleted(n) | Op::Recover(n) => Some(n),
            Op::ListVersions(n)
            | Op::Get(n, _)
            | Op::Rotate(n)
            | Op::GetRotationPolicy(n)
            | Op::PutRotationPolicy(n)
            | Op::Update(n, _)
            | Op::Crypto(n, _, _)
            | Op::GetSecret(n) => Some(n),
        }
    }
}

fn valid_object_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn parse_op(method: &Method, rest: &str) -> Result<Op, Response> {
    let mut segs: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    if segs.len() > 1 && segs.last() == Some(&"") {
        segs.pop();
    }
    let op = match (method.as_str(), segs.as_slice()) {
        ("GET", ["keys"]) => Op::ListKeys,
        ("GET", ["keys", n]) => Op::Get((*n).to_owned(), None),
        ("GET", ["keys", n, "versions"]) => Op::ListVersions((*n).to_owned()),
        ("GET", ["keys", n, "rotationpolicy"]) => Op::GetRotationPolicy((*n).to_owned()),
        ("PUT", ["keys", n, "rotationpolicy"]) => Op::PutRotationPolicy((*n).to_owned()),
        ("GET", ["keys", n, v]) => Op::Get((*n).to_owned(), Some((*v).to_owned())),
        ("POST", ["keys", n, "rotate"]) => Op::Rotate((*n).to_owned()),
        ("PATCH", ["keys", n]) => Op::Update((*n).to_owned(), None),
        ("PATCH", ["keys", n, v]) => Op::Update((*n).to_owned(), Some((*v).to_owned())),
        ("POST", ["keys", n, op]) if CryptoOp::parse(op).is_some() => Op::Crypto(
            (*n).to_owned(),
            None,
            CryptoOp::parse(op).ok_or_else(not_found_path)?,
        ),
        ("POST", ["keys", n, v, op]) if CryptoOp::parse(op).is_some() => Op::Crypto(
            (*n).to_owned(),
            Some((*v).to_owned()),
            CryptoOp::parse(op).ok_or_else(not_found_path)?,
        ),
        ("GET", ["secrets", n]) | ("GET", ["secrets", n, _]) => Op::GetSecret((*n).to_owned()),
        ("DELETE", ["keys", n]) => Op::Delete((*n).to_owned()),
        ("GET", ["deletedkeys"]) => Op::ListDeleted,
        ("GET", ["deletedkeys", n]) => Op::GetDeleted((*n).to_owned()),
        ("POST", ["deletedkeys", n, "recover"]) => Op::Recover((*n).to_owned()),
        _ => return Err(not_found_path()),
    };
    if let Some(name) = op.object()
        && !valid_object_name(name)
    {
        return Err(errors::bad_parameter(&format!(
            "The request URI contains an invalid name: {name}. Names must be 1-127 characters long and contain only 0-9, a-z, A-Z and '-'."
        )));
    }
    Ok(op)
}

fn not_found_path() -> Response {
    errors::error(
        StatusCode::NOT_FOUND,
        "BadParameter",
        "The requested URI does not represent any resource on the server.",
        None,
    )
}

/// Checks the `api-version` query parameter.
fn check_api_version(query: Option<&str>) -> Result<(), Response> {
    let pairs = parse_form(query.unwrap_or("")).unwrap_or_default();
    match param(&pairs, "api-version") {
        Some(v) if API_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(errors::bad_parameter(&format!(
            "The specified version ({v}) is not recognized. Consider using the latest supported version (2025-07-01)."
        ))),
        None => Err(errors::bad_parameter(
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
    }
}

/// The authenticated caller.
struct Caller {
    oid: String,
    display: String,
}

async fn authenticate(
    sim: &AppState,
    vault: &Vault,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    let missing = "AKV10000: Request is missing a Bearer or PoP token.";
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match auth.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
            t.trim()
        }
        _ => return Err(errors::unauthorized(vault, missing)),
    };
    let Some(key) = materialize(sim.entra_key.clone()).await else {
        return Err(errors::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Signing key unavailable.",
            None,
        ));
    };
    let Some(claims) = crate::jwt::verify(&key, token) else {
        return Err(errors::unauthorized(
            vault,
            "AKV10013: Token validation failed: the signature is invalid.",
        ));
    };
    let s = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let t = now();
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
    if exp <= t {
        return Err(errors::unauthorized(
            vault,
            "AKV10017: The token has expired.",
        ));
    }
    if nbf > t + 300 {
        return Err(errors::unauthorized(
            vault,
            "AKV10018: The token is not yet valid.",
        ));
    }
    let aud = s("aud");
    let resource = vault.resource();
    if aud.trim_end_matches('/') != resource {
        return Err(errors::unauthorized(
            vault,
            &format!("AKV10022: Invalid audience. Expected {resource}, found: {aud}."),
        ));
    }
    let tid = s("tid");
    if !tid.eq_ignore_ascii_case(&vault.tenant_id) {
        return Err(errors::unauthorized(
            vault,
            &format!(
                "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{vt}/, https://login.microsoftonline.com/{vt}/v2.0, found https://sts.windows.net/{tid}/.",
                vt = vault.tenant_id
            ),
        ));
    }
    let oid = s("oid");
    let display = format!("appid={};oid={oid};iss={}", s("appid"), s("iss"));
    Ok(Caller { oid, display })
}

/// The vault's soft-delete setting: recovery level and retention days.
pub fn recovery(vault: &Vault) -> (&'static str, i64) {
    match vault.kind {
        VaultKind::Vault => ("CustomizedRecoverable+Purgeable", 7),
        VaultKind::ManagedHsm => ("Recoverable+Purgeable", 90),
    }
}

fn attributes(v: &KeyVersion, rec: (&str, i64)) -> KeyAttributes {
    KeyAttributes {
        enabled: Some(v.enabled),
        nbf: v.nbf,
        exp: v.exp,
        created: Some(v.created),
        updated: Some(v.updated),
        recovery_level: Some(rec.0.to_owned()),
        recoverable_days: Some(rec.1),
        exportable: Some(false),
    }
}

async fn bundle(
    base: &str,
    name: &str,
    v: &KeyVersion,
    rec: (&str, i64),
) -> Result<KeyBundle, Response> {
    let mut jwk = JsonWebKey {
        kid: Some(format!("{base}/keys/{name}/{}", v.version)),
        kty: Some(v.kty.as_str().to_owned()),
        key_ops: Some(v.key_ops.clone()),
        ..JsonWebKey::default()
    };
    match &v.material {
        Material::Rsa(k) => {
            let key = materialize(k.clone()).await.ok_or_else(internal)?;
            let (n, e) = jwk_parts(&key.to_public_key());
            jwk.n = Some(n);
            jwk.e = Some(e);
        }
        Material::Ec { crv, x, y } => {
            jwk.crv = Some(crv.clone());
            jwk.x = Some(x.clone());
            jwk.y = Some(y.clone());
        }
    }
    let tags = (!v.tags.is_empty()).then(|| {
        v.tags
            .iter()
            .map(|(k, x)| (k.clone(), Value::String(x.clone())))
            .collect()
    });
    Ok(KeyBundle {
        key: jwk,
        attributes: attributes(v, rec),
        tags,
    })
}

fn internal() -> Response {
    errors::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerError",
        "The service encountered an internal error.",
        None,
    )
}

fn pick_version<'a>(
    key: &'a Key,
    name: &str,
    version: Option<&str>,
) -> Result<&'a KeyVersion, Response> {
    match version {
        None => key.latest().ok_or_else(|| errors::key_not_found(name)),
        Some(v) => key
            .version(v)
            .ok_or_else(|| errors::key_not_found(&format!("{name}/{v}"))),
    }
}

/// Answers one Key Vault data-plane request.
pub async fn handle(
    sim: AppState,
    target: Target,
    method: Method,
    rest: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = check_api_version(query.as_deref()) {
        return r;
    }
    let op = match parse_op(&method, &rest) {
        Ok(op) => op,
        Err(r) => return r,
    };
    let Some(vault) = lock(&sim.world).vault(&target.host).cloned() else {
        return not_found_path();
    };
    let caller = match authenticate(&sim, &vault, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };

    // The firewall answers before anything else is looked at.
    if vault.firewall {
        return errors::forbidden_firewall(&vault, &caller.display, vault.firewall_variant);
    }
    if vault.first_party_only {
        return errors::forbidden_first_party(&vault, &caller.display);
    }

    // Throttling: the limit depends on the key addressed.
    let (bits, hsm) = op
        .object()
        .and_then(|n| vault.key(n))
        .and_then(|(_, k)| k.latest())
        .map(|v| (v.bits(), v.kty.hsm()))
        .unwrap_or((2048, vault.kind == VaultKind::ManagedHsm));
    let limit = vault.throttle_limit.unwrap_or_else(|| {
        throttle::published_limit(bits, hsm || vault.kind == VaultKind::ManagedHsm)
    });
    if !lock(&sim.throttle).admit(&vault.host, limit, now()) {
        return errors::throttled();
    }

    let action = op.action();
    if let Err(denied) = access::decide(&vault, &caller.oid, action, op.object()) {
        return match denied {
            Denied::Rbac => {
                let suffix = match op.object() {
                    Some(n) if action == Action::SecretGet => format!("/secrets/{n}"),
                    Some(n) => format!("/keys/{n}"),
                    None => String::new(),
                };
                errors::forbidden_rbac(&vault, &caller.display, action.data_action(), &suffix)
            }
            Denied::Policy => {
                let (area, perm) = action.policy();
                let perm = if matches!(op, Op::ListKeys | Op::ListVersions(_)) {
                    "list"
                } else {
                    perm
                };
                errors::forbidden_policy(&vault, &caller.display, area, perm)
            }
        };
    }

    let rec = recovery(&vault);
    let base = target.base.trim_end_matches('/').to_owned();
    match op {
        Op::ListKeys => {
            let value = vault
                .keys
                .iter()
                .filter_map(|(name, k)| {
                    k.latest().map(|v| KeyItem {
                        kid: format!("{base}/keys/{name}"),
                        attributes: attributes(v, rec),
                    })
                })
                .collect();
            axum::Json(KeyListResult { value, next_link: None }).into_response()
        }
        Op::ListVersions(name) => {
            let Some((canon, key)) = vault.key(&name) else {
                return errors::key_not_found(&name);
            };
            let value = key
                .versions
                .iter()
                .map(|v| KeyItem {
                    kid: format!("{base}/keys/{canon}/{}", v.version),
                    attributes: attributes(v, rec),
                })
                .collect();
            axum::Json(KeyListResult { value, next_link: None }).into_response()
        }
        Op::Get(name, version) => {
            let Some((canon, key)) = vault.key(&name) else {
                return errors::key_not_found(&name);
            };
            let v = match pick_version(key, canon, version.as_deref()) {
                Ok(v) => v,
                Err(r) => return r,
            };
            // The toggle for the unconfirmed shape (reviews/fidelity-607aafe.md
            // §1.1): GET of a disabled key answering 403 `KeyDisabled`, as the
            // recorded disabled-secret answer does, instead of 200.
            if !v.enabled && lock(&sim.world).toggles.disabled_key_get_forbidden {
                return errors::error(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "Operation get is not allowed on a disabled key.",
                    Some("KeyDisabled"),
                );
            }
            match bundle(&base, canon, v, rec).await {
                Ok(b) => axum::Json(b).into_response(),
                Err(r) => r,
            }
        }
        Op::Rotate(name) => rotate(&sim, &vault, &base, &name, rec).await,
        Op::GetRotationPolicy(name) => rotation::get(&sim, &vault.host, &base, &name),
        Op::PutRotationPolicy(name) => rotation::put(&sim, &vault.host, &base, &name, &body),
        Op::Update(name, version) => {
            update(&sim, &vault, &base, &name, version.as_deref(), &body, rec).await
        }
        Op::Crypto(name, version, cop) => {
            let Some((canon, key)) = vault.key(&name) else {
                return errors::key_not_found(&name);
            };
            let v = match pick_version(key, canon, version.as_deref()) {
                Ok(v) => v,
                Err(r) => return r,
            };
            crypto_op(&base, canon, v, cop, &body).await
        }
        Op::Delete(name) => soft_delete(&sim, &vault.host, &base, &name, rec)
            .await
            .unwrap_or_else(|r| r),
        Op::ListDeleted => {
            let value: Vec<DeletedKeyItem> = vault
                .deleted_keys
                .iter()
                .filter_map(|(name, d)| {
                    d.key.latest().map(|v| DeletedKeyItem {
                        recovery_id: format!("{base}/deletedkeys/{name}"),
                        deleted_date: d.deleted_date,
                        scheduled_purge_date: d.scheduled_purge_date,
                        kid: format!("{base}/keys/{name}"),
                        attributes: attributes(v, rec),
                    })
                })
                .collect();
            axum::Json(serde_json::json!({"value": value, "nextLink": null})).into_response()
        }
        Op::GetDeleted(name) => {
            let Some((canon, d)) = vault
                .deleted_keys
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&name))
            else {
                return errors::deleted_key_not_found(&name);
            };
            match deleted_bundle(&base, canon, d, rec).await {
                Ok(b) => axum::Json(b).into_response(),
                Err(r) => r,
            }
        }
        Op::Recover(name) => recover(&sim, &vault.host, &base, &name, rec)
            .await
            .unwrap_or_else(|r| r),
        Op::GetSecret(name) => match vault.secrets.iter().find(|(k, _)| k.eq_ignore_ascii_case(&name)) {
            Some((canon, value)) => axum::Json(serde_json::json!({
                "value": value,
                "id": format!("{base}/secrets/{canon}/{}", crate::util::stable_version(&format!("secret/{}/{canon}", vault.name))),
                "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000, "recoveryLevel": rec.0, "recoverableDays": rec.1},
            }))
            .into_response(),
            None => errors::secret_not_found(&name),
        },
    }
}

/// The answer of `DELETE /keys/{name}` and `GET /deletedkeys/{name}`.
async fn deleted_bundle(
    base: &str,
    name: &str,
    d: &crate::state::DeletedKey,
    rec: (&str, i64),
) -> Result<DeletedKeyBundle, Response> {
    let latest = d.key.latest().ok_or_else(|| errors::key_not_found(name))?;
    let b = bundle(base, name, latest, rec).await?;
    Ok(DeletedKeyBundle {
        recovery_id: format!("{base}/deletedkeys/{name}"),
        deleted_date: d.deleted_date,
        scheduled_purge_date: d.scheduled_purge_date,
        key: b.key,
        attributes: b.attributes,
        tags: b.tags,
    })
}

/// Soft-deletes `name` in the vault `host`: the key leaves `/keys` and is
/// kept under `/deletedkeys` for the vault's retention (`recoverableDays`).
pub async fn soft_delete(
    sim: &AppState,
    host: &str,
    base: &str,
    name: &str,
    rec: (&str, i64),
) -> Result<Response, Response> {
    let (canon, deleted) = {
        let mut world = lock(&sim.world);
        let vault = world
            .vault_mut(host)
            .ok_or_else(|| errors::key_not_found(name))?;
        let canon = vault
            .keys
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| errors::key_not_found(name))?;
        if vault
            .deleted_keys
            .keys()
            .any(|k| k.eq_ignore_ascii_case(name))
        {
            return Err(errors::deleted_but_recoverable(name));
        }
        let key = vault
            .keys
            .remove(&canon)
            .ok_or_else(|| errors::key_not_found(name))?;
        let t = now();
        let deleted = crate::state::DeletedKey {
            key,
            deleted_date: t,
            scheduled_purge_date: t + rec.1 * 86_400,
        };
        vault.deleted_keys.insert(canon.clone(), deleted.clone());
        (canon, deleted)
    };
    let b = deleted_bundle(base, &canon, &deleted, rec).await?;
    Ok(axum::Json(b).into_response())
}

/// Recovers the soft-deleted `name` in the vault `host` with all its
/// versions; answers the key's bundle.
pub async fn recover(
    sim: &AppState,
    host: &str,
    base: &str,
    name: &str,
    rec: (&str, i64),
) -> Result<Response, Response> {
    let (canon, latest) = {
        let mut world = lock(&sim.world);
        let vault = world
            .vault_mut(host)
            .ok_or_else(|| errors::deleted_key_not_found(name))?;
        let canon = vault
            .deleted_keys
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| errors::deleted_key_not_found(name))?;
        let d = vault
            .deleted_keys
            .remove(&canon)
            .ok_or_else(|| errors::deleted_key_not_found(name))?;
        let latest = d.key.latest().cloned();
        vault.keys.insert(canon.clone(), d.key);
        (canon, latest.ok_or_else(|| errors::key_not_found(name))?)
    };
    let b = bundle(base, &canon, &latest, rec).await?;
    Ok(axum::Json(b).into_response())
}

async fn rotate(
    sim: &AppState,
    vault: &Vault,
    base: &str,
    name: &str,
    rec: (&str, i64),
) -> Response {
    let Some((canon, key)) = vault.key(name) else {
        return errors::key_not_found(name);
    };
    let Some(latest) = key.latest() else {
        return errors::key_not_found(name);
    };
    let material = match &latest.material {
        Material::Rsa(k) => {
            let fresh = crate::forge::fresh(k.bits());
            if materialize(fresh.clone()).await.is_none() {
                return internal();
            }
            Material::Rsa(fresh)
        }
        Material::Ec { crv, .. } => crate::seed::material(latest.kty, 0, crv, None),
    };
    let mut v = crate::seed::version(latest.kty, material, crate::util::random_version());
    v.key_ops = latest.key_ops.clone();
    let canon = canon.clone();
    {
        let mut world = lock(&sim.world);
        let Some(k) = world
            .vault_mut(&vault.host)
            .and_then(|vm| vm.keys.get_mut(&canon))
        else {
            return errors::key_not_found(name);
        };
        k.versions.push(v.clone());
    }
    match bundle(base, &canon, &v, rec).await {
        Ok(b) => axum::Json(b).into_response(),
        Err(r) => r,
    }
}

/// The update-key body (`PATCH /keys/{name}/{version}`): attributes,
/// operations and tags; what is absent stays as it is.
#[derive(serde::Deserialize)]
struct UpdateBody {
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    attributes: Option<UpdateAttributes>,
    #[serde(default)]
    tags: Option<serde_json::Map<String, Value>>,
}

#[derive(serde::Deserialize)]
struct UpdateAttributes {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

/// Key Vault's limits on tags: at most 15, names up to 512 and values up to
/// 256 characters, values strings.
fn tags_of(
    map: &serde_json::Map<String, Value>,
) -> Result<std::collections::BTreeMap<String, String>, Response> {
    if map.len() > 15 {
        return Err(errors::bad_parameter("A key can have at most 15 tags."));
    }
    let mut out = std::collections::BTreeMap::new();
    for (name, value) in map {
        let Some(value) = value.as_str() else {
            return Err(errors::bad_parameter(&format!(
                "The value of tag '{name}' must be a string."
            )));
        };
        if name.is_empty() || name.chars().count() > 512 || value.chars().count() > 256 {
            return Err(errors::bad_parameter(
                "Tag names are 1-512 characters and tag values at most 256 characters.",
            ));
        }
        out.insert(name.clone(), value.to_owned());
    }
    Ok(out)
}

async fn update(
    sim: &AppState,
    vault: &Vault,
    base: &str,
    name: &str,
    version: Option<&str>,
    body: &[u8],
    rec: (&str, i64),
) -> Response {
    let params: UpdateBody = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(_) => return errors::bad_parameter("The request body is not a valid key update."),
    };
    let tags = match params.tags.as_ref().map(tags_of).transpose() {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some((canon, _)) = vault.key(name) else {
        return errors::key_not_found(name);
    };
    let canon = canon.clone();
    let updated = {
        let mut world = lock(&sim.world);
        let Some(key) = world
            .vault_mut(&vault.host)
            .and_then(|vm| vm.keys.get_mut(&canon))
        else {
            return errors::key_not_found(name);
        };
        let target = match version {
            None | Some("") => key.versions.last_mut(),
            Some(v) => key
                .versions
                .iter_mut()
                .find(|kv| kv.version.eq_ignore_ascii_case(v)),
        };
        let Some(kv) = target else {
            return errors::key_not_found(&format!("{name}/{}", version.unwrap_or("")));
        };
        if let Some(ops) = params.key_ops {
            kv.key_ops = ops;
        }
        if let Some(a) = params.attributes {
            if let Some(e) = a.enabled {
                kv.enabled = e;
            }
            if a.nbf.is_some() {
                kv.nbf = a.nbf;
            }
            if a.exp.is_some() {
                kv.exp = a.exp;
            }
        }
        if let Some(tags) = tags {
            kv.tags = tags;
        }
        kv.updated = now();
        kv.clone()
    };
    match bundle(base, &canon, &updated, rec).await {
        Ok(b) => axum::Json(b).into_response(),
        Err(r) => r,
    }
}

async fn crypto_op(base: &str, name: &str, v: &KeyVersion, cop: CryptoOp, body: &[u8]) -> Response {
    let params: KeyOperationsParameters = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(_) => {
            return errors::bad_parameter(
                "The request body is not valid: it must be a JSON object with the properties 'alg' and 'value'.",
            );
        }
    };
    let op = cop.action().op_name();
    // Recorded for an empty or unknown `alg` (Azure/azure-sdk-for-go#2060,
    // terraform and java logs): "Property  has invalid value\r\n" (the
    // property name left empty, two spaces, CRLF).
    let Some(alg) = Alg::parse(&params.alg) else {
        return errors::bad_parameter("Property  has invalid value\r\n");
    };
    let Material::Rsa(lazy) = &v.material else {
        return errors::bad_parameter(&format!(
            "Key type {} does not support the algorithm {} (operation {op}).",
            v.kty.as_str(),
            params.alg
        ));
    };
    if !v.key_ops.iter().any(|o| o.eq_ignore_ascii_case(op)) {
        return errors::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("Operation {op} is not permitted on this key."),
            Some("KeyOperationForbidden"),
        );
    }
    let t = now();
    if !v.enabled {
        return errors::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("Operation {op} is not allowed on a disabled key."),
            Some("KeyDisabled"),
        );
    }
    // Unwrap (and decrypt) keep working outside nbf–exp (PROTOCOLS.md).
    if let Some(nbf) = v.nbf
        && nbf > t
        && cop.forward()
    {
        return errors::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "Operation {op} is not allowed before the key's activation date ({}).",
                crate::util::rfc3339(nbf)
            ),
            Some("KeyNotYetValid"),
        );
    }
    if let Some(exp) = v.exp
        && exp <= t
        && cop.forward()
    {
        return errors::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "Operation {op} is not allowed on an expired key ({}).",
                crate::util::rfc3339(exp)
            ),
            Some("KeyExpired"),
        );
    }
    // Recorded (bruj0/vault-recovery-key#20) for a `value` that is not base64url.
    let Some(data) = b64_decode_tolerant(&params.value) else {
        return errors::bad_parameter("Content of 'value' is not base64url.\r\n");
    };
    let Some(key) = materialize(lazy.clone()).await else {
        return internal();
    };
    let result = if cop.forward() {
        crypto::encrypt(&key, alg, &data)
    } else {
        crypto::decrypt(&key, alg, &data)
    };
    match result {
        Ok(out) => axum::Json(KeyOperationResult {
            kid: format!("{base}/keys/{name}/{}", v.version),
            value: b64url(&out),
        })
        .into_response(),
        Err(_) if cop.forward() => errors::bad_parameter(&format!(
            "The value is too long for the key size and algorithm {}.",
            params.alg
        )),
        // Recorded: OAEP padding that does not decode (MicrosoftDocs/azure-docs
        // #111368 and #39976, Azure/azure-sdk-for-net#36269), otherwise
        // pulumi/pulumi#22338's text.
        Err(_) if alg.oaep() => {
            errors::bad_parameter("Error occurred while decoding OAEP padding.")
        }
        Err(_) => errors::bad_parameter("Unable to decrypt specified value with this key."),
    }
}
