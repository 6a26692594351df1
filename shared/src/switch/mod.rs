//! A company's Manage KMS state (PRODUCT.md §2) as one model without I/O.
//!
//! The company's Durable Object loads a [`Company`], calls [`update`] with an
//! [`Event`] and a [`Ctx`] (time, fresh randomness, policy), stores the new
//! model together with the [`Effect::Audit`] entries in one transaction, and
//! carries out the other effects, feeding their results back as events. A
//! refused event returns a [`CatalogError`](crate::CatalogError) and nothing
//! changes. The object decides nothing itself.

mod company;
#[cfg(test)]
pub(crate) use company::testing::acme_on_azure;
mod ctx;
mod effect;
mod event;
mod model;
mod recovery;
mod secret;
mod update;
mod view;

pub use company::{
    BackupSetCount, CheckInFlight, Company, ConsentSignIn, ExportRound, ExportWindow, Finalize,
    IssuedState, KeyMonitor, Lease, Op, PendingSignIn, Purpose, RegistryKey, RegistryWrite, Rewrap,
    Setup, WrappedKey,
};
pub use ctx::{BACKUP_SET_COUNT_MAX_AGE_SECS, Ctx, EXPORT_WINDOW_SECS, KEY_CACHE_SECS, Policy};
pub use effect::{AuditEntry, Effect, Reply};
pub use event::{
    ConsentAnswer, ConsentProof, Event, Inventory, InventoryTenant, SignIn, VerifyAnswer,
};
pub use model::{
    CONSENT_TTL_SECS, Consent, Stage, Target, Tenant, TenantRef, TenantStatus, Unverifiable,
    UnverifiableSet, inventory_text,
};
pub use recovery::{Fault, Progress, SetupField, SetupStep, StepState, StepStatus, progress};
pub use secret::OAuthSecret;
pub use update::{refusal, update};
