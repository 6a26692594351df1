//! The deployed-configuration guard: which settings make a worker unsafe to
//! serve outside the development environment. Pure: the edge hands in how
//! to read a var and a secret, and answers every route 503
//! `service_misconfigured` while this list is not empty (see
//! `edge/src/guard.rs`).
//!
//! The development environment is the one whose var `ENVIRONMENT` is
//! exactly `development`: only the local run and the tests set it
//! (`scripts/lib.sh`); `edge/wrangler.toml` never does, so a worker started
//! or deployed from it (top level, `--env staging`, `--env production`) is
//! checked.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::envelope_access::CompanyAllowList;
use crate::vault_uri::Cloud;

/// The var that names the environment; only `development` skips the guard.
pub const ENVIRONMENT: &str = "ENVIRONMENT";
/// Its one value that skips the guard.
pub const DEVELOPMENT: &str = "development";

/// Vars holding an outside address: each must be an `https://` URL of a
/// host that is not this machine.
pub const OUTSIDE_ADDRESSES: [&str; 11] = [
    "REDAPP_API_URL",
    "REDAPP_SESSION_JWKS_URL",
    "REDAPP_SIGN_IN_URL",
    "ENTRA_AUTHORITY",
    "CONSENT_REDIRECT_URI",
    "GOOGLE_AUTH_URL",
    "GOOGLE_TOKEN_URL",
    "GOOGLE_CERTS_URL",
    "GOOGLE_ISSUER",
    "GOOGLE_DIRECTORY_URL",
    "AWS_KMS_ENDPOINT",
];

/// Plain vars that must not be empty.
pub const REQUIRED_VARS: [&str; 4] = [
    "CONNECTOR_CLIENT_ID",
    "GOOGLE_CLIENT_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_REGION",
];

/// Secrets that must be set (`wrangler secret put`).
pub const REQUIRED_SECRETS: [&str; 5] = [
    "PLATFORM_KEY",
    "CONNECTOR_CLIENT_SECRET",
    "GOOGLE_CLIENT_SECRET",
    "ENVELOPE_SERVICE_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
];

/// The shortest envelope credential accepted (random, 32+ characters).
pub const MIN_ENVELOPE_TOKEN_CHARS: usize = 32;

/// One unsafe or missing setting: its name and why (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The var, secret or build setting at fault.
    pub name: &'static str,
    /// What is wrong with it.
    pub why: &'static str,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.why)
    }
}

/// How the guard reads the configuration.
pub trait Settings {
    /// A plain-text var (`None`: not set).
    fn var(&self, name: &str) -> Option<String>;
    /// A secret (`None`: not set).
    fn secret(&self, name: &str) -> Option<String>;
    /// Whether [`Settings::secret`] gives the secrets' values. `false` when
    /// only their names are known: before a deploy, `wrangler secret list`
    /// names a worker's secrets but never returns a value
    /// (`tools/deploy-check`); then a secret's presence is checked here and
    /// its value by the deployed worker's own guard.
    fn secret_values_known(&self) -> bool {
        true
    }
}

/// The value of secret `name` to check, when this configuration gives
/// values (see [`Settings::secret_values_known`]).
fn secret_value(settings: &dyn Settings, name: &str) -> Option<String> {
    if settings.secret_values_known() {
        set(settings.secret(name))
    } else {
        None
    }
}

/// Every secret the guard may ask for (`wrangler secret put`): the
/// required ones, the second envelope credential, the sovereign clouds'
/// connector secrets and the webhook signing secret.
#[must_use]
pub fn secret_names() -> Vec<&'static str> {
    let mut names = REQUIRED_SECRETS.to_vec();
    names.push("ENVELOPE_SERVICE_TOKEN_NEXT");
    names.extend(SOVEREIGN_CONNECTORS.iter().map(|c| c.3));
    names.push("WEBHOOK_SECRET");
    names
}

/// Whether the configuration says it is the development environment.
pub fn is_development(settings: &dyn Settings) -> bool {
    settings.var(ENVIRONMENT).as_deref().map(str::trim) == Some(DEVELOPMENT)
}

fn set(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A host that is this machine (a simulator or a development sign-in).
fn is_local_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback() || ip.is_unspecified() || ip.is_private(),
        url::Host::Ipv6(ip) => ip.is_loopback() || ip.is_unspecified(),
    }
}

