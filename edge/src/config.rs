//! Binding names and configuration, named once.

use worker::Env;

use crate::error::EdgeError;

/// The Durable Object namespace holding one `CompanyKms` per company.
pub const COMPANY_KMS: &str = "COMPANY_KMS";
/// KV namespace for what may be stale or expire (consent cache, read copies).
#[allow(dead_code)]
pub const KMS_CACHE: &str = "KMS_CACHE";
/// Secret: the platform key-encryption key, 32 bytes, base64.
pub const PLATFORM_KEY: &str = "PLATFORM_KEY";
/// Var: base URL of the host product's (RedApp's) inventory API.
pub const REDAPP_API_URL: &str = "REDAPP_API_URL";

/// Reads a plain-text var, or reports which one is missing.
pub fn var(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.var(name)
        .map(|v| v.to_string())
        .map_err(|_| EdgeError::Config(name))
}

/// Reads a secret, or reports which one is missing (never its value).
pub fn secret(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.secret(name)
        .map(|v| v.to_string())
        .map_err(|_| EdgeError::Config(name))
}
