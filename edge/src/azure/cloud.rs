//! The KMS Connector per Azure cloud (issue 16): each cloud has its own
//! Entra authority and its own app registration. The public cloud's is
//! `ENTRA_AUTHORITY`, `CONNECTOR_CLIENT_ID`, secret `CONNECTOR_CLIENT_SECRET`;
//! China's and US Government's carry the suffix `_CHINA` / `_USGOV`. A cloud
//! whose client id is empty has no connector: its vaults are refused at the
//! Vault URI field (`cloud_not_configured`).

use std::cell::OnceCell;

use keyswitch_shared::{CatalogError, Cloud};
use worker::Env;

use crate::error::EdgeError;

/// The names of one cloud's connector settings.
#[derive(Clone, Copy)]
pub struct Names {
    /// The Entra authority var.
    pub authority: &'static str,
    /// The connector's client id var.
    pub client_id: &'static str,
    /// The connector's client secret.
    pub secret: &'static str,
}

/// The setting names of `cloud`'s connector.
#[must_use]
pub fn names(cloud: Cloud) -> Names {
    match cloud {
        Cloud::Public => Names {
            authority: crate::config::ENTRA_AUTHORITY,
            client_id: crate::config::CONNECTOR_CLIENT_ID,
            secret: crate::config::CONNECTOR_CLIENT_SECRET,
        },
        Cloud::China => Names {
            authority: "ENTRA_AUTHORITY_CHINA",
            client_id: "CONNECTOR_CLIENT_ID_CHINA",
            secret: "CONNECTOR_CLIENT_SECRET_CHINA",
        },
        Cloud::UsGovernment => Names {
            authority: "ENTRA_AUTHORITY_USGOV",
            client_id: "CONNECTOR_CLIENT_ID_USGOV",
            secret: "CONNECTOR_CLIENT_SECRET_USGOV",
        },
    }
}

fn non_empty_var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string().trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `cloud`'s Entra authority, without a trailing slash: the configured
/// one, or the cloud's real authority when the var is absent.
pub fn authority(env: &Env, cloud: Cloud) -> Result<url::Url, EdgeError> {
    let name = names(cloud).authority;
    let text = non_empty_var(env, name).unwrap_or_else(|| cloud.default_authority().to_owned());
    url::Url::parse(text.trim_end_matches('/')).map_err(|_| EdgeError::Config(name))
}

/// The clouds this deployment has a connector for (a non-empty client id).
#[must_use]
pub fn configured(env: &Env) -> Vec<Cloud> {
    client_ids(env).into_iter().map(|(c, _)| c).collect()
}

thread_local! {
    /// Each cloud's connector client id, read once per isolate. Every
    /// Manage KMS answer names the configured clouds, and each read of a
    /// var crosses into the platform: under load that was a few percent of
    /// a `GET …/kms`. A worker's vars are fixed for its isolate's life (a
    /// changed configuration is a new deployment, so new isolates), which
    /// `guard.rs` relies on too.
    static CLIENT_IDS: OnceCell<Vec<(Cloud, String)>> = const { OnceCell::new() };
}

/// The clouds with a connector and their client ids (see [`CLIENT_IDS`]).
fn client_ids(env: &Env) -> Vec<(Cloud, String)> {
    CLIENT_IDS.with(|ids| {
        ids.get_or_init(|| {
            Cloud::ALL
                .into_iter()
                .filter_map(|c| Some((c, non_empty_var(env, names(c).client_id)?)))
                .collect()
        })
        .clone()
    })
}

/// The connector's application (client) id in each cloud that has one,
/// for the model's [`Policy`](keyswitch_shared::switch::Policy): a removed
/// role's commands name it. A value that is not a GUID (no Entra
/// application id) is left out: the fix then names the portal steps.
#[must_use]
pub fn connectors(env: &Env) -> Vec<(Cloud, keyswitch_shared::ClientId)> {
    client_ids(env)
        .into_iter()
        .filter_map(|(c, id)| Some((c, id.parse().ok()?)))
        .collect()
}

/// `cloud`'s connector client id; `cloud_not_configured` when it has none.
pub fn client_id(env: &Env, cloud: Cloud) -> Result<String, EdgeError> {
    client_ids(env)
        .into_iter()
        .find_map(|(c, id)| (c == cloud).then_some(id))
        .ok_or_else(|| {
            EdgeError::from(CatalogError::CloudNotConfigured {
                cloud,
                available: configured(env),
            })
        })
}

/// `cloud`'s connector client secret (never printed).
pub fn client_secret(env: &Env, cloud: Cloud) -> Result<String, EdgeError> {
    crate::config::secret(env, names(cloud).secret)
}

/// Refuses a vault of a cloud without a connector, as the browser does.
pub fn check(env: &Env, vault: &keyswitch_shared::VaultUri) -> Result<(), EdgeError> {
    vault
        .check_cloud(&configured(env))
        .map_err(|e| EdgeError::from(CatalogError::from(e)))
}
