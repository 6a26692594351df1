//! The table of vaults: name, strategy (with the Azure vault and key), the
//! default, the key status with its reason, and the row actions.

use keyswitch_shared::vaults::{KeyState, SecretState, VaultSummary};
use leptos::prelude::*;

use super::use_vaults;
use crate::components::audit_table::format_time;
use crate::components::error_notice::CatalogNotice;

/// The table of vaults.
#[component]
pub fn VaultTable(
    /// Set as default.
    on_default: Callback<String>,
    /// Test the connection.
    on_test: Callback<String>,
    /// Replace the client secret.
    on_replace: Callback<VaultSummary>,
) -> impl IntoView {
    let vaults = use_vaults().vaults;
    view! {
        <Show
            when=move || vaults.with(|v| !v.is_empty())
            fallback=|| view! { <p class="muted">"No vaults yet. Click Create new vault."</p> }
        >
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Strategy"</th>
                        <th scope="col">"Default"</th>
                        <th scope="col">"Key status"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        vaults
                            .get()
                            .into_iter()
                            .map(|v| {
                                let id_default = v.id.clone();
                                let id_test = v.id.clone();
                                let for_replace = v.clone();
                                let azure = v.azure.clone();
                                let status = v.key_status.clone();
                                let status_class = match status.state {
                                    KeyState::Unreachable => "badge badge-error",
                                    _ => "badge badge-ok",
                                };
                                view! {
                                    <tr>
                                        <th scope="row">{v.name.clone()}</th>
                                        <td>
                                            {v.strategy.display_name()}
                                            {azure.as_ref().map(|a| view! {
                                                <br/>
                                                <span class="muted">{format!("{} / {}", a.vault_uri, a.key_name)}</span>
                                                <br/>
                                                <span class="muted">{format!("Client secret: {}", match a.client_secret {
                                                    SecretState::Set => "set",
                                                    SecretState::NotSet => "not set",
                                                })}</span>
                                            })}
                                        </td>
                                        <td>{if v.is_default { "Default" } else { "" }}</td>
                                        <td>
                                            <span class=status_class>{status.label()}</span>
                                            {status.error.clone().map(|b| view! { <CatalogNotice body=b role="none"/> })}
                                        </td>
                                        <td><time>{format_time(v.created_at_ms)}</time></td>
                                        <td class="actions">
                                            {(!v.is_default).then(|| view! {
                                                <button type="button" class="button" on:click=move |_| on_default.run(id_default.clone())>
                                                    "Set as default"
                                                </button>
                                            })}
                                            {azure.is_some().then(|| view! {
                                                <button type="button" class="button" on:click=move |_| on_test.run(id_test.clone())>
                                                    "Test connection"
                                                </button>
                                                <button type="button" class="button" on:click=move |_| on_replace.run(for_replace.clone())>
                                                    "Replace client secret"
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </Show>
    }
}
