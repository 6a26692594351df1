//! Vault management (seed 001, "Azure External Keys"): the bodies exchanged
//! between the SPA and the edge under `/api/workspaces/{workspace}/vaults`,
//! the checks both sides run on them, and the few vault-specific error bodies.
//!
//! Forms carry plain strings so the edge can name the field at fault;
//! [`CreateVaultForm::validate`] turns one into validated types with the same
//! code in the browser and at the edge.

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, ErrorBody};
use crate::{ClientId, ClientSecret, CompanyId, KeyId, KeyName, TenantId, VaultUri};

/// Roles of the host product that may manage a workspace's vaults.
pub const VAULT_MANAGER_ROLES: [&str; 3] = [
    "workspace_owner",
    "workspace_super_admin",
    "workspace_admin",
];
/// Roles of the host product that may store and read items in a workspace.
pub const WORKSPACE_ROLES: [&str; 4] = [
    "workspace_owner",
    "workspace_super_admin",
    "workspace_admin",
    "workspace_member",
];
/// Longest vault name, in characters.
pub const VAULT_NAME_MAX: usize = 64;
/// Longest item name, in characters.
pub const ITEM_NAME_MAX: usize = 128;
/// Longest item secret (password or secret value), in bytes.
pub const ITEM_SECRET_MAX: usize = 8 * 1024;
/// Longest other item text field (username, URL, notes), in bytes.
pub const ITEM_TEXT_MAX: usize = 4 * 1024;

/// Whether `role` may manage vaults of `workspace`, given the workspaces its
/// session lists.
#[must_use]
pub fn may_manage_vaults<S: AsRef<str>>(role: &str, workspaces: &[S], workspace: &str) -> bool {
    VAULT_MANAGER_ROLES.contains(&role) && workspaces.iter().any(|w| w.as_ref() == workspace)
}

/// Whether `role` may store and read items in `workspace`.
#[must_use]
pub fn may_use_items<S: AsRef<str>>(role: &str, workspaces: &[S], workspace: &str) -> bool {
    WORKSPACE_ROLES.contains(&role) && workspaces.iter().any(|w| w.as_ref() == workspace)
}

/// A workspace id (the host product's id, same rules as a company id).
pub type WorkspaceId = CompanyId;

/// How a vault's vault key is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultStrategy {
    /// The platform's default cloud strategy: the vault key is protected by
    /// the service's own key ("CyberSentriq-managed").
    Cloud,
    /// The vault key is wrapped by the customer's Azure Key Vault RSA 4096
    /// key, reached with the customer's own service principal.
    AzureExternalKeys,
}

impl VaultStrategy {
    /// The name shown in the Strategy list and the vault table.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Cloud => "Cloud (CyberSentriq-managed)",
            Self::AzureExternalKeys => "Azure External Keys",
        }
    }

    /// Parses the wire name (`cloud`, `azure_external_keys`).
    ///
    /// # Errors
    /// [`CatalogError::InvalidField`] for anything else.
    pub fn parse(s: &str) -> Result<Self, CatalogError> {
        match s.trim() {
            "cloud" => Ok(Self::Cloud),
            "azure_external_keys" => Ok(Self::AzureExternalKeys),
            _ => Err(CatalogError::InvalidField {
                field: "strategy".into(),
                reason: "Choose the cloud strategy or Azure External Keys".into(),
            }),
        }
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::AzureExternalKeys => "azure_external_keys",
        }
    }
}

