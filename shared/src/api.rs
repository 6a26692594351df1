//! Bodies exchanged between the SPA and the edge API.

use serde::{Deserialize, Serialize};

use crate::Provider;

/// `GET /api/companies/{company}/kms`: the company's KMS status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsStatus {
    /// The company this status belongs to.
    pub company_id: String,
    /// The provider protecting the company key right now.
    pub provider: Provider,
    /// How many backup sets the host product lists for the company.
    pub backup_set_count: u32,
}

/// `GET /api/companies/{company}/kms` and the answer of every Manage KMS
/// action: the status above plus the stage and the pending setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsOverview {
    /// Provider in force and inventory size (the walking skeleton's fields).
    #[serde(flatten)]
    pub status: KmsStatus,
    /// Where the switch stands (`idle`, `awaiting_consent`, …, `cancelled`).
    pub stage: crate::switch::Stage,
    /// The setup in progress, if any.
    pub pending: Option<PendingSetup>,
    /// The company key as stored (never the key itself).
    pub company_key: CompanyKeyInfo,
    /// The health of the Azure key in force (issue 14); `None` for the
    /// platform key and AWS KMS, which are not monitored.
    #[serde(default)]
    pub health: Option<KeyHealth>,
    /// The versions of the Azure key that protected the company key,
    /// newest first (empty unless the company was ever on Azure Key Vault).
    #[serde(default)]
    pub kid_history: Vec<crate::rotation::KidRecord>,
    /// The re-wrap with a new key version, owed or under way.
    #[serde(default)]
    pub rewrap: Option<crate::rotation::RewrapProgress>,
    /// How long the unwrapped company key stays in memory after Key Vault
    /// last unwrapped it (`KEY_CACHE_SECONDS`): the longest a revocation of
    /// access to the key takes to stop the envelope API.
    #[serde(default = "default_key_cache_seconds")]
    pub key_cache_seconds: u64,
    /// What the screen offers about the company key's export (the export
    /// section is shown whenever it is not `unavailable`, in any stage).
    #[serde(default)]
    pub export: ExportOffer,
    /// The Azure clouds this deployment has a KMS Connector for: the Vault
    /// URI field refuses a vault of another cloud (`cloud_not_configured`),
    /// in the browser as at the edge ([`crate::VaultUri::check_cloud`]).
    #[serde(default = "default_connector_clouds")]
    pub connector_clouds: Vec<crate::Cloud>,
}

fn default_key_cache_seconds() -> u64 {
    crate::switch::KEY_CACHE_SECS
}

fn default_connector_clouds() -> Vec<crate::Cloud> {
    vec![crate::Cloud::Public]
}

/// The health of a monitored Azure key, as Manage KMS (and the host) shows
/// it: state, cause with its fix, last and next check, expiry warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHealth {
    /// `unknown`, `healthy`, `degraded` or `access_lost`.
    pub state: crate::health::HealthState,
    /// Why access is lost (only with `access_lost`), e.g. `role_removed`.
    pub cause: Option<crate::health::Cause>,
    /// The catalog error of the cause (or of the transient failure while
    /// `degraded`): code, message and fix.
    pub error: Option<crate::ErrorBody>,
    /// Since when the state holds (Unix milliseconds).
    pub since_ms: Option<u64>,
    /// When the last check ended (Unix milliseconds).
    pub last_check_at_ms: Option<u64>,
    /// When the next check is due (Unix milliseconds).
    pub next_check_at_ms: Option<u64>,
    /// When the last wrap/unwrap probe passed (Unix milliseconds).
    pub last_probe_at_ms: Option<u64>,
    /// Whether a check is running right now.
    pub checking: bool,
    /// Seconds between two checks while nothing is wrong.
    pub check_interval_secs: u64,
    /// The key's current version, as the last GET showed it.
    pub current_kid: Option<crate::KeyId>,
    /// The key's expiration date (`exp`, Unix seconds), when it has one.
    pub expires_at: Option<i64>,
    /// Set when `exp` is within the warning time (`EXPIRY_WARNING_DAYS`).
    pub expiry_warning: Option<crate::health::ExpiryWarning>,
}

