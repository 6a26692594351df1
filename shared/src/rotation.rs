//! Key rotation as the SPA and the host see it (issue 14 items 4 and 7):
//! the `kid` history of a company, the re-wrap in progress, and the report
//! of *Check configuration*. The model that decides is
//! `switch::update::{rotate, check}`; these are its public shapes.

use serde::{Deserialize, Serialize};

use crate::catalog::ErrorBody;
use crate::ids::KeyId;

/// Why a key version started protecting the company key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KidReason {
    /// The switch to Azure Key Vault committed with this version.
    Switch,
    /// keyswitch saw a new current version (the customer or a rotation
    /// policy rotated the key) and re-wrapped by itself.
    Rotation,
    /// An admin asked for *Re-wrap now*.
    RewrapNow,
}

/// One version of the customer's key that protected (or protects) the
/// company key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KidRecord {
    /// The versioned key id.
    pub kid: KeyId,
    /// Since when it protects the company key (Unix milliseconds); `None`
    /// for a version recorded before keyswitch kept the history.
    pub from_ms: Option<u64>,
    /// Until when (Unix milliseconds); `None` for the version in force.
    pub until_ms: Option<u64>,
    /// Why it started.
    pub reason: KidReason,
}

/// The step a re-wrap reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewrapStep {
    /// *Re-wrap now*: reading the key's current version (one GET).
    ReadKey,
    /// Unwrapping with the recorded `kid` and wrapping with the new version.
    Wrap,
    /// Unwrapping the new blob with the new version and comparing.
    Verify,
}

/// A re-wrap owed or under way: until it commits, the recorded `kid` stays
/// in force (nothing changes on a failure; it is retried with back-off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrapProgress {
    /// The version the company key is being re-wrapped with (`None` while
    /// *Re-wrap now* reads the key).
    pub to_kid: Option<KeyId>,
    /// Why.
    pub reason: KidReason,
    /// The step reached.
    pub step: RewrapStep,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The last failure (retried automatically).
    pub last_error: Option<ErrorBody>,
    /// When the next attempt is due (Unix milliseconds); `None` while one
    /// runs.
    pub next_retry_at_ms: Option<u64>,
    /// When it started (Unix milliseconds).
    pub started_at_ms: u64,
}

/// The outcome of one check of *Check configuration*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Ok,
    /// Failed: `problem` says what and how to fix it.
    Problem,
    /// Passed, but something needs attention soon (e.g. expiry, headroom).
    Warning,
    /// Not run: an earlier check it depends on failed (`problem` says which).
    Skipped,
}

/// One check of *Check configuration*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// Stable id, e.g. `consent`, `role`, `key_type`, `dry_run`.
    pub id: String,
    /// What was checked, for people (`Admin consent`).
    pub name: String,
    /// The outcome.
    pub status: CheckStatus,
    /// What was seen, when it passed (e.g. `RSA 3072`).
    pub detail: Option<String>,
    /// The problem (a catalog error: code, message, fix) when the status
    /// is `problem`, `warning` or `skipped`.
    pub problem: Option<ErrorBody>,
}

/// What *Check configuration* checked: of the pending setup's key (before
/// the switch commits) or of the key in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckScope {
    /// The pending setup's key (before Save the re-wrap is dry-run too).
    Pending,
    /// The Azure key in force.
    InForce,
}

/// `POST /api/companies/{company}/kms/check`: every check, run at once,
/// without changing anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// When it ran (Unix milliseconds).
    pub checked_at_ms: u64,
    /// Which key.
    pub scope: CheckScope,
    /// The key checked (versionless, or the versioned kid in force).
    pub key: KeyId,
    /// Every check, in a fixed order.
    pub checks: Vec<CheckItem>,
    /// Every problem with its fix (the `problem` of each failed check), in
    /// the same order.
    pub problems: Vec<ErrorBody>,
}

/// What the edge saw when it ran *Check configuration* (it decides
/// nothing: `switch::update` turns this into the [`CheckReport`]). Each
/// step that was not run (an earlier one it needs failed) is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckObservations {
    /// A client-credentials token of the connector in the vault's tenant
    /// (the admin consent took effect).
    pub token: Option<Result<(), crate::CatalogError>>,
    /// GET of the key (versionless for a pending setup, the key in force
    /// otherwise).
    pub key: Option<Result<crate::keyvault::KeyBundle, crate::CatalogError>>,
    /// A wrap/unwrap round trip of a random probe with the version GET
    /// answered.
    pub probe: Option<Result<(), crate::CatalogError>>,
    /// Before Save: the re-wrap dry run (unwrap with the provider in force,
    /// wrap and unwrap with the new key, compare, discard).
    pub dry_run: Option<Result<(), crate::CatalogError>>,
    /// The backup-set inventory.
    pub inventory: Option<Result<crate::switch::Inventory, crate::CatalogError>>,
}
