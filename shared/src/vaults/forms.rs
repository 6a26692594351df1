//! The forms the SPA sends under `/api/workspaces/{workspace}/vaults`, as
//! typed: plain strings, so the edge can name the field at fault. Each form
//! parses into a validated type ([`CreateVault`], [`ClientSecret`],
//! [`ItemContent`]) with the same code in the browser and at the edge; only
//! the validated types go further.

use serde::{Deserialize, Serialize};

use super::ids::{VaultName, VaultStrategy};
use super::items::{ItemContent, ItemKind};
use crate::catalog::CatalogError;
use crate::{ClientId, ClientSecret, KeyId, KeyName, TenantId, VaultUri};

fn invalid(field: &str, reason: &str) -> CatalogError {
    CatalogError::InvalidField {
        field: field.to_owned(),
        reason: reason.to_owned(),
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

/// The customer's service principal and key, parsed from [`AzureForm`].
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

impl AzureConnection {
    /// The key, versionless: Key Vault wraps with its current version.
    #[must_use]
    pub fn key(&self) -> KeyId {
        KeyId::new(&self.vault_uri, &self.key_name, None)
    }
}

impl AzureForm {
    /// Parses every field, first failure first (in form order).
    ///
    /// # Errors
    /// The catalog error naming the field.
    pub fn parse(&self) -> Result<AzureConnection, CatalogError> {
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

/// How a new vault's key is to be protected.
#[derive(Debug)]
pub enum NewProtection {
    /// By the platform key (the cloud strategy).
    Cloud,
    /// By the customer's Azure key (Azure External Keys).
    Azure(AzureConnection),
}

/// A parsed **Create new vault**.
#[derive(Debug)]
pub struct CreateVault {
    /// Vault name.
    pub name: VaultName,
    /// Whether it becomes the default vault.
    pub is_default: bool,
    /// The strategy and, for Azure External Keys, the connection.
    pub protection: NewProtection,
}

impl CreateVault {
    /// The strategy.
    #[must_use]
    pub fn strategy(&self) -> VaultStrategy {
        match self.protection {
            NewProtection::Cloud => VaultStrategy::Cloud,
            NewProtection::Azure(_) => VaultStrategy::AzureExternalKeys,
        }
    }
}

impl CreateVaultForm {
    /// Parses the form.
    ///
    /// # Errors
    /// The catalog error naming the field at fault.
    pub fn parse(&self) -> Result<CreateVault, CatalogError> {
        let name = VaultName::new(&self.name)?;
        let strategy = VaultStrategy::parse(&self.strategy)?;
        let protection = match (strategy, &self.azure) {
            (VaultStrategy::AzureExternalKeys, Some(form)) => NewProtection::Azure(form.parse()?),
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
            (VaultStrategy::Cloud, None) => NewProtection::Cloud,
        };
        Ok(CreateVault {
            name,
            is_default: self.is_default,
            protection,
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
    /// Parses the secret.
    ///
    /// # Errors
    /// The catalog error on field `client_secret`.
    pub fn parse(&self) -> Result<ClientSecret, CatalogError> {
        self.client_secret.parse().map_err(CatalogError::from)
    }
}

/// `POST …/vaults/{vault}/items`: store an item, as typed (and the content of
/// a read item). Every field is encrypted at rest. `Debug` redacts the
/// secret.
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
    /// Parses the item: checks lengths and required fields, trims the name.
    ///
    /// # Errors
    /// [`CatalogError::InvalidField`] naming the field.
    pub fn parse(&self) -> Result<ItemContent, CatalogError> {
        ItemContent::parse(self)
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

    fn form(name: &str, strategy: &str, azure: Option<AzureForm>) -> CreateVaultForm {
        CreateVaultForm {
            name: name.into(),
            strategy: strategy.into(),
            is_default: false,
            azure,
        }
    }

    #[test]
    fn create_form_parses_each_field() {
        let ok = form("  Finance ", "azure_external_keys", Some(azure()))
            .parse()
            .unwrap();
        assert_eq!(ok.name.as_str(), "Finance");
        assert_eq!(ok.strategy(), VaultStrategy::AzureExternalKeys);
        let NewProtection::Azure(a) = ok.protection else {
            panic!("azure")
        };
        assert_eq!(a.vault_uri.as_str(), "https://contoso-kms.vault.azure.net");
        assert_eq!(
            a.key().as_str(),
            "https://contoso-kms.vault.azure.net/keys/company-kek"
        );
        assert!(!format!("{a:?}").contains("contoso-app-secret"));
        // Redacted, not blank: the rest stays readable in a log.
        let shown = format!("{:?}", azure());
        assert!(!shown.contains("contoso-app-secret"), "{shown}");
        for part in ["[redacted]", "contoso-kms.vault.azure.net", "company-kek"] {
            assert!(shown.contains(part), "{part}: {shown}");
        }

        let mut bad = azure();
        bad.vault_uri = "https://contoso-kms.vault.azure.net/keys/company-kek".into();
        let e = form("x", "azure_external_keys", Some(bad))
            .parse()
            .unwrap_err();
        assert_eq!(e.code(), "uri_contains_key_path");

        let e = form("x", "aws", None).parse().unwrap_err();
        assert_eq!(e.field().as_deref(), Some("strategy"));
        let e = form(" ", "cloud", None).parse().unwrap_err();
        assert_eq!(e.field().as_deref(), Some("name"));
        let e = form("x", "azure_external_keys", None).parse().unwrap_err();
        assert_eq!(e.field().as_deref(), Some("azure"));
        let e = form("x", "cloud", Some(azure())).parse().unwrap_err();
        assert_eq!(e.field().as_deref(), Some("azure"));
        assert_eq!(
            form("x", "cloud", None).parse().unwrap().strategy(),
            VaultStrategy::Cloud
        );
    }

    #[test]
    fn an_items_debug_names_it_and_redacts_its_secret() {
        let item = ItemForm {
            kind: ItemKind::Account,
            name: "Payroll admin".into(),
            username: Some("ops@contoso.example".into()),
            secret: "hunter2-payroll".into(),
            url: None,
            notes: Some("rotated quarterly".into()),
        };
        let shown = format!("{item:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        for part in ["ItemForm", "Payroll admin", "[redacted]"] {
            assert!(shown.contains(part), "{part}: {shown}");
        }
    }

    #[test]
    fn replace_secret_parses_the_secret() {
        let f = ReplaceSecretForm {
            client_secret: " s3cret ".into(),
        };
        assert_eq!(f.parse().unwrap().secret(), "s3cret");
        assert_eq!(
            format!("{f:?}"),
            "ReplaceSecretForm { client_secret: [redacted] }"
        );
        let e = ReplaceSecretForm {
            client_secret: String::new(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.field().as_deref(), Some("client_secret"));
    }
}
