//! The workspace model (seed 001): a workspace's vaults, and the one
//! [`update`] function that makes every decision the workspace's Durable
//! Object carries out.
//!
//! `update(model, event, ctx)` is pure. A request is an [`Event`]; every
//! outside call or use of a key the edge holds is an [`Effect`] that carries
//! the operation in flight ([`Op`]), and its result comes back as
//! [`Event::Answered`] with that operation. Every answer is checked against
//! the *current* model, so rules that depend on stored state (one cloud vault
//! per provider, unique names) hold even when requests interleave while an
//! outside call is awaited.
//!
//! * `Err(e)` from `update` is a refusal: nothing changes and nothing is
//!   audited (an unknown vault or item, an answer to a question not asked).
//! * Everything else ends an operation with one [`Effect::Audit`] (typed
//!   action and outcome) and one [`Effect::Reply`], in the same step.
//! * An Azure External Keys vault is added only after a wrap/unwrap proof
//!   with the customer's key; its wrapped vault key is recorded together with
//!   the versioned kid that wrapped it ([`WrappedVaultKey`]).
//! * The vault key is never cached: every item read or write asks Key Vault
//!   to unwrap it, so revoking the service principal's access stops reads at
//!   once and restoring it makes them work again.
//! * Each Azure External Keys vault has a health monitor ([`VaultHealth`]):
//!   [`Event::Tick`] (the workspace object's alarm, at
//!   [`Workspace::next_deadline_ms`]) checks the most overdue vault — a
//!   token, a GET of the recorded key version, and an unwrap of the vault
//!   key at most daily or when the GET shows a change — and audits every
//!   change of state (`vault_health_changed`). A test or an item operation
//!   that fails (or a test that passes) makes the next check due at once.

use serde::{Deserialize, Serialize};

use super::WorkspaceId;
use super::base64_bytes;
use super::forms::{AzureConnection, CreateVault, NewProtection};
use super::health::{HealthState, Observation, VaultHealth};
use super::ids::{ItemId, VaultId, VaultName, VaultStrategy};
use super::items::{ItemContent, StoredItem};
use super::keys::{Unwrapped, VaultKey, WrappedVaultKey};
use super::views::{
    AzureConnectionView, Item, ItemSummary, KeyState, KeyStatus, SecretState, VaultAuditEvent,
    VaultList, VaultSummary,
};
use crate::catalog::CatalogError;
use crate::key_check::{KeyPolicy, check_key};
use crate::keyvault::KeyBundle;
use crate::notify::{Failure, Kind, NotifyPolicy, Outbox, Send, Subject};
use crate::{
    Actor, AuditAction, ClientId, ClientSecret, KeyId, KeyName, Outcome, TenantId, VaultUri,
};

/// Most vaults a workspace may hold (at most one per provider today).
pub const MAX_VAULTS: usize = 50;

// ---- the model ------------------------------------------------------------

/// A workspace's vaults, oldest first, which one is the default, and the
/// webhooks it still owes the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workspace {
    vaults: Vec<Vault>,
    default_vault: Option<VaultId>,
    outbox: Outbox,
}

/// One vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vault {
    id: VaultId,
    name: VaultName,
    created_at_ms: u64,
    created_by: String,
    protection: Protection,
    key_status: KeyStatus,
    item_count: u64,
    /// The health monitor's view (Azure External Keys vaults only).
    health: VaultHealth,
}

/// What protects a vault's vault key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    /// Sealed by the platform key (the cloud strategy).
    Platform {
        /// The vault key sealed by the platform key.
        sealed_vault_key: Vec<u8>,
    },
    /// Wrapped by the customer's Azure key (Azure External Keys).
    Azure(AzureKey),
}

/// An Azure External Keys vault's connection and wrapped vault key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureKey {
    client_id: ClientId,
    tenant_id: TenantId,
    vault_uri: VaultUri,
    key_name: KeyName,
    wrapped: WrappedVaultKey,
    key_size_bits: u32,
    /// The client secret sealed by the platform key.
    sealed_client_secret: Vec<u8>,
    secret_updated_at_ms: u64,
}

impl AzureKey {
    /// The customer's app.
    #[must_use]
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The vault key, wrapped, with the kid that wrapped it.
    #[must_use]
    pub fn wrapped(&self) -> &WrappedVaultKey {
        &self.wrapped
    }

    fn principal(&self, vault: &VaultId) -> ServicePrincipal {
        ServicePrincipal {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            vault_uri: self.vault_uri.clone(),
            secret: SecretSource::Sealed {
                vault: vault.clone(),
                sealed: self.sealed_client_secret.clone(),
            },
        }
    }

    fn principal_with(&self, secret: &ClientSecret) -> ServicePrincipal {
        ServicePrincipal {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            vault_uri: self.vault_uri.clone(),
            secret: SecretSource::Typed(secret.duplicate()),
        }
    }
}

impl Vault {
    /// The vault's id.
    #[must_use]
    pub fn id(&self) -> &VaultId {
        &self.id
    }

    /// The vault's name.
    #[must_use]
    pub fn name(&self) -> &VaultName {
        &self.name
    }

    /// How its vault key is protected.
    #[must_use]
    pub fn strategy(&self) -> VaultStrategy {
        match self.protection {
            Protection::Platform { .. } => VaultStrategy::Cloud,
            Protection::Azure(_) => VaultStrategy::AzureExternalKeys,
        }
    }

    /// What protects the vault key.
    #[must_use]
    pub fn protection(&self) -> &Protection {
        &self.protection
    }

    /// The key status.
    #[must_use]
    pub fn key_status(&self) -> &KeyStatus {
        &self.key_status
    }

    /// How many items the vault holds.
    #[must_use]
    pub fn item_count(&self) -> u64 {
        self.item_count
    }

    /// The health monitor's view (meaningful for Azure External Keys vaults).
    #[must_use]
    pub fn health(&self) -> &VaultHealth {
        &self.health
    }

    fn azure(&self) -> Option<&AzureKey> {
        match &self.protection {
            Protection::Azure(a) => Some(a),
            Protection::Platform { .. } => None,
        }
    }

    fn summary(&self, is_default: bool) -> VaultSummary {
        VaultSummary {
            id: self.id.as_str().to_owned(),
            name: self.name.as_str().to_owned(),
            strategy: self.strategy(),
            is_default,
            key_status: self.key_status.clone(),
            created_at_ms: self.created_at_ms,
            created_by: self.created_by.clone(),
            azure: self.azure().map(|a| AzureConnectionView {
                client_id: a.client_id.clone(),
                tenant_id: a.tenant_id.clone(),
                vault_uri: a.vault_uri.clone(),
                key_name: a.key_name.clone(),
                kid: a.wrapped.kid().clone(),
                key_size_bits: a.key_size_bits,
                client_secret: if a.sealed_client_secret.is_empty() {
                    SecretState::NotSet
                } else {
                    SecretState::Set
                },
                client_secret_updated_at_ms: a.secret_updated_at_ms,
                role_commands: super::views::role_commands(&a.vault_uri, &a.key_name, &a.client_id),
            }),
            item_count: self.item_count,
            health: self.azure().map(|_| Box::new(self.health.clone())),
        }
    }
}