fn invalid(field: &str, reason: &str) -> CatalogError {
    CatalogError::InvalidField {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A vault's display name: trimmed, 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VaultName(String);

impl VaultName {
    /// Checks a vault name.
    ///
    /// # Errors
    /// [`CatalogError::InvalidField`] on field `name`.
    pub fn new(input: &str) -> Result<Self, CatalogError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid("name", "Enter a vault name"));
        }
        if s.chars().count() > VAULT_NAME_MAX {
            return Err(invalid(
                "name",
                "The vault name must be at most 64 characters",
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(invalid(
                "name",
                "The vault name must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two names are the same for uniqueness (case-insensitive).
    #[must_use]
    pub fn same_as(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.trim().to_lowercase()
    }
}

impl TryFrom<String> for VaultName {
    type Error = CatalogError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<VaultName> for String {
    fn from(v: VaultName) -> Self {
        v.0
    }
}

/// The Azure step of **Create new vault**, as typed. `Debug` redacts the
/// client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AzureForm {
    /// Application (client) ID of the customer's app registration.
    pub client_id: String,
    /// Directory (tenant) ID.
    pub tenant_id: String,
    /// The client secret's Value. Write-only: never returned by the API.
    pub client_secret: String,
    /// Vault URL (the vault base URI).
    pub vault_uri: String,
    /// Vault Key Name.
    pub key_name: String,
}

impl core::fmt::Debug for AzureForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AzureForm")
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("client_secret", &"[redacted]")
            .field("vault_uri", &self.vault_uri)
            .field("key_name", &self.key_name)
            .finish()
    }
}

/// The Azure connection after validation.
#[derive(Debug)]
pub struct AzureConnection {
    /// Application (client) ID.
    pub client_id: ClientId,
    /// Directory (tenant) ID.
    pub tenant_id: TenantId,
    /// The client secret (redacted `Debug`, not `Clone`).
    pub client_secret: ClientSecret,
    /// Vault base URI.
    pub vault_uri: VaultUri,
    /// Key name.
    pub key_name: KeyName,
}

impl AzureForm {
    /// Validates every field, first failure first (in form order).
    ///
    /// # Errors
    /// The catalog error naming the field.
    pub fn validate(&self) -> Result<AzureConnection, CatalogError> {
        Ok(AzureConnection {
            client_id: self.client_id.parse().map_err(CatalogError::from)?,
            tenant_id: self.tenant_id.parse().map_err(CatalogError::from)?,
            client_secret: self.client_secret.parse().map_err(CatalogError::from)?,
            vault_uri: self.vault_uri.parse().map_err(CatalogError::from)?,
            key_name: self.key_name.parse().map_err(CatalogError::from)?,
        })
    }
}

/// `POST /api/workspaces/{workspace}/vaults`: **Create new vault**.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVaultForm {
    /// Vault name.
    pub name: String,
    /// `cloud` or `azure_external_keys`.
    pub strategy: String,
    /// Set as default vault.
    #[serde(default)]
    pub is_default: bool,
    /// The Azure step; required for Azure External Keys, refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure: Option<AzureForm>,
}

/// A create request after validation.
#[derive(Debug)]
pub struct CreateVault {
    /// Vault name.
    pub name: VaultName,
    /// Strategy.
    pub strategy: VaultStrategy,
    /// Whether it becomes the default vault.
    pub is_default: bool,
    /// The Azure connection (Azure External Keys only).
    pub azure: Option<AzureConnection>,
}

impl CreateVaultForm {
    /// Validates the form.
    ///
    /// # Errors
    /// The catalog error naming the field at fault.
    pub fn validate(&self) -> Result<CreateVault, CatalogError> {
        let name = VaultName::new(&self.name)?;
        let strategy = VaultStrategy::parse(&self.strategy)?;
        let azure = match (strategy, &self.azure) {
            (VaultStrategy::AzureExternalKeys, Some(form)) => Some(form.validate()?),
            (VaultStrategy::AzureExternalKeys, None) => {
                return Err(invalid(
                    "azure",
                    "Azure External Keys needs the Client ID, Tenant ID, Client Secret, Vault URL and Vault Key Name",
                ));
            }
            (VaultStrategy::Cloud, Some(_)) => {
                return Err(invalid(
                    "azure",
                    "The cloud strategy takes no Azure settings",
                ));
            }
            (VaultStrategy::Cloud, None) => None,
        };
        Ok(CreateVault {
            name,
            strategy,
            is_default: self.is_default,
            azure,
        })
    }
}

/// `PUT …/vaults/{vault}/client-secret`: replace the client secret (the
/// connection is tested with it before it is stored). `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSecretForm {
    /// The new client secret's Value.
    pub client_secret: String,
}

impl core::fmt::Debug for ReplaceSecretForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ReplaceSecretForm { client_secret: [redacted] }")
    }
}

impl ReplaceSecretForm {
    /// Validates the secret.
    ///
    /// # Errors
    /// The catalog error on field `client_secret`.
    pub fn validate(&self) -> Result<ClientSecret, CatalogError> {
        self.client_secret.parse().map_err(CatalogError::from)
    }
}

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
}

