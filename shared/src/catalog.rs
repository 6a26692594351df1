//! The error catalog: every failure an administrator can meet, with a stable
//! `code`, a message, how to fix it, and the HTTP status the edge answers
//! with. The edge sends [`ErrorBody`] exactly as the app shows it.

use serde::{Deserialize, Serialize};

use crate::commands::CommandTab;
use crate::commands::role::{Grant, Principal};
use crate::ids::{ClientId, KeyId, KeyName, TenantId};
use crate::validation::ValidationError;
use crate::vault_uri::{Cloud, VaultKind, VaultUri};

/// The JSON the API returns for every failure: `{"code","message","fix"}`,
/// plus `field` for input errors and `detail` where there is more to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable snake_case code; the app and tests match on it.
    pub code: String,
    /// What happened, for the administrator.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The input field at fault, for input errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why it happened, or what was found, when that helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a lost access to a customer's key (`key_access_lost`,
    /// `vault_key_unreachable`): the cause's stable code (see
    /// [`CatalogError::access_lost_cause`]), for machines to match on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the fix is to run something in Azure: the commands, complete
    /// (vault, key, cloud and principal filled in), for each tool an Azure
    /// team may use (see [`CatalogError::commands`]); `fix` names the
    /// Azure CLI line for API clients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<crate::commands::CommandTab>,
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
#[must_use]
pub fn utc_minutes(secs: i64) -> String {
    let t = crate::calendar::UtcTime::from_unix_secs(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// Every failure keyswitch reports. See [`CatalogError::code`],
/// [`message`](CatalogError::message), [`fix`](CatalogError::fix) and
/// [`status`](CatalogError::status); serialises as [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(into = "ErrorBody")]
pub enum CatalogError {
    // ---- seed 000, "Common issues" ----
    /// A full key URL was pasted into the Vault URI field.
    #[error("The URI appears to contain the key path")]
    UriContainsKeyPath {
        /// The vault base URI to use instead.
        vault_uri: String,
        /// The key name to put in the Key Name field.
        key_name: String,
    },
    /// A secret URL was pasted into the Vault URI field.
    #[error("The URI appears to point to a secret")]
    UriPointsToSecret,
    /// The key name is unknown in the vault (or is a secret's name).
    #[error("Key not found in the vault")]
    KeyNotFound {
        /// The name Key Vault reported, when known.
        key_name: Option<String>,
    },
    /// No admin consent, or the cached consent (24 h) expired.
    #[error("Azure AD admin consent is required")]
    AdminConsentRequired,
    /// Consent exists but the connector has no permission on the key (RBAC).
    #[error("Access denied")]
    KeyVaultForbidden,
    /// The vault uses the legacy access-policy permission model.
    #[error(
        "The vault uses \"vault access policy\", the legacy permission model, which CyberSentriq doesn't support"
    )]
    AccessPolicyVault,
    /// The connector's ID token carries no `wids` claim, so the admin's
    /// directory roles can't be read (the app manifest's
    /// `groupMembershipClaims` does not ask for them).
    #[error("Microsoft's sign-in did not say which directory roles the admin has")]
    IdTokenWithoutRoles,
    /// The user who tried the consent flow lacks the Entra role.
    #[error(
        "That user doesn't have the Global Administrator or Privileged Role Administrator role."
    )]
    ConsentUserLacksRole,
    /// Tenants remain unverified, so the switch cannot finish.
    #[error("The switch won't complete - tenants keep showing as unverified")]
    TenantsUnverified {
        /// How many tenants of the latest inventory are not verified.
        unverified: usize,
    },

    // ---- keys ----
    /// Vault management requires an RSA 4096 key.
    #[error("The key must be RSA 4096, but it is {found}")]
    KeyNotRsa4096 {
        /// What was found, e.g. "RSA 2048" or "EC".
        found: String,
    },
    /// The RSA key size is not one keyswitch accepts here.
    #[error("The key is RSA {found_bits}, which is not supported here")]
    KeySizeNotSupported {
        /// The size found, in bits.
        found_bits: u32,
        /// The sizes accepted.
        allowed: Vec<u32>,
    },
    /// The key is not an RSA key.
    #[error("The key is of type {found}, but an RSA key is required")]
    KeyWrongType {
        /// The `kty` found.
        found: String,
    },
    /// The key (its current version) is disabled.
    #[error("The key is disabled")]
    KeyDisabled,
    /// The key's expiration date has passed.
    #[error("The key has expired")]
    KeyExpired {
        /// The `exp` attribute (Unix seconds), when known.
        expired_at: Option<i64>,
    },
    /// The key's activation date is in the future.
    #[error("The key is not active yet")]
    KeyNotYetValid {
        /// The `nbf` attribute (Unix seconds), when known.
        valid_from: Option<i64>,
    },
    /// The key does not permit wrapKey and/or unwrapKey.
    #[error("The key does not permit {}", missing.join(" and "))]
    KeyOperationsMissing {
        /// The operations that are missing.
        missing: Vec<String>,
    },
    /// The key has no `keyswitch-company` tag: its owner never bound it to
    /// a company.
    #[error(
        "The key is not bound to this company: it has no {} tag",
        crate::binding::TAG
    )]
    KeyBindingMissing {
        /// The vault (its name, kind and cloud say which commands fix it).
        vault: VaultUri,
        /// The key's name.
        key_name: String,
        /// The company the key must name.
        company: String,
    },
    /// The key's `keyswitch-company` tag names other companies, not this one.
    #[error("The key is bound to other companies, not to {company}")]
    KeyBindingMismatch {
        /// The vault (its name, kind and cloud say which commands fix it).
        vault: VaultUri,
        /// The key's name.
        key_name: String,
        /// The company the key must name.
        company: String,
        /// The company ids the tag names.
        found: Vec<String>,
    },

    // ---- Azure Key Vault service ----
    /// Key Vault answered 429.
    #[error("Azure Key Vault is throttling requests")]
    Throttled,
    /// A connection test of this company ran less than ten seconds ago.
    #[error("A connection test ran moments ago: wait {retry_after_secs} s before the next one")]
    RateLimited {
        /// Seconds until the next test may run.
        retry_after_secs: u64,
        /// The limit: one test per this many seconds.
        interval_secs: u64,
    },
    /// Azure answered 5xx or did not answer.
    #[error("Azure is not responding right now")]
    AzureUnavailable,
    /// The vault's firewall refused the call.
    #[error("The vault's firewall blocked the request")]
    VaultFirewall,
    /// No Azure Key Vault answers at the vault URI: its name does not
    /// resolve, or Key Vault says there is no such vault (mistyped, or
    /// deleted).
    #[error("No Azure Key Vault answers at {host}")]
    VaultNotFound {
        /// The vault's host, e.g. `contoso-kms.vault.azure.net`.
        host: String,
    },
    /// Key Vault answered "Access denied to first party service": the vault
    /// lets only trusted Microsoft services through (not an access policy).
    #[error(
        "The vault accepts only trusted Microsoft services, and CyberSentriq is not one of them"
    )]
    FirstPartyServiceDenied,
    /// Key Vault refused (403) for a reason keyswitch does not recognise.
    #[error("Azure Key Vault refused the operation ({code})")]
    KeyVaultForbiddenOther {
        /// Key Vault's error code and inner codes, e.g. `Forbidden/…`.
        code: String,
        /// The first line of Key Vault's message, when it gave one.
        reason: Option<String>,
    },
    /// Health check: the connector's Key Vault role (or access-policy
    /// permission) on the vault was removed after the switch.
    #[error("CyberSentriq's role on the vault {} was removed", .vault.vault_name())]
    RoleRemoved {
        /// The vault (a Managed HSM's role is in its local RBAC).
        vault: VaultUri,
        /// The key (a Managed HSM's role is scoped to it).
        key_name: KeyName,
        /// The KMS Connector's application id in the vault's cloud (from
        /// the deployment's configuration, never from a name lookup); when
        /// known, the fix is a command that assigns the role to it.
        connector: Option<ClientId>,
    },
    /// Health check: the connector's admin consent (its service principal)
    /// was removed from the vault's tenant after the switch.
    #[error("CyberSentriq's admin consent was removed from the vault's Microsoft Entra tenant")]
    ConsentRemoved {
        /// The vault's tenant, when known.
        tenant: Option<TenantId>,
    },
    /// Health check: the key was deleted from the vault (soft-deleted keys
    /// can be recovered).
    #[error("The key {key_name} was deleted from the vault {}", .vault.vault_name())]
    KeyDeleted {
        /// The vault (its kind and cloud say which command recovers the key).
        vault: VaultUri,
        /// The key's name.
        key_name: String,
        /// How long a deleted key stays recoverable, from the key's last
        /// GET (`recoverableDays`), when known.
        recoverable_days: Option<u32>,
    },
    /// Key Vault refused the access token (401).
    #[error("Azure Key Vault did not accept CyberSentriq's access token")]
    VaultTokenRejected {
        /// The vault's tenant, from the `WWW-Authenticate` challenge.
        vault_tenant: Option<TenantId>,
    },
    /// Any other Key Vault refusal.
    #[error("Azure Key Vault refused the request ({code})")]
    KeyVaultRejected {
        /// The HTTP status.
        status: u16,
        /// Key Vault's error code.
        code: String,
    },

    /// The vault's cloud has no connector configured in this deployment.
    #[error("{} vaults can't be used here: CyberSentriq has no connector for that cloud", .cloud.name())]
    CloudNotConfigured {
        /// The vault's cloud.
        cloud: Cloud,
        /// The clouds that have a connector.
        available: Vec<Cloud>,
    },

    // ---- Microsoft Entra ----
    /// The admin declined consent (AADSTS65004, or canceled).
    #[error("The admin declined the consent request")]
    ConsentDeclined,
    /// A consent or token request failed for another reason.
    #[error("Microsoft Entra ID returned an error ({error})")]
    EntraRejected {
        /// The OAuth `error` and AADSTS code, when given.
        error: String,
    },
    /// AADSTS7000215: wrong client secret.
    #[error("The client secret is not valid")]
    ClientSecretInvalid,
    /// AADSTS7000222: the client secret expired.
    #[error("The client secret has expired")]
    ClientSecretExpired,
    /// AADSTS700016 for the customer's own app: wrong client or tenant id.
    #[error("The Client ID was not found in the tenant")]
    ApplicationNotFound,
    /// AADSTS90002: the tenant does not exist.
    #[error("The Microsoft Entra tenant was not found")]
    TenantNotFound,

    // ---- tenant verification ----
    /// A backup set of the inventory names no tenant keyswitch can verify
    /// (an unknown kind, a tenant given as a domain, a malformed customer
    /// id): it blocks the switch until corrected.
    #[error("Backup set {set} can't be verified: {reason}")]
    BackupSetUnverifiable {
        /// The set as people name it: `"Name" (id)`.
        set: String,
        /// Why it can't be verified.
        reason: String,
    },
    /// A verification was done by someone without the required role.
    #[error("The tenant was verified by someone without the required role")]
    TenantVerifiedWithoutRole,
    /// The admin signed in to another tenant (or Google customer) than the one to verify.
    #[error(
        "The admin signed in to a different tenant ({found}) than the one to verify ({expected})"
    )]
    TenantMismatch {
        /// The tenant (or customer) to verify.
        expected: String,
        /// The tenant (or customer) the admin belongs to.
        found: String,
    },
    /// The OAuth state was issued by keyswitch but its time is up.
    #[error("This sign-in request has expired")]
    OAuthStateExpired,
    /// The OAuth state is not one keyswitch issued (its MAC or shape is
    /// wrong): forged or altered.
    #[error("This sign-in request was not issued by keyswitch")]
    OAuthStateInvalid,
    /// The OAuth state was issued by keyswitch and has been used already
    /// (a replayed callback).
    #[error("This sign-in request was already used")]
    OAuthStateUsed,
    /// The OAuth state belongs to a setup or re-verification round that is
    /// no longer under way (cancelled, replaced or finished).
    #[error("This sign-in request belongs to a setup that is no longer under way")]
    OAuthStateSuperseded,
    /// The OAuth state was issued for the other sign-in flow (admin consent
    /// versus tenant verification).
    #[error("This sign-in request belongs to another sign-in step")]
    OAuthStateWrongFlow,
    /// The ID token at the end of a sign-in failed one of its checks.
    #[error("The sign-in's ID token from {service} {}", fault.what())]
    IdTokenRefused {
        /// Who issued it ("Microsoft Entra ID", "Google").
        service: String,
        /// The check it failed.
        fault: crate::id_token::IdTokenFault,
    },
    /// A Google delegated admin tried to verify.
    #[error("A delegated admin can't verify a Google Workspace account")]
    GoogleDelegatedAdmin,
    /// A Google user who is not a Super Admin tried to verify.
    #[error("That Google account is not a Super Admin")]
    GoogleNotSuperAdmin,
    /// Google answered 5xx or did not answer.
    #[error("Google is not responding right now")]
    GoogleUnavailable,
    /// Any other Google refusal.
    #[error("Google refused the request (HTTP {status})")]
    GoogleRejected {
        /// The HTTP status.
        status: u16,
    },

    // ---- product rules ----
    /// A second cloud vault of the same provider in one workspace.
    #[error("This workspace already has a vault with Azure External Keys")]
    CloudVaultExists,
    /// The Azure key protecting a vault could not be used to read or store
    /// an item: says why (`cause`) and that nothing was lost.
    #[error(
        "The Azure key that protects this vault is unreachable: {}",
        unreachable_why(.cause, .client_id)
    )]
    VaultKeyUnreachable {
        /// Why Key Vault (or Entra) refused.
        cause: Box<CatalogError>,
        /// The versioned key the vault key is wrapped with.
        kid: KeyId,
        /// The customer's service principal.
        client_id: ClientId,
    },
    /// The envelope API could not use the company key because access to
    /// the customer's Azure key is lost (not a transient failure): names
    /// the cause; nothing is lost, data keys decrypt again once access
    /// returns.
    #[error(
        "Access to the company's key in Azure Key Vault is lost: {}",
        .cause.message()
    )]
    KeyAccessLost {
        /// Key Vault's (or Entra's) refusal.
        cause: Box<CatalogError>,
        /// The versioned key the company key is wrapped with.
        kid: KeyId,
    },
    /// The one-time export was used, or no switch has completed.
    #[error("The one-time key export is not available")]
    ExportNotAvailable,
    /// The one-time export was offered for a bounded window after the
    /// switch, and that window has ended.
    #[error("The one-time key export window has ended")]
    ExportWindowExpired {
        /// When the window ended (Unix seconds).
        closed_at: i64,
    },
    /// The action needs a sign-in more recent than the session's.
    #[error("This action needs a recent sign-in")]
    ReauthenticationRequired {
        /// How recent the sign-in must be (minutes).
        max_age_mins: i64,
    },

    // ---- generic ----
    /// A refused input value.
    #[error("{0}")]
    InvalidInput(ValidationError),
    /// A refused input the edge checks itself (not one of this crate's types).
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field or parameter.
        field: String,
        /// Why it was refused.
        reason: String,
    },
    /// A request body larger than the route accepts (refused while reading).
    #[error("The request body is too large")]
    BodyTooLarge {
        /// The most the route accepts, in bytes.
        limit_bytes: usize,
    },
    /// No (valid) session.
    #[error("You are not signed in")]
    NotSignedIn,
    /// Signed in, but the role or company does not allow this.
    #[error("Your role does not allow this action")]
    ForbiddenRole,
    /// Signed in, but the role or workspace does not allow this (vault
    /// management: the same code as [`CatalogError::ForbiddenRole`], with the
    /// workspace's roles in the fix).
    #[error("Your role does not allow this action")]
    ForbiddenVaultRole,
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{what} was not found")]
    NotFound {
        /// What was looked for, e.g. "Company".
        what: String,
    },
    /// The request conflicts with the current state.
    #[error("{reason}")]
    Conflict {
        /// What conflicts.
        reason: String,
    },
    /// An event that does not apply in the current setup state.
    #[error("\"{event}\" is not possible while the setup is {state}")]
    InvalidTransition {
        /// The state the setup is in.
        state: String,
        /// The event that was refused.
        event: String,
    },
    /// An outside service answered something keyswitch cannot read.
    #[error("{service} gave an unexpected answer")]
    UnexpectedAnswer {
        /// Which service.
        service: String,
    },
    /// A step in flight did not finish: the service restarted while it ran.
    /// Nothing changed; the step can simply be run again.
    #[error("The {step} was interrupted before it finished")]
    Interrupted {
        /// Which step, as the admin knows it (e.g. "connection test").
        step: String,
    },
    /// The envelope API was called for a company that has no KMS record
    /// (never set up): refused, and no record is created.
    #[error("This company has no KMS record")]
    UnknownCompany,
    /// The envelope credential is valid but not allowed for this company
    /// (its company allow-list does not name it).
    #[error("This service credential is not allowed for this company")]
    EnvelopeCompanyNotAllowed,
    /// The deployed worker's configuration is unsafe or incomplete; every
    /// route answers this until the operator fixes it (the log names what).
    #[error("The service is not configured correctly")]
    ServiceMisconfigured,
    /// Anything else; details go to the log, never to the client.
    #[error("Something went wrong on our side")]
    Internal,
}