impl Workspace {
    /// The vaults, oldest first.
    #[must_use]
    pub fn vaults(&self) -> &[Vault] {
        &self.vaults
    }

    /// The default vault, if any.
    #[must_use]
    pub fn default_vault(&self) -> Option<&VaultId> {
        self.default_vault.as_ref()
    }

    /// One vault.
    ///
    /// # Errors
    /// [`CatalogError::NotFound`] when the workspace has no such vault.
    pub fn vault(&self, id: &VaultId) -> Result<&Vault, CatalogError> {
        self.vaults
            .iter()
            .find(|v| &v.id == id)
            .ok_or_else(|| CatalogError::NotFound {
                what: "The vault".into(),
            })
    }

    fn vault_mut(&mut self, id: &VaultId) -> Result<&mut Vault, CatalogError> {
        self.vaults
            .iter_mut()
            .find(|v| &v.id == id)
            .ok_or_else(|| CatalogError::NotFound {
                what: "The vault".into(),
            })
    }

    /// One row of the vault table.
    ///
    /// # Errors
    /// [`CatalogError::NotFound`] when the workspace has no such vault.
    pub fn summary(&self, id: &VaultId) -> Result<VaultSummary, CatalogError> {
        let vault = self.vault(id)?;
        Ok(vault.summary(self.default_vault.as_ref() == Some(id)))
    }

    /// The vault table.
    #[must_use]
    pub fn list(&self, workspace: &WorkspaceId) -> VaultList {
        VaultList {
            workspace_id: workspace.as_str().to_owned(),
            vaults: self
                .vaults
                .iter()
                .map(|v| v.summary(self.default_vault.as_ref() == Some(&v.id)))
                .collect(),
        }
    }

    /// When the alarm is next needed: the earliest health check due among
    /// the Azure External Keys vaults, or a webhook (re)send (`None`
    /// without either). The workspace object sets its alarm to it.
    #[must_use]
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.vaults
            .iter()
            .filter(|v| v.azure().is_some())
            .map(|v| v.health.next_check_ms)
            .chain(self.outbox.next_deadline_ms())
            .min()
    }

    /// The webhooks the workspace still owes the host.
    #[must_use]
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The model with its stored outbox.
    #[must_use]
    pub fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.outbox = outbox;
        self
    }

    /// Refuses a second vault of the same provider, a duplicate name, or too
    /// many vaults.
    fn admits(&self, strategy: VaultStrategy, name: &VaultName) -> Result<(), CatalogError> {
        if self.vaults.iter().any(|v| v.strategy() == strategy) {
            return Err(strategy.already_exists());
        }
        if self.vaults.iter().any(|v| v.name.same_as(name)) {
            return Err(CatalogError::Conflict {
                reason: format!(
                    "This workspace already has a vault named \"{}\"",
                    name.as_str()
                ),
            });
        }
        if self.vaults.len() >= MAX_VAULTS {
            return Err(CatalogError::Conflict {
                reason: "This workspace has the most vaults it can hold".into(),
            });
        }
        Ok(())
    }
}

// ---- storage shape ----------------------------------------------------------

/// A vault as stored (one storage value per vault): the shape vault records
/// have always had, so records written before the model read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultRecord {
    id: VaultId,
    name: String,
    strategy: VaultStrategy,
    created_at_ms: u64,
    created_by: String,
    /// The vault key wrapped by the Azure key, or sealed by the platform key.
    #[serde(with = "base64_bytes")]
    wrapped_vault_key: Vec<u8>,
    azure: Option<AzureRecord>,
    key_status: KeyStatus,
    /// Missing in records written before the model counted items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item_count: Option<u64>,
    /// The health monitor's view (Azure vaults; missing in records written
    /// before the monitor: the first check is then due at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    health: Option<VaultHealth>,
}

/// The Azure connection as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AzureRecord {
    client_id: ClientId,
    tenant_id: TenantId,
    vault_uri: VaultUri,
    key_name: KeyName,
    kid: KeyId,
    key_size_bits: u32,
    #[serde(with = "base64_bytes")]
    sealed_client_secret: Vec<u8>,
    secret_updated_at_ms: u64,
}

/// A stored record that does not make a vault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored vault record {0} is inconsistent")]
pub struct CorruptRecord(pub String);

impl VaultRecord {
    /// The vault's id.
    #[must_use]
    pub fn id(&self) -> &VaultId {
        &self.id
    }

    /// Whether the record predates item counts (the edge counts its items
    /// once, then [`VaultRecord::with_item_count`]).
    #[must_use]
    pub fn lacks_item_count(&self) -> bool {
        self.item_count.is_none()
    }

    /// The record with its item count.
    #[must_use]
    pub fn with_item_count(mut self, count: u64) -> Self {
        self.item_count = Some(count);
        self
    }
}

impl From<&Vault> for VaultRecord {
    fn from(v: &Vault) -> Self {
        let (wrapped_vault_key, azure) = match &v.protection {
            Protection::Platform { sealed_vault_key } => (sealed_vault_key.clone(), None),
            Protection::Azure(a) => (
                a.wrapped.wrapped().to_vec(),
                Some(AzureRecord {
                    client_id: a.client_id.clone(),
                    tenant_id: a.tenant_id.clone(),
                    vault_uri: a.vault_uri.clone(),
                    key_name: a.key_name.clone(),
                    kid: a.wrapped.kid().clone(),
                    key_size_bits: a.key_size_bits,
                    sealed_client_secret: a.sealed_client_secret.clone(),
                    secret_updated_at_ms: a.secret_updated_at_ms,
                }),
            ),
        };
        Self {
            id: v.id.clone(),
            name: v.name.as_str().to_owned(),
            strategy: v.strategy(),
            created_at_ms: v.created_at_ms,
            created_by: v.created_by.clone(),
            wrapped_vault_key,
            azure,
            key_status: v.key_status.clone(),
            item_count: Some(v.item_count),
            health: v.azure().map(|_| v.health.clone()),
        }
    }
}

