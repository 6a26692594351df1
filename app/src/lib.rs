//! The keyswitch console: screens in `pages/`, widgets in `components/`, all
//! HTTP in `api`.

pub mod api;
pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The whole console, with its routes. Tests mount it too.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <components::shell::Shell>
                <Routes fallback=|| view! { <pages::not_found::NotFound/> }>
                    <Route path=path!("/") view=pages::home::Home/>
                    <Route path=path!("/companies/:company/kms") view=pages::manage_kms::ManageKms/>
                </Routes>
            </components::shell::Shell>
        </Router>
    }
}
