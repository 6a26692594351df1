//! Bodies exchanged between the SPA and the edge API.

use serde::{Deserialize, Serialize};

use crate::Provider;

/// `GET /api/companies/{company}/kms`: the company's KMS status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsStatus {
    /// The company this status belongs to.
    pub company_id: String,
    /// The provider protecting the company key right now.
    pub provider: Provider,
    /// How many backup sets the host product lists for the company.
    pub backup_set_count: u32,
}