impl TryFrom<VaultRecord> for Vault {
    type Error = CorruptRecord;
    fn try_from(r: VaultRecord) -> Result<Self, Self::Error> {
        let corrupt = || CorruptRecord(r.id.as_str().to_owned());
        let name = VaultName::new(&r.name).map_err(|_| corrupt())?;
        let item_count = r.item_count.ok_or_else(corrupt)?;
        let protection = match (r.strategy, r.azure) {
            (VaultStrategy::Cloud, None) => Protection::Platform {
                sealed_vault_key: r.wrapped_vault_key,
            },
            (VaultStrategy::AzureExternalKeys, Some(a)) => Protection::Azure(AzureKey {
                wrapped: WrappedVaultKey::stored(a.kid, r.wrapped_vault_key).ok_or_else(corrupt)?,
                client_id: a.client_id,
                tenant_id: a.tenant_id,
                vault_uri: a.vault_uri,
                key_name: a.key_name,
                key_size_bits: a.key_size_bits,
                sealed_client_secret: a.sealed_client_secret,
                secret_updated_at_ms: a.secret_updated_at_ms,
            }),
            _ => return Err(corrupt()),
        };
        Ok(Self {
            id: r.id,
            name,
            created_at_ms: r.created_at_ms,
            created_by: r.created_by,
            protection,
            key_status: r.key_status,
            item_count,
            health: r.health.unwrap_or_default(),
        })
    }
}

impl Workspace {
    /// The model from its stored records (each with its item count) and the
    /// stored default; vaults oldest first.
    ///
    /// # Errors
    /// [`CorruptRecord`] for a record that does not make a vault.
    pub fn restore(
        records: Vec<VaultRecord>,
        default_vault: Option<VaultId>,
    ) -> Result<Self, CorruptRecord> {
        let mut vaults = records
            .into_iter()
            .map(Vault::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        vaults.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then(a.id.cmp(&b.id)));
        let default_vault = default_vault.filter(|d| vaults.iter().any(|v| &v.id == d));
        Ok(Self {
            vaults,
            default_vault,
            outbox: Outbox::default(),
        })
    }

    /// The records to store: every vault that differs from `before` (all of
    /// them when there is no `before`).
    #[must_use]
    pub fn changed_records(&self, before: Option<&Self>) -> Vec<VaultRecord> {
        self.vaults
            .iter()
            .filter(|v| before.is_none_or(|b| b.vault(&v.id).ok() != Some(*v)))
            .map(VaultRecord::from)
            .collect()
    }
}

// ---- events, effects --------------------------------------------------------

/// What `update` needs besides the model and the event.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The workspace (one model per workspace).
    pub workspace: WorkspaceId,
    /// Now, in Unix milliseconds.
    pub now_ms: u64,
    /// 128 fresh random bits (new vault and item ids).
    pub fresh: [u8; 16],
    /// Time between two health checks of a vault, milliseconds
    /// (`HEALTH_CHECK_INTERVAL_SECONDS`).
    pub health_interval_ms: u64,
    /// Webhooks to the host (`WEBHOOK_URL` set: on).
    pub notify: NotifyPolicy,
}

impl Ctx {
    fn now_secs(&self) -> i64 {
        i64::try_from(self.now_ms / 1000).unwrap_or(i64::MAX)
    }
}

/// A request, or the answer to an effect.
#[derive(Debug)]
pub enum Event {
    /// **Create new vault**.
    Create {
        /// Who asks.
        actor: Actor,
        /// The parsed form.
        vault: CreateVault,
    },
    /// Make a vault the (only) default vault.
    SetDefault {
        /// Who asks.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
    },
    /// Test a vault's stored connection again.
    Test {
        /// Who asks.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
    },
    /// Replace an Azure vault's client secret (tested before it is stored).
    ReplaceSecret {
        /// Who asks.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// The new secret.
        secret: ClientSecret,
    },
    /// Store an item.
    CreateItem {
        /// Who asks.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// The parsed item.
        content: ItemContent,
    },
    /// Read (decrypt) an item.
    ReadItem {
        /// Who asks.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// Which item.
        item: ItemId,
    },
    /// The workspace object's alarm: run the most overdue health check and
    /// (re)send the webhooks that are due.
    Tick,
    /// The host answered the webhook send `attempt` (`Ok`: a 2xx status).
    WebhookAnswered {
        /// The send's attempt number.
        attempt: u32,
        /// The status, or why it failed.
        result: Result<u16, Failure>,
    },
    /// The result of an effect, with the operation it belongs to.
    Answered {
        /// The operation in flight.
        op: Box<Op>,
        /// What the edge got, or the catalog error it met (an internal
        /// failure is [`CatalogError::Internal`]; its cause is logged by the
        /// edge).
        answer: Result<Answer, CatalogError>,
    },
}

/// What an effect produced.
#[derive(Debug)]
pub enum Answer {
    /// A token was issued for the operation's service principal (the edge
    /// keeps it for the operation's Key Vault calls).
    Token,
    /// `GET /keys/{name}`.
    Key(Box<KeyBundle>),
    /// `wrapKey`: the versioned kid Key Vault used and the wrapped bytes.
    Wrapped {
        /// The kid Key Vault reported.
        kid: KeyId,
        /// The wrapped value.
        wrapped: Vec<u8>,
    },
    /// `unwrapKey`.
    Unwrapped(Unwrapped),
    /// A fresh vault key.
    NewVaultKey(VaultKey),
    /// Something sealed by the platform key.
    Sealed(Vec<u8>),
    /// A stored item, if there is one.
    ItemLoaded(Option<StoredItem>),
    /// An item's content sealed under a new data key.
    ItemSealed {
        /// The data key sealed by the vault key.
        wrapped_data_key: Vec<u8>,
        /// The content sealed by the data key.
        content: Vec<u8>,
    },
    /// An item's content, opened.
    ItemOpened(ItemContent),
}

/// The credentials of a customer's service principal for its vault.
#[derive(Debug)]
pub struct ServicePrincipal {
    /// Directory (tenant) ID.
    pub tenant_id: TenantId,
    /// Application (client) ID.
    pub client_id: ClientId,
    /// The vault the token is for (its data-plane scope).
    pub vault_uri: VaultUri,
    /// The client secret.
    pub secret: SecretSource,
}

/// Where a client secret comes from.
#[derive(Debug)]
pub enum SecretSource {
    /// Typed just now (create, replace).
    Typed(ClientSecret),
    /// Stored, sealed by the platform key for `vault`.
    Sealed {
        /// The vault the secret is bound to.
        vault: VaultId,
        /// The sealed secret.
        sealed: Vec<u8>,
    },
}

/// Something to seal with the platform key, bound to a vault.
#[derive(Debug)]
pub enum Sealable {
    /// A cloud vault's vault key.
    VaultKey(VaultKey),
    /// An Azure vault's client secret.
    ClientSecret(ClientSecret),
}

/// Which vault key protects an item's data key.
#[derive(Debug)]
pub enum KeyRef {
    /// Unwrapped by the Azure key just now.
    Unwrapped(VaultKey),
    /// Sealed by the platform key (a cloud vault).
    Platform {
        /// The sealed vault key.
        sealed: Vec<u8>,
    },
}

