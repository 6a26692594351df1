//! Binding names and configuration, named once.

use worker::Env;

use crate::error::EdgeError;

/// The Durable Object namespace holding one `CompanyKms` per company.
pub const COMPANY_KMS: &str = "COMPANY_KMS";
/// The Durable Object namespace holding one `WorkspaceVaults` per workspace.
pub const WORKSPACE_VAULTS: &str = "WORKSPACE_VAULTS";
/// The Durable Object namespace holding one `KeyBindings` per Azure key.
pub const KEY_BINDINGS: &str = "KEY_BINDINGS";
/// KV namespace binding: the read copies (issue 14 item 8) the host and the
/// Cron sweep read.
pub const KMS_CACHE: &str = "KMS_CACHE";
/// Secret: the platform key-encryption key, 32 bytes, base64.
pub const PLATFORM_KEY: &str = "PLATFORM_KEY";
/// Secret: the KMS Connector application's client secret.
pub const CONNECTOR_CLIENT_SECRET: &str = "CONNECTOR_CLIENT_SECRET";
/// Var: base URL of the host product's (RedApp's) inventory API.
pub const REDAPP_API_URL: &str = "REDAPP_API_URL";
/// Var: RedApp's JWKS, whose keys sign console sessions (RS256).
pub const REDAPP_SESSION_JWKS_URL: &str = "REDAPP_SESSION_JWKS_URL";
/// Var: Microsoft Entra authority base, `https://login.microsoftonline.com`.
pub const ENTRA_AUTHORITY: &str = "ENTRA_AUTHORITY";
/// Var: the KMS Connector application's (client) id.
pub const CONNECTOR_CLIENT_ID: &str = "CONNECTOR_CLIENT_ID";
/// Var: the admin-consent redirect URI registered for the connector; its
/// origin is the worker's own origin (postMessage target, links back).
pub const CONSENT_REDIRECT_URI: &str = "CONSENT_REDIRECT_URI";
/// Var: when set, `https://{vault-host}/…` is fetched as
/// `{KEYVAULT_PROXY}{vault-host}/…` (the simulator). Empty in production.
pub const KEYVAULT_PROXY: &str = "KEYVAULT_PROXY";
/// Var: base delay of the Key Vault throttling back-off, in milliseconds
/// (1000 in production: 1, 2, 4, 8, 16 s).
pub const KEYVAULT_RETRY_BASE_MS: &str = "KEYVAULT_RETRY_BASE_MS";
/// Var: lifetime of an OAuth `state` in seconds (default 600).
pub const OAUTH_STATE_TTL_SECONDS: &str = "OAUTH_STATE_TTL_SECONDS";
/// Var: comma-separated host-product origins allowed for CORS and framing.
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
/// Var: how long an admin consent counts, in seconds (86400 in production).
pub const CONSENT_MAX_AGE_SECONDS: &str = "CONSENT_MAX_AGE_SECONDS";
/// Var: at most one connection test per company in this many seconds
/// (10 when unset, as the product requires; the test stack shortens it).
pub const CONNECTION_TEST_INTERVAL_SECONDS: &str = "CONNECTION_TEST_INTERVAL_SECONDS";
/// Var: base delay of the finalization retries (alarm back-off), in ms.
pub const FINALIZE_RETRY_BASE_MS: &str = "FINALIZE_RETRY_BASE_MS";
/// Secret: the backup engine's bearer credential for the envelope API.
pub const ENVELOPE_SERVICE_TOKEN: &str = "ENVELOPE_SERVICE_TOKEN";
/// Var: the companies [`ENVELOPE_SERVICE_TOKEN`] may act for: comma-separated
/// company ids, or `*` for every company. Missing or empty: none.
pub const ENVELOPE_COMPANIES: &str = "ENVELOPE_COMPANIES";
/// Secret (optional): a second envelope credential, valid at the same time
/// as [`ENVELOPE_SERVICE_TOKEN`], for rotation without downtime.
pub const ENVELOPE_SERVICE_TOKEN_NEXT: &str = "ENVELOPE_SERVICE_TOKEN_NEXT";
/// Var: the companies [`ENVELOPE_SERVICE_TOKEN_NEXT`] may act for (same
/// format as [`ENVELOPE_COMPANIES`]).
pub const ENVELOPE_COMPANIES_NEXT: &str = "ENVELOPE_COMPANIES_NEXT";
/// Var: the Google OAuth client id used to verify Workspace customers.
pub const GOOGLE_CLIENT_ID: &str = "GOOGLE_CLIENT_ID";
/// Secret: that client's secret.
pub const GOOGLE_CLIENT_SECRET: &str = "GOOGLE_CLIENT_SECRET";
/// Var: Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "GOOGLE_AUTH_URL";
/// Var: Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "GOOGLE_TOKEN_URL";
/// Var: Google's signing keys (JWKS).
pub const GOOGLE_CERTS_URL: &str = "GOOGLE_CERTS_URL";
/// Var: the `iss` of Google ID tokens.
pub const GOOGLE_ISSUER: &str = "GOOGLE_ISSUER";
/// Var: base of the Admin SDK Directory API (`…/admin/directory/v1`).
pub const GOOGLE_DIRECTORY_URL: &str = "GOOGLE_DIRECTORY_URL";
/// Var: the AWS access key id keyswitch signs KMS calls with.
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// Secret: its secret access key.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// Var: the AWS region of the KMS keys.
pub const AWS_REGION: &str = "AWS_REGION";
/// Var: the KMS endpoint (`https://kms.{region}.amazonaws.com`; moto locally).
pub const AWS_KMS_ENDPOINT: &str = "AWS_KMS_ENDPOINT";

