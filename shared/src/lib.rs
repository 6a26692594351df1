//! keyswitch's shared crate: the one source of truth for validation, domain
//! types, the error catalog and the switch state machine. It has no I/O and
//! no platform dependencies, so the browser (`app`) and the edge (`edge`) run
//! exactly the same rules.
#![warn(missing_docs)]

mod macros;

pub mod api;
pub mod audit;
pub mod audit_export;
pub mod binding;
pub mod body;
pub mod calendar;
pub mod catalog;
pub mod commands;
pub mod config_guard;
pub mod entra;
pub mod envelope_access;
pub mod google;
pub mod health;
pub mod id_token;
pub mod ids;
pub mod key_check;
pub mod keyvault;
pub mod notify;
pub mod oauth_state;
pub mod provider;
pub mod read_copy;
pub mod rotation;
pub mod secret;
pub mod switch;
pub mod validation;
pub mod vault_uri;
pub mod vaults;
pub mod verified_tokens;

pub use audit::{Actor, AuditAction, Outcome, Role};
pub use catalog::{CatalogError, ErrorBody};
pub use ids::{
    ClientId, CompanyId, GoogleCustomerId, GoogleDomain, KeyId, KeyName, KeyVersion, TenantId,
};
pub use provider::Provider;
pub use secret::ClientSecret;
pub use validation::ValidationError;
pub use vault_uri::{Cloud, VaultKind, VaultUri};
