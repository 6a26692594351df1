//! States, events and effects of the switch.

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, ErrorBody};
use crate::ids::{GoogleCustomerId, KeyId, KeyName, TenantId};
use crate::provider::Provider;
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

/// A setup in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub(crate) stage: Stage,
    pub(crate) target: Target,
    pub(crate) vault_tenant: Option<TenantId>,
    pub(crate) consent: Option<Consent>,
    pub(crate) tested_kid: Option<KeyId>,
    pub(crate) tenants: Vec<Tenant>,
    pub(crate) commit_issued: bool,
    pub(crate) last_error: Option<ErrorBody>,
}

impl Setup {
    /// The stage (always a pending one).
    #[must_use]
    pub fn stage(&self) -> Stage {
        self.stage
    }
    /// The key being switched to.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }
    /// The vault's tenant, learned from the Key Vault challenge.
    #[must_use]
    pub fn vault_tenant(&self) -> Option<&TenantId> {
        self.vault_tenant.as_ref()
    }
    /// The admin consent, if one was granted during this setup.
    #[must_use]
    pub fn consent(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }
    /// The versioned key id the connection test used.
    #[must_use]
    pub fn tested_kid(&self) -> Option<&KeyId> {
        self.tested_kid.as_ref()
    }
    /// The tenants of the latest inventory.
    #[must_use]
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }
    /// Whether the commit was handed to the edge and has not failed.
    #[must_use]
    pub fn commit_issued(&self) -> bool {
        self.commit_issued
    }
    /// The last failure to show (test failure, commit failure, consent error).
    #[must_use]
    pub fn last_error(&self) -> Option<&ErrorBody> {
        self.last_error.as_ref()
    }
}

/// The one-time export after a completed switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExportWindow {
    /// No export without re-verifying tenants.
    Closed,
    /// One export is allowed.
    Open {
        /// When the switch completed (Unix seconds).
        opened_at: i64,
    },
}

/// A company's key protection and its pending setup, as stored by the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchState {
    pub(crate) provider: Provider,
    pub(crate) setup: Option<Setup>,
    pub(crate) last: Stage,
    pub(crate) export_window: ExportWindow,
}

impl SwitchState {
    /// A company protected by `provider`, with no setup.
    #[must_use]
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            setup: None,
            last: Stage::Idle,
            export_window: ExportWindow::Closed,
        }
    }
    /// The provider in force; it changes only on a successful commit.
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.provider
    }
    /// The stage: the setup's, or idle/done/cancelled when none is pending.
    #[must_use]
    pub fn stage(&self) -> Stage {
        self.setup.as_ref().map_or(self.last, |s| s.stage)
    }
    /// The pending setup.
    #[must_use]
    pub fn setup(&self) -> Option<&Setup> {
        self.setup.as_ref()
    }
    /// The export window.
    #[must_use]
    pub fn export_window(&self) -> ExportWindow {
        self.export_window
    }

    /// The same company moved to `provider` outside a Manage KMS setup (an
    /// operator path, e.g. onto an AWS KMS key). The caller performs the
    /// crash-safe re-wrap and stores the result in one transaction.
    ///
    /// # Errors
    /// [`CatalogError::Conflict`] while a setup is pending.
    pub fn moved_to(&self, provider: Provider) -> Result<Self, CatalogError> {
        if self.stage().is_pending() {
            return Err(CatalogError::Conflict {
                reason: "A Manage KMS setup is pending; finish or cancel it first".into(),
            });
        }
        Ok(Self {
            provider,
            setup: None,
            last: self.last,
            export_window: ExportWindow::Closed,
        })
    }

    /// The export window opened again at `now`, after every tenant was
    /// verified again (the caller proves that).
    #[must_use]
    pub fn with_export_reopened(&self, now: i64) -> Self {
        let mut next = self.clone();
        next.export_window = ExportWindow::Open { opened_at: now };
        next
    }
}

