//! Why a value typed by an administrator was refused.
//!
//! Every validated type of this crate fails with a [`ValidationError`]; the
//! error knows which form field it belongs to and how to fix it, and turns
//! into a [`CatalogError`](crate::CatalogError) for the API.

/// A refused input, with a reason written for the administrator who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The vault URI field is empty.
    #[error("Enter the vault URI")]
    VaultUriEmpty,
    /// The vault URI has no `https://` in front.
    #[error("The vault URI must start with https://")]
    VaultUriMissingScheme,
    /// The vault URI uses another scheme, e.g. `http`.
    #[error("The vault URI must use https, not {scheme}")]
    VaultUriNotHttps {
        /// The scheme that was typed.
        scheme: String,
    },
    /// Spaces, control or non-ASCII characters inside the URI.
    #[error("The vault URI contains spaces or characters that are not allowed")]
    VaultUriCharacters,
    /// `user:password@` in front of the host.
    #[error("The vault URI must not contain a user name or password")]
    VaultUriUserInfo,
    /// `:port` after the host.
    #[error("The vault URI must not contain a port")]
    VaultUriPort,
    /// `?…` after the host.
    #[error("The vault URI must not contain a query (the part after '?')")]
    VaultUriQuery,
    /// `#…` after the host.
    #[error("The vault URI must not contain a fragment (the part after '#')")]
    VaultUriFragment,
    /// The host is not a Key Vault or Managed HSM host of a supported cloud.
    #[error("{host} is not an Azure Key Vault or Managed HSM host")]
    VaultUriUnknownHost {
        /// The host that was typed (lowercased).
        host: String,
    },
    /// The vault's cloud has no connector in this deployment (checked with
    /// [`crate::VaultUri::check_cloud`] by the browser and the edge alike).
    #[error("{} vaults can't be used here: CyberSentriq has no connector for that cloud", .cloud.name())]
    VaultCloudNotConfigured {
        /// The vault's cloud.
        cloud: crate::vault_uri::Cloud,
        /// The clouds that have a connector.
        available: Vec<crate::vault_uri::Cloud>,
    },
    /// The vault name is shorter than 3 or longer than 24 characters.
    #[error("The vault name must be 3 to 24 characters long; \"{name}\" has {len}")]
    VaultNameLength {
        /// The vault name found in the host.
        name: String,
        /// Its length in characters.
        len: usize,
    },
    /// The vault name starts with something other than a letter.
    #[error("The vault name must start with a letter; \"{name}\" does not")]
    VaultNameStart {
        /// The vault name found in the host.
        name: String,
    },
    /// The vault name ends with a hyphen.
    #[error("The vault name must end with a letter or digit; \"{name}\" does not")]
    VaultNameEnd {
        /// The vault name found in the host.
        name: String,
    },
    /// The vault name holds `--`.
    #[error("The vault name must not contain two hyphens in a row; \"{name}\" does")]
    VaultNameDoubleHyphen {
        /// The vault name found in the host.
        name: String,
    },
    /// The vault name holds something other than letters, digits and hyphens.
    #[error("The vault name may contain only letters, digits and hyphens; \"{name}\" does not")]
    VaultNameCharacters {
        /// The vault name found in the host.
        name: String,
    },
    /// A key URL (`/keys/name[/version]`) was pasted as the vault URI.
    #[error("The URI appears to contain the key path")]
    VaultUriKeyPath {
        /// The vault base URI to use instead.
        vault_uri: String,
        /// The key name to put in the Key Name field.
        key_name: String,
    },
    /// A secret URL (`/secrets/…`) was pasted as the vault URI.
    #[error("The URI appears to point to a secret")]
    VaultUriSecret,
    /// A certificate URL (`/certificates/…`) was pasted as the vault URI.
    #[error("The URI appears to point to a certificate")]
    VaultUriCertificate,
    /// A deleted-key URL (`/deletedkeys/…`) was pasted as the vault URI.
    #[error("The URI appears to point to a deleted key")]
    VaultUriDeletedKey {
        /// The vault base URI.
        vault_uri: String,
    },
    /// Any other path after the host.
    #[error("The vault URI must not contain a path; remove \"{path}\"")]
    VaultUriPath {
        /// The path that was found.
        path: String,
    },
    /// The key name is empty.
    #[error("Enter the key name")]
    KeyNameEmpty,
    /// The key name is longer than 127 characters.
    #[error("The key name must be at most 127 characters long; it has {len}")]
    KeyNameLength {
        /// Its length in characters.
        len: usize,
    },
    /// The key name holds something other than letters, digits and hyphens.
    #[error("The key name may contain only letters, digits and hyphens; '{found}' is not allowed")]
    KeyNameCharacters {
        /// The first character that is not allowed.
        found: char,
    },
    /// A key's URL (`https://{vault}/keys/{name}[/{version}]`) was pasted
    /// into the Key Name field: the fix puts each part in its own field.
    #[error("This is the key's URL, not its name")]
    KeyNameIsKeyUrl {
        /// The vault base URI the URL names.
        vault_uri: String,
        /// The key name the URL names.
        key_name: String,
    },
    /// `name/version` was typed into the Key Name field.
    #[error("The key name must not include a version")]
    KeyNameWithVersion {
        /// The key name before the version.
        key_name: String,
    },
    /// Another URL (a secret's, a certificate's, not a Key Vault's) was
    /// typed into the Key Name field.
    #[error("The key name must be a name, not a URL")]
    KeyNameIsUrl,
    /// A key version is not 32 letters and digits.
    #[error("A key version is 32 letters and digits")]
    KeyVersion,
    /// A key id (`kid`) is not `https://{vault}/keys/{name}[/{version}]`.
    #[error("The key id must look like https://<vault host>/keys/<name>/<version>")]
    KeyIdShape,
    /// The vault part of a key id is invalid.
    #[error("The key id's vault is not valid: {0}")]
    KeyIdVault(Box<ValidationError>),
    /// The name part of a key id is invalid.
    #[error("The key id's name is not valid: {0}")]
    KeyIdName(Box<ValidationError>),
    /// A tenant id is not a GUID.
    #[error("The tenant ID must be a GUID like 00000000-0000-0000-0000-000000000000")]
    TenantId,
    /// A client id is not a GUID.
    #[error("The client ID must be a GUID like 00000000-0000-0000-0000-000000000000")]
    ClientId,
    /// A Google customer id is not `C` followed by letters and digits.
    #[error(
        "The Google customer ID must look like C01abcd23 (a 'C' followed by letters and digits)"
    )]
    GoogleCustomerId,
    /// A Google Workspace domain is not a valid domain name.
    #[error("The domain must be a domain name like example.com")]
    GoogleDomain,
    /// The client secret is empty.
    #[error("Enter the client secret")]
    ClientSecretEmpty,
    /// The client secret is longer than any Entra secret.
    #[error("The client secret is too long")]
    ClientSecretLength,
    /// The client secret holds spaces or control characters.
    #[error("The client secret contains spaces or characters that are not allowed")]
    ClientSecretCharacters,
    /// A company id is not 1–64 letters, digits, '-' or '_'.
    #[error("The company ID must be 1 to 64 letters, digits, '-' or '_'")]
    CompanyId,
}

