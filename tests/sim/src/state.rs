//! The simulated world: tenants, apps, vaults, Google customers, companies.
//!
//! Everything lives in one [`World`] behind a mutex inside [`Sim`]; handlers
//! take the lock briefly, copy what they need and never hold it across an
//! `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::faults::Faults;
use crate::forge::LazyRsa;
use crate::requestlog::RequestLog;
use crate::util::lock;

/// Entra directory role template ids and names.
pub const DIRECTORY_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
];
/// Global Administrator role template id.
pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Privileged Role Administrator role template id.
pub const PRIVILEGED_ROLE_ADMIN: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

/// Resolves a directory role given by name or template id.
pub fn directory_role_id(name_or_id: &str) -> Option<&'static str> {
    DIRECTORY_ROLES
        .iter()
        .find(|(id, name)| {
            id.eq_ignore_ascii_case(name_or_id) || name.eq_ignore_ascii_case(name_or_id)
        })
        .map(|(id, _)| *id)
}

/// Display name of a directory role template id.
pub fn directory_role_name(id: &str) -> &str {
    DIRECTORY_ROLES
        .iter()
        .find(|(rid, _)| *rid == id)
        .map(|(_, n)| *n)
        .unwrap_or(id)
}

/// An Entra tenant (directory).
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    /// Tenant id (GUID).
    pub id: String,
    /// Display name, e.g. "Contoso".
    pub name: String,
    /// Initial domain, e.g. `contoso.onmicrosoft.com`.
    pub domain: String,
    /// The cloud whose Entra authority holds the tenant: a tenant of the
    /// public cloud does not exist for `login.chinacloudapi.cn` or
    /// `login.microsoftonline.us`, and the other way round.
    pub cloud: Cloud,
}

/// A user of an Entra tenant.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Object id (GUID).
    pub oid: String,
    /// Home tenant id.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// User principal name.
    pub upn: String,
    /// Directory role template ids.
    pub roles: Vec<String>,
}

impl User {
    /// May this user grant tenant-wide admin consent?
    pub fn can_admin_consent(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r == GLOBAL_ADMIN || r == PRIVILEGED_ROLE_ADMIN)
    }
}

/// The product's multi-tenant connector app.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorApp {
    /// Application (client) id.
    pub client_id: String,
    /// Client secret known to the product.
    pub secret: String,
    /// Display name of the app and its service principals.
    pub name: String,
    /// Registered redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
    /// The cloud the app is registered in: each sovereign cloud has its own
    /// app registrations (PROTOCOLS.md), so the connector is one app per cloud.
    pub cloud: Cloud,
    /// The app manifest's `groupMembershipClaims` asks for directory roles
    /// (`DirectoryRole` or `All`): only then do its ID tokens carry `wids`
    /// (Entra's access-token claims reference). `false` is the toggle for a
    /// connector registered without it.
    pub wids_claim: bool,
}

/// A service principal: an app's identity inside one tenant.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePrincipal {
    /// Object id (GUID) — the `oid` of its app-only tokens.
    pub object_id: String,
    /// Tenant holding it.
    pub tenant_id: String,
    /// The app's client id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
    /// Who granted admin consent (connector only).
    pub consented_by: Option<String>,
    /// Scopes granted.
    pub scope: String,
}

/// A client secret of a customer-created app.
#[derive(Debug, Clone, Serialize)]
pub struct AppSecret {
    /// Key id (GUID).
    pub id: String,
    /// The secret value.
    pub value: String,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// A customer-created single-tenant app registration.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerApp {
    /// Application (client) id.
    pub client_id: String,
    /// Home tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// Its client secrets.
    pub secrets: Vec<AppSecret>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
}

/// Which Azure cloud a vault lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Azure public cloud.
    Public,
    /// Azure operated by 21Vianet.
    China,
    /// Azure US Government.
    Usgov,
}

/// Vault or Managed HSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultKind {
    /// A Key Vault (standard or premium).
    Vault,
    /// A Managed HSM pool.
    ManagedHsm,
}

