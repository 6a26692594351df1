//! Widgets shared by screens.

pub mod audit_table;
pub mod copy_button;
pub mod dialog;
pub mod error_notice;
pub mod field;
pub mod identity;
pub mod progress;
pub mod shell;
pub mod tenant_list;
