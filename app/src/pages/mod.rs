//! One module per screen; the steps of the Manage KMS screen live inside
//! `manage_kms/`.

pub mod home;
pub mod manage_kms;
pub mod not_found;
pub mod sign_in;
pub mod vaults;