/// How a vault decides data-plane access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionModel {
    /// Azure RBAC role assignments.
    Rbac,
    /// Legacy vault access policies.
    AccessPolicy,
}

/// The data-plane resource (token audience) of a cloud and kind: Azure SDK
/// environment tables (`ResourceIdentifiers.KeyVault` of go-autorest's
/// `environments.go`: `https://vault.azure.cn`, `https://vault.usgovcloudapi.net`);
/// the Managed HSM ones of the sovereign clouds follow the same pattern
/// (unconfirmed, PROTOCOLS.md).
pub fn resource(cloud: Cloud, kind: VaultKind) -> &'static str {
    match (kind, cloud) {
        (VaultKind::Vault, Cloud::Public) => "https://vault.azure.net",
        (VaultKind::Vault, Cloud::China) => "https://vault.azure.cn",
        (VaultKind::Vault, Cloud::Usgov) => "https://vault.usgovcloudapi.net",
        (VaultKind::ManagedHsm, Cloud::Public) => "https://managedhsm.azure.net",
        (VaultKind::ManagedHsm, Cloud::China) => "https://managedhsm.azure.cn",
        (VaultKind::ManagedHsm, Cloud::Usgov) => "https://managedhsm.usgovcloudapi.net",
    }
}

impl Cloud {
    /// Every cloud.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::Usgov];

    /// The simulator's path for this cloud's Entra authority: `/entra`
    /// stands for `https://login.microsoftonline.com`, `/entra-china` for
    /// `https://login.chinacloudapi.cn`, `/entra-usgov` for
    /// `https://login.microsoftonline.us`.
    pub fn authority_path(self) -> &'static str {
        match self {
            Cloud::Public => "entra",
            Cloud::China => "entra-china",
            Cloud::Usgov => "entra-usgov",
        }
    }

    /// The real authority host this cloud's Entra stands for.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "login.microsoftonline.com",
            Cloud::China => "login.chinacloudapi.cn",
            Cloud::Usgov => "login.microsoftonline.us",
        }
    }

    /// The `iss` of this cloud's v1 app-only tokens.
    pub fn sts(self) -> &'static str {
        match self {
            Cloud::Public => "https://sts.windows.net",
            Cloud::China => "https://sts.chinacloudapi.cn",
            Cloud::Usgov => "https://login.microsoftonline.us",
        }
    }

    /// Is `resource` (a scope without `/.default`) a Key Vault or Managed
    /// HSM resource of another cloud? Entra answers AADSTS500011 for it.
    pub fn foreign_vault_resource(self, resource: &str) -> bool {
        let r = resource.trim_end_matches('/');
        Cloud::ALL.iter().any(|c| {
            *c != self
                && [VaultKind::Vault, VaultKind::ManagedHsm]
                    .iter()
                    .any(|k| self::resource(*c, *k) == r)
        })
    }
}

/// Host suffix for a cloud and kind.
pub fn host_suffix(cloud: Cloud, kind: VaultKind) -> &'static str {
    match (kind, cloud) {
        (VaultKind::Vault, Cloud::Public) => "vault.azure.net",
        (VaultKind::Vault, Cloud::China) => "vault.azure.cn",
        (VaultKind::Vault, Cloud::Usgov) => "vault.usgovcloudapi.net",
        (VaultKind::ManagedHsm, Cloud::Public) => "managedhsm.azure.net",
        (VaultKind::ManagedHsm, Cloud::China) => "managedhsm.azure.cn",
        (VaultKind::ManagedHsm, Cloud::Usgov) => "managedhsm.usgovcloudapi.net",
    }
}

/// Key type as Key Vault names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kty {
    /// Software-protected RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// HSM-protected RSA.
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
    /// Elliptic curve.
    #[serde(rename = "EC")]
    Ec,
    /// HSM-protected elliptic curve.
    #[serde(rename = "EC-HSM")]
    EcHsm,
}

