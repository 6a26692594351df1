//! Worker side of the company's Durable Object: sends a [`Command`] and
//! reads the answer (errors come back already in the catalog shape).

use keyswitch_shared::{CompanyId, ErrorBody};
use serde::de::DeserializeOwned;
use worker::{Env, Headers, Method, Request, RequestInit};

use super::commands::Command;
use crate::config;
use crate::error::EdgeError;

/// Sends `command` to `company`'s object.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    company: &CompanyId,
    command: &Command,
) -> Result<T, EdgeError> {
    let stub = env
        .durable_object(config::COMPANY_KMS)?
        .get_by_name(company.as_str())?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let req = Request::new_with_init(&format!("https://company-kms/{}", company.as_str()), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    if status == 200 {
        return Ok(resp.json().await?);
    }
    let body: ErrorBody = resp.json().await?;
    Err(EdgeError::Relayed { status, body })
}