const FIX_CONSENT: &str = "Click Grant admin consent again and complete the flow with a Global Admin or Privileged Role Admin.";
const FIX_RBAC: &str = "Ask your Azure admin to grant CyberSentriq the key-use permission on the vault, then retry the test.";
const FIX_SUPER_ADMIN: &str = "Ask a Super Admin to authorise CyberSentriq. Delegated admins will not work. To check a user's role: sign into the Google admin center and go to Account > Admin roles > Super Admin.";
const FIX_RETRY_LATER: &str = "Try again in a few minutes. Nothing was changed.";
const FIX_NEW_SECRET: &str = "Create a new client secret under Certificates & secrets of the app registration, then replace the secret here (copy its Value, not its Secret ID).";
const FIX_RSA_KEY: &str =
    "In the vault's Keys, create or import a key with Key type RSA and use its name.";

impl CatalogError {
    /// The stable snake_case code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        use CatalogError as E;
        match self {
            E::UriContainsKeyPath { .. } => "uri_contains_key_path",
            E::UriPointsToSecret => "uri_points_to_secret",
            E::KeyNotFound { .. } => "key_not_found",
            E::AdminConsentRequired => "admin_consent_required",
            E::KeyVaultForbidden => "key_vault_forbidden",
            E::AccessPolicyVault => "access_policy_vault",
            E::ConsentUserLacksRole => "consent_user_lacks_role",
            E::TenantsUnverified { .. } => "tenants_unverified",
            E::KeyNotRsa4096 { .. } => "key_not_rsa_4096",
            E::KeySizeNotSupported { .. } => "key_size_not_supported",
            E::KeyWrongType { .. } => "key_wrong_type",
            E::KeyDisabled => "key_disabled",
            E::KeyExpired { .. } => "key_expired",
            E::KeyNotYetValid { .. } => "key_not_yet_valid",
            E::KeyOperationsMissing { .. } => "key_operations_missing",
            E::KeyBindingMissing { .. } => "key_binding_missing",
            E::KeyBindingMismatch { .. } => "key_binding_mismatch",
            E::Throttled => "throttled",
            E::RateLimited { .. } => "rate_limited",
            E::AzureUnavailable => "azure_unavailable",
            E::VaultFirewall => "vault_firewall",
            E::VaultNotFound { .. } => "vault_not_found",
            E::FirstPartyServiceDenied => "first_party_service_denied",
            E::KeyVaultForbiddenOther { .. } => "key_vault_forbidden_other",
            E::CloudNotConfigured { .. } => "cloud_not_configured",
            E::IdTokenWithoutRoles => "id_token_without_roles",
            E::RoleRemoved { .. } => "role_removed",
            E::ConsentRemoved { .. } => "consent_removed",
            E::KeyDeleted { .. } => "key_deleted",
            E::VaultTokenRejected { .. } => "vault_token_rejected",
            E::KeyVaultRejected { .. } => "key_vault_rejected",
            E::ConsentDeclined => "consent_declined",
            E::EntraRejected { .. } => "entra_rejected",
            E::ClientSecretInvalid => "client_secret_invalid",
            E::ClientSecretExpired => "client_secret_expired",
            E::ApplicationNotFound => "application_not_found",
            E::TenantNotFound => "tenant_not_found",
            E::BackupSetUnverifiable { .. } => "backup_set_unverifiable",
            E::TenantVerifiedWithoutRole => "tenant_verified_without_role",
            E::TenantMismatch { .. } => "tenant_mismatch",
            E::OAuthStateExpired => "oauth_state_expired",
            E::OAuthStateInvalid => "oauth_state_invalid",
            E::OAuthStateUsed => "oauth_state_used",
            E::OAuthStateSuperseded => "oauth_state_superseded",
            E::OAuthStateWrongFlow => "oauth_state_wrong_flow",
            E::IdTokenRefused { fault, .. } => fault.code(),
            E::GoogleDelegatedAdmin => "google_delegated_admin",
            E::GoogleNotSuperAdmin => "google_not_super_admin",
            E::GoogleUnavailable => "google_unavailable",
            E::GoogleRejected { .. } => "google_rejected",
            E::CloudVaultExists => "cloud_vault_exists",
            E::VaultKeyUnreachable { .. } => "vault_key_unreachable",
            E::KeyAccessLost { .. } => "key_access_lost",
            E::ExportNotAvailable => "export_not_available",
            E::ExportWindowExpired { .. } => "export_window_expired",
            E::ReauthenticationRequired { .. } => "reauthentication_required",
            E::InvalidInput(_) | E::InvalidField { .. } => "invalid_input",
            E::BodyTooLarge { .. } => "body_too_large",
            E::NotSignedIn => "not_signed_in",
            E::ForbiddenRole | E::ForbiddenVaultRole => "forbidden_role",
            E::NotFound { .. } => "not_found",
            E::Conflict { .. } => "conflict",
            E::InvalidTransition { .. } => "invalid_state_transition",
            E::UnexpectedAnswer { .. } => "unexpected_answer",
            E::Interrupted { .. } => "step_interrupted",
            E::UnknownCompany => "company_unknown",
            E::EnvelopeCompanyNotAllowed => "envelope_company_not_allowed",
            E::ServiceMisconfigured => "service_misconfigured",
            E::Internal => "internal",
        }
    }

    /// What happened, for the administrator (same as `Display`).
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// How to fix it.
    #[must_use]
    pub fn fix(&self) -> String {
        use CatalogError as E;
        match self {
            E::UriContainsKeyPath { vault_uri, key_name } => format!(
                "Use only the vault base URI ({vault_uri}). Put the key name ({key_name}) in the separate Key Name field."
            ),
            E::UriPointsToSecret => "In the Azure Portal, open your Key Vault and go to Keys (not Secrets). Use an RSA key.".into(),
            E::KeyNotFound { .. } => "Open the vault's Keys section in the Azure Portal and copy the exact key name.".into(),
            E::AdminConsentRequired => FIX_CONSENT.into(),
            E::KeyVaultForbidden => format!(
                "{FIX_RBAC} The least role that works is Key Vault Crypto User, assigned on the vault (or the key) to the service principal."
            ),
            E::AccessPolicyVault => "Ask your Azure admin to switch the vault to Azure role-based access control and re-apply the key-use permission. In the Azure Portal: open the vault, go to Settings > Access configuration, select Azure role-based access control and Save.".into(),
            E::ConsentUserLacksRole => "Ask an admin with the correct Entra role to grant consent. Microsoft enforces this role check itself.".into(),
            E::TenantsUnverified { .. } => "Refresh the tenant list and complete consent for any new tenants using a qualified admin account.".into(),
            E::KeyNotRsa4096 { .. } => "In the vault's Keys, create or import a key with Key type RSA and RSA key size 4096, and use its name.".into(),
            E::KeySizeNotSupported { allowed, .. } => format!(
                "Use an RSA key of {} bits.",
                allowed.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
            E::KeyWrongType { .. } => FIX_RSA_KEY.into(),
            E::KeyDisabled => "In the Azure Portal, open the key's current version and set Enabled to Yes, or choose another key.".into(),
            E::KeyExpired { .. } => "Set a later expiration date on the key's current version, or create a new version of the key, then retry.".into(),
            E::KeyNotYetValid { .. } => "Wait until the key's activation date, or remove the activation date from the key's current version, then retry.".into(),
            E::KeyBindingMissing {
                vault,
                key_name,
                company,
            } => binding_fix(vault, key_name, &[], company),
            E::KeyBindingMismatch {
                vault,
                key_name,
                company,
                found,
            } => binding_fix(vault, key_name, found, company),
            E::KeyOperationsMissing { .. } => "Allow the Wrap Key and Unwrap Key operations on the key (Permitted operations in the Azure Portal), or use a key that allows them.".into(),
            E::RateLimited {
                retry_after_secs,
                interval_secs,
            } => format!("Wait {retry_after_secs} s, then run the test again. keyswitch runs at most one connection test per company every {interval_secs} seconds, to spare your vault's request quota."),
            E::Throttled => "Wait a minute, then try again. Key Vault limits how many requests a vault accepts; other applications may be using this vault heavily.".into(),
            E::AzureUnavailable | E::GoogleUnavailable => FIX_RETRY_LATER.into(),
            E::VaultNotFound { .. } => "Check the vault name in the Vault URI: copy the Vault URI from the vault's Overview page in the Azure Portal. If the vault was deleted, recover it under Key vaults > Manage deleted vaults, or use another vault.".into(),
            E::VaultFirewall => "Ask your Azure admin to allow access to the vault from CyberSentriq in the vault's Networking settings, then retry.".into(),
            E::FirstPartyServiceDenied => "Ask your Azure admin to open the vault's Networking settings: the vault lets only trusted Microsoft services through, and CyberSentriq's connector is a third-party application. Allow CyberSentriq's access there (a role or an access policy does not help), then retry.".into(),
            E::KeyVaultForbiddenOther { .. } => "Key Vault refused for a reason CyberSentriq does not recognise, so it can't tell what to change: adding a role may not help. Ask your Azure admin to look up this refusal (the code and Key Vault's words are shown) in the vault's diagnostic logs or Azure's documentation, fix its cause, then retry.".into(),
            E::CloudNotConfigured { cloud, available } => cloud_fix(*cloud, available),
            E::IdTokenWithoutRoles => "Contact CyberSentriq support: the KMS Connector's app registration must list directory roles in its tokens (in its app manifest, groupMembershipClaims set to \"DirectoryRole\" or \"All\"). Nothing was changed; sign in again once support confirms the change.".into(),
            E::RoleRemoved { vault, key_name, connector } => {
                role_removed_fix(vault, key_name, connector.as_ref())
            }
            E::ConsentRemoved { tenant } => format!(
                "Ask a Global Administrator or Privileged Role Administrator of {} to grant admin consent to the CyberSentriq KMS Connector again (Manage KMS: Switch to Azure Key Vault with the same vault and key, then Grant admin consent; cancel the setup afterwards), and to assign its Key Vault Crypto User role on the vault again if it was removed with the application. keyswitch sees it at its next check; Check now shows it at once.",
                tenant.as_ref().map_or_else(|| "the vault's tenant".to_owned(), |t| format!("tenant {}", t.as_str()))
            ),
            E::KeyDeleted { vault, key_name, recoverable_days } => format!(
                "If the key was soft-deleted, recover it{}: {}. keyswitch sees the recovered key at its next check; Check now shows it at once. A purged key cannot be recovered: the company key can then only be restored from the one-time export.",
                recoverable_days.map_or_else(
                    || " within the vault's soft-delete retention (7 to 90 days after its deletion; 90 unless the vault was set otherwise)".to_owned(),
                    |d| format!(" within {d} days of its deletion (the vault's retention)"),
                ),
                recover_how(vault, key_name)
            ),
            E::VaultTokenRejected { vault_tenant: Some(t) } => format!(
                "The vault belongs to tenant {t}. Grant admin consent in that tenant with a Global Admin or Privileged Role Admin, then retry."
            ),
            E::VaultTokenRejected { vault_tenant: None } => "Make sure admin consent was granted in the tenant that owns the vault, then retry.".into(),
            E::KeyVaultRejected { .. } | E::EntraRejected { .. } | E::GoogleRejected { .. } | E::UnexpectedAnswer { .. } => {
                "Try again. If it keeps happening, contact support with the time of the error.".into()
            }
            E::ConsentDeclined => "Start the step again and accept the permissions on Microsoft's consent page.".into(),
            E::ClientSecretInvalid => "Copy the client secret's Value (not its Secret ID) from Certificates & secrets of the app registration and enter it again.".into(),
            E::ClientSecretExpired => FIX_NEW_SECRET.into(),
            E::ApplicationNotFound => "Check the Application (client) ID and the Directory (tenant) ID on the app registration's Overview page in Microsoft Entra ID.".into(),
            E::TenantNotFound => "Check the Directory (tenant) ID on the Overview page of Microsoft Entra ID.".into(),
            E::BackupSetUnverifiable { set, .. } => format!(
                "Correct backup set {set} in RedApp (a Microsoft 365 set needs its tenant ID, a GUID; a Google Workspace set its customer ID, like C03az79cb), or remove it, then select Refresh. The switch can't finish while a backup set can't be verified."
            ),
            E::TenantVerifiedWithoutRole => "Verify the tenant again with a Global Administrator or Privileged Role Administrator (Microsoft 365) or a Super Admin (Google Workspace).".into(),
            E::TenantMismatch { .. } => "Sign in with an admin account of the tenant shown in the list, then verify again.".into(),
            E::OAuthStateExpired => "Start the step again. Sign-in requests can be used once and expire after a few minutes.".into(),
            E::OAuthStateInvalid => "Start the step again from the console. Use only the sign-in link keyswitch opens; a link that was altered or sent by someone else is refused.".into(),
            E::OAuthStateUsed => "Start the step again from the console. Each sign-in request works once; reloading the page after a sign-in does not repeat it.".into(),
            E::OAuthStateSuperseded => "Reload the console to see the current setup, then start the sign-in again from there.".into(),
            E::OAuthStateWrongFlow => "Start the step again from the console and finish the sign-in in the same browser tab.".into(),
            E::IdTokenRefused { fault, .. } if fault.is_timing() => "Check that this computer's clock is right, then start the sign-in again. If it keeps happening, contact support with the time of the error.".into(),
            E::IdTokenRefused { .. } => "Start the sign-in again from the console. If it keeps happening, contact support with the time of the error: the sign-in answer could not be trusted, so nothing was changed.".into(),
            E::GoogleDelegatedAdmin | E::GoogleNotSuperAdmin => FIX_SUPER_ADMIN.into(),
            E::CloudVaultExists => "Only one cloud vault per provider is supported. Use the existing Azure External Keys vault.".into(),
            E::ExportNotAvailable => "Verify every tenant again, then export the key.".into(),
            E::ExportWindowExpired { .. } => "The export without re-verification is offered for a limited time after the switch. Verify every tenant again, then export the key.".into(),
            E::ReauthenticationRequired { max_age_mins } => format!(
                "Sign in to RedApp again (a sign-in within the last {max_age_mins} minutes counts), then repeat the action."
            ),
            E::InvalidInput(e) => e.fix(),
            E::InvalidField { .. } => "Correct the value and try again.".into(),
            E::BodyTooLarge { limit_bytes } => format!(
                "Send a body of at most {} KiB.",
                limit_bytes.div_ceil(1024)
            ),
            E::NotSignedIn => "Sign in again.".into(),
            E::ForbiddenRole => "Ask a Partner Admin or Company Admin of this company.".into(),
            E::ForbiddenVaultRole => "Ask a Workspace Owner, Super Admin or Admin of this workspace.".into(),
            E::VaultKeyUnreachable { cause, kid, client_id } if **cause == E::KeyVaultForbidden => {
                let (vault, key) = (kid.vault(), kid.name());
                format!(
                    "Ask your Azure admin to assign the {} role to your service principal (client ID {client_id}) on the vault {} again: {}. The vault works again at once; nothing was lost.",
                    crate::commands::role::role_name_for(&vault),
                    vault.vault_name(),
                    Grant::own(&vault, &key, client_id).az_line()
                )
            }
            E::VaultKeyUnreachable { cause, .. } | E::KeyAccessLost { cause, .. } => cause.fix(),
            E::NotFound { .. } => "Check the link, or reload the page.".into(),
            E::Conflict { .. } | E::InvalidTransition { .. } => "Reload the page to see the current state, then try again.".into(),
            E::Interrupted { .. } => "Nothing changed. Run the step again.".into(),
            E::UnknownCompany => "Check the company id. A company gets its KMS record (and its company key) when a Partner Admin or Company Admin first opens Manage KMS for it.".into(),
            E::EnvelopeCompanyNotAllowed => "Use the envelope credential issued for this company, or ask the operator to add the company to that credential's allow-list.".into(),
            E::ServiceMisconfigured => "Try again later. The operator has been alerted; nothing was changed.".into(),
            E::Internal => "Try again. If it keeps happening, contact support.".into(),
        }
    }

    /// The HTTP status the edge answers with.
    #[must_use]
    pub fn status(&self) -> u16 {
        use CatalogError as E;
        match self {
            E::UriContainsKeyPath { .. }
            | E::UriPointsToSecret
            | E::InvalidInput(_)
            | E::InvalidField { .. }
            | E::OAuthStateExpired
            | E::OAuthStateInvalid
            | E::OAuthStateUsed
            | E::OAuthStateSuperseded
            | E::OAuthStateWrongFlow
            | E::ConsentDeclined
            | E::ClientSecretInvalid
            | E::ClientSecretExpired
            | E::ApplicationNotFound
            | E::TenantNotFound
            | E::CloudNotConfigured { .. } => 400,
            E::NotSignedIn => 401,
            E::ForbiddenRole | E::ForbiddenVaultRole | E::ReauthenticationRequired { .. } => 403,
            E::VaultKeyUnreachable { cause, .. } if cause.is_transient() => cause.status(),
            E::VaultKeyUnreachable { .. } => 422,
            E::KeyAccessLost { .. } => 422,
            E::NotFound { .. } => 404,
            E::BodyTooLarge { .. } => 413,
            E::Conflict { .. }
            | E::InvalidTransition { .. }
            | E::CloudVaultExists
            | E::ExportNotAvailable
            | E::ExportWindowExpired { .. }
            | E::BackupSetUnverifiable { .. }
            | E::TenantsUnverified { .. } => 409,
            E::KeyNotFound { .. }
            | E::AdminConsentRequired
            | E::KeyVaultForbidden
            | E::AccessPolicyVault
            | E::ConsentUserLacksRole
            | E::KeyNotRsa4096 { .. }
            | E::KeySizeNotSupported { .. }
            | E::KeyWrongType { .. }
            | E::KeyDisabled
            | E::KeyExpired { .. }
            | E::KeyNotYetValid { .. }
            | E::KeyOperationsMissing { .. }
            | E::KeyBindingMissing { .. }
            | E::KeyBindingMismatch { .. }
            | E::VaultFirewall
            | E::VaultNotFound { .. }
            | E::FirstPartyServiceDenied
            | E::KeyVaultForbiddenOther { .. }
            | E::IdTokenWithoutRoles
            | E::RoleRemoved { .. }
            | E::ConsentRemoved { .. }
            | E::KeyDeleted { .. }
            | E::VaultTokenRejected { .. }
            | E::EntraRejected { .. }
            | E::TenantVerifiedWithoutRole
            | E::TenantMismatch { .. }
            | E::IdTokenRefused { .. }
            | E::GoogleDelegatedAdmin
            | E::GoogleNotSuperAdmin => 422,
            E::Throttled | E::RateLimited { .. } => 429,
            E::KeyVaultRejected { .. } | E::GoogleRejected { .. } | E::UnexpectedAnswer { .. } => {
                502
            }
            E::AzureUnavailable | E::GoogleUnavailable => 503,
            E::Interrupted { .. } | E::ServiceMisconfigured => 503,
            E::UnknownCompany => 404,
            E::EnvelopeCompanyNotAllowed => 403,
            E::Internal => 500,
        }
    }

    /// How long the client should wait before trying again (the
    /// `Retry-After` header), when the error says so.
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The input field at fault, for input errors.
    #[must_use]
    pub fn field(&self) -> Option<String> {
        match self {
            Self::UriContainsKeyPath { .. }
            | Self::UriPointsToSecret
            | Self::CloudNotConfigured { .. }
            | Self::VaultNotFound { .. } => Some("vault_uri".into()),
            Self::InvalidInput(e) => Some(e.field().into()),
            Self::InvalidField { field, .. } => Some(field.clone()),
            Self::BodyTooLarge { .. } => Some("body".into()),
            _ => None,
        }
    }

    /// Why it happened or what was found, when there is more to say.
    #[must_use]
    pub fn detail(&self) -> Option<String> {
        use CatalogError as E;
        match self {
            E::UriContainsKeyPath { .. } => Some("You pasted the full key URL (like https://vault.vault.azure.net/keys/my-key/abc123) into the Vault URI field.".into()),
            E::UriPointsToSecret => Some("You pasted a Secret URL instead of a Key URL. Secrets and Keys are different resources in Azure Key Vault.".into()),
            E::KeyNotFound { key_name } => Some(match key_name {
                Some(name) => format!("The vault has no key named \"{name}\". The key name is mistyped, or you entered a secret name instead of a key name."),
                None => "The key name is mistyped, or you entered a secret name instead of a key name.".into(),
            }),
            E::AdminConsentRequired => Some("The admin consent step was skipped, or the cached consent expired (it's kept for 24 hours).".into()),
            E::KeyVaultForbidden => Some("CyberSentriq has consent to your tenant but has not been given permission to use the key in your vault yet.".into()),
            E::AccessPolicyVault => Some("The vault is on the legacy permission model, which CyberSentriq doesn't support.".into()),
            E::ConsentUserLacksRole => Some("The consent flow returns an error for the admin who tried it.".into()),
            E::TenantsUnverified { unverified } => Some(format!(
                "{unverified} tenant(s) are not verified. A new backup set was added during setup, introducing a new tenant. Or a tenant was verified by someone who isn't a Super Admin / Global Admin."
            )),
            E::KeySizeNotSupported { allowed, .. } => Some(format!(
                "Supported RSA sizes: {}.",
                allowed.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            )),
            E::KeyExpired { expired_at: Some(t) } => Some(format!(
                "Expiration date (exp): {t} (Unix time, {}). {}",
                utc_minutes(*t),
                crate::health::AFTER_EXPIRY
            )),
            E::KeyExpired { expired_at: None } => Some(crate::health::AFTER_EXPIRY.into()),
            E::KeyNotYetValid { valid_from: Some(t) } => Some(format!("Activation date (nbf): {t} (Unix time).")),
            E::KeyBindingMissing { key_name, company, .. } => Some(format!(
                "Only someone who can change the key can tag it, so the tag is the key owner's say-so that the key {key_name} may protect company {company}."
            )),
            E::KeyBindingMismatch { found, company, .. } => Some(format!(
                "The key's {} tag names: {}. It must also name {company}.",
                crate::binding::TAG,
                if found.is_empty() { "no valid company id".to_owned() } else { found.join(" ") }
            )),
            E::Throttled => Some("Azure Key Vault answered 429 Too Many Requests.".into()),
            E::IdTokenRefused { service, fault } => Some(format!(
                "The ID token {service} returned {}; the sign-in proves nothing and was not recorded.",
                fault.what()
            )),
            E::FirstPartyServiceDenied => Some("Key Vault answered 403 \"Access denied to first party service\". The vault is not on the legacy access-policy model because of this, and no role is missing.".into()),
            E::KeyVaultForbiddenOther { reason: Some(r), .. } => Some(format!("Key Vault said: {r}")),
            E::IdTokenWithoutRoles => Some("The ID token of the admin's sign-in has no wids claim. Entra puts the admin's directory roles there only when the app registration asks for them; without it CyberSentriq can't tell whether the admin is a Global Administrator or Privileged Role Administrator.".into()),
            E::ForbiddenVaultRole => Some("Only Workspace Owners, Super Admins and Admins can manage vaults.".into()),
            E::ExportWindowExpired { closed_at } => Some(format!(
                "The export without re-verification was offered until {}.",
                utc_minutes(*closed_at)
            )),
            E::ReauthenticationRequired { max_age_mins } => Some(format!(
                "Exporting the company key needs a session signed in within the last {max_age_mins} minutes; this session's sign-in is older."
            )),
            E::VaultKeyUnreachable { cause, kid, .. } => Some(format!(
                "Key {}: {} ({}). The items in this vault are encrypted under that key and can't be read until access is restored. Nothing is lost: once access is restored they can be read again.",
                kid.as_str(),
                cause.message(),
                cause.code()
            )),
            E::KeyAccessLost { cause, kid } => Some(format!(
                "Key {}: {} ({}). Until access is restored, new data keys can't be made and existing ones can't be decrypted; retrying sooner does not help. Nothing is lost: the company key is unchanged, and every data key made before decrypts again as soon as access is restored.",
                kid.as_str(),
                cause.message(),
                cause.code()
            )),
            _ => None,
        }
    }

    /// Whether the failure is transient: Azure (or Google) throttled,
    /// unavailable or answered something unexpected, a step was
    /// interrupted, or something failed on our side. Retrying later may
    /// work without anyone acting. Everything else is a refusal someone
    /// must act on.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        use CatalogError as E;
        match self {
            E::Throttled
            | E::RateLimited { .. }
            | E::AzureUnavailable
            | E::GoogleUnavailable
            | E::KeyVaultRejected { .. }
            | E::GoogleRejected { .. }
            | E::UnexpectedAnswer { .. }
            | E::Interrupted { .. }
            | E::ServiceMisconfigured
            | E::Internal => true,
            E::VaultKeyUnreachable { cause, .. } | E::KeyAccessLost { cause, .. } => {
                cause.is_transient()
            }
            _ => false,
        }
    }

    /// When this refusal, met while using a customer's key, means access to
    /// the key is lost: the cause's stable code (the health causes of issue
    /// 14). `role_removed` (no Key Vault Crypto User role, or the vault was
    /// moved to access policies), `consent_removed` (no admin consent, or
    /// Key Vault refuses the tenant's tokens), `key_disabled`,
    /// `key_deleted` (Key Vault answers 404: deleted, possibly
    /// soft-deleted), `key_expired`, `key_not_yet_valid`, `binding_removed`
    /// (the `keyswitch-company` tag no longer names the company),
    /// `vault_firewall`; for a vault's own service principal (seed 001)
    /// also `client_secret_expired`, `client_secret_invalid` and
    /// `application_not_found`. Any other refusal is named by its own code.
    /// `None` for a transient failure.
    #[must_use]
    pub fn access_lost_cause(&self) -> Option<&'static str> {
        use CatalogError as E;
        if self.is_transient() {
            return None;
        }
        Some(match self {
            E::KeyVaultForbidden | E::AccessPolicyVault => "role_removed",
            E::AdminConsentRequired | E::VaultTokenRejected { .. } => "consent_removed",
            E::KeyDisabled => "key_disabled",
            E::KeyNotFound { .. } => "key_deleted",
            E::KeyExpired { .. } => "key_expired",
            E::KeyNotYetValid { .. } => "key_not_yet_valid",
            E::KeyBindingMissing { .. } | E::KeyBindingMismatch { .. } => "binding_removed",
            E::VaultFirewall => "vault_firewall",
            E::VaultKeyUnreachable { cause, .. } | E::KeyAccessLost { cause, .. } => {
                return cause.access_lost_cause();
            }
            other => other.code(),
        })
    }

    /// The commands that fix it, when the fix is to run something in Azure
    /// and everything they need is known (vault, key, cloud, and for a role
    /// the principal's application id): one tab per tool. Empty otherwise.
    #[must_use]
    pub fn commands(&self) -> Vec<CommandTab> {
        use CatalogError as E;
        match self {
            E::KeyBindingMissing {
                vault,
                key_name,
                company,
            } => crate::commands::tag::tabs(vault, key_name, &binding_value(&[], company)),
            E::KeyBindingMismatch {
                vault,
                key_name,
                company,
                found,
            } => crate::commands::tag::tabs(vault, key_name, &binding_value(found, company)),
            E::KeyDeleted {
                vault, key_name, ..
            } => crate::commands::recover::tabs(vault, key_name),
            E::RoleRemoved {
                vault,
                key_name,
                connector: Some(app_id),
            } => connector_grant(vault, key_name, app_id).tabs(),
            E::VaultKeyUnreachable {
                cause,
                kid,
                client_id,
            } => match &**cause {
                E::KeyVaultForbidden => Grant::own(&kid.vault(), &kid.name(), client_id).tabs(),
                E::KeyNotFound { .. } => {
                    crate::commands::recover::tabs(&kid.vault(), kid.name().as_str())
                }
                other => other.commands(),
            },
            E::KeyAccessLost { cause, .. } => cause.commands(),
            _ => Vec::new(),
        }
    }

    /// The JSON body the edge sends.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.message(),
            fix: self.fix(),
            commands: self.commands(),
            field: self.field(),
            detail: self.detail(),
            cause: match self {
                Self::KeyAccessLost { .. } | Self::VaultKeyUnreachable { .. } => {
                    self.access_lost_cause().map(str::to_owned)
                }
                _ => None,
            },
        }
    }
}

