//! Worker side of a workspace's Durable Object: sends a [`Command`] and reads
//! the answer (errors come back already in the catalog shape).

use keyswitch_shared::ErrorBody;
use keyswitch_shared::vaults_api::WorkspaceId;
use serde::de::DeserializeOwned;
use worker::{Env, Headers, Method, Request, RequestInit};

use super::commands::Command;
use crate::config;
use crate::error::EdgeError;

/// Sends `command` to `workspace`'s object; answers its status with the body.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    workspace: &WorkspaceId,
    command: &Command,
) -> Result<(u16, T), EdgeError> {
    let stub = env
        .durable_object(config::WORKSPACE_VAULTS)?
        .get_by_name(workspace.as_str())?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let req = Request::new_with_init(
        &format!("https://workspace-vaults/{}", workspace.as_str()),
        &init,
    )?;
    let mut resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    if (200..300).contains(&status) {
        return Ok((status, resp.json().await?));
    }
    let body: ErrorBody = resp.json().await?;
    Err(EdgeError::Relayed { status, body })
}
