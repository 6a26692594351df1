//! Landing screen: where Key Management lives.

use leptos::prelude::*;

/// Links to the Key Management screens.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <h1>"Key Management"</h1>
        <ul class="link-list">
            <li><a href="/companies/acme/kms">"Manage KMS"</a></li>
            <li><a href="/workspaces/acme/vaults">"Vault management"</a></li>
        </ul>
    }
}
