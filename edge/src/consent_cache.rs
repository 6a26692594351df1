//! The 24-hour admin-consent cache in KV (`consent/v1/{client}/{tenant}`,
//! `expirationTtl` 86400). Staleness is tolerable: the connection test proves
//! the consent again with a token.

use keyswitch_shared::TenantId;
use serde::{Deserialize, Serialize};
use worker::Env;

use crate::config;
use crate::error::EdgeError;

#[derive(Serialize, Deserialize)]
struct Cached {
    granted_at: i64,
}

fn key(client_id: &str, tenant: &TenantId) -> String {
    format!("consent/v1/{client_id}/{}", tenant.as_str())
}

/// Records a proven consent at `granted_at` (Unix seconds).
pub async fn put(
    env: &Env,
    client_id: &str,
    tenant: &TenantId,
    granted_at: i64,
) -> Result<(), EdgeError> {
    let kv = env.kv(config::KMS_CACHE)?;
    kv.put(
        &key(client_id, tenant),
        serde_json::to_string(&Cached { granted_at })?,
    )?
    // KV's expirationTtl is at least 60 s; freshness is checked on read.
    .expiration_ttl(u64::try_from(config::consent_max_age_secs(env).max(60)).unwrap_or(86_400))
    .execute()
    .await?;
    Ok(())
}

/// When the cached consent was granted, if it exists and is younger than
/// the configured maximum age (24 hours in production) at `now`.
pub async fn fresh(
    env: &Env,
    client_id: &str,
    tenant: &TenantId,
    now: i64,
) -> Result<Option<i64>, EdgeError> {
    let kv = env.kv(config::KMS_CACHE)?;
    let max_age = config::consent_max_age_secs(env);
    let cached = kv.get(&key(client_id, tenant)).json::<Cached>().await?;
    Ok(cached
        .map(|c| c.granted_at)
        .filter(|at| *at <= now && now - *at < max_age))
}
