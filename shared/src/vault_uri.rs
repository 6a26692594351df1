//! The base URI of an Azure Key Vault or Managed HSM.

use serde::{Deserialize, Serialize};

use crate::macros::validated_string;
use crate::validation::ValidationError;

/// The Azure cloud a vault lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Azure public cloud (`*.azure.net`).
    Public,
    /// Azure operated by 21Vianet in China (`*.azure.cn`).
    China,
    /// Azure US Government (`*.usgovcloudapi.net`).
    UsGovernment,
}

impl Cloud {
    /// Every cloud keyswitch knows.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// The cloud as administrators know it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "Azure (public cloud)",
            Cloud::China => "Azure China (operated by 21Vianet)",
            Cloud::UsGovernment => "Azure US Government",
        }
    }

    /// Its Microsoft Entra authority (production default).
    #[must_use]
    pub fn default_authority(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
        }
    }

    /// Its Azure Portal.
    #[must_use]
    pub fn portal(self) -> &'static str {
        match self {
            Cloud::Public => "https://portal.azure.com",
            Cloud::China => "https://portal.azure.cn",
            Cloud::UsGovernment => "https://portal.azure.us",
        }
    }

    /// The Azure CLI's name for it (`az cloud set --name …`).
    #[must_use]
    pub fn az_cloud_name(self) -> &'static str {
        match self {
            Cloud::Public => "AzureCloud",
            Cloud::China => "AzureChinaCloud",
            Cloud::UsGovernment => "AzureUSGovernment",
        }
    }

    /// The suffix of its configuration names (`CONNECTOR_CLIENT_ID{suffix}`):
    /// empty for the public cloud, `_CHINA`, `_USGOV`.
    #[must_use]
    pub fn var_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "",
            Cloud::China => "_CHINA",
            Cloud::UsGovernment => "_USGOV",
        }
    }
}

/// What kind of key store a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultKind {
    /// A Key Vault (standard or premium).
    KeyVault,
    /// A Managed HSM pool.
    ManagedHsm,
}

/// Host suffixes keyswitch accepts, with what they mean.
const HOSTS: [(&str, VaultKind, Cloud); 6] = [
    (".vault.azure.net", VaultKind::KeyVault, Cloud::Public),
    (".vault.azure.cn", VaultKind::KeyVault, Cloud::China),
    (
        ".vault.usgovcloudapi.net",
        VaultKind::KeyVault,
        Cloud::UsGovernment,
    ),
    (
        ".managedhsm.azure.net",
        VaultKind::ManagedHsm,
        Cloud::Public,
    ),
    (".managedhsm.azure.cn", VaultKind::ManagedHsm, Cloud::China),
    (
        ".managedhsm.usgovcloudapi.net",
        VaultKind::ManagedHsm,
        Cloud::UsGovernment,
    ),
];

validated_string!(
    /// A vault base URI such as `https://contoso.vault.azure.net`: https, a
    /// Key Vault or Managed HSM host of the public, China or US Government
    /// cloud, a valid vault name, and nothing else (no port, user info, path,
    /// query or fragment).
    ///
    /// Parsing trims surrounding whitespace, lowercases the host and drops one
    /// trailing slash; [`VaultUri::as_str`] never ends with `/`.
    VaultUri,
    parse_vault_uri
);

impl VaultUri {
    /// The host, e.g. `contoso.vault.azure.net`.
    #[must_use]
    pub fn host(&self) -> &str {
        self.0.strip_prefix("https://").unwrap_or(&self.0)
    }

    /// The vault (or HSM pool) name, e.g. `contoso`.
    #[must_use]
    pub fn vault_name(&self) -> &str {
        let host = self.host();
        host.split_once('.').map_or(host, |(name, _)| name)
    }

    /// Whether this is a Key Vault or a Managed HSM.
    #[must_use]
    pub fn kind(&self) -> VaultKind {
        classify(self.host()).map_or(VaultKind::KeyVault, |(kind, _, _)| kind)
    }

    /// The cloud the vault lives in.
    #[must_use]
    pub fn cloud(&self) -> Cloud {
        classify(self.host()).map_or(Cloud::Public, |(_, cloud, _)| cloud)
    }

