//! The keyswitch console: screens in `pages/`, widgets in `components/`, all
//! HTTP in `api`, the RedApp session in `session`, which screen the address
//! names in `route`, moving between screens without a page load in
//! `navigation`, the first state read started by `index.html` in `prefetch`.

pub mod api;
pub mod components;
pub mod download;
pub mod fetched;
pub mod job;
pub mod navigation;
pub mod on_demand;
pub mod pages;
pub mod prefetch;
pub mod route;
pub mod session;

use leptos::prelude::*;
use route::Screen;
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
    // The screen is the one the address names; the console's links and
    // Back/Forward change it without loading the page.
    let nav = navigation::Navigation::provide();
    let screen = nav.screen();
    let scope = Signal::derive(move || nav.path.with(|p| components::identity::Scope::of_path(p)));
    let page = move || match screen.get() {
        Screen::Home => view! { <pages::home::Home/> }.into_any(),
        Screen::ManageKms(company) => {
            view! { <pages::manage_kms::ManageKms company=company/> }.into_any()
        }
        Screen::Vaults(workspace) => on_demand::vaults(workspace),
        Screen::NotFound => view! { <pages::not_found::NotFound/> }.into_any(),
    };
    view! {
        <components::shell::Shell scope=scope>
            <Show
                when=move || session.signed_in.get()
                fallback=|| view! { <pages::sign_in::SignIn/> }
            >
                {page}
            </Show>
        </components::shell::Shell>
    }
}
