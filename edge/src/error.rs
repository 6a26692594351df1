//! `EdgeError`: every failure the edge can meet, and the one place that turns
//! it into an HTTP response (`{code, message, fix, field?, detail?}` from the
//! shared catalog).

use keyswitch_shared::{CatalogError, ErrorBody};
use worker::Response;

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// A failure an administrator can act on, from the shared catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A catalog error already rendered by the company's Durable Object.
    #[error("relayed {status}: {}", body.code)]
    Relayed {
        /// The status the object answered with.
        status: u16,
        /// Its body.
        body: ErrorBody,
    },
    /// A request path or method the API does not have.
    #[error("no such route")]
    NoRoute {
        /// 404 or 405.
        status: u16,
    },
    /// A required binding, var or secret is missing from the configuration.
    #[error("configuration is missing {0}")]
    Config(&'static str),
    /// The host product's inventory API could not be used.
    #[error("inventory unavailable: {0}")]
    Inventory(String),
    /// Cryptographic failure on stored material (corrupt or wrong key).
    #[error("stored key material could not be used")]
    Crypto,
    /// The Workers runtime reported an error.
    #[error(transparent)]
    Worker(#[from] worker::Error),
}

impl From<worker::KvError> for EdgeError {
    fn from(e: worker::KvError) -> Self {
        Self::Worker(e.into())
    }
}

impl From<serde_json::Error> for EdgeError {
    fn from(e: serde_json::Error) -> Self {
        Self::Worker(worker::Error::SerdeJsonError(e))
    }
}

impl EdgeError {
    /// Shorthand for a refused input field.
    pub fn field(field: &str, reason: &str) -> Self {
        Self::Catalog(CatalogError::InvalidField {
            field: field.to_owned(),
            reason: reason.to_owned(),
        })
    }

    /// The status and body the client gets. Internal causes are never sent.
    pub fn status_and_body(&self) -> (u16, ErrorBody) {
        match self {
            Self::Catalog(e) => (e.status(), e.body()),
            Self::Relayed { status, body } => (*status, body.clone()),
            Self::NoRoute { status: 405 } => (
                405,
                CatalogError::InvalidField {
                    field: "method".into(),
                    reason: "This route does not accept that HTTP method".into(),
                }
                .body(),
            ),
            Self::NoRoute { .. } => (
                404,
                CatalogError::NotFound {
                    what: "This API route".into(),
                }
                .body(),
            ),
            Self::Inventory(_) => (
                502,
                CatalogError::UnexpectedAnswer {
                    service: "The backup inventory".into(),
                }
                .body(),
            ),
            Self::Config(_) | Self::Crypto | Self::Worker(_) => {
                (500, CatalogError::Internal.body())
            }
        }
    }

    /// Turns the error into a response. Internal details are logged, never sent.
    pub fn into_response(self) -> worker::Result<Response> {
        let (status, body) = self.status_and_body();
        if status >= 500 {
            worker::console_error!("{}: {self}", body.code);
        }
        let resp = Response::from_json(&body)?.with_status(status);
        let headers = resp.headers();
        headers.set("Cache-Control", "no-store")?;
        if status == 401 {
            headers.set("WWW-Authenticate", "Bearer realm=\"keyswitch\"")?;
        }
        Ok(resp)
    }
}

/// Runs a handler body and maps its error through [`EdgeError::into_response`].
pub fn respond(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_response)
}

/// Replaces the router's plain-text 404/405 with the catalog shape.
pub fn catalog_for_unrouted(resp: Response) -> worker::Result<Response> {
    let status = resp.status_code();
    let plain = resp
        .headers()
        .get("Content-Type")?
        .is_none_or(|t| t.starts_with("text/plain"));
    if (status == 404 || status == 405) && plain {
        return EdgeError::NoRoute { status }.into_response();
    }
    Ok(resp)
}
