//! The keyswitch console: screens in `pages/`, widgets in `components/`, all
//! HTTP in `api`, the RedApp session in `session`.

pub mod api;
pub mod components;
pub mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use session::SessionState;

/// The whole console, with its routes. Tests mount it too.
#[component]
pub fn App() -> impl IntoView {
    // Take the session out of the address bar before anything else runs.
    let session = SessionState::new(session::capture_from_url());
    provide_context(session);
    // RedApp may hand over a new session to an open console (same page,
    // new fragment): take it the same way.
    let hash = window_event_listener(leptos::ev::hashchange, move |_| {
        session.refresh(session::capture_from_url());
    });
    on_cleanup(move || hash.remove());
    view! {
        <Router>
            <components::shell::Shell>
                <Show
                    when=move || session.signed_in.get()
                    fallback=|| view! { <pages::sign_in::SignIn/> }
                >
                    <Routes fallback=|| view! { <pages::not_found::NotFound/> }>
                        <Route path=path!("/") view=pages::home::Home/>
                        <Route path=path!("/companies/:company/kms") view=pages::manage_kms::ManageKms/>
                        <Route path=path!("/workspaces/:workspace/vaults") view=pages::vaults::Vaults/>
                    </Routes>
                </Show>
            </components::shell::Shell>
        </Router>
    }
}