/// Var: where the host receives webhooks (empty: no webhooks).
pub const WEBHOOK_URL: &str = "WEBHOOK_URL";
/// Secret: the HMAC key webhooks are signed with.
pub const WEBHOOK_SECRET: &str = "WEBHOOK_SECRET";

/// The webhook URL, when one is configured.
pub fn webhook_url(env: &Env) -> Option<String> {
    env.var(WEBHOOK_URL)
        .ok()
        .map(|v| v.to_string().trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Reads a plain-text var, or reports which one is missing.
pub fn var(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.var(name)
        .map(|v| v.to_string())
        .map_err(|_| EdgeError::Config(name))
}

/// Reads a var that must be a URL.
pub fn url_var(env: &Env, name: &'static str) -> Result<url::Url, EdgeError> {
    url::Url::parse(var(env, name)?.trim()).map_err(|_| EdgeError::Config(name))
}

/// Reads an optional secret: `None` when it is not set or empty.
pub fn optional_secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.is_empty())
}

/// Reads a secret, or reports which one is missing (never its value).
pub fn secret(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.secret(name)
        .map(|v| v.to_string())
        .map_err(|_| EdgeError::Config(name))
}

/// The configured host-product origins (exact `scheme://host[:port]`).
pub fn allowed_origins(env: &Env) -> Vec<String> {
    env.var(ALLOWED_ORIGINS)
        .map(|v| {
            v.to_string()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The worker's own origin, taken from the configured redirect URI (never
/// from a request).
pub fn own_origin(env: &Env) -> Result<String, EdgeError> {
    let url = url_var(env, CONSENT_REDIRECT_URI)?;
    Ok(url.origin().ascii_serialization())
}

/// Base delay of the throttling back-off in milliseconds (default 1000).
pub fn retry_base_ms(env: &Env) -> u64 {
    env.var(KEYVAULT_RETRY_BASE_MS)
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
        .unwrap_or(1000)
}

/// Lifetime of an OAuth `state` in milliseconds (default 10 minutes, at most 30).
pub fn state_ttl_ms(env: &Env) -> u64 {
    env.var(OAUTH_STATE_TTL_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(600)
        .clamp(1, 1800)
        * 1000
}

/// How long an admin consent counts, in seconds (default 24 hours).
pub fn consent_max_age_secs(env: &Env) -> i64 {
    env.var(CONSENT_MAX_AGE_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(keyswitch_shared::switch::CONSENT_TTL_SECS)
}

/// The connection-test rate limit in milliseconds (default 10 s; at least
/// 1 s, at most 5 min).
pub fn connection_test_interval_ms(env: &Env) -> u64 {
    env.var(CONNECTION_TEST_INTERVAL_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(10)
        .clamp(1, 300)
        * 1000
}

/// Base delay of the finalization retries in milliseconds (default 2000).
pub fn finalize_retry_base_ms(env: &Env) -> u64 {
    env.var(FINALIZE_RETRY_BASE_MS)
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
        .unwrap_or(2000)
}

/// Var: seconds between two health checks of a company's Azure key
/// (default 300; outside development 60 to 3600, see the config guard).
pub const HEALTH_CHECK_INTERVAL_SECONDS: &str = "HEALTH_CHECK_INTERVAL_SECONDS";
/// Var: how many days before the key's `exp` a warning is given (default 30).
pub const EXPIRY_WARNING_DAYS: &str = "EXPIRY_WARNING_DAYS";

/// How the key health checks are timed: `HEALTH_CHECK_INTERVAL_SECONDS`
/// (default 300, at least 5, at most a day), the first retry after a
/// transient failure (a tenth of the interval, at least 2 s, doubling up
/// to the interval), and `EXPIRY_WARNING_DAYS` (default 30, 1 to 365).
pub fn health_schedule(env: &Env) -> keyswitch_shared::health::Schedule {
    let number = |name: &str| {
        env.var(name)
            .ok()
            .and_then(|v| v.to_string().trim().parse::<u64>().ok())
    };
    let interval_secs = number(HEALTH_CHECK_INTERVAL_SECONDS)
        .unwrap_or(keyswitch_shared::health::DEFAULT_CHECK_INTERVAL_SECS)
        .clamp(5, 86_400);
    let days = number(EXPIRY_WARNING_DAYS)
        .unwrap_or(keyswitch_shared::health::DEFAULT_EXPIRY_WARNING_DAYS)
        .clamp(1, 365);
    keyswitch_shared::health::Schedule {
        interval_ms: interval_secs * 1000,
        retry_base_ms: (interval_secs * 100).max(2000),
        expiry_warning_secs: i64::try_from(days * 86_400).unwrap_or(i64::MAX),
    }
}

/// Var: how long the one-time export stays offered after a switch (or after
/// a re-verification reopened it), in seconds (default 7 days).
pub const EXPORT_WINDOW_SECONDS: &str = "EXPORT_WINDOW_SECONDS";

/// The export window in seconds (default 7 days; at least 1 second).
pub fn export_window_secs(env: &Env) -> i64 {
    env.var(EXPORT_WINDOW_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(keyswitch_shared::switch::EXPORT_WINDOW_SECS)
}

/// Var: how old the kept backup-set count may be before the status reads
/// the inventory again, in seconds (default and most 60; the config guard
/// refuses less than 10 outside development).
pub const BACKUP_SET_COUNT_MAX_AGE_SECONDS: &str = "BACKUP_SET_COUNT_MAX_AGE_SECONDS";

/// The backup-set count's maximum age in milliseconds (1 s to 60 s).
pub fn backup_set_count_max_age_ms(env: &Env) -> u64 {
    let most = keyswitch_shared::switch::BACKUP_SET_COUNT_MAX_AGE_SECS;
    env.var(BACKUP_SET_COUNT_MAX_AGE_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(most)
        .clamp(1, most)
        .saturating_mul(1000)
}

/// Var: how long the unwrapped company key stays in the company's Durable
/// Object memory after the provider last unwrapped it, in seconds (default
/// 300, never more; the config guard refuses less than 30 outside
/// development).
pub const KEY_CACHE_SECONDS: &str = "KEY_CACHE_SECONDS";

/// The company-key cache time in seconds (default 5 minutes; at least 1 s,
/// at most 5 minutes: the promise of docs/PRODUCT.md "Revocation").
pub fn key_cache_secs(env: &Env) -> u64 {
    env.var(KEY_CACHE_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(keyswitch_shared::switch::KEY_CACHE_SECS)
        .clamp(1, keyswitch_shared::switch::KEY_CACHE_SECS)
}