/// What the edge carries out.
#[derive(Debug)]
pub enum Effect {
    /// A client-credentials token for `principal` (Microsoft Entra).
    Token {
        /// Whose token.
        principal: ServicePrincipal,
        /// The operation.
        op: Op,
    },
    /// `GET` the key: its current version when `key` is versionless, else
    /// exactly the version it names.
    GetKey {
        /// The key.
        key: KeyId,
        /// The operation.
        op: Op,
    },
    /// `wrapKey` `vault_key` with the versionless `key`.
    Wrap {
        /// The key.
        key: KeyId,
        /// What to wrap.
        vault_key: VaultKey,
        /// The operation.
        op: Op,
    },
    /// `unwrapKey` with exactly the recorded kid.
    Unwrap {
        /// The wrapped vault key and its kid.
        wrapped: WrappedVaultKey,
        /// The operation.
        op: Op,
    },
    /// A fresh 256-bit vault key.
    NewVaultKey {
        /// The operation.
        op: Op,
    },
    /// Seal with the platform key, bound to workspace and `vault`.
    Seal {
        /// The vault it belongs to.
        vault: VaultId,
        /// What to seal.
        what: Sealable,
        /// The operation.
        op: Op,
    },
    /// Read a stored item.
    LoadItem {
        /// The vault.
        vault: VaultId,
        /// The item.
        item: ItemId,
        /// The operation.
        op: Op,
    },
    /// Seal `content` under a new data key sealed by `key`.
    SealItem {
        /// The vault key.
        key: KeyRef,
        /// The vault.
        vault: VaultId,
        /// The item's id.
        item: ItemId,
        /// What to seal.
        content: ItemContent,
        /// The operation.
        op: Op,
    },
    /// Open a stored item with `key`.
    OpenItem {
        /// The vault key.
        key: KeyRef,
        /// The item.
        item: StoredItem,
        /// The operation.
        op: Op,
    },
    /// Store an item, with the model and the audit event of this step.
    PutItem(StoredItem),
    /// Append to the audit trail, with the model of this step.
    Audit(VaultAuditEvent),
    /// Send a signed webhook to the host; answered by
    /// [`Event::WebhookAnswered`].
    Webhook(Send),
    /// Answer the request.
    Reply(Reply),
}

/// The answer to a request.
#[derive(Debug)]
pub enum Reply {
    /// A vault (created, tested, changed).
    Vault(Box<VaultSummary>),
    /// An item was stored.
    ItemStored(ItemSummary),
    /// An item, decrypted.
    Item(Item),
    /// The operation failed or was refused (and was audited).
    Failed(CatalogError),
}

/// An operation in flight: who asked, about which vault, and where it is.
#[derive(Debug)]
pub struct Op {
    actor: Actor,
    vault: VaultId,
    task: Task,
}

impl Op {
    /// The vault the operation is about.
    #[must_use]
    pub fn vault(&self) -> &VaultId {
        &self.vault
    }
}

#[derive(Debug)]
enum Task {
    Create {
        new: NewVault,
        step: CreateStep,
    },
    Test(CheckStep),
    ReplaceSecret {
        secret: ClientSecret,
        step: CheckStep,
    },
    LoadItem(ItemId),
    Item {
        job: ItemJob,
        step: ItemStep,
    },
    Health(HealthStep),
}

/// Where a health check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HealthStep {
    Token,
    GetKey,
    Unwrap,
}

/// The vault a create will add.
#[derive(Debug, Clone)]
struct NewVault {
    name: VaultName,
    is_default: bool,
}

