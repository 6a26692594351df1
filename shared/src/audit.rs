//! The vocabulary of the audit trails and of who acts: roles, actors, audit
//! actions and outcomes. One set of types for the company and the workspace
//! trails, the edge that writes them and the SPA that labels them.

use serde::{Deserialize, Serialize};

/// A role of the host product (RedApp), as its sessions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the KMS settings of the companies it lists.
    PartnerAdmin,
    /// Manages the KMS settings of its own (exactly one) company.
    CompanyAdmin,
    /// A company user: may not manage KMS settings.
    CompanyUser,
    /// Owns a workspace: manages its vaults and items.
    WorkspaceOwner,
    /// Workspace Super Admin: manages vaults and items.
    WorkspaceSuperAdmin,
    /// Workspace Admin: manages vaults and items.
    WorkspaceAdmin,
    /// Workspace member: stores and reads items only.
    WorkspaceMember,
    /// keyswitch itself (automatic steps: finalization, alarms).
    System,
    /// An outside party answering a callback (Microsoft, Google) before the
    /// request is tied to an admin.
    External,
    /// Any role keyswitch does not know: it may do nothing.
    #[serde(other)]
    Other,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 10] = [
        Self::PartnerAdmin,
        Self::CompanyAdmin,
        Self::CompanyUser,
        Self::WorkspaceOwner,
        Self::WorkspaceSuperAdmin,
        Self::WorkspaceAdmin,
        Self::WorkspaceMember,
        Self::System,
        Self::External,
        Self::Other,
    ];

    /// The wire name (as serialized), e.g. `partner_admin`; `other` for a
    /// role keyswitch does not know.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartnerAdmin => "partner_admin",
            Self::CompanyAdmin => "company_admin",
            Self::CompanyUser => "company_user",
            Self::WorkspaceOwner => "workspace_owner",
            Self::WorkspaceSuperAdmin => "workspace_super_admin",
            Self::WorkspaceAdmin => "workspace_admin",
            Self::WorkspaceMember => "workspace_member",
            Self::System => "system",
            Self::External => "external",
            Self::Other => "other",
        }
    }

    /// Whether the role may manage vaults of a workspace it lists.
    #[must_use]
    pub fn manages_vaults(self) -> bool {
        matches!(
            self,
            Self::WorkspaceOwner | Self::WorkspaceSuperAdmin | Self::WorkspaceAdmin
        )
    }

    /// Whether the role may store and read items of a workspace it lists.
    #[must_use]
    pub fn uses_items(self) -> bool {
        self.manages_vaults() || self == Self::WorkspaceMember
    }
}

/// Who did something: a signed-in person, keyswitch itself, or an outside
/// party. Holds no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// RedApp's user id (or `keyswitch` / the outside party).
    pub sub: String,
    /// Display name.
    pub name: String,
    /// Role in RedApp.
    pub role: Role,
    /// Companies (or workspaces) the role applies to.
    #[serde(default)]
    pub companies: Vec<String>,
}

impl Actor {
    /// keyswitch's automatic steps (finalization, alarms, lease expiry).
    #[must_use]
    pub fn system() -> Self {
        Self {
            sub: "keyswitch".into(),
            name: "keyswitch (automatic)".into(),
            role: Role::System,
            companies: Vec::new(),
        }
    }

    /// A callback that could not be tied to an admin (a bad `state`).
    #[must_use]
    pub fn unknown_callback() -> Self {
        Self {
            sub: "unknown".into(),
            name: "Unknown (callback)".into(),
            role: Role::External,
            companies: Vec::new(),
        }
    }

    /// Whether this actor may read and change `company`'s KMS settings: a
    /// Partner Admin for one of their companies, or a Company Admin for
    /// their own (exactly one) company.
    #[must_use]
    pub fn may_manage_company(&self, company: &str) -> bool {
        let listed = self.companies.iter().any(|c| c == company);
        match self.role {
            Role::PartnerAdmin => listed,
            Role::CompanyAdmin => listed && self.companies.len() == 1,
            _ => false,
        }
    }