/// Non-secret facts about the stored company key, so a person (or a test)
/// can see that it did not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyKeyInfo {
    /// SHA-256 (hex, first 32 chars) of the wrapped key blob; changes only
    /// when the company key is re-wrapped.
    pub wrapped_fingerprint: String,
    /// When the company key was created (Unix milliseconds).
    pub created_at_ms: u64,
}

/// A Manage KMS setup in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSetup {
    /// Identifies this setup (a new one per start).
    pub setup_id: String,
    /// Its stage.
    pub stage: crate::switch::Stage,
    /// Vault base URI.
    pub vault_uri: crate::VaultUri,
    /// Key name in the vault.
    pub key_name: crate::KeyName,
    /// The vault's name, for the role assignment guidance.
    pub vault_name: String,
    /// The vault's tenant, learned from Key Vault's challenge.
    pub vault_tenant: Option<crate::TenantId>,
    /// The admin consent proven for this setup.
    pub consent: Option<crate::switch::Consent>,
    /// The key the last successful connection test used.
    pub tested_key: Option<TestedKey>,
    /// Tenants of the backup sets to verify (after Save).
    pub tenants: Vec<crate::switch::Tenant>,
    /// Display names of those tenants, as the host's inventory gives them
    /// (a tenant the inventory names nothing has no entry).
    #[serde(default)]
    pub tenant_names: Vec<TenantName>,
    /// Backup sets that name no tenant keyswitch can verify: each blocks the
    /// switch until it is corrected in the host product.
    #[serde(default)]
    pub unverifiable_sets: Vec<crate::switch::UnverifiableSet>,
    /// The inventory lists no backup set and an admin confirmed that there
    /// is nothing to verify.
    #[serde(default)]
    pub nothing_to_verify: bool,
    /// The last failure, as the admin sees it.
    pub last_error: Option<crate::ErrorBody>,
    /// Where the last failure is at fault: the step, and the form field to
    /// correct (issue 17). `None` without a failure.
    #[serde(default)]
    pub fault: Option<crate::switch::Fault>,
    /// Each step with its status, in order: done steps stay done while
    /// what they proved holds.
    #[serde(default)]
    pub steps: Vec<crate::switch::StepState>,
    /// The step the admin works on next.
    #[serde(default = "first_step")]
    pub current_step: crate::switch::SetupStep,
    /// This company's admin consent for the vault's tenant holds now (fresh
    /// for 24 hours): nothing asks for it again.
    #[serde(default)]
    pub consent_holds: bool,
    /// Who started the setup (display name).
    pub started_by: String,
    /// When (Unix milliseconds).
    pub started_at_ms: u64,
}

fn first_step() -> crate::switch::SetupStep {
    crate::switch::SetupStep::VaultAndKey
}

/// A tenant's display name, from the host product's backup-set inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantName {
    /// Which tenant.
    pub tenant: crate::switch::TenantRef,
    /// Its name (Microsoft 365 tenant name, or Google Workspace domain).
    pub name: String,
}

/// The key a connection test succeeded with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestedKey {
    /// The versioned key id Key Vault used.
    pub kid: crate::KeyId,
    /// RSA modulus size in bits.
    pub size_bits: u32,
    /// RSA or RSA-HSM.
    pub kty: crate::key_check::RsaKeyType,
    /// When the test passed (Unix milliseconds).
    pub tested_at_ms: u64,
}

/// `POST …/kms/switch` body: Test Connection with these values. Plain strings
/// here so the edge can name the field at fault; both sides validate them with
/// [`crate::VaultUri`] and [`crate::KeyName`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSwitch {
    /// The vault base URI, e.g. `https://contoso-kms.vault.azure.net`.
    pub vault_uri: String,
    /// The RSA key's name in the vault.
    pub key_name: String,
}

/// Answer of the Manage KMS actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsAnswer {
    /// The state after the action.
    pub kms: KmsOverview,
    /// Where to send the Global Administrator for admin consent, when the
    /// setup waits for it (single-use, expires in minutes).
    pub consent_url: Option<String>,
}

