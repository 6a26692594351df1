//! Names and identifiers: keys, tenants, clients, Google customers, companies.

use crate::macros::validated_string;
use crate::validation::ValidationError;
use crate::vault_uri::{VaultUri, parse_parts, segments};

validated_string!(
    /// A Key Vault key name: 1–127 characters `0-9a-zA-Z-` (not a URL).
    /// Surrounding whitespace is trimmed.
    KeyName,
    parse_key_name
);

validated_string!(
    /// A key version: the 32-character string Key Vault assigns, stored
    /// lowercased (Key Vault compares ids case-insensitively).
    KeyVersion,
    parse_key_version
);

validated_string!(
    /// A key identifier (`kid`): `https://{vault host}/keys/{name}[/{version}]`,
    /// normalised like [`VaultUri`] (host lowercased, version lowercased, one
    /// trailing slash dropped).
    KeyId,
    parse_key_id
);

validated_string!(
    /// A Microsoft Entra tenant id: a GUID, stored lowercased.
    TenantId,
    parse_tenant_id
);

validated_string!(
    /// A Microsoft Entra application (client) id: a GUID, stored lowercased.
    ClientId,
    parse_client_id
);

validated_string!(
    /// A Google Workspace customer id, e.g. `C01abcd23`: `C` followed by
    /// 1–20 letters and digits.
    GoogleCustomerId,
    parse_customer_id
);

validated_string!(
    /// A Google Workspace domain, e.g. `example.com`: a DNS name of at least
    /// two labels, stored lowercased.
    GoogleDomain,
    parse_domain
);

validated_string!(
    /// A company id of the host product, used in API paths: 1–64 ASCII
    /// letters, digits, `-` and `_`.
    CompanyId,
    parse_company_id
);

fn parse_key_name(input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::KeyNameEmpty);
    }
    if let Some(misplaced) = misplaced_key_name(s) {
        return Err(misplaced);
    }
    if let Some(found) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(ValidationError::KeyNameCharacters { found });
    }
    if s.len() > 127 {
        return Err(ValidationError::KeyNameLength { len: s.len() });
    }
    Ok(s.to_owned())
}

/// A key URL or `name/version` typed where only the key's name belongs:
/// the error that says so and carries the values to use instead.
fn misplaced_key_name(s: &str) -> Option<ValidationError> {
    if s.contains("://") {
        return Some(key_url_parts(s).map_or(
            ValidationError::KeyNameIsUrl,
            |(vault_uri, key_name)| ValidationError::KeyNameIsKeyUrl {
                vault_uri,
                key_name,
            },
        ));
    }
    if !s.contains('/') {
        return None;
    }
    // `name/version`, `name/`, or a path copied from a key URL
    // (`/keys/name/version`).
    let path = s.strip_prefix('/').unwrap_or(s);
    let path = path
        .strip_prefix("keys/")
        .or_else(|| path.strip_prefix("KEYS/"))
        .unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let (name, version) = path.split_once('/').unwrap_or((path, ""));
    let name_ok = is_key_name(name);
    let version_ok = version.is_empty() || parse_key_version(version).is_ok();
    (name_ok && version_ok).then(|| ValidationError::KeyNameWithVersion {
        key_name: name.to_owned(),
    })
}

/// The vault base URI and key name of a key URL
/// (`https://{vault host}/keys/{name}[/{version}]`, any supported cloud,
/// Key Vault or Managed HSM), when `s` is one.
fn key_url_parts(s: &str) -> Option<(String, String)> {
    let parts = parse_parts(s).ok()?;
    match segments(parts.path).as_slice() {
        [collection, name, rest @ ..]
            if collection.eq_ignore_ascii_case("keys")
                && is_key_name(name)
                && match rest {
                    [] => true,
                    [version] => parse_key_version(version).is_ok(),
                    _ => false,
                } =>
        {
            Some((parts.base, (*name).to_owned()))
        }
        _ => None,
    }
}

/// Azure's key naming rules: 1–127 letters, digits and hyphens.
fn is_key_name(s: &str) -> bool {
    (1..=127).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn parse_key_version(input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.len() == 32 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(ValidationError::KeyVersion)
    }
}

fn parse_key_id(input: &str) -> Result<String, ValidationError> {
    let parts = parse_parts(input).map_err(|e| ValidationError::KeyIdVault(Box::new(e)))?;
    if parts.query.is_some() || parts.fragment.is_some() {
        return Err(ValidationError::KeyIdShape);
    }
    match segments(parts.path).as_slice() {
        [collection, name, rest @ ..]
            if collection.eq_ignore_ascii_case("keys") && rest.len() <= 1 =>
        {
            let name = parse_key_name(name).map_err(|e| ValidationError::KeyIdName(Box::new(e)))?;
            match rest.first() {
                Some(version) => Ok(format!(
                    "{}/keys/{name}/{}",
                    parts.base,
                    parse_key_version(version)?
                )),
                None => Ok(format!("{}/keys/{name}", parts.base)),
            }
        }
        _ => Err(ValidationError::KeyIdShape),
    }
}