    /// Whether this actor may manage the vaults of `workspace`.
    #[must_use]
    pub fn may_manage_vaults(&self, workspace: &str) -> bool {
        self.role.manages_vaults() && self.companies.iter().any(|w| w == workspace)
    }

    /// Whether this actor may store and read items of `workspace`.
    #[must_use]
    pub fn may_use_items(&self, workspace: &str) -> bool {
        self.role.uses_items() && self.companies.iter().any(|w| w == workspace)
    }
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Succeeded,
    /// It was tried and failed (an outside answer, a check).
    Failed,
    /// It was refused before anything was tried (wrong stage, bad state).
    Refused,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::Succeeded, Self::Failed, Self::Refused];

    /// The wire name (as serialized), e.g. `succeeded`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

/// What was done. Every action the edge writes is here, and the SPA labels
/// them with an exhaustive `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    // ---- Manage KMS: the switch ----
    /// A switch to Azure Key Vault was started.
    SwitchStarted,
    /// The vault URI or key name of the pending setup changed.
    TargetEdited,
    /// An admin-consent link was issued.
    ConsentLinkIssued,
    /// Microsoft's admin-consent answer (proven, failed, or a bad state).
    AdminConsent,
    /// A consent proven less than 24 hours ago was used again.
    AdminConsentReused,
    /// A consent callback that could not be tied to a pending consent (a
    /// reused, foreign or expired `state`).
    AdminConsentCallback,
    /// Test Connection was clicked for a target (the first test of a setup,
    /// or after the target changed).
    TestConnection,
    /// Test Connection (or Completed) was clicked.
    ConnectionTestRequested,
    /// The connection test ran.
    ConnectionTest,
    /// Save was clicked.
    Save,
    /// Refresh was clicked.
    Refresh,
    /// The backup-set inventory was read.
    InventoryLoaded,
    /// The inventory lists no backup set and the admin confirmed there is
    /// nothing to verify.
    NoTenantsConfirmed,
    /// A tenant verification sign-in was started.
    TenantVerificationStarted,
    /// A tenant was verified for the pending setup.
    TenantVerified,
    /// A tenant verification came back (failed, or refused).
    TenantVerification,
    /// Every tenant was verified: the automatic finalization started.
    FinalizeStarted,
    /// A finalization attempt ran (failed attempts are retried).
    Finalize,
    /// A finalization attempt was retried.
    FinalizeRetry,
    /// The backup-set inventory was read again before finalizing.
    FinalizeInventory,
    /// The provider changed: the company key is wrapped by the new key.
    SwitchCommitted,
    /// A step in flight did not finish in time (the object restarted); it
    /// was resumed or failed by the alarm.
    LeaseExpired,
    /// The pending setup was cancelled.
    Cancel,
    /// The company key was exported (the one-time export).
    CompanyKeyExport,
    /// A re-verification of every tenant before a further export started.
    ExportVerificationStarted,
    /// A tenant was re-verified for a further export.
    ExportTenantVerification,
    /// Every tenant was re-verified: one more export is allowed.
    ExportReopened,
    /// The re-verification's inventory lists no backup set and the admin
    /// confirmed there is nothing to verify (the inventory was read once
    /// more; failed when it listed a set by then).
    ExportNoTenantsConfirmed,
    /// An operator moved the company onto an AWS KMS key.
    MovedToAwsKms,
    /// The key-binding registry recorded the company on its Azure key (the
    /// detail names the key and how many other companies share it).
    KeyBound,
    /// The key-binding registry released the company from its former key.
    KeyReleased,
    // ---- Manage KMS: key health (issue 14) ----
    /// The key's health changed (the detail names from, to and the cause).
    HealthChanged,
    /// An admin asked for a health check now (*Check now*).
    HealthCheckRequested,
    /// The key expires within the warning time (the detail names the date
    /// and the `az` command that extends it).
    KeyExpiryWarning,
    /// keyswitch saw a new current version of the key in force (the detail
    /// names the recorded and the new `kid`): a re-wrap is owed.
    RotationDetected,
    /// An admin asked for *Re-wrap now*.
    RewrapRequested,
    /// A re-wrap attempt failed (retried with back-off) or was retried.
    Rewrap,
    /// The company key was re-wrapped with a new version of the key (the
    /// detail names the new `kid`).
    KeyRewrapped,
    /// *Check configuration* ran (the detail counts the problems).
    ConfigurationChecked,
    /// A webhook to the host was answered: delivered, failed (retried
    /// after a back-off) or given up (the delivery log).
    WebhookDelivery,
    /// The Cron sweep found the company's alarm missing (or late) and
    /// re-armed it; overdue work resumed.
    AlarmRestored,
    // ---- Vault management ----
    /// A vault was created.
    VaultCreated,
    /// Creating a vault failed (the vault was not created).
    VaultCreate,
    /// A vault's Azure connection was tested again.
    ConnectionTested,
    /// A vault's client secret was replaced.
    ClientSecretReplaced,
    /// The default vault changed.
    DefaultVaultSet,
    /// An item was stored.
    ItemCreated,
    /// An item was read.
    ItemRead,
    /// The health monitor saw a vault's key change state (detail:
    /// `healthy -> access_lost (role_removed)`).
    VaultHealthChanged,
}

