//! What was called: service, method, path (no query: it may hold codes), status.

use std::collections::VecDeque;

use serde::Serialize;

const CAPACITY: usize = 5000;

/// One logged request.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Sequence number.
    pub seq: u64,
    /// Unix milliseconds.
    pub at_ms: u128,
    /// Service (`keyvault`, `entra`, `google`, `redapp`, `index`).
    pub service: String,
    /// Method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Vault host for Key Vault calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault: Option<String>,
    /// Status answered (0 when the connection was dropped).
    pub status: u16,
    /// Injected fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// For AWS KMS calls: the action, key and encryption context (and an
    /// Encrypt's ciphertext), so tests can check what the worker bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms: Option<KmsCall>,
}

/// What an AWS KMS call asked for (never a plaintext).
#[derive(Debug, Clone, Serialize)]
pub struct KmsCall {
    /// `Encrypt`, `Decrypt`, … (from `X-Amz-Target`).
    pub action: String,
    /// `KeyId` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `EncryptionContext` of the request, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<serde_json::Value>,
    /// `CiphertextBlob` of a successful Encrypt's answer (base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<String>,
}

/// A bounded log.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: VecDeque<Entry>,
    next: u64,
}

impl RequestLog {
    /// Appends an entry (sequence number assigned here).
    pub fn push(&mut self, mut e: Entry) {
        self.next += 1;
        e.seq = self.next;
        if self.entries.len() >= CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
    }

    /// Entries, oldest first, optionally for one service.
    pub fn list(&self, service: Option<&str>) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| service.is_none_or(|s| e.service.eq_ignore_ascii_case(s)))
            .cloned()
            .collect()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