#[derive(Debug)]
enum CreateStep {
    CloudKey,
    CloudSeal,
    AzureToken(AzureConnection),
    AzureGetKey(AzureConnection),
    AzureNewKey(AzureConnection, u32),
    AzureWrap(AzureConnection, u32, VaultKey),
    AzureProof(AzureConnection, u32, VaultKey, WrappedVaultKey),
    AzureSealSecret(AzureConnection, u32, WrappedVaultKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckStep {
    Token,
    GetKey,
    Unwrap,
    SealSecret,
}

#[derive(Debug)]
enum ItemJob {
    Store { item: ItemId, content: ItemContent },
    Read { stored: StoredItem },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemStep {
    Token,
    Unwrap,
    Crypt,
}

impl ItemJob {
    fn action(&self) -> AuditAction {
        match self {
            Self::Store { .. } => AuditAction::ItemCreated,
            Self::Read { .. } => AuditAction::ItemRead,
        }
    }

    /// The audit detail of a failure: the item read names the item too.
    fn failure_detail(&self, e: &CatalogError) -> String {
        match self {
            Self::Store { .. } => e.code().to_owned(),
            Self::Read { stored } => format!("{}: {}", stored.id, e.code()),
        }
    }
}

// ---- update -------------------------------------------------------------------

type Step = Result<(Workspace, Vec<Effect>), CatalogError>;

/// Decides what `event` does to `model`: the next model and what to carry
/// out.
///
/// # Errors
/// A refusal that changes nothing and is not audited: an unknown vault or
/// item, or an answer to a question that was not asked.
pub fn update(model: &Workspace, event: Event, ctx: &Ctx) -> Step {
    match event {
        Event::Create { actor, vault } => create(model, actor, vault, ctx),
        Event::SetDefault { actor, vault } => {
            model.vault(&vault)?;
            let mut next = model.clone();
            next.default_vault = Some(vault.clone());
            let reply = Reply::Vault(Box::new(next.summary(&vault)?));
            Ok((
                next,
                vec![
                    audit(
                        &actor,
                        AuditAction::DefaultVaultSet,
                        Some(&vault),
                        Outcome::Succeeded,
                        None,
                        ctx,
                    ),
                    Effect::Reply(reply),
                ],
            ))
        }
        Event::Test { actor, vault } => {
            let found = model.vault(&vault)?;
            let Some(azure) = found.azure() else {
                // A cloud vault's key is the platform's: nothing to test.
                let reply = Reply::Vault(Box::new(model.summary(&vault)?));
                return Ok((
                    model.clone(),
                    vec![
                        audit(
                            &actor,
                            AuditAction::ConnectionTested,
                            Some(&vault),
                            Outcome::Succeeded,
                            None,
                            ctx,
                        ),
                        Effect::Reply(reply),
                    ],
                ));
            };
            let principal = azure.principal(&vault);
            let op = Op {
                actor,
                vault,
                task: Task::Test(CheckStep::Token),
            };
            Ok((model.clone(), vec![Effect::Token { principal, op }]))
        }
        Event::ReplaceSecret {
            actor,
            vault,
            secret,
        } => {
            let found = model.vault(&vault)?;
            let Some(azure) = found.azure() else {
                let e = CatalogError::Conflict {
                    reason: "Only an Azure External Keys vault has a client secret".into(),
                };
                return Ok(failed(
                    model.clone(),
                    &actor,
                    AuditAction::ClientSecretReplaced,
                    Some(&vault),
                    e.code().to_owned(),
                    e,
                    ctx,
                ));
            };
            let principal = azure.principal_with(&secret);
            let op = Op {
                actor,
                vault,
                task: Task::ReplaceSecret {
                    secret,
                    step: CheckStep::Token,
                },
            };
            Ok((model.clone(), vec![Effect::Token { principal, op }]))
        }
        Event::CreateItem {
            actor,
            vault,
            content,
        } => {
            let found = model.vault(&vault)?;
            let job = ItemJob::Store {
                item: ItemId::from_random(ctx.fresh),
                content,
            };
            Ok((model.clone(), vec![unlock(found, actor, job)]))
        }
        Event::ReadItem { actor, vault, item } => {
            model.vault(&vault)?;
            let op = Op {
                actor,
                vault: vault.clone(),
                task: Task::LoadItem(item.clone()),
            };
            Ok((model.clone(), vec![Effect::LoadItem { vault, item, op }]))
        }
        Event::Tick => tick(model, ctx),
        Event::WebhookAnswered { attempt, result } => webhook_answered(model, attempt, result, ctx),
        Event::Answered { op, answer } => answered(model, *op, answer, ctx),
    }
}

/// An answer to a question that was not asked.
fn unasked() -> CatalogError {
    CatalogError::Internal
}

fn unexpected() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
}

fn audit(
    actor: &Actor,
    action: AuditAction,
    vault: Option<&VaultId>,
    outcome: Outcome,
    detail: Option<String>,
    ctx: &Ctx,
) -> Effect {
    Effect::Audit(VaultAuditEvent {
        seq: 0,
        at_ms: ctx.now_ms,
        actor: actor.sub.clone(),
        actor_name: actor.name.clone(),
        actor_role: actor.role,
        action,
        vault_id: vault.map(|v| v.as_str().to_owned()),
        outcome,
        detail,
        request_id: None,
    })
}

/// Ends an operation that failed: audited as failed, answered with `e`.
fn failed(
    model: Workspace,
    actor: &Actor,
    action: AuditAction,
    vault: Option<&VaultId>,
    detail: String,
    e: CatalogError,
    ctx: &Ctx,
) -> (Workspace, Vec<Effect>) {
    (
        model,
        vec![
            audit(actor, action, vault, Outcome::Failed, Some(detail), ctx),
            Effect::Reply(Reply::Failed(e)),
        ],
    )
}

fn status(state: KeyState, error: Option<crate::ErrorBody>, ctx: &Ctx) -> KeyStatus {
    KeyStatus {
        state,
        checked_at_ms: ctx.now_ms,
        error,
    }
}

fn create(model: &Workspace, actor: Actor, form: CreateVault, ctx: &Ctx) -> Step {
    if let Err(e) = model.admits(form.strategy(), &form.name) {
        return Ok(failed(
            model.clone(),
            &actor,
            AuditAction::VaultCreate,
            None,
            e.code().to_owned(),
            e,
            ctx,
        ));
    }
    let vault = VaultId::from_random(ctx.fresh);
    let (step, effect): (CreateStep, fn(Op) -> Effect) = match form.protection {
        NewProtection::Cloud => (CreateStep::CloudKey, |op| Effect::NewVaultKey { op }),
        NewProtection::Azure(conn) => {
            let principal = ServicePrincipal {
                tenant_id: conn.tenant_id.clone(),
                client_id: conn.client_id.clone(),
                vault_uri: conn.vault_uri.clone(),
                secret: SecretSource::Typed(conn.client_secret.duplicate()),
            };
            let op = Op {
                actor,
                vault,
                task: Task::Create {
                    new: NewVault {
                        name: form.name,
                        is_default: form.is_default,
                    },
                    step: CreateStep::AzureToken(conn),
                },
            };
            return Ok((model.clone(), vec![Effect::Token { principal, op }]));
        }
    };
    let op = Op {
        actor,
        vault,
        task: Task::Create {
            new: NewVault {
                name: form.name,
                is_default: form.is_default,
            },
            step,
        },
    };
    Ok((model.clone(), vec![effect(op)]))
}

/// The first effect of an item operation: the vault key, unwrapped by the
/// Azure key (a token first), or sealed by the platform key.
fn unlock(vault: &Vault, actor: Actor, job: ItemJob) -> Effect {
    match &vault.protection {
        Protection::Azure(azure) => Effect::Token {
            principal: azure.principal(&vault.id),
            op: Op {
                actor,
                vault: vault.id.clone(),
                task: Task::Item {
                    job,
                    step: ItemStep::Token,
                },
            },
        },
        Protection::Platform { sealed_vault_key } => crypt(
            KeyRef::Platform {
                sealed: sealed_vault_key.clone(),
            },
            Op {
                actor,
                vault: vault.id.clone(),
                task: Task::Item {
                    job,
                    step: ItemStep::Crypt,
                },
            },
        ),
    }
}

/// Seal or open the item of `op` with `key`.
fn crypt(key: KeyRef, op: Op) -> Effect {
    let Task::Item { job, .. } = &op.task else {
        return Effect::Reply(Reply::Failed(unasked()));
    };
    match job {
        ItemJob::Store { item, content } => Effect::SealItem {
            key,
            vault: op.vault.clone(),
            item: item.clone(),
            content: content.clone(),
            op,
        },
        ItemJob::Read { stored } => Effect::OpenItem {
            key,
            item: stored.clone(),
            op,
        },
    }
}

fn answered(model: &Workspace, op: Op, answer: Result<Answer, CatalogError>, ctx: &Ctx) -> Step {
    let Op { actor, vault, task } = op;
    match task {
        Task::Create { new, step } => creating(model, actor, vault, new, step, answer, ctx),
        Task::Test(step) => checking(model, actor, vault, None, step, answer, ctx),
        Task::ReplaceSecret { secret, step } => {
            checking(model, actor, vault, Some(secret), step, answer, ctx)
        }
        Task::LoadItem(item) => match answer? {
            Answer::ItemLoaded(Some(stored)) if stored.vault_id == vault && stored.id == item => {
                let found = model.vault(&vault)?;
                Ok((
                    model.clone(),
                    vec![unlock(found, actor, ItemJob::Read { stored })],
                ))
            }
            Answer::ItemLoaded(_) => Err(CatalogError::NotFound {
                what: "The item".into(),
            }),
            _ => Err(unasked()),
        },
        Task::Item { job, step } => item_step(model, actor, vault, job, step, answer, ctx),
        Task::Health(step) => health_step(model, vault, step, answer, ctx),
    }
}

fn creating(
    model: &Workspace,
    actor: Actor,
    vault: VaultId,
    new: NewVault,
    step: CreateStep,
    answer: Result<Answer, CatalogError>,
    ctx: &Ctx,
) -> Step {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return Ok(failed(
                model.clone(),
                &actor,
                AuditAction::VaultCreate,
                None,
                e.code().to_owned(),
                e,
                ctx,
            ));
        }
    };
    let next = |step: CreateStep| Op {
        actor: actor.clone(),
        vault: vault.clone(),
        task: Task::Create {
            new: new.clone(),
            step,
        },
    };
    let fail = |e: CatalogError| {
        Ok(failed(
            model.clone(),
            &actor,
            AuditAction::VaultCreate,
            None,
            e.code().to_owned(),
            e,
            ctx,
        ))
    };
    let effect = match (step, answer) {
        (CreateStep::CloudKey, Answer::NewVaultKey(key)) => Effect::Seal {
            vault: vault.clone(),
            what: Sealable::VaultKey(key),
            op: next(CreateStep::CloudSeal),
        },
        (CreateStep::CloudSeal, Answer::Sealed(sealed)) => {
            let protection = Protection::Platform {
                sealed_vault_key: sealed,
            };
            let key_status = status(KeyState::PlatformManaged, None, ctx);
            return add_vault(model, &actor, vault, new, protection, key_status, ctx);
        }
        (CreateStep::AzureToken(conn), Answer::Token) => Effect::GetKey {
            key: conn.key(),
            op: next(CreateStep::AzureGetKey(conn)),
        },
        (CreateStep::AzureGetKey(conn), Answer::Key(bundle)) => {
            match check_key(&bundle, KeyPolicy::VaultManagement, ctx.now_secs()) {
                Ok(summary) => Effect::NewVaultKey {
                    op: next(CreateStep::AzureNewKey(conn, summary.size_bits)),
                },
                Err(e) => return fail(e),
            }
        }
        (CreateStep::AzureNewKey(conn, size), Answer::NewVaultKey(key)) => Effect::Wrap {
            key: conn.key(),
            vault_key: key.clone(),
            op: next(CreateStep::AzureWrap(conn, size, key)),
        },
        (CreateStep::AzureWrap(conn, size, key), Answer::Wrapped { kid, wrapped }) => {
            let Some(wrapped) = WrappedVaultKey::from_answer(&conn.key(), kid, wrapped) else {
                return fail(unexpected());
            };
            Effect::Unwrap {
                wrapped: wrapped.clone(),
                op: next(CreateStep::AzureProof(conn, size, key, wrapped)),
            }
        }
        (CreateStep::AzureProof(conn, size, key, wrapped), Answer::Unwrapped(back)) => {
            // The proof: what Key Vault unwraps with the recorded kid is the
            // vault key it wrapped.
            if VaultKey::from_bytes(&back.0).as_ref() != Some(&key) {
                return fail(unexpected());
            }
            Effect::Seal {
                vault: vault.clone(),
                what: Sealable::ClientSecret(conn.client_secret.duplicate()),
                op: next(CreateStep::AzureSealSecret(conn, size, wrapped)),
            }
        }
        (CreateStep::AzureSealSecret(conn, size, wrapped), Answer::Sealed(sealed)) => {
            let protection = Protection::Azure(AzureKey {
                client_id: conn.client_id,
                tenant_id: conn.tenant_id,
                vault_uri: conn.vault_uri,
                key_name: conn.key_name,
                wrapped,
                key_size_bits: size,
                sealed_client_secret: sealed,
                secret_updated_at_ms: ctx.now_ms,
            });
            let key_status = status(KeyState::Available, None, ctx);
            return add_vault(model, &actor, vault, new, protection, key_status, ctx);
        }
        _ => return Err(unasked()),
    };
    Ok((model.clone(), vec![effect]))
}

