//! The worker's side of the Durable Objects: sends a typed command as JSON
//! to the object named after its company or workspace and reads the typed
//! answer. An object answers errors already in the catalog shape; they are
//! relayed as they are.

use keyswitch_shared::{CompanyId, ErrorBody};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Env, Headers, Method, Request, RequestInit};

use crate::config;
use crate::error::EdgeError;
use crate::request_id::{self, RequestId};

/// A command one kind of Durable Object understands.
pub trait Command: Serialize {
    /// The namespace binding of the objects that take it.
    const BINDING: &'static str;
}

impl Command for crate::company::commands::Command {
    const BINDING: &'static str = config::COMPANY_KMS;
}

impl Command for crate::workspace::commands::Command {
    const BINDING: &'static str = config::WORKSPACE_VAULTS;
}

fn binding<C: Command>(_: &C) -> &'static str {
    C::BINDING
}

/// Sends `command` to the object named `name` (a company or workspace id)
/// and reads its answer; the object logs under the worker's `request_id`.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    request_id: &RequestId,
    name: &CompanyId,
    command: &impl Command,
) -> Result<T, EdgeError> {
    Ok(send(env, request_id, name, command).await?.json().await?)
}

/// Sends `command` like [`call`] and answers the object's JSON text as it
/// is, for a route that hands the object's answer to the client unchanged:
/// the worker then holds neither a decoder nor an encoder for that answer's
/// type (issue 15: each typed answer decoded and encoded again in the worker
/// is code in the upload). Errors are relayed exactly as with [`call`].
pub async fn relay(
    env: &Env,
    request_id: &RequestId,
    name: &CompanyId,
    command: &impl Command,
) -> Result<String, EdgeError> {
    Ok(send(env, request_id, name, command).await?.text().await?)
}

/// Sends `command` and answers the object's 2xx response; any other answer
/// becomes [`EdgeError::Relayed`].
async fn send(
    env: &Env,
    request_id: &RequestId,
    name: &CompanyId,
    command: &impl Command,
) -> Result<worker::Response, EdgeError> {
    let stub = env
        .durable_object(binding(command))?
        .get_by_name(name.as_str())?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set(request_id::HEADER, request_id.as_str())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(crate::wire::encode(command)?.into()));
    let req = Request::new_with_init(&format!("https://durable-object/{}", name.as_str()), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get("Retry-After")?
        .and_then(|v| v.trim().parse().ok());
    let body: ErrorBody = resp.json().await?;
    Err(EdgeError::Relayed {
        status,
        body,
        retry_after,
    })
}
