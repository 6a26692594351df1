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