    /// The OAuth scope of a token for this vault's data plane.
    #[must_use]
    pub fn token_scope(&self) -> &'static str {
        match (self.kind(), self.cloud()) {
            (VaultKind::KeyVault, Cloud::Public) => "https://vault.azure.net/.default",
            (VaultKind::KeyVault, Cloud::China) => "https://vault.azure.cn/.default",
            (VaultKind::KeyVault, Cloud::UsGovernment) => {
                "https://vault.usgovcloudapi.net/.default"
            }
            (VaultKind::ManagedHsm, Cloud::Public) => "https://managedhsm.azure.net/.default",
            (VaultKind::ManagedHsm, Cloud::China) => "https://managedhsm.azure.cn/.default",
            (VaultKind::ManagedHsm, Cloud::UsGovernment) => {
                "https://managedhsm.usgovcloudapi.net/.default"
            }
        }
    }

    /// Refuses a vault whose cloud is not among `configured` (the clouds
    /// this deployment has a connector for). The browser and the edge both
    /// call it, so the Vault URI field says the same on both sides.
    pub fn check_cloud(&self, configured: &[Cloud]) -> Result<(), ValidationError> {
        let cloud = self.cloud();
        if configured.contains(&cloud) {
            Ok(())
        } else {
            Err(ValidationError::VaultCloudNotConfigured {
                cloud,
                available: Cloud::ALL
                    .into_iter()
                    .filter(|c| configured.contains(c))
                    .collect(),
            })
        }
    }

    /// Parses `input` and refuses a cloud not among `configured`.
    pub fn parse_in(input: &str, configured: &[Cloud]) -> Result<Self, ValidationError> {
        let uri: Self = input.parse()?;
        uri.check_cloud(configured)?;
        Ok(uri)
    }

    /// The versionless URL of a key in this vault, e.g.
    /// `https://contoso.vault.azure.net/keys/cmk`.
    #[must_use]
    pub fn key_url(&self, key: &crate::KeyName) -> String {
        format!("{}/keys/{}", self.0, key.as_str())
    }

    /// Built from a base already checked by [`parse_parts`].
    pub(crate) fn from_checked_base(base: String) -> Self {
        Self(base)
    }
}

/// A URI split after its (already validated) vault host.
pub(crate) struct Parts<'a> {
    /// `https://{host}`, host lowercased.
    pub(crate) base: String,
    /// Everything between the host and `?`/`#`, possibly empty.
    pub(crate) path: &'a str,
    /// The query without `?`, if any.
    pub(crate) query: Option<&'a str>,
    /// The fragment without `#`, if any.
    pub(crate) fragment: Option<&'a str>,
}

/// Checks scheme, authority, host and vault name, and splits off the rest.
pub(crate) fn parse_parts(input: &str) -> Result<Parts<'_>, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::VaultUriEmpty);
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(ValidationError::VaultUriCharacters);
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(ValidationError::VaultUriMissingScheme);
    };
    if !scheme.eq_ignore_ascii_case("https") {
        let looks_like_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        return Err(if looks_like_scheme {
            ValidationError::VaultUriNotHttps {
                scheme: scheme.to_ascii_lowercase(),
            }
        } else {
            ValidationError::VaultUriMissingScheme
        });
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(ValidationError::VaultUriUserInfo);
    }
    if authority.contains('[') || authority.contains(']') {
        return Err(ValidationError::VaultUriUnknownHost {
            host: authority.to_ascii_lowercase(),
        });
    }
    if authority.contains(':') {
        return Err(ValidationError::VaultUriPort);
    }
    let host = authority.to_ascii_lowercase();
    let Some((_, _, name)) = classify(&host) else {
        return Err(ValidationError::VaultUriUnknownHost {
            host: if host.is_empty() {
                "An empty host".to_owned()
            } else {
                host
            },
        });
    };
    check_vault_name(name)?;
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((a, b)) => (a, Some(b)),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (before_fragment, None),
    };
    Ok(Parts {
        base: format!("https://{host}"),
        path,
        query,
        fragment,
    })
}

/// The kind, cloud and vault name of a lowercased host, if it is one of ours.
fn classify(host: &str) -> Option<(VaultKind, Cloud, &str)> {
    HOSTS.iter().find_map(|(suffix, kind, cloud)| {
        let name = host.strip_suffix(suffix)?;
        (!name.is_empty() && !name.contains('.')).then_some((*kind, *cloud, name))
    })
}

