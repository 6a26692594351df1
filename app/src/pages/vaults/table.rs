//! The table of vaults: name, strategy (with the Azure vault and key), the
//! default, the key status with its reason, the key's health (Azure
//! External Keys: the monitor's state, cause and fix, last and next check),
//! and the row actions.

use keyswitch_shared::vaults::{HealthState, KeyState, SecretState, VaultHealth, VaultSummary};
use leptos::prelude::*;

use crate::components::audit_table::format_time;
use crate::components::error_notice::CatalogNotice;

/// The table of vaults.
#[component]
pub fn VaultTable(
    /// The vaults, as the edge last listed them.
    #[prop(into)]
    vaults: Signal<Vec<VaultSummary>>,
    /// Set as default.
    on_default: Callback<String>,
    /// Test the connection.
    on_test: Callback<String>,
    /// Replace the client secret.
    on_replace: Callback<VaultSummary>,
) -> impl IntoView {
    view! {
        <Show
            when=move || vaults.with(|v| !v.is_empty())
            fallback=|| view! { <p class="muted">"No vaults yet. Click Create new vault."</p> }
        >
            // At narrow widths each row stacks, every cell under its
            // column's name (`data-label`, public/app.css).
            <table class="table vault-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Strategy"</th>
                        <th scope="col">"Default"</th>
                        <th scope="col">"Key status"</th>
                        <th scope="col">"Key health"</th>
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
                                        <td data-label="Strategy">
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
                                        <td data-label="Default">{if v.is_default { "Default" } else { "" }}</td>
                                        <td data-label="Key status">
                                            <span class=status_class>{status.label()}</span>
                                            {status.error.clone().map(|b| view! { <CatalogNotice body=b role="none"/> })}
                                        </td>
                                        <td data-label="Key health">
                                            {match v.health.clone() {
                                                Some(h) => view! { <HealthCell health=*h/> }.into_any(),
                                                None => view! { <span class="muted">"Not monitored (platform key)"</span> }.into_any(),
                                            }}
                                        </td>
                                        <td data-label="Created"><time>{format_time(v.created_at_ms)}</time></td>
                                        <td class="actions" data-label="Actions">
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

/// One Azure vault's health: the state as a badge, the cause and its fix
/// when access is lost (or what a transient failure met), and when the
/// monitor checked last and checks next.
#[component]
pub fn HealthCell(
    /// The monitor's view.
    health: VaultHealth,
) -> impl IntoView {
    let class = match health.state {
        HealthState::Healthy => "badge badge-ok",
        HealthState::AccessLost => "badge badge-error",
        HealthState::Degraded | HealthState::Unknown => "badge badge-pending",
    };
    let state = health.state;
    let cause = health.cause.clone();
    let error = health.error.clone();
    let last = health.last_check_ms;
    let next = health.next_check_ms;
    view! {
        <div class="vault-health" data-health=state.as_str()>
            <span class=class>{state.label()}</span>
            {cause.map(|c| view! { <p class="muted" data-cause=c.clone()>{format!("Cause: {c}")}</p> })}
            {error.map(|b| view! { <CatalogNotice body=b role="none"/> })}
            <p class="muted">
                {last.map(|t| format!("Last check: {}", format_time(t)))}
                {last.is_some().then_some(" · ")}
                {(next > 0).then(|| format!("Next check: {}", format_time(next)))}
            </p>
        </div>
    }
}
