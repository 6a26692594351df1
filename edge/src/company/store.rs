//! The company's storage: the whole model under one key, written together
//! with its audit entries in one `putMultiple`, and kept in memory between
//! requests so concurrent requests of one object see one model.
//!
//! Layout: `company` → [`Company`]; `audit/{seq:020}` → the audit entries.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyswitch_shared::switch::{AuditEntry, Company, WrappedKey};
use keyswitch_shared::{CompanyId, Provider};

use super::{CompanyKms, Res};
use crate::audit;
use crate::batch::Batch;
use crate::crypto::SecretKey;
use crate::request_id::RequestId;
use crate::stored;

/// Storage key of the model.
const MODEL: &str = "company";

impl CompanyKms {
    /// The model: from memory, else from storage, else a new company on the
    /// platform provider with a freshly generated company key.
    pub(super) async fn load(&self, company: &CompanyId) -> Res<Company> {
        if let Some(model) = self.model.borrow().as_ref() {
            return Ok(model.clone());
        }
        let storage = self.state.storage();
        let model = match stored::get::<Company>(&storage, MODEL).await? {
            Some(model) => model,
            None => {
                let company_key = SecretKey::generate()?;
                let sealed =
                    crate::providers::platform::seal(&self.env, company.as_str(), &company_key)?;
                let model = Company::new(
                    company.clone(),
                    Provider::Platform,
                    WrappedKey {
                        blob: STANDARD.encode(sealed),
                        created_at_ms: crate::clock::now_ms(),
                        azure_tenant: None,
                    },
                );
                storage.put(MODEL, &model).await?;
                model
            }
        };
        *self.model.borrow_mut() = Some(model.clone());
        Ok(model)
    }

    /// The stored model without creating one (the alarm of an object that
    /// never stored anything has nothing to do).
    pub(super) async fn stored(&self) -> Res<Option<Company>> {
        if let Some(model) = self.model.borrow().as_ref() {
            return Ok(Some(model.clone()));
        }
        Ok(stored::get::<Company>(&self.state.storage(), MODEL).await?)
    }

    /// Writes `model` and `audits` in one transaction. Memory is updated
    /// first, so a request that runs while the write is in flight sees it;
    /// a failed write forgets the memory copy and reports the error.
    pub(super) async fn persist(
        &self,
        rid: &RequestId,
        model: &Company,
        audits: &[AuditEntry],
    ) -> Res<()> {
        *self.model.borrow_mut() = Some(model.clone());
        let written = self.write(rid, model, audits).await;
        if written.is_err() {
            self.model.borrow_mut().take();
        }
        written
    }

    async fn write(&self, rid: &RequestId, model: &Company, audits: &[AuditEntry]) -> Res<()> {
        let mut batch = Batch::new();
        batch.put(MODEL, model)?;
        audit::put_numbered(&mut batch, audits, rid)?;
        batch.commit(&self.state.storage()).await
    }
}
