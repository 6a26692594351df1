//! Helpers for the integration tests, which drive the built worker running in
//! workerd (wrangler dev) over HTTP against the running simulator.
//!
//! The stack is started by `scripts/test`, which passes its addresses in
//! `KEYSWITCH_URL` and `SIM_URL`. Without them the tests fail: they never
//! pass with the worker absent.

/// Base URL of the worker under test, e.g. `http://127.0.0.1:18787`.
///
/// # Panics
/// When `KEYSWITCH_URL` is not set: run the tests through `scripts/test`.
#[must_use]
pub fn worker_url() -> String {
    required_env("KEYSWITCH_URL")
}

/// Base URL of the simulator, e.g. `http://127.0.0.1:18790`.
///
/// # Panics
/// When `SIM_URL` is not set: run the tests through `scripts/test`.
#[must_use]
pub fn sim_url() -> String {
    required_env("SIM_URL")
}

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.trim_end_matches('/').to_owned(),
        _ => panic!("{name} is not set: run these tests through scripts/test, which starts the stack"),
    }
}

/// A company id no other test uses, so tests can run in any order.
#[must_use]
pub fn fresh_company(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos:x}")
}