impl AuditAction {
    /// Every action, in declaration order (for exhaustiveness checks).
    pub const ALL: [Self; 49] = [
        Self::SwitchStarted,
        Self::TargetEdited,
        Self::ConsentLinkIssued,
        Self::AdminConsent,
        Self::AdminConsentReused,
        Self::AdminConsentCallback,
        Self::TestConnection,
        Self::ConnectionTestRequested,
        Self::ConnectionTest,
        Self::Save,
        Self::Refresh,
        Self::InventoryLoaded,
        Self::NoTenantsConfirmed,
        Self::TenantVerificationStarted,
        Self::TenantVerified,
        Self::TenantVerification,
        Self::FinalizeStarted,
        Self::Finalize,
        Self::FinalizeRetry,
        Self::FinalizeInventory,
        Self::SwitchCommitted,
        Self::LeaseExpired,
        Self::Cancel,
        Self::CompanyKeyExport,
        Self::ExportVerificationStarted,
        Self::ExportTenantVerification,
        Self::ExportReopened,
        Self::ExportNoTenantsConfirmed,
        Self::MovedToAwsKms,
        Self::KeyBound,
        Self::KeyReleased,
        Self::HealthChanged,
        Self::HealthCheckRequested,
        Self::KeyExpiryWarning,
        Self::RotationDetected,
        Self::RewrapRequested,
        Self::Rewrap,
        Self::KeyRewrapped,
        Self::ConfigurationChecked,
        Self::WebhookDelivery,
        Self::AlarmRestored,
        Self::VaultCreated,
        Self::VaultCreate,
        Self::ConnectionTested,
        Self::ClientSecretReplaced,
        Self::DefaultVaultSet,
        Self::ItemCreated,
        Self::ItemRead,
        Self::VaultHealthChanged,
    ];

    /// The wire name (as serialized), e.g. `switch_started`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SwitchStarted => "switch_started",
            Self::TargetEdited => "target_edited",
            Self::ConsentLinkIssued => "consent_link_issued",
            Self::AdminConsent => "admin_consent",
            Self::AdminConsentReused => "admin_consent_reused",
            Self::AdminConsentCallback => "admin_consent_callback",
            Self::TestConnection => "test_connection",
            Self::ConnectionTestRequested => "connection_test_requested",
            Self::ConnectionTest => "connection_test",
            Self::Save => "save",
            Self::Refresh => "refresh",
            Self::InventoryLoaded => "inventory_loaded",
            Self::NoTenantsConfirmed => "no_tenants_confirmed",
            Self::TenantVerificationStarted => "tenant_verification_started",
            Self::TenantVerified => "tenant_verified",
            Self::TenantVerification => "tenant_verification",
            Self::FinalizeStarted => "finalize_started",
            Self::Finalize => "finalize",
            Self::FinalizeRetry => "finalize_retry",
            Self::FinalizeInventory => "finalize_inventory",
            Self::SwitchCommitted => "switch_committed",
            Self::LeaseExpired => "lease_expired",
            Self::Cancel => "cancel",
            Self::CompanyKeyExport => "company_key_export",
            Self::ExportVerificationStarted => "export_verification_started",
            Self::ExportTenantVerification => "export_tenant_verification",
            Self::ExportReopened => "export_reopened",
            Self::ExportNoTenantsConfirmed => "export_no_tenants_confirmed",
            Self::MovedToAwsKms => "moved_to_aws_kms",
            Self::KeyBound => "key_bound",
            Self::KeyReleased => "key_released",
            Self::HealthChanged => "health_changed",
            Self::HealthCheckRequested => "health_check_requested",
            Self::KeyExpiryWarning => "key_expiry_warning",
            Self::RotationDetected => "rotation_detected",
            Self::RewrapRequested => "rewrap_requested",
            Self::Rewrap => "rewrap",
            Self::KeyRewrapped => "key_rewrapped",
            Self::ConfigurationChecked => "configuration_checked",
            Self::WebhookDelivery => "webhook_delivery",
            Self::AlarmRestored => "alarm_restored",
            Self::VaultCreated => "vault_created",
            Self::VaultCreate => "vault_create",
            Self::ConnectionTested => "connection_tested",
            Self::ClientSecretReplaced => "client_secret_replaced",
            Self::DefaultVaultSet => "default_vault_set",
            Self::ItemCreated => "item_created",
            Self::ItemRead => "item_read",
            Self::VaultHealthChanged => "vault_health_changed",
        }
    }
}

