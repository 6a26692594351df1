//! Writes to a Durable Object's storage that belong together: one
//! `putMultiple` (atomic), so a state change and the audit events that
//! describe it are stored together or not at all. Values are stored as
//! serde values (structured clone), never as JSON text; `stored` reads them.

use serde::Serialize;
use wasm_bindgen::JsValue;
use worker::Storage;

use crate::error::EdgeError;

/// Key/values for one `putMultiple`.
pub struct Batch {
    object: js_sys::Object,
    len: usize,
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

impl Batch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self {
            object: js_sys::Object::new(),
            len: 0,
        }
    }

    /// Adds (or replaces) `key`.
    pub fn put<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), EdgeError> {
        let value = serde_wasm_bindgen::to_value(value).map_err(worker::Error::from)?;
        js_sys::Reflect::set(&self.object, &JsValue::from_str(key), &value)
            .map_err(worker::Error::from)?;
        self.len += 1;
        Ok(())
    }

    /// Writes every key in one `putMultiple`.
    pub async fn commit(self, storage: &Storage) -> Result<(), EdgeError> {
        if self.len > 0 {
            storage.put_multiple_raw(self.object).await?;
        }
        Ok(())
    }
}
