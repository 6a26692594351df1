//! Vault management (seed 001, "Azure External Keys"): a workspace's vaults
//! whose vault key is protected by the platform key or wrapped by the
//! customer's Azure Key Vault RSA 4096 key, and the items stored in them.
//!
//! * [`forms`]: what the SPA sends, and how each form parses into validated
//!   types;
//! * [`ids`]: vault and item ids, vault names, the strategy;
//! * [`items`]: item content and how items are stored;
//! * [`keys`]: vault keys, wrapped vault keys with their kid;
//! * [`health`]: the health monitor of an Azure External Keys vault;
//! * [`views`]: what the API answers (vault table, items, audit trail);
//! * [`model`]: the workspace model and its one `update` function, which
//!   makes every decision the workspace's Durable Object carries out.

mod base64_bytes;
pub mod forms;
pub mod health;
pub mod ids;
pub mod items;
pub mod keys;
pub mod model;
pub mod views;

pub use forms::{
    AzureConnection, AzureForm, CreateVault, CreateVaultForm, ItemForm, NewProtection,
    ReplaceSecretForm,
};
pub use health::{HealthState, VaultHealth};
pub use ids::{ItemId, VAULT_NAME_MAX, VaultId, VaultName, VaultStrategy};
pub use items::{ITEM_NAME_MAX, ITEM_SECRET_MAX, ITEM_TEXT_MAX, ItemContent, ItemKind, StoredItem};
pub use views::{
    AzureConnectionView, Item, ItemList, ItemSummary, KeyState, KeyStatus, SecretState,
    VaultAuditEvent, VaultAuditTrail, VaultList, VaultSummary,
};

/// A workspace id (the host product's id, same rules as a company id).
pub type WorkspaceId = crate::CompanyId;