impl AuditAction {
    /// Whether a workspace's vault trail records the action: the vault
    /// actions, and the delivery log of the webhooks a vault's health
    /// change sends to the host.
    #[must_use]
    pub fn in_workspace_trail(self) -> bool {
        matches!(
            self,
            Self::VaultCreated
                | Self::VaultCreate
                | Self::ConnectionTested
                | Self::ClientSecretReplaced
                | Self::DefaultVaultSet
                | Self::ItemCreated
                | Self::ItemRead
                | Self::VaultHealthChanged
                | Self::WebhookDelivery
        )
    }

    /// Whether a company's Manage KMS trail records the action: every
    /// action but the vault ones (the webhook delivery log is in both).
    #[must_use]
    pub fn in_company_trail(self) -> bool {
        self == Self::WebhookDelivery || !self.in_workspace_trail()
    }

    /// The action named `wire` (its [`Self::as_str`]), if any.
    #[must_use]
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == wire)
    }
}

impl Outcome {
    /// The outcome named `wire` (its [`Self::as_str`]), if any.
    #[must_use]
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == wire)
    }
}

/// Where an administrator outside RedApp signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProvider {
    /// Microsoft Entra ID (admin consent, a Microsoft 365 tenant's verification).
    Microsoft,
    /// Google (a Google Workspace customer's verification).
    Google,
}

impl IdentityProvider {
    /// The wire name, e.g. `microsoft`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Microsoft => "microsoft",
            Self::Google => "google",
        }
    }
}

/// An administrator at Microsoft or Google who did the step the entry
/// records (granted the consent, proved the tenant) on behalf of the RedApp
/// user who started it. The account as the identity provider's verified ID
/// token named it; never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideAdmin {
    /// Where they signed in.
    pub provider: IdentityProvider,
    /// Their account (e.g. `adele@contoso.onmicrosoft.com`).
    pub account: String,
}

/// Who did what an audit entry records, as a security team sorts a trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person signed in to RedApp (an admin's command).
    RedappUser,
    /// An administrator who signed in at Microsoft (consent, tenant proof).
    MicrosoftAdmin,
    /// An administrator who signed in at Google (tenant proof).
    GoogleAdmin,
    /// keyswitch itself (alarms, finalization, health checks, the sweep).
    System,
    /// A callback that could not be tied to anyone (a bad `state`).
    UnknownCaller,
}

