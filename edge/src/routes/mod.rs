//! HTTP handlers, one module per resource. Handlers parse, call a service and
//! map the result; nothing else.

pub mod bench;
pub mod envelope;
pub mod health;
pub mod kms;
pub mod oauth;
pub mod openapi;
pub mod sign_in;
pub mod tenants;
pub mod vaults;
