//! Shown for unknown paths.

use leptos::prelude::*;

/// The 404 screen.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p><a href="/">"Back to Key Management"</a></p>
    }
}
