//! The one model of a company's KMS state: provider and wrapped company key,
//! the pending setup with its finalization, pending sign-ins, the export
//! window and its re-verification round, and the step in flight with its
//! lease. The company's Durable Object stores exactly this, under one key.

use serde::{Deserialize, Serialize};

use super::model::{Consent, Stage, Target, Tenant, TenantRef, UnverifiableSet};
use super::secret::OAuthSecret;
use crate::api::{FinalizeStep, TenantName, TestedKey};
use crate::audit::Actor;
use crate::catalog::ErrorBody;
use crate::health::{Health, KeySeen};
use crate::ids::{CompanyId, KeyId, TenantId};
use crate::notify::Outbox;
use crate::provider::Provider;
use crate::rotation::{KidReason, KidRecord, RewrapStep};

/// The company key as stored: wrapped by the provider in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The wrapped blob, base64 (not secret: only the provider unwraps it).
    pub blob: String,
    /// When the company key was created (Unix milliseconds).
    pub created_at_ms: u64,
    /// The vault's tenant, when the provider is Azure Key Vault.
    #[serde(default)]
    pub azure_tenant: Option<TenantId>,
}

/// How many backup sets the host's inventory listed at its latest read,
/// and when: Manage KMS shows it without reading the inventory per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSetCount {
    /// Sets listed (verifiable or not).
    pub count: u32,
    /// When the inventory was read (Unix milliseconds).
    pub read_at_ms: u64,
}

/// A single-use OAuth `state` issued by the model: only the SHA-256 of its
/// random part is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedState {
    /// Hex SHA-256 of the random part.
    pub nonce_sha256: String,
    /// Who asked for it (the admin the callback acts for).
    pub admin: Actor,
    /// When it stops working (Unix milliseconds).
    pub expires_at_ms: u64,
}

/// Why an issued OAuth state stopped working before its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retired {
    /// Its callback came (a state works once).
    Used,
    /// Its setup or round ended (cancelled, replaced, committed) or a newer
    /// consent sign-in replaced it.
    Superseded,
}

/// A state that stopped working, kept until it would have expired anyway,
/// so a later callback with it is told why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredState {
    /// Hex SHA-256 of the state's random part.
    pub nonce_sha256: String,
    /// Why it stopped working.
    pub why: Retired,
    /// When it would have expired (Unix milliseconds).
    pub expires_at_ms: u64,
}

/// The admin-consent sign-in of a setup (an OpenID Connect sign-in with
/// `prompt=admin_consent`): single use, bound to the setup by its OIDC
/// nonce. The PKCE verifier and the nonce are redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSignIn {
    /// The state's hash and admin.
    pub state: IssuedState,
    /// PKCE verifier of the authorization request.
    pub pkce_verifier: OAuthSecret,
    /// The OpenID Connect nonce the ID token must carry.
    pub oidc_nonce: OAuthSecret,
}

/// What a tenant sign-in is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    /// Verifying a tenant of the pending setup `setup_id`.
    Setup {
        /// The setup it belongs to.
        setup_id: String,
    },
    /// Re-verifying a tenant for a further export, in round `round_id`.
    Export {
        /// The round it belongs to.
        round_id: String,
    },
}

/// A tenant sign-in handed out and not yet finished (single use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The state's hash and admin.
    pub state: IssuedState,
    /// Setup or export round.
    pub purpose: Purpose,
    /// The tenant to verify.
    pub tenant: TenantRef,
    /// PKCE verifier of the authorization request.
    pub pkce_verifier: OAuthSecret,
    /// The OpenID Connect nonce the ID token must carry.
    pub oidc_nonce: String,
    /// Set once the callback arrived: the code exchange runs and must end
    /// by this time (Unix milliseconds), or the alarm fails it.
    #[serde(default)]
    pub exchanging_until_ms: Option<u64>,
}

