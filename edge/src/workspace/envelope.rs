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

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::SecretKey;
use crate::error::EdgeError;

/// AAD of the client secret sealed by the platform key.
pub fn client_secret_aad(workspace: &str, vault: &str) -> String {
    format!("keyswitch/v1/client-secret|{workspace}|{vault}")
}

/// AAD of a cloud-strategy vault key sealed by the platform key.
pub fn platform_vault_key_aad(workspace: &str, vault: &str) -> String {
    format!("keyswitch/v1/vault-key|{workspace}|{vault}")
}

/// AAD of an item's data key sealed by the vault key.
pub fn data_key_aad(workspace: &str, vault: &str, item: &str) -> String {
    format!("keyswitch/v1/data-key|{workspace}|{vault}|{item}")
}

/// AAD of an item's content sealed by its data key.
pub fn item_aad(workspace: &str, vault: &str, item: &str) -> String {
    format!("keyswitch/v1/item|{workspace}|{vault}|{item}")
}

/// A 256-bit key from raw bytes (an unwrapped vault key or data key).
pub fn key_from_bytes(bytes: &[u8]) -> Result<SecretKey, EdgeError> {
    if bytes.len() != 32 {
        return Err(EdgeError::corrupt("a 256-bit key"));
    }
    // crypto::SecretKey only builds from base64; go through it rather than
    // duplicating the AES-GCM code.
    SecretKey::from_base64(&STANDARD.encode(bytes)).map_err(|_| EdgeError::corrupt("a 256-bit key"))
}

/// Base64 for storage.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Reads stored base64.
pub fn unb64(text: &str) -> Result<Vec<u8>, EdgeError> {
    STANDARD
        .decode(text)
        .map_err(|_| EdgeError::corrupt("stored base64"))
}
