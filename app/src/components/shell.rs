//! The console frame: header (with who is signed in, for which company or
//! workspace) and main landmark.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::identity::{IdentityBar, IgnoredSessionNotice, Scope};
use crate::session::SessionState;

/// Wraps every screen in the console's header and `<main>`.
#[component]
pub fn Shell(
    /// The screen.
    children: Children,
) -> impl IntoView {
    let session = use_context::<SessionState>().unwrap_or_default();
    let location = use_location();
    let scope = Signal::derive(move || Scope::of_path(&location.pathname.get()));
    let identity = Signal::derive(move || session.identity.get());
    view! {
        <header class="topbar">
            <a class="brand" href="/">"RedApp"</a>
            <nav aria-label="Primary">
                <span class="nav-item">"Key Management"</span>
            </nav>
            <IdentityBar identity=identity scope=scope/>
        </header>
        <main id="main" class="page">
            <Show when=move || session.ignored.get()>
                <IgnoredSessionNotice/>
            </Show>
            {children()}
        </main>
    }
}
