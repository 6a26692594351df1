//! All HTTP to the edge API. Every call returns `Result<T, ApiError>` so a
//! screen can tell a refusal from a network failure.

use gloo_net::http::Request;
use keyswitch_shared::api::KmsStatus;
use serde::Deserialize;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The edge answered with an error from the catalog.
    #[error("{message}")]
    Refused {
        /// Stable error code.
        code: String,
        /// What happened, for people.
        message: String,
        /// How to fix it.
        fix: String,
    },
    /// The edge could not be reached, or answered something unreadable.
    #[error(
        "The keyswitch service could not be reached ({0}). Check your connection and try again."
    )]
    Network(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
    fix: String,
}

/// `GET /api/companies/{company}/kms`.
pub async fn kms_status(company: &str) -> Result<KmsStatus, ApiError> {
    let resp = Request::get(&format!("/api/companies/{company}/kms"))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        return resp
            .json()
            .await
            .map_err(|e| ApiError::Network(e.to_string()));
    }
    let status = resp.status();
    match resp.json::<ErrorBody>().await {
        Ok(ErrorBody { code, message, fix }) => Err(ApiError::Refused { code, message, fix }),
        Err(_) => Err(ApiError::Network(format!("HTTP {status}"))),
    }
}
