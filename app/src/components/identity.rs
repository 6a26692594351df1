//! Who is signed in, and for which company or workspace: shown in the header
//! of every screen, so an admin always sees whose console this is (a link
//! carrying someone else's session cannot go unnoticed).

use leptos::prelude::*;

use super::audit_table::role_label;
use crate::session::Identity;

/// What the current screen acts on, from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `/companies/:company/…`.
    Company(String),
    /// `/workspaces/:workspace/…`.
    Workspace(String),
}

impl Scope {
    /// The scope of a console path, if it names one.
    #[must_use]
    pub fn of_path(path: &str) -> Option<Self> {
        let mut parts = path.trim_start_matches('/').split('/');
        let kind = parts.next()?;
        let id = parts.next().filter(|s| !s.is_empty())?;
        let id = String::from(js_sys::decode_uri_component(id).ok()?);
        match kind {
            "companies" => Some(Self::Company(id)),
            "workspaces" => Some(Self::Workspace(id)),
            _ => None,
        }
    }
}

/// "Signed in as Casey (company admin) · Company acme", or "Not signed in".
#[component]
pub fn IdentityBar(
    /// The session's holder.
    #[prop(into)]
    identity: Signal<Option<Identity>>,
    /// What the screen acts on.
    #[prop(into)]
    scope: Signal<Option<Scope>>,
) -> impl IntoView {
    let who = move || match identity.get() {
        Some(id) => {
            let name = if id.name.is_empty() {
                id.sub.clone()
            } else {
                id.name.clone()
            };
            view! {
                <span class="who-label">"Signed in as "</span>
                <strong data-testid="who-name">{name}</strong>
                " "
                <span data-testid="who-role">{format!("({})", role_label(id.role))}</span>
            }
            .into_any()
        }
        None => view! { <span data-testid="who-name">"Not signed in"</span> }.into_any(),
    };
    let place = move || {
        scope.get().map(|s| {
            let (label, id) = match s {
                Scope::Company(id) => ("Company", id),
                Scope::Workspace(id) => ("Workspace", id),
            };
            view! {
                <span class="who-scope">
                    " · " {label} " "
                    <strong data-testid="who-scope">{id}</strong>
                </span>
            }
        })
    };
    view! {
        <p class="who" data-testid="signed-in-as" aria-live="polite">{who}{place}</p>
    }
}

/// Shown when a session in the address bar was ignored because this tab did
/// not start that sign-in (login CSRF protection).
#[component]
pub fn IgnoredSessionNotice() -> impl IntoView {
    view! {
        <div class="notice notice-warn" role="alert" data-code="session_link_ignored">
            <p class="notice-title">"A sign-in link was ignored"</p>
            <p class="notice-fix">
                "The address carried a RedApp session that this browser tab did not ask for (it may be someone else's). It was not used. To sign in, use Sign in through RedApp on this page."
            </p>
        </div>
    }
}