impl ValidationError {
    /// The form field (or API parameter) this error belongs to.
    #[must_use]
    pub fn field(&self) -> &'static str {
        use ValidationError as E;
        match self {
            E::VaultUriEmpty
            | E::VaultUriMissingScheme
            | E::VaultUriNotHttps { .. }
            | E::VaultUriCharacters
            | E::VaultUriUserInfo
            | E::VaultUriPort
            | E::VaultUriQuery
            | E::VaultUriFragment
            | E::VaultUriUnknownHost { .. }
            | E::VaultCloudNotConfigured { .. }
            | E::VaultNameLength { .. }
            | E::VaultNameStart { .. }
            | E::VaultNameEnd { .. }
            | E::VaultNameDoubleHyphen { .. }
            | E::VaultNameCharacters { .. }
            | E::VaultUriKeyPath { .. }
            | E::VaultUriSecret
            | E::VaultUriCertificate
            | E::VaultUriDeletedKey { .. }
            | E::VaultUriPath { .. } => "vault_uri",
            E::KeyNameEmpty
            | E::KeyNameLength { .. }
            | E::KeyNameCharacters { .. }
            | E::KeyNameIsKeyUrl { .. }
            | E::KeyNameWithVersion { .. }
            | E::KeyNameIsUrl => "key_name",
            E::KeyVersion | E::KeyIdShape | E::KeyIdVault(_) | E::KeyIdName(_) => "key_id",
            E::TenantId => "tenant_id",
            E::ClientId => "client_id",
            E::GoogleCustomerId => "customer_id",
            E::GoogleDomain => "domain",
            E::ClientSecretEmpty | E::ClientSecretLength | E::ClientSecretCharacters => {
                "client_secret"
            }
            E::CompanyId => "company_id",
        }
    }

    /// How to fix it, for the administrator.
    #[must_use]
    pub fn fix(&self) -> String {
        use ValidationError as E;
        const VAULT_FORMAT: &str = "Use the vault's base URI exactly as the Azure Portal shows it on the vault's Overview page, in the format https://your-vault-name.vault.azure.net/.";
        match self {
            E::VaultUriKeyPath {
                vault_uri,
                key_name,
            } => format!(
                "Use only the vault base URI ({vault_uri}). Put the key name ({key_name}) in the separate Key Name field."
            ),
            E::VaultUriSecret => "In the Azure Portal, open your Key Vault and go to Keys (not Secrets). Use an RSA key.".to_owned(),
            E::VaultCloudNotConfigured { cloud, available } => {
                crate::catalog::cloud_fix(*cloud, available)
            }
            E::VaultUriCertificate => format!(
                "Certificates are not keys. In the Azure Portal, open your Key Vault and go to Keys (not Certificates). Use an RSA key, and enter only the vault base URI here. {VAULT_FORMAT}"
            ),
            E::VaultUriDeletedKey { vault_uri } => format!(
                "That key was deleted. Recover it in the vault's Keys > Manage deleted keys, or choose another key; enter only the vault base URI ({vault_uri}) here."
            ),
            E::VaultUriUnknownHost { .. } => "Supported hosts are *.vault.azure.net, *.vault.azure.cn, *.vault.usgovcloudapi.net and the Managed HSM hosts *.managedhsm.azure.net, *.managedhsm.azure.cn and *.managedhsm.usgovcloudapi.net.".to_owned(),
            E::VaultNameLength { .. }
            | E::VaultNameStart { .. }
            | E::VaultNameEnd { .. }
            | E::VaultNameDoubleHyphen { .. }
            | E::VaultNameCharacters { .. } => format!(
                "Check the vault name for typos: Azure vault names are 3-24 letters, digits and hyphens, start with a letter, end with a letter or digit, and never contain two hyphens in a row. {VAULT_FORMAT}"
            ),
            E::VaultUriEmpty
            | E::VaultUriMissingScheme
            | E::VaultUriNotHttps { .. }
            | E::VaultUriCharacters
            | E::VaultUriUserInfo
            | E::VaultUriPort
            | E::VaultUriQuery
            | E::VaultUriFragment
            | E::VaultUriPath { .. } => VAULT_FORMAT.to_owned(),
            E::KeyNameIsKeyUrl {
                vault_uri,
                key_name,
            } => format!(
                "Use vault {vault_uri} and key {key_name}: the Vault URI field takes the vault's base URI, the Key Name field only the key's name. CyberSentriq always uses the key's current version."
            ),
            E::KeyNameWithVersion { key_name } => format!(
                "Use key {key_name}: enter the name without the version. CyberSentriq always uses the key's current version and follows its rotations."
            ),
            E::KeyNameEmpty
            | E::KeyNameLength { .. }
            | E::KeyNameCharacters { .. }
            | E::KeyNameIsUrl => {
                "Open the vault's Keys section in the Azure Portal and copy the exact key name (not the full URL).".to_owned()
            }
            E::KeyVersion | E::KeyIdShape | E::KeyIdVault(_) | E::KeyIdName(_) => {
                "Copy the key identifier from the key version's page in the Azure Portal.".to_owned()
            }
            E::TenantId => "Copy the Directory (tenant) ID from the app registration's Overview page in Microsoft Entra ID.".to_owned(),
            E::ClientId => "Copy the Application (client) ID from the app registration's Overview page in Microsoft Entra ID.".to_owned(),
            E::GoogleCustomerId => "Find the customer ID in the Google Admin console under Account > Account settings.".to_owned(),
            E::GoogleDomain => "Enter the primary domain of the Google Workspace account, without https:// or a path.".to_owned(),
            E::ClientSecretEmpty | E::ClientSecretLength | E::ClientSecretCharacters => {
                "Copy the client secret's Value (not its Secret ID) from Certificates & secrets of the app registration.".to_owned()
            }
            E::CompanyId => "Use the company ID exactly as the host product shows it.".to_owned(),
        }
    }
}

/// A one-click fix for a value typed into the wrong field (a key URL in
/// Vault URI or Key Name, a `name/version` in Key Name): the values to put
/// in each field. The browser offers it as a button; the edge refuses the
/// input with the same message and fix text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// What the button says, e.g. `Use vault https://… and key cmk`.
    pub label: String,
    /// The Vault URI to put in its field, when it changes.
    pub vault_uri: Option<String>,
    /// The key name to put in its field.
    pub key_name: String,
}

impl ValidationError {
    /// The one-click fix, when the value holds the right values in the
    /// wrong place.
    #[must_use]
    pub fn suggestion(&self) -> Option<Suggestion> {
        match self {
            Self::VaultUriKeyPath {
                vault_uri,
                key_name,
            }
            | Self::KeyNameIsKeyUrl {
                vault_uri,
                key_name,
            } => Some(Suggestion {
                label: format!("Use vault {vault_uri} and key {key_name}"),
                vault_uri: Some(vault_uri.clone()),
                key_name: key_name.clone(),
            }),
            Self::KeyNameWithVersion { key_name } => Some(Suggestion {
                label: format!("Use key {key_name}"),
                vault_uri: None,
                key_name: key_name.clone(),
            }),
            _ => None,
        }
    }
}
