//! The names and ids of vaults and items.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;

/// Longest vault name, in characters.
pub const VAULT_NAME_MAX: usize = 64;

/// An id was not of the shape keyswitch issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id keyswitch issued")]
pub struct InvalidId;

/// Declares an opaque id: a one-letter prefix and 32 lowercase hex digits
/// (128 random bits), made only from random bytes or by parsing.
macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A new id from 128 random bits.
            #[must_use]
            pub fn from_random(bytes: [u8; 16]) -> Self {
                let mut s = String::with_capacity(33);
                s.push($prefix);
                for b in bytes {
                    s.push_str(&format!("{b:02x}"));
                }
                Self(s)
            }

            /// The id.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Parses an id from a path: anything else is "not found".
            ///
            /// # Errors
            /// [`CatalogError::NotFound`] naming what was looked for.
            pub fn from_path(raw: &str) -> Result<Self, CatalogError> {
                raw.parse().map_err(|_| CatalogError::NotFound {
                    what: $what.into(),
                })
            }
        }

        impl core::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let ok = s.len() == 33
                    && s.starts_with($prefix)
                    && s[1..]
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if ok { Ok(Self(s.to_owned())) } else { Err(InvalidId) }
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// A vault's id: `v` and 32 lowercase hex digits.
    VaultId,
    'v',
    "The vault"
);

opaque_id!(
    /// An item's id: `i` and 32 lowercase hex digits.
    ItemId,
    'i',
    "The item"
);

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
    pub fn same_as(&self, other: &Self) -> bool {
        self.0.to_lowercase() == other.0.to_lowercase()
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
            _ => Err(invalid(
                "strategy",
                "Choose the cloud strategy or Azure External Keys",
            )),
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

    /// The refusal of a second vault of this provider in one workspace (at
    /// most one cloud vault per provider).
    #[must_use]
    pub fn already_exists(self) -> CatalogError {
        match self {
            Self::AzureExternalKeys => CatalogError::CloudVaultExists,
            Self::Cloud => CatalogError::Conflict {
                reason: "This workspace already has a cloud vault protected by the CyberSentriq-managed key. Only one cloud vault per provider is supported.".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_issued_shape() {
        let v = VaultId::from_random([0xab; 16]);
        assert_eq!(v.as_str().len(), 33);
        assert_eq!(v.as_str().parse::<VaultId>(), Ok(v.clone()));
        assert!("v".parse::<VaultId>().is_err());
        assert!(v.as_str().to_uppercase().parse::<VaultId>().is_err());
        assert!(
            ItemId::from_random([1; 16])
                .as_str()
                .parse::<VaultId>()
                .is_err()
        );
        let e = VaultId::from_path("../x").unwrap_err();
        assert_eq!(e.code(), "not_found");
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<VaultId>(&json).unwrap(), v);
        assert!(serde_json::from_str::<VaultId>("\"vx\"").is_err());
    }

    #[test]
    fn names_are_unique_case_insensitively() {
        let a = VaultName::new("  Finance ").unwrap();
        assert_eq!(a.as_str(), "Finance");
        assert!(a.same_as(&VaultName::new("FINANCE").unwrap()));
        assert_eq!(
            VaultName::new(" ").unwrap_err().field().as_deref(),
            Some("name")
        );
        assert!(VaultName::new(&"x".repeat(65)).is_err());
        // Stored and sent as the trimmed name.
        assert_eq!(String::from(a.clone()), "Finance");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Finance\"");
    }

    #[test]
    fn each_strategy_has_the_name_the_help_article_uses() {
        // Seed 001: the Strategy list and the vault table.
        assert_eq!(
            VaultStrategy::Cloud.display_name(),
            "Cloud (CyberSentriq-managed)"
        );
        assert_eq!(
            VaultStrategy::AzureExternalKeys.display_name(),
            "Azure External Keys"
        );
    }
}