/// The tag value that binds `company` and keeps the ids already there.
fn binding_value(found: &[String], company: &str) -> String {
    match company.parse::<crate::ids::CompanyId>() {
        Ok(c) => crate::binding::value_with(found, &c),
        Err(_) => found.join(" "),
    }
}

/// How to bind the key: the exact `az` command for the vault's kind and
/// cloud (keeping the ids already in the tag) and the portal steps.
fn binding_fix(vault: &VaultUri, key_name: &str, found: &[String], company: &str) -> String {
    let value = binding_value(found, company);
    let steps = crate::binding::portal_steps(vault, key_name, &value).join(" ");
    format!(
        "Ask the key's Azure admin to run: {} — or, step by step: {steps}",
        crate::commands::tag::az_line(vault, key_name, &value)
    )
}

/// How to recover a soft-deleted key in this kind of vault.
fn recover_how(vault: &VaultUri, key_name: &str) -> String {
    let az = crate::commands::az_key_command(
        vault,
        &format!(
            "recover {} --name {key_name}",
            crate::commands::az_vault_arg(vault)
        ),
    );
    match vault.kind() {
        VaultKind::KeyVault => format!(
            "{az} (or in the Azure Portal ({}): the vault's Keys > Manage deleted keys > Recover)",
            vault.cloud().portal()
        ),
        VaultKind::ManagedHsm => format!(
            "{az} (or Undo-AzKeyVaultKeyRemoval -HsmName '{}' -Name '{key_name}' in Azure PowerShell)",
            vault.vault_name()
        ),
    }
}