impl Kty {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kty::Rsa => "RSA",
            Kty::RsaHsm => "RSA-HSM",
            Kty::Ec => "EC",
            Kty::EcHsm => "EC-HSM",
        }
    }
    /// HSM-protected?
    pub fn hsm(self) -> bool {
        matches!(self, Kty::RsaHsm | Kty::EcHsm)
    }
}

/// Key material of one version.
#[derive(Debug, Clone)]
pub enum Material {
    /// RSA key pair (lazily generated).
    Rsa(Arc<LazyRsa>),
    /// EC public coordinates (stored only so clients can see the key type).
    Ec {
        /// Curve name (`P-256`, …).
        crv: String,
        /// base64url x.
        x: String,
        /// base64url y.
        y: String,
    },
}

/// One version of a key.
#[derive(Debug, Clone)]
pub struct KeyVersion {
    /// 32 hex chars.
    pub version: String,
    /// Key type.
    pub kty: Kty,
    /// Key material.
    pub material: Material,
    /// Enabled flag.
    pub enabled: bool,
    /// Not-before (Unix seconds).
    pub nbf: Option<i64>,
    /// Expiry (Unix seconds).
    pub exp: Option<i64>,
    /// Permitted operations.
    pub key_ops: Vec<String>,
    /// Creation time.
    pub created: i64,
    /// Last update time.
    pub updated: i64,
    /// The version's tags (Key Vault keeps tags per version).
    pub tags: std::collections::BTreeMap<String, String>,
}

impl KeyVersion {
    /// RSA size in bits (0 for EC).
    pub fn bits(&self) -> usize {
        match &self.material {
            Material::Rsa(k) => k.bits(),
            Material::Ec { .. } => 0,
        }
    }
}

/// A named key; the last version is the current one.
#[derive(Debug, Clone)]
pub struct Key {
    /// Versions, oldest first.
    pub versions: Vec<KeyVersion>,
}

impl Key {
    /// The current version.
    pub fn latest(&self) -> Option<&KeyVersion> {
        self.versions.last()
    }
    /// A version by id (case-insensitive).
    pub fn version(&self, v: &str) -> Option<&KeyVersion> {
        self.versions
            .iter()
            .find(|kv| kv.version.eq_ignore_ascii_case(v))
    }
}

/// An Azure RBAC role assignment on a vault (or one key of it).
#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    /// Assignment id (GUID).
    pub id: String,
    /// Principal object id.
    pub principal_id: String,
    /// Role definition id.
    pub role_id: String,
    /// Role name.
    pub role_name: String,
    /// Key name when scoped to one key.
    pub key: Option<String>,
}

/// A vault access policy entry.
#[derive(Debug, Clone, Serialize)]
pub struct AccessPolicy {
    /// Principal object id.
    pub object_id: String,
    /// Key permissions (`get`, `wrapKey`, `unwrapKey`, …).
    pub keys: Vec<String>,
    /// Secret permissions.
    pub secrets: Vec<String>,
}

/// A Key Vault or Managed HSM.
#[derive(Debug, Clone)]
pub struct Vault {
    /// Vault name.
    pub name: String,
    /// Canonical host, e.g. `contoso-kms.vault.azure.net`.
    pub host: String,
    /// Cloud.
    pub cloud: Cloud,
    /// Kind.
    pub kind: VaultKind,
    /// Tenant the vault trusts.
    pub tenant_id: String,
    /// Subscription (for error messages).
    pub subscription_id: String,
    /// Resource group (for error messages).
    pub resource_group: String,
    /// Region.
    pub location: String,
    /// Permission model.
    pub model: PermissionModel,
    /// Extra Host header values that address this vault (`localhost:8791`).
    pub aliases: Vec<String>,
    /// Keys by name.
    pub keys: BTreeMap<String, Key>,
    /// Secrets by name (value only; they exist so a secret name is not a key).
    pub secrets: BTreeMap<String, String>,
    /// RBAC assignments.
    pub role_assignments: Vec<RoleAssignment>,
    /// Access policies.
    pub access_policies: Vec<AccessPolicy>,
    /// Overrides the per-10-second request limit (tests).
    pub throttle_limit: Option<u32>,
    /// The vault's firewall refuses every data-plane call (public network
    /// access disabled, or the caller's address not allowed): 403
    /// `ForbiddenByFirewall`.
    pub firewall: bool,
    /// Which recorded firewall answer the vault gives.
    pub firewall_variant: FirewallVariant,
    /// The vault answers every data-plane call 403 "Access denied to first
    /// party service" (inner `AccessDenied`): only trusted Microsoft
    /// services may call it.
    pub first_party_only: bool,
    /// Soft-deleted keys by name: recoverable until purged.
    pub deleted_keys: BTreeMap<String, DeletedKey>,
}

