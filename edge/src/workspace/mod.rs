//! `WorkspaceVaults`: the Durable Object that is the authority for one
//! workspace's vaults (seed 001): vault records, the encrypted client secret
//! of an Azure External Keys vault, the wrapped vault keys, the items and the
//! audit trail. One object per workspace, named by the workspace id.
//!
//! Storage layout (values are JSON text):
//! * `vault/{vault_id}`: [`VaultRecord`] — name, strategy, key status, the
//!   vault key wrapped by the Azure key (or sealed by the platform key), and
//!   for Azure the connection with the client secret sealed by the platform
//!   key (AES-256-GCM, AAD bound to workspace and vault);
//! * `default_vault`: the id of the default vault — one key, so the default
//!   is exclusive by construction;
//! * `item/{vault_id}/{item_id}`: [`ItemRecord`] — the data key wrapped by the
//!   vault key and the content sealed by the data key;
//! * `audit_seq`, `audit/{seq:020}`: the audit trail.
//!
//! The unwrapped vault key is **never cached**: every item read or write of
//! an Azure External Keys vault asks Key Vault to unwrap it, so revoking the
//! service principal's access stops reads at once, and restoring it makes
//! them work again. Azure calls are awaited outside any storage step; rules
//! that depend on stored state (one cloud vault per provider, unique names)
//! are checked again right before the write.

pub mod azure_app;
pub mod commands;
pub mod envelope;

use keyswitch_shared::key_check::{VAULT_MANAGEMENT_KEY_SIZES, check_key};
use keyswitch_shared::vaults_api::{
    AzureConnection, AzureConnectionView, CreateVault, Item, ItemForm, ItemKind, ItemList,
    ItemSummary, KeyState, KeyStatus, SecretState, VaultAuditEvent, VaultList, VaultStrategy,
    VaultSummary, cloud_vault_exists, vault_key_unreachable,
};
use keyswitch_shared::{
    AuditAction, CatalogError, ClientId, ClientSecret, KeyId, KeyName, Outcome, TenantId, VaultUri,
};
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, ListOptions, Request, Response, Result, State, durable_object};

use crate::audit;
use crate::config;
use crate::crypto::SecretKey;
use crate::error::{EdgeError, respond};
use crate::session::{Actor, now_secs};
use azure_app::{CustomerApp, Vault};
use commands::Command;
use envelope::{
    b64, client_secret_aad, data_key_aad, item_aad, key_from_bytes, platform_vault_key_aad, unb64,
};

const DEFAULT_VAULT: &str = "default_vault";
const VAULT_PREFIX: &str = "vault/";
const ITEM_PREFIX: &str = "item/";
/// Most vaults a workspace may hold (at most one per provider today).
const MAX_VAULTS: usize = 50;

type Res<T> = std::result::Result<T, EdgeError>;

/// The Azure connection as stored.
#[derive(Serialize, Deserialize)]
struct AzureRecord {
    client_id: ClientId,
    tenant_id: TenantId,
    vault_uri: VaultUri,
    key_name: KeyName,
    /// The versioned kid the vault key was wrapped with; always unwrap with it.
    kid: KeyId,
    key_size_bits: u32,
    /// The client secret sealed by the platform key, base64.
    sealed_client_secret: String,
    secret_updated_at_ms: u64,
}

/// A vault as stored.
#[derive(Serialize, Deserialize)]
struct VaultRecord {
    id: String,
    name: String,
    strategy: VaultStrategy,
    created_at_ms: u64,
    created_by: String,
    /// The vault key wrapped by the Azure key, or sealed by the platform key; base64.
    wrapped_vault_key: String,
    azure: Option<AzureRecord>,
    key_status: KeyStatus,
}

/// An item as stored: nothing readable without the vault key.
#[derive(Serialize, Deserialize)]
struct ItemRecord {
    id: String,
    vault_id: String,
    kind: ItemKind,
    created_at_ms: u64,
    created_by: String,
    /// The data key sealed by the vault key, base64.
    wrapped_data_key: String,
    /// The content sealed by the data key, base64.
    content: String,
}

/// One per workspace, named by the workspace id.
#[durable_object]
pub struct WorkspaceVaults {
    state: State,
    env: Env,
}

impl DurableObject for WorkspaceVaults {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        respond(self.route(req).await)
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

fn new_id(prefix: &str) -> Res<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| EdgeError::Crypto)?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

