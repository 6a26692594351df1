//! Key Vault's error answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::model::{ErrorDetail, KeyVaultError};
use crate::state::Vault;

/// `{"error":{"code","message","innererror"?}}` with `status`.
pub fn error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let body = KeyVaultError {
        error: ErrorDetail {
            code: code.to_owned(),
            message: Some(message.to_owned()),
            innererror: inner.map(|c| {
                Box::new(ErrorDetail {
                    code: c.to_owned(),
                    message: None,
                    innererror: None,
                })
            }),
        },
    };
    (status, axum::Json(body)).into_response()
}

/// 400 `BadParameter`.
pub fn bad_parameter(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "BadParameter", message, None)
}

/// 401 with the challenge naming the vault's tenant.
pub fn unauthorized(vault: &Vault, message: &str) -> Response {
    let mut resp = error(StatusCode::UNAUTHORIZED, "Unauthorized", message, None);
    let challenge = format!(
        "Bearer authorization=\"https://login.windows.net/{}\", resource=\"{}\"",
        vault.tenant_id,
        vault.resource()
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// 404 `KeyNotFound`.
pub fn key_not_found(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "KeyNotFound",
        &format!(
            "A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None,
    )
}

/// 404 `SecretNotFound`.
pub fn secret_not_found(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None,
    )
}

/// 403 on an RBAC vault without a matching assignment.
pub fn forbidden_rbac(
    vault: &Vault,
    caller: &str,
    action: &str,
    resource_suffix: &str,
) -> Response {
    let message = format!(
        "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {caller}\r\nAction: '{action}'\r\nResource: '/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.keyvault/vaults/{name}{resource_suffix}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {name};location={loc} ",
        sub = vault.subscription_id,
        rg = vault.resource_group,
        name = vault.name,
        loc = vault.location,
    );
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some("ForbiddenByRbac"),
    )
}

/// 403 on an access-policy vault without the permission.
pub fn forbidden_policy(vault: &Vault, caller: &str, area: &str, permission: &str) -> Response {
    let message = format!(
        "The user, group or application '{caller}' does not have {area} {permission} permission on key vault '{name};location={loc}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
        name = vault.name,
        loc = vault.location,
    );
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some("AccessDenied"),
    )
}

/// 429 `Throttled` (no Retry-After, as observed).
pub fn throttled() -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "Throttled",
        "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
        None,
    )
}

/// 403 from the vault's firewall (public network access disabled, or the
/// caller's address not in the allowed networks), as recorded.
pub fn forbidden_firewall(vault: &Vault, caller: &str) -> Response {
    let message = format!(
        "Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.7\r\nCaller: {caller}\r\nVault: {name};location={loc}",
        name = vault.name,
        loc = vault.location,
    );
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some("ForbiddenByFirewall"),
    )
}

/// 404 for a deleted key that does not exist (never deleted, recovered, or
/// purged).
pub fn deleted_key_not_found(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "KeyNotFound",
        &format!("Deleted Key not found: {name}"),
        None,
    )
}

/// 409 when a key of that name is already deleted (and not yet purged).
pub fn deleted_but_recoverable(name: &str) -> Response {
    error(
        StatusCode::CONFLICT,
        "Conflict",
        &format!(
            "Key {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged."
        ),
        Some("ObjectIsDeletedButRecoverable"),
    )
}
