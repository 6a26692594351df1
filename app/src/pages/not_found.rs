//! Shown for unknown paths.

use leptos::prelude::*;

use crate::navigation::Link;

/// The 404 screen.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p><Link href="/">"Back to Key Management"</Link></p>
    }
}