/// The recorded wordings of a firewall 403 (all inner `ForbiddenByFirewall`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirewallVariant {
    /// "Client address is not authorized and caller is not a trusted service."
    #[default]
    ClientAddress,
    /// "Public network access is disabled and request is not from a trusted
    /// service nor via an approved private link."
    PublicNetworkDisabled,
    /// "Request was not allowed by NSP rules …"
    Perimeter,
}

/// A soft-deleted key (`/deletedkeys/{name}`).
#[derive(Debug, Clone)]
pub struct DeletedKey {
    /// The key with its versions.
    pub key: Key,
    /// When it was deleted (Unix seconds).
    pub deleted_date: i64,
    /// When Key Vault purges it (Unix seconds).
    pub scheduled_purge_date: i64,
}

impl Vault {
    /// Looks a key up case-insensitively.
    pub fn key(&self, name: &str) -> Option<(&String, &Key)> {
        self.keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))
    }
    /// Token audience / challenge resource: the vault's cloud's Key Vault
    /// (or Managed HSM) resource (SDK environment tables, PROTOCOLS.md).
    pub fn resource(&self) -> &'static str {
        resource(self.cloud, self.kind)
    }
}

/// Google Workspace roles of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoogleRole {
    /// Super admin (`isAdmin`).
    SuperAdmin,
    /// Delegated admin (`isDelegatedAdmin`).
    DelegatedAdmin,
    /// Plain user.
    User,
}

/// A Google Workspace customer.
#[derive(Debug, Clone, Serialize)]
pub struct GoogleCustomer {
    /// Customer id (`C0…`).
    pub id: String,
    /// Primary domain.
    pub domain: String,
}

/// A Google account.
#[derive(Debug, Clone, Serialize)]
pub struct GoogleUser {
    /// Numeric id (the `sub`).
    pub id: String,
    /// Primary email.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Workspace customer (none for consumer accounts).
    pub customer_id: Option<String>,
    /// Role.
    pub role: GoogleRole,
}

/// The product's Google OAuth client.
#[derive(Debug, Clone, Serialize)]
pub struct GoogleClient {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub secret: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
}

/// One backup set in the host product's inventory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind")]
pub enum BackupSet {
    /// A Microsoft 365 tenant's backups.
    #[serde(rename = "microsoft365")]
    Microsoft365 {
        /// Set id.
        id: String,
        /// Set name.
        name: String,
        /// Entra tenant id.
        tenant_id: String,
        /// Tenant display name.
        tenant_name: String,
    },
    /// A Google Workspace customer's backups.
    #[serde(rename = "google_workspace")]
    GoogleWorkspace {
        /// Set id.
        id: String,
        /// Set name.
        name: String,
        /// Google customer id.
        customer_id: String,
        /// Primary domain.
        domain: String,
    },
    /// A set of a kind keyswitch does not know (RedApp backs up more than
    /// Microsoft 365 and Google Workspace): listed with its own `kind`.
    #[serde(untagged)]
    Other {
        /// Set id.
        id: String,
        /// Set name.
        name: String,
        /// The kind, e.g. `dropbox`.
        kind: String,
    },
}

impl BackupSet {
    /// The set's id.
    pub fn id(&self) -> &str {
        match self {
            BackupSet::Microsoft365 { id, .. }
            | BackupSet::GoogleWorkspace { id, .. }
            | BackupSet::Other { id, .. } => id,
        }
    }
}

