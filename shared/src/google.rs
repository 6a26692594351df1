//! Google Workspace Directory API answers, and whether they prove a Super
//! Admin of the backed-up customer.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;
use crate::ids::GoogleCustomerId;

/// `GET admin/directory/v1/users/{userKey}?viewType=admin_view` (the fields
/// keyswitch reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleDirectoryUser {
    /// The user's primary email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email: Option<String>,
    /// Super Admin.
    #[serde(default)]
    pub is_admin: bool,
    /// Delegated admin (not enough to verify a customer).
    #[serde(default)]
    pub is_delegated_admin: bool,
    /// The Workspace customer the user belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// `GET admin/directory/v1/customers/my_customer` (the fields keyswitch reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleCustomer {
    /// The customer id.
    pub id: String,
    /// The primary domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_domain: Option<String>,
}

/// Google's error answer: `{"error":{"code","message",…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleErrorBody {
    /// The error.
    pub error: GoogleError,
}

/// The inside of [`GoogleErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleError {
    /// HTTP status repeated.
    #[serde(default)]
    pub code: u16,
    /// Message, e.g. "Not Authorized to access this resource/api".
    #[serde(default)]
    pub message: String,
}

/// Checks that the Directory answer proves a Super Admin of `expected`.
///
/// # Errors
/// [`CatalogError::GoogleDelegatedAdmin`], [`CatalogError::GoogleNotSuperAdmin`],
/// or [`CatalogError::TenantMismatch`] naming the customer found.
pub fn check_google_super_admin(
    user: &GoogleDirectoryUser,
    expected: &GoogleCustomerId,
) -> Result<(), CatalogError> {
    if !user.is_admin {
        return Err(if user.is_delegated_admin {
            CatalogError::GoogleDelegatedAdmin
        } else {
            CatalogError::GoogleNotSuperAdmin
        });
    }
    match user.customer_id.as_deref() {
        Some(found) if found == expected.as_str() => Ok(()),
        found => Err(CatalogError::TenantMismatch {
            expected: expected.as_str().to_owned(),
            found: found.unwrap_or("unknown").to_owned(),
        }),
    }
}

/// Maps a Directory API failure to the catalog. A 403 "Not Authorized to
/// access this resource/api" means the user is not an admin.
#[must_use]
pub fn map_google_directory_error(status: u16, body: &str) -> CatalogError {
    let message = serde_json::from_str::<GoogleErrorBody>(body)
        .map(|b| b.error.message)
        .unwrap_or_default();
    match status {
        403 if message.contains("Not Authorized to access this resource/api") => {
            CatalogError::GoogleNotSuperAdmin
        }
        429 | 408 | 500..=599 => CatalogError::GoogleUnavailable,
        _ => CatalogError::GoogleRejected { status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: &str) -> GoogleDirectoryUser {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn super_admin_of_the_right_customer_passes() {
        let c: GoogleCustomerId = "C01abcd23".parse().unwrap();
        let u = user(
            r#"{"primaryEmail":"a@example.com","isAdmin":true,"isDelegatedAdmin":false,"customerId":"C01abcd23"}"#,
        );
        assert_eq!(check_google_super_admin(&u, &c), Ok(()));
    }

    #[test]
    fn delegated_and_plain_users_and_other_customers_are_refused() {
        let c: GoogleCustomerId = "C01abcd23".parse().unwrap();
        let delegated =
            user(r#"{"isAdmin":false,"isDelegatedAdmin":true,"customerId":"C01abcd23"}"#);
        let e = check_google_super_admin(&delegated, &c).unwrap_err();
        assert_eq!(e, CatalogError::GoogleDelegatedAdmin);
        assert!(e.fix().contains("Super Admin"));
        let plain = user(r#"{"isAdmin":false,"customerId":"C01abcd23"}"#);
        assert_eq!(
            check_google_super_admin(&plain, &c),
            Err(CatalogError::GoogleNotSuperAdmin)
        );
        let other = user(r#"{"isAdmin":true,"customerId":"C99zzz"}"#);
        assert_eq!(
            check_google_super_admin(&other, &c),
            Err(CatalogError::TenantMismatch {
                expected: "C01abcd23".into(),
                found: "C99zzz".into()
            })
        );
    }

    #[test]
    fn directory_errors() {
        let body = r#"{"error":{"code":403,"message":"Not Authorized to access this resource/api","errors":[{"message":"Not Authorized to access this resource/api","domain":"global","reason":"forbidden"}]}}"#;
        assert_eq!(
            map_google_directory_error(403, body),
            CatalogError::GoogleNotSuperAdmin
        );
        assert_eq!(
            map_google_directory_error(403, "{}"),
            CatalogError::GoogleRejected { status: 403 }
        );
        assert_eq!(
            map_google_directory_error(503, ""),
            CatalogError::GoogleUnavailable
        );
        let customer: GoogleCustomer =
            serde_json::from_str(r#"{"id":"C01abcd23","customerDomain":"example.com"}"#).unwrap();
        assert_eq!(customer.customer_domain.as_deref(), Some("example.com"));
    }
}
