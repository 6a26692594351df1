//! Google's error shapes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// API error: `{"error":{"code","message","errors":[{message,domain,reason}],"status"?}}`.
pub fn google_error(
    status: StatusCode,
    message: &str,
    reason: &str,
    status_name: &str,
) -> Response {
    let mut body = json!({
        "error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    });
    if !status_name.is_empty()
        && let Some(e) = body.get_mut("error").and_then(|e| e.as_object_mut())
    {
        e.insert("status".to_owned(), json!(status_name));
    }
    (status, Json(body)).into_response()
}

/// 403 "Not Authorized to access this resource/api".
pub fn not_authorized() -> Response {
    google_error(
        StatusCode::FORBIDDEN,
        "Not Authorized to access this resource/api",
        "forbidden",
        "",
    )
}

/// 401 for a missing or invalid access token.
pub fn unauthenticated(missing: bool) -> Response {
    let (message, reason) = if missing {
        (
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "required",
        )
    } else {
        (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "authError",
        )
    };
    let mut r = google_error(StatusCode::UNAUTHORIZED, message, reason, "UNAUTHENTICATED");
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
    );
    r
}

/// OAuth token endpoint error: `{"error","error_description"}`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}
