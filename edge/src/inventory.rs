//! The host product's (RedApp's) backup-set inventory, read over HTTP.

use keyswitch_shared::switch::{TenantRef, Unverifiable, UnverifiableSet, inventory_text};
use serde::Deserialize;
use worker::{Env, Url};

use crate::config;
use crate::error::EdgeError;
use crate::http::{Call, HttpError};

/// Why the inventory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// No answer.
    #[error("the inventory call failed")]
    Http(#[from] HttpError),
    /// An answer other than 200.
    #[error("the inventory answered {0}")]
    Status(u16),
    /// A 200 whose body is not a backup-set list.
    #[error("the inventory's answer is not a backup-set list")]
    Parse(#[from] serde_json::Error),
}

/// One backup set as the host product lists it.
#[derive(Debug, Deserialize)]
pub struct BackupSet {
    /// The set's id in the host product.
    #[serde(default)]
    pub id: Option<String>,
    /// The set's name in the host product.
    #[serde(default)]
    pub name: Option<String>,
    /// `microsoft365` or `google_workspace`.
    #[serde(default)]
    pub kind: String,
    /// The Entra tenant of a Microsoft 365 set.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The Google customer of a Workspace set.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The Microsoft 365 tenant's name.
    #[serde(default)]
    pub tenant_name: Option<String>,
    /// The Google Workspace domain.
    #[serde(default)]
    pub domain: Option<String>,
}

impl BackupSet {
    /// The tenant whose data the set holds, or why it names none keyswitch
    /// can verify (never dropped: an unverifiable set blocks the switch).
    pub fn tenant(&self) -> Result<TenantRef, Unverifiable> {
        TenantRef::from_inventory(
            &self.kind,
            self.tenant_id.as_deref(),
            self.customer_id.as_deref(),
        )
    }

    /// The set as the model keeps it when it cannot be verified.
    pub fn unverifiable(&self, why: Unverifiable) -> UnverifiableSet {
        UnverifiableSet {
            set_id: self.id.as_deref().map(inventory_text).unwrap_or_default(),
            set_name: self
                .name
                .as_deref()
                .map(inventory_text)
                .filter(|n| !n.is_empty()),
            why,
        }
    }

    /// What people call the tenant: the Microsoft 365 tenant's name or the
    /// Workspace domain, when the inventory gives one.
    pub fn display_name(&self) -> Option<&str> {
        match self.kind.as_str() {
            "microsoft365" => self.tenant_name.as_deref(),
            "google_workspace" => self.domain.as_deref(),
            _ => None,
        }
        .map(str::trim)
        .filter(|n| !n.is_empty())
    }
}

#[derive(Deserialize)]
struct BackupSetList {
    backup_sets: Vec<BackupSet>,
}

/// Client for the inventory API.
pub struct Inventory {
    base: Url,
}

impl Inventory {
    /// Reads the API's base URL from configuration.
    pub fn from_env(env: &Env) -> Result<Self, EdgeError> {
        let raw = config::var(env, config::REDAPP_API_URL)?;
        let base = Url::parse(&raw).map_err(|_| EdgeError::Config(config::REDAPP_API_URL))?;
        Ok(Self { base })
    }

    /// Lists the backup sets of `company`.
    pub async fn backup_sets(&self, company: &str) -> Result<Vec<BackupSet>, EdgeError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| EdgeError::Config(config::REDAPP_API_URL))?
            .pop_if_empty()
            .extend(["v1", "companies", company, "backup-sets"]);
        let answer = Call::get(url.as_str())
            .follow_redirects()
            .send()
            .await
            .map_err(InventoryError::from)?;
        if answer.status != 200 {
            return Err(InventoryError::Status(answer.status).into());
        }
        let list: BackupSetList = answer.json().map_err(InventoryError::from)?;
        Ok(list.backup_sets)
    }
}