/// The progress of the automatic finalization (the crash-safe re-wrap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finalize {
    /// The step reached.
    pub step: FinalizeStep,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The company key wrapped by the new key, once wrapped: kid and blob.
    pub wrapped: Option<(KeyId, String)>,
    /// When finalization started (Unix milliseconds).
    pub started_at_ms: u64,
    /// The last failure (retried automatically).
    pub last_error: Option<ErrorBody>,
    /// When the next attempt is due (Unix milliseconds); `None` while one runs.
    pub next_retry_at_ms: Option<u64>,
}

/// A setup in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub(crate) id: String,
    pub(crate) stage: Stage,
    pub(crate) target: Target,
    pub(crate) vault_tenant: Option<TenantId>,
    pub(crate) consent: Option<Consent>,
    #[serde(default)]
    pub(crate) consent_sign_in: Option<ConsentSignIn>,
    pub(crate) tested: Option<TestedKey>,
    pub(crate) tenants: Vec<Tenant>,
    /// Backup sets of the latest inventory that cannot be verified: each
    /// blocks the switch.
    #[serde(default)]
    pub(crate) unverifiable: Vec<UnverifiableSet>,
    /// The inventory listed no backup set and an admin confirmed that there
    /// is nothing to verify (cleared as soon as an inventory lists one).
    #[serde(default)]
    pub(crate) nothing_to_verify: bool,
    pub(crate) commit_issued: bool,
    pub(crate) finalize: Option<Finalize>,
    pub(crate) last_error: Option<ErrorBody>,
    /// Where the last failure is at fault (set with `last_error` by
    /// [`Setup::fail`]).
    #[serde(default)]
    pub(crate) fault: Option<super::recovery::Fault>,
    pub(crate) started_by: String,
    pub(crate) started_at_ms: u64,
}

impl Setup {
    /// Records `error`, raised while `during` ran, as the last failure, and
    /// where it is at fault.
    pub(crate) fn fail(&mut self, error: &crate::CatalogError, during: super::SetupStep) {
        self.last_error = Some(error.body());
        self.fault = Some(super::recovery::Fault::of(error, during));
    }

    /// The last step succeeded: no failure to show.
    pub(crate) fn clear_failure(&mut self) {
        self.last_error = None;
        self.fault = None;
    }

    /// Where the last failure is at fault, while it is shown.
    #[must_use]
    pub fn fault(&self) -> Option<super::recovery::Fault> {
        self.fault.filter(|_| self.last_error.is_some())
    }

    /// Identifies this setup (a new one per start).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
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
    /// The admin consent this setup relies on (proven in it, or a fresh one
    /// this company proved before).
    #[must_use]
    pub fn consent(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }
    /// The key the last successful connection test used.
    #[must_use]
    pub fn tested(&self) -> Option<&TestedKey> {
        self.tested.as_ref()
    }
    /// The tenants of the latest inventory.
    #[must_use]
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }
    /// Backup sets of the latest inventory that cannot be verified.
    #[must_use]
    pub fn unverifiable(&self) -> &[UnverifiableSet] {
        &self.unverifiable
    }
    /// Whether an admin confirmed that the (empty) inventory leaves nothing
    /// to verify.
    #[must_use]
    pub fn nothing_to_verify(&self) -> bool {
        self.nothing_to_verify
    }
    /// Whether the switch may finish: no backup set blocks it, every tenant
    /// is verified, and an empty list was confirmed by an admin.
    #[must_use]
    pub fn ready_to_finalize(&self) -> bool {
        self.unverifiable.is_empty()
            && self.tenants.iter().all(Tenant::is_verified)
            && (!self.tenants.is_empty() || self.nothing_to_verify)
    }
    /// Whether the final inventory check passed and the re-wrap runs (Cancel
    /// is refused from then on).
    #[must_use]
    pub fn commit_issued(&self) -> bool {
        self.commit_issued
    }
    /// The finalization's progress, once finalizing.
    #[must_use]
    pub fn finalize(&self) -> Option<&Finalize> {
        self.finalize.as_ref()
    }
    /// The last failure to show.
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
    /// One export is allowed until `opened_at` + the policy's
    /// `export_window_secs`.
    Open {
        /// When it opened (Unix seconds).
        opened_at: i64,
    },
}

