//! The key binding tag: an Azure Key Vault key serves a company only when the
//! key itself names it. Only someone who may change the key can set its tags,
//! so the tag is the key owner's say-so (docs/PRODUCT.md, "Key binding").
//!
//! The tag `keyswitch-company` holds the company ids the key serves,
//! separated by single spaces. A company is bound iff its id is one of the
//! whitespace-separated tokens (exact match). The check runs on the key
//! bundle that Key Vault's GET returns: in the connection test, before the
//! finalization wrap, and before every cold unwrap of the company key.

use std::collections::BTreeMap;

use crate::catalog::CatalogError;
use crate::ids::{CompanyId, KeyId, KeyName};
use crate::vault_uri::{VaultKind, VaultUri};

/// The tag's name.
pub const TAG: &str = "keyswitch-company";
/// Key Vault's limit on a tag value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// The company ids a key's tags name, in order, without repeats; `None`
/// when the key has no `keyswitch-company` tag. Tag names are matched
/// without regard to case (Azure keeps the case it was given).
#[must_use]
pub fn companies(tags: Option<&BTreeMap<String, String>>) -> Option<Vec<String>> {
    let value = tags?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(TAG))
        .map(|(_, value)| value)?;
    let mut ids: Vec<String> = Vec::new();
    for token in value.split_whitespace() {
        if !ids.iter().any(|t| t == token) {
            ids.push(token.to_owned());
        }
    }
    Some(ids)
}

/// The tag value that binds `company` while keeping the ids already there.
#[must_use]
pub fn value_with(existing: &[String], company: &CompanyId) -> String {
    let mut ids: Vec<&str> = existing
        .iter()
        .map(String::as_str)
        .filter(|id| company_like(id))
        .collect();
    if !ids.contains(&company.as_str()) {
        ids.push(company.as_str());
    }
    ids.join(" ")
}

/// Whether a tag token could be a company id (only those are repeated in
/// commands and messages: the tag comes from outside).
fn company_like(token: &str) -> bool {
    token.parse::<CompanyId>().is_ok()
}

/// The Azure Portal steps that set the tag to `value`, in the vault's cloud
/// and for its kind.
#[must_use]
pub fn portal_steps(vault: &VaultUri, key_name: &str, value: &str) -> Vec<String> {
    let name = vault.vault_name();
    let portal = vault.cloud().portal();
    let open = match vault.kind() {
        VaultKind::KeyVault => format!(
            "In the Azure Portal ({portal}), open Key Vaults, select your vault ({name}), then Objects > Keys, and select the key {key_name}."
        ),
        VaultKind::ManagedHsm => format!(
            "In the Azure Portal ({portal}), open Azure Key Vault Managed HSMs, select your HSM ({name}), then Keys, and select the key {key_name}."
        ),
    };
    vec![
        open,
        "Select the current version of the key.".to_owned(),
        "Select Tags (or edit the version's tags).".to_owned(),
        format!(
            "Add the tag named {TAG} with the value {value} (keep any company ids already in the value, separated by spaces)."
        ),
        "Save (Apply), then return here and run the test again.".to_owned(),
    ]
}

/// Checks that the key (`tags` of the bundle Key Vault returned for `kid`)
/// names `company`.
///
/// # Errors
/// [`CatalogError::KeyBindingMissing`] without the tag,
/// [`CatalogError::KeyBindingMismatch`] when the tag names other companies
/// only; both carry the command that fixes it.
pub fn check(
    tags: Option<&BTreeMap<String, String>>,
    company: &CompanyId,
    vault: &VaultUri,
    key: &KeyName,
) -> Result<(), CatalogError> {
    let vault = vault.clone();
    let key_name = key.as_str().to_owned();
    match companies(tags) {
        Some(ids) if ids.iter().any(|id| id == company.as_str()) => Ok(()),
        Some(ids) if !ids.is_empty() => {
            let found: Vec<String> = ids.into_iter().filter(|id| company_like(id)).collect();
            Err(CatalogError::KeyBindingMismatch {
                vault,
                key_name,
                company: company.as_str().to_owned(),
                found,
            })
        }
        _ => Err(CatalogError::KeyBindingMissing {
            vault,
            key_name,
            company: company.as_str().to_owned(),
        }),
    }
}

/// [`check`] for the key a versioned `kid` names.
///
/// # Errors
/// As [`check`].
pub fn check_kid(
    tags: Option<&BTreeMap<String, String>>,
    company: &CompanyId,
    kid: &KeyId,
) -> Result<(), CatalogError> {
    check(tags, company, &kid.vault(), &kid.name())
}