/// How the commands' comments name the connector.
const CONNECTOR: &str = "the CyberSentriq KMS Connector";

/// The key-use role for the KMS Connector (application `app_id`).
fn connector_grant<'a>(vault: &'a VaultUri, key: &'a KeyName, app_id: &'a ClientId) -> Grant<'a> {
    Grant {
        vault,
        key,
        principal: Principal {
            app_id: app_id.as_str(),
            name: CONNECTOR,
        },
    }
}

/// Where the removed role is assigned again: with the connector's
/// application id known, the Azure CLI line that assigns it; else the
/// vault's Access control (IAM), or a Managed HSM's local RBAC on the key.
fn role_removed_fix(vault: &VaultUri, key: &KeyName, connector: Option<&ClientId>) -> String {
    if let Some(app_id) = connector {
        return format!(
            "Ask your Azure admin to assign the {} role to the CyberSentriq KMS Connector (application ID {app_id}) again: {}. keyswitch sees the role at its next check; Check now on Manage KMS shows it at once.",
            crate::commands::role::role_name_for(vault),
            connector_grant(vault, key, app_id).az_line()
        );
    }
    let name = vault.vault_name();
    let where_ = match vault.kind() {
        VaultKind::KeyVault => format!(
            "assign the {} role to the CyberSentriq KMS Connector on the vault {name} (or on the key) again, in the vault's Access control (IAM) in the Azure Portal ({})",
            crate::commands::role::ROLE_NAME,
            vault.cloud().portal()
        ),
        VaultKind::ManagedHsm => format!(
            "assign the {} role to the CyberSentriq KMS Connector on the key again, in the local RBAC of the Managed HSM {name} (az keyvault role assignment create --hsm-name {name}; Access control (IAM) does not reach its keys)",
            crate::commands::role::HSM_ROLE_NAME
        ),
    };
    format!(
        "Ask your Azure admin to {where_}. keyswitch sees the role at its next check; Check now on Manage KMS shows it at once."
    )
}

