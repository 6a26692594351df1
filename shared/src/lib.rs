//! keyswitch's shared crate: the one source of truth for validation, domain
//! types, the error catalog and the switch state machine. It has no I/O and
//! no platform dependencies, so the browser (`app`) and the edge (`edge`) run
//! exactly the same rules.
#![warn(missing_docs)]

pub mod api;
pub mod provider;

pub use provider::Provider;
