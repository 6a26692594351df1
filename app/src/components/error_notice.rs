//! Shows an `ApiError` with its fix, or the network failure as such.

use leptos::prelude::*;

use crate::api::ApiError;

/// An alert box for a failed call.
#[component]
pub fn ErrorNotice(
    /// The failure to show.
    error: ApiError,
) -> impl IntoView {
    match error {
        ApiError::Refused { code, message, fix } => view! {
            <div class="notice notice-error" role="alert" data-code=code>
                <p class="notice-title">{message}</p>
                <p class="notice-fix">{fix}</p>
            </div>
        }
        .into_any(),
        ApiError::Network(_) => view! {
            <div class="notice notice-error" role="alert" data-code="network">
                <p class="notice-title">{error.to_string()}</p>
            </div>
        }
        .into_any(),
    }
}