/// A company of the host product.
#[derive(Debug, Clone, Serialize)]
pub struct Company {
    /// Company id (`acme`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its backup sets.
    pub backup_sets: Vec<BackupSet>,
}

/// An authorization code waiting to be redeemed.
#[derive(Debug, Clone)]
pub struct PendingCode {
    /// Client it was issued to.
    pub client_id: String,
    /// Redirect URI it was issued for.
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub challenge: String,
    /// Nonce to echo in the ID token.
    pub nonce: Option<String>,
    /// User (Entra oid or Google id).
    pub user: String,
    /// Scopes granted.
    pub scope: String,
    /// Expiry.
    pub expires: i64,
}

/// A Google access token's grant.
#[derive(Debug, Clone)]
pub struct GoogleGrant {
    /// User id.
    pub user: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry.
    pub expires: i64,
}

/// Everything the simulator knows.
#[derive(Debug, Default)]
pub struct World {
    /// Entra tenants.
    pub tenants: Vec<Tenant>,
    /// Entra users.
    pub users: Vec<User>,
    /// The product's connector app in the public cloud.
    pub connector: Option<ConnectorApp>,
    /// Its registrations in the sovereign clouds (China, US Government).
    pub sovereign_connectors: Vec<ConnectorApp>,
    /// Switches for recorded shapes that are not confirmed either way.
    pub toggles: Toggles,
    /// Service principals (connector after consent, customer apps).
    pub service_principals: Vec<ServicePrincipal>,
    /// Customer-created apps.
    pub customer_apps: Vec<CustomerApp>,
    /// Vaults.
    pub vaults: Vec<Vault>,
    /// Google customers.
    pub google_customers: Vec<GoogleCustomer>,
    /// Google accounts.
    pub google_users: Vec<GoogleUser>,
    /// The product's Google client.
    pub google_client: Option<GoogleClient>,
    /// Companies by id.
    pub companies: BTreeMap<String, Company>,
    /// Entra authorization codes.
    pub entra_codes: HashMap<String, PendingCode>,
    /// Google authorization codes.
    pub google_codes: HashMap<String, PendingCode>,
    /// Google access tokens.
    pub google_tokens: HashMap<String, GoogleGrant>,
    /// Seed keys to warm in the background.
    pub warm: Vec<Arc<LazyRsa>>,
    /// Key rotation policies by (vault host, key name), lowercase.
    pub rotation_policies: BTreeMap<(String, String), crate::keyvault::rotation::RotationPolicy>,
    /// The Cloudflare account `wrangler secret …` talks to (`cloudflare`).
    pub cloudflare: crate::cloudflare::Account,
}

/// Switches for the shapes no recording settles (reviews/fidelity-607aafe.md
/// §1.1), so the product is tested against each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toggles {
    /// `GET /keys/{name}` of a disabled key: 200 with `enabled:false` (the
    /// default: ratify#1474's client-side check implies it), or 403
    /// `KeyDisabled` "Operation get is not allowed on a disabled key." (the
    /// shape of the recorded disabled-secret answer).
    pub disabled_key_get_forbidden: bool,
}

