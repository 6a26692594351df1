//! One module per screen (and per step of the Manage KMS screen).

pub mod completed;
pub mod finalize;
pub mod home;
pub mod manage_kms;
pub mod not_found;
pub mod role_assignment;
pub mod sign_in;
pub mod switch_form;
pub mod vaults;