/// `GET …/kms/role-assignment`: what the Azure admin must do, filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignmentGuidance {
    /// Display name of the connector's service principal.
    pub service_principal_name: String,
    /// The connector application's (client) id.
    pub application_id: String,
    /// Role to assign, e.g. "Key Vault Crypto User".
    pub role_name: String,
    /// Its role definition id.
    pub role_id: String,
    /// The vault's name.
    pub vault_name: String,
    /// The vault's URI.
    pub vault_uri: crate::VaultUri,
    /// The key's name.
    pub key_name: crate::KeyName,
    /// The vault's tenant, when known.
    pub vault_tenant: Option<crate::TenantId>,
    /// Where the role is assigned: the vault's resource id, which the
    /// commands look up (Key Vault), or `/keys/<key>` (Managed HSM).
    pub scope: String,
    /// Azure CLI commands, in order (the Azure CLI tab of `commands`).
    pub az_commands: String,
    /// The same assignment for each tool (Azure CLI, Azure PowerShell,
    /// Terraform, Bicep), runnable as copied.
    pub commands: Vec<crate::commands::CommandTab>,
    /// Portal steps, in order.
    pub portal_steps: Vec<String>,
    /// What to do first when the vault uses the access-policy model.
    pub access_policy_note: String,
    /// The step next to the role assignment: tag the key with this company.
    pub binding: KeyBindingGuidance,
}

/// How the Azure admin binds the key to the company: the key's
/// `keyswitch-company` tag must name the company (`crate::binding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBindingGuidance {
    /// The tag's name (`keyswitch-company`).
    pub tag_name: String,
    /// The tag value for this company alone (the company id).
    pub tag_value: String,
    /// The `az keyvault key set-attributes … --tags` command.
    pub az_command: String,
    /// The same for each tool that can (Azure CLI, Azure PowerShell).
    pub commands: Vec<crate::commands::CommandTab>,
    /// The Azure Portal steps.
    pub portal_steps: Vec<String>,
    /// How to keep other companies (and other tags) the key already has.
    pub note: String,
}

/// One entry of a company's audit trail. Never holds secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Sequence number within the company (ascending).
    pub seq: u64,
    /// When (Unix milliseconds).
    pub at_ms: u64,
    /// Who: the session subject, or `microsoft` for a consent callback.
    pub actor: String,
    /// The actor's display name.
    pub actor_name: String,
    /// The actor's role.
    pub actor_role: crate::Role,
    /// What was done.
    pub action: crate::AuditAction,
    /// How it ended.
    pub outcome: crate::Outcome,
    /// Stage before.
    pub from: crate::switch::Stage,
    /// Stage after.
    pub to: crate::switch::Stage,
    /// The catalog code of a failure, or a non-secret note (kid, tenant).
    pub detail: Option<String>,
    /// The administrator at Microsoft or Google who did the step (granted
    /// the consent, proved a tenant) for `actor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_admin: Option<crate::audit::OutsideAdmin>,
    /// The id of the request that caused it (the `x-request-id` of that
    /// answer; an alarm's own id for automatic steps). Entries written
    /// before request ids were recorded have none.
    #[serde(default)]
    pub request_id: Option<String>,
}

impl AuditEvent {
    /// Who did it: a RedApp user, an admin at Microsoft or Google, keyswitch
    /// itself, or an unknown caller.
    #[must_use]
    pub fn actor_kind(&self) -> crate::audit::ActorKind {
        crate::audit::ActorKind::of(self.actor_role, self.outside_admin.as_ref())
    }
}

/// `GET …/kms/audit?cursor=<seq>&limit=N`: one page of the trail, newest
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTrail {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// The `cursor` of the next (older) page; `None` on the last page.
    #[serde(default)]
    pub next_cursor: Option<u64>,
}

/// `POST …/kms/tenants/verify` body: start verifying one tenant of the
/// pending setup (or of an export re-verification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyTenantRequest {
    /// The tenant to verify, as listed in `pending.tenants`.
    pub tenant: crate::switch::TenantRef,
}

/// Answer of `POST …/kms/tenants/verify`: where to send the tenant's admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyTenantAnswer {
    /// Microsoft's or Google's sign-in page (single-use `state`, PKCE, nonce).
    pub authorize_url: String,
    /// The tenant being verified.
    pub tenant: crate::switch::TenantRef,
}

