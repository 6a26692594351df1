//! The console frame: header and main landmark.

use leptos::prelude::*;

/// Wraps every screen in the console's header and `<main>`.
#[component]
pub fn Shell(
    /// The screen.
    children: Children,
) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"RedApp"</a>
            <nav aria-label="Primary">
                <span class="nav-item">"Key Management"</span>
            </nav>
        </header>
        <main id="main" class="page">{children()}</main>
    }
}