/// Something that happened: an admin action or an outcome the edge observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start a switch to `target` (no setup pending).
    Start {
        /// The key to switch to.
        target: Target,
    },
    /// Change vault URI / key name before saving; the test must run again.
    EditTarget {
        /// The new key.
        target: Target,
    },
    /// Test Connection clicked; `vault_tenant` comes from the Key Vault
    /// challenge when the edge could learn it.
    TestConnection {
        /// The vault's tenant.
        vault_tenant: Option<TenantId>,
    },
    /// Admin consent granted, for the tenant proven by the edge (never the
    /// callback's `tenant` parameter).
    ConsentGranted {
        /// The proven tenant.
        tenant: TenantId,
    },
    /// The consent callback reported an error.
    ConsentFailed {
        /// What went wrong.
        error: CatalogError,
    },
    /// The admin clicked Completed in the role assignment dialog.
    RoleAssignmentCompleted,
    /// The connection test passed with this versioned key id.
    ConnectionTestPassed {
        /// The `kid` Key Vault returned.
        kid: KeyId,
    },
    /// The connection test failed.
    ConnectionTestFailed {
        /// What went wrong.
        error: CatalogError,
    },
    /// Save clicked: list and verify tenants.
    Save,
    /// Refresh clicked on the tenant list.
    Refresh,
    /// The edge read the backup-set inventory.
    InventoryLoaded {
        /// The tenants of every backup set, now.
        tenants: Vec<TenantRef>,
    },
    /// A qualified admin verified a tenant.
    TenantVerified {
        /// Which tenant.
        tenant: TenantRef,
    },
    /// A verification attempt failed (wrong role, wrong tenant, declined …).
    TenantVerificationFailed {
        /// Which tenant.
        tenant: TenantRef,
        /// Why.
        error: CatalogError,
    },
    /// The re-wrap committed; `kid` is the versioned key id recorded.
    CommitSucceeded {
        /// The versioned key id the company key is wrapped with.
        kid: KeyId,
    },
    /// The re-wrap failed; the old provider stays in force.
    CommitFailed {
        /// What went wrong.
        error: CatalogError,
    },
    /// Retry finalizing after a failed commit.
    RetryCommit,
    /// Cancel pending setup.
    Cancel,
    /// Export the company key once, after a completed switch.
    Export,
}

impl Event {
    /// The snake_case name, for errors and audit events.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start { .. } => "start",
            Self::EditTarget { .. } => "edit_target",
            Self::TestConnection { .. } => "test_connection",
            Self::ConsentGranted { .. } => "consent_granted",
            Self::ConsentFailed { .. } => "consent_failed",
            Self::RoleAssignmentCompleted => "role_assignment_completed",
            Self::ConnectionTestPassed { .. } => "connection_test_passed",
            Self::ConnectionTestFailed { .. } => "connection_test_failed",
            Self::Save => "save",
            Self::Refresh => "refresh",
            Self::InventoryLoaded { .. } => "inventory_loaded",
            Self::TenantVerified { .. } => "tenant_verified",
            Self::TenantVerificationFailed { .. } => "tenant_verification_failed",
            Self::CommitSucceeded { .. } => "commit_succeeded",
            Self::CommitFailed { .. } => "commit_failed",
            Self::RetryCommit => "retry_commit",
            Self::Cancel => "cancel",
            Self::Export => "export",
        }
    }
}

/// What the edge must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Send the admin to Microsoft's admin consent page (`organizations`
    /// when the tenant is unknown).
    RedirectToConsent {
        /// The vault's tenant, if known.
        tenant: Option<TenantId>,
    },
    /// Show the role assignment dialog, filled in with the vault name.
    ShowRoleAssignment {
        /// The vault name for the `az` command and portal steps.
        vault_name: String,
    },
    /// Run the connection test (token, GET key, check, wrap/unwrap probe).
    RunConnectionTest {
        /// The key to test.
        target: Target,
    },
    /// Read the backup-set inventory and apply [`Event::InventoryLoaded`].
    ReadInventory,
    /// Re-wrap the company key under `kid` and flip the provider in one
    /// transaction, then apply `CommitSucceeded` or `CommitFailed`.
    Commit {
        /// The key to switch to.
        target: Target,
        /// The versioned key id the connection test used.
        kid: KeyId,
    },
    /// Hand out the company key once.
    ExportCompanyKey,
    /// Write an audit event.
    Audit {
        /// The event applied.
        event: &'static str,
        /// Stage before.
        from: Stage,
        /// Stage after.
        to: Stage,
    },
}