/// One step of the automatic finalization (the crash-safe re-wrap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalizeStep {
    /// Reading the backup-set inventory once more.
    ReadInventory,
    /// Unwrapping the company key with the current provider and wrapping it
    /// with the new key.
    Wrap,
    /// Unwrapping the new blob through the new provider and comparing.
    Verify,
    /// Flipping provider and wrapped key in one storage transaction.
    Commit,
}

/// `GET …/kms/finalize` (and `POST`): progress of the automatic
/// finalization, for the SPA to poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizeProgress {
    /// The switch stage (`finalizing` while it runs, `done` after the commit).
    pub stage: crate::switch::Stage,
    /// The provider in force (the old one until the commit).
    pub provider: Provider,
    /// The step reached, when a finalization is under way.
    pub step: Option<FinalizeStep>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The last failure (retried automatically).
    pub last_error: Option<crate::ErrorBody>,
    /// When the next automatic retry is due (Unix milliseconds).
    pub next_retry_at_ms: Option<u64>,
}

/// `POST …/kms/aws-kms` body (Partner Admin): move a company from the
/// platform provider onto a customer AWS KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveToAwsKms {
    /// The KMS key id or ARN.
    pub key_id: String,
}

/// The AWS KMS encryption context key that names the company: keyswitch
/// encrypts and decrypts a company's key with `{"keyswitch:company": <id>}`.
pub const AWS_CONTEXT_KEY: &str = "keyswitch:company";

/// How the customer limits keyswitch's use of their AWS KMS key to one
/// company: a key-policy statement whose condition requires the company's
/// encryption context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsKeyPolicy {
    /// The company the statement is for.
    pub company: String,
    /// `kms:EncryptionContext:keyswitch:company`.
    pub condition_key: String,
    /// The key-policy statement to add (JSON), filled in; the principal is
    /// keyswitch's AWS identity, which the operator knows.
    pub statement: serde_json::Value,
    /// What it does, in words.
    pub note: String,
}

impl AwsKeyPolicy {
    /// The statement for `company` and the key `key_id` (id, ARN or alias).
    #[must_use]
    pub fn for_company(company: &str, key_id: &str) -> Self {
        let condition_key = format!("kms:EncryptionContext:{AWS_CONTEXT_KEY}");
        let statement = serde_json::json!({
            "Sid": "KeyswitchCompanyKeyOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::<keyswitch-account-id>:user/<keyswitch-operator>"},
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {condition_key.clone(): company}}
        });
        let note = format!(
            "keyswitch encrypts and decrypts company {company}'s key with the encryption context {{\"{AWS_CONTEXT_KEY}\": \"{company}\"}}. Add this statement to the key policy of {key_id} (and give keyswitch's AWS identity no other grant on the key): keyswitch can then use the key for company {company} only, and AWS CloudTrail logs the company with every call."
        );
        Self {
            company: company.to_owned(),
            condition_key,
            statement,
            note,
        }
    }
}

/// `POST …/kms/aws-kms` answer: the state after the move, and the key-policy
/// statement that limits keyswitch's use of the key to this company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveToAwsAnswer {
    /// The state and consent URL, as every action answers.
    #[serde(flatten)]
    pub answer: KmsAnswer,
    /// The key-policy statement for this company, filled in.
    pub aws_key_policy: AwsKeyPolicy,
}

/// `POST /api/envelope/companies/{company}/data-keys` answer
/// (GenerateDataKey style). `plaintext` is secret: use it and forget it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataKey {
    /// The data key's id (bound into the wrapped blob).
    pub key_id: String,
    /// The data key, base64 (32 bytes, AES-256).
    pub plaintext: String,
    /// The data key wrapped by the company key, to store with the data.
    pub wrapped: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("key_id", &self.key_id)
            .field("plaintext", &"[redacted]")
            .field("wrapped", &self.wrapped)
            .finish()
    }
}

/// `POST /api/envelope/companies/{company}/data-keys/decrypt` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptDataKey {
    /// A `wrapped` value from [`DataKey`].
    pub wrapped: String,
}

