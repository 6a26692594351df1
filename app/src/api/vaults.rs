//! Vault management calls (`/api/workspaces/{workspace}/vaults…`), in the
//! same shape as the rest of `api`: `Result<T, ApiError>`, bodies from
//! `shared::vaults`.

use gloo_net::http::Request;
use keyswitch_shared::vaults::{
    CreateVaultForm, Item, ItemForm, ItemList, ItemSummary, ReplaceSecretForm, VaultList,
    VaultSummary,
};

use super::{ApiError, authorised, get, post, read};

fn vaults(workspace: &str, rest: &str) -> String {
    let workspace = String::from(js_sys::encode_uri_component(workspace));
    format!("/api/workspaces/{workspace}/vaults{rest}")
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Network(e.to_string()))
}

/// `GET …/vaults`: the vault table.
pub async fn list(workspace: &str) -> Result<VaultList, ApiError> {
    get(&vaults(workspace, "")).await
}

/// `POST …/vaults`: Create new vault.
pub async fn create(workspace: &str, form: &CreateVaultForm) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, ""), Some(&to_json(form)?)).await
}

/// `POST …/vaults/{vault}/default`: make it the default vault.
pub async fn set_default(workspace: &str, vault: &str) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, &format!("/{vault}/default")), None).await
}

/// `POST …/vaults/{vault}/test`: test the stored connection again.
pub async fn test(workspace: &str, vault: &str) -> Result<VaultSummary, ApiError> {
    post(&vaults(workspace, &format!("/{vault}/test")), None).await
}

/// `PUT …/vaults/{vault}/client-secret`: replace the client secret (the edge
/// tests the connection with it first).
pub async fn replace_secret(
    workspace: &str,
    vault: &str,
    form: &ReplaceSecretForm,
) -> Result<VaultSummary, ApiError> {
    let path = vaults(workspace, &format!("/{vault}/client-secret"));
    let request = authorised(Request::put(&path))
        .json(&to_json(form)?)
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let resp = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
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
    post(
        &vaults(workspace, &format!("/{vault}/items")),
        Some(&to_json(form)?),
    )
    .await
}

/// `GET …/vaults/{vault}/items/{item}`: the decrypted item.
pub async fn read_item(workspace: &str, vault: &str, item: &str) -> Result<Item, ApiError> {
    get(&vaults(workspace, &format!("/{vault}/items/{item}"))).await
}
