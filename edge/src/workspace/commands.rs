//! What the worker asks a workspace's Durable Object. The worker has already
//! authenticated the session and checked the role for the workspace; forms
//! travel as typed and are parsed once, in the object.

use keyswitch_shared::vaults::{CreateVaultForm, ItemForm, ItemId, ReplaceSecretForm, VaultId};
use serde::{Deserialize, Serialize};

use crate::audit::Query;
use keyswitch_shared::Actor;

/// One request to [`super::WorkspaceVaults`].
#[derive(Serialize, Deserialize)]
// Externally tagged for serde; `crate::wire` keeps the bytes on the wire
// internally tagged (`{"op": …}`).
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// The vault table.
    List,
    /// One vault.
    Get {
        /// Which vault.
        vault: VaultId,
    },
    /// Create new vault.
    Create {
        /// The admin who asks; recorded in the audit trail.
        actor: Actor,
        /// The form as typed.
        form: CreateVaultForm,
    },
    /// Make a vault the (only) default vault.
    SetDefault {
        /// The admin who asks; recorded in the audit trail.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
    },
    /// Replace the client secret (tested before it is stored).
    ReplaceSecret {
        /// The admin who asks; recorded in the audit trail.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// The new secret, as typed.
        form: ReplaceSecretForm,
    },
    /// Test the stored connection again.
    Test {
        /// The admin who asks; recorded in the audit trail.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
    },
    /// Store an item.
    CreateItem {
        /// The member who asks; recorded in the audit trail.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// The item, as typed.
        form: ItemForm,
    },
    /// Items of a vault (metadata only).
    ListItems {
        /// Which vault.
        vault: VaultId,
    },
    /// Read (decrypt) an item.
    ReadItem {
        /// The member who asks; recorded in the audit trail.
        actor: Actor,
        /// Which vault.
        vault: VaultId,
        /// Which item.
        item: ItemId,
    },
    /// One page of the audit trail, newest first.
    Audit {
        /// Which page.
        query: Query,
    },
}
