//! Widgets shared by screens.

pub mod audit_table;
pub mod check_results;
pub mod command_tabs;
pub mod copy_button;
pub mod dialog;
pub mod error_notice;
pub mod field;
pub mod health_badge;
pub mod identity;
pub mod kid_history;
pub mod progress;
pub mod shell;
pub mod tenant_list;
pub mod trail;
pub mod when;
