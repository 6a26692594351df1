//! The company model (`keyswitch_shared::switch`): walk-throughs of every
//! path with their exact effects, and property tests that drive random
//! lives of a company through an interpreter of every effect, checked
//! against an independent oracle.
#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;
mod export_offer;
mod monitor;
mod props;
mod recovery;
mod walk;
