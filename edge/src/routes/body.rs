//! The one request-body reader: reads at most a limit (a larger declared
//! `Content-Length` is refused before reading, a longer stream as soon as it
//! passes the limit: 413), then deserializes a `shared` request type, whose
//! serde error becomes one catalog error naming the field.

use futures_util::StreamExt;
use keyswitch_shared::CatalogError;
use keyswitch_shared::body::parse_json;
use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::EdgeError;

/// The largest body any route accepts (an item form: 8 KiB of secret, three
/// 4 KiB texts, JSON escaping).
pub const MAX_BODY: usize = 32 * 1024;

fn too_large(limit: usize) -> EdgeError {
    CatalogError::BodyTooLarge { limit_bytes: limit }.into()
}

/// Reads the body, at most `limit` bytes.
async fn read_at_most(req: &mut Request, limit: usize) -> Result<Vec<u8>, EdgeError> {
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        // Refused unread: cancelling the body tells the runtime to stop
        // receiving it (and `wrangler dev` not to drain it first).
        if let Some(body) = req.inner().body()
            && let Err(e) = wasm_bindgen_futures::JsFuture::from(body.cancel()).await
        {
            worker::console_warn!("cancelling a refused request body failed: {e:?}");
        }
        return Err(too_large(limit));
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream()?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads a JSON object body of at most [`MAX_BODY`] bytes into `T` (a
/// request type of `shared`): see [`keyswitch_shared::body::parse_json`].
pub async fn json<T: DeserializeOwned>(req: &mut Request) -> Result<T, EdgeError> {
    Ok(parse_json(&read_at_most(req, MAX_BODY).await?)?)
}
