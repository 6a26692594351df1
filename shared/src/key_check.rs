//! Whether a Key Vault key can protect a company key or a vault key.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;
use crate::ids::KeyId;
use crate::keyvault::{KeyBundle, decode_base64url_lenient};

/// Which product's key rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Manage KMS (seed 000): RSA or RSA-HSM of 2048, 3072 or 4096 bits;
    /// a refusal names the type or size found and the sizes accepted.
    ManageKms,
    /// Vault management (seed 001): exactly RSA 4096; every refusal of type
    /// or size is "must be RSA 4096, but it is …".
    VaultManagement,
}

impl KeyPolicy {
    /// The RSA modulus sizes accepted, in bits.
    #[must_use]
    pub fn sizes(self) -> &'static [u32] {
        match self {
            Self::ManageKms => &[2048, 3072, 4096],
            Self::VaultManagement => &[4096],
        }
    }

    /// The refusal of a key that is not RSA (`found` is its `kty`).
    fn wrong_type(self, found: String) -> CatalogError {
        match self {
            Self::ManageKms => CatalogError::KeyWrongType { found },
            Self::VaultManagement => CatalogError::KeyNotRsa4096 {
                found: format!("a {found} key"),
            },
        }
    }

    /// The refusal of an RSA key of a size not in [`KeyPolicy::sizes`].
    fn wrong_size(self, found_bits: u32) -> CatalogError {
        match self {
            Self::ManageKms => CatalogError::KeySizeNotSupported {
                found_bits,
                allowed: self.sizes().to_vec(),
            },
            Self::VaultManagement => CatalogError::KeyNotRsa4096 {
                found: format!("RSA {found_bits}"),
            },
        }
    }
}

/// The RSA flavours Key Vault offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RsaKeyType {
    /// Software-protected RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// HSM-protected RSA.
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
}

impl RsaKeyType {
    /// The key type as Azure names it (and as serialized): `RSA`, `RSA-HSM`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::RsaHsm => "RSA-HSM",
        }
    }
}

/// A key that passed [`check_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySummary {
    /// The versioned key id to record and unwrap with.
    pub kid: KeyId,
    /// Modulus size in bits.
    pub size_bits: u32,
    /// RSA or RSA-HSM.
    pub kty: RsaKeyType,
}

/// Bits in a big-endian unsigned integer (leading zero bytes ignored).
pub(crate) fn bit_length(bytes: &[u8]) -> u32 {
    let Some(first) = bytes.iter().position(|b| *b != 0) else {
        return 0;
    };
    let rest = u32::try_from(bytes.len() - first - 1).unwrap_or(u32::MAX / 16);
    rest * 8 + (8 - bytes[first].leading_zeros())
}

