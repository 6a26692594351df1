//! States, events and effects of the switch.

use serde::{Deserialize, Serialize};

use crate::catalog::ErrorBody;
use crate::ids::{GoogleCustomerId, KeyName, TenantId};
use crate::vault_uri::VaultUri;

/// How long an admin consent counts (seed 000: "kept for 24 hours").
pub const CONSENT_TTL_SECS: i64 = 24 * 60 * 60;

/// The key a setup switches to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The vault base URI.
    pub vault_uri: VaultUri,
    /// The key name in that vault.
    pub key_name: KeyName,
}

/// A tenant whose data the switch re-keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TenantRef {
    /// A Microsoft 365 tenant.
    Microsoft365 {
        /// The Entra tenant id.
        tenant_id: TenantId,
    },
    /// A Google Workspace customer.
    GoogleWorkspace {
        /// The Workspace customer id.
        customer_id: GoogleCustomerId,
    },
}

/// Where a tenant's verification stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TenantStatus {
    /// Nobody has verified it yet.
    Unverified,
    /// A qualified admin verified it.
    Verified {
        /// When (Unix seconds).
        at: i64,
    },
    /// The last attempt failed; still not verified.
    Failed {
        /// Why, as the admin sees it.
        reason: ErrorBody,
    },
}

/// A tenant of the latest inventory and its verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Which tenant.
    pub tenant: TenantRef,
    /// Its verification.
    pub status: TenantStatus,
}

impl Tenant {
    /// Whether it is verified.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        matches!(self.status, TenantStatus::Verified { .. })
    }
}

/// An admin consent granted for the connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The tenant the consent was proven for.
    pub tenant: TenantId,
    /// When (Unix seconds).
    pub granted_at: i64,
}

/// Where the switch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// No setup was ever started.
    Idle,
    /// Vault URI and key name entered.
    Draft,
    /// Sent to Microsoft's admin consent page.
    AwaitingConsent,
    /// Waiting for the Azure admin to assign Key Vault Crypto User.
    AwaitingRoleAssignment,
    /// The edge is running the connection test.
    TestingConnection,
    /// The connection test passed.
    Tested,
    /// Saved; tenants of the inventory are being verified.
    VerifyingTenants,
    /// Every tenant verified; the final inventory check and commit run.
    Finalizing,
    /// The last setup completed; the provider is Azure Key Vault.
    Done,
    /// The last setup was cancelled; the provider is unchanged.
    Cancelled,
}

impl Stage {
    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Draft => "draft",
            Self::AwaitingConsent => "awaiting_consent",
            Self::AwaitingRoleAssignment => "awaiting_role_assignment",
            Self::TestingConnection => "testing_connection",
            Self::Tested => "tested",
            Self::VerifyingTenants => "verifying_tenants",
            Self::Finalizing => "finalizing",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether a setup is in progress (between start and commit or cancel).
    #[must_use]
    pub fn is_pending(self) -> bool {
        !matches!(self, Self::Idle | Self::Done | Self::Cancelled)
    }
}

/// Why a backup set of the inventory names no tenant keyswitch can verify.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unverifiable {
    /// A kind of backup set keyswitch does not know.
    UnknownKind {
        /// The kind the inventory gives (empty when none).
        kind: String,
    },
    /// A Microsoft 365 set whose tenant is given as a domain
    /// (`contoso.onmicrosoft.com`) instead of the tenant ID.
    TenantIsDomain {
        /// The domain given.
        domain: String,
    },
    /// A Microsoft 365 set without a valid tenant ID.
    TenantIdInvalid {
        /// The value given (empty when none).
        value: String,
    },
    /// A Google Workspace set without a valid customer ID.
    CustomerIdInvalid {
        /// The value given (empty when none).
        value: String,
    },
}

