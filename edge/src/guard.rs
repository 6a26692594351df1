//! The deployed-configuration guard: outside the development environment, an
//! unsafe or incomplete configuration (see
//! [`keyswitch_shared::config_guard`], plus the bindings) makes every route
//! answer 503 `service_misconfigured`. Checked once per isolate: the verdict
//! is cached, and logged once, naming each problem (never a value).

use std::cell::OnceCell;

use keyswitch_shared::CatalogError;
use keyswitch_shared::config_guard::{self, Settings};
use worker::Env;

use crate::config;
use crate::error::EdgeError;

thread_local! {
    /// This isolate's verdict: `None` safe, `Some(problems)` refused.
    static VERDICT: OnceCell<Option<String>> = const { OnceCell::new() };
}

struct EnvSettings<'a>(&'a Env);

impl Settings for EnvSettings<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.0.var(name).ok().map(|v| v.to_string())
    }
    fn secret(&self, name: &str) -> Option<String> {
        self.0.secret(name).ok().map(|v| v.to_string())
    }
}

/// Every problem of this worker's configuration, `; `-separated, or `None`.
fn verdict(env: &Env) -> Option<String> {
    let settings = EnvSettings(env);
    let mut problems: Vec<String> = config_guard::problems(&settings, cfg!(feature = "bench"))
        .iter()
        .map(ToString::to_string)
        .collect();
    if !config_guard::is_development(&settings) {
        for name in [
            config::COMPANY_KMS,
            config::WORKSPACE_VAULTS,
            config::KEY_BINDINGS,
        ] {
            if env.durable_object(name).is_err() {
                problems.push(format!("binding {name} is missing"));
            }
        }
    }
    if problems.is_empty() {
        return None;
    }
    let text = problems.join("; ");
    worker::console_error!(
        "configuration refused: every route answers 503 service_misconfigured until this is fixed: {text}"
    );
    Some(text)
}

/// Refuses to serve (503 [`CatalogError::ServiceMisconfigured`]) when this
/// isolate's configuration is unsafe; checked on the first call only.
pub fn check(env: &Env) -> Result<(), EdgeError> {
    let refused = VERDICT.with(|v| v.get_or_init(|| verdict(env)).is_some());
    if refused {
        return Err(CatalogError::ServiceMisconfigured.into());
    }
    Ok(())
}