fn not_found(what: &str) -> EdgeError {
    CatalogError::NotFound { what: what.into() }.into()
}

fn unexpected() -> EdgeError {
    CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    }
    .into()
}

/// The code an audit event records for a failure.
fn code_of(e: &EdgeError) -> String {
    match e {
        EdgeError::Catalog(c) => c.code().to_owned(),
        EdgeError::Relayed { body, .. } => body.code.clone(),
        _ => "internal".to_owned(),
    }
}

fn json_response<T: Serialize>(status: u16, value: &T) -> Res<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

impl WorkspaceVaults {
    async fn route(&self, mut req: Request) -> Res<Response> {
        let url = req.url()?;
        let workspace = url
            .path_segments()
            .and_then(|mut s| s.next().map(str::to_owned))
            .filter(|w| !w.is_empty())
            .ok_or_else(|| EdgeError::field("workspace", "missing"))?;
        let command: Command = req.json().await?;
        match command {
            Command::List => {
                let mut vaults = Vec::new();
                for rec in self.vaults().await? {
                    vaults.push(self.summary(&rec).await?);
                }
                json_response(
                    200,
                    &VaultList {
                        workspace_id: workspace,
                        vaults,
                    },
                )
            }
            Command::Get { vault } => {
                let rec = self.vault(&vault).await?;
                json_response(200, &self.summary(&rec).await?)
            }
            Command::Create { actor, form } => {
                let result = match form.validate() {
                    Ok(valid) => self.create(&workspace, &actor, valid).await,
                    Err(e) => Err(e.into()),
                };
                match result {
                    Ok(rec) => json_response(201, &self.summary(&rec).await?),
                    Err(e) => {
                        self.audit(
                            &actor,
                            AuditAction::VaultCreate,
                            None,
                            Outcome::Failed,
                            Some(code_of(&e)),
                        )
                        .await?;
                        Err(e)
                    }
                }
            }
            Command::SetDefault { actor, vault } => {
                let rec = self.vault(&vault).await?;
                self.state.storage().put(DEFAULT_VAULT, &rec.id).await?;
                self.audit(
                    &actor,
                    AuditAction::DefaultVaultSet,
                    Some(&rec.id),
                    Outcome::Succeeded,
                    None,
                )
                .await?;
                json_response(200, &self.summary(&rec).await?)
            }
            Command::ReplaceSecret { actor, vault, form } => {
                let mut rec = self.vault(&vault).await?;
                let result = match form.validate() {
                    Ok(secret) => self.replace_secret(&workspace, &mut rec, &secret).await,
                    Err(e) => Err(e.into()),
                };
                match result {
                    Ok(()) => {
                        self.audit(
                            &actor,
                            AuditAction::ClientSecretReplaced,
                            Some(&rec.id),
                            Outcome::Succeeded,
                            Some("connection re-tested".into()),
                        )
                        .await?;
                        json_response(200, &self.summary(&rec).await?)
                    }
                    Err(e) => {
                        self.audit(
                            &actor,
                            AuditAction::ClientSecretReplaced,
                            Some(&rec.id),
                            Outcome::Failed,
                            Some(code_of(&e)),
                        )
                        .await?;
                        Err(e)
                    }
                }
            }
            Command::Test { actor, vault } => {
                let mut rec = self.vault(&vault).await?;
                let result = self.test(&workspace, &mut rec).await;
                let outcome = if result.is_ok() {
                    Outcome::Succeeded
                } else {
                    Outcome::Failed
                };
                let detail = result.as_ref().err().map(code_of);
                self.audit(
                    &actor,
                    AuditAction::ConnectionTested,
                    Some(&rec.id),
                    outcome,
                    detail,
                )
                .await?;
                result?;
                json_response(200, &self.summary(&rec).await?)
            }
            Command::CreateItem { actor, vault, form } => {
                let mut rec = self.vault(&vault).await?;
                let result = match form.validate() {
                    Ok(form) => self.create_item(&workspace, &mut rec, &actor, &form).await,
                    Err(e) => Err(e.into()),
                };
                match result {
                    Ok(summary) => {
                        self.audit(
                            &actor,
                            AuditAction::ItemCreated,
                            Some(&rec.id),
                            Outcome::Succeeded,
                            Some(summary.id.clone()),
                        )
                        .await?;
                        json_response(201, &summary)
                    }
                    Err(e) => {
                        self.audit(
                            &actor,
                            AuditAction::ItemCreated,
                            Some(&rec.id),
                            Outcome::Failed,
                            Some(code_of(&e)),
                        )
                        .await?;
                        Err(e)
                    }
                }
            }
            Command::ListItems { vault } => {
                let rec = self.vault(&vault).await?;
                let items = self
                    .items(&rec.id)
                    .await?
                    .into_iter()
                    .map(|i| item_summary(&i))
                    .collect();
                json_response(200, &ItemList { items })
            }
            Command::ReadItem { actor, vault, item } => {
                let mut rec = self.vault(&vault).await?;
                let stored = self.item(&rec.id, &item).await?;
                let result = self.read_item(&workspace, &mut rec, &stored).await;
                let outcome = if result.is_ok() {
                    Outcome::Succeeded
                } else {
                    Outcome::Failed
                };
                let detail = match &result {
                    Ok(_) => stored.id.clone(),
                    Err(e) => format!("{}: {}", stored.id, code_of(e)),
                };
                self.audit(
                    &actor,
                    AuditAction::ItemRead,
                    Some(&rec.id),
                    outcome,
                    Some(detail),
                )
                .await?;
                json_response(200, &result?)
            }
            Command::Audit { query } => {
                let page = audit::page::<VaultAuditEvent>(&self.state.storage(), query).await?;
                json_response(200, &page)
            }
        }
    }

