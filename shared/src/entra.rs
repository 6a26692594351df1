//! Microsoft Entra ID answers (token endpoint, admin-consent callback) mapped
//! to catalog errors.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;

/// Role template id of Global Administrator (`wids` claim).
pub const GLOBAL_ADMINISTRATOR_ROLE: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Role template id of Privileged Role Administrator (`wids` claim).
pub const PRIVILEGED_ROLE_ADMINISTRATOR_ROLE: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

/// Whether the `wids` claim holds a role allowed to consent and verify a
/// Microsoft 365 tenant.
#[must_use]
pub fn has_consent_role<S: AsRef<str>>(wids: &[S]) -> bool {
    wids.iter().any(|w| {
        let w = w.as_ref();
        w.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR_ROLE)
            || w.eq_ignore_ascii_case(PRIVILEGED_ROLE_ADMINISTRATOR_ROLE)
    })
}

/// The token endpoint's error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraErrorBody {
    /// OAuth error, e.g. `invalid_client`.
    pub error: String,
    /// Description starting with `AADSTS<code>:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The AADSTS codes as numbers.
    #[serde(default)]
    pub error_codes: Vec<u32>,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Entra's trace id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Entra's correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Link to the error's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

/// Which application asked for the token; the same AADSTS code means
/// different things for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraApp {
    /// keyswitch's multi-tenant "KMS Connector" (Manage KMS): not found in a
    /// tenant means nobody consented there yet.
    Connector,
    /// The customer's own app registration (vault management): not found
    /// means a wrong client or tenant id.
    CustomerApp,
}

