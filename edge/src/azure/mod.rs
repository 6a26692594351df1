//! Outside calls to Microsoft: Entra ID (consent URL, client-credentials
//! tokens) and the Key Vault data plane, over [`crate::http`]. Every answer
//! an admin can act on comes back as a catalog error; nothing secret is
//! logged.

pub mod cloud;
pub mod entra;
pub mod keyvault;
