//! Where a workspace's state lives in its object's storage (serde values):
//!
//! * `vault/{vault_id}`: a [`VaultRecord`] (name, strategy, key status, item
//!   count, the wrapped or sealed vault key and, for Azure, the connection
//!   with the client secret sealed by the platform key);
//! * `default_vault`: the id of the default vault — one key, so the default
//!   is exclusive by construction;
//! * `item/{vault_id}/{item_id}`: a [`StoredItem`];
//! * `audit_seq`, `audit/{seq:020}`: the audit trail (`crate::audit`);
//! * `workspace_id`: the workspace the object serves (the alarm has no
//!   request to name it; every seal is bound to it);
//! * `outbox`: the webhooks still owed to the host (`notify::Outbox`).
//!
//! The model is read once per object instance and kept in memory; every
//! change is written in one `putMultiple` with the items and audit events
//! of the same step.

use keyswitch_shared::notify::Outbox;
use keyswitch_shared::vaults::model::{VaultRecord, Workspace};
use keyswitch_shared::vaults::{ItemId, StoredItem, VaultAuditEvent, VaultId, WorkspaceId};
use worker::{ListOptions, Storage};

use crate::audit;
use crate::batch::Batch;
use crate::error::EdgeError;
use crate::stored;

const DEFAULT_VAULT: &str = "default_vault";
const WORKSPACE_ID: &str = "workspace_id";
const OUTBOX: &str = "outbox";
const VAULT_PREFIX: &str = "vault/";
const ITEM_PREFIX: &str = "item/";

type Res<T> = Result<T, EdgeError>;

fn vault_key(id: &VaultId) -> String {
    format!("{VAULT_PREFIX}{id}")
}

fn items_prefix(vault: &VaultId) -> String {
    format!("{ITEM_PREFIX}{vault}/")
}

fn item_key(vault: &VaultId, item: &ItemId) -> String {
    format!("{ITEM_PREFIX}{vault}/{item}")
}

/// Reads the model. Records written before vaults counted their items are
/// counted once and written back.
pub async fn load(storage: &Storage) -> Res<Workspace> {
    let map = storage
        .list_with_options(ListOptions::new().prefix(VAULT_PREFIX))
        .await?;
    let mut records = Vec::new();
    let mut counted = Batch::new();
    for value in map.values() {
        let mut record: VaultRecord = stored::record(&value.map_err(worker::Error::from)?)?;
        if record.lacks_item_count() {
            let count = count_items(storage, record.id()).await?;
            record = record.with_item_count(count);
            counted.put(&vault_key(record.id()), &record)?;
        }
        records.push(record);
    }
    counted.commit(storage).await?;
    let default = stored::get::<VaultId>(storage, DEFAULT_VAULT).await?;
    let outbox = stored::get::<Outbox>(storage, OUTBOX)
        .await?
        .unwrap_or_default();
    Workspace::restore(records, default)
        .map(|w| w.with_outbox(outbox))
        .map_err(|e| EdgeError::Worker(e.to_string().into()))
}

async fn count_items(storage: &Storage, vault: &VaultId) -> Res<u64> {
    let prefix = items_prefix(vault);
    let map = storage
        .list_with_options(ListOptions::new().prefix(&prefix))
        .await?;
    Ok(u64::from(map.size()))
}

/// Writes one step in one `putMultiple`: the vaults that changed from
/// `before` to `next`, the default, new items and audit events.
pub async fn persist(
    storage: &Storage,
    before: &Workspace,
    next: &Workspace,
    items: &[StoredItem],
    events: Vec<VaultAuditEvent>,
) -> Res<()> {
    let mut batch = Batch::new();
    for record in next.changed_records(Some(before)) {
        batch.put(&vault_key(record.id()), &record)?;
    }
    if let Some(default) = next.default_vault()
        && before.default_vault() != Some(default)
    {
        batch.put(DEFAULT_VAULT, default)?;
    }
    if next.outbox() != before.outbox() {
        batch.put(OUTBOX, next.outbox())?;
    }
    for item in items {
        batch.put(&item_key(&item.vault_id, &item.id), item)?;
    }
    audit::prepare(storage, &mut batch, events).await?;
    batch.commit(storage).await
}

/// One stored item, if there is one.
pub async fn item(storage: &Storage, vault: &VaultId, item: &ItemId) -> Res<Option<StoredItem>> {
    Ok(stored::get_record(storage, &item_key(vault, item)).await?)
}

/// A vault's items, oldest first.
pub async fn items(storage: &Storage, vault: &VaultId) -> Res<Vec<StoredItem>> {
    let prefix = items_prefix(vault);
    let map = storage
        .list_with_options(ListOptions::new().prefix(&prefix))
        .await?;
    let mut out = Vec::new();
    for value in map.values() {
        out.push(stored::record::<StoredItem>(
            &value.map_err(worker::Error::from)?,
        )?);
    }
    out.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The workspace this object serves, as first recorded.
pub async fn workspace_id(storage: &Storage) -> Res<Option<WorkspaceId>> {
    Ok(stored::get::<WorkspaceId>(storage, WORKSPACE_ID).await?)
}

/// Records the workspace this object serves.
pub async fn put_workspace_id(storage: &Storage, id: &WorkspaceId) -> Res<()> {
    Ok(storage.put(WORKSPACE_ID, id).await?)
}
