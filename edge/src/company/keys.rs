//! Uses of the company key that change nothing: the envelope API's data
//! keys (AES-256-GCM under the company key, bound to company and data-key
//! id). The unwrapped company key is cached in memory only, for at most
//! `KEY_CACHE_SECONDS` (policy `key_cache_secs`, default and most 300 s)
//! after the provider last unwrapped it, and never across a provider change
//! (the cache is keyed by the wrapped blob). After that the next envelope
//! call goes back to the provider, so a revocation bites within the cache
//! time: an Azure key's refusal answers `key_access_lost` naming the cause
//! (docs/PRODUCT.md "Revocation"); transient failures keep their own
//! retryable codes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use keyswitch_shared::api::DataKey;
use keyswitch_shared::switch::{Company, WrappedKey};
use keyswitch_shared::{CatalogError, CompanyId, Provider};

use super::{CompanyKms, Res, random_token};
use crate::crypto::SecretKey;
use crate::error::EdgeError;
use crate::providers;

/// Prefix of a wrapped data key.
const DK_PREFIX: &str = "ksdk1";

/// The cached company key: fingerprint of the blob it came from, key, expiry.
pub(super) struct CachedKey {
    blob_sha256: String,
    key: SecretKey,
    expires_at_ms: u64,
}

fn dk_aad(company: &str, key_id: &str) -> String {
    format!("keyswitch/data-key/v1/{company}/{key_id}")
}

fn bad_wrapped() -> EdgeError {
    EdgeError::field("wrapped", "is not a data key of this company")
}

/// The envelope API's answer when the provider could not unwrap the company
/// key: an Azure key's refusal (not a transient failure) is
/// [`CatalogError::KeyAccessLost`] naming the cause; anything else stays as
/// it is (429 `throttled`, 503 `azure_unavailable`, … are retryable).
fn envelope_error(provider: &Provider, e: EdgeError) -> EdgeError {
    match (provider, e) {
        (Provider::AzureKeyVault { kid, .. }, EdgeError::Catalog(cause))
            if !cause.is_transient() =>
        {
            CatalogError::KeyAccessLost {
                cause: Box::new(cause),
                kid: kid.clone(),
            }
            .into()
        }
        (_, e) => e,
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

impl CompanyKms {
    /// The company key, unwrapped from `key` by `provider` (or the cache).
    pub(super) async fn company_key(
        &self,
        company: &str,
        provider: &Provider,
        key: &WrappedKey,
    ) -> Res<SecretKey> {
        let fingerprint = sha256_hex(key.blob.as_bytes());
        let now = crate::clock::now_ms();
        let cached = self.key_cache.borrow().as_ref().and_then(|c| {
            (c.blob_sha256 == fingerprint && c.expires_at_ms > now)
                .then(|| SecretKey::from_bytes(c.key.bytes()))
        });
        if cached.is_none() {
            // Expired or of another blob: the key leaves memory now, whatever
            // the provider answers next.
            self.key_cache.borrow_mut().take();
        }
        match cached {
            Some(key) => key,
            None => self.unwrap_fresh(company, provider, key).await,
        }
    }

    /// The company key, unwrapped by `provider` itself (never the cache): a
    /// re-wrap proves the provider in force still unwraps it. The cache is
    /// refreshed with it.
    pub(super) async fn unwrap_fresh(
        &self,
        company: &str,
        provider: &Provider,
        wrapped: &WrappedKey,
    ) -> Res<SecretKey> {
        let blob = STANDARD
            .decode(&wrapped.blob)
            .map_err(|_| EdgeError::corrupt("the stored company key"))?;
        let azure_tenant = wrapped.azure_tenant.as_ref();
        let key = providers::unwrap_company_key(&self.env, company, provider, azure_tenant, &blob)
            .await?;
        *self.key_cache.borrow_mut() = Some(CachedKey {
            blob_sha256: sha256_hex(wrapped.blob.as_bytes()),
            key: SecretKey::from_bytes(key.bytes())?,
            expires_at_ms: crate::clock::now_ms()
                + self.policy().key_cache_secs.saturating_mul(1000),
        });
        Ok(key)
    }

    /// The model of a company that has one; never creates a record (the
    /// envelope API refuses a company nobody set up: 404 `company_unknown`,
    /// and writes nothing).
    async fn known(&self) -> Res<Company> {
        Ok(self.stored().await?.ok_or(CatalogError::UnknownCompany)?)
    }

    /// GenerateDataKey: a fresh data key, in the clear and wrapped.
    pub(super) async fn generate_data_key(&self, company: &CompanyId) -> Res<DataKey> {
        let model = self.known().await?;
        let company = company.as_str();
        let company_key = self
            .company_key(company, model.provider(), model.key())
            .await
            .map_err(|e| envelope_error(model.provider(), e))?;
        let data_key = SecretKey::generate()?;
        let key_id = random_token()?;
        let sealed = company_key.seal(data_key.bytes(), dk_aad(company, &key_id).as_bytes())?;
        Ok(DataKey {
            wrapped: format!("{DK_PREFIX}.{key_id}.{}", URL_SAFE_NO_PAD.encode(sealed)),
            plaintext: STANDARD.encode(data_key.bytes()),
            key_id,
        })
    }

    /// Decrypt: the data key inside `wrapped`.
    pub(super) async fn decrypt_data_key(
        &self,
        company: &CompanyId,
        wrapped: &str,
    ) -> Res<DataKey> {
        let mut parts = wrapped.trim().split('.');
        let (Some(DK_PREFIX), Some(key_id), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_wrapped());
        };
        let sealed = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad_wrapped())?;
        let model = self.known().await?;
        let company = company.as_str();
        let company_key = self
            .company_key(company, model.provider(), model.key())
            .await
            .map_err(|e| envelope_error(model.provider(), e))?;
        let plain = company_key
            .open(&sealed, dk_aad(company, key_id).as_bytes())
            .map_err(|_| bad_wrapped())?;
        Ok(DataKey {
            key_id: key_id.to_owned(),
            plaintext: STANDARD.encode(plain),
            wrapped: wrapped.trim().to_owned(),
        })
    }
}