impl ActorKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::RedappUser,
        Self::MicrosoftAdmin,
        Self::GoogleAdmin,
        Self::System,
        Self::UnknownCaller,
    ];

    /// The kind of an entry written for `role`, with `outside` when an
    /// administrator at Microsoft or Google did the step.
    #[must_use]
    pub fn of(role: Role, outside: Option<&OutsideAdmin>) -> Self {
        match (outside, role) {
            (Some(a), _) => match a.provider {
                IdentityProvider::Microsoft => Self::MicrosoftAdmin,
                IdentityProvider::Google => Self::GoogleAdmin,
            },
            (None, Role::System) => Self::System,
            (None, Role::External) => Self::UnknownCaller,
            (None, _) => Self::RedappUser,
        }
    }

    /// The wire name, e.g. `redapp_user`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RedappUser => "redapp_user",
            Self::MicrosoftAdmin => "microsoft_admin",
            Self::GoogleAdmin => "google_admin",
            Self::System => "system",
            Self::UnknownCaller => "unknown_caller",
        }
    }
}

/// Which entries of a trail to show: `?action=a,b&outcome=failed,refused`
/// (each name may also repeat its parameter). An empty list lets every
/// value through; values are the wire names of [`AuditAction`] and
/// [`Outcome`]. A name that is neither is refused: a filter that silently
/// matched nothing would hide a trail from its reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only these actions (none: every action).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<AuditAction>,
    /// Only these outcomes (none: every outcome).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<Outcome>,
}