/// The `AADSTS<digits>` codes named in a description, in order.
#[must_use]
pub fn aadsts_codes(description: &str) -> Vec<u32> {
    description
        .match_indices("AADSTS")
        .filter_map(|(i, m)| {
            let digits: String = description[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

fn map_code(code: u32, app: EntraApp) -> Option<CatalogError> {
    Some(match code {
        7_000_215 => CatalogError::ClientSecretInvalid,
        7_000_222 => CatalogError::ClientSecretExpired,
        700_016 => match app {
            EntraApp::Connector => CatalogError::AdminConsentRequired,
            EntraApp::CustomerApp => CatalogError::ApplicationNotFound,
        },
        90_002 => CatalogError::TenantNotFound,
        65_001 | 90_094 | 90_095 => CatalogError::AdminConsentRequired,
        65_004 => CatalogError::ConsentDeclined,
        90_093 => CatalogError::ConsentUserLacksRole,
        _ => return None,
    })
}

/// Maps a token endpoint failure (status + JSON body) to the catalog.
#[must_use]
pub fn map_entra_token_error(status: u16, body: &str, app: EntraApp) -> CatalogError {
    if status == 429 || status == 408 || status >= 500 {
        return CatalogError::AzureUnavailable;
    }
    if (300..400).contains(&status) {
        // A redirect is never followed with a secret: it is not an answer.
        return CatalogError::UnexpectedAnswer {
            service: "Microsoft Entra ID".into(),
        };
    }
    let Ok(parsed) = serde_json::from_str::<EntraErrorBody>(body) else {
        return CatalogError::UnexpectedAnswer {
            service: "Microsoft Entra ID".into(),
        };
    };
    let mut codes = parsed.error_codes.clone();
    codes.extend(aadsts_codes(
        parsed.error_description.as_deref().unwrap_or(""),
    ));
    codes
        .into_iter()
        .find_map(|c| map_code(c, app))
        .unwrap_or_else(|| CatalogError::EntraRejected {
            error: describe(&parsed.error, parsed.error_description.as_deref()),
        })
}

/// Maps the `error` / `error_description` of an admin-consent callback.
/// Check `error` before `admin_consent`: Microsoft may send both.
#[must_use]
pub fn map_consent_error(error: &str, error_description: Option<&str>) -> CatalogError {
    let description = error_description.unwrap_or("");
    // On the consent page these codes mean the signed-in user may not grant
    // tenant-wide consent: it lacks the Entra role.
    let codes = aadsts_codes(description);
    if codes.iter().any(|c| (90_093..=90_095).contains(c)) {
        return CatalogError::ConsentUserLacksRole;
    }
    if let Some(mapped) = codes
        .into_iter()
        .find_map(|c| map_code(c, EntraApp::Connector))
    {
        return mapped;
    }
    match error {
        "access_denied" | "permission_denied" => CatalogError::ConsentDeclined,
        "consent_required" => CatalogError::AdminConsentRequired,
        "temporarily_unavailable" | "server_error" => CatalogError::AzureUnavailable,
        other => CatalogError::EntraRejected {
            error: describe(other, error_description),
        },
    }
}

/// The outcome of an admin-consent callback's query parameters: `Ok` when
/// consent was granted. The `tenant` parameter is deliberately not read: it
/// can be forged, so the caller proves the tenant another way.
///
/// # Errors
/// The catalog error for an `error` parameter, or [`CatalogError::ConsentDeclined`]
/// when `admin_consent` is not `True`.
pub fn consent_callback_result(
    error: Option<&str>,
    error_description: Option<&str>,
    admin_consent: Option<&str>,
) -> Result<(), CatalogError> {
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        return Err(map_consent_error(error, error_description));
    }
    match admin_consent {
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(()),
        _ => Err(CatalogError::ConsentDeclined),
    }
}

/// `error (AADSTSnnn)` without the rest of the description, which can echo
/// ids and is not written for administrators.
fn describe(error: &str, description: Option<&str>) -> String {
    let code = description.and_then(|d| aadsts_codes(d).first().copied());
    let error: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    match code {
        Some(c) => format!("{error}, AADSTS{c}"),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_body(code: u32, error: &str) -> String {
        format!(
            r#"{{"error":"{error}","error_description":"AADSTS{code}: Something. Trace ID: 1 Correlation ID: 2 Timestamp: 2024-01-01 00:00:00Z","error_codes":[{code}],"timestamp":"2024-01-01 00:00:00Z","trace_id":"1","correlation_id":"2","error_uri":"https://login.microsoftonline.com/error?code={code}"}}"#
        )
    }

    #[test]
    fn token_errors() {
        use EntraApp::*;
        let cases = [
            (
                7_000_215,
                "invalid_client",
                CustomerApp,
                CatalogError::ClientSecretInvalid,
            ),
            (
                7_000_222,
                "invalid_client",
                CustomerApp,
                CatalogError::ClientSecretExpired,
            ),
            (
                700_016,
                "unauthorized_client",
                CustomerApp,
                CatalogError::ApplicationNotFound,
            ),
            (
                700_016,
                "unauthorized_client",
                Connector,
                CatalogError::AdminConsentRequired,
            ),
            (
                90_002,
                "invalid_request",
                Connector,
                CatalogError::TenantNotFound,
            ),
            (
                65_001,
                "invalid_grant",
                Connector,
                CatalogError::AdminConsentRequired,
            ),
            (
                65_004,
                "access_denied",
                Connector,
                CatalogError::ConsentDeclined,
            ),
            (
                90_094,
                "invalid_grant",
                Connector,
                CatalogError::AdminConsentRequired,
            ),
        ];
        for (code, error, app, want) in cases {
            assert_eq!(
                map_entra_token_error(400, &token_body(code, error), app),
                want,
                "{code}"
            );
        }
        let e = map_entra_token_error(
            400,
            &token_body(50_000, "invalid_request"),
            EntraApp::Connector,
        );
        assert_eq!(
            e,
            CatalogError::EntraRejected {
                error: "invalid_request, AADSTS50000".into()
            }
        );
        assert_eq!(
            map_entra_token_error(503, "", EntraApp::Connector),
            CatalogError::AzureUnavailable
        );
        assert!(matches!(
            map_entra_token_error(400, "<html>", EntraApp::Connector),
            CatalogError::UnexpectedAnswer { .. }
        ));
    }

    #[test]
    fn description_codes_are_found_without_error_codes() {
        assert_eq!(
            aadsts_codes("AADSTS7000222: The provided client secret keys are expired. AADSTS1"),
            vec![7_000_222, 1]
        );
        let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        assert_eq!(
            map_entra_token_error(401, body, EntraApp::CustomerApp),
            CatalogError::ClientSecretInvalid
        );
    }

    #[test]
    fn each_passing_status_and_each_consent_code_is_named() {
        for status in [429, 408, 500, 503] {
            assert_eq!(
                map_entra_token_error(status, "{}", EntraApp::Connector),
                CatalogError::AzureUnavailable,
                "{status}"
            );
        }
        let body = |code: u32| {
            format!(
                r#"{{"error":"invalid_grant","error_description":"AADSTS{code}: x","error_codes":[{code}]}}"#
            )
        };
        assert_eq!(
            map_entra_token_error(400, &body(90_093), EntraApp::Connector),
            CatalogError::ConsentUserLacksRole
        );
    }

    #[test]
    fn consent_counts_only_when_entra_says_admin_consent_true() {
        for yes in ["True", "true", "TRUE"] {
            assert_eq!(consent_callback_result(None, None, Some(yes)), Ok(()));
        }
        for no in [Some("False"), Some(""), Some("yes"), None] {
            assert_eq!(
                consent_callback_result(None, None, no),
                Err(CatalogError::ConsentDeclined),
                "{no:?}"
            );
        }
    }

    #[test]
    fn consent_callbacks() {
        assert_eq!(
            consent_callback_result(
                Some("consent_required"),
                Some("AADSTS65004: User declined to consent to access the app."),
                Some("True")
            ),
            Err(CatalogError::ConsentDeclined)
        );
        assert_eq!(
            consent_callback_result(
                Some("permission_denied"),
                Some("The admin canceled the request"),
                None
            ),
            Err(CatalogError::ConsentDeclined)
        );
        assert_eq!(
            map_consent_error(
                "access_denied",
                Some(
                    "AADSTS90094: Admin consent is required for the permissions requested by this application."
                )
            ),
            CatalogError::ConsentUserLacksRole
        );
        assert_eq!(
            map_consent_error(
                "access_denied",
                Some("AADSTS90093: Graph user unauthorized.")
            ),
            CatalogError::ConsentUserLacksRole
        );
        assert_eq!(
            map_consent_error("consent_required", None),
            CatalogError::AdminConsentRequired
        );
        assert_eq!(consent_callback_result(None, None, Some("True")), Ok(()));
        assert_eq!(
            consent_callback_result(Some(""), None, Some("true")),
            Ok(())
        );
        assert_eq!(
            consent_callback_result(None, None, None),
            Err(CatalogError::ConsentDeclined)
        );
        assert!(
            matches!(map_consent_error("weird\"<x>", None), CatalogError::EntraRejected { ref error } if error == "weirdx")
        );
    }

    #[test]
    fn roles() {
        assert!(has_consent_role(
            &[GLOBAL_ADMINISTRATOR_ROLE.to_uppercase()]
        ));
        assert!(has_consent_role(&["x", PRIVILEGED_ROLE_ADMINISTRATOR_ROLE]));
        assert!(!has_consent_role(&["b79fbf4d-3ef9-4689-8143-76b194e85509"]));
        assert!(!has_consent_role::<&str>(&[]));
    }
}
