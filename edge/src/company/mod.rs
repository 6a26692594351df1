//! `CompanyKms`: the Durable Object that is the authority for one company's
//! KMS state (current provider and the wrapped company key).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyswitch_shared::Provider;
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::config;
use crate::crypto::SecretKey;
use crate::error::{EdgeError, respond};

/// Storage key of the company record.
const RECORD: &str = "record";

/// What the object stores about its company.
#[derive(Serialize, Deserialize)]
struct CompanyRecord {
    company_id: String,
    provider: Provider,
    /// The company key wrapped by `provider`, base64.
    wrapped_company_key: String,
    created_at_ms: u64,
}

/// The object's answer to `GET /status`.
#[derive(Serialize, Deserialize)]
pub struct ProviderStatus {
    /// The provider in force.
    pub provider: Provider,
}

/// One per company, named by the company id.
#[durable_object]
pub struct CompanyKms {
    state: State,
    env: Env,
}

impl DurableObject for CompanyKms {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        respond(self.route(req).await)
    }
}

impl CompanyKms {
    async fn route(&self, req: Request) -> std::result::Result<Response, EdgeError> {
        let url = req.url()?;
        let mut segments = url
            .path_segments()
            .ok_or(EdgeError::BadRequest("bad path"))?;
        let company = segments
            .next()
            .ok_or(EdgeError::BadRequest("no company"))?
            .to_owned();
        match segments.next() {
            Some("status") => {
                let record = self.load_or_create(&company).await?;
                Ok(Response::from_json(&ProviderStatus {
                    provider: record.provider,
                })?)
            }
            _ => Err(EdgeError::BadRequest("unknown object route")),
        }
    }

    /// Loads the record; a new company starts on the platform provider with a
    /// freshly generated company key sealed by the platform key.
    async fn load_or_create(&self, company: &str) -> std::result::Result<CompanyRecord, EdgeError> {
        let storage = self.state.storage();
        if let Some(record) = storage.get::<CompanyRecord>(RECORD).await? {
            return Ok(record);
        }
        let platform = SecretKey::from_base64(&config::secret(&self.env, config::PLATFORM_KEY)?)?;
        let company_key = SecretKey::generate()?;
        let sealed = platform.seal(company_key.bytes(), platform_aad(company).as_bytes())?;
        let record = CompanyRecord {
            company_id: company.to_owned(),
            provider: Provider::Platform,
            wrapped_company_key: STANDARD.encode(sealed),
            created_at_ms: worker::Date::now().as_millis(),
        };
        storage.put(RECORD, &record).await?;
        Ok(record)
    }
}

/// Binds a platform-sealed company key to its company.
fn platform_aad(company: &str) -> String {
    format!("keyswitch/company-key/v1/{company}")
}
