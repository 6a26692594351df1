//! The key hierarchy of a workspace vault (PRODUCT.md §1):
//!
//! ```text
//! Azure RSA 4096 key (wrapKey/unwrapKey, RSA-OAEP-256)  | or the platform key (AES-256-GCM)
//!   └─ vault key (256-bit, one per vault)
//!        └─ data key (256-bit, one per item), AES-256-GCM under the vault key
//!             └─ item content, AES-256-GCM under the data key
//! ```
//!
//! Every AES-GCM seal binds its place with associated data (workspace,
//! vault, item), so a blob moved elsewhere does not open.

use keyswitch_shared::vaults::{ItemId, VaultId};

/// AAD of the client secret sealed by the platform key.
pub fn client_secret_aad(workspace: &str, vault: &VaultId) -> String {
    format!("keyswitch/v1/client-secret|{workspace}|{vault}")
}

/// AAD of a cloud-strategy vault key sealed by the platform key.
pub fn platform_vault_key_aad(workspace: &str, vault: &VaultId) -> String {
    format!("keyswitch/v1/vault-key|{workspace}|{vault}")
}

/// AAD of an item's data key sealed by the vault key.
pub fn data_key_aad(workspace: &str, vault: &VaultId, item: &ItemId) -> String {
    format!("keyswitch/v1/data-key|{workspace}|{vault}|{item}")
}

/// AAD of an item's content sealed by its data key.
pub fn item_aad(workspace: &str, vault: &VaultId, item: &ItemId) -> String {
    format!("keyswitch/v1/item|{workspace}|{vault}|{item}")
}
