//! The vault screen's role guidance (seed 001, step 4): for each vault
//! with Azure External Keys, the commands that give the workspace's own
//! service principal the key-use role on its vault (Key Vault Crypto User,
//! or Managed HSM Crypto User on the key), for the Azure CLI, Azure
//! PowerShell, Terraform and Bicep, as the edge filled them in. Open by
//! itself for a vault whose role was removed.

use keyswitch_shared::vaults::VaultSummary;
use leptos::prelude::*;

use crate::components::command_tabs::CommandTabs;

/// The section, shown when at least one vault uses Azure External Keys.
#[component]
pub fn RoleCommandsSection(
    /// The vaults, as the edge last listed them.
    #[prop(into)]
    vaults: Signal<Vec<VaultSummary>>,
) -> impl IntoView {
    let azure = move || {
        vaults.with(|v| {
            v.iter()
                .filter(|v| {
                    v.azure
                        .as_ref()
                        .is_some_and(|a| !a.role_commands.is_empty())
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    move || {
        let list = azure();
        (!list.is_empty()).then(|| {
            view! {
                <section aria-labelledby="vault-role-heading" class="card" data-testid="vault-role-commands">
                    <h2 id="vault-role-heading">"Grant your service principal the key"</h2>
                    <p class="lead">
                        "Your service principal needs the key-use role on the vault (step 4 of the setup). Your Azure admin can run these as they are: they look up the vault's resource id themselves."
                    </p>
                    {list.into_iter().map(|v| view! { <VaultRole vault=v/> }).collect_view()}
                </section>
            }
        })
    }
}

/// One vault's commands, in a disclosure.
#[component]
fn VaultRole(
    /// The vault (with Azure External Keys).
    vault: VaultSummary,
) -> impl IntoView {
    let lost_role = vault
        .health
        .as_ref()
        .is_some_and(|h| h.cause.as_deref() == Some("role_removed"));
    let Some(azure) = vault.azure else {
        return ().into_any();
    };
    let role = if azure.vault_uri.kind() == keyswitch_shared::VaultKind::ManagedHsm {
        "Managed HSM Crypto User"
    } else {
        "Key Vault Crypto User"
    };
    let summary = format!(
        "{}: {role} for client ID {} on {}",
        vault.name,
        azure.client_id.as_str(),
        azure.vault_uri.vault_name()
    );
    view! {
        <details class="vault-role" open=lost_role data-vault=vault.id.clone()>
            <summary>{summary}</summary>
            <CommandTabs
                id=format!("vault-role-{}", vault.id)
                label=format!("Commands that assign {role} for {}", vault.name)
                tabs=azure.role_commands
            />
        </details>
    }
    .into_any()
}
