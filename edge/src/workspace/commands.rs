//! What the worker asks a workspace's Durable Object. The worker has already
//! authenticated the session and checked the role for the workspace.

use keyswitch_shared::vaults_api::{CreateVaultForm, ItemForm, ReplaceSecretForm};
use serde::{Deserialize, Serialize};

use crate::session::Actor;

/// One request to [`super::WorkspaceVaults`].
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// The vault table.
    List,
    /// One vault.
    Get {
        /// Vault id.
        vault: String,
    },
    /// Create new vault.
    Create {
        /// Who asks.
        actor: Actor,
        /// The form as typed (validated again in the object).
        form: CreateVaultForm,
    },
    /// Make a vault the (only) default vault.
    SetDefault {
        /// Who asks.
        actor: Actor,
        /// Vault id.
        vault: String,
    },
    /// Replace the client secret (tested before it is stored).
    ReplaceSecret {
        /// Who asks.
        actor: Actor,
        /// Vault id.
        vault: String,
        /// The new secret.
        form: ReplaceSecretForm,
    },
    /// Test the stored connection again.
    Test {
        /// Who asks.
        actor: Actor,
        /// Vault id.
        vault: String,
    },
    /// Store an item.
    CreateItem {
        /// Who asks.
        actor: Actor,
        /// Vault id.
        vault: String,
        /// The item.
        form: ItemForm,
    },
    /// Items of a vault (metadata only).
    ListItems {
        /// Vault id.
        vault: String,
    },
    /// Read (decrypt) an item.
    ReadItem {
        /// Who asks.
        actor: Actor,
        /// Vault id.
        vault: String,
        /// Item id.
        item: String,
    },
    /// One page of the audit trail, newest first.
    Audit {
        /// Which page.
        query: crate::audit::Query,
    },
}
