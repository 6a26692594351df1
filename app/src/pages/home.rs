//! Landing screen: where Key Management lives.

use leptos::prelude::*;

use crate::navigation::Link;

/// Links to the Key Management screens.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <h1>"Key Management"</h1>
        <ul class="link-list">
            <li><Link href="/companies/acme/kms">"Manage KMS"</Link></li>
            <li><Link href="/workspaces/acme/vaults">"Vault management"</Link></li>
        </ul>
    }
}
