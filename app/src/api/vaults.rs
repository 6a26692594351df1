//! Vault management calls (`/api/workspaces/{workspace}/vaults…`), in the
//! same shape as the rest of `api`: `Result<T, ApiError>`, bodies from
//! `shared::vaults`.

use gloo_net::http::Method;
use keyswitch_shared::vaults::{
    CreateVaultForm, Item, ItemForm, ItemList, ItemSummary, ReplaceSecretForm, VaultList,
    VaultSummary,
};

use super::{ApiError, NO_BODY, get, post, send};

fn vaults(workspace: &str, rest: &str) -> String {
    let workspace = String::from(js_sys::encode_uri_component(workspace));
    format!("/api/workspaces/{workspace}/vaults{rest}")
}

/// `GET …/vaults`: the vault table.
pub async fn list(workspace: &str) -> Result<VaultList, ApiError> {
    get(&vaults(workspace, "")).await
}

/// `POST …/vaults`: Create new vault.
pub async fn create(workspace: &str, form: &CreateVaultForm) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, ""), Some(form)).await
}

/// `POST …/vaults/{vault}/default`: make it the default vault.
pub async fn set_default(workspace: &str, vault: &str) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, &format!("/{vault}/default")), NO_BODY).await
}

/// `POST …/vaults/{vault}/test`: test the stored connection again.
pub async fn test(workspace: &str, vault: &str) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, &format!("/{vault}/test")), NO_BODY).await
}

/// `PUT …/vaults/{vault}/client-secret`: replace the client secret (the edge
/// tests the connection with it first).
pub async fn replace_secret(
    workspace: &str,
    vault: &str,
    form: &ReplaceSecretForm,
) -> Result<VaultSummary, ApiError> {
    send(
        Method::PUT,
        &vaults(workspace, &format!("/{vault}/client-secret")),
        Some(form),
    )
    .await
}

/// `GET …/vaults/{vault}/items`: item metadata.
pub async fn items(workspace: &str, vault: &str) -> Result<ItemList, ApiError> {
    get(&vaults(workspace, &format!("/{vault}/items"))).await
}

/// `POST …/vaults/{vault}/items`: store an item.
pub async fn store_item(
    workspace: &str,
    vault: &str,
    form: &ItemForm,
) -> Result<ItemSummary, ApiError> {
    post(&vaults(workspace, &format!("/{vault}/items")), Some(form)).await
}

/// `GET …/vaults/{vault}/items/{item}`: the decrypted item.
pub async fn read_item(workspace: &str, vault: &str, item: &str) -> Result<Item, ApiError> {
    get(&vaults(workspace, &format!("/{vault}/items/{item}"))).await
}