impl World {
    /// The connector app registered in `cloud`.
    pub fn connector_in(&self, cloud: Cloud) -> Option<&ConnectorApp> {
        match cloud {
            Cloud::Public => self.connector.as_ref(),
            _ => self.sovereign_connectors.iter().find(|c| c.cloud == cloud),
        }
    }
    /// Mutable connector app of `cloud`.
    pub fn connector_in_mut(&mut self, cloud: Cloud) -> Option<&mut ConnectorApp> {
        match cloud {
            Cloud::Public => self.connector.as_mut(),
            _ => self
                .sovereign_connectors
                .iter_mut()
                .find(|c| c.cloud == cloud),
        }
    }
    /// Tenant of `cloud` by GUID or domain (another cloud's tenant does not
    /// exist there).
    pub fn tenant_in(&self, cloud: Cloud, id_or_domain: &str) -> Option<&Tenant> {
        self.tenant(id_or_domain).filter(|t| t.cloud == cloud)
    }
    /// Tenant by GUID or domain (case-insensitive).
    pub fn tenant(&self, id_or_domain: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| {
            t.id.eq_ignore_ascii_case(id_or_domain) || t.domain.eq_ignore_ascii_case(id_or_domain)
        })
    }
    /// Tenant by GUID, domain or display name (control API convenience).
    pub fn tenant_loose(&self, s: &str) -> Option<&Tenant> {
        self.tenant(s)
            .or_else(|| self.tenants.iter().find(|t| t.name.eq_ignore_ascii_case(s)))
    }
    /// Vault by name or host.
    pub fn vault(&self, name_or_host: &str) -> Option<&Vault> {
        self.vaults.iter().find(|v| {
            v.name.eq_ignore_ascii_case(name_or_host) || v.host.eq_ignore_ascii_case(name_or_host)
        })
    }
    /// Mutable vault by name or host.
    pub fn vault_mut(&mut self, name_or_host: &str) -> Option<&mut Vault> {
        self.vaults.iter_mut().find(|v| {
            v.name.eq_ignore_ascii_case(name_or_host) || v.host.eq_ignore_ascii_case(name_or_host)
        })
    }
    /// Service principal of `app_id` in `tenant_id`.
    pub fn service_principal(&self, app_id: &str, tenant_id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|sp| sp.app_id.eq_ignore_ascii_case(app_id) && sp.tenant_id == tenant_id)
    }
    /// Google user by id or email.
    pub fn google_user(&self, key: &str) -> Option<&GoogleUser> {
        self.google_users
            .iter()
            .find(|u| u.id == key || u.email.eq_ignore_ascii_case(key))
    }
}

/// The running simulator: configuration plus mutable world.
pub struct Sim {
    /// Start-up configuration.
    pub config: Config,
    /// The world.
    pub world: Mutex<World>,
    /// Fault rules.
    pub faults: Mutex<Faults>,
    /// Request log.
    pub log: Mutex<RequestLog>,
    /// What the redirect target (`/_sink/…`) received.
    pub sink: Mutex<Vec<serde_json::Value>>,
    /// Key Vault throttling windows.
    pub throttle: Mutex<crate::keyvault::throttle::Windows>,
    /// Entra token-signing key.
    pub entra_key: Arc<LazyRsa>,
    /// Google token-signing key.
    pub google_key: Arc<LazyRsa>,
}

/// Shared handle passed to handlers.
pub type AppState = Arc<Sim>;

impl Sim {
    /// Builds the simulator and seeds the world.
    pub fn new(config: Config) -> Self {
        crate::forge::set_state_dir(config.state_dir.as_deref());
        let world = crate::seed::build(&config);
        let entra_key = crate::forge::stable("signing/entra", 2048);
        let google_key = crate::forge::stable("signing/google", 2048);
        Self {
            config,
            world: Mutex::new(world),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(RequestLog::default()),
            sink: Mutex::new(Vec::new()),
            throttle: Mutex::new(Default::default()),
            entra_key,
            google_key,
        }
    }

    /// Starts generating seed and signing keys in the background.
    pub fn warm_keys(&self) {
        let mut keys = vec![Arc::clone(&self.entra_key), Arc::clone(&self.google_key)];
        keys.extend(lock(&self.world).warm.iter().cloned());
        // Biggest first so the slow 4096-bit keys start early.
        keys.sort_by_key(|k| k.bits());
        crate::forge::warm(keys, 2);
    }

    /// Replaces the world with a fresh seed.
    pub fn reset(&self, seed: crate::config::Seed) {
        let mut cfg = self.config.clone();
        cfg.seed = seed;
        let world = crate::seed::build(&cfg);
        *lock(&self.world) = world;
        *lock(&self.faults) = Faults::default();
        *lock(&self.log) = RequestLog::default();
        lock(&self.sink).clear();
        *lock(&self.throttle) = Default::default();
    }
}
