//! Key providers: who protects a company key.

use serde::{Deserialize, Serialize};

use crate::ids::{KeyId, KeyName};
use crate::vault_uri::VaultUri;

/// The provider that currently protects a company key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provider {
    /// The service's own key-encryption key ("CyberSentriq-managed").
    Platform,
    /// A customer AWS KMS key.
    AwsKms {
        /// The KMS key ARN or id.
        key_id: String,
    },
    /// A customer Azure Key Vault RSA key, pinned to the exact version used.
    AzureKeyVault {
        /// Vault base URI, e.g. `https://contoso.vault.azure.net`.
        vault_uri: VaultUri,
        /// Key name inside the vault.
        key_name: KeyName,
        /// The versioned key id (`kid`) the company key is wrapped with.
        kid: KeyId,
    },
}

impl Provider {
    /// The name shown to people, as the seed article spells it.
    #[must_use]
    pub fn display_name(&self) -> &'static str {
        match self {
            Self::Platform => "CyberSentriq-Managed",
            Self::AwsKms { .. } => "AWS KMS",
            Self::AzureKeyVault { .. } => "Azure Key Vault",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_serialises_with_a_kind_tag() {
        let json = serde_json::to_string(&Provider::Platform).unwrap();
        assert_eq!(json, r#"{"kind":"platform"}"#);
        assert_eq!(Provider::Platform.display_name(), "CyberSentriq-Managed");
    }

    #[test]
    fn azure_round_trips() {
        let p = Provider::AzureKeyVault {
            vault_uri: "https://contoso.vault.azure.net".parse().unwrap(),
            key_name: "cmk".parse().unwrap(),
            kid: "https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap(),
        };
        let back: Provider = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.display_name(), "Azure Key Vault");
    }
}
