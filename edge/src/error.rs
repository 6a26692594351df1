//! `EdgeError`: every failure the edge can meet, and the one place that turns
//! it into an HTTP response (`{code, message, fix, field?, detail?}` from the
//! shared catalog). A 5xx is logged there, once, with the request id and the
//! whole chain of causes; the client gets the catalog's generic text.

use keyswitch_shared::{CatalogError, ErrorBody};
use worker::Response;

use crate::crypto::CryptoError;
use crate::http::HttpError;
use crate::inventory::InventoryError;
use crate::request_id::RequestId;

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// A failure an administrator can act on, from the shared catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A catalog error already rendered by a Durable Object.
    #[error("relayed {status}: {}", body.code)]
    Relayed {
        /// The status the object answered with.
        status: u16,
        /// Its body.
        body: ErrorBody,
        /// Its `Retry-After` (seconds), when it sent one.
        retry_after: Option<u64>,
    },
    /// A request path or method the API does not have.
    #[error("no such route")]
    NoRoute {
        /// 404 or 405.
        status: u16,
    },
    /// A required binding, var or secret is missing from the configuration
    /// (or is not usable): names which one, never its value.
    #[error("configuration: {0} is missing or unusable")]
    Config(&'static str),
    /// An outside service gave no answer; the admin sees `public`.
    #[error("no answer")]
    Unreachable {
        /// What the admin sees (e.g. Azure unavailable).
        public: CatalogError,
        /// Why there was no answer.
        #[source]
        source: HttpError,
    },
    /// The host product's inventory API could not be used.
    #[error("the backup inventory could not be read")]
    Inventory(#[source] InventoryError),
    /// Cryptographic failure on stored material or the random generator.
    #[error("stored key material could not be used")]
    Crypto(#[from] CryptoError),
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

impl From<getrandom::Error> for EdgeError {
    fn from(e: getrandom::Error) -> Self {
        Self::Crypto(e.into())
    }
}

impl From<InventoryError> for EdgeError {
    fn from(e: InventoryError) -> Self {
        Self::Inventory(e)
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

    /// Stored material that does not have the shape it was written with.
    pub fn corrupt(what: &'static str) -> Self {
        Self::Crypto(CryptoError::Malformed(what))
    }

    /// An outside call that gave no answer, shown to the admin as `public`.
    pub fn unreachable(public: CatalogError) -> impl FnOnce(HttpError) -> Self {
        move |source| Self::Unreachable { public, source }
    }

    /// The catalog error an admin sees for this failure (the same one the
    /// HTTP layer answers): internal causes become [`CatalogError::Internal`].
    /// A relayed body has no catalog variant: it is `internal` here.
    pub fn public(&self) -> CatalogError {
        match self {
            Self::Catalog(e) | Self::Unreachable { public: e, .. } => e.clone(),
            Self::Inventory(_) => CatalogError::UnexpectedAnswer {
                service: "The backup inventory".into(),
            },
            Self::NoRoute { .. } => CatalogError::NotFound {
                what: "This API route".into(),
            },
            Self::Relayed { .. } | Self::Config(_) | Self::Crypto(_) | Self::Worker(_) => {
                CatalogError::Internal
            }
        }
    }

    /// How long the client should wait (`Retry-After`), when the error says.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Relayed { retry_after, .. } => *retry_after,
            other => other.public().retry_after_secs(),
        }
    }

    /// The status and body the client gets. Internal causes are never sent.
    pub fn status_and_body(&self) -> (u16, ErrorBody) {
        match self {
            Self::Relayed { status, body, .. } => (*status, body.clone()),
            Self::NoRoute { status: 405 } => (
                405,
                CatalogError::InvalidField {
                    field: "method".into(),
                    reason: "This route does not accept that HTTP method".into(),
                }
                .body(),
            ),
            Self::NoRoute { .. } => (404, self.public().body()),
            other => {
                let public = other.public();
                (public.status(), public.body())
            }
        }
    }

    /// This error and every cause under it, for the log.
    pub fn chain(&self) -> String {
        chain(self)
    }

    /// Turns the error into a response; a 5xx is logged here (request id,
    /// status, code and the chain of causes), never sent. A Durable Object's
    /// 5xx is logged by the object, under the same request id.
    pub fn into_response(self, request_id: &RequestId) -> worker::Result<Response> {
        let (status, body) = self.status_and_body();
        // A relayed 5xx was logged, with its causes, by the object that made it.
        if status >= 500 && !matches!(self, Self::Relayed { .. }) {
            worker::console_error!(
                "request {request_id}: {status} {}: {}",
                body.code,
                self.chain()
            );
        }
        let resp = Response::from_json(&body)?.with_status(status);
        let headers = resp.headers();
        headers.set("Cache-Control", "no-store")?;
        if status == 401 {
            headers.set("WWW-Authenticate", "Bearer realm=\"keyswitch\"")?;
        }
        if let Some(secs) = self.retry_after_secs() {
            headers.set("Retry-After", &secs.to_string())?;
        }
        Ok(resp)
    }
}

/// `error` and every cause under it, `: `-separated, for the log.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Maps a Durable Object's error through [`EdgeError::into_response`],
/// under the id of the worker's request that sent the command.
pub fn respond(
    request_id: &RequestId,
    result: Result<Response, EdgeError>,
) -> worker::Result<Response> {
    result.or_else(|e| e.into_response(request_id))
}

/// Replaces the router's plain-text 404/405 with the catalog shape.
pub fn catalog_for_unrouted(resp: Response, request_id: &RequestId) -> worker::Result<Response> {
    let status = resp.status_code();
    let plain = resp
        .headers()
        .get("Content-Type")?
        .is_none_or(|t| t.starts_with("text/plain"));
    if (status == 404 || status == 405) && plain {
        return EdgeError::NoRoute { status }.into_response(request_id);
    }
    Ok(resp)
}