/// The last step of a create: the rules again on the current model (other
/// requests may have run while Azure answered), then the vault, the default
/// and the audit event together.
fn add_vault(
    model: &Workspace,
    actor: &Actor,
    vault: VaultId,
    new: NewVault,
    protection: Protection,
    key_status: KeyStatus,
    ctx: &Ctx,
) -> Step {
    let is_default = new.is_default;
    // The create's wrap/unwrap proof is the first check of an Azure vault;
    // a platform vault has no monitor.
    let health = match protection {
        Protection::Azure(_) => VaultHealth::proven_at(ctx.now_ms, ctx.health_interval_ms),
        Protection::Platform { .. } => VaultHealth::default(),
    };
    let new = Vault {
        id: vault.clone(),
        name: new.name,
        created_at_ms: ctx.now_ms,
        created_by: actor.name.clone(),
        protection,
        key_status,
        item_count: 0,
        health,
    };
    if let Err(e) = model.admits(new.strategy(), &new.name) {
        return Ok(failed(
            model.clone(),
            actor,
            AuditAction::VaultCreate,
            None,
            e.code().to_owned(),
            e,
            ctx,
        ));
    }
    let detail = match new.azure() {
        Some(a) => format!(
            "{}; wrapped with {}",
            new.strategy().as_str(),
            a.wrapped.kid()
        ),
        None => new.strategy().as_str().to_owned(),
    };
    let mut next = model.clone();
    let has_default = next.default_vault.is_some();
    next.vaults.push(new);
    if is_default || !has_default {
        next.default_vault = Some(vault.clone());
    }
    let reply = Reply::Vault(Box::new(next.summary(&vault)?));
    Ok((
        next,
        vec![
            audit(
                actor,
                AuditAction::VaultCreated,
                Some(&vault),
                Outcome::Succeeded,
                Some(detail),
                ctx,
            ),
            Effect::Reply(reply),
        ],
    ))
}

fn check_op(actor: &Actor, vault: &VaultId, secret: Option<&ClientSecret>, step: CheckStep) -> Op {
    Op {
        actor: actor.clone(),
        vault: vault.clone(),
        task: match secret {
            None => Task::Test(step),
            Some(secret) => Task::ReplaceSecret {
                secret: secret.duplicate(),
                step,
            },
        },
    }
}