/// Whether a request's host name (without port) is this machine: the
/// only hosts a development configuration serves.
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let bracketed;
    let host = if host.contains(':') && !host.starts_with('[') {
        bracketed = format!("[{host}]");
        bracketed.as_str()
    } else {
        host
    };
    match url::Host::parse(host) {
        Ok(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Ok(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Ok(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Why `value` is not a safe outside address, if it is not.
fn address_problem(value: &str) -> Option<&'static str> {
    if !value.is_ascii() {
        // The builds parse hosts without a Unicode back end (edge/Cargo.toml,
        // `idna_adapter`): say what to write instead of "not a URL".
        return Some("has characters outside ASCII (write a host name in its xn-- form)");
    }
    let Ok(url) = url::Url::parse(value) else {
        return Some("is not a URL");
    };
    if url.scheme() != "https" {
        return Some("is not an https:// address");
    }
    match url.host() {
        None => Some("has no host"),
        Some(h) if is_local_host(&h) => {
            Some("points at this machine or a private network (a development address)")
        }
        Some(_) => None,
    }
}

fn envelope_problems(settings: &dyn Settings, out: &mut Vec<Problem>) {
    let slots = [
        ("ENVELOPE_SERVICE_TOKEN", "ENVELOPE_COMPANIES", true),
        (
            "ENVELOPE_SERVICE_TOKEN_NEXT",
            "ENVELOPE_COMPANIES_NEXT",
            false,
        ),
    ];
    for (token, list, required) in slots {
        if set(settings.secret(token)).is_none() {
            // A missing required token is reported with the other secrets.
            continue;
        }
        if let Some(value) = secret_value(settings, token)
            && value.chars().count() < MIN_ENVELOPE_TOKEN_CHARS
        {
            out.push(Problem {
                name: token,
                why: "is shorter than 32 characters",
            });
        }
        match set(settings.var(list)) {
            None if required => out.push(Problem {
                name: list,
                why: "is missing (set * or comma-separated company ids)",
            }),
            None => out.push(Problem {
                name: list,
                why: "is missing while its credential is set (set * or comma-separated company ids)",
            }),
            Some(text) if CompanyAllowList::parse(&text).is_err() => out.push(Problem {
                name: list,
                why: "is not * or comma-separated company ids",
            }),
            Some(_) => {}
        }
    }
}

/// Every problem of a configuration outside the development environment
/// (none in development). `bench_compiled`: the worker was built with the
/// benchmark routes.
#[must_use]
pub fn problems(settings: &dyn Settings, bench_compiled: bool) -> Vec<Problem> {
    if is_development(settings) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if set(settings.var("KEYVAULT_PROXY")).is_some() {
        out.push(Problem {
            name: "KEYVAULT_PROXY",
            why: "is set (Key Vault calls and their tokens would go through a proxy)",
        });
    }
    if set(settings.var("BENCH_ROUTES")).is_some() {
        out.push(Problem {
            name: "BENCH_ROUTES",
            why: "is set (benchmark routes are for local runs only)",
        });
    }
    if bench_compiled {
        out.push(Problem {
            name: "BENCH_ROUTES",
            why: "are compiled in (a worker built with the cargo feature bench)",
        });
    }
    for name in OUTSIDE_ADDRESSES {
        match set(settings.var(name)) {
            None => out.push(Problem {
                name,
                why: "is missing",
            }),
            Some(value) => {
                if let Some(why) = address_problem(&value) {
                    out.push(Problem { name, why });
                }
            }
        }
    }
    let origins = set(settings.var("ALLOWED_ORIGINS")).unwrap_or_default();
    if origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .any(|o| address_problem(o).is_some())
    {
        out.push(Problem {
            name: "ALLOWED_ORIGINS",
            why: "has an origin that is not https:// or points at this machine",
        });
    }
    for name in REQUIRED_VARS {
        if set(settings.var(name)).is_none() {
            out.push(Problem {
                name,
                why: "is missing",
            });
        }
    }
    for name in REQUIRED_SECRETS {
        if set(settings.secret(name)).is_none() {
            out.push(Problem {
                name,
                why: "is missing (wrangler secret put)",
            });
        }
    }
    if let Some(key) = secret_value(settings, "PLATFORM_KEY")
        && STANDARD.decode(key).map(|k| k.len()) != Ok(32)
    {
        out.push(Problem {
            name: "PLATFORM_KEY",
            why: "is not 32 bytes in base64",
        });
    }
    envelope_problems(settings, &mut out);
    cloud_problems(settings, &mut out);
    webhook_problems(settings, &mut out);
    limit_problems(settings, &mut out);
    out
}

/// The connector's configuration in a sovereign cloud (issue 16): the
/// names of its authority var, client id var and secret, and the cloud.
pub const SOVEREIGN_CONNECTORS: [(Cloud, &str, &str, &str); 2] = [
    (
        Cloud::China,
        "ENTRA_AUTHORITY_CHINA",
        "CONNECTOR_CLIENT_ID_CHINA",
        "CONNECTOR_CLIENT_SECRET_CHINA",
    ),
    (
        Cloud::UsGovernment,
        "ENTRA_AUTHORITY_USGOV",
        "CONNECTOR_CLIENT_ID_USGOV",
        "CONNECTOR_CLIENT_SECRET_USGOV",
    ),
];

/// A sovereign cloud's connector is optional (an empty client id: that
/// cloud's vaults are refused at the Vault URI field). Outside development,
/// its authority may only be that cloud's real Entra authority (the
/// connector's secret for that cloud goes there), and a client id needs a
/// GUID, its secret and the authority; a secret without a client id is a
/// leftover.
fn cloud_problems(settings: &dyn Settings, out: &mut Vec<Problem>) {
    for (cloud, authority, client_id, secret) in SOVEREIGN_CONNECTORS {
        let authority_value = set(settings.var(authority));
        if let Some(value) = &authority_value
            && value.trim_end_matches('/') != cloud.default_authority()
        {
            out.push(Problem {
                name: authority,
                why: "is not that cloud's Entra authority (https://login.chinacloudapi.cn for China, https://login.microsoftonline.us for US Government)",
            });
        }
        let secret_set = set(settings.secret(secret)).is_some();
        match set(settings.var(client_id)) {
            None if secret_set => out.push(Problem {
                name: secret,
                why: "is set while its cloud has no connector client id",
            }),
            None => {}
            Some(id) => {
                if id.parse::<crate::ClientId>().is_err() {
                    out.push(Problem {
                        name: client_id,
                        why: "is not a GUID (the app registration's Application (client) ID)",
                    });
                }
                if !secret_set {
                    out.push(Problem {
                        name: secret,
                        why: "is missing while its cloud has a connector client id (wrangler secret put)",
                    });
                }
                if authority_value.is_none() {
                    out.push(Problem {
                        name: authority,
                        why: "is missing while its cloud has a connector client id",
                    });
                }
            }
        }
    }
}

/// The shortest webhook signing secret accepted (random, 32+ characters).
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 32;

/// `WEBHOOK_URL` may be empty (no webhooks); when set it must be a safe
/// outside address and `WEBHOOK_SECRET` must be set and long enough.
fn webhook_problems(settings: &dyn Settings, out: &mut Vec<Problem>) {
    let Some(url) = set(settings.var("WEBHOOK_URL")) else {
        return;
    };
    if let Some(why) = address_problem(&url) {
        out.push(Problem {
            name: "WEBHOOK_URL",
            why,
        });
    }
    if set(settings.secret("WEBHOOK_SECRET")).is_none() {
        out.push(Problem {
            name: "WEBHOOK_SECRET",
            why: "is missing while WEBHOOK_URL is set (wrangler secret put)",
        });
        return;
    }
    if let Some(s) = secret_value(settings, "WEBHOOK_SECRET")
        && s.chars().count() < MIN_WEBHOOK_SECRET_CHARS
    {
        out.push(Problem {
            name: "WEBHOOK_SECRET",
            why: "is shorter than 32 characters",
        });
    }
}

/// The fewest seconds between two connection tests of a company outside
/// development (issue 13: one per company per ten seconds).
pub const MIN_CONNECTION_TEST_INTERVAL_SECS: u64 = 10;
/// The longest an admin consent may count outside development (24 hours).
pub const MAX_CONSENT_AGE_SECS: u64 = 86_400;
/// The safe range of seconds between two key health checks outside
/// development (issue 14): often enough to see a lost key within the hour,
/// rarely enough to stay far under Key Vault's limits.
pub const HEALTH_CHECK_INTERVAL_RANGE_SECS: (u64, u64) = (60, 3600);
/// The safe range of `EXPIRY_WARNING_DAYS` outside development.
pub const EXPIRY_WARNING_RANGE_DAYS: (u64, u64) = (1, 365);
/// The shortest company-key cache time outside development: shorter sends
/// the customer's vault a GET and an unwrap that often per company.
pub const MIN_KEY_CACHE_SECS: u64 = 30;
/// The longest company-key cache time (the revocation promise: 5 minutes).
pub const MAX_KEY_CACHE_SECS: u64 = crate::switch::KEY_CACHE_SECS;

/// The safe range of `BACKUP_SET_COUNT_MAX_AGE_SECONDS` outside
/// development: at most as stale as the host's read copies, and not an
/// inventory read on nearly every status call.
pub const BACKUP_SET_COUNT_MAX_AGE_RANGE_SECS: (u64, u64) =
    (10, crate::switch::BACKUP_SET_COUNT_MAX_AGE_SECS);

/// Limits that only a test stack may loosen: a shorter connection-test
/// interval (spends the customer's Key Vault quota faster) or a longer
/// consent lifetime. Unset means the safe default.
fn limit_problems(settings: &dyn Settings, out: &mut Vec<Problem>) {
    let number = |name| set(settings.var(name)).map(|v| v.trim().parse::<u64>().ok());
    if let Some(value) = number("CONNECTION_TEST_INTERVAL_SECONDS")
        && value.is_none_or(|v| v < MIN_CONNECTION_TEST_INTERVAL_SECS)
    {
        out.push(Problem {
            name: "CONNECTION_TEST_INTERVAL_SECONDS",
            why: "is below 10 seconds or not a number (the rate limit protects the customer's Key Vault quota)",
        });
    }
    let (lo, hi) = HEALTH_CHECK_INTERVAL_RANGE_SECS;
    if let Some(value) = number("HEALTH_CHECK_INTERVAL_SECONDS")
        && value.is_none_or(|v| !(lo..=hi).contains(&v))
    {
        out.push(Problem {
            name: "HEALTH_CHECK_INTERVAL_SECONDS",
            why: "is outside 60 to 3600 seconds or not a number (key health checks must find a lost key within the hour and stay far under Key Vault's limits)",
        });
    }
    let (lo, hi) = EXPIRY_WARNING_RANGE_DAYS;
    if let Some(value) = number("EXPIRY_WARNING_DAYS")
        && value.is_none_or(|v| !(lo..=hi).contains(&v))
    {
        out.push(Problem {
            name: "EXPIRY_WARNING_DAYS",
            why: "is outside 1 to 365 days or not a number",
        });
    }
    if let Some(value) = number("KEY_CACHE_SECONDS")
        && value.is_none_or(|v| !(MIN_KEY_CACHE_SECS..=MAX_KEY_CACHE_SECS).contains(&v))
    {
        out.push(Problem {
            name: "KEY_CACHE_SECONDS",
            why: "is not between 30 and 300 seconds or not a number (revocation must bite within 5 minutes, and a shorter cache spends the customer's Key Vault quota)",
        });
    }
    let (lo, hi) = BACKUP_SET_COUNT_MAX_AGE_RANGE_SECS;
    if let Some(value) = number("BACKUP_SET_COUNT_MAX_AGE_SECONDS")
        && value.is_none_or(|v| !(lo..=hi).contains(&v))
    {
        out.push(Problem {
            name: "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
            why: "is not between 10 and 60 seconds or not a number (the backup-set count Manage KMS shows is at most a minute old, and a shorter age reads the host's inventory on nearly every status call)",
        });
    }
    if let Some(value) = number("CONSENT_MAX_AGE_SECONDS")
        && value.is_none_or(|v| v == 0 || v > MAX_CONSENT_AGE_SECS)
    {
        out.push(Problem {
            name: "CONSENT_MAX_AGE_SECONDS",
            why: "is above 24 hours, zero or not a number (an admin consent counts for 24 hours at most)",
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Map(HashMap<&'static str, String>);

    impl Settings for Map {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
        fn secret(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    /// A complete, safe production configuration.
    fn production() -> Map {
        let mut m = HashMap::new();
        for name in OUTSIDE_ADDRESSES {
            m.insert(
                name,
                format!("https://{}.example.com/x", name.to_lowercase()),
            );
        }
        for name in REQUIRED_VARS {
            m.insert(name, "x".to_owned());
        }
        for name in REQUIRED_SECRETS {
            m.insert(name, "s".repeat(40));
        }
        m.insert("PLATFORM_KEY", STANDARD.encode([7u8; 32]));
        m.insert("ENVELOPE_COMPANIES", "*".to_owned());
        m.insert("KEYVAULT_PROXY", String::new());
        m.insert("ALLOWED_ORIGINS", "https://redapp.example.com".to_owned());
        m.insert("KEY_CACHE_SECONDS", "300".to_owned());
        m.insert("BACKUP_SET_COUNT_MAX_AGE_SECONDS", "60".to_owned());
        Map(m)
    }

    #[test]
    fn sovereign_connectors_are_optional_but_complete_and_only_at_their_authority() {
        let mut m = production();
        assert!(names(&m).is_empty(), "{:?}", names(&m));
        // A complete China connector is fine.
        m.0.insert(
            "ENTRA_AUTHORITY_CHINA",
            "https://login.chinacloudapi.cn/".into(),
        );
        m.0.insert(
            "CONNECTOR_CLIENT_ID_CHINA",
            "3c7d9e21-5b4a-4f6e-8a1c-2b9d0e6f7a31".into(),
        );
        m.0.insert("CONNECTOR_CLIENT_SECRET_CHINA", "s".repeat(40));
        assert!(names(&m).is_empty(), "{:?}", names(&m));
        // Another authority would receive the China secret.
        m.0.insert("ENTRA_AUTHORITY_CHINA", "https://login.example.com".into());
        assert_eq!(names(&m), vec!["ENTRA_AUTHORITY_CHINA"]);
        m.0.insert(
            "ENTRA_AUTHORITY_CHINA",
            "https://login.chinacloudapi.cn".into(),
        );
        // A client id needs its secret and a GUID; a secret needs a client id.
        m.0.remove("CONNECTOR_CLIENT_SECRET_CHINA");
        assert_eq!(names(&m), vec!["CONNECTOR_CLIENT_SECRET_CHINA"]);
        m.0.insert("CONNECTOR_CLIENT_ID_USGOV", "not-a-guid".into());
        assert_eq!(
            names(&m),
            vec![
                "CONNECTOR_CLIENT_SECRET_CHINA",
                "CONNECTOR_CLIENT_ID_USGOV",
                "CONNECTOR_CLIENT_SECRET_USGOV",
                "ENTRA_AUTHORITY_USGOV"
            ]
        );
        let mut m = production();
        m.0.insert("CONNECTOR_CLIENT_SECRET_USGOV", "s".repeat(40));
        assert_eq!(names(&m), vec!["CONNECTOR_CLIENT_SECRET_USGOV"]);
        // Development skips the guard.
        m.0.insert(ENVIRONMENT, DEVELOPMENT.into());
        assert!(names(&m).is_empty());
    }

    fn names(m: &Map) -> Vec<&'static str> {
        problems(m, false).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn a_complete_production_configuration_passes() {
        assert_eq!(names(&production()), Vec::<&str>::new());
    }

    #[test]
    fn development_skips_every_check() {
        let mut m = Map(HashMap::new());
        m.0.insert(ENVIRONMENT, DEVELOPMENT.to_owned());
        m.0.insert("KEYVAULT_PROXY", "http://127.0.0.1:1/kv/".to_owned());
        assert!(problems(&m, true).is_empty());
        // Any other value is a deployed environment.
        m.0.insert(ENVIRONMENT, "production".to_owned());
        assert!(names(&m).contains(&"KEYVAULT_PROXY"));
    }

    #[test]
    fn each_unsafe_setting_is_named() {
        let cases: [(&str, &str, &str); 18] = [
            (
                "KEYVAULT_PROXY",
                "http://127.0.0.1:8790/kv/",
                "KEYVAULT_PROXY",
            ),
            ("BENCH_ROUTES", "enabled", "BENCH_ROUTES"),
            (
                "ENTRA_AUTHORITY",
                "http://login.example.com",
                "ENTRA_AUTHORITY",
            ),
            (
                "REDAPP_SIGN_IN_URL",
                "https://localhost:8790/redapp/sign-in",
                "REDAPP_SIGN_IN_URL",
            ),
            (
                "AWS_KMS_ENDPOINT",
                "https://127.0.0.1/aws",
                "AWS_KMS_ENDPOINT",
            ),
            (
                "ALLOWED_ORIGINS",
                "https://a.example.com, http://b.example.com",
                "ALLOWED_ORIGINS",
            ),
            ("PLATFORM_KEY", "c2hvcnQ=", "PLATFORM_KEY"),
            ("ENVELOPE_COMPANIES", "acme;globex", "ENVELOPE_COMPANIES"),
            (
                "CONNECTION_TEST_INTERVAL_SECONDS",
                "3",
                "CONNECTION_TEST_INTERVAL_SECONDS",
            ),
            (
                "CONSENT_MAX_AGE_SECONDS",
                "172800",
                "CONSENT_MAX_AGE_SECONDS",
            ),
            (
                "HEALTH_CHECK_INTERVAL_SECONDS",
                "30",
                "HEALTH_CHECK_INTERVAL_SECONDS",
            ),
            (
                "HEALTH_CHECK_INTERVAL_SECONDS",
                "86400",
                "HEALTH_CHECK_INTERVAL_SECONDS",
            ),
            ("EXPIRY_WARNING_DAYS", "0", "EXPIRY_WARNING_DAYS"),
            ("KEY_CACHE_SECONDS", "5", "KEY_CACHE_SECONDS"),
            ("KEY_CACHE_SECONDS", "301", "KEY_CACHE_SECONDS"),
            ("KEY_CACHE_SECONDS", "five", "KEY_CACHE_SECONDS"),
            (
                "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
                "2",
                "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
            ),
            (
                "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
                "61",
                "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
            ),
        ];
        for (name, value, expected) in cases {
            let mut m = production();
            m.0.insert(name, value.to_owned());
            assert_eq!(names(&m), vec![expected], "{name}={value}");
        }
        assert_eq!(problems(&production(), true)[0].name, "BENCH_ROUTES");
    }

    #[test]
    fn webhooks_are_optional_but_need_a_safe_url_and_a_long_secret() {
        // Empty: no webhooks, nothing to check.
        let mut m = production();
        m.0.insert("WEBHOOK_URL", String::new());
        assert!(names(&m).is_empty());
        m.0.insert(
            "WEBHOOK_URL",
            "https://hooks.redapp.example.com/keyswitch".into(),
        );
        assert_eq!(names(&m), vec!["WEBHOOK_SECRET"]);
        m.0.insert("WEBHOOK_SECRET", "short".into());
        assert_eq!(names(&m), vec!["WEBHOOK_SECRET"]);
        m.0.insert("WEBHOOK_SECRET", "w".repeat(32));
        assert!(names(&m).is_empty());
        for unsafe_url in [
            "http://hooks.redapp.example.com/k",
            "https://127.0.0.1:18940/webhooks",
            "https://10.0.0.5/hook",
            "not a url",
        ] {
            m.0.insert("WEBHOOK_URL", unsafe_url.into());
            assert_eq!(names(&m), vec!["WEBHOOK_URL"], "{unsafe_url}");
        }
    }

    #[test]
    fn missing_settings_are_named_without_values() {
        for name in REQUIRED_SECRETS.iter().chain(OUTSIDE_ADDRESSES.iter()) {
            let mut m = production();
            m.0.remove(name);
            let found = problems(&m, false);
            assert_eq!(found.len(), 1, "{name}: {found:?}");
            assert_eq!(found[0].name, *name);
            assert!(found[0].to_string().contains("missing"));
        }
        let mut m = production();
        m.0.insert("ENVELOPE_SERVICE_TOKEN", "short".to_owned());
        let text = problems(&m, false)[0].to_string();
        assert!(text.contains("ENVELOPE_SERVICE_TOKEN") && !text.contains("short "));
    }

    #[test]
    fn an_outside_address_with_a_unicode_host_is_refused_with_its_fix() {
        // `ｌｏｃａｌｈｏｓｔ` (full width) maps to `localhost` under UTS 46;
        // the others are ordinary internationalised names. All are refused
        // before parsing, with the form that is accepted.
        for host in ["ｌｏｃａｌｈｏｓｔ", "kms.bücher.example", "例え.jp"] {
            let mut m = production();
            m.0.insert("AWS_KMS_ENDPOINT", format!("https://{host}/aws"));
            let found = problems(&m, false);
            assert_eq!(names(&m), vec!["AWS_KMS_ENDPOINT"], "{host}");
            assert!(
                found[0].to_string().contains("xn-- form"),
                "{host}: {}",
                found[0]
            );
        }
        // The punycode form of a public name is an ordinary address.
        let mut m = production();
        m.0.insert(
            "AWS_KMS_ENDPOINT",
            "https://kms.xn--bcher-kva.example/".into(),
        );
        assert!(names(&m).is_empty());
    }

    #[test]
    fn an_outside_address_on_this_machine_or_a_private_network_is_refused_in_every_form() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.10",
            "[::1]",
            "[::]",
            "localhost",
            "LOCALHOST",
            "kms.localhost",
        ] {
            let mut m = production();
            let url = format!("https://{host}:8443/aws");
            m.0.insert("AWS_KMS_ENDPOINT", url.clone());
            let found = problems(&m, false);
            assert_eq!(names(&m), vec!["AWS_KMS_ENDPOINT"], "{url}");
            assert!(
                found[0]
                    .to_string()
                    .contains("this machine or a private network"),
                "{url}: {}",
                found[0]
            );
        }
        // Public addresses, by name or number, are fine.
        for host in [
            "kms.us-east-1.amazonaws.com",
            "localhost.example.com",
            "52.94.0.10",
            "[2600:1f18::10]",
        ] {
            let mut m = production();
            m.0.insert("AWS_KMS_ENDPOINT", format!("https://{host}/"));
            assert!(names(&m).is_empty(), "{host}");
        }
    }

    #[test]
    fn each_limit_accepts_its_edges_and_refuses_just_past_them() {
        // (name, accepted values, refused values)
        let cases: [(&str, &[&str], &[&str]); 6] = [
            (
                "CONNECTION_TEST_INTERVAL_SECONDS",
                &["10", "3600"],
                &["9", "0"],
            ),
            (
                "HEALTH_CHECK_INTERVAL_SECONDS",
                &["60", "3600"],
                &["59", "3601"],
            ),
            ("EXPIRY_WARNING_DAYS", &["1", "365"], &["0", "366"]),
            ("KEY_CACHE_SECONDS", &["30", "300"], &["29", "301"]),
            (
                "BACKUP_SET_COUNT_MAX_AGE_SECONDS",
                &["10", "60"],
                &["9", "61"],
            ),
            (
                "CONSENT_MAX_AGE_SECONDS",
                &["1", "3600", "86400"],
                &["0", "86401"],
            ),
        ];
        for (name, accepted, refused) in cases {
            for value in accepted {
                let mut m = production();
                m.0.insert(name, (*value).to_owned());
                assert!(names(&m).is_empty(), "{name}={value}");
            }
            for value in refused {
                let mut m = production();
                m.0.insert(name, (*value).to_owned());
                assert_eq!(names(&m), vec![name], "{name}={value}");
            }
        }
        // The webhook secret's length edge: 31 characters refused, 32 accepted.
        let mut m = production();
        m.0.insert("WEBHOOK_URL", "https://hooks.example.com/k".into());
        m.0.insert("WEBHOOK_SECRET", "w".repeat(MIN_WEBHOOK_SECRET_CHARS - 1));
        assert_eq!(names(&m), vec!["WEBHOOK_SECRET"]);
        m.0.insert("WEBHOOK_SECRET", "w".repeat(MIN_WEBHOOK_SECRET_CHARS));
        assert!(names(&m).is_empty());
    }

    #[test]
    fn development_serves_only_this_machine() {
        for host in ["127.0.0.1", "localhost", "app.localhost", "[::1]", "::1"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "keyswitch.example.com",
            "10.0.0.1",
            "0.0.0.0",
            "localhost.example.com",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    /// Only the secrets' names, as `wrangler secret list` gives them.
    struct NamesOnly(Map);

    impl Settings for NamesOnly {
        fn var(&self, name: &str) -> Option<String> {
            self.0.var(name)
        }
        fn secret(&self, name: &str) -> Option<String> {
            self.0.secret(name)
        }
        fn secret_values_known(&self) -> bool {
            false
        }
    }

    #[test]
    fn with_secret_names_only_presence_is_checked_and_values_are_left_to_the_worker() {
        let mut m = production();
        for name in ["PLATFORM_KEY", "ENVELOPE_SERVICE_TOKEN"] {
            m.0.insert(name, "listed".to_owned());
        }
        m.0.insert("WEBHOOK_URL", "https://hooks.redapp.example.com/k".into());
        m.0.insert("WEBHOOK_SECRET", "listed".into());
        // With values, the short ones are refused ...
        assert_eq!(
            names(&m),
            vec!["PLATFORM_KEY", "ENVELOPE_SERVICE_TOKEN", "WEBHOOK_SECRET"]
        );
        // ... with names only, they are present, which is all a list shows.
        let mut n = NamesOnly(m);
        assert!(problems(&n, false).is_empty(), "{:?}", problems(&n, false));
        // A missing one is still named, and so is every var problem.
        n.0.0.remove("GOOGLE_CLIENT_SECRET");
        n.0.0.remove("WEBHOOK_SECRET");
        n.0.0
            .insert("ENTRA_AUTHORITY", "http://login.example.com".into());
        let found: Vec<_> = problems(&n, false).into_iter().map(|p| p.name).collect();
        assert_eq!(
            found,
            vec!["ENTRA_AUTHORITY", "GOOGLE_CLIENT_SECRET", "WEBHOOK_SECRET"]
        );
    }

    #[test]
    fn secret_names_cover_every_secret_the_guard_reads() {
        let names = secret_names();
        for name in REQUIRED_SECRETS {
            assert!(names.contains(&name), "{name}");
        }
        for name in [
            "ENVELOPE_SERVICE_TOKEN_NEXT",
            "CONNECTOR_CLIENT_SECRET_CHINA",
            "CONNECTOR_CLIENT_SECRET_USGOV",
            "WEBHOOK_SECRET",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        // No var is taken for a secret.
        for name in OUTSIDE_ADDRESSES.iter().chain(REQUIRED_VARS.iter()) {
            assert!(!names.contains(name), "{name}");
        }
    }

    #[test]
    fn an_envelope_credential_needs_32_characters_and_its_list_is_explained() {
        // The length rule's edge: 31 characters are refused, 32 accepted.
        for slot in ["ENVELOPE_SERVICE_TOKEN", "ENVELOPE_SERVICE_TOKEN_NEXT"] {
            let mut m = production();
            m.0.insert("ENVELOPE_COMPANIES_NEXT", "acme".to_owned());
            m.0.insert(slot, "t".repeat(MIN_ENVELOPE_TOKEN_CHARS - 1));
            let found = problems(&m, false);
            assert_eq!(names(&m), vec![slot]);
            assert_eq!(found[0].why, "is shorter than 32 characters");
            m.0.insert(slot, "t".repeat(MIN_ENVELOPE_TOKEN_CHARS));
            assert!(names(&m).is_empty(), "{slot}");
        }
        // The first credential's list is plainly missing; the second's is
        // missing because its credential is set (removing the credential
        // is the other fix).
        let mut m = production();
        m.0.remove("ENVELOPE_COMPANIES");
        let found = problems(&m, false);
        assert_eq!(names(&m), vec!["ENVELOPE_COMPANIES"]);
        assert_eq!(
            found[0].why,
            "is missing (set * or comma-separated company ids)"
        );
        let mut m = production();
        m.0.insert("ENVELOPE_SERVICE_TOKEN_NEXT", "n".repeat(40));
        let found = problems(&m, false);
        assert_eq!(
            found[0].why,
            "is missing while its credential is set (set * or comma-separated company ids)"
        );
    }

    #[test]
    fn a_second_envelope_credential_needs_its_own_list() {
        let mut m = production();
        m.0.insert("ENVELOPE_SERVICE_TOKEN_NEXT", "n".repeat(40));
        assert_eq!(names(&m), vec!["ENVELOPE_COMPANIES_NEXT"]);
        m.0.insert("ENVELOPE_COMPANIES_NEXT", "acme".to_owned());
        assert!(names(&m).is_empty());
    }
}
