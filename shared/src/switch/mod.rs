//! The Manage KMS switch (PRODUCT.md §2) as a state machine without I/O.
//!
//! The edge loads a [`SwitchState`] from the company's Durable Object, calls
//! [`apply`] with an [`Event`] and the current time, stores the new state and
//! performs the returned [`Effect`]s. A refused event returns a
//! [`CatalogError`](crate::CatalogError) and the caller keeps the old state:
//! nothing changes.

mod machine;
mod model;

pub use machine::{apply, apply_with_consent_ttl};
pub use model::{
    CONSENT_TTL_SECS, Consent, Effect, Event, ExportWindow, Setup, Stage, SwitchState, Target,
    Tenant, TenantRef, TenantStatus,
};