impl ExportWindow {
    /// When an open window ends (Unix seconds), under `window_secs`.
    #[must_use]
    pub fn closes_at(self, window_secs: i64) -> Option<i64> {
        match self {
            Self::Closed => None,
            Self::Open { opened_at } => Some(opened_at.saturating_add(window_secs)),
        }
    }

    /// Whether one export is allowed at `now` (Unix seconds).
    #[must_use]
    pub fn is_open_at(self, now: i64, window_secs: i64) -> bool {
        self.closes_at(window_secs).is_some_and(|end| now < end)
    }
}

/// A re-verification of every tenant before a further export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRound {
    /// Identifies the round: sign-ins of an older round do not count.
    pub id: String,
    /// The tenants of the inventory when the round started.
    pub tenants: Vec<Tenant>,
}

/// What the step in flight is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Proving the admin consent (client-credentials token in the tenant).
    ProveConsent {
        /// The admin the callback acts for.
        admin: Actor,
    },
    /// The connection test.
    ConnectionTest {
        /// Who asked for it.
        actor: Actor,
    },
    /// Reading the inventory for Save or Refresh.
    ListTenants {
        /// Who asked for it.
        actor: Actor,
        /// Save (from `tested`) or Refresh.
        save: bool,
    },
    /// Reading the inventory for an export re-verification round.
    ExportRound {
        /// Who asked for it.
        actor: Actor,
        /// Read to confirm that an empty round has nothing to verify
        /// (false: the read that starts the round).
        #[serde(default)]
        confirmed: bool,
    },
    /// Finalization: reading the inventory once more.
    FinalInventory,
    /// Finalization: unwrapping with the old provider, wrapping with the new key.
    Wrap,
    /// Finalization: unwrapping the new blob through Key Vault and comparing.
    VerifyWrap,
    /// The one-time export.
    Export {
        /// Who asked for it.
        actor: Actor,
        /// The window it consumed (restored if the export fails).
        window: ExportWindow,
    },
    /// *Re-wrap now*: reading the key's current version.
    RewrapRead {
        /// Who asked for it.
        actor: Actor,
    },
    /// Rotation: unwrapping with the recorded `kid`, wrapping with the new
    /// version.
    RewrapWrap,
    /// Rotation: unwrapping the new blob with the new version and comparing.
    RewrapVerify,
    /// The operator move onto an AWS KMS key.
    MoveToAws {
        /// Who asked for it.
        actor: Actor,
        /// The KMS key id or ARN.
        key_id: String,
    },
}

impl Op {
    /// The step's name as an admin knows it.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::ProveConsent { .. } => "admin consent check",
            Self::ConnectionTest { .. } => "connection test",
            Self::ListTenants { .. } | Self::ExportRound { .. } => "backup-set inventory read",
            Self::FinalInventory | Self::Wrap | Self::VerifyWrap => "finalization",
            Self::Export { .. } => "company key export",
            Self::MoveToAws { .. } => "move to AWS KMS",
            Self::RewrapRead { .. } | Self::RewrapWrap | Self::RewrapVerify => "re-wrap",
        }
    }
}

/// The step in flight, held under a lease: if its result does not arrive by
/// `until_ms` (the object restarted), the alarm resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Identifies this attempt; a result for another attempt is stale.
    pub attempt: u32,
    /// What runs.
    pub op: Op,
    /// When the lease expires (Unix milliseconds).
    pub until_ms: u64,
    /// How many times this op was started again after an expired lease.
    #[serde(default)]
    pub restarts: u32,
}

/// A key in the key-binding registry: the vault's host and the key's name
/// (lowercase: Key Vault names ignore case). One registry object per key
/// records which companies the key is bound to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RegistryKey {
    /// The vault's host, e.g. `contoso-kms.vault.azure.net`.
    pub vault_host: String,
    /// The key's name, lowercase.
    pub key_name: String,
}

impl RegistryKey {
    /// The registry key of an Azure provider or target.
    #[must_use]
    pub fn of(vault: &crate::VaultUri, key: &crate::KeyName) -> Self {
        Self {
            vault_host: vault.host().to_ascii_lowercase(),
            key_name: key.as_str().to_ascii_lowercase(),
        }
    }

