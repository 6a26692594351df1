//! The platform provider ("CyberSentriq-managed"): AES-256-GCM under the
//! platform key, bound to the company.

use worker::Env;

use crate::config;
use crate::crypto::SecretKey;
use crate::error::EdgeError;

/// Binds a platform-sealed company key to its company.
pub fn aad(company: &str) -> String {
    format!("keyswitch/company-key/v1/{company}")
}

fn platform_key(env: &Env) -> Result<SecretKey, EdgeError> {
    SecretKey::from_base64(&config::secret(env, config::PLATFORM_KEY)?)
}

/// Seals `company_key` under the platform key.
pub fn seal(env: &Env, company: &str, company_key: &SecretKey) -> Result<Vec<u8>, EdgeError> {
    platform_key(env)?.seal(company_key.bytes(), aad(company).as_bytes())
}

/// Opens a platform-sealed company key.
pub fn open(env: &Env, company: &str, sealed: &[u8]) -> Result<SecretKey, EdgeError> {
    let plain = platform_key(env)?.open(sealed, aad(company).as_bytes())?;
    SecretKey::from_bytes(&plain)
}