/// Decides whether a GET-key answer can serve under `policy`: RSA or
/// RSA-HSM, a modulus size in [`KeyPolicy::sizes`], enabled, inside
/// `nbf`/`exp` at `now_unix` (seconds), and `key_ops` containing both
/// `wrapKey` and `unwrapKey`.
///
/// # Errors
/// The catalog error naming what was found (type, size, state, missing
/// operations), worded by `policy`.
pub fn check_key(
    bundle: &KeyBundle,
    policy: KeyPolicy,
    now_unix: i64,
) -> Result<KeySummary, CatalogError> {
    let key = &bundle.key;
    let kty = match key.kty.as_str() {
        "RSA" => RsaKeyType::Rsa,
        "RSA-HSM" => RsaKeyType::RsaHsm,
        other => {
            let found: String = other
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(16)
                .collect();
            return Err(policy.wrong_type(found));
        }
    };
    let unexpected = || CatalogError::UnexpectedAnswer {
        service: "Azure Key Vault".into(),
    };
    let modulus = key
        .n
        .as_deref()
        .and_then(decode_base64url_lenient)
        .ok_or_else(unexpected)?;
    let size_bits = bit_length(&modulus);
    if !policy.sizes().contains(&size_bits) {
        return Err(policy.wrong_size(size_bits));
    }
    let attributes = &bundle.attributes;
    if attributes.enabled == Some(false) {
        return Err(CatalogError::KeyDisabled);
    }
    if let Some(nbf) = attributes.nbf.filter(|nbf| now_unix < *nbf) {
        return Err(CatalogError::KeyNotYetValid {
            valid_from: Some(nbf),
        });
    }
    if let Some(exp) = attributes.exp.filter(|exp| now_unix >= *exp) {
        return Err(CatalogError::KeyExpired {
            expired_at: Some(exp),
        });
    }
    let missing: Vec<String> = ["wrapKey", "unwrapKey"]
        .into_iter()
        .filter(|op| !key.key_ops.iter().any(|k| k == op))
        .map(str::to_owned)
        .collect();
    if !missing.is_empty() {
        return Err(CatalogError::KeyOperationsMissing { missing });
    }
    let kid = key
        .kid
        .as_deref()
        .and_then(|k| k.parse::<KeyId>().ok())
        .filter(|k| k.version().is_some())
        .ok_or_else(unexpected)?;
    Ok(KeySummary {
        kid,
        size_bits,
        kty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyvault::{JsonWebKey, KeyAttributes, encode_base64url};

    const KID: &str = "https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef";

    #[test]
    fn key_type_names_are_the_wire_names() {
        for kty in [RsaKeyType::Rsa, RsaKeyType::RsaHsm] {
            let wire = serde_json::to_value(kty).unwrap();
            assert_eq!(wire, serde_json::Value::String(kty.as_str().to_owned()));
        }
    }
    const NOW: i64 = 1_700_000_000;

    fn modulus(bits: u32) -> String {
        let bytes = bits.div_ceil(8) as usize;
        let mut n = vec![0xa5u8; bytes];
        let top_bits = bits - (bytes as u32 - 1) * 8;
        n[0] = 1 << (top_bits - 1) | 1;
        encode_base64url(&n)
    }

    fn bundle(kty: &str, bits: u32) -> KeyBundle {
        KeyBundle {
            key: JsonWebKey {
                kid: Some(KID.into()),
                kty: kty.into(),
                key_ops: ["encrypt", "decrypt", "wrapKey", "unwrapKey"]
                    .map(String::from)
                    .to_vec(),
                n: Some(modulus(bits)),
                e: Some("AQAB".into()),
                crv: None,
                x: None,
                y: None,
            },
            attributes: KeyAttributes {
                enabled: Some(true),
                ..KeyAttributes::default()
            },
            tags: None,
            managed: None,
        }
    }

    #[test]
    fn sizes_come_from_the_modulus() {
        for bits in [2048, 3072, 4096] {
            let s = check_key(&bundle("RSA", bits), KeyPolicy::ManageKms, NOW).unwrap();
            assert_eq!(s.size_bits, bits);
            assert_eq!(s.kid.as_str(), KID);
            assert_eq!(s.kty, RsaKeyType::Rsa);
        }
        // a leading zero byte does not count
        let mut b = bundle("RSA-HSM", 2048);
        let mut n = decode_base64url_lenient(b.key.n.as_deref().unwrap()).unwrap();
        n.insert(0, 0);
        b.key.n = Some(encode_base64url(&n));
        let s = check_key(&b, KeyPolicy::ManageKms, NOW).unwrap();
        assert_eq!((s.size_bits, s.kty), (2048, RsaKeyType::RsaHsm));
    }

    #[test]
    fn a_modulus_a_bit_short_or_long_is_measured_to_the_bit_and_refused() {
        // Moduli whose first byte is not full: the size counts the bits of
        // that byte exactly (an RSA 2047 is not an RSA 2048).
        for bits in [2047, 2049, 4095, 1025] {
            assert_eq!(
                check_key(&bundle("RSA", bits), KeyPolicy::ManageKms, NOW),
                Err(CatalogError::KeySizeNotSupported {
                    found_bits: bits,
                    allowed: vec![2048, 3072, 4096]
                }),
                "{bits}"
            );
        }
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 1]), 1);
        assert_eq!(bit_length(&[0x7f, 0]), 15);
        assert_eq!(bit_length(&[1, 0, 0]), 17);
    }

    #[test]
    fn vault_management_requires_4096_and_says_what_was_found() {
        let e = check_key(&bundle("RSA", 2048), KeyPolicy::VaultManagement, NOW).unwrap_err();
        assert_eq!(
            e,
            CatalogError::KeyNotRsa4096 {
                found: "RSA 2048".into()
            }
        );
        assert_eq!(e.message(), "The key must be RSA 4096, but it is RSA 2048");
        assert!(e.fix().contains("4096"));
        let ec = check_key(&bundle("EC", 2048), KeyPolicy::VaultManagement, NOW).unwrap_err();
        assert_eq!(ec.message(), "The key must be RSA 4096, but it is a EC key");
        assert!(check_key(&bundle("RSA", 4096), KeyPolicy::VaultManagement, NOW).is_ok());
    }

    #[test]
    fn manage_kms_refuses_other_sizes_and_types() {
        assert_eq!(
            check_key(&bundle("RSA", 1024), KeyPolicy::ManageKms, NOW),
            Err(CatalogError::KeySizeNotSupported {
                found_bits: 1024,
                allowed: vec![2048, 3072, 4096]
            })
        );
        assert_eq!(
            check_key(&bundle("oct-HSM", 256), KeyPolicy::ManageKms, NOW),
            Err(CatalogError::KeyWrongType {
                found: "oct-HSM".into()
            })
        );
    }

    #[test]
    fn state_and_window() {
        let mut b = bundle("RSA", 2048);
        b.attributes.enabled = Some(false);
        assert_eq!(
            check_key(&b, KeyPolicy::ManageKms, NOW),
            Err(CatalogError::KeyDisabled)
        );
        let mut b = bundle("RSA", 2048);
        b.attributes.nbf = Some(NOW + 1);
        assert_eq!(
            check_key(&b, KeyPolicy::ManageKms, NOW),
            Err(CatalogError::KeyNotYetValid {
                valid_from: Some(NOW + 1)
            })
        );
        b.attributes.nbf = Some(NOW);
        assert!(check_key(&b, KeyPolicy::ManageKms, NOW).is_ok());
        b.attributes.exp = Some(NOW);
        assert_eq!(
            check_key(&b, KeyPolicy::ManageKms, NOW),
            Err(CatalogError::KeyExpired {
                expired_at: Some(NOW)
            })
        );
        b.attributes.exp = Some(NOW + 1);
        assert!(check_key(&b, KeyPolicy::ManageKms, NOW).is_ok());
    }

    #[test]
    fn wrap_and_unwrap_must_be_permitted() {
        let mut b = bundle("RSA", 2048);
        b.key.key_ops = vec!["encrypt".into(), "wrapKey".into()];
        let e = check_key(&b, KeyPolicy::ManageKms, NOW).unwrap_err();
        assert_eq!(
            e,
            CatalogError::KeyOperationsMissing {
                missing: vec!["unwrapKey".into()]
            }
        );
        assert_eq!(e.message(), "The key does not permit unwrapKey");
        b.key.key_ops.clear();
        assert_eq!(
            check_key(&b, KeyPolicy::ManageKms, NOW)
                .unwrap_err()
                .message(),
            "The key does not permit wrapKey and unwrapKey"
        );
    }

    #[test]
    fn unreadable_answers_are_not_panics() {
        let mut b = bundle("RSA", 2048);
        b.key.n = Some("***".into());
        assert!(matches!(
            check_key(&b, KeyPolicy::ManageKms, NOW),
            Err(CatalogError::UnexpectedAnswer { .. })
        ));
        let mut b = bundle("RSA", 2048);
        b.key.kid = Some("https://contoso.vault.azure.net/keys/cmk".into());
        assert!(matches!(
            check_key(&b, KeyPolicy::ManageKms, NOW),
            Err(CatalogError::UnexpectedAnswer { .. })
        ));
    }
}
