//! What happens to a company: an admin's command, a callback, the alarm, or
//! the result of an effect the edge performed.

use super::model::{Target, TenantRef, UnverifiableSet};
use super::secret::OAuthSecret;
use crate::api::TestedKey;
use crate::audit::Actor;
use crate::catalog::CatalogError;
use crate::health::KeySeen;
use crate::ids::{KeyId, TenantId};

/// A tenant of the backup-set inventory, with its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryTenant {
    /// Which tenant.
    pub tenant: TenantRef,
    /// Its name in the host product, when it gives one.
    pub name: Option<String>,
}

/// What the backup-set inventory lists: every set reaches the model, either
/// as a tenant to verify or as a set that cannot be verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inventory {
    /// The tenants of the sets that name a valid one.
    pub tenants: Vec<InventoryTenant>,
    /// The sets that name no tenant keyswitch can verify.
    pub unverifiable: Vec<UnverifiableSet>,
}

impl Inventory {
    /// How many backup sets the inventory listed (each is a tenant or an
    /// unverifiable set).
    #[must_use]
    pub fn set_count(&self) -> u32 {
        u32::try_from(self.tenants.len().saturating_add(self.unverifiable.len()))
            .unwrap_or(u32::MAX)
    }
}

impl From<Vec<InventoryTenant>> for Inventory {
    fn from(tenants: Vec<InventoryTenant>) -> Self {
        Self {
            tenants,
            unverifiable: Vec::new(),
        }
    }
}

/// A tenant sign-in prepared by the edge (authorization URL with PKCE and
/// nonce), for the model to record or refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Microsoft's or Google's sign-in page, carrying the state.
    pub authorize_url: String,
    /// The PKCE verifier.
    pub pkce_verifier: OAuthSecret,
    /// The OpenID Connect nonce.
    pub oidc_nonce: String,
}

/// The query of the admin-consent callback (an OpenID Connect sign-in with
/// `prompt=admin_consent`). Microsoft's `admin_consent` and `tenant`
/// parameters are not read: they prove nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentAnswer {
    /// `code`.
    pub code: Option<OAuthSecret>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

/// What the consent sign-in proved: an admin (Global Administrator or
/// Privileged Role Administrator) of `tenant` signed in with this setup's
/// nonce, the connector then got a token in `tenant`, and Key Vault named
/// `vault_tenant` as the vault's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentProof {
    /// The ID token's `tid`.
    pub tenant: TenantId,
    /// The vault's tenant, from Key Vault's challenge.
    pub vault_tenant: TenantId,
    /// Who signed in (`preferred_username`).
    pub admin: String,
}