/// The one-time export file (`POST …/kms/export`). Secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyKeyExport {
    /// The company.
    pub company_id: String,
    /// Always `AES-256-GCM`.
    pub algorithm: String,
    /// The company key, base64.
    pub key: String,
    /// The provider protecting it when exported.
    pub provider: Provider,
    /// When (Unix milliseconds).
    pub exported_at_ms: u64,
}

impl std::fmt::Debug for CompanyKeyExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyKeyExport")
            .field("company_id", &self.company_id)
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// `GET|POST …/kms/export/verification`: re-verifying every tenant to open
/// the export window again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportVerification {
    /// Whether an export is allowed now.
    pub export_open: bool,
    /// When the open window ends (Unix seconds); `None` when it is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_closes_at: Option<i64>,
    /// Tenants to verify again (empty when none is under way).
    pub tenants: Vec<crate::switch::Tenant>,
    /// Whether a re-verification round is under way.
    #[serde(default)]
    pub verifying: bool,
    /// The round's inventory lists no backup set: nothing opens the export
    /// until an admin confirms there is nothing to verify
    /// (`POST …/export/verification/confirm-no-tenants`).
    #[serde(default)]
    pub nothing_to_verify: bool,
    /// What Manage KMS offers about the export now (the model's decision:
    /// the screen shows the export and its re-verification by this, in
    /// any stage).
    #[serde(default)]
    pub offer: ExportOffer,
}

/// What Manage KMS offers about the company key's export, as the model
/// decides it from the export window, the pending setup and the provider
/// (`Company::export_offer`). The screen shows the export section whenever
/// this is not `unavailable`, whatever the stage: after a switch, a later
/// setup started and cancelled leaves an open window open, and the export
/// and its re-verification stay reachable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportOffer {
    /// Nothing to offer: the company key was never under the company's own
    /// key, or a setup is pending while the window is closed (a round
    /// cannot start, nor count, during a setup).
    #[default]
    Unavailable,
    /// One export is allowed now (the window is open; also during a
    /// pending setup: the company key is the same whatever the setup does).
    Open,
    /// The window is closed (used or ended); a re-verification round of
    /// every tenant opens it again (the round may be under way).
    Reverify,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted_in_debug_and_nothing_else_is() {
        let data_key = DataKey {
            key_id: "dk-1".into(),
            plaintext: "c2VjcmV0LWRhdGEta2V5".into(),
            wrapped: "wrapped-blob".into(),
        };
        let shown = format!("{data_key:?}");
        assert!(!shown.contains("c2VjcmV0LWRhdGEta2V5"), "{shown}");
        assert!(
            shown.contains("dk-1")
                && shown.contains("wrapped-blob")
                && shown.contains("[redacted]"),
            "{shown}"
        );
        let export = CompanyKeyExport {
            company_id: "acme".into(),
            algorithm: "AES-256-GCM".into(),
            key: "a2V5LW1hdGVyaWFsLWJhc2U2NA==".into(),
            provider: Provider::Platform,
            exported_at_ms: 7,
        };
        let shown = format!("{export:?}");
        assert!(!shown.contains("a2V5LW1hdGVyaWFsLWJhc2U2NA=="), "{shown}");
        assert!(
            shown.starts_with("CompanyKeyExport")
                && shown.contains("acme")
                && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    /// An overview written before `key_cache_seconds` and `connector_clouds`
    /// existed (an older edge, a stored copy) reads with the deployment's
    /// defaults: the 300 s key cache and the public cloud only.
    #[test]
    fn an_overview_without_the_newer_fields_reads_with_their_defaults() {
        let old = serde_json::json!({
            "company_id": "acme",
            "provider": {"kind": "platform"},
            "backup_set_count": 2,
            "stage": "idle",
            "pending": null,
            "company_key": {"wrapped_fingerprint": "ab", "created_at_ms": 1},
        });
        let read: KmsOverview = serde_json::from_value(old).unwrap();
        assert_eq!(read.key_cache_seconds, 300);
        assert_eq!(read.key_cache_seconds, crate::switch::KEY_CACHE_SECS);
        assert_eq!(read.connector_clouds, vec![crate::Cloud::Public]);
        assert_eq!(read.export, ExportOffer::Unavailable);
        assert_eq!((read.health, read.rewrap), (None, None));
    }
}
