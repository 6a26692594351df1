//! Azure Key Vault's JSON, and turning its refusals into catalog errors.
//!
//! The serde types are shared by the edge (client) and the simulator
//! (server) so both speak the same shapes.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;
use crate::ids::TenantId;

/// `GET /keys/{name}[/{version}]` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBundle {
    /// The public part of the key.
    pub key: JsonWebKey,
    /// Enabled flag, validity window and bookkeeping.
    #[serde(default)]
    pub attributes: KeyAttributes,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Whether the key's lifetime is managed by Key Vault (certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
}

/// A JSON Web Key as Key Vault returns it (public parts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    /// The versioned key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Key type: `RSA`, `RSA-HSM`, `EC`, `EC-HSM`, `oct`, `oct-HSM`.
    pub kty: String,
    /// Operations the key permits, e.g. `wrapKey`, `unwrapKey`.
    #[serde(default)]
    pub key_ops: Vec<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Elliptic curve name, for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A key's attributes. Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyAttributes {
    /// Whether the key version is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Not valid before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Not valid after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    /// Soft-delete recovery level, e.g. `CustomizedRecoverable+Purgeable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_level: Option<String>,
    /// Days a deleted key stays recoverable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recoverable_days: Option<u32>,
    /// Whether the private key can be exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
}

/// Body of `POST …/wrapkey` and `…/unwrapkey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOperationRequest {
    /// Algorithm, e.g. `RSA-OAEP-256`.
    pub alg: String,
    /// The bytes to wrap or unwrap, base64url.
    pub value: String,
}

/// Answer of `wrapkey` / `unwrapkey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOperationResult {
    /// The versioned key id that did the operation.
    pub kid: String,
    /// The result, base64url (decode with [`decode_base64url_lenient`]).
    pub value: String,
}

/// Key Vault's error answer: `{"error":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVaultErrorBody {
    /// The error.
    pub error: KeyVaultError,
}

/// One level of a Key Vault error; `innererror` nests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVaultError {
    /// Error code, e.g. `Forbidden`, `KeyNotFound`, `ForbiddenByRbac`.
    pub code: String,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A more specific error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub innererror: Option<Box<KeyVaultError>>,
}

impl KeyVaultError {
    /// Every code from the outer error inwards.
    #[must_use]
    pub fn codes(&self) -> Vec<&str> {
        let mut out = vec![self.code.as_str()];
        let mut inner = self.innererror.as_deref();
        while let Some(e) = inner {
            out.push(e.code.as_str());
            inner = e.innererror.as_deref();
        }
        out
    }
}

/// Decodes base64url, tolerating padding and the standard alphabet (`+`, `/`),
/// which a Key Vault spec example uses. `None` when it is not base64 at all.
#[must_use]
pub fn decode_base64url_lenient(value: &str) -> Option<Vec<u8>> {
    let normalised: String = value
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(normalised)
        .ok()
}

/// Encodes bytes as base64url without padding, as Key Vault expects.
#[must_use]
pub fn encode_base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The parameters of a `WWW-Authenticate: Bearer …` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// `authorization` (or `authorization_uri`): the authority URL.
    pub authorization: Option<String>,
    /// `resource`: the token audience.
    pub resource: Option<String>,
    /// `scope`, when given.
    pub scope: Option<String>,
}

impl BearerChallenge {
    /// The tenant id: the first path segment of the authority URL, e.g.
    /// `https://login.windows.net/<tenant>`.
    #[must_use]
    pub fn tenant_id(&self) -> Option<TenantId> {
        let authority = self.authorization.as_deref()?;
        let (_, rest) = authority.split_once("://")?;
        let mut parts = rest.split('/');
        let _host = parts.next()?;
        parts.next()?.parse().ok()
    }
}

/// Parses a `WWW-Authenticate` header value holding a Bearer challenge.
/// `None` when it is not a Bearer challenge.
#[must_use]
pub fn parse_bearer_challenge(header: &str) -> Option<BearerChallenge> {
    let header = header.trim();
    let scheme_end = header.find(char::is_whitespace).unwrap_or(header.len());
    let (scheme, mut rest) = header.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut challenge = BearerChallenge::default();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end?;
            value = out;
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        match key.as_str() {
            "authorization" | "authorization_uri" => challenge.authorization = Some(value),
            "resource" => challenge.resource = Some(value),
            "scope" => challenge.scope = Some(value),
            _ => {}
        }
    }
    Some(challenge)
}