    /// The registry key of the provider in force, when it is Azure Key Vault.
    #[must_use]
    pub fn of_provider(provider: &Provider) -> Option<Self> {
        match provider {
            Provider::AzureKeyVault {
                vault_uri,
                key_name,
                ..
            } => Some(Self::of(vault_uri, key_name)),
            _ => None,
        }
    }

    /// The name of the registry object for this key.
    #[must_use]
    pub fn object_name(&self) -> String {
        format!("{}/keys/{}", self.vault_host, self.key_name)
    }
}

/// A registry write the company owes: kept in the model until the registry
/// acknowledged it, sent again by the alarm when no answer came by
/// `due_at_ms` (the write is idempotent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryWrite {
    /// The key.
    pub key: RegistryKey,
    /// `true`: the company is bound to the key (on commit); `false`: it is
    /// released (the company moved to another key or provider).
    pub bind: bool,
    /// The attempt in flight; only its answer counts (0: none in flight,
    /// waiting for the back-off after a failure).
    pub attempt: u32,
    /// When to send it (again), Unix milliseconds.
    pub due_at_ms: u64,
    /// Failed attempts so far.
    pub failures: u32,
}

/// A re-wrap with a new version of the key in force (rotation, or *Re-wrap
/// now*): owed until it commits; the recorded `kid` stays in force until
/// then. Crash-safe like the finalization: a failed or cut-off attempt is
/// retried with back-off, a blob wrapped in an earlier attempt is verified,
/// never wrapped twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrap {
    /// The version to re-wrap with (`None` while *Re-wrap now* reads it).
    pub to: Option<KeyId>,
    /// Why.
    pub reason: KidReason,
    /// Who asked (keyswitch itself for a rotation it saw).
    pub actor: Actor,
    /// The step reached.
    pub step: RewrapStep,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The company key wrapped by the new version, once wrapped: kid, blob.
    pub wrapped: Option<(KeyId, String)>,
    /// When it started (Unix milliseconds).
    pub started_at_ms: u64,
    /// The last failure.
    pub last_error: Option<ErrorBody>,
    /// When the next attempt is due (Unix milliseconds); `None` while one
    /// runs.
    pub next_retry_at_ms: Option<u64>,
}

/// A health check in flight (issue 14): its own attempt numbers, so it
/// never blocks an admin's command; the alarm starts it again when no
/// answer came by `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInFlight {
    /// The check's attempt; only its answer counts.
    pub attempt: u32,
    /// The GET's answer, once it came and a probe runs.
    pub seen: Option<KeySeen>,
    /// When the alarm gives up on the answer (Unix milliseconds).
    pub until_ms: u64,
}

/// The health monitor of the Azure key in force (issue 14, items 1, 2, 5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMonitor {
    /// The key watched (the provider's vault and key); another key starts
    /// over from `unknown`.
    pub key: Option<RegistryKey>,
    /// Its health.
    pub health: Health,
    /// The check in flight.
    pub in_flight: Option<CheckInFlight>,
    /// The last check attempt number handed out.
    pub attempts: u32,
    /// When the last *Check now* ran (its rate limit), Unix milliseconds.
    pub last_check_now_ms: Option<u64>,
}