/// Test Connection and Replace secret: token, GET key (still RSA 4096),
/// unwrap of the stored vault key with its kid; a new secret is then sealed
/// and stored. A failed test marks the key unreachable (why, in its status);
/// a failed replacement changes nothing.
fn checking(
    model: &Workspace,
    actor: Actor,
    vault: VaultId,
    secret: Option<ClientSecret>,
    step: CheckStep,
    answer: Result<Answer, CatalogError>,
    ctx: &Ctx,
) -> Step {
    let found = model.vault(&vault)?;
    let azure = found.azure().ok_or_else(unasked)?;
    let action = if secret.is_some() {
        AuditAction::ClientSecretReplaced
    } else {
        AuditAction::ConnectionTested
    };
    let on_failure = |e: CatalogError| -> Step {
        let mut next = model.clone();
        if secret.is_none() && e != CatalogError::Internal {
            let found = next.vault_mut(&vault)?;
            found.key_status = status(KeyState::Unreachable, Some(e.body()), ctx);
            // The monitor confirms (and audits) at once.
            found.health.next_check_ms = ctx.now_ms;
        }
        Ok(failed(
            next,
            &actor,
            action,
            Some(&vault),
            e.code().to_owned(),
            e,
            ctx,
        ))
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return on_failure(e),
    };
    let effect = match (step, answer) {
        (CheckStep::Token, Answer::Token) => Effect::GetKey {
            key: azure.wrapped.kid().versionless(),
            op: check_op(&actor, &vault, secret.as_ref(), CheckStep::GetKey),
        },
        (CheckStep::GetKey, Answer::Key(bundle)) => {
            if let Err(e) = check_key(&bundle, KeyPolicy::VaultManagement, ctx.now_secs()) {
                return on_failure(e);
            }
            Effect::Unwrap {
                wrapped: azure.wrapped.clone(),
                op: check_op(&actor, &vault, secret.as_ref(), CheckStep::Unwrap),
            }
        }
        (CheckStep::Unwrap, Answer::Unwrapped(back)) => {
            if VaultKey::from_bytes(&back.0).is_none() {
                return on_failure(unexpected());
            }
            match &secret {
                Some(secret) => Effect::Seal {
                    vault: vault.clone(),
                    what: Sealable::ClientSecret(secret.duplicate()),
                    op: check_op(&actor, &vault, Some(secret), CheckStep::SealSecret),
                },
                None => return checked(model, &actor, &vault, action, None, None, ctx),
            }
        }
        (CheckStep::SealSecret, Answer::Sealed(sealed)) if secret.is_some() => {
            return checked(
                model,
                &actor,
                &vault,
                action,
                Some(sealed),
                Some("connection re-tested".into()),
                ctx,
            );
        }
        _ => return Err(unasked()),
    };
    Ok((model.clone(), vec![effect]))
}

/// A passed check: the key is available (and a new secret is stored).
fn checked(
    model: &Workspace,
    actor: &Actor,
    vault: &VaultId,
    action: AuditAction,
    sealed_secret: Option<Vec<u8>>,
    detail: Option<String>,
    ctx: &Ctx,
) -> Step {
    let mut next = model.clone();
    let found = next.vault_mut(vault)?;
    found.key_status = status(KeyState::Available, None, ctx);
    if found.health.state != HealthState::Healthy {
        // A fixed access shows healthy without waiting: the monitor checks
        // (and audits the recovery) at once.
        found.health.next_check_ms = ctx.now_ms;
    }
    if let (Some(sealed), Protection::Azure(azure)) = (sealed_secret, &mut found.protection) {
        azure.sealed_client_secret = sealed;
        azure.secret_updated_at_ms = ctx.now_ms;
    }
    let reply = Reply::Vault(Box::new(next.summary(vault)?));
    Ok((
        next,
        vec![
            audit(actor, action, Some(vault), Outcome::Succeeded, detail, ctx),
            Effect::Reply(reply),
        ],
    ))
}

/// Storing or reading an item: for an Azure vault a token and an unwrap of
/// the vault key first (every time: it is never cached); a failure there
/// marks the key unreachable and says why.
fn item_step(
    model: &Workspace,
    actor: Actor,
    vault: VaultId,
    job: ItemJob,
    step: ItemStep,
    answer: Result<Answer, CatalogError>,
    ctx: &Ctx,
) -> Step {
    let found = model.vault(&vault)?;
    let action = job.action();
    let answer = match (answer, found.azure()) {
        (Ok(a), _) => a,
        (Err(e), Some(azure)) if step != ItemStep::Crypt && e != CatalogError::Internal => {
            let e = CatalogError::VaultKeyUnreachable {
                cause: Box::new(e),
                kid: azure.wrapped.kid().clone(),
                client_id: azure.client_id.clone(),
            };
            let mut next = model.clone();
            let found = next.vault_mut(&vault)?;
            found.key_status = status(KeyState::Unreachable, Some(e.body()), ctx);
            if matches!(
                found.health.state,
                HealthState::Healthy | HealthState::Unknown
            ) {
                // News to the monitor: it checks (and audits) at once.
                found.health.next_check_ms = ctx.now_ms;
            }
            let detail = job.failure_detail(&e);
            return Ok(failed(next, &actor, action, Some(&vault), detail, e, ctx));
        }
        (Err(e), _) => {
            let detail = job.failure_detail(&e);
            return Ok(failed(
                model.clone(),
                &actor,
                action,
                Some(&vault),
                detail,
                e,
                ctx,
            ));
        }
    };
    let op = |job: ItemJob, step: ItemStep| Op {
        actor: actor.clone(),
        vault: vault.clone(),
        task: Task::Item { job, step },
    };
    match (step, answer, found.azure()) {
        (ItemStep::Token, Answer::Token, Some(azure)) => Ok((
            model.clone(),
            vec![Effect::Unwrap {
                wrapped: azure.wrapped.clone(),
                op: op(job, ItemStep::Unwrap),
            }],
        )),
        (ItemStep::Unwrap, Answer::Unwrapped(back), Some(_)) => {
            let Some(key) = VaultKey::from_bytes(&back.0) else {
                let e = CatalogError::Internal;
                let detail = job.failure_detail(&e);
                return Ok(failed(
                    model.clone(),
                    &actor,
                    action,
                    Some(&vault),
                    detail,
                    e,
                    ctx,
                ));
            };
            let mut next = model.clone();
            let found = next.vault_mut(&vault)?;
            found.key_status = status(KeyState::Available, None, ctx);
            if found.health.state != HealthState::Healthy {
                found.health.next_check_ms = ctx.now_ms;
            }
            Ok((
                next,
                vec![crypt(KeyRef::Unwrapped(key), op(job, ItemStep::Crypt))],
            ))
        }
        (
            ItemStep::Crypt,
            Answer::ItemSealed {
                wrapped_data_key,
                content: sealed,
            },
            _,
        ) => {
            let ItemJob::Store { item, content } = job else {
                return Err(unasked());
            };
            let stored = StoredItem {
                id: item.clone(),
                vault_id: vault.clone(),
                kind: content.kind(),
                created_at_ms: ctx.now_ms,
                created_by: actor.name.clone(),
                wrapped_data_key,
                content: sealed,
            };
            let mut next = model.clone();
            next.vault_mut(&vault)?.item_count += 1;
            let summary = stored.summary();
            Ok((
                next,
                vec![
                    Effect::PutItem(stored),
                    audit(
                        &actor,
                        action,
                        Some(&vault),
                        Outcome::Succeeded,
                        Some(item.as_str().to_owned()),
                        ctx,
                    ),
                    Effect::Reply(Reply::ItemStored(summary)),
                ],
            ))
        }
        (ItemStep::Crypt, Answer::ItemOpened(content), _) => {
            let ItemJob::Read { stored } = job else {
                return Err(unasked());
            };
            let item = Item {
                summary: stored.summary(),
                content: content.to_form(),
            };
            Ok((
                model.clone(),
                vec![
                    audit(
                        &actor,
                        action,
                        Some(&vault),
                        Outcome::Succeeded,
                        Some(stored.id.as_str().to_owned()),
                        ctx,
                    ),
                    Effect::Reply(Reply::Item(item)),
                ],
            ))
        }
        _ => Err(unasked()),
    }
}

