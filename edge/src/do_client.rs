//! The worker's side of the Durable Objects: sends a typed command as JSON
//! to the object named after its company or workspace and reads the typed
//! answer. An object answers errors already in the catalog shape; they are
//! relayed as they are.

use keyswitch_shared::{CompanyId, ErrorBody};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::Env;

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
    let text = send(env, request_id, name, command).await?;
    Ok(serde_json::from_str(&text).map_err(worker::Error::from)?)
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
    send(env, request_id, name, command).await
}

/// The platform's Durable Object stub, called directly: the object's
/// answer is read with the platform's own `Response.text()`, not chunk by
/// chunk through a Rust stream, and the request is built once as a
/// platform `Request` (issue 15: under load these conversions were a sixth
/// of a `GET …/kms`'s time in the worker, measured with a CPU profile of
/// the isolate; docs/PRODUCT.md).
#[wasm_bindgen]
extern "C" {
    type PlatformStub;
    #[wasm_bindgen(method, catch)]
    fn fetch(this: &PlatformStub, request: &web_sys::Request) -> Result<js_sys::Promise, JsValue>;
}

/// An answer of the object: its status, its `Retry-After` and its text.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    text: String,
}

/// Sends `command` and answers the object's 2xx answer as text; any other
/// answer becomes [`EdgeError::Relayed`].
async fn send(
    env: &Env,
    request_id: &RequestId,
    name: &CompanyId,
    command: &impl Command,
) -> Result<String, EdgeError> {
    let body = crate::wire::encode(command).map_err(worker::Error::from)?;
    let answer = exchange(env, request_id, name, binding(command), &body)
        .await
        .map_err(worker::Error::from)?;
    if (200..300).contains(&answer.status) {
        return Ok(answer.text);
    }
    let body: ErrorBody = serde_json::from_str(&answer.text).map_err(worker::Error::from)?;
    Err(EdgeError::Relayed {
        status: answer.status,
        body,
        retry_after: answer.retry_after,
    })
}

/// One request to the object and its whole answer.
async fn exchange(
    env: &Env,
    request_id: &RequestId,
    name: &CompanyId,
    binding: &str,
    body: &str,
) -> Result<Answer, JsValue> {
    let stub: PlatformStub = env
        .durable_object(binding)?
        .get_by_name(name.as_str())?
        .into_rpc();
    let headers = web_sys::Headers::new()?;
    headers.set("Content-Type", "application/json")?;
    headers.set(request_id::HEADER, request_id.as_str())?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    let url = format!("https://durable-object/{}", name.as_str());
    let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
    let response: web_sys::Response = JsFuture::from(stub.fetch(&request)?).await?.dyn_into()?;
    let retry_after = response
        .headers()
        .get("Retry-After")?
        .and_then(|v| v.trim().parse().ok());
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: response.status(),
        retry_after,
        text,
    })
}