impl Unverifiable {
    /// Why, in words.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::UnknownKind { kind } if kind.is_empty() => {
                "the backup set has no kind; keyswitch can verify only Microsoft 365 and Google Workspace backup sets".into()
            }
            Self::UnknownKind { kind } => format!(
                "its kind \"{kind}\" is unknown; keyswitch can verify only Microsoft 365 and Google Workspace backup sets"
            ),
            Self::TenantIsDomain { domain } => format!(
                "its Microsoft 365 tenant is given as the domain \"{domain}\" instead of the tenant ID (a GUID)"
            ),
            Self::TenantIdInvalid { value } if value.is_empty() => {
                "it names no Microsoft 365 tenant ID".into()
            }
            Self::TenantIdInvalid { value } => {
                format!("its Microsoft 365 tenant ID \"{value}\" is not a valid tenant ID (a GUID)")
            }
            Self::CustomerIdInvalid { value } if value.is_empty() => {
                "it names no Google Workspace customer ID".into()
            }
            Self::CustomerIdInvalid { value } => format!(
                "its Google Workspace customer ID \"{value}\" is malformed (expected C followed by letters and digits, e.g. C03az79cb)"
            ),
        }
    }
}

/// The longest inventory value kept (ids, names, reasons' values).
const MAX_INVENTORY_TEXT: usize = 80;

/// An inventory value as keyswitch keeps and shows it: control characters
/// dropped, trimmed, at most [`MAX_INVENTORY_TEXT`] characters.
#[must_use]
pub fn inventory_text(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_INVENTORY_TEXT)
        .collect()
}

/// A backup set keyswitch cannot verify: it blocks the switch until it is
/// corrected in the host product (never silently dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnverifiableSet {
    /// The set's id in the host product.
    pub set_id: String,
    /// The set's name, when the inventory gives one.
    pub set_name: Option<String>,
    /// Why it cannot be verified.
    #[serde(flatten)]
    pub why: Unverifiable,
}

impl UnverifiableSet {
    /// The set as people name it: `"Name" (id)`, or its id.
    #[must_use]
    pub fn label(&self) -> String {
        match self.set_name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) if !self.set_id.is_empty() => format!("\"{name}\" ({})", self.set_id),
            Some(name) => format!("\"{name}\""),
            None if self.set_id.is_empty() => "(without an id)".into(),
            None => self.set_id.clone(),
        }
    }

    /// The catalog error it stands for.
    #[must_use]
    pub fn error(&self) -> crate::CatalogError {
        crate::CatalogError::BackupSetUnverifiable {
            set: self.label(),
            reason: self.why.describe(),
        }
    }
}