impl KeyId {
    /// The key id of `name` (and optionally `version`) in `vault`.
    #[must_use]
    pub fn new(vault: &VaultUri, name: &KeyName, version: Option<&KeyVersion>) -> Self {
        match version {
            Some(v) => Self(format!(
                "{}/keys/{}/{}",
                vault.as_str(),
                name.as_str(),
                v.as_str()
            )),
            None => Self(format!("{}/keys/{}", vault.as_str(), name.as_str())),
        }
    }

    fn pieces(&self) -> (&str, &str, Option<&str>) {
        let (base, rest) = self.0.split_once("/keys/").unwrap_or((&self.0, ""));
        match rest.split_once('/') {
            Some((name, version)) => (base, name, Some(version)),
            None => (base, rest, None),
        }
    }

    /// The vault the key lives in.
    #[must_use]
    pub fn vault(&self) -> VaultUri {
        VaultUri::from_checked_base(self.pieces().0.to_owned())
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> KeyName {
        KeyName(self.pieces().1.to_owned())
    }

    /// The key version, when the id is versioned.
    #[must_use]
    pub fn version(&self) -> Option<KeyVersion> {
        self.pieces().2.map(|v| KeyVersion(v.to_owned()))
    }

    /// The same key without its version (what to wrap with after rotation).
    #[must_use]
    pub fn versionless(&self) -> Self {
        let (base, name, _) = self.pieces();
        Self(format!("{base}/keys/{name}"))
    }

    /// Whether two ids name the same key version; Key Vault compares ids
    /// case-insensitively.
    #[must_use]
    pub fn same_as(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

/// Checks the 8-4-4-4-12 hex shape of a GUID and lowercases it.
fn parse_guid(input: &str) -> Option<String> {
    let s = input.trim();
    let groups: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == lens.len()
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    ok.then(|| s.to_ascii_lowercase())
}

fn parse_tenant_id(input: &str) -> Result<String, ValidationError> {
    parse_guid(input).ok_or(ValidationError::TenantId)
}

fn parse_client_id(input: &str) -> Result<String, ValidationError> {
    parse_guid(input).ok_or(ValidationError::ClientId)
}

fn parse_customer_id(input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    let rest = s
        .strip_prefix('C')
        .ok_or(ValidationError::GoogleCustomerId)?;
    if (1..=20).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s.to_owned())
    } else {
        Err(ValidationError::GoogleCustomerId)
    }
}

fn parse_domain(input: &str) -> Result<String, ValidationError> {
    let s = input.trim().to_ascii_lowercase();
    let s = s.strip_suffix('.').unwrap_or(&s);
    let labels: Vec<&str> = s.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.chars().any(|c| c.is_ascii_alphabetic()));
    if s.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok {
        Ok(s.to_owned())
    } else {
        Err(ValidationError::GoogleDomain)
    }
}