// ---- the health monitor ----------------------------------------------------

/// The alarm: starts the health check of the most overdue Azure vault (one
/// at a time: an operation holds one token). Its next check is pushed one
/// interval out at once, so a check cut off by a restart is simply run at
/// the next one. Nothing due: nothing to do.
fn tick(model: &Workspace, ctx: &Ctx) -> Step {
    let mut next = model.clone();
    let mut effects: Vec<Effect> = next
        .outbox
        .due(ctx.now_ms, &ctx.notify)
        .into_iter()
        .map(Effect::Webhook)
        .collect();
    let due = model
        .vaults
        .iter()
        .filter(|v| v.azure().is_some() && v.health.due(ctx.now_ms))
        .min_by_key(|v| v.health.next_check_ms);
    let Some((vault, azure)) = due.and_then(|v| v.azure().map(|a| (v, a))) else {
        return Ok((next, effects));
    };
    let principal = azure.principal(&vault.id);
    let id = vault.id.clone();
    next.vault_mut(&id)?.health.next_check_ms = ctx.now_ms.saturating_add(ctx.health_interval_ms);
    let op = Op {
        actor: Actor::system(),
        vault: id,
        task: Task::Health(HealthStep::Token),
    };
    effects.push(Effect::Token { principal, op });
    Ok((next, effects))
}

/// The host answered a webhook send: the delivery log line in the audit
/// trail (`webhook_delivery`); a failure is retried by the alarm with
/// back-off. An answer to no send in flight is refused (dropped).
fn webhook_answered(
    model: &Workspace,
    attempt: u32,
    result: Result<u16, Failure>,
    ctx: &Ctx,
) -> Step {
    let mut next = model.clone();
    let log = next
        .outbox
        .answered(attempt, result, ctx.now_ms, &ctx.notify)
        .map_err(|_| unasked())?;
    let outcome = if log.delivered() {
        Outcome::Succeeded
    } else {
        Outcome::Failed
    };
    let entry = audit(
        &Actor::system(),
        AuditAction::WebhookDelivery,
        None,
        outcome,
        Some(log.note()),
        ctx,
    );
    Ok((next, vec![entry]))
}

/// One step of a health check: token, GET of the recorded key version
/// (`check_key`: enabled, dates, type, size, operations), and the unwrap of
/// the vault key when a proof is due. The observation goes to the vault's
/// [`VaultHealth`]; a change of state is audited.
fn health_step(
    model: &Workspace,
    vault: VaultId,
    step: HealthStep,
    answer: Result<Answer, CatalogError>,
    ctx: &Ctx,
) -> Step {
    let found = model.vault(&vault)?;
    let azure = found.azure().ok_or_else(unasked)?;
    let op = |step: HealthStep| Op {
        actor: Actor::system(),
        vault: vault.clone(),
        task: Task::Health(step),
    };
    let seen = match (step, answer) {
        (_, Err(CatalogError::Internal)) => {
            // Our own failure says nothing about the key: check again later.
            return Ok((model.clone(), Vec::new()));
        }
        (_, Err(e)) => Observation::Failed(e),
        (HealthStep::Token, Ok(Answer::Token)) => {
            return Ok((
                model.clone(),
                vec![Effect::GetKey {
                    key: azure.wrapped.kid().clone(),
                    op: op(HealthStep::GetKey),
                }],
            ));
        }
        (HealthStep::GetKey, Ok(Answer::Key(bundle))) => {
            let answered = bundle
                .key
                .kid
                .as_deref()
                .and_then(|k| k.parse::<KeyId>().ok());
            if !answered.is_some_and(|k| k.same_as(azure.wrapped.kid())) {
                Observation::Failed(unexpected())
            } else if let Err(e) = check_key(&bundle, KeyPolicy::VaultManagement, ctx.now_secs()) {
                Observation::Failed(e)
            } else {
                let updated = bundle.attributes.updated;
                if found.health.probe_due(ctx.now_ms, updated) {
                    let mut next = model.clone();
                    next.vault_mut(&vault)?.health.saw_key(updated);
                    return Ok((
                        next,
                        vec![Effect::Unwrap {
                            wrapped: azure.wrapped.clone(),
                            op: op(HealthStep::Unwrap),
                        }],
                    ));
                }
                Observation::Usable
            }
        }
        (HealthStep::Unwrap, Ok(Answer::Unwrapped(back))) => {
            if VaultKey::from_bytes(&back.0).is_some() {
                Observation::Proven
            } else {
                Observation::Failed(unexpected())
            }
        }
        _ => return Err(unasked()),
    };
    let mut next = model.clone();
    let target = next.vault_mut(&vault)?;
    let changed = target
        .health
        .observe(&seen, ctx.now_ms, ctx.health_interval_ms);
    match &seen {
        Observation::Proven | Observation::Usable => {
            target.key_status = status(KeyState::Available, None, ctx);
        }
        Observation::Failed(e) if e.access_lost_cause().is_some() => {
            // The same words as an item operation's refusal.
            let shown = CatalogError::VaultKeyUnreachable {
                cause: Box::new(e.clone()),
                kid: azure.wrapped.kid().clone(),
                client_id: azure.client_id.clone(),
            };
            target.key_status = status(KeyState::Unreachable, Some(shown.body()), ctx);
        }
        Observation::Failed(_) => {}
    }
    let mut effects = Vec::new();
    if let Some(t) = changed {
        let outcome = if t.to == HealthState::Healthy {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        };
        effects.push(audit(
            &Actor::system(),
            AuditAction::VaultHealthChanged,
            Some(&vault),
            outcome,
            Some(t.detail()),
            ctx,
        ));
        // The host hears of it too (`vault.health_changed`), in the same
        // update as the audited change.
        let data = serde_json::json!({
            "vault_id": vault.as_str(),
            "vault_name": found.name.as_str(),
            "from": t.from.as_str(),
            "to": t.to.as_str(),
            "cause": t.cause,
            "kid": azure.wrapped.kid().as_str(),
        });
        let nonce = hex::encode(ctx.fresh);
        let subject = Subject::Workspace(ctx.workspace.as_str().to_owned());
        if let Some(send) = next.outbox.enqueue(
            &subject,
            Kind::VaultHealthChanged,
            data,
            ctx.now_ms,
            &nonce,
            &ctx.notify,
        ) {
            effects.push(Effect::Webhook(send));
        }
    }
    Ok((next, effects))
}
