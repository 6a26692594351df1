//! The deployed-configuration guard: outside the development environment, an
//! unsafe or incomplete configuration (see
//! [`keyswitch_shared::config_guard`], plus the bindings) makes every route
//! answer 503 `service_misconfigured`. Checked once per isolate: the verdict
//! is cached, and logged once, naming each problem (never a value). A
//! development configuration serves requests to this machine only
//! (loopback hosts): `ENVIRONMENT=development` set on a deployed worker by
//! mistake still answers 503.

use std::cell::OnceCell;

use keyswitch_shared::CatalogError;
use keyswitch_shared::config_guard::{self, Settings};
use worker::{Env, Request};

use crate::config;
use crate::error::EdgeError;

/// This isolate's verdict on its configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// A deployed configuration without problems.
    Safe,
    /// The development environment: loopback hosts only.
    Development,
    /// Unsafe or incomplete: every route answers 503.
    Refused,
}

thread_local! {
    /// This isolate's verdict, decided on its first request.
    static VERDICT: OnceCell<Verdict> = const { OnceCell::new() };
    /// Whether a development configuration was already asked for by a
    /// host that is not this machine (logged once).
    static FOREIGN_HOST_LOGGED: OnceCell<()> = const { OnceCell::new() };
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

/// The verdict on this worker's configuration; a refusal is logged, naming
/// every problem.
fn verdict(env: &Env) -> Verdict {
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
        return if config_guard::is_development(&settings) {
            Verdict::Development
        } else {
            Verdict::Safe
        };
    }
    let text = problems.join("; ");
    worker::console_error!(
        "configuration refused: every route answers 503 service_misconfigured until this is fixed: {text}"
    );
    Verdict::Refused
}

fn refused() -> EdgeError {
    CatalogError::ServiceMisconfigured.into()
}

/// Refuses to serve (503 [`CatalogError::ServiceMisconfigured`]) when this
/// isolate's configuration is unsafe; decided on the first call only. For
/// work without a request (an alarm).
pub fn check(env: &Env) -> Result<(), EdgeError> {
    match VERDICT.with(|v| *v.get_or_init(|| verdict(env))) {
        Verdict::Refused => Err(refused()),
        Verdict::Safe | Verdict::Development => Ok(()),
    }
}

/// Whether this worker runs the development configuration (the local run
/// and the tests only; it serves loopback hosts only).
pub fn is_development(env: &Env) -> bool {
    VERDICT.with(|v| *v.get_or_init(|| verdict(env))) == Verdict::Development
}

/// [`check`] for a request: a development configuration also refuses a
/// request to a host that is not this machine.
pub fn check_request(env: &Env, req: &Request) -> Result<(), EdgeError> {
    match VERDICT.with(|v| *v.get_or_init(|| verdict(env))) {
        Verdict::Refused => Err(refused()),
        Verdict::Safe => Ok(()),
        Verdict::Development => {
            let url = req.url()?;
            let host = url.host_str().unwrap_or_default();
            if config_guard::is_loopback_host(host) {
                return Ok(());
            }
            FOREIGN_HOST_LOGGED.with(|logged| {
                if logged.set(()).is_ok() {
                    worker::console_error!(
                        "configuration refused: ENVIRONMENT=development serves this machine only, and a request came for another host; every such request answers 503 service_misconfigured"
                    );
                }
            });
            Err(refused())
        }
    }
}
