//! What the vault API answers: the vault table, items without and with
//! their content, and the vault audit trail. Never a secret, except the
//! content of an item read on purpose.

use serde::{Deserialize, Serialize};

use super::forms::ItemForm;
use super::ids::VaultStrategy;
use super::items::ItemKind;
use crate::catalog::ErrorBody;
use crate::{ClientId, KeyId, KeyName, TenantId, VaultUri};

/// Whether the key protecting a vault can be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Protected by the platform key; always available.
    PlatformManaged,
    /// The last use of the Azure key succeeded.
    Available,
    /// The last use of the Azure key failed (see `error`).
    Unreachable,
}

/// The vault table's "key status".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStatus {
    /// The state.
    pub state: KeyState,
    /// When the key was last used or tested (Unix milliseconds).
    pub checked_at_ms: u64,
    /// Why the key was unreachable, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl KeyStatus {
    /// Text for the vault table.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self.state {
            KeyState::PlatformManaged => "Active (platform key)",
            KeyState::Available => "Active",
            KeyState::Unreachable => "Unreachable",
        }
    }
}

/// Whether a write-only secret is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretState {
    /// A secret is stored (its value is never returned).
    Set,
    /// No secret is stored.
    NotSet,
}

/// The Azure connection of a vault as the API shows it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureConnectionView {
    /// Application (client) ID.
    pub client_id: ClientId,
    /// Directory (tenant) ID.
    pub tenant_id: TenantId,
    /// Vault base URI.
    pub vault_uri: VaultUri,
    /// Key name.
    pub key_name: KeyName,
    /// The versioned key id the vault key is wrapped with.
    pub kid: KeyId,
    /// RSA modulus size of the key, in bits.
    pub key_size_bits: u32,
    /// Whether the client secret is stored ("set"), never its value.
    pub client_secret: SecretState,
    /// When the client secret was last set (Unix milliseconds).
    pub client_secret_updated_at_ms: u64,
    /// The commands that give this service principal the key-use role on
    /// the vault (seed 001 step 4), for each tool, runnable as copied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_commands: Vec<crate::commands::CommandTab>,
}

/// The role commands for a workspace's own service principal `client_id`
/// on `vault` (its key `key`).
#[must_use]
pub fn role_commands(
    vault: &VaultUri,
    key: &KeyName,
    client_id: &ClientId,
) -> Vec<crate::commands::CommandTab> {
    crate::commands::role::Grant::own(vault, key, client_id).tabs()
}

/// One row of the vault table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSummary {
    /// The vault's id (stable, URL-safe).
    pub id: String,
    /// Its name.
    pub name: String,
    /// How its vault key is protected.
    pub strategy: VaultStrategy,
    /// Whether new items go here by default.
    pub is_default: bool,
    /// Key status.
    pub key_status: KeyStatus,
    /// When it was created (Unix milliseconds).
    pub created_at_ms: u64,
    /// Who created it (display name).
    pub created_by: String,
    /// The Azure connection (Azure External Keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure: Option<AzureConnectionView>,
    /// How many items the vault holds.
    pub item_count: u64,
    /// The health monitor's view (Azure External Keys vaults only): state,
    /// cause, what the last failed check met, last and next check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Box<super::health::VaultHealth>>,
}

/// `GET /api/workspaces/{workspace}/vaults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultList {
    /// The workspace.
    pub workspace_id: String,
    /// Its vaults, oldest first.
    pub vaults: Vec<VaultSummary>,
}

/// An item without its content (listing): nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    /// The item's id.
    pub id: String,
    /// The vault holding it.
    pub vault_id: String,
    /// Account or secret.
    pub kind: ItemKind,
    /// When it was stored (Unix milliseconds).
    pub created_at_ms: u64,
    /// Who stored it (display name).
    pub created_by: String,
}

/// `GET …/vaults/{vault}/items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemList {
    /// The items, oldest first (metadata only; reading content needs the key).
    pub items: Vec<ItemSummary>,
}

/// `GET …/vaults/{vault}/items/{item}`: the decrypted item. `Debug` redacts
/// the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Metadata.
    #[serde(flatten)]
    pub summary: ItemSummary,
    /// The content, decrypted.
    pub content: ItemForm,
}

/// One entry of a workspace's vault audit trail. Never holds secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultAuditEvent {
    /// Sequence number within the workspace (ascending).
    pub seq: u64,
    /// When (Unix milliseconds).
    pub at_ms: u64,
    /// Who: the session subject.
    pub actor: String,
    /// The actor's display name.
    pub actor_name: String,
    /// The actor's role.
    pub actor_role: crate::Role,
    /// What was done.
    pub action: crate::AuditAction,
    /// The vault concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_id: Option<String>,
    /// How it ended.
    pub outcome: crate::Outcome,
    /// A catalog code or a non-secret note (kid, item id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request that caused it (the worker's `x-request-id`); stamped by
    /// the edge when it stores the entry (`None` on entries stored before).
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `GET /api/workspaces/{workspace}/vault-audit?cursor=<seq>&limit=N`: one
/// page of the trail, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultAuditTrail {
    /// The events, newest first.
    pub events: Vec<VaultAuditEvent>,
    /// The `cursor` of the next (older) page; `None` on the last page.
    #[serde(default)]
    pub next_cursor: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_state_has_its_words_in_the_vault_table() {
        let label = |state| {
            KeyStatus {
                state,
                checked_at_ms: 0,
                error: None,
            }
            .label()
        };
        assert_eq!(label(KeyState::PlatformManaged), "Active (platform key)");
        assert_eq!(label(KeyState::Available), "Active");
        assert_eq!(label(KeyState::Unreachable), "Unreachable");
    }

    #[test]
    fn the_role_commands_grant_this_vaults_app_the_crypto_role_on_its_vault() {
        let vault: VaultUri = "https://contoso-kms.vault.azure.net".parse().expect("uri");
        let key: KeyName = "company-kek".parse().expect("key name");
        let app: ClientId = "0c9d8e7f-1111-4a2b-8c3d-000000000001"
            .parse()
            .expect("client id");
        let tabs = role_commands(&vault, &key, &app);
        assert!(!tabs.is_empty());
        let runnable: Vec<_> = tabs.iter().filter(|t| !t.blocks.is_empty()).collect();
        assert!(!runnable.is_empty(), "{tabs:?}");
        for tab in runnable {
            let text = tab.text();
            assert!(
                text.contains(app.as_str())
                    && text.contains("contoso-kms")
                    && text.contains("Key Vault Crypto User"),
                "{text}"
            );
        }
    }
}