    // ---- storage ----

    async fn vaults(&self) -> Res<Vec<VaultRecord>> {
        let map = self
            .state
            .storage()
            .list_with_options(ListOptions::new().prefix(VAULT_PREFIX))
            .await?;
        let mut out = Vec::new();
        for value in map.values() {
            let Ok(value) = value else { continue };
            let Some(text) = value.as_string() else {
                continue;
            };
            out.push(serde_json::from_str::<VaultRecord>(&text)?);
        }
        out.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn vault(&self, id: &str) -> Res<VaultRecord> {
        let text: Option<String> = self
            .state
            .storage()
            .get(&format!("{VAULT_PREFIX}{id}"))
            .await?;
        match text {
            Some(t) => Ok(serde_json::from_str(&t)?),
            None => Err(not_found("The vault")),
        }
    }

    async fn save_vault(&self, rec: &VaultRecord) -> Res<()> {
        self.state
            .storage()
            .put(
                &format!("{VAULT_PREFIX}{}", rec.id),
                serde_json::to_string(rec)?,
            )
            .await?;
        Ok(())
    }

    async fn items(&self, vault: &str) -> Res<Vec<ItemRecord>> {
        let map = self
            .state
            .storage()
            .list_with_options(ListOptions::new().prefix(&format!("{ITEM_PREFIX}{vault}/")))
            .await?;
        let mut out = Vec::new();
        for value in map.values() {
            let Ok(value) = value else { continue };
            if let Some(text) = value.as_string() {
                out.push(serde_json::from_str::<ItemRecord>(&text)?);
            }
        }
        out.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn item(&self, vault: &str, id: &str) -> Res<ItemRecord> {
        let text: Option<String> = self
            .state
            .storage()
            .get(&format!("{ITEM_PREFIX}{vault}/{id}"))
            .await?;
        match text {
            Some(t) => Ok(serde_json::from_str(&t)?),
            None => Err(not_found("The item")),
        }
    }

    async fn default_vault(&self) -> Res<Option<String>> {
        Ok(self.state.storage().get::<String>(DEFAULT_VAULT).await?)
    }

    async fn summary(&self, rec: &VaultRecord) -> Res<VaultSummary> {
        let is_default = self.default_vault().await?.as_deref() == Some(rec.id.as_str());
        let item_count = u64::try_from(self.items(&rec.id).await?.len()).unwrap_or(u64::MAX);
        Ok(VaultSummary {
            id: rec.id.clone(),
            name: rec.name.clone(),
            strategy: rec.strategy,
            is_default,
            key_status: rec.key_status.clone(),
            created_at_ms: rec.created_at_ms,
            created_by: rec.created_by.clone(),
            azure: rec.azure.as_ref().map(|a| AzureConnectionView {
                client_id: a.client_id.clone(),
                tenant_id: a.tenant_id.clone(),
                vault_uri: a.vault_uri.clone(),
                key_name: a.key_name.clone(),
                kid: a.kid.clone(),
                key_size_bits: a.key_size_bits,
                client_secret: if a.sealed_client_secret.is_empty() {
                    SecretState::NotSet
                } else {
                    SecretState::Set
                },
                client_secret_updated_at_ms: a.secret_updated_at_ms,
            }),
            item_count,
        })
    }

    async fn audit(
        &self,
        actor: &Actor,
        action: AuditAction,
        vault_id: Option<&str>,
        outcome: Outcome,
        detail: Option<String>,
    ) -> Res<()> {
        let event = VaultAuditEvent {
            seq: 0,
            at_ms: now_ms(),
            actor: actor.sub.clone(),
            actor_name: actor.name.clone(),
            actor_role: audit::role_of(actor),
            action,
            vault_id: vault_id.map(str::to_owned),
            outcome,
            detail,
        };
        audit::record(&self.state.storage(), event).await
    }

    // ---- keys ----

    fn platform_key(&self) -> Res<SecretKey> {
        SecretKey::from_base64(&config::secret(&self.env, config::PLATFORM_KEY)?)
    }

    fn client_secret(&self, workspace: &str, rec: &VaultRecord) -> Res<ClientSecret> {
        let azure = rec.azure.as_ref().ok_or(EdgeError::Crypto)?;
        let plain = self.platform_key()?.open(
            &unb64(&azure.sealed_client_secret)?,
            client_secret_aad(workspace, &rec.id).as_bytes(),
        )?;
        let text = String::from_utf8(plain).map_err(|_| EdgeError::Crypto)?;
        ClientSecret::new(&text).map_err(|_| EdgeError::Crypto)
    }

    /// Proves the connection: token, GET key (must still pass the RSA 4096
    /// check), and an unwrap of the stored vault key with the recorded kid.
    async fn check_connection(
        &self,
        azure: &AzureRecord,
        secret: &ClientSecret,
        wrapped: &[u8],
    ) -> Res<Vec<u8>> {
        let app = CustomerApp {
            tenant: &azure.tenant_id,
            client_id: &azure.client_id,
            secret,
            vault: &azure.vault_uri,
        };
        let token = app.token(&self.env).await?;
        let kv = Vault::from_env(&self.env);
        let bundle = kv.get_key(&token, &azure.kid.versionless()).await?;
        check_key(&bundle, VAULT_MANAGEMENT_KEY_SIZES, now_secs())?;
        let key = kv.unwrap(&token, &azure.kid, wrapped).await?;
        if key.len() != 32 {
            return Err(unexpected());
        }
        Ok(key)
    }

    /// The vault key, unwrapped by the Azure key (never cached) or opened with
    /// the platform key. For Azure, records the key status and turns a
    /// failure into "the Azure key is unreachable, because …".
    async fn vault_key(&self, workspace: &str, rec: &mut VaultRecord) -> Res<SecretKey> {
        let wrapped = unb64(&rec.wrapped_vault_key)?;
        let Some(azure) = rec.azure.as_ref() else {
            let opened = self.platform_key()?.open(
                &wrapped,
                platform_vault_key_aad(workspace, &rec.id).as_bytes(),
            )?;
            return key_from_bytes(&opened);
        };
        let secret = self.client_secret(workspace, rec)?;
        let app = CustomerApp {
            tenant: &azure.tenant_id,
            client_id: &azure.client_id,
            secret: &secret,
            vault: &azure.vault_uri,
        };
        let result = async {
            let token = app.token(&self.env).await?;
            Vault::from_env(&self.env)
                .unwrap(&token, &azure.kid, &wrapped)
                .await
        }
        .await;
        match result {
            Ok(bytes) => {
                self.set_key_status(rec, KeyState::Available, None).await?;
                key_from_bytes(&bytes)
            }
            Err(EdgeError::Catalog(cause)) => {
                let (status, body) = vault_key_unreachable(&cause, &azure.kid, &azure.client_id);
                self.set_key_status(rec, KeyState::Unreachable, Some(body.clone()))
                    .await?;
                Err(EdgeError::Relayed { status, body })
            }
            Err(other) => Err(other),
        }
    }

    /// Stores a new key status when it changed (or a day-old check).
    async fn set_key_status(
        &self,
        rec: &mut VaultRecord,
        state: KeyState,
        error: Option<keyswitch_shared::ErrorBody>,
    ) -> Res<()> {
        let changed = rec.key_status.state != state || rec.key_status.error != error;
        rec.key_status = KeyStatus {
            state,
            checked_at_ms: now_ms(),
            error,
        };
        if changed {
            self.save_vault(rec).await?;
        }
        Ok(())
    }

    // ---- operations ----

    /// Refuses a second vault of the same provider, a duplicate name, or too
    /// many vaults.
    fn check_rules(vaults: &[VaultRecord], valid: &CreateVault) -> Res<()> {
        if vaults.iter().any(|v| v.strategy == valid.strategy) {
            return Err(cloud_vault_exists(valid.strategy).into());
        }
        if vaults.iter().any(|v| valid.name.same_as(&v.name)) {
            return Err(CatalogError::Conflict {
                reason: format!(
                    "This workspace already has a vault named \"{}\"",
                    valid.name.as_str()
                ),
            }
            .into());
        }
        if vaults.len() >= MAX_VAULTS {
            return Err(CatalogError::Conflict {
                reason: "This workspace has the most vaults it can hold".into(),
            }
            .into());
        }
        Ok(())
    }

    async fn create(&self, workspace: &str, actor: &Actor, valid: CreateVault) -> Res<VaultRecord> {
        Self::check_rules(&self.vaults().await?, &valid)?;
        let id = new_id("v")?;
        let platform = self.platform_key()?;
        let vault_key = SecretKey::generate()?;
        let (wrapped, azure, key_status) = match &valid.azure {
            None => (
                platform.seal(
                    vault_key.bytes(),
                    platform_vault_key_aad(workspace, &id).as_bytes(),
                )?,
                None,
                KeyStatus {
                    state: KeyState::PlatformManaged,
                    checked_at_ms: now_ms(),
                    error: None,
                },
            ),
            Some(conn) => {
                let (kid, size, wrapped) = self.wrap_with_azure(conn, vault_key.bytes()).await?;
                let sealed = platform.seal(
                    conn.client_secret.secret().as_bytes(),
                    client_secret_aad(workspace, &id).as_bytes(),
                )?;
                let now = now_ms();
                (
                    wrapped,
                    Some(AzureRecord {
                        client_id: conn.client_id.clone(),
                        tenant_id: conn.tenant_id.clone(),
                        vault_uri: conn.vault_uri.clone(),
                        key_name: conn.key_name.clone(),
                        kid,
                        key_size_bits: size,
                        sealed_client_secret: b64(&sealed),
                        secret_updated_at_ms: now,
                    }),
                    KeyStatus {
                        state: KeyState::Available,
                        checked_at_ms: now,
                        error: None,
                    },
                )
            }
        };
        // Azure calls were awaited: check the rules again on current state
        // right before the write (no other request runs between these steps).
        let vaults = self.vaults().await?;
        Self::check_rules(&vaults, &valid)?;
        let rec = VaultRecord {
            id: id.clone(),
            name: valid.name.as_str().to_owned(),
            strategy: valid.strategy,
            created_at_ms: now_ms(),
            created_by: actor.name.clone(),
            wrapped_vault_key: b64(&wrapped),
            azure,
            key_status,
        };
        self.save_vault(&rec).await?;
        let has_default = match self.default_vault().await? {
            Some(d) => vaults.iter().any(|v| v.id == d),
            None => false,
        };
        if valid.is_default || !has_default {
            self.state.storage().put(DEFAULT_VAULT, &id).await?;
        }
        let detail = match &rec.azure {
            Some(a) => format!("{}; wrapped with {}", rec.strategy.as_str(), a.kid),
            None => rec.strategy.as_str().to_owned(),
        };
        self.audit(
            actor,
            AuditAction::VaultCreated,
            Some(&id),
            Outcome::Succeeded,
            Some(detail),
        )
        .await?;
        Ok(rec)
    }

    /// Token with the customer's secret, GET key, the RSA 4096 check, then
    /// wrap the vault key with the versionless key and unwrap it with the
    /// versioned kid Key Vault returned (the wrap/unwrap proof).
    async fn wrap_with_azure(
        &self,
        conn: &AzureConnection,
        vault_key: &[u8; 32],
    ) -> Res<(KeyId, u32, Vec<u8>)> {
        let app = CustomerApp {
            tenant: &conn.tenant_id,
            client_id: &conn.client_id,
            secret: &conn.client_secret,
            vault: &conn.vault_uri,
        };
        let token = app.token(&self.env).await?;
        let kv = Vault::from_env(&self.env);
        let key = KeyId::new(&conn.vault_uri, &conn.key_name, None);
        let bundle = kv.get_key(&token, &key).await?;
        let summary = check_key(&bundle, VAULT_MANAGEMENT_KEY_SIZES, now_secs())?;
        let (kid, wrapped) = kv.wrap(&token, &key, vault_key).await?;
        let back = kv.unwrap(&token, &kid, &wrapped).await?;
        if back.as_slice() != vault_key.as_slice() {
            return Err(unexpected());
        }
        Ok((kid, summary.size_bits, wrapped))
    }

    async fn replace_secret(
        &self,
        workspace: &str,
        rec: &mut VaultRecord,
        secret: &ClientSecret,
    ) -> Res<()> {
        let Some(azure) = rec.azure.as_ref() else {
            return Err(CatalogError::Conflict {
                reason: "Only an Azure External Keys vault has a client secret".into(),
            }
            .into());
        };
        let wrapped = unb64(&rec.wrapped_vault_key)?;
        self.check_connection(azure, secret, &wrapped).await?;
        let sealed = self.platform_key()?.seal(
            secret.secret().as_bytes(),
            client_secret_aad(workspace, &rec.id).as_bytes(),
        )?;
        // Re-read: an item read may have updated the record meanwhile.
        let mut fresh = self.vault(&rec.id).await?;
        if let Some(a) = fresh.azure.as_mut() {
            a.sealed_client_secret = b64(&sealed);
            a.secret_updated_at_ms = now_ms();
        }
        fresh.key_status = KeyStatus {
            state: KeyState::Available,
            checked_at_ms: now_ms(),
            error: None,
        };
        self.save_vault(&fresh).await?;
        *rec = fresh;
        Ok(())
    }

    async fn test(&self, workspace: &str, rec: &mut VaultRecord) -> Res<()> {
        let Some(azure) = rec.azure.as_ref() else {
            return Ok(());
        };
        let secret = self.client_secret(workspace, rec)?;
        let wrapped = unb64(&rec.wrapped_vault_key)?;
        match self.check_connection(azure, &secret, &wrapped).await {
            Ok(_) => self.set_key_status(rec, KeyState::Available, None).await,
            Err(EdgeError::Catalog(cause)) => {
                let body = cause.body();
                self.set_key_status(rec, KeyState::Unreachable, Some(body))
                    .await?;
                Err(cause.into())
            }
            Err(other) => Err(other),
        }
    }

    async fn create_item(
        &self,
        workspace: &str,
        rec: &mut VaultRecord,
        actor: &Actor,
        form: &ItemForm,
    ) -> Res<ItemSummary> {
        let vault_key = self.vault_key(workspace, rec).await?;
        let id = new_id("i")?;
        let data_key = SecretKey::generate()?;
        let content = data_key.seal(
            &serde_json::to_vec(form)?,
            item_aad(workspace, &rec.id, &id).as_bytes(),
        )?;
        let wrapped_dk = vault_key.seal(
            data_key.bytes(),
            data_key_aad(workspace, &rec.id, &id).as_bytes(),
        )?;
        let item = ItemRecord {
            id: id.clone(),
            vault_id: rec.id.clone(),
            kind: form.kind,
            created_at_ms: now_ms(),
            created_by: actor.name.clone(),
            wrapped_data_key: b64(&wrapped_dk),
            content: b64(&content),
        };
        self.state
            .storage()
            .put(
                &format!("{ITEM_PREFIX}{}/{id}", rec.id),
                serde_json::to_string(&item)?,
            )
            .await?;
        Ok(item_summary(&item))
    }

    async fn read_item(
        &self,
        workspace: &str,
        rec: &mut VaultRecord,
        item: &ItemRecord,
    ) -> Res<Item> {
        let vault_key = self.vault_key(workspace, rec).await?;
        let data_key = key_from_bytes(&vault_key.open(
            &unb64(&item.wrapped_data_key)?,
            data_key_aad(workspace, &rec.id, &item.id).as_bytes(),
        )?)?;
        let plain = data_key.open(
            &unb64(&item.content)?,
            item_aad(workspace, &rec.id, &item.id).as_bytes(),
        )?;
        let content: ItemForm = serde_json::from_slice(&plain).map_err(|_| EdgeError::Crypto)?;
        Ok(Item {
            summary: item_summary(item),
            content,
        })
    }
}

fn item_summary(i: &ItemRecord) -> ItemSummary {
    ItemSummary {
        id: i.id.clone(),
        vault_id: i.vault_id.clone(),
        kind: i.kind,
        created_at_ms: i.created_at_ms,
        created_by: i.created_by.clone(),
    }
}
