//! Outside calls to Microsoft: Entra ID (consent URL, client-credentials
//! tokens) and the Key Vault data plane. Every failure comes back as a
//! catalog error; nothing secret is logged.

pub mod entra;
pub mod keyvault;

use futures_util::future::{Either, select};
use keyswitch_shared::CatalogError;
use worker::{Fetch, Request};

/// How long one call to Azure may take before it counts as unavailable.
const CALL_TIMEOUT_MS: u64 = 15_000;

/// An answer read whole: status, `WWW-Authenticate` and body text.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The `WWW-Authenticate` header, if any.
    pub www_authenticate: Option<String>,
    /// The body (may be empty).
    pub body: String,
}

/// Sends `req` with a timeout; a network failure or timeout is
/// [`CatalogError::AzureUnavailable`].
pub async fn send(req: Request) -> Result<Answer, CatalogError> {
    let call = Box::pin(async move {
        let mut resp = Fetch::Request(req).send().await?;
        let status = resp.status_code();
        let www_authenticate = resp.headers().get("WWW-Authenticate").ok().flatten();
        let body = resp.text().await?;
        Ok::<_, worker::Error>(Answer {
            status,
            www_authenticate,
            body,
        })
    });
    let timeout = Box::pin(crate::timer::sleep(CALL_TIMEOUT_MS));
    match select(call, timeout).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(e), _)) => {
            worker::console_warn!("azure call failed: {e}");
            Err(CatalogError::AzureUnavailable)
        }
        Either::Right(_) => {
            worker::console_warn!("azure call timed out");
            Err(CatalogError::AzureUnavailable)
        }
    }
}
