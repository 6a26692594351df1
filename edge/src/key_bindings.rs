//! The key-binding registry (issue 13): one Durable Object per Azure key,
//! named `{vault host}/keys/{key name}`, records which companies the key is
//! bound to. A company's object writes to it — bound on the commit of a
//! switch to the key, released when the company moves to another key or
//! provider — and owes the write in its model until this object answered
//! (the alarm sends it again), so the registry never silently misses one.
//! Writes are idempotent: binding twice or releasing twice changes nothing.

use std::collections::BTreeSet;

use keyswitch_shared::CompanyId;
use keyswitch_shared::switch::RegistryKey;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result, State,
    durable_object,
};

use crate::config;
use crate::error::EdgeError;

/// Storage key of the set of company ids.
const COMPANIES: &str = "companies";

/// A write (or read) of one key's registry entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RegistryCommand {
    /// Record `company` as bound to the key.
    Bind {
        /// The company.
        company: CompanyId,
    },
    /// Remove `company` from the key.
    Release {
        /// The company.
        company: CompanyId,
    },
}

/// The companies bound to the key after the write.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryAnswer {
    /// Company ids, sorted.
    pub companies: Vec<String>,
}

/// One key's registry entry.
#[cfg_attr(feature = "company-objects", durable_object)]
pub struct KeyBindings {
    state: State,
}

#[cfg(feature = "company-objects")]
impl DurableObject for KeyBindings {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = req.text().await?;
        let Ok(command) = serde_json::from_str::<RegistryCommand>(&text) else {
            return Response::error("not a registry command", 400);
        };
        let storage = self.state.storage();
        let mut companies = crate::stored::get::<BTreeSet<String>>(&storage, COMPANIES)
            .await?
            .unwrap_or_default();
        let changed = match &command {
            RegistryCommand::Bind { company } => companies.insert(company.as_str().to_owned()),
            RegistryCommand::Release { company } => companies.remove(company.as_str()),
        };
        if changed {
            storage.put(COMPANIES, &companies).await?;
        }
        Response::from_json(&RegistryAnswer {
            companies: companies.into_iter().collect(),
        })
    }
}

/// Binds (or releases) `company` on `key` in the registry; returns how many
/// *other* companies the key is bound to afterwards.
///
/// # Errors
/// The registry object could not be reached or answered an error.
pub async fn record(
    env: &Env,
    key: &RegistryKey,
    company: &CompanyId,
    bind: bool,
) -> std::result::Result<u32, EdgeError> {
    let command = if bind {
        RegistryCommand::Bind {
            company: company.clone(),
        }
    } else {
        RegistryCommand::Release {
            company: company.clone(),
        }
    };
    let stub = env
        .durable_object(config::KEY_BINDINGS)?
        .get_by_name(&key.object_name())?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(serde_json::to_string(&command)?.into()));
    let req = Request::new_with_init("https://durable-object/key-bindings", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    if resp.status_code() != 200 {
        return Err(EdgeError::Worker(worker::Error::RustError(format!(
            "the key-binding registry answered {}",
            resp.status_code()
        ))));
    }
    let answer: RegistryAnswer = resp.json().await?;
    let others = answer
        .companies
        .iter()
        .filter(|c| c.as_str() != company.as_str())
        .count();
    Ok(u32::try_from(others).unwrap_or(u32::MAX))
}