/// How to get on with a vault of an unconfigured cloud: the clouds that work.
pub(crate) fn cloud_fix(cloud: Cloud, available: &[Cloud]) -> String {
    let names: Vec<&str> = available.iter().map(|c| c.name()).collect();
    let usable = match names.as_slice() {
        [] => "no cloud yet".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    format!(
        "Use a vault (or Managed HSM) in {usable}, or ask CyberSentriq support to set up the KMS Connector for {}: each Azure cloud needs its own app registration.",
        cloud.name()
    )
}

/// Why a vault's Azure key is unreachable, in the vault's words.
fn unreachable_why(cause: &CatalogError, client_id: &ClientId) -> String {
    match cause {
        CatalogError::KeyVaultForbidden => format!(
            "Azure Key Vault refused the service principal (client ID {client_id}) the use of the key: it has no Key Vault Crypto User role (or higher) on the vault or key any more."
        ),
        other => other.message(),
    }
}

impl From<CatalogError> for ErrorBody {
    fn from(e: CatalogError) -> Self {
        e.body()
    }
}

impl From<ValidationError> for CatalogError {
    fn from(e: ValidationError) -> Self {
        match e {
            ValidationError::VaultUriKeyPath {
                vault_uri,
                key_name,
            } => Self::UriContainsKeyPath {
                vault_uri,
                key_name,
            },
            ValidationError::VaultUriSecret => Self::UriPointsToSecret,
            ValidationError::VaultCloudNotConfigured { cloud, available } => {
                Self::CloudNotConfigured { cloud, available }
            }
            other => Self::InvalidInput(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of every variant.
    fn all() -> Vec<CatalogError> {
        use CatalogError as E;
        vec![
            E::UriContainsKeyPath {
                vault_uri: "https://vault.vault.azure.net".into(),
                key_name: "my-key".into(),
            },
            E::UriPointsToSecret,
            E::KeyNotFound { key_name: None },
            E::AdminConsentRequired,
            E::KeyVaultForbidden,
            E::AccessPolicyVault,
            E::ConsentUserLacksRole,
            E::TenantsUnverified { unverified: 2 },
            E::KeyNotRsa4096 {
                found: "RSA 2048".into(),
            },
            E::KeySizeNotSupported {
                found_bits: 1024,
                allowed: vec![2048, 3072, 4096],
            },
            E::KeyWrongType { found: "EC".into() },
            E::KeyDisabled,
            E::KeyExpired {
                expired_at: Some(1),
            },
            E::KeyNotYetValid {
                valid_from: Some(1),
            },
            E::KeyOperationsMissing {
                missing: vec!["wrapKey".into()],
            },
            E::KeyBindingMissing {
                vault: "https://contoso-kms.vault.azure.net".parse().unwrap(),
                key_name: "company-kek".into(),
                company: "acme".into(),
            },
            E::KeyBindingMismatch {
                vault: "https://contoso-kms.vault.azure.net".parse().unwrap(),
                key_name: "company-kek".into(),
                company: "acme".into(),
                found: vec!["globex".into()],
            },
            E::Throttled,
            E::RateLimited {
                retry_after_secs: 7,
                interval_secs: 10,
            },
            E::AzureUnavailable,
            E::VaultFirewall,
            E::VaultNotFound {
                host: "contoso-kms.vault.azure.net".into(),
            },
            E::FirstPartyServiceDenied,
            E::KeyVaultForbiddenOther {
                code: "Forbidden/Unknown".into(),
                reason: Some("Something new.".into()),
            },
            E::CloudNotConfigured {
                cloud: Cloud::UsGovernment,
                available: vec![Cloud::Public, Cloud::China],
            },
            E::IdTokenWithoutRoles,
            E::RoleRemoved {
                vault: "https://contoso-kms.vault.azure.net".parse().unwrap(),
                key_name: "company-kek".parse().unwrap(),
                connector: None,
            },
            E::ConsentRemoved { tenant: None },
            E::KeyDeleted {
                vault: "https://contoso-kms.vault.azure.net".parse().unwrap(),
                key_name: "company-kek".into(),
                recoverable_days: Some(7),
            },
            E::VaultTokenRejected { vault_tenant: None },
            E::KeyVaultRejected {
                status: 400,
                code: "BadParameter".into(),
            },
            E::ConsentDeclined,
            E::EntraRejected {
                error: "invalid_request".into(),
            },
            E::ClientSecretInvalid,
            E::ClientSecretExpired,
            E::ApplicationNotFound,
            E::TenantNotFound,
            E::BackupSetUnverifiable {
                set: "\"Contoso mail\" (bs-1)".into(),
                reason: "its kind \"dropbox\" is unknown".into(),
            },
            E::TenantVerifiedWithoutRole,
            E::TenantMismatch {
                expected: "a".into(),
                found: "b".into(),
            },
            E::OAuthStateExpired,
            E::OAuthStateInvalid,
            E::OAuthStateUsed,
            E::OAuthStateSuperseded,
            E::OAuthStateWrongFlow,
            E::IdTokenRefused {
                service: "Google".into(),
                fault: crate::id_token::IdTokenFault::Signature,
            },
            E::GoogleDelegatedAdmin,
            E::GoogleNotSuperAdmin,
            E::GoogleUnavailable,
            E::GoogleRejected { status: 401 },
            E::CloudVaultExists,
            E::VaultKeyUnreachable {
                cause: Box::new(E::KeyVaultForbidden),
                kid: "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
                    .parse()
                    .unwrap(),
                client_id: "0c9d8e7f-1111-4a2b-8c3d-00000000c001".parse().unwrap(),
            },
            E::KeyAccessLost {
                cause: Box::new(E::KeyDisabled),
                kid: "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
                    .parse()
                    .unwrap(),
            },
            E::ExportNotAvailable,
            E::ExportWindowExpired {
                closed_at: 1_800_000_000,
            },
            E::ReauthenticationRequired { max_age_mins: 10 },
            E::InvalidInput(ValidationError::KeyNameEmpty),
            E::InvalidField {
                field: "name".into(),
                reason: "too long".into(),
            },
            E::BodyTooLarge { limit_bytes: 16384 },
            E::NotSignedIn,
            E::ForbiddenRole,
            E::ForbiddenVaultRole,
            E::NotFound {
                what: "Company".into(),
            },
            E::Conflict {
                reason: "Busy".into(),
            },
            E::InvalidTransition {
                state: "draft".into(),
                event: "save".into(),
            },
            E::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            },
            E::Interrupted {
                step: "connection test".into(),
            },
            E::UnknownCompany,
            E::EnvelopeCompanyNotAllowed,
            E::ServiceMisconfigured,
            E::Internal,
        ]
    }

    fn test_vault() -> VaultUri {
        "https://contoso-kms.vault.azure.net".parse().unwrap()
    }

    fn test_kid() -> KeyId {
        "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
            .parse()
            .unwrap()
    }

    fn test_app() -> crate::ClientId {
        "0c9d8e7f-1111-4a2b-8c3d-000000000001".parse().unwrap()
    }

    #[test]
    fn a_refused_sign_in_answer_is_fixed_by_the_clock_only_when_timing_failed() {
        use crate::id_token::IdTokenFault as F;
        let fix = |fault| {
            CatalogError::IdTokenRefused {
                service: "Microsoft Entra ID".into(),
                fault,
            }
            .fix()
        };
        for fault in [F::Expired, F::NotYetValid] {
            assert!(
                fix(fault).starts_with("Check that this computer's clock is right"),
                "{fault:?}"
            );
        }
        for fault in [F::Signature, F::Nonce, F::Malformed] {
            assert!(fix(fault).contains("could not be trusted"), "{fault:?}");
        }
    }

    #[test]
    fn an_unreachable_vault_key_is_fixed_by_its_cause() {
        let kid = test_kid();
        let client_id = test_app();
        let fix = |cause: CatalogError| {
            CatalogError::VaultKeyUnreachable {
                cause: Box::new(cause),
                kid: kid.clone(),
                client_id: client_id.clone(),
            }
            .fix()
        };
        let role = fix(CatalogError::KeyVaultForbidden);
        assert!(
            role.starts_with("Ask your Azure admin to assign the Key Vault Crypto User role to your service principal (client ID 0c9d8e7f-1111-4a2b-8c3d-000000000001) on the vault contoso-kms again: VAULT_ID=$(az keyvault show --name contoso-kms"),
            "{role}"
        );
        assert_eq!(
            fix(CatalogError::KeyDisabled),
            CatalogError::KeyDisabled.fix()
        );
    }

    #[test]
    fn an_unreachable_vault_key_is_422_unless_its_cause_is_passing() {
        let kid = test_kid();
        let status = |cause: CatalogError| {
            CatalogError::VaultKeyUnreachable {
                cause: Box::new(cause),
                kid: kid.clone(),
                client_id: test_app(),
            }
            .status()
        };
        // The customer must act (a 400 of their secret included): 422.
        for cause in [
            CatalogError::ClientSecretInvalid,
            CatalogError::KeyVaultForbidden,
            CatalogError::KeyDisabled,
        ] {
            assert_eq!(status(cause.clone()), 422, "{cause:?}");
        }
        // Passing: the cause's own status (try again later).
        assert_eq!(status(CatalogError::AzureUnavailable), 503);
        assert_eq!(
            status(CatalogError::Throttled),
            CatalogError::Throttled.status()
        );
    }

    #[test]
    fn each_error_with_more_to_say_has_its_own_detail() {
        use crate::id_token::IdTokenFault;
        let vault = test_vault();
        let kid = test_kid();
        let rows: Vec<(CatalogError, &str)> = vec![
            (
                CatalogError::UriContainsKeyPath {
                    vault_uri: "https://vault.vault.azure.net".into(),
                    key_name: "my-key".into(),
                },
                "You pasted the full key URL",
            ),
            (CatalogError::UriPointsToSecret, "You pasted a Secret URL"),
            (
                CatalogError::KeyNotFound {
                    key_name: Some("cmk".into()),
                },
                "The vault has no key named \"cmk\".",
            ),
            (
                CatalogError::KeyNotFound { key_name: None },
                "The key name is mistyped",
            ),
            (CatalogError::AdminConsentRequired, "kept for 24 hours"),
            (
                CatalogError::KeyVaultForbidden,
                "has not been given permission",
            ),
            (CatalogError::AccessPolicyVault, "legacy permission model"),
            (
                CatalogError::ConsentUserLacksRole,
                "returns an error for the admin",
            ),
            (
                CatalogError::TenantsUnverified { unverified: 2 },
                "2 tenant(s) are not verified.",
            ),
            (
                CatalogError::KeySizeNotSupported {
                    found_bits: 1024,
                    allowed: vec![2048, 3072, 4096],
                },
                "Supported RSA sizes: 2048, 3072, 4096.",
            ),
            (
                CatalogError::KeyExpired {
                    expired_at: Some(1_800_000_000),
                },
                "Expiration date (exp): 1800000000 (Unix time, 2027-01-15 08:00 UTC).",
            ),
            (
                CatalogError::KeyExpired { expired_at: None },
                crate::health::AFTER_EXPIRY,
            ),
            (
                CatalogError::KeyNotYetValid {
                    valid_from: Some(1_800_000_000),
                },
                "Activation date (nbf): 1800000000 (Unix time).",
            ),
            (
                CatalogError::KeyBindingMissing {
                    vault: vault.clone(),
                    key_name: "company-kek".into(),
                    company: "acme".into(),
                },
                "the key company-kek may protect company acme",
            ),
            (
                CatalogError::KeyBindingMismatch {
                    vault: vault.clone(),
                    key_name: "company-kek".into(),
                    company: "acme".into(),
                    found: vec!["globex".into()],
                },
                "tag names: globex. It must also name acme.",
            ),
            (CatalogError::Throttled, "429 Too Many Requests"),
            (
                CatalogError::IdTokenRefused {
                    service: "Google".into(),
                    fault: IdTokenFault::Audience,
                },
                "The ID token Google returned",
            ),
            (
                CatalogError::FirstPartyServiceDenied,
                "Access denied to first party service",
            ),
            (
                CatalogError::KeyVaultForbiddenOther {
                    code: "Forbidden".into(),
                    reason: Some("Caller is not authorized".into()),
                },
                "Key Vault said: Caller is not authorized",
            ),
            (CatalogError::IdTokenWithoutRoles, "has no wids claim"),
            (
                CatalogError::ForbiddenVaultRole,
                "Only Workspace Owners, Super Admins and Admins",
            ),
            (
                CatalogError::ExportWindowExpired {
                    closed_at: 1_800_000_000,
                },
                "offered until 2027-01-15 08:00 UTC.",
            ),
            (
                CatalogError::ReauthenticationRequired { max_age_mins: 15 },
                "within the last 15 minutes",
            ),
            (
                CatalogError::VaultKeyUnreachable {
                    cause: Box::new(CatalogError::KeyDisabled),
                    kid: kid.clone(),
                    client_id: test_app(),
                },
                "(key_disabled). The items in this vault",
            ),
            (
                CatalogError::KeyAccessLost {
                    cause: Box::new(CatalogError::KeyDisabled),
                    kid,
                },
                "(key_disabled). Until access is restored",
            ),
        ];
        for (error, words) in rows {
            let detail = error.detail();
            assert!(
                detail.as_deref().is_some_and(|d| d.contains(words)),
                "{}: {detail:?}",
                error.code()
            );
        }
        assert_eq!(CatalogError::Internal.detail(), None);
        assert_eq!(
            CatalogError::BodyTooLarge { limit_bytes: 1024 }
                .field()
                .as_deref(),
            Some("body")
        );
    }

    #[test]
    fn a_wrapped_cause_is_passing_only_when_the_cause_is() {
        let kid = test_kid();
        for (cause, passing) in [
            (CatalogError::AzureUnavailable, true),
            (CatalogError::Throttled, true),
            (CatalogError::KeyDisabled, false),
        ] {
            let unreachable = CatalogError::VaultKeyUnreachable {
                cause: Box::new(cause.clone()),
                kid: kid.clone(),
                client_id: test_app(),
            };
            let lost = CatalogError::KeyAccessLost {
                cause: Box::new(cause.clone()),
                kid: kid.clone(),
            };
            assert_eq!(unreachable.is_transient(), passing, "{cause:?}");
            assert_eq!(lost.is_transient(), passing, "{cause:?}");
        }
    }

    #[test]
    fn each_fix_in_azure_comes_with_its_commands() {
        let vault = test_vault();
        let kid = test_kid();
        let app = test_app();
        let text = |e: &CatalogError| {
            e.commands()
                .iter()
                .map(CommandTab::text)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let missing = CatalogError::KeyBindingMissing {
            vault: vault.clone(),
            key_name: "company-kek".into(),
            company: "acme".into(),
        };
        assert!(
            text(&missing).contains("--tags keyswitch-company=\"acme\""),
            "{}",
            text(&missing)
        );
        let mismatch = CatalogError::KeyBindingMismatch {
            vault: vault.clone(),
            key_name: "company-kek".into(),
            company: "acme".into(),
            found: vec!["globex".into()],
        };
        assert!(
            text(&mismatch).contains("--tags keyswitch-company=\"globex acme\""),
            "{}",
            text(&mismatch)
        );
        let deleted = CatalogError::KeyDeleted {
            vault: vault.clone(),
            key_name: "company-kek".into(),
            recoverable_days: Some(90),
        };
        assert!(
            text(&deleted).contains("az keyvault key recover"),
            "{}",
            text(&deleted)
        );
        let role = CatalogError::RoleRemoved {
            vault: vault.clone(),
            key_name: "company-kek".parse().unwrap(),
            connector: Some(app.clone()),
        };
        assert!(
            text(&role).contains(&format!("--assignee {app}")),
            "{}",
            text(&role)
        );
        let unreachable = |cause: CatalogError| CatalogError::VaultKeyUnreachable {
            cause: Box::new(cause),
            kid: kid.clone(),
            client_id: app.clone(),
        };
        assert!(
            text(&unreachable(CatalogError::KeyVaultForbidden))
                .contains("az role assignment create")
        );
        assert!(
            text(&unreachable(CatalogError::KeyNotFound { key_name: None }))
                .contains("az keyvault key recover")
        );
        assert_eq!(text(&unreachable(missing.clone())), text(&missing));
        let lost = CatalogError::KeyAccessLost {
            cause: Box::new(deleted.clone()),
            kid: kid.clone(),
        };
        assert_eq!(text(&lost), text(&deleted));
        // Nothing to run in Azure: no commands.
        for e in [
            CatalogError::Throttled,
            CatalogError::RoleRemoved {
                vault,
                key_name: "company-kek".parse().unwrap(),
                connector: None,
            },
            unreachable(CatalogError::AzureUnavailable),
        ] {
            assert!(e.commands().is_empty(), "{e:?}");
        }
    }

    #[test]
    fn a_removed_role_is_named_for_the_kind_of_vault() {
        let app = test_app();
        for (vault, role) in [
            (
                "https://contoso-kms.vault.azure.net",
                "Key Vault Crypto User",
            ),
            (
                "https://contoso.managedhsm.azure.net",
                "Managed HSM Crypto User",
            ),
        ] {
            let fix = CatalogError::RoleRemoved {
                vault: vault.parse().unwrap(),
                key_name: "company-kek".parse().unwrap(),
                connector: Some(app.clone()),
            }
            .fix();
            assert!(
                fix.starts_with(&format!("Ask your Azure admin to assign the {role} role to the CyberSentriq KMS Connector")),
                "{fix}"
            );
        }
    }

    #[test]
    fn utc_minutes_names_the_calendar_time() {
        assert_eq!(utc_minutes(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minutes(1_800_000_000), "2027-01-15 08:00 UTC");
        assert_eq!(utc_minutes(951_782_400), "2000-02-29 00:00 UTC");
        // The calendar itself: `calendar.rs`'s tests.
        assert_eq!(utc_minutes(-2_203_891_200), "1900-03-01 00:00 UTC");
    }

    #[test]
    fn seed_rows_use_the_seed_wording() {
        let rows: [(CatalogError, &str, &str); 8] = [
            (
                CatalogError::UriContainsKeyPath {
                    vault_uri: "https://vault.vault.azure.net".into(),
                    key_name: "my-key".into(),
                },
                "The URI appears to contain the key path",
                "Use only the vault base URI (https://vault.vault.azure.net). Put the key name (my-key) in the separate Key Name field.",
            ),
            (
                CatalogError::UriPointsToSecret,
                "The URI appears to point to a secret",
                "In the Azure Portal, open your Key Vault and go to Keys (not Secrets). Use an RSA key.",
            ),
            (
                CatalogError::KeyNotFound { key_name: None },
                "Key not found in the vault",
                "Open the vault's Keys section in the Azure Portal and copy the exact key name.",
            ),
            (
                CatalogError::AdminConsentRequired,
                "Azure AD admin consent is required",
                "Click Grant admin consent again and complete the flow with a Global Admin or Privileged Role Admin.",
            ),
            (
                CatalogError::KeyVaultForbidden,
                "Access denied",
                "Ask your Azure admin to grant CyberSentriq the key-use permission on the vault, then retry the test.",
            ),
            (
                CatalogError::AccessPolicyVault,
                "vault access policy",
                "Ask your Azure admin to switch the vault to Azure role-based access control and re-apply the key-use permission.",
            ),
            (
                CatalogError::ConsentUserLacksRole,
                "That user doesn't have the Global Administrator or Privileged Role Administrator role.",
                "Ask an admin with the correct Entra role to grant consent. Microsoft enforces this role check itself.",
            ),
            (
                CatalogError::TenantsUnverified { unverified: 1 },
                "tenants keep showing as unverified",
                "Refresh the tenant list and complete consent for any new tenants using a qualified admin account.",
            ),
        ];
        for (e, message, fix) in rows {
            assert!(
                e.message().contains(message),
                "{}: {}",
                e.code(),
                e.message()
            );
            assert!(e.fix().starts_with(fix), "{}: {}", e.code(), e.fix());
        }
        assert_eq!(
            CatalogError::AccessPolicyVault.detail().as_deref(),
            Some(
                "The vault is on the legacy permission model, which CyberSentriq doesn't support."
            )
        );
    }

    #[test]
    fn codes_are_stable_snake_case_and_unique() {
        let errors = all();
        let mut codes: Vec<&str> = errors.iter().map(CatalogError::code).collect();
        for c in &codes {
            assert!(
                !c.is_empty()
                    && c.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "{c}"
            );
        }
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        // InvalidInput and InvalidField share "invalid_input", ForbiddenRole
        // and ForbiddenVaultRole "forbidden_role", on purpose.
        assert_eq!(codes.len(), before - 2);
        for e in &errors {
            assert!((400..600).contains(&e.status()), "{}", e.code());
            assert!(
                !e.message().is_empty() && !e.fix().is_empty(),
                "{}",
                e.code()
            );
        }
    }

    #[test]
    fn fixes_that_run_something_carry_their_commands() {
        use crate::commands::Tool;
        let vault: VaultUri = "https://contoso-hsm.managedhsm.azure.cn".parse().unwrap();
        let key: KeyName = "company-kek".parse().unwrap();
        let app: ClientId = "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21".parse().unwrap();
        let tools = |c: &[CommandTab]| c.iter().map(|t| t.tool).collect::<Vec<_>>();
        // A removed role: the connector's app id from the deployment.
        let e = CatalogError::RoleRemoved {
            vault: vault.clone(),
            key_name: key.clone(),
            connector: Some(app.clone()),
        };
        let body = e.body();
        assert_eq!(
            tools(&body.commands),
            [
                Tool::AzureCli,
                Tool::AzurePowershell,
                Tool::Terraform,
                Tool::Bicep
            ]
        );
        crate::commands::checks::well_formed(&body.commands);
        let line = "az cloud set --name AzureChinaCloud && az login && az keyvault role assignment create --hsm-name contoso-hsm --assignee 5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21 --role \"Managed HSM Crypto User\" --scope /keys/company-kek";
        assert!(body.fix.contains(line), "{}", body.fix);
        assert!(
            body.commands[0]
                .text()
                .contains("--assignee 5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21")
        );
        // Without a configured connector: the portal way, no commands.
        let e = CatalogError::RoleRemoved {
            vault: vault.clone(),
            key_name: key.clone(),
            connector: None,
        };
        assert!(e.commands().is_empty());
        assert!(e.fix().contains("Local RBAC") || e.fix().contains("local RBAC"));
        // A missing or foreign tag: the tag commands with the value to set.
        let e = CatalogError::KeyBindingMismatch {
            vault: vault.clone(),
            key_name: "company-kek".into(),
            company: "acme-001".into(),
            found: vec!["globex".into()],
        };
        let c = e.commands();
        assert_eq!(tools(&c), [Tool::AzureCli, Tool::AzurePowershell]);
        assert!(
            c[0].text()
                .contains("--tags keyswitch-company=\"globex acme-001\"")
        );
        assert!(e.fix().contains(&crate::commands::tag::az_line(
            &vault,
            "company-kek",
            "globex acme-001"
        )));
        // A deleted key: recover it.
        let e = CatalogError::KeyDeleted {
            vault: vault.clone(),
            key_name: "company-kek".into(),
            recoverable_days: Some(7),
        };
        let c = e.commands();
        assert_eq!(tools(&c), [Tool::AzureCli, Tool::AzurePowershell]);
        assert!(
            e.fix()
                .contains(&crate::commands::recover::az_line(&vault, "company-kek"))
        );
        assert!(
            c[0].text()
                .ends_with("az keyvault key recover --hsm-name contoso-hsm --name company-kek\n")
        );
        // The envelope API's lost access names its cause's commands.
        let lost = CatalogError::KeyAccessLost {
            cause: Box::new(e.clone()),
            kid: "https://contoso-hsm.managedhsm.azure.cn/keys/company-kek/0123456789abcdef0123456789abcdef".parse().unwrap(),
        };
        assert_eq!(lost.commands(), c);
        // A seed-001 vault's deleted key: recover it.
        let gone = CatalogError::VaultKeyUnreachable {
            cause: Box::new(CatalogError::KeyNotFound { key_name: None }),
            kid: "https://contoso-kms.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap(),
            client_id: app,
        };
        assert!(
            gone.commands()[0]
                .text()
                .contains("recover --vault-name contoso-kms --name cmk")
        );
        // Everything else carries none, and the body omits the field.
        let e = CatalogError::KeyVaultForbidden;
        assert!(e.commands().is_empty());
        assert!(
            !serde_json::to_string(&e.body())
                .unwrap()
                .contains("commands")
        );
    }

    #[test]
    fn an_unreachable_vault_key_says_why() {
        let kid = test_kid();
        let client: ClientId = "0c9d8e7f-1111-4a2b-8c3d-00000000c001".parse().unwrap();
        let e = CatalogError::VaultKeyUnreachable {
            cause: Box::new(CatalogError::KeyVaultForbidden),
            kid: kid.clone(),
            client_id: client.clone(),
        };
        assert_eq!(e.status(), 422);
        let body = e.body();
        assert_eq!(body.code, "vault_key_unreachable");
        assert!(body.message.contains("unreachable"));
        assert!(body.message.contains("Key Vault Crypto User"));
        assert!(body.message.contains(client.as_str()));
        // The fix is the role assignment for the workspace's own service
        // principal, as one Azure CLI line, and its tabs.
        assert!(body.fix.contains(&format!(
            "az role assignment create --assignee {} --role \"Key Vault Crypto User\"",
            client.as_str()
        )));
        assert!(body.fix.contains("az keyvault show --name contoso-kms"));
        assert_eq!(body.commands.len(), 4);
        assert!(
            body.commands[0]
                .text()
                .contains(&format!("--assignee {}", client.as_str()))
        );
        crate::commands::checks::well_formed(&body.commands);
        assert!(body.detail.unwrap().contains(kid.as_str()));
        let e = CatalogError::VaultKeyUnreachable {
            cause: Box::new(CatalogError::AzureUnavailable),
            kid,
            client_id: client,
        };
        assert_eq!(e.status(), 503);
        assert!(
            e.message()
                .ends_with(&CatalogError::AzureUnavailable.message())
        );
    }

    #[test]
    fn a_lost_key_access_names_its_cause_and_transient_failures_stay_apart() {
        let kid = test_kid();
        let lost = |cause: CatalogError| CatalogError::KeyAccessLost {
            cause: Box::new(cause),
            kid: kid.clone(),
        };
        let rows = [
            (CatalogError::KeyVaultForbidden, "role_removed"),
            (CatalogError::AccessPolicyVault, "role_removed"),
            (CatalogError::AdminConsentRequired, "consent_removed"),
            (
                CatalogError::VaultTokenRejected { vault_tenant: None },
                "consent_removed",
            ),
            (CatalogError::KeyDisabled, "key_disabled"),
            (CatalogError::KeyNotFound { key_name: None }, "key_deleted"),
            (CatalogError::KeyExpired { expired_at: None }, "key_expired"),
            (
                CatalogError::KeyNotYetValid { valid_from: None },
                "key_not_yet_valid",
            ),
            (
                CatalogError::KeyBindingMissing {
                    vault: "https://contoso-kms.vault.azure.net".parse().unwrap(),
                    key_name: "company-kek".into(),
                    company: "acme".into(),
                },
                "binding_removed",
            ),
            (CatalogError::VaultFirewall, "vault_firewall"),
            (CatalogError::ClientSecretExpired, "client_secret_expired"),
        ];
        for (cause, code) in rows {
            let e = lost(cause.clone());
            assert_eq!(e.status(), 422, "{code}");
            assert!(!e.is_transient(), "{code}");
            let body = e.body();
            assert_eq!(body.code, "key_access_lost");
            assert_eq!(body.cause.as_deref(), Some(code));
            assert!(body.message.ends_with(&cause.message()), "{}", body.message);
            assert_eq!(body.fix, cause.fix());
            let detail = body.detail.unwrap();
            assert!(detail.contains(kid.as_str()) && detail.contains(cause.code()));
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["cause"], code);
        }
        for transient in [
            CatalogError::Throttled,
            CatalogError::AzureUnavailable,
            CatalogError::Internal,
            CatalogError::UnexpectedAnswer {
                service: "Azure Key Vault".into(),
            },
        ] {
            assert!(transient.is_transient());
            assert_eq!(transient.access_lost_cause(), None);
            assert!(transient.body().cause.is_none());
            assert!(matches!(transient.status(), 429 | 500 | 502 | 503));
        }
        // Other errors never carry a cause.
        assert!(CatalogError::KeyDisabled.body().cause.is_none());
        assert!(
            serde_json::to_value(CatalogError::KeyDisabled)
                .unwrap()
                .get("cause")
                .is_none()
        );
    }

    #[test]
    fn the_vault_role_refusal_names_workspace_roles() {
        let body = CatalogError::ForbiddenVaultRole.body();
        assert_eq!(body.code, "forbidden_role");
        assert_eq!(body.message, CatalogError::ForbiddenRole.message());
        assert!(body.fix.contains("Workspace Owner"));
        assert_eq!(CatalogError::ForbiddenVaultRole.status(), 403);
    }

    #[test]
    fn status_hints() {
        assert_eq!(
            CatalogError::InvalidInput(ValidationError::KeyNameEmpty).status(),
            400
        );
        assert_eq!(CatalogError::NotSignedIn.status(), 401);
        assert_eq!(CatalogError::ForbiddenRole.status(), 403);
        assert_eq!(
            CatalogError::NotFound {
                what: "Company".into()
            }
            .status(),
            404
        );
        assert_eq!(
            CatalogError::InvalidTransition {
                state: "a".into(),
                event: "b".into()
            }
            .status(),
            409
        );
        assert_eq!(CatalogError::Throttled.status(), 429);
        assert_eq!(CatalogError::Internal.status(), 500);
        assert_eq!(CatalogError::AzureUnavailable.status(), 503);
    }

    #[test]
    fn serialises_to_code_message_fix() {
        let v = serde_json::to_value(CatalogError::AdminConsentRequired).unwrap();
        assert_eq!(v["code"], "admin_consent_required");
        assert_eq!(v["message"], "Azure AD admin consent is required");
        assert_eq!(v["fix"], CatalogError::AdminConsentRequired.fix());
        assert!(v.get("field").is_none());
        let internal = serde_json::to_value(CatalogError::Internal).unwrap();
        assert_eq!(internal.as_object().unwrap().len(), 3, "{internal}");
        let body: ErrorBody = serde_json::from_value(v).unwrap();
        assert_eq!(body, CatalogError::AdminConsentRequired.body());
    }

    #[test]
    fn validation_errors_join_the_catalog() {
        let e: CatalogError = "https://vault.vault.azure.net/keys/my-key/abc123"
            .parse::<crate::VaultUri>()
            .unwrap_err()
            .into();
        assert_eq!(e.code(), "uri_contains_key_path");
        assert_eq!(e.field().as_deref(), Some("vault_uri"));
        let e: CatalogError = "https://vault1.vault.azure.net/secrets/x"
            .parse::<crate::VaultUri>()
            .unwrap_err()
            .into();
        assert_eq!(e, CatalogError::UriPointsToSecret);
        let e: CatalogError = "http://contoso.vault.azure.net"
            .parse::<crate::VaultUri>()
            .unwrap_err()
            .into();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "invalid_input");
        assert_eq!(v["field"], "vault_uri");
        assert_eq!(v["message"], "The vault URI must use https, not http");
        let e: CatalogError = "x y".parse::<crate::TenantId>().unwrap_err().into();
        assert_eq!(e.field().as_deref(), Some("tenant_id"));
        assert_eq!(e.status(), 400);
    }
}