/// Azure's vault (and HSM pool) naming rules.
fn check_vault_name(name: &str) -> Result<(), ValidationError> {
    let owned = || name.to_owned();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ValidationError::VaultNameCharacters { name: owned() });
    }
    let len = name.len();
    if !(3..=24).contains(&len) {
        return Err(ValidationError::VaultNameLength { name: owned(), len });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ValidationError::VaultNameStart { name: owned() });
    }
    if name.ends_with('-') {
        return Err(ValidationError::VaultNameEnd { name: owned() });
    }
    if name.contains("--") {
        return Err(ValidationError::VaultNameDoubleHyphen { name: owned() });
    }
    Ok(())
}

/// The path segments after the host, with one trailing slash dropped.
pub(crate) fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

fn parse_vault_uri(input: &str) -> Result<String, ValidationError> {
    let parts = parse_parts(input)?;
    if !(parts.path.is_empty() || parts.path == "/") {
        let segs = segments(parts.path);
        let collection = segs.first().map(|s| s.to_ascii_lowercase());
        let object = segs.get(1).filter(|s| !s.is_empty());
        return Err(match (collection.as_deref(), object) {
            (Some("keys"), Some(name)) => ValidationError::VaultUriKeyPath {
                vault_uri: parts.base,
                key_name: (*name).to_owned(),
            },
            (Some("secrets" | "deletedsecrets"), _) => ValidationError::VaultUriSecret,
            (Some("certificates" | "deletedcertificates"), _) => {
                ValidationError::VaultUriCertificate
            }
            (Some("deletedkeys"), _) => ValidationError::VaultUriDeletedKey {
                vault_uri: parts.base,
            },
            _ => ValidationError::VaultUriPath {
                path: parts.path.to_owned(),
            },
        });
    }
    if parts.query.is_some() {
        return Err(ValidationError::VaultUriQuery);
    }
    if parts.fragment.is_some() {
        return Err(ValidationError::VaultUriFragment);
    }
    Ok(parts.base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> ValidationError {
        s.parse::<VaultUri>().unwrap_err()
    }

    #[test]
    fn accepts_and_normalises_every_supported_host() {
        for (input, kind, cloud) in [
            (
                "https://contoso.vault.azure.net",
                VaultKind::KeyVault,
                Cloud::Public,
            ),
            (
                "https://contoso.vault.azure.cn/",
                VaultKind::KeyVault,
                Cloud::China,
            ),
            (
                "https://contoso.vault.usgovcloudapi.net",
                VaultKind::KeyVault,
                Cloud::UsGovernment,
            ),
            (
                "https://contoso.managedhsm.azure.net",
                VaultKind::ManagedHsm,
                Cloud::Public,
            ),
            (
                "https://contoso.managedhsm.azure.cn",
                VaultKind::ManagedHsm,
                Cloud::China,
            ),
            (
                "https://contoso.managedhsm.usgovcloudapi.net/",
                VaultKind::ManagedHsm,
                Cloud::UsGovernment,
            ),
        ] {
            let uri: VaultUri = input.parse().unwrap();
            assert!(!uri.as_str().ends_with('/'), "{uri}");
            assert_eq!(uri.vault_name(), "contoso");
            assert_eq!(uri.kind(), kind);
            assert_eq!(uri.cloud(), cloud);
        }
    }

    #[test]
    fn trims_lowercases_host_and_drops_one_slash() {
        let uri: VaultUri = "  HTTPS://Contoso-Keys.Vault.Azure.NET/ \n"
            .parse()
            .unwrap();
        assert_eq!(uri.as_str(), "https://contoso-keys.vault.azure.net");
        assert_eq!(uri.host(), "contoso-keys.vault.azure.net");
        assert_eq!(uri.token_scope(), "https://vault.azure.net/.default");
        assert!(matches!(
            err("https://contoso.vault.azure.net//"),
            ValidationError::VaultUriPath { .. }
        ));
    }

    #[test]
    fn a_cloud_without_a_connector_is_refused_at_the_field() {
        let gov = "https://contoso.vault.usgovcloudapi.net";
        let hsm_cn = "https://pool1.managedhsm.azure.cn";
        let configured = [Cloud::Public, Cloud::China];
        assert!(VaultUri::parse_in(hsm_cn, &configured).is_ok());
        let e = VaultUri::parse_in(gov, &configured).unwrap_err();
        assert_eq!(
            e,
            ValidationError::VaultCloudNotConfigured {
                cloud: Cloud::UsGovernment,
                available: vec![Cloud::Public, Cloud::China],
            }
        );
        assert_eq!(e.field(), "vault_uri");
        assert_eq!(
            e.to_string(),
            "Azure US Government vaults can't be used here: CyberSentriq has no connector for that cloud"
        );
        assert!(
            e.fix().contains("Azure (public cloud) or Azure China"),
            "{}",
            e.fix()
        );
        let c = crate::CatalogError::from(e.clone());
        assert_eq!(c.code(), "cloud_not_configured");
        assert_eq!(c.status(), 400);
        assert_eq!(c.field().as_deref(), Some("vault_uri"));
        // The same words on both sides.
        assert_eq!((c.message(), c.fix()), (e.to_string(), e.fix()));
        // Managed HSM of an unconfigured cloud too; the input is checked first.
        assert!(
            VaultUri::parse_in("https://pool1.managedhsm.usgovcloudapi.net", &configured).is_err()
        );
        assert_eq!(
            VaultUri::parse_in("http://x", &configured).unwrap_err(),
            ValidationError::VaultUriNotHttps {
                scheme: "http".into()
            }
        );
    }

    #[test]
    fn sovereign_scopes_and_hosts() {
        for (uri, scope) in [
            (
                "https://a-v.vault.azure.cn",
                "https://vault.azure.cn/.default",
            ),
            (
                "https://a-v.vault.usgovcloudapi.net",
                "https://vault.usgovcloudapi.net/.default",
            ),
            (
                "https://a-v.managedhsm.azure.cn",
                "https://managedhsm.azure.cn/.default",
            ),
        ] {
            assert_eq!(uri.parse::<VaultUri>().unwrap().token_scope(), scope);
        }
        assert_eq!(
            Cloud::China.default_authority(),
            "https://login.chinacloudapi.cn"
        );
        assert_eq!(Cloud::UsGovernment.portal(), "https://portal.azure.us");
    }

    #[test]
    fn managed_hsm_scope() {
        let uri: VaultUri = "https://pool1.managedhsm.azure.net".parse().unwrap();
        assert_eq!(uri.token_scope(), "https://managedhsm.azure.net/.default");
    }

    #[test]
    fn key_url_gives_seed_message_and_tells_what_to_use() {
        let e = err("https://vault.vault.azure.net/keys/my-key/abc123");
        assert_eq!(e.to_string(), "The URI appears to contain the key path");
        assert_eq!(
            e,
            ValidationError::VaultUriKeyPath {
                vault_uri: "https://vault.vault.azure.net".into(),
                key_name: "my-key".into()
            }
        );
        let fix = e.fix();
        assert!(fix.contains("https://vault.vault.azure.net"), "{fix}");
        assert!(fix.contains("my-key"), "{fix}");
        assert!(fix.contains("Key Name"), "{fix}");
        // versionless, with trailing slash, with api-version
        for s in [
            "https://vault.vault.azure.net/keys/my-key",
            "https://vault.vault.azure.net/keys/my-key/",
            "https://vault.vault.azure.net/KEYS/my-key/0123?api-version=7.4",
        ] {
            assert!(
                matches!(err(s), ValidationError::VaultUriKeyPath { ref key_name, .. } if key_name == "my-key"),
                "{s}"
            );
        }
    }

    #[test]
    fn object_urls_get_their_own_messages() {
        assert_eq!(
            err("https://vault.vault.azure.net/secrets/db-password/abc").to_string(),
            "The URI appears to point to a secret"
        );
        assert_eq!(
            err("https://vault.vault.azure.net/certificates/tls").to_string(),
            "The URI appears to point to a certificate"
        );
        assert_eq!(
            err("https://vault.vault.azure.net/deletedkeys/old").to_string(),
            "The URI appears to point to a deleted key"
        );
        assert!(matches!(
            err("https://vault.vault.azure.net/other"),
            ValidationError::VaultUriPath { .. }
        ));
    }

    #[test]
    fn refuses_malformed_uris_precisely() {
        assert_eq!(err("   "), ValidationError::VaultUriEmpty);
        assert_eq!(
            err("contoso.vault.azure.net"),
            ValidationError::VaultUriMissingScheme
        );
        assert_eq!(
            err("http://contoso.vault.azure.net"),
            ValidationError::VaultUriNotHttps {
                scheme: "http".into()
            }
        );
        assert_eq!(
            err("https://contoso.vault.azure.net:443"),
            ValidationError::VaultUriPort
        );
        assert_eq!(
            err("https://me:pw@contoso.vault.azure.net"),
            ValidationError::VaultUriUserInfo
        );
        assert_eq!(
            err("https://contoso.vault.azure.net/?x=1"),
            ValidationError::VaultUriQuery
        );
        assert_eq!(
            err("https://contoso.vault.azure.net#frag"),
            ValidationError::VaultUriFragment
        );
        assert_eq!(
            err("https://con toso.vault.azure.net"),
            ValidationError::VaultUriCharacters
        );
        // Non-ASCII (a look-alike letter) and control characters are named
        // as such, wherever they are.
        for uri in [
            "https://contosо.vault.azure.net",
            "https://contoso.vault.azure.net/é",
            "https://contoso\u{7}.vault.azure.net",
        ] {
            assert_eq!(err(uri), ValidationError::VaultUriCharacters, "{uri:?}");
        }
        // Only a plausible scheme is repeated back; anything else before
        // `://` is a missing scheme.
        assert_eq!(
            err("FTP://contoso.vault.azure.net"),
            ValidationError::VaultUriNotHttps {
                scheme: "ftp".into()
            }
        );
        for uri in [
            "1ftp://contoso.vault.azure.net",
            "ft@p://contoso.vault.azure.net",
        ] {
            assert_eq!(err(uri), ValidationError::VaultUriMissingScheme, "{uri}");
        }
        assert!(matches!(
            err("https://contoso.vault.azure.com"),
            ValidationError::VaultUriUnknownHost { .. }
        ));
        assert!(matches!(
            err("https://contoso.blob.core.windows.net"),
            ValidationError::VaultUriUnknownHost { .. }
        ));
        assert!(matches!(
            err("https://a.b.vault.azure.net"),
            ValidationError::VaultUriUnknownHost { .. }
        ));
        assert!(matches!(
            err("https://vault.azure.net"),
            ValidationError::VaultUriUnknownHost { .. }
        ));
        assert!(matches!(
            err("https://"),
            ValidationError::VaultUriUnknownHost { .. }
        ));
        // An IP literal, even a half-bracketed one, is not a vault (not a
        // port either).
        for uri in ["https://[::1]", "https://[::1", "https://::1]"] {
            assert!(
                matches!(err(uri), ValidationError::VaultUriUnknownHost { .. }),
                "{uri}"
            );
        }
    }

    #[test]
    fn each_cloud_has_its_configuration_suffix_and_key_urls() {
        assert_eq!(Cloud::Public.var_suffix(), "");
        assert_eq!(Cloud::China.var_suffix(), "_CHINA");
        assert_eq!(Cloud::UsGovernment.var_suffix(), "_USGOV");
        let vault: VaultUri = "https://Contoso.vault.azure.cn/".parse().unwrap();
        let key: crate::KeyName = "company-kek".parse().unwrap();
        assert_eq!(
            vault.key_url(&key),
            "https://contoso.vault.azure.cn/keys/company-kek"
        );
    }

    #[test]
    fn enforces_azure_vault_name_rules() {
        assert!(matches!(
            err("https://ab.vault.azure.net"),
            ValidationError::VaultNameLength { len: 2, .. }
        ));
        assert!(matches!(
            err("https://abcdefghijklmnopqrstuvwxy.vault.azure.net"),
            ValidationError::VaultNameLength { len: 25, .. }
        ));
        assert!(matches!(
            err("https://1abc.vault.azure.net"),
            ValidationError::VaultNameStart { .. }
        ));
        assert!(matches!(
            err("https://abc-.vault.azure.net"),
            ValidationError::VaultNameEnd { .. }
        ));
        assert!(matches!(
            err("https://ab--c.vault.azure.net"),
            ValidationError::VaultNameDoubleHyphen { .. }
        ));
        assert!(matches!(
            err("https://ab_c.vault.azure.net"),
            ValidationError::VaultNameCharacters { .. }
        ));
        assert!("https://abc.vault.azure.net".parse::<VaultUri>().is_ok());
        assert!(
            "https://abcdefghijklmnopqrstuvwx.vault.azure.net"
                .parse::<VaultUri>()
                .is_ok()
        );
    }

    #[test]
    fn serde_goes_through_the_checks() {
        let uri: VaultUri = serde_json::from_str(r#""https://Contoso.vault.azure.net/""#).unwrap();
        assert_eq!(
            serde_json::to_string(&uri).unwrap(),
            r#""https://contoso.vault.azure.net""#
        );
        assert!(serde_json::from_str::<VaultUri>(r#""http://contoso.vault.azure.net""#).is_err());
    }
}
