//! Google under `/google`: OAuth (accounts, token, certs) and the Admin SDK Directory API.

pub mod directory;
pub mod errors;
pub mod oauth;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Routes relative to `/google`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/accounts/o/oauth2/v2/auth",
            get(oauth::authorize).post(oauth::authorize),
        )
        .route(
            "/accounts/.well-known/openid-configuration",
            get(oauth::openid_configuration),
        )
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/v3/certs", get(oauth::certs))
        .route("/admin/directory/v1/users/{user_key}", get(directory::user))
        .route(
            "/admin/directory/v1/customers/{customer_key}",
            get(directory::customer),
        )
}
