//! Entra's OAuth error bodies and error pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::util::{entra_timestamp, guid, html_escape, now};

/// The token endpoint's error body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AadError {
    /// OAuth error (`invalid_client`, …).
    pub error: String,
    /// `AADSTS…: …` with trace and correlation ids.
    pub error_description: String,
    /// AADSTS numbers.
    pub error_codes: Vec<u32>,
    /// `YYYY-MM-DD hh:mm:ssZ`.
    pub timestamp: String,
    /// Trace id.
    pub trace_id: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Help link.
    pub error_uri: String,
}

/// Builds an [`AadError`] for `code`.
pub fn aad_body(error: &str, code: u32, text: &str) -> AadError {
    let trace_id = guid();
    let correlation_id = guid();
    let timestamp = entra_timestamp(now());
    AadError {
        error: error.to_owned(),
        error_description: format!(
            "AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        error_codes: vec![code],
        timestamp,
        trace_id,
        correlation_id,
        error_uri: error_uri(code),
    }
}

/// `error_uri` of an AADSTS code, as Entra puts it on token-endpoint bodies
/// and on every error redirect (snok/django-auth-adfs#218: `…&error_uri=
/// https%3a%2f%2flogin.microsoftonline.com%2ferror%3fcode%3d90008&state=…`).
pub fn error_uri(code: u32) -> String {
    format!("https://login.microsoftonline.com/error?code={code}")
}

/// The `error_description` of an error redirect: the recorded redirects
/// separate trace, correlation id and timestamp with CRLF
/// (MicrosoftDocs/azure-docs#114009: `AADSTS65004%3a+User+declined+to+consent
/// +to+access+the+app.%0d%0aTrace+ID%3a+…%0d%0aCorrelation+ID%3a+…`).
pub fn redirect_description(code: u32, text: &str) -> String {
    format!(
        "AADSTS{code}: {text}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
        guid(),
        guid(),
        entra_timestamp(now())
    )
}

/// The query pairs of an error redirect: `error`, `error_description`,
/// `error_uri` (every error redirect carries it).
pub fn redirect_error(error: &str, code: u32, text: &str) -> Vec<(&'static str, String)> {
    vec![
        ("error", error.to_owned()),
        ("error_description", redirect_description(code, text)),
        ("error_uri", error_uri(code)),
    ]
}

/// A JSON error answer of the token endpoint.
pub fn aad_error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    (status, axum::Json(aad_body(error, code, text))).into_response()
}

/// The sign-in service's own error page (no redirect, as for an unknown
/// client or an unregistered redirect URI).
pub fn error_page(status: StatusCode, code: u32, text: &str) -> Response {
    let body = format!(
        r#"<div class="card"><h1>Sorry, but we’re having trouble signing you in.</h1>
<p class="err" data-testid="aadsts">AADSTS{code}: {}</p>
<p class="muted">Request Id: {} · Correlation Id: {} · Timestamp: {}</p></div>"#,
        html_escape(text),
        guid(),
        guid(),
        entra_timestamp(now())
    );
    (
        status,
        Html(crate::pages::layout(
            "Sign in to your account",
            "entra",
            &body,
        )),
    )
        .into_response()
}
