//! Widgets shared by screens.

pub mod error_notice;
pub mod shell;