/// `GET /api/workspaces/{workspace}/vaults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultList {
    /// The workspace.
    pub workspace_id: String,
    /// Its vaults, oldest first.
    pub vaults: Vec<VaultSummary>,
}

/// What kind of item a vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// An account: name, username, password, URL.
    Account,
    /// A secret: name and value.
    Secret,
}

/// `POST …/vaults/{vault}/items`: store an item. Every field is encrypted at
/// rest. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemForm {
    /// Account or secret.
    pub kind: ItemKind,
    /// Item name.
    pub name: String,
    /// Username (accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (accounts) or value (secrets).
    pub secret: String,
    /// Website (accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl core::fmt::Debug for ItemForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ItemForm")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ItemForm {
    /// Checks lengths and required fields; trims the name.
    ///
    /// # Errors
    /// [`CatalogError::InvalidField`] naming the field.
    pub fn validate(mut self) -> Result<Self, CatalogError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(invalid("name", "Enter a name for the item"));
        }
        if self.name.chars().count() > ITEM_NAME_MAX || self.name.chars().any(char::is_control) {
            return Err(invalid(
                "name",
                "The item name must be at most 128 characters, without control characters",
            ));
        }
        if self.secret.is_empty() {
            return Err(invalid("secret", "Enter the password or secret value"));
        }
        if self.secret.len() > ITEM_SECRET_MAX {
            return Err(invalid("secret", "The secret must be at most 8 KiB"));
        }
        for (field, value) in [
            ("username", &self.username),
            ("url", &self.url),
            ("notes", &self.notes),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > ITEM_TEXT_MAX) {
                return Err(invalid(field, "This field must be at most 4 KiB"));
            }
        }
        if self.kind == ItemKind::Secret && (self.username.is_some() || self.url.is_some()) {
            return Err(invalid(
                "kind",
                "A secret has a name, a value and notes; store an account to keep a username or URL",
            ));
        }
        Ok(self)
    }
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

/// `GET …/vaults/{vault}/items/{item}`: the decrypted item.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Metadata.
    #[serde(flatten)]
    pub summary: ItemSummary,
    /// The content, decrypted.
    pub content: ItemForm,
}

impl core::fmt::Debug for Item {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Item")
            .field("summary", &self.summary)
            .field("content", &self.content)
            .finish()
    }
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

/// The refusal for a signed-in user whose role may not do this in the
/// workspace (403, code `forbidden_role`, with a workspace-specific fix).
#[must_use]
pub fn forbidden_vault_role() -> ErrorBody {
    let base = CatalogError::ForbiddenRole.body();
    ErrorBody {
        fix: "Ask a Workspace Owner, Super Admin or Admin of this workspace.".into(),
        detail: Some("Only Workspace Owners, Super Admins and Admins can manage vaults.".into()),
        ..base
    }
}

/// Code of the error a read gets when the vault's Azure key cannot be used.
pub const VAULT_KEY_UNREACHABLE: &str = "vault_key_unreachable";

/// The error an item read (or write) gets when the Azure key protecting the
/// vault cannot be used: says the key is unreachable and why (`cause`), and
/// that nothing was lost. Status: 503/429 for outages and throttling, 422
/// otherwise.
#[must_use]
pub fn vault_key_unreachable(
    cause: &CatalogError,
    key: &KeyId,
    client_id: &ClientId,
) -> (u16, ErrorBody) {
    let status = match cause.status() {
        s @ (429 | 503) => s,
        _ => 422,
    };
    let why = match cause {
        CatalogError::KeyVaultForbidden => format!(
            "Azure Key Vault refused the service principal (client ID {client_id}) the use of the key: it has no Key Vault Crypto User role (or higher) on the vault or key any more."
        ),
        other => other.message(),
    };
    let body = ErrorBody {
        code: VAULT_KEY_UNREACHABLE.into(),
        message: format!("The Azure key that protects this vault is unreachable: {why}"),
        fix: cause.fix(),
        field: None,
        detail: Some(format!(
            "Key {}: {} ({}). The items in this vault are encrypted under that key and can't be read until access is restored. Nothing is lost: once access is restored they can be read again.",
            key.as_str(),
            cause.message(),
            cause.code()
        )),
    };
    (status, body)
}

