//! Writes the company's KV read copy through after every run that changed
//! it (issue 14 item 8; see `keyswitch_shared::read_copy`). The copy is a
//! projection of the model the object just stored; the KV list metadata is
//! the sweep's mark (on Azure Key Vault, when the alarm is due). A write
//! that fails is logged and tried again by the next run (this instance
//! remembers only what it wrote successfully). Nothing reads it back here:
//! decisions read the model.

use keyswitch_shared::CompanyId;
use keyswitch_shared::read_copy::{self, KmsReadCopy, SweepMark};

use super::CompanyKms;
use crate::config;

impl CompanyKms {
    /// Writes the read copy of the stored model when it differs from the
    /// one this instance last wrote.
    pub(super) async fn write_read_copy(&self, company: &CompanyId) {
        let model = match self.stored().await {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                worker::console_warn!("read copy of {company}: {}", e.chain());
                return;
            }
        };
        let copy = KmsReadCopy::of(&model, crate::clock::now_ms());
        let mark = SweepMark::of(&model);
        let unchanged = self.read_copy.borrow().as_ref().is_some_and(|last| {
            last.same_content(&copy) && self.read_copy_mark.get() == Some(mark)
        });
        if unchanged {
            return;
        }
        let written = async {
            self.env
                .kv(config::KMS_CACHE)?
                .put(&read_copy::key(company.as_str()), &copy)?
                .metadata(mark)?
                .execute()
                .await?;
            Ok::<(), crate::error::EdgeError>(())
        }
        .await;
        match written {
            Ok(()) => {
                *self.read_copy.borrow_mut() = Some(copy);
                self.read_copy_mark.set(Some(mark));
            }
            Err(e) => {
                self.read_copy.borrow_mut().take();
                worker::console_error!("read copy of {company} not written: {}", e.chain());
            }
        }
    }
}