/// Whether `kid` (as Key Vault returned it) is a version of the key `key` in
/// `vault`: checked before the kid is used for anything.
#[must_use]
pub fn kid_is_of(kid: &KeyId, vault: &VaultUri, key: &KeyName) -> bool {
    kid.version().is_some()
        && kid.vault() == *vault
        && kid.name().as_str().eq_ignore_ascii_case(key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(value: Option<&str>) -> BTreeMap<String, String> {
        let mut t = BTreeMap::new();
        t.insert("owner".to_owned(), "secops".to_owned());
        if let Some(v) = value {
            t.insert(TAG.to_owned(), v.to_owned());
        }
        t
    }

    fn acme() -> CompanyId {
        "acme".parse().unwrap()
    }

    fn vault() -> VaultUri {
        "https://contoso-kms.vault.azure.net".parse().unwrap()
    }

    fn key() -> KeyName {
        "company-kek".parse().unwrap()
    }

    #[test]
    fn bound_iff_one_token_is_the_company() {
        for value in ["acme", "evil acme", "  acme  globex ", "acme\tglobex"] {
            assert_eq!(
                check(Some(&tags(Some(value))), &acme(), &vault(), &key()),
                Ok(())
            );
        }
        for value in ["acme-2", "acm", "ACME", "evilacme", "acme,globex"] {
            let e = check(Some(&tags(Some(value))), &acme(), &vault(), &key()).unwrap_err();
            assert_eq!(e.code(), "key_binding_mismatch", "{value}");
        }
    }

    #[test]
    fn no_tag_or_an_empty_one_is_missing() {
        for t in [
            None,
            Some(tags(None)),
            Some(tags(Some(""))),
            Some(tags(Some("  "))),
        ] {
            let e = check(t.as_ref(), &acme(), &vault(), &key()).unwrap_err();
            assert_eq!(
                e,
                CatalogError::KeyBindingMissing {
                    vault: vault(),
                    key_name: "company-kek".into(),
                    company: "acme".into(),
                }
            );
            assert!(e.fix().contains(
                "az keyvault key set-attributes --vault-name contoso-kms --name company-kek --tags keyswitch-company=\"acme\""
            ));
        }
    }

    #[test]
    fn the_tag_name_ignores_case() {
        let mut t = BTreeMap::new();
        t.insert("KeySwitch-Company".to_owned(), "acme".to_owned());
        assert_eq!(check(Some(&t), &acme(), &vault(), &key()), Ok(()));
    }

    #[test]
    fn the_fix_keeps_the_ids_already_there() {
        let e = check(
            Some(&tags(Some("globex  initech globex"))),
            &acme(),
            &vault(),
            &key(),
        )
        .unwrap_err();
        assert!(
            e.fix()
                .contains("--tags keyswitch-company=\"globex initech acme\""),
            "{}",
            e.fix()
        );
        // A token that cannot be a company id is not repeated anywhere.
        let e = check(
            Some(&tags(Some("globex $(rm -rf) \"x"))),
            &acme(),
            &vault(),
            &key(),
        )
        .unwrap_err();
        assert!(e.fix().contains("keyswitch-company=\"globex acme\""));
        assert!(!e.fix().contains("rm"));
        assert!(!e.body().detail.unwrap_or_default().contains("rm"));
    }

    #[test]
    fn kid_must_be_a_version_of_the_key() {
        let good: KeyId =
            "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        assert!(kid_is_of(&good, &vault(), &key()));
        for other in [
            "https://contoso-kms.vault.azure.net/keys/company-kek",
            "https://evil.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef",
            "https://contoso-kms.vault.azure.net/keys/other/0123456789abcdef0123456789abcdef",
        ] {
            let kid: KeyId = other.parse().unwrap();
            assert!(!kid_is_of(&kid, &vault(), &key()), "{other}");
        }
    }

    #[test]
    fn a_kid_is_checked_against_its_own_vault_and_key() {
        let kid: KeyId =
            "https://fabrikam-kms.vault.azure.net/keys/their-kek/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        assert_eq!(check_kid(Some(&tags(Some("acme"))), &acme(), &kid), Ok(()));
        let e = check_kid(Some(&tags(Some("globex"))), &acme(), &kid).unwrap_err();
        assert_eq!(
            e,
            CatalogError::KeyBindingMismatch {
                vault: "https://fabrikam-kms.vault.azure.net".parse().unwrap(),
                key_name: "their-kek".into(),
                company: "acme".into(),
                found: vec!["globex".into()],
            }
        );
        let e = check_kid(Some(&tags(None)), &acme(), &kid).unwrap_err();
        assert_eq!(e.code(), "key_binding_missing");
    }

    #[test]
    fn the_portal_steps_open_the_key_in_its_cloud_and_set_the_tag() {
        let steps = portal_steps(&vault(), "company-kek", "globex acme");
        assert_eq!(steps.len(), 5, "{steps:?}");
        assert_eq!(
            steps[0],
            "In the Azure Portal (https://portal.azure.com), open Key Vaults, select your vault (contoso-kms), then Objects > Keys, and select the key company-kek."
        );
        assert!(
            steps[3].contains(&format!("{TAG} with the value globex acme")),
            "{steps:?}"
        );
        let hsm: VaultUri = "https://contoso.managedhsm.usgovcloudapi.net"
            .parse()
            .unwrap();
        let steps = portal_steps(&hsm, "company-kek", "acme");
        assert!(
            steps[0].starts_with("In the Azure Portal (https://portal.azure.us), open Azure Key Vault Managed HSMs, select your HSM (contoso)"),
            "{steps:?}"
        );
    }

    #[test]
    fn value_with_appends_once() {
        assert_eq!(value_with(&[], &acme()), "acme");
        assert_eq!(
            value_with(&["globex".into(), "acme".into()], &acme()),
            "globex acme"
        );
        assert_eq!(value_with(&["globex".into()], &acme()), "globex acme");
    }
}