fn parse_company_id(input: &str) -> Result<String, ValidationError> {
    let ok = (1..=64).contains(&input.len())
        && input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(input.to_owned())
    } else {
        Err(ValidationError::CompanyId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "0123456789abcdef0123456789ABCDEF";

    #[test]
    fn key_names() {
        assert_eq!(
            KeyName::try_from(" cmk-2024 ").unwrap().as_str(),
            "cmk-2024"
        );
        assert_eq!(
            KeyName::try_from("a".repeat(127)).unwrap().as_str().len(),
            127
        );
        assert_eq!(
            KeyName::try_from("a".repeat(128)),
            Err(ValidationError::KeyNameLength { len: 128 })
        );
        assert_eq!(KeyName::try_from(""), Err(ValidationError::KeyNameEmpty));
        assert_eq!(
            KeyName::try_from("my_key"),
            Err(ValidationError::KeyNameCharacters { found: '_' })
        );
        assert!(serde_json::from_str::<KeyName>(r#""bad name""#).is_err());
    }

    fn key_url(vault: &str, key: &str) -> ValidationError {
        ValidationError::KeyNameIsKeyUrl {
            vault_uri: vault.into(),
            key_name: key.into(),
        }
    }

    #[test]
    fn a_pasted_key_url_names_the_vault_and_key_to_use_in_every_cloud_and_hsm() {
        for (pasted, vault) in [
            (
                format!("https://contoso-kms.vault.azure.net/keys/company-kek/{VERSION}"),
                "https://contoso-kms.vault.azure.net",
            ),
            (
                "  HTTPS://Contoso-KMS.Vault.Azure.NET/keys/company-kek/  ".to_owned(),
                "https://contoso-kms.vault.azure.net",
            ),
            (
                format!(
                    "https://contoso-kms.vault.azure.net/keys/company-kek/{VERSION}?api-version=7.4"
                ),
                "https://contoso-kms.vault.azure.net",
            ),
            (
                "https://contoso.vault.azure.cn/keys/company-kek".to_owned(),
                "https://contoso.vault.azure.cn",
            ),
            (
                format!("https://contoso.vault.usgovcloudapi.net/keys/company-kek/{VERSION}"),
                "https://contoso.vault.usgovcloudapi.net",
            ),
            (
                format!("https://pool1.managedhsm.azure.net/keys/company-kek/{VERSION}"),
                "https://pool1.managedhsm.azure.net",
            ),
            (
                "https://pool1.managedhsm.usgovcloudapi.net/KEYS/company-kek".to_owned(),
                "https://pool1.managedhsm.usgovcloudapi.net",
            ),
        ] {
            let e = KeyName::try_from(pasted.as_str()).unwrap_err();
            assert_eq!(e, key_url(vault, "company-kek"), "{pasted}");
            assert_eq!(e.field(), "key_name");
            assert_eq!(e.to_string(), "This is the key's URL, not its name");
            let fix = e.suggestion().unwrap();
            assert_eq!(fix.label, format!("Use vault {vault} and key company-kek"));
            assert_eq!(fix.vault_uri.as_deref(), Some(vault));
            assert_eq!(fix.key_name, "company-kek");
            // What the fix puts in each field parses.
            assert!(vault.parse::<VaultUri>().is_ok());
            assert!(KeyName::try_from(fix.key_name.as_str()).is_ok());
            assert!(
                e.fix()
                    .starts_with(&format!("Use vault {vault} and key company-kek:"))
            );
        }
    }

    #[test]
    fn name_slash_version_offers_the_name_alone() {
        for typed in [
            format!("company-kek/{VERSION}"),
            "company-kek/".to_owned(),
            format!("/keys/company-kek/{VERSION}"),
            format!("keys/company-kek/{VERSION}/"),
        ] {
            let e = KeyName::try_from(typed.as_str()).unwrap_err();
            assert_eq!(
                e,
                ValidationError::KeyNameWithVersion {
                    key_name: "company-kek".into()
                },
                "{typed}"
            );
            assert_eq!(e.field(), "key_name");
            let fix = e.suggestion().unwrap();
            assert_eq!(fix.label, "Use key company-kek");
            assert_eq!(fix.vault_uri, None);
            assert_eq!(fix.key_name, "company-kek");
        }
    }

    #[test]
    fn other_urls_and_slashes_get_no_suggestion() {
        for typed in [
            "https://contoso.vault.azure.net/secrets/db-password",
            "https://contoso.vault.azure.net/certificates/web",
            "https://contoso.vault.azure.net/keys/company-kek/not-a-version",
            "https://contoso.vault.azure.net/keys/my_key",
            "https://contoso.vault.azure.net/keys/",
            "https://example.com/keys/company-kek",
            "https://contoso.vault.azure.net:443/keys/company-kek",
            "ftp://contoso.vault.azure.net/keys/company-kek",
        ] {
            let e = KeyName::try_from(typed).unwrap_err();
            assert_eq!(e, ValidationError::KeyNameIsUrl, "{typed}");
            assert_eq!(e.suggestion(), None);
            assert_eq!(e.field(), "key_name");
        }
        for (typed, found) in [
            ("company-kek/short", '/'),
            ("a/b/c", '/'),
            ("my_key/0123", '_'),
        ] {
            let e = KeyName::try_from(typed).unwrap_err();
            assert_eq!(e, ValidationError::KeyNameCharacters { found }, "{typed}");
            assert_eq!(e.suggestion(), None);
        }
    }

    #[test]
    fn the_vault_uri_field_offers_the_opposite_fix() {
        let pasted = format!("https://contoso-kms.vault.azure.net/keys/company-kek/{VERSION}");
        let e = pasted.parse::<VaultUri>().unwrap_err();
        let fix = e.suggestion().unwrap();
        assert_eq!(
            fix.label,
            "Use vault https://contoso-kms.vault.azure.net and key company-kek"
        );
        assert_eq!(
            fix.vault_uri.as_deref(),
            Some("https://contoso-kms.vault.azure.net")
        );
        assert_eq!(fix.key_name, "company-kek");
        // Both fields give the same fix for the same paste.
        assert_eq!(
            KeyName::try_from(pasted.as_str()).unwrap_err().suggestion(),
            Some(fix)
        );
    }

    #[test]
    fn key_ids_parse_and_split() {
        let kid: KeyId = format!("https://Contoso.vault.azure.net/keys/cmk/{VERSION}")
            .parse()
            .unwrap();
        assert_eq!(
            kid.as_str(),
            "https://contoso.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
        );
        assert_eq!(kid.vault().as_str(), "https://contoso.vault.azure.net");
        assert_eq!(kid.name().as_str(), "cmk");
        assert_eq!(
            kid.version().unwrap().as_str(),
            VERSION.to_ascii_lowercase()
        );
        assert_eq!(
            kid.versionless().as_str(),
            "https://contoso.vault.azure.net/keys/cmk"
        );
        assert_eq!(kid.versionless().version(), None);
        let rebuilt = KeyId::new(&kid.vault(), &kid.name(), kid.version().as_ref());
        assert_eq!(rebuilt, kid);
        let upper: KeyId = "https://contoso.vault.azure.net/keys/CMK".parse().unwrap();
        assert!(upper.same_as(&"https://contoso.vault.azure.net/keys/cmk".parse().unwrap()));
    }

    #[test]
    fn key_ids_refuse_other_shapes() {
        assert_eq!(
            "https://contoso.vault.azure.net/keys/cmk/short".parse::<KeyId>(),
            Err(ValidationError::KeyVersion)
        );
        assert_eq!(
            "https://contoso.vault.azure.net/secrets/cmk".parse::<KeyId>(),
            Err(ValidationError::KeyIdShape)
        );
        assert_eq!(
            "https://contoso.vault.azure.net/keys/cmk/{VERSION}/x".parse::<KeyId>(),
            Err(ValidationError::KeyIdShape)
        );
        assert!(matches!(
            "http://contoso.vault.azure.net/keys/cmk".parse::<KeyId>(),
            Err(ValidationError::KeyIdVault(_))
        ));
        assert!(matches!(
            "https://contoso.vault.azure.net/keys/c_k".parse::<KeyId>(),
            Err(ValidationError::KeyIdName(_))
        ));
        // A query or a fragment, alone or together, is not part of a kid.
        for tail in ["?api-version=7.4", "#v", "?a=1#v"] {
            assert_eq!(
                format!("https://contoso.vault.azure.net/keys/cmk{tail}").parse::<KeyId>(),
                Err(ValidationError::KeyIdShape),
                "{tail}"
            );
        }
    }

    #[test]
    fn guids() {
        let t: TenantId = " 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ".parse().unwrap();
        assert_eq!(t.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            "72f988bf86f141af91ab2d7cd011db47".parse::<TenantId>(),
            Err(ValidationError::TenantId)
        );
        assert_eq!(
            "contoso.onmicrosoft.com".parse::<TenantId>(),
            Err(ValidationError::TenantId)
        );
        assert_eq!(
            "72f988bf-86f1-41af-91ab-2d7cd011db4g".parse::<ClientId>(),
            Err(ValidationError::ClientId)
        );
        assert!(
            "00000000-0000-0000-0000-000000000000"
                .parse::<ClientId>()
                .is_ok()
        );
    }

    #[test]
    fn google_ids_and_domains() {
        assert_eq!(
            "C01abcd23".parse::<GoogleCustomerId>().unwrap().as_str(),
            "C01abcd23"
        );
        assert!("01abcd23".parse::<GoogleCustomerId>().is_err());
        assert!("C".parse::<GoogleCustomerId>().is_err());
        assert!("C01-abc".parse::<GoogleCustomerId>().is_err());
        assert_eq!(
            "Example.COM.".parse::<GoogleDomain>().unwrap().as_str(),
            "example.com"
        );
        assert!("sub.example.co.uk".parse::<GoogleDomain>().is_ok());
        for bad in [
            "example",
            "-a.com",
            "a-.com",
            "a..com",
            "https://example.com",
            "1.2.3.4",
            "",
        ] {
            assert!(bad.parse::<GoogleDomain>().is_err(), "{bad}");
        }
    }

    #[test]
    fn company_ids() {
        assert!("acme_01-x".parse::<CompanyId>().is_ok());
        assert!("".parse::<CompanyId>().is_err());
        assert!("a".repeat(65).parse::<CompanyId>().is_err());
        assert!("a/b".parse::<CompanyId>().is_err());
        assert!("a b".parse::<CompanyId>().is_err());
        assert_eq!("../x".parse::<CompanyId>(), Err(ValidationError::CompanyId));
    }
}
