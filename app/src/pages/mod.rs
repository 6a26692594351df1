//! One module per screen.

pub mod home;
pub mod manage_kms;
pub mod not_found;
