//! The keyswitch console: screens in `pages/`, widgets in `components/`, all
//! HTTP in `api`, the RedApp session in `session`, which screen the address
//! names in `route`.

pub mod api;
pub mod components;
pub mod fetched;
pub mod pages;
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
    // Links load the page: the screen is the one the address names now.
    let path = route::current_path();
    let screen = Screen::of_path(&path);
    let scope = components::identity::Scope::of_path(&path);
    let page = move || match screen.clone() {
        Screen::Home => view! { <pages::home::Home/> }.into_any(),
        Screen::ManageKms(company) => {
            view! { <pages::manage_kms::ManageKms company=company/> }.into_any()
        }
        Screen::Vaults(workspace) => {
            view! { <pages::vaults::Vaults workspace=workspace/> }.into_any()
        }
        Screen::NotFound => view! { <pages::not_found::NotFound/> }.into_any(),
    };
    view! {
        <components::shell::Shell scope=scope>
            <Show
                when=move || session.signed_in.get()
                fallback=|| view! { <pages::sign_in::SignIn/> }
            >
                {page.clone()}
            </Show>
        </components::shell::Shell>
    }
}