impl TenantRef {
    /// The tenant a backup set of the inventory names, or why it names none
    /// keyswitch can verify. `kind` is `microsoft365` or `google_workspace`.
    ///
    /// # Errors
    /// Why the set cannot be verified (values cleaned by [`inventory_text`]).
    pub fn from_inventory(
        kind: &str,
        tenant_id: Option<&str>,
        customer_id: Option<&str>,
    ) -> Result<Self, Unverifiable> {
        match kind {
            "microsoft365" => {
                let raw = tenant_id.unwrap_or_default();
                match raw.parse() {
                    Ok(tenant_id) => Ok(Self::Microsoft365 { tenant_id }),
                    Err(_) if raw.contains('.') => Err(Unverifiable::TenantIsDomain {
                        domain: inventory_text(raw),
                    }),
                    Err(_) => Err(Unverifiable::TenantIdInvalid {
                        value: inventory_text(raw),
                    }),
                }
            }
            "google_workspace" => {
                let raw = customer_id.unwrap_or_default();
                raw.parse()
                    .map(|customer_id| Self::GoogleWorkspace { customer_id })
                    .map_err(|_| Unverifiable::CustomerIdInvalid {
                        value: inventory_text(raw),
                    })
            }
            other => Err(Unverifiable::UnknownKind {
                kind: inventory_text(other),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inventory_set_is_a_tenant_or_says_why_not() {
        let ok = TenantRef::from_inventory(
            "microsoft365",
            Some("7D3C1A52-4B8E-4F0A-9C2D-1E5F6A7B8C9D"),
            None,
        );
        assert!(matches!(ok, Ok(TenantRef::Microsoft365 { .. })));
        assert!(matches!(
            TenantRef::from_inventory("google_workspace", None, Some("C03az79cb")),
            Ok(TenantRef::GoogleWorkspace { .. })
        ));
        assert_eq!(
            TenantRef::from_inventory("microsoft365", Some("contoso.onmicrosoft.com"), None),
            Err(Unverifiable::TenantIsDomain {
                domain: "contoso.onmicrosoft.com".into()
            })
        );
        assert_eq!(
            TenantRef::from_inventory("microsoft365", None, None),
            Err(Unverifiable::TenantIdInvalid {
                value: String::new()
            })
        );
        assert_eq!(
            TenantRef::from_inventory("google_workspace", None, Some("03az79cb")),
            Err(Unverifiable::CustomerIdInvalid {
                value: "03az79cb".into()
            })
        );
        assert_eq!(
            TenantRef::from_inventory("dropbox\u{7}", Some("x"), None),
            Err(Unverifiable::UnknownKind {
                kind: "dropbox".into()
            })
        );
        let long = "d".repeat(500);
        let Err(Unverifiable::UnknownKind { kind }) = TenantRef::from_inventory(&long, None, None)
        else {
            panic!("unknown kind");
        };
        assert_eq!(kind.len(), MAX_INVENTORY_TEXT);
    }

    #[test]
    fn an_unverifiable_set_names_itself_in_its_error() {
        let set = UnverifiableSet {
            set_id: "bs-9".into(),
            set_name: Some("Contoso mail".into()),
            why: Unverifiable::TenantIsDomain {
                domain: "contoso.onmicrosoft.com".into(),
            },
        };
        let body = set.error().body();
        assert_eq!(body.code, "backup_set_unverifiable");
        assert!(
            body.message.contains("\"Contoso mail\" (bs-9)"),
            "{}",
            body.message
        );
        assert!(
            body.message.contains("contoso.onmicrosoft.com"),
            "{}",
            body.message
        );
        assert!(
            body.fix.contains("RedApp") && body.fix.contains("Refresh"),
            "{}",
            body.fix
        );
        let v = serde_json::to_value(&set).unwrap();
        assert_eq!(v["reason"], "tenant_is_domain");
        assert_eq!(v["domain"], "contoso.onmicrosoft.com");
        let back: UnverifiableSet = serde_json::from_value(v).unwrap();
        assert_eq!(back, set);
    }
}

#[cfg(test)]
mod unverifiable_tests {
    use super::Unverifiable as U;

    #[test]
    fn each_unverifiable_set_says_why_with_or_without_a_value() {
        let rows = [
            (
                U::UnknownKind {
                    kind: String::new(),
                },
                "the backup set has no kind;",
            ),
            (
                U::UnknownKind {
                    kind: "dropbox".into(),
                },
                "its kind \"dropbox\" is unknown;",
            ),
            (
                U::TenantIdInvalid {
                    value: String::new(),
                },
                "it names no Microsoft 365 tenant ID",
            ),
            (
                U::TenantIdInvalid { value: "x1".into() },
                "its Microsoft 365 tenant ID \"x1\" is not a valid tenant ID (a GUID)",
            ),
            (
                U::CustomerIdInvalid {
                    value: String::new(),
                },
                "it names no Google Workspace customer ID",
            ),
            (
                U::CustomerIdInvalid { value: "x1".into() },
                "its Google Workspace customer ID \"x1\" is malformed",
            ),
        ];
        for (reason, start) in rows {
            let text = reason.describe();
            assert!(text.starts_with(start), "{text}");
        }
    }

    #[test]
    fn a_set_is_labelled_by_its_name_and_id_as_far_as_known() {
        let set = |name: Option<&str>, id: &str| super::UnverifiableSet {
            set_id: id.into(),
            set_name: name.map(Into::into),
            why: U::UnknownKind {
                kind: String::new(),
            },
        };
        assert_eq!(set(Some("Mail"), "bs-1").label(), "\"Mail\" (bs-1)");
        assert_eq!(set(Some("Mail"), "").label(), "\"Mail\"");
        assert_eq!(set(Some(""), "bs-1").label(), "bs-1");
        assert_eq!(set(None, "").label(), "(without an id)");
    }
}
