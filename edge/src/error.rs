//! `EdgeError`: every failure the edge can meet, and the one place that turns
//! it into an HTTP response.

use serde::Serialize;
use worker::Response;

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// A path parameter or body failed validation.
    #[error("invalid request: {0}")]
    BadRequest(&'static str),
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

/// The JSON body of every error answer: the same triple the app shows.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    fix: &'a str,
}

impl EdgeError {
    fn parts(&self) -> (u16, &'static str, &'static str, &'static str) {
        match self {
            Self::BadRequest(what) => (
                400,
                "bad_request",
                what,
                "Correct the request and send it again.",
            ),
            Self::Inventory(_) => (
                502,
                "inventory_unavailable",
                "The backup inventory could not be read.",
                "Try again in a minute; if it persists, contact support.",
            ),
            Self::Config(_) | Self::Crypto | Self::Worker(_) => (
                500,
                "internal",
                "Something went wrong on our side.",
                "Try again; if it persists, contact support.",
            ),
        }
    }

    /// Turns the error into a response. Internal details are logged, never sent.
    pub fn into_response(self) -> worker::Result<Response> {
        let (status, code, message, fix) = self.parts();
        if status >= 500 {
            worker::console_error!("{code}: {self}");
        }
        Response::from_json(&ErrorBody { code, message, fix }).map(|r| r.with_status(status))
    }
}

/// Runs a handler body and maps its error through [`EdgeError::into_response`].
pub fn respond(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_response)
}