/// The query of a tenant-verification callback.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyAnswer {
    /// `code`.
    pub code: Option<OAuthSecret>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    // ---- an admin's commands ----
    /// Test Connection with a vault URI and key name: start a setup (or
    /// change the pending one's key), then ask for consent or run the test.
    /// Nothing outside is called before the model decides.
    Start {
        /// Who.
        actor: Actor,
        /// The key to switch to.
        target: Target,
        /// The consent sign-in the edge prepared with the context's nonce as
        /// state, recorded only if the model asks for consent.
        consent: SignIn,
    },
    /// Grant admin consent: a new consent sign-in for the pending setup.
    IssueConsent {
        /// Who.
        actor: Actor,
        /// The sign-in the edge prepared with the context's nonce as state.
        consent: SignIn,
    },
    /// Test Connection (or Completed in the role dialog) on the pending setup.
    Test {
        /// Who.
        actor: Actor,
    },
    /// Save: list the tenants to verify.
    Save {
        /// Who.
        actor: Actor,
    },
    /// Refresh the tenant list.
    Refresh {
        /// Who.
        actor: Actor,
    },
    /// The inventory lists no backup set: the admin confirms there is
    /// nothing to verify (the switch may then finish).
    ConfirmNoTenants {
        /// Who.
        actor: Actor,
    },
    /// Cancel pending setup.
    Cancel {
        /// Who.
        actor: Actor,
    },
    /// Start verifying a tenant (of the setup, or of an export round).
    BeginVerify {
        /// Who.
        actor: Actor,
        /// Which tenant.
        tenant: TenantRef,
        /// The sign-in the edge prepared with the context's nonce as state.
        sign_in: SignIn,
    },
    /// The one-time export.
    Export {
        /// Who.
        actor: Actor,
        /// When the session's holder last signed in (`auth_time`, Unix
        /// seconds), if the session says.
        signed_in_at: Option<i64>,
    },
    /// Start re-verifying every tenant before a further export.
    BeginExportRound {
        /// Who.
        actor: Actor,
    },
    /// The re-verification's inventory lists no backup set: the admin
    /// confirms there is nothing to verify (the inventory is read once
    /// more; the confirmation counts only if it still lists none).
    ConfirmNoExportTenants {
        /// Who.
        actor: Actor,
    },
    /// Operator path: move the company onto an AWS KMS key.
    MoveToAwsKms {
        /// Who.
        actor: Actor,
        /// The KMS key id or ARN.
        key_id: String,
    },
    /// *Check now*: check the key's health at once (rate limited like the
    /// connection test).
    CheckNow {
        /// Who.
        actor: Actor,
    },
    /// *Check configuration*: every check at once, changing nothing.
    CheckConfiguration {
        /// Who.
        actor: Actor,
    },
    /// *Re-wrap now*: re-wrap the company key with the key's current
    /// version (nothing to do when it is the recorded one).
    RewrapNow {
        /// Who.
        actor: Actor,
    },
    // ---- callbacks and time ----
    /// Microsoft's admin-consent callback with the random part of `state`.
    ConsentCallback {
        /// The random part of `state`.
        nonce: String,
        /// The rest of the query.
        answer: ConsentAnswer,
    },
    /// A tenant-verification callback with the random part of `state`.
    VerifyCallback {
        /// The random part of `state`.
        nonce: String,
        /// The rest of the query.
        answer: VerifyAnswer,
    },
    /// The alarm fired or someone looked: do what is due (expired leases,
    /// finalization retries, expired states).
    Tick,
    // ---- results of effects ----
    /// [`Effect::ProveConsent`](super::Effect::ProveConsent) finished.
    ConsentProven {
        /// The lease attempt.
        attempt: u32,
        /// What the sign-in proved.
        result: Result<ConsentProof, CatalogError>,
    },
    /// [`Effect::ProbeVault`](super::Effect::ProbeVault) finished.
    VaultProbed {
        /// The lease attempt.
        attempt: u32,
        /// The vault's tenant, from Key Vault's challenge.
        result: Result<TenantId, CatalogError>,
    },
    /// [`Effect::TestConnection`](super::Effect::TestConnection) finished.
    ConnectionTested {
        /// The lease attempt.
        attempt: u32,
        /// The tested key.
        result: Result<TestedKey, CatalogError>,
    },
    /// [`Effect::ReadInventory`](super::Effect::ReadInventory) finished.
    InventoryRead {
        /// The lease attempt.
        attempt: u32,
        /// Every backup set: its tenant, or why it cannot be verified.
        result: Result<Inventory, CatalogError>,
    },
    /// The status read the inventory because the kept backup-set count
    /// was due ([`Company::backup_set_count_due`](super::Company::backup_set_count_due)):
    /// how many sets it listed, or why it could not be read.
    BackupSetsCounted {
        /// The count, or the inventory's error.
        result: Result<u32, CatalogError>,
    },
    /// [`Effect::ExchangeCode`](super::Effect::ExchangeCode) finished.
    CodeExchanged {
        /// Hash of the sign-in's state.
        nonce_sha256: String,
        /// Who proved to be a qualified admin of the tenant.
        result: Result<String, CatalogError>,
    },
    /// [`Effect::Wrap`](super::Effect::Wrap) finished.
    Wrapped {
        /// The lease attempt.
        attempt: u32,
        /// The versioned kid and the new blob (base64).
        result: Result<(KeyId, String), CatalogError>,
    },
    /// [`Effect::VerifyWrap`](super::Effect::VerifyWrap) finished.
    WrapVerified {
        /// The lease attempt.
        attempt: u32,
        /// Whether Key Vault unwrapped the new blob to the same key.
        result: Result<(), CatalogError>,
    },
    /// [`Effect::ExportKey`](super::Effect::ExportKey) finished.
    Exported {
        /// The lease attempt.
        attempt: u32,
        /// Whether the key was handed out.
        result: Result<(), CatalogError>,
    },
    /// [`Effect::RewrapToAws`](super::Effect::RewrapToAws) finished.
    MovedToAws {
        /// The lease attempt.
        attempt: u32,
        /// The key ARN AWS KMS reported and the blob it wrapped (base64).
        result: Result<(String, String), CatalogError>,
    },
    /// [`Effect::CheckConfiguration`](super::Effect::CheckConfiguration) finished.
    ConfigurationChecked {
        /// Who asked.
        actor: Actor,
        /// Which key.
        scope: crate::rotation::CheckScope,
        /// The key checked.
        key: KeyId,
        /// What the edge saw.
        seen: Box<crate::rotation::CheckObservations>,
    },
    /// [`Effect::ReadKeyVersion`](super::Effect::ReadKeyVersion) finished.
    KeyVersionRead {
        /// The lease attempt.
        attempt: u32,
        /// The key's current versioned kid.
        result: Result<KeyId, CatalogError>,
    },
    /// [`Effect::Rewrap`](super::Effect::Rewrap) finished.
    Rewrapped {
        /// The lease attempt.
        attempt: u32,
        /// The versioned kid Key Vault used and the new blob (base64).
        result: Result<(KeyId, String), CatalogError>,
    },
    /// [`Effect::VerifyRewrap`](super::Effect::VerifyRewrap) finished.
    RewrapVerified {
        /// The lease attempt.
        attempt: u32,
        /// Whether the new version unwrapped the new blob to the same key.
        result: Result<(), CatalogError>,
    },
    /// [`Effect::CheckKey`](super::Effect::CheckKey) finished: what the GET
    /// of the key showed, or the refusal it met.
    KeyChecked {
        /// The check's attempt.
        attempt: u32,
        /// The key as seen, or why not.
        result: Result<KeySeen, CatalogError>,
    },
    /// [`Effect::ProbeKey`](super::Effect::ProbeKey) finished.
    KeyProbed {
        /// The check's attempt.
        attempt: u32,
        /// Whether the wrap/unwrap round trip gave the probe back.
        result: Result<(), CatalogError>,
    },
    /// The key-binding registry answered a write: how many *other*
    /// companies the key is bound to now.
    BindingRecorded {
        /// The write's attempt.
        attempt: u32,
        /// The other companies' count, or why the write failed.
        result: Result<u32, CatalogError>,
    },
    /// The Cron sweep woke the company because something was due a while
    /// ago: the object's alarm as it is (`None`: no alarm set), Unix ms.
    Sweep {
        /// The object's alarm.
        alarm_at_ms: Option<u64>,
    },
    /// The host answered a webhook send ([`Effect::Webhook`](super::Effect::Webhook)).
    WebhookAnswered {
        /// The send's attempt.
        attempt: u32,
        /// The 2xx status, or why it failed.
        result: Result<u16, crate::notify::Failure>,
    },
}

