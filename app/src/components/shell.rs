//! The console frame: header (with who is signed in, for which company or
//! workspace) and main landmark.

use leptos::prelude::*;

use super::identity::{IdentityBar, IgnoredSessionNotice, Scope};
use crate::navigation::Link;
use crate::session::SessionState;

/// Wraps every screen in the console's header and `<main>`.
#[component]
pub fn Shell(
    /// What the screen acts on (from its address).
    #[prop(into)]
    scope: Signal<Option<Scope>>,
    /// The screen.
    children: Children,
) -> impl IntoView {
    let session = use_context::<SessionState>().unwrap_or_default();
    let identity = Signal::derive(move || session.identity.get());
    view! {
        <header class="topbar">
            <Link class="brand" href="/">"RedApp"</Link>
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
