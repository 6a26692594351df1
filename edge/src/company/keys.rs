//! Uses of the company key inside the company's Durable Object: the envelope
//! API's data keys (AES-256-GCM under the company key, bound to company and
//! data-key id), the one-time export, and the operator move onto an AWS KMS
//! key. The unwrapped company key is cached in memory only, briefly, and
//! never across a provider change (the cache is keyed by the wrapped blob).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use keyswitch_shared::api::{CompanyKeyExport, DataKey};
use keyswitch_shared::switch::Event;
use keyswitch_shared::{AuditAction, CatalogError, Outcome, Provider};

use super::{CompanyKms, CompanyRecord, Res, now_ms, random_token, sha256_hex};
use crate::audit;
use crate::crypto::SecretKey;
use crate::error::EdgeError;
use crate::providers;
use crate::providers::aws_kms::Kms;
use crate::session::{Actor, now_secs};

/// How long an unwrapped company key stays in memory.
const CACHE_MS: u64 = 60_000;
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

impl CompanyKms {
    /// The company key, unwrapped by the provider in force (or the cache).
    async fn company_key(&self, record: &CompanyRecord) -> Res<SecretKey> {
        let fingerprint = sha256_hex(record.wrapped_company_key.as_bytes());
        let now = now_ms();
        let cached = self.key_cache.borrow().as_ref().and_then(|c| {
            (c.blob_sha256 == fingerprint && c.expires_at_ms > now)
                .then(|| SecretKey::from_bytes(c.key.bytes()))
        });
        if let Some(key) = cached {
            return key;
        }
        let blob = STANDARD
            .decode(&record.wrapped_company_key)
            .map_err(|_| EdgeError::Crypto)?;
        let key = providers::unwrap_company_key(
            &self.env,
            &record.company_id,
            &record.provider,
            record.azure_tenant.as_ref(),
            &blob,
        )
        .await?;
        *self.key_cache.borrow_mut() = Some(CachedKey {
            blob_sha256: fingerprint,
            key: SecretKey::from_bytes(key.bytes())?,
            expires_at_ms: now + CACHE_MS,
        });
        Ok(key)
    }

    /// GenerateDataKey: a fresh data key, in the clear and wrapped.
    pub(super) async fn generate_data_key(&self, record: &CompanyRecord) -> Res<DataKey> {
        let company_key = self.company_key(record).await?;
        let data_key = SecretKey::generate()?;
        let key_id = random_token()?;
        let sealed = company_key.seal(
            data_key.bytes(),
            dk_aad(&record.company_id, &key_id).as_bytes(),
        )?;
        Ok(DataKey {
            wrapped: format!("{DK_PREFIX}.{key_id}.{}", URL_SAFE_NO_PAD.encode(sealed)),
            plaintext: STANDARD.encode(data_key.bytes()),
            key_id,
        })
    }

    /// Decrypt: the data key inside `wrapped`.
    pub(super) async fn decrypt_data_key(
        &self,
        record: &CompanyRecord,
        wrapped: &str,
    ) -> Res<DataKey> {
        let mut parts = wrapped.trim().split('.');
        let (Some(DK_PREFIX), Some(key_id), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_wrapped());
        };
        let sealed = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad_wrapped())?;
        let company_key = self.company_key(record).await?;
        let plain = company_key
            .open(&sealed, dk_aad(&record.company_id, key_id).as_bytes())
            .map_err(|_| bad_wrapped())?;
        Ok(DataKey {
            key_id: key_id.to_owned(),
            plaintext: STANDARD.encode(plain),
            wrapped: wrapped.trim().to_owned(),
        })
    }

    /// The one-time export: unwrap first, then consume the window (so an
    /// outage does not burn the one chance); both outcomes are audited.
    pub(super) async fn export(
        &self,
        record: &CompanyRecord,
        actor: &Actor,
    ) -> Res<CompanyKeyExport> {
        let sw = self.load_switch(record).await?;
        if !matches!(
            sw.export_window(),
            keyswitch_shared::switch::ExportWindow::Open { .. }
        ) {
            // The machine refuses and the refusal is audited.
            self.transition(
                record,
                actor,
                AuditAction::CompanyKeyExport,
                Event::Export,
                now_secs(),
                Outcome::Succeeded,
                None,
            )
            .await?;
            return Err(CatalogError::ExportNotAvailable.into());
        }
        let key = self.company_key(record).await?;
        self.transition(
            record,
            actor,
            AuditAction::CompanyKeyExport,
            Event::Export,
            now_secs(),
            Outcome::Succeeded,
            Some(format!("exported under {}", sw.provider().display_name())),
        )
        .await?;
        Ok(CompanyKeyExport {
            company_id: record.company_id.clone(),
            algorithm: "AES-256-GCM".into(),
            key: STANDARD.encode(key.bytes()),
            provider: sw.provider().clone(),
            exported_at_ms: now_ms(),
        })
    }

    /// Moves the company onto the AWS KMS key `key_id`: unwrap with the
    /// current provider, KMS Encrypt, KMS Decrypt and compare, then flip in
    /// one transaction.
    pub(super) async fn move_to_aws(
        &self,
        record: &CompanyRecord,
        actor: &Actor,
        key_id: &str,
    ) -> Res<()> {
        let sw = self.load_switch(record).await?;
        let next = sw.moved_to(Provider::AwsKms {
            key_id: key_id.to_owned(),
        })?;
        let key = self.company_key(record).await?;
        let kms = Kms::from_env(&self.env)?;
        let company = &record.company_id;
        let (arn, blob) = kms.encrypt(key_id, key.bytes(), company).await?;
        let back = kms.decrypt(&arn, &blob, company).await?;
        if !key.same_as(&back) {
            return Err(CatalogError::UnexpectedAnswer {
                service: "AWS KMS".into(),
            }
            .into());
        }
        let next = next.moved_to(Provider::AwsKms {
            key_id: arn.clone(),
        })?;
        // A concurrent change since we read the state wins: check again.
        let current = self.load_switch(record).await?;
        if current != sw {
            return Err(CatalogError::Conflict {
                reason: "The KMS settings changed meanwhile; try again".into(),
            }
            .into());
        }
        let new_record = CompanyRecord {
            company_id: record.company_id.clone(),
            provider: next.provider().clone(),
            wrapped_company_key: STANDARD.encode(&blob),
            created_at_ms: record.created_at_ms,
            azure_tenant: None,
        };
        self.commit(
            &new_record,
            &next,
            audit::Entry {
                actor,
                action: AuditAction::MovedToAwsKms,
                outcome: Outcome::Succeeded,
                from: sw.stage(),
                to: next.stage(),
                detail: Some(arn),
            },
        )
        .await
    }
}