/// A company's whole KMS state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub(crate) company_id: CompanyId,
    pub(crate) provider: Provider,
    pub(crate) key: WrappedKey,
    pub(crate) setup: Option<Setup>,
    pub(crate) last: Stage,
    pub(crate) export: ExportWindow,
    pub(crate) round: Option<ExportRound>,
    pub(crate) sign_ins: Vec<PendingSignIn>,
    pub(crate) lease: Option<Lease>,
    pub(crate) attempts: u32,
    pub(crate) tenant_names: Vec<TenantName>,
    pub(crate) audit_seq: u64,
    /// Admin consents proven for this company (one per tenant): the consent
    /// cache. Written only from an ID-token proof of one of its own setups.
    #[serde(default)]
    pub(crate) consents: Vec<Consent>,
    /// When the last connection test started (Unix milliseconds).
    #[serde(default)]
    pub(crate) last_test_at_ms: Option<u64>,
    /// Key-binding registry writes not yet acknowledged.
    #[serde(default)]
    pub(crate) registry: Vec<RegistryWrite>,
    /// The last registry write attempt number handed out.
    #[serde(default)]
    pub(crate) registry_attempts: u32,
    /// The health monitor of the Azure key in force.
    #[serde(default)]
    pub(crate) monitor: KeyMonitor,
    /// The key versions that protected the company key, oldest first.
    #[serde(default)]
    pub(crate) kid_history: Vec<KidRecord>,
    /// The re-wrap owed or under way.
    #[serde(default)]
    pub(crate) rewrap: Option<Rewrap>,
    /// Webhook notifications owed to the host (issue 14 item 6).
    #[serde(default)]
    pub(crate) outbox: Outbox,
    /// The tenants verified for the switch that put the provider in force
    /// (the tenant verification records of the KV read copy).
    #[serde(default)]
    pub(crate) verified_tenants: Vec<Tenant>,
    /// The backup-set count of the latest inventory read (Save, Refresh,
    /// finalization, export round, or the status when the count was due;
    /// Check configuration changes nothing, this neither).
    #[serde(default)]
    pub(crate) backup_sets: Option<BackupSetCount>,
    /// OAuth states that stopped working before their time, and why.
    #[serde(default)]
    pub(crate) retired_states: Vec<RetiredState>,
}

