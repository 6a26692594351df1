//! Shown without a session: sign in through RedApp, which sends the admin
//! back here with a fresh session.

use leptos::prelude::*;

use crate::navigation::Navigation;
use crate::session;

/// The "Sign in through RedApp" screen.
#[component]
pub fn SignIn() -> impl IntoView {
    // Back here after sign-in: to the screen shown now (the path may change
    // in the page, through the brand link or Back).
    let nav = use_context::<Navigation>();
    let href = move || {
        if let Some(nav) = nav {
            nav.path.track();
        }
        session::sign_in_href(&session::current_path())
    };
    view! {
        <h1>"Sign in through RedApp"</h1>
        <section class="card" aria-labelledby="sign-in-heading">
            <h2 id="sign-in-heading">"Your session has ended or has not started"</h2>
            <p>
                "Key Management is part of RedApp. Sign in to RedApp as a Partner Admin or Company Admin; you will come straight back to this page."
            </p>
            // rel="external": a full page load to the edge, not a client-side route.
            <a class="button button-primary" href=href rel="external">"Sign in through RedApp"</a>
        </section>
    }
}