impl Event {
    /// The snake_case name, for refusals.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start { .. } => "start",
            Self::IssueConsent { .. } => "grant_admin_consent",
            Self::Test { .. } => "test_connection",
            Self::Save { .. } => "save",
            Self::Refresh { .. } => "refresh",
            Self::ConfirmNoTenants { .. } => "confirm_no_tenants",
            Self::Cancel { .. } => "cancel",
            Self::BeginVerify { .. } => "verify_tenant",
            Self::Export { .. } => "export",
            Self::BeginExportRound { .. } => "export_verification",
            Self::ConfirmNoExportTenants { .. } => "export_confirm_no_tenants",
            Self::MoveToAwsKms { .. } => "move_to_aws_kms",
            Self::RewrapNow { .. } => "rewrap_now",
            Self::CheckNow { .. } => "check_now",
            Self::KeyChecked { .. } => "key_checked",
            Self::KeyProbed { .. } => "key_probed",
            Self::CheckConfiguration { .. } => "check_configuration",
            Self::ConfigurationChecked { .. } => "configuration_checked",
            Self::ConsentCallback { .. } => "admin_consent_callback",
            Self::VerifyCallback { .. } => "verify_callback",
            Self::Tick => "tick",
            Self::ConsentProven { .. } => "consent_proven",
            Self::VaultProbed { .. } => "vault_probed",
            Self::ConnectionTested { .. } => "connection_tested",
            Self::InventoryRead { .. } => "inventory_read",
            Self::BackupSetsCounted { .. } => "backup_sets_counted",
            Self::CodeExchanged { .. } => "code_exchanged",
            Self::Wrapped { .. } => "wrapped",
            Self::WrapVerified { .. } => "wrap_verified",
            Self::Exported { .. } => "exported",
            Self::MovedToAws { .. } => "moved_to_aws",
            Self::BindingRecorded { .. } => "binding_recorded",
            Self::KeyVersionRead { .. } => "key_version_read",
            Self::Rewrapped { .. } => "rewrapped",
            Self::RewrapVerified { .. } => "rewrap_verified",
            Self::WebhookAnswered { .. } => "webhook_answered",
            Self::Sweep { .. } => "sweep",
        }
    }
}