impl AuditFilter {
    /// Takes one query parameter: `Ok(true)` when it was a filter
    /// (`action` or `outcome`), `Ok(false)` for any other name, and an
    /// `invalid_input` naming the parameter for a value that is no action
    /// (or outcome) or an empty value. A name given again counts once, so a
    /// filter never holds more than every action and every outcome.
    pub fn take(&mut self, name: &str, value: &str) -> Result<bool, crate::CatalogError> {
        let bad = |reason: String| crate::CatalogError::InvalidField {
            field: name.to_owned(),
            reason,
        };
        match name {
            "action" => {
                for part in value.split(',') {
                    let action = AuditAction::from_wire(part.trim()).ok_or_else(|| {
                        bad(format!(
                            "'{}' is not an audit action (e.g. save, connection_test, company_key_export)",
                            printable(part)
                        ))
                    })?;
                    if !self.actions.contains(&action) {
                        self.actions.push(action);
                    }
                }
                Ok(true)
            }
            "outcome" => {
                for part in value.split(',') {
                    let outcome = Outcome::from_wire(part.trim()).ok_or_else(|| {
                        bad(format!(
                            "'{}' is not an outcome (succeeded, failed or refused)",
                            printable(part)
                        ))
                    })?;
                    if !self.outcomes.contains(&outcome) {
                        self.outcomes.push(outcome);
                    }
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Whether an entry with `action` and `outcome` passes.
    #[must_use]
    pub fn matches(&self, action: AuditAction, outcome: Outcome) -> bool {
        (self.actions.is_empty() || self.actions.contains(&action))
            && (self.outcomes.is_empty() || self.outcomes.contains(&outcome))
    }

    /// Whether it lets every entry through.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.outcomes.is_empty()
    }

    /// The filter as query parameters (`action=a,b&outcome=c`), empty when
    /// it lets everything through; [`Self::take`] reads it back.
    #[must_use]
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.actions.is_empty() {
            let names: Vec<_> = self.actions.iter().map(|a| a.as_str()).collect();
            parts.push(format!("action={}", names.join(",")));
        }
        if !self.outcomes.is_empty() {
            let names: Vec<_> = self.outcomes.iter().map(|o| o.as_str()).collect();
            parts.push(format!("outcome={}", names.join(",")));
        }
        parts.join("&")
    }
}

/// A caller's value as an error may quote it: at most 40 printable characters.
fn printable(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_acts_only_on_the_companies_and_workspaces_it_lists() {
        let actor = |role, listed: &[&str]| Actor {
            sub: "u1".into(),
            name: "Olga".into(),
            role,
            companies: listed.iter().map(|c| (*c).to_owned()).collect(),
        };
        let partner = actor(Role::PartnerAdmin, &["acme", "globex"]);
        assert!(partner.may_manage_company("acme") && partner.may_manage_company("globex"));
        assert!(!partner.may_manage_company("initech"));
        let admin = actor(Role::CompanyAdmin, &["acme"]);
        assert!(admin.may_manage_company("acme") && !admin.may_manage_company("globex"));
        assert!(!actor(Role::CompanyAdmin, &["acme", "globex"]).may_manage_company("acme"));
        assert!(!actor(Role::CompanyUser, &["acme"]).may_manage_company("acme"));
        let owner = actor(Role::WorkspaceOwner, &["ws1"]);
        assert!(owner.may_manage_vaults("ws1") && owner.may_use_items("ws1"));
        assert!(!owner.may_manage_vaults("ws2") && !owner.may_use_items("ws2"));
        let member = actor(Role::WorkspaceMember, &["ws1"]);
        assert!(member.may_use_items("ws1") && !member.may_manage_vaults("ws1"));
        assert!(!member.may_use_items("ws2"));
    }

    #[test]
    fn vault_and_item_rights_follow_the_workspace_roles() {
        use Role as R;
        for (role, manages, uses) in [
            (R::WorkspaceOwner, true, true),
            (R::WorkspaceSuperAdmin, true, true),
            (R::WorkspaceAdmin, true, true),
            (R::WorkspaceMember, false, true),
            (R::PartnerAdmin, false, false),
            (R::CompanyAdmin, false, false),
            (R::CompanyUser, false, false),
            (R::System, false, false),
            (R::External, false, false),
            (R::Other, false, false),
        ] {
            assert_eq!(role.manages_vaults(), manages, "{role:?}");
            assert_eq!(role.uses_items(), uses, "{role:?}");
        }
    }

    #[test]
    fn wire_names_are_snake_case() {
        let json = serde_json::to_string(&AuditAction::SwitchCommitted).unwrap();
        assert_eq!(json, r#""switch_committed""#);
        let json = serde_json::to_string(&Outcome::Refused).unwrap();
        assert_eq!(json, r#""refused""#);
        let role: Role = serde_json::from_str(r#""partner_admin""#).unwrap();
        assert_eq!(role, Role::PartnerAdmin);
    }

    #[test]
    fn unknown_roles_may_do_nothing() {
        let role: Role = serde_json::from_str(r#""auditor""#).unwrap();
        assert_eq!(role, Role::Other);
        let actor = Actor {
            sub: "u".into(),
            name: "U".into(),
            role,
            companies: vec!["acme".into()],
        };
        assert!(!actor.may_manage_company("acme"));
        assert!(!actor.may_manage_vaults("acme"));
        assert!(!actor.may_use_items("acme"));
    }

    #[test]
    fn company_admin_manages_exactly_one_company() {
        let mut actor = Actor {
            sub: "u".into(),
            name: "U".into(),
            role: Role::CompanyAdmin,
            companies: vec!["acme".into()],
        };
        assert!(actor.may_manage_company("acme"));
        assert!(!actor.may_manage_company("globex"));
        actor.companies.push("globex".into());
        assert!(!actor.may_manage_company("acme"));
    }

    #[test]
    fn as_str_is_the_wire_name() {
        for a in AuditAction::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for o in Outcome::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn each_action_is_in_its_trail_and_only_webhook_deliveries_are_in_both() {
        let workspace: Vec<_> = AuditAction::ALL
            .into_iter()
            .filter(|a| a.in_workspace_trail())
            .map(AuditAction::as_str)
            .collect();
        assert_eq!(
            workspace,
            [
                "webhook_delivery",
                "vault_created",
                "vault_create",
                "connection_tested",
                "client_secret_replaced",
                "default_vault_set",
                "item_created",
                "item_read",
                "vault_health_changed"
            ]
        );
        for a in AuditAction::ALL {
            assert!(
                a.in_company_trail() || a.in_workspace_trail(),
                "{a:?} in no trail"
            );
            assert_eq!(
                a.in_company_trail() && a.in_workspace_trail(),
                a == AuditAction::WebhookDelivery,
                "{a:?}"
            );
        }
    }

    #[test]
    fn all_lists_every_action_once() {
        let set: std::collections::HashSet<_> = AuditAction::ALL.iter().collect();
        assert_eq!(set.len(), AuditAction::ALL.len());
    }

    #[test]
    fn wire_names_read_back() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::from_wire(a.as_str()), Some(a));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_wire(o.as_str()), Some(o));
        }
        assert_eq!(AuditAction::from_wire("Save"), None);
        assert_eq!(Outcome::from_wire(""), None);
        for k in ActorKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn the_filter_reads_lists_and_repeats_and_refuses_unknown_names() {
        let mut f = AuditFilter::default();
        assert!(f.take("action", "save,cancel").unwrap());
        assert!(f.take("action", "save").unwrap());
        assert!(f.take("outcome", "refused").unwrap());
        assert!(!f.take("limit", "3").unwrap());
        assert_eq!(f.actions, [AuditAction::Save, AuditAction::Cancel]);
        assert_eq!(f.outcomes, [Outcome::Refused]);
        assert!(f.matches(AuditAction::Cancel, Outcome::Refused));
        assert!(!f.matches(AuditAction::Cancel, Outcome::Failed));
        assert!(!f.matches(AuditAction::Refresh, Outcome::Refused));
        assert_eq!(f.to_query(), "action=save,cancel&outcome=refused");
        let mut back = AuditFilter::default();
        for pair in f.to_query().split('&') {
            let (n, v) = pair.split_once('=').unwrap();
            back.take(n, v).unwrap();
        }
        assert_eq!(back, f);

        for (name, value) in [
            ("action", "drop_table"),
            ("action", ""),
            ("action", "save,"),
            ("outcome", "ok"),
            ("outcome", "SUCCEEDED"),
        ] {
            let mut f = AuditFilter::default();
            let err = f.take(name, value).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert_eq!(err.body().field.as_deref(), Some(name), "{value}");
        }
        let empty = AuditFilter::default();
        assert!(empty.is_empty() && empty.to_query().is_empty());
        assert!(empty.matches(AuditAction::Save, Outcome::Failed));
        // Either list alone makes a filter.
        let mut actions_only = AuditFilter::default();
        actions_only.take("action", "save").unwrap();
        let mut outcomes_only = AuditFilter::default();
        outcomes_only.take("outcome", "failed").unwrap();
        assert!(!actions_only.is_empty() && !outcomes_only.is_empty());

        // Every action named in every way still holds each action once.
        let mut all = AuditFilter::default();
        let names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for _ in 0..3 {
            all.take("action", &names.join(",")).unwrap();
        }
        assert_eq!(all.actions, AuditAction::ALL);
    }

    #[test]
    fn a_refused_filter_value_is_quoted_printable_and_short() {
        let reason =
            |name: &str, value: &str| match AuditFilter::default().take(name, value).unwrap_err() {
                crate::CatalogError::InvalidField { reason, .. } => reason,
                other => panic!("{other:?}"),
            };
        assert_eq!(
            reason("action", "drop\u{7}_table\r\n"),
            "'drop_table' is not an audit action (e.g. save, connection_test, company_key_export)"
        );
        assert_eq!(
            reason("outcome", &"x".repeat(100)),
            format!(
                "'{}' is not an outcome (succeeded, failed or refused)",
                "x".repeat(40)
            )
        );
    }

    #[test]
    fn identity_providers_have_their_wire_names() {
        for (p, name) in [
            (IdentityProvider::Microsoft, "microsoft"),
            (IdentityProvider::Google, "google"),
        ] {
            assert_eq!(p.as_str(), name);
            assert_eq!(serde_json::to_value(p).unwrap(), name);
        }
    }

    #[test]
    fn who_acted_is_sorted_by_kind() {
        let ms = OutsideAdmin {
            provider: IdentityProvider::Microsoft,
            account: "adele@contoso.com".into(),
        };
        let google = OutsideAdmin {
            provider: IdentityProvider::Google,
            account: "super@example.com".into(),
        };
        assert_eq!(
            ActorKind::of(Role::CompanyAdmin, Some(&ms)),
            ActorKind::MicrosoftAdmin
        );
        assert_eq!(
            ActorKind::of(Role::PartnerAdmin, Some(&google)),
            ActorKind::GoogleAdmin
        );
        assert_eq!(
            ActorKind::of(Role::CompanyAdmin, None),
            ActorKind::RedappUser
        );
        assert_eq!(ActorKind::of(Role::System, None), ActorKind::System);
        assert_eq!(
            ActorKind::of(Role::External, None),
            ActorKind::UnknownCaller
        );
    }
}
