//! Key Vault's error answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::model::{ErrorDetail, KeyVaultError};
use crate::state::{Cloud, FirewallVariant, Vault, VaultKind};

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

/// The authority a vault's 401 challenge names. Recorded: a public vault
/// says `https://login.windows.net/<tid>`, a Managed HSM
/// `https://login.microsoftonline.com/<tid>` (azure-sdk-for-js recordings,
/// reviews/fidelity-607aafe.md §1.12). The sovereign hosts are unconfirmed:
/// their clouds' authorities.
pub fn challenge_authority(vault: &Vault) -> &'static str {
    match (vault.kind, vault.cloud) {
        (VaultKind::Vault, Cloud::Public) => "https://login.windows.net",
        (VaultKind::ManagedHsm, Cloud::Public) => "https://login.microsoftonline.com",
        (_, Cloud::China) => "https://login.chinacloudapi.cn",
        (_, Cloud::Usgov) => "https://login.microsoftonline.us",
    }
}

/// 401 with the challenge naming the vault's tenant and its cloud's
/// resource. A Key Vault answers the JSON error; a Managed HSM answers an
/// **empty** body (recorded, `content-length: 0`).
pub fn unauthorized(vault: &Vault, message: &str) -> Response {
    let mut resp = match vault.kind {
        VaultKind::Vault => error(StatusCode::UNAUTHORIZED, "Unauthorized", message, None),
        VaultKind::ManagedHsm => StatusCode::UNAUTHORIZED.into_response(),
    };
    let challenge = format!(
        "Bearer authorization=\"{}/{}\", resource=\"{}\"",
        challenge_authority(vault),
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
        "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {caller}\r\nAction: '{action}'\r\nResource: '/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.keyvault/vaults/{name}{resource_suffix}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {name};location={loc}\r\n",
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

/// 403 from the vault's firewall, in the recorded wording of `variant`
/// (reviews/fidelity-607aafe.md §1.11): the caller's address not allowed
/// (hashicorp/terraform-provider-azurerm#20742, Azure/sap-automation#245),
/// public network access disabled, or a network security perimeter (Azure
/// Container Apps troubleshooting doc); inner `ForbiddenByFirewall` always.
pub fn forbidden_firewall(vault: &Vault, caller: &str, variant: FirewallVariant) -> Response {
    let (name, loc) = (&vault.name, &vault.location);
    let message = match variant {
        FirewallVariant::ClientAddress => format!(
            "Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.7\r\nCaller: {caller}\r\nVault: {name};location={loc}"
        ),
        FirewallVariant::PublicNetworkDisabled => format!(
            "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: {caller}\r\nVault: {name};location={loc}"
        ),
        FirewallVariant::Perimeter => format!(
            "Request was not allowed by NSP rules and the client address is not authorized and caller was ignored because bypass is set to None\r\nClient address: 203.0.113.7\r\nCaller: {caller}\r\nVault: {name};location={loc}"
        ),
    };
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some("ForbiddenByFirewall"),
    )
}

/// 403 "Access denied to first party service" with inner `AccessDenied`
/// (azure-sdk-for-go/-cpp `sdk/keyvault/TROUBLESHOOTING.md`, "Access Denied
/// to First Party Service"): the vault lets only trusted Microsoft services
/// through, and the caller is not one. Not an access-policy refusal, though
/// the inner code is the same.
pub fn forbidden_first_party(vault: &Vault, caller: &str) -> Response {
    let message = format!(
        "Access denied to first party service.\r\nCaller: {caller}\r\nVault: {name};location={loc}",
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