/// Exactly one of the two providers' messages when a second cloud vault of
/// the same provider is asked for.
#[must_use]
pub fn cloud_vault_exists(strategy: VaultStrategy) -> CatalogError {
    match strategy {
        VaultStrategy::AzureExternalKeys => CatalogError::CloudVaultExists,
        VaultStrategy::Cloud => CatalogError::Conflict {
            reason: "This workspace already has a cloud vault protected by the CyberSentriq-managed key. Only one cloud vault per provider is supported.".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure() -> AzureForm {
        AzureForm {
            client_id: "0c9d8e7f-1111-4a2b-8c3d-00000000c001".into(),
            tenant_id: "72f988bf-0000-4c3a-9d6e-c0ffee000001".into(),
            client_secret: "contoso-app-secret-001".into(),
            vault_uri: "https://contoso-kms.vault.azure.net/".into(),
            key_name: "company-kek".into(),
        }
    }

    #[test]
    fn roles() {
        for r in VAULT_MANAGER_ROLES {
            assert!(may_manage_vaults(r, &["ws1"], "ws1"));
            assert!(!may_manage_vaults(r, &["ws2"], "ws1"));
        }
        assert!(!may_manage_vaults("workspace_member", &["ws1"], "ws1"));
        assert!(!may_manage_vaults("company_admin", &["ws1"], "ws1"));
        assert!(may_use_items("workspace_member", &["ws1"], "ws1"));
        assert!(!may_use_items("partner_admin", &["ws1"], "ws1"));
    }

    #[test]
    fn create_form_validates_each_field() {
        let ok = CreateVaultForm {
            name: "  Finance ".into(),
            strategy: "azure_external_keys".into(),
            is_default: true,
            azure: Some(azure()),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.name.as_str(), "Finance");
        let a = ok.azure.unwrap();
        assert_eq!(a.vault_uri.as_str(), "https://contoso-kms.vault.azure.net");
        assert!(!format!("{a:?}").contains("contoso-app-secret"));
        assert!(!format!("{:?}", azure()).contains("contoso-app-secret"));

        let mut bad = azure();
        bad.vault_uri = "https://contoso-kms.vault.azure.net/keys/company-kek".into();
        let e = CreateVaultForm {
            name: "x".into(),
            strategy: "azure_external_keys".into(),
            is_default: false,
            azure: Some(bad),
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.code(), "uri_contains_key_path");

        let e = CreateVaultForm {
            name: "x".into(),
            strategy: "aws".into(),
            is_default: false,
            azure: None,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field().as_deref(), Some("strategy"));
        let e = CreateVaultForm {
            name: " ".into(),
            strategy: "cloud".into(),
            is_default: false,
            azure: None,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field().as_deref(), Some("name"));
        let e = CreateVaultForm {
            name: "x".into(),
            strategy: "azure_external_keys".into(),
            is_default: false,
            azure: None,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field().as_deref(), Some("azure"));
    }

    #[test]
    fn unreachable_says_why() {
        let kid: KeyId =
            "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        let client: ClientId = "0c9d8e7f-1111-4a2b-8c3d-00000000c001".parse().unwrap();
        let (status, body) = vault_key_unreachable(&CatalogError::KeyVaultForbidden, &kid, &client);
        assert_eq!(status, 422);
        assert_eq!(body.code, VAULT_KEY_UNREACHABLE);
        assert!(body.message.contains("unreachable"));
        assert!(body.message.contains("Key Vault Crypto User"));
        let (status, _) = vault_key_unreachable(&CatalogError::AzureUnavailable, &kid, &client);
        assert_eq!(status, 503);
    }

    #[test]
    fn item_form_checks() {
        let f = ItemForm {
            kind: ItemKind::Secret,
            name: " api ".into(),
            username: None,
            secret: "s".into(),
            url: None,
            notes: None,
        };
        assert_eq!(f.clone().validate().unwrap().name, "api");
        assert!(!format!("{f:?}").contains("\"s\""));
        let mut g = f.clone();
        g.secret = String::new();
        assert_eq!(g.validate().unwrap_err().field().as_deref(), Some("secret"));
    }
}
