//! HTTP handlers, one module per resource. Handlers parse, call a service and
//! map the result; nothing else.

pub mod health;
pub mod kms;
pub mod oauth;
pub mod openapi;