impl Company {
    /// A new company on `provider` with its freshly wrapped company key.
    #[must_use]
    pub fn new(company_id: CompanyId, provider: Provider, key: WrappedKey) -> Self {
        Self {
            company_id,
            provider,
            key,
            setup: None,
            last: Stage::Idle,
            export: ExportWindow::Closed,
            round: None,
            sign_ins: Vec::new(),
            lease: None,
            attempts: 0,
            tenant_names: Vec::new(),
            audit_seq: 0,
            consents: Vec::new(),
            last_test_at_ms: None,
            registry: Vec::new(),
            registry_attempts: 0,
            monitor: KeyMonitor::default(),
            kid_history: Vec::new(),
            rewrap: None,
            outbox: Outbox::default(),
            verified_tenants: Vec::new(),
            backup_sets: None,
            retired_states: Vec::new(),
        }
    }
    /// The company's id.
    #[must_use]
    pub fn company_id(&self) -> &CompanyId {
        &self.company_id
    }
    /// The provider in force; it changes only on a verified commit.
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.provider
    }
    /// The company key as stored.
    #[must_use]
    pub fn key(&self) -> &WrappedKey {
        &self.key
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
        self.export
    }
    /// The export re-verification round under way.
    #[must_use]
    pub fn export_round(&self) -> Option<&ExportRound> {
        self.round.as_ref()
    }
    /// The tenant sign-ins handed out and not yet finished.
    #[must_use]
    pub fn sign_ins(&self) -> &[PendingSignIn] {
        &self.sign_ins
    }
    /// The step in flight.
    #[must_use]
    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }
    /// Display names of the tenants from the last inventory read.
    #[must_use]
    pub fn tenant_names(&self) -> &[TenantName] {
        &self.tenant_names
    }
    /// The admin consents proven for this company, one per tenant (expired
    /// ones are dropped by the next update).
    #[must_use]
    pub fn consents(&self) -> &[Consent] {
        &self.consents
    }
    /// When the last connection test started (Unix milliseconds).
    #[must_use]
    pub fn last_test_at_ms(&self) -> Option<u64> {
        self.last_test_at_ms
    }
    /// The key-binding registry writes not yet acknowledged.
    #[must_use]
    pub fn registry_writes(&self) -> &[RegistryWrite] {
        &self.registry
    }
    /// The tenants verified for the switch that put the provider in force.
    #[must_use]
    pub fn verified_tenants(&self) -> &[Tenant] {
        &self.verified_tenants
    }
    /// The key versions that protected the company key, oldest first.
    #[must_use]
    pub fn kid_history(&self) -> &[KidRecord] {
        &self.kid_history
    }
    /// The re-wrap owed or under way.
    #[must_use]
    pub fn rewrap(&self) -> Option<&Rewrap> {
        self.rewrap.as_ref()
    }
    /// The webhook notifications owed to the host.
    #[must_use]
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }
    /// The health monitor of the Azure key in force.
    #[must_use]
    pub fn monitor(&self) -> &KeyMonitor {
        &self.monitor
    }
    /// The backup-set count of the latest inventory read, if any.
    #[must_use]
    pub fn backup_sets(&self) -> Option<BackupSetCount> {
        self.backup_sets
    }
    /// Whether the status must read the inventory before it shows the
    /// count: never read, or read `policy.backup_set_count_max_age_ms` ago
    /// or longer.
    #[must_use]
    pub fn backup_set_count_due(&self, now_ms: u64, policy: &super::Policy) -> bool {
        self.backup_sets.is_none_or(|c| {
            now_ms.saturating_sub(c.read_at_ms) >= policy.backup_set_count_max_age_ms
        })
    }
    /// The sequence number of the newest audit entry.
    #[must_use]
    pub fn audit_seq(&self) -> u64 {
        self.audit_seq
    }

    /// When the alarm must fire next: the earliest lease expiry, sign-in
    /// exchange deadline, state expiry, finalization retry, registry write
    /// or webhook (re)send.
    #[must_use]
    pub fn next_deadline_ms(&self) -> Option<u64> {
        let lease = self.lease.as_ref().map(|l| l.until_ms);
        let exchanges = self
            .sign_ins
            .iter()
            .map(|s| s.exchanging_until_ms.unwrap_or(s.state.expires_at_ms));
        let consent = self
            .setup
            .as_ref()
            .and_then(|s| s.consent_sign_in.as_ref())
            .map(|c| c.state.expires_at_ms);
        let retry = self
            .setup
            .as_ref()
            .filter(|s| s.stage == Stage::Finalizing && self.lease.is_none())
            .and_then(|s| s.finalize.as_ref())
            .and_then(|f| f.next_retry_at_ms);
        let registry = self.registry.iter().map(|w| w.due_at_ms);
        let rewrap = self
            .rewrap
            .as_ref()
            .filter(|_| self.lease.is_none())
            .and_then(|r| r.next_retry_at_ms);
        let outbox = self.outbox.next_deadline_ms();
        let health = self.monitor_deadline_ms();
        lease
            .into_iter()
            .chain(exchanges)
            .chain(consent)
            .chain(retry)
            .chain(registry)
            .chain(rewrap)
            .chain(outbox)
            .chain(health)
            .min()
    }

    /// When the health monitor needs the alarm: its check in flight's
    /// deadline, or the next check (only while a key is watched and its
    /// tenant is known).
    fn monitor_deadline_ms(&self) -> Option<u64> {
        let m = &self.monitor;
        m.key.as_ref()?;
        self.key.azure_tenant.as_ref()?;
        match &m.in_flight {
            Some(c) => Some(c.until_ms),
            None => m.health.next_check_at_ms,
        }
    }
}

/// Companies for the crate's unit tests of views and copies.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Company, Provider, WrappedKey};

    /// A company `acme` on the Azure key `kid`.
    pub(crate) fn acme_on_azure(kid: &crate::KeyId) -> Company {
        Company::new(
            "acme".parse().expect("company id"),
            Provider::AzureKeyVault {
                vault_uri: kid.vault(),
                key_name: kid.name(),
                kid: kid.clone(),
            },
            WrappedKey {
                blob: "blob".into(),
                created_at_ms: 1,
                azure_tenant: None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_has_one_registry_object_whatever_its_case() {
        let vault: crate::VaultUri = "https://Contoso-KMS.vault.azure.net".parse().expect("uri");
        let key: crate::KeyName = "Company-KEK".parse().expect("key name");
        let name = RegistryKey::of(&vault, &key).object_name();
        assert_eq!(name, "contoso-kms.vault.azure.net/keys/company-kek");
        let lower: crate::KeyName = "company-kek".parse().expect("key name");
        assert_eq!(RegistryKey::of(&vault, &lower).object_name(), name);
    }
}