/// Turns a Key Vault refusal (status, body, `WWW-Authenticate` header) into
/// the catalog error an administrator sees. Never fails: an unreadable body
/// still maps by status.
#[must_use]
pub fn map_key_vault_error(
    status: u16,
    body: &str,
    www_authenticate: Option<&str>,
) -> CatalogError {
    let parsed = serde_json::from_str::<KeyVaultErrorBody>(body).ok();
    let codes: Vec<String> = parsed
        .as_ref()
        .map(|b| {
            b.error
                .codes()
                .into_iter()
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let has = |code: &str| codes.iter().any(|c| c == code);
    let message = parsed
        .as_ref()
        .and_then(|b| b.error.message.clone())
        .unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    match status {
        401 => CatalogError::VaultTokenRejected {
            vault_tenant: www_authenticate
                .and_then(parse_bearer_challenge)
                .and_then(|c| c.tenant_id()),
        },
        403 if has("forbiddenbyfirewall") => CatalogError::VaultFirewall,
        403 if has("forbiddenbyrbac") => CatalogError::KeyVaultForbidden,
        // "Operation <op> is not permitted on this key." (recorded, inner
        // `KeyOperationForbidden`): the key's permitted operations, not a
        // role, are what is missing.
        403 if has("keyoperationforbidden") || lower.contains("not permitted on this key") => {
            CatalogError::KeyOperationsMissing {
                missing: vec![operation_named(&message)],
            }
        }
        // "Access denied to first party service" also carries inner
        // `AccessDenied`, but is no access-policy refusal.
        403 if lower.contains("first party service") => CatalogError::FirstPartyServiceDenied,
        403 if has("forbiddenbypolicy") => CatalogError::AccessPolicyVault,
        // An access-policy vault only when the text says the caller lacks a
        // permission ("… does not have keys get permission on key vault …").
        403 if lacks_permission(&lower) => CatalogError::AccessPolicyVault,
        403 if has("keydisabled") || lower.contains("disabled key") => CatalogError::KeyDisabled,
        403 if has("keyexpired") || lower.contains("expired key") => {
            CatalogError::KeyExpired { expired_at: None }
        }
        403 if has("keynotyetvalid") || lower.contains("not yet valid") => {
            CatalogError::KeyNotYetValid { valid_from: None }
        }
        // Anything else: Key Vault refused for a reason keyswitch does not
        // recognise, so no role (or other fix) is advised that may not be
        // the cause; Key Vault's own code and words are passed on.
        403 => CatalogError::KeyVaultForbiddenOther {
            code: codes_shown(parsed.as_ref()),
            reason: reason_shown(&message),
        },
        404 => CatalogError::KeyNotFound {
            key_name: key_name_from_message(&message),
        },
        429 => CatalogError::Throttled,
        408 | 500..=599 => CatalogError::AzureUnavailable,
        // A redirect is never followed with a token: it is not an answer.
        300..=399 => CatalogError::UnexpectedAnswer {
            service: "Azure Key Vault".into(),
        },
        _ => CatalogError::KeyVaultRejected {
            status,
            code: parsed.map_or_else(|| "unknown".to_owned(), |b| b.error.code),
        },
    }
}

/// "… does not have keys get permission on key vault …": the access-policy
/// refusal's words.
fn lacks_permission(lower: &str) -> bool {
    lower
        .split_once("does not have ")
        .is_some_and(|(_, rest)| rest.contains(" permission"))
}

/// The operation of "Operation <op> is not permitted on this key.", as the
/// key's permitted operations name it (`wrapKey`, `unwrapKey`, …).
fn operation_named(message: &str) -> String {
    let named = message
        .split_once("Operation ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .map(|(op, _)| op)
        .unwrap_or("");
    match named.to_ascii_lowercase().as_str() {
        "wrapkey" => "wrapKey".to_owned(),
        "unwrapkey" => "unwrapKey".to_owned(),
        "" => "wrapKey or unwrapKey".to_owned(),
        other if other.chars().all(|c| c.is_ascii_alphabetic()) && other.len() <= 20 => {
            named.to_owned()
        }
        _ => "wrapKey or unwrapKey".to_owned(),
    }
}

/// Key Vault's code and inner codes, e.g. `Forbidden/SomethingNew`, in
/// printable ASCII (at most 100 characters); `unknown` without a body.
fn codes_shown(parsed: Option<&KeyVaultErrorBody>) -> String {
    let joined = parsed
        .map(|b| b.error.codes().join("/"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    printable(&joined, 100)
}

/// The first line of Key Vault's message, in printable ASCII (at most 300
/// characters), when there is one.
fn reason_shown(message: &str) -> Option<String> {
    let line = message.lines().next().unwrap_or("").trim();
    (!line.is_empty()).then(|| printable(line, 300))
}

fn printable(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(max)
        .collect()
}

/// "A key with (name/id) cmk was not found in this key vault." → `cmk`.
fn key_name_from_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("(name/id) ")?;
    let (name, _) = rest.split_once(" was not found")?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn challenge() -> String {
        format!(
            r#"Bearer authorization="https://login.windows.net/{TENANT}", resource="https://vault.azure.net""#
        )
    }

    #[test]
    fn parses_the_key_vault_challenge() {
        let c = parse_bearer_challenge(&challenge()).unwrap();
        assert_eq!(c.resource.as_deref(), Some("https://vault.azure.net"));
        assert_eq!(c.tenant_id().unwrap().as_str(), TENANT);
        let uri = parse_bearer_challenge(&format!(
            "bearer authorization_uri=\"https://login.microsoftonline.com/{TENANT}/\",scope=\"https://vault.azure.net/.default\""
        ))
        .unwrap();
        assert_eq!(uri.tenant_id().unwrap().as_str(), TENANT);
        assert_eq!(
            uri.scope.as_deref(),
            Some("https://vault.azure.net/.default")
        );
        assert_eq!(parse_bearer_challenge("Basic realm=\"x\""), None);
        assert_eq!(
            parse_bearer_challenge("Bearer authorization=\"unterminated"),
            None
        );
        let no_tenant =
            parse_bearer_challenge("Bearer authorization=\"https://login.windows.net/common\"")
                .unwrap();
        assert_eq!(no_tenant.tenant_id(), None);
    }

    #[test]
    fn maps_401_with_tenant_from_challenge() {
        let body = r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#;
        let e = map_key_vault_error(401, body, Some(&challenge()));
        assert_eq!(
            e,
            CatalogError::VaultTokenRejected {
                vault_tenant: Some(TENANT.parse().unwrap())
            }
        );
        assert!(e.fix().contains(TENANT));
        assert_eq!(
            map_key_vault_error(401, body, None),
            CatalogError::VaultTokenRejected { vault_tenant: None }
        );
    }

    #[test]
    fn maps_key_not_found() {
        let body = r#"{"error":{"code":"KeyNotFound","message":"A key with (name/id) cmk was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command."}}"#;
        let e = map_key_vault_error(404, body, None);
        assert_eq!(
            e,
            CatalogError::KeyNotFound {
                key_name: Some("cmk".into())
            }
        );
        assert_eq!(e.message(), "Key not found in the vault");
    }

    #[test]
    fn distinguishes_rbac_from_access_policy_and_firewall() {
        let rbac = r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=…\r\nAction: 'Microsoft.KeyVault/vaults/keys/wrap/action'\r\nResource: '…'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: contoso;location=westeurope\r\n","innererror":{"code":"ForbiddenByRbac"}}}"#;
        assert_eq!(
            map_key_vault_error(403, rbac, None),
            CatalogError::KeyVaultForbidden
        );
        let policy = r#"{"error":{"code":"Forbidden","message":"The user, group or application 'appid=…;oid=…' does not have keys get permission on key vault 'contoso;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287","innererror":{"code":"AccessDenied"}}}"#;
        assert_eq!(
            map_key_vault_error(403, policy, None),
            CatalogError::AccessPolicyVault
        );
        let by_policy = r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"ForbiddenByPolicy"}}}"#;
        assert_eq!(
            map_key_vault_error(403, by_policy, None),
            CatalogError::AccessPolicyVault
        );
        let nested = r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"Other","innererror":{"code":"ForbiddenByFirewall"}}}}"#;
        assert_eq!(
            map_key_vault_error(403, nested, None),
            CatalogError::VaultFirewall
        );
        // A 403 keyswitch cannot read advises no role it can't know is missing.
        let unknown = map_key_vault_error(403, "not json", None);
        assert_eq!(
            unknown,
            CatalogError::KeyVaultForbiddenOther {
                code: "unknown".into(),
                reason: None
            }
        );
        assert!(!unknown.fix().contains("Crypto User"), "{}", unknown.fix());
    }

    /// Recorded (azure-sdk-for-net#11518): the key's permitted operations
    /// lack the operation; the fix is the key's operations, not a role.
    #[test]
    fn key_operation_forbidden_is_the_keys_operations() {
        let body = r#"{"error":{"code":"Forbidden","message":"Operation decrypt is not permitted on this key.","innererror":{"code":"KeyOperationForbidden"}}}"#;
        assert_eq!(
            map_key_vault_error(403, body, None),
            CatalogError::KeyOperationsMissing {
                missing: vec!["decrypt".into()]
            }
        );
        let wrap = r#"{"error":{"code":"Forbidden","message":"Operation wrapKey is not permitted on this key.","innererror":{"code":"KeyOperationForbidden"}}}"#;
        let e = map_key_vault_error(403, wrap, None);
        assert_eq!(
            e,
            CatalogError::KeyOperationsMissing {
                missing: vec!["wrapKey".into()]
            }
        );
        assert!(e.fix().contains("Wrap Key and Unwrap Key operations"));
        assert!(!e.fix().contains("role"), "{}", e.fix());
        // The inner code alone is enough (the operation "may vary").
        let bare =
            r#"{"error":{"code":"Forbidden","innererror":{"code":"KeyOperationForbidden"}}}"#;
        assert_eq!(
            map_key_vault_error(403, bare, None),
            CatalogError::KeyOperationsMissing {
                missing: vec!["wrapKey or unwrapKey".into()]
            }
        );
    }

    /// "Access denied to first party service" carries inner `AccessDenied`
    /// (azure-sdk-for-go TROUBLESHOOTING.md) but is no access-policy vault;
    /// `AccessDenied` without "does not have … permission" is not one either.
    #[test]
    fn access_denied_means_access_policy_only_when_a_permission_is_missing() {
        let first_party = r#"{"error":{"code":"Forbidden","message":"Access denied to first party service.\r\nCaller: appid=…\r\nVault: contoso;location=westeurope","innererror":{"code":"AccessDenied"}}}"#;
        let e = map_key_vault_error(403, first_party, None);
        assert_eq!(e, CatalogError::FirstPartyServiceDenied);
        assert!(!e.fix().contains("access control"), "{}", e.fix());
        let vague = r#"{"error":{"code":"Forbidden","message":"Something else.","innererror":{"code":"AccessDenied"}}}"#;
        assert_eq!(
            map_key_vault_error(403, vague, None),
            CatalogError::KeyVaultForbiddenOther {
                code: "Forbidden/AccessDenied".into(),
                reason: Some("Something else.".into())
            }
        );
        let e = map_key_vault_error(403, vague, None);
        assert_eq!(
            e.detail().as_deref(),
            Some("Key Vault said: Something else.")
        );
    }

    #[test]
    fn maps_disabled_throttled_and_outages() {
        let disabled = r#"{"error":{"code":"Forbidden","message":"Operation wrapKey is not allowed on a disabled key."}}"#;
        assert_eq!(
            map_key_vault_error(403, disabled, None),
            CatalogError::KeyDisabled
        );
        let throttled = r#"{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}}"#;
        assert_eq!(
            map_key_vault_error(429, throttled, None),
            CatalogError::Throttled
        );
        assert_eq!(
            map_key_vault_error(503, "", None),
            CatalogError::AzureUnavailable
        );
        assert_eq!(
            map_key_vault_error(500, "<html>", None),
            CatalogError::AzureUnavailable
        );
        assert_eq!(
            map_key_vault_error(
                400,
                r#"{"error":{"code":"BadParameter","message":"x"}}"#,
                None
            ),
            CatalogError::KeyVaultRejected {
                status: 400,
                code: "BadParameter".into()
            }
        );
        // The operation is named as `key_ops` spells it, whatever the case
        // of Key Vault's message.
        for (said, named) in [
            ("WrapKey", "wrapKey"),
            ("UNWRAPKEY", "unwrapKey"),
            ("unwrapkey", "unwrapKey"),
        ] {
            let body = format!(
                r#"{{"error":{{"code":"Forbidden","message":"Operation {said} is not permitted on this key."}}}}"#
            );
            assert_eq!(
                map_key_vault_error(403, &body, None),
                CatalogError::KeyOperationsMissing {
                    missing: vec![named.into()]
                },
                "{said}"
            );
        }
        // Anything else in the operation's place is not repeated to the
        // admin (only a short alphabetic name is).
        for said in ["<b>wrapKey</b>", "wrap-key", &"a".repeat(21)] {
            let body = format!(
                r#"{{"error":{{"code":"Forbidden","message":"Operation {said} is not permitted on this key."}}}}"#
            );
            assert_eq!(
                map_key_vault_error(403, &body, None),
                CatalogError::KeyOperationsMissing {
                    missing: vec!["wrapKey or unwrapKey".into()]
                },
                "{said}"
            );
        }
        // A key outside its validity window, named by Key Vault's words or
        // by its inner code.
        let expired = [
            r#"{"error":{"code":"Forbidden","message":"Operation unwrapKey is not allowed on an expired key."}}"#,
            r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"KeyExpired"}}}"#,
        ];
        for body in expired {
            assert_eq!(
                map_key_vault_error(403, body, None),
                CatalogError::KeyExpired { expired_at: None },
                "{body}"
            );
        }
        let not_yet = [
            r#"{"error":{"code":"Forbidden","message":"Operation wrapKey is not allowed: the key is not yet valid."}}"#,
            r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"KeyNotYetValid"}}}"#,
        ];
        for body in not_yet {
            assert_eq!(
                map_key_vault_error(403, body, None),
                CatalogError::KeyNotYetValid { valid_from: None },
                "{body}"
            );
        }
        let disabled_code =
            r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"KeyDisabled"}}}"#;
        assert_eq!(
            map_key_vault_error(403, disabled_code, None),
            CatalogError::KeyDisabled
        );
        // A redirect (never followed with a token) is no answer at all, and
        // 408 is an outage like the 5xx.
        for status in [300, 301, 302, 307, 308, 399] {
            assert_eq!(
                map_key_vault_error(status, "", None),
                CatalogError::UnexpectedAnswer {
                    service: "Azure Key Vault".into()
                },
                "{status}"
            );
        }
        assert_eq!(
            map_key_vault_error(408, "", None),
            CatalogError::AzureUnavailable
        );
        assert_eq!(
            map_key_vault_error(599, "", None),
            CatalogError::AzureUnavailable
        );
    }

    #[test]
    fn serde_shapes_match_the_wire() {
        let json = r#"{"key":{"kid":"https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef","kty":"RSA","key_ops":["encrypt","decrypt","sign","verify","wrapKey","unwrapKey"],"n":"AQAB","e":"AQAB"},"attributes":{"enabled":true,"created":1700000000,"updated":1700000000,"recoveryLevel":"CustomizedRecoverable+Purgeable","recoverableDays":7,"exportable":false}}"#;
        let bundle: KeyBundle = serde_json::from_str(json).unwrap();
        assert_eq!(
            bundle.attributes.recovery_level.as_deref(),
            Some("CustomizedRecoverable+Purgeable")
        );
        assert_eq!(bundle.attributes.recoverable_days, Some(7));
        let back = serde_json::to_value(&bundle).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
        let op: KeyOperationResult = serde_json::from_str(r#"{"kid":"k","value":"AA"}"#).unwrap();
        assert_eq!(op.value, "AA");
    }

    #[test]
    fn base64_is_lenient() {
        assert_eq!(decode_base64url_lenient("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_base64url_lenient("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_base64url_lenient("!!"), None);
        assert_eq!(encode_base64url(&[0xfb, 0xff]), "-_8");
    }
}
