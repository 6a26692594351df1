//! *Settings → Privacy and security → Vault management* (seed 001): the
//! table of vaults, **Create new vault** (name, strategy, default; then the
//! Azure External Keys settings), replacing the client secret, and the items
//! stored in a vault. Inputs are checked with the `shared` rules the edge
//! runs; the edge's answer is what the screen shows.

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::{
    AzureForm, CreateVaultForm, Item, ItemForm, ItemKind, ItemSummary, KeyState, ReplaceSecretForm,
    VaultName, VaultStrategy, VaultSummary,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError};
use crate::components::audit_table::format_time;
use crate::components::dialog::Dialog;
use crate::components::error_notice::{CatalogNotice, ErrorNotice, MaybeError};
use crate::components::field::{FieldError, TextField};
use crate::session::SessionState;

fn field_error(e: &CatalogError) -> FieldError {
    FieldError {
        message: e.message(),
        fix: e.fix(),
    }
}

/// The error for `field` from a refusal that names it.
fn refusal_for(error: Option<ApiError>, field: &str) -> Option<FieldError> {
    let body = error?.body()?.clone();
    (body.field.as_deref() == Some(field)).then_some(FieldError {
        message: body.message,
        fix: body.fix,
    })
}

/// A write-only secret input (type=password, never filled from the edge).
#[component]
fn SecretField(
    /// Visible label and accessible name.
    label: &'static str,
    /// Input id.
    id: &'static str,
    /// The value typed.
    value: RwSignal<String>,
    /// The problem with it, if any.
    #[prop(into)]
    error: Signal<Option<FieldError>>,
    /// Help under the label.
    hint: &'static str,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            <p class="field-hint" id=hint_id>{hint}</p>
            <input
                id=id
                name=id
                type="password"
                autocomplete="new-password"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
            />
            <div class="field-error" id=error_id aria-live="polite">
                {move || error.get().map(|e| view! {
                    <p class="field-error-message">{e.message}</p>
                    <p class="field-error-fix">{e.fix}</p>
                })}
            </div>
        </div>
    }
}

/// The Vault management screen of the workspace in the path.
#[component]
pub fn Vaults() -> impl IntoView {
    let session = use_context::<SessionState>().unwrap_or_default();
    let params = use_params_map();
    let workspace = Signal::derive(move || params.read().get("workspace").unwrap_or_default());

    let reload = RwSignal::new(0u32);
    let loaded = LocalResource::new(move || {
        reload.track();
        let ws = workspace.get();
        async move { api::vaults::list(&ws).await }
    });
    let vaults = RwSignal::new(Vec::<VaultSummary>::new());
    let load_error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match loaded.get() {
        Some(Ok(list)) => {
            vaults.set(list.vaults);
            load_error.set(None);
        }
        Some(Err(e)) => {
            if e.is_not_signed_in() {
                session.sign_out();
            }
            load_error.set(Some(e));
        }
        None => {}
    });
    let refetch = move || reload.update(|v| *v += 1);
    let success = RwSignal::new(None::<String>);
    let action_error = RwSignal::new(None::<ApiError>);

    let create_open = RwSignal::new(false);
    let secret_for = RwSignal::new(None::<VaultSummary>);
    let secret_open = RwSignal::new(false);

    let set_default = move |id: String| {
        let ws = workspace.get_untracked();
        spawn_local(async move {
            match api::vaults::set_default(&ws, &id).await {
                Ok(v) => {
                    action_error.set(None);
                    success.set(Some(format!("{} is now the default vault.", v.name)));
                }
                Err(e) => action_error.set(Some(e)),
            }
            refetch();
        });
    };
    let test = move |id: String| {
        let ws = workspace.get_untracked();
        spawn_local(async move {
            match api::vaults::test(&ws, &id).await {
                Ok(v) => {
                    action_error.set(None);
                    success.set(Some(format!("The connection of {} works.", v.name)));
                }
                Err(e) => action_error.set(Some(e)),
            }
            refetch();
        });
    };

    view! {
        <h1>"Vault management"</h1>
        <p class="lead">
            "Vaults hold your workspace's accounts and secrets. With Azure External Keys, the vault key is wrapped by your own Azure Key Vault key: without access to it, nothing in the vault can be read."
        </p>
        <div role="status" class="notice notice-success" aria-live="polite">
            {move || success.get().map(|m| view! { <p>{m}</p> })}
        </div>
        <MaybeError error=action_error/>
        <section aria-labelledby="vaults-heading" class="card">
            <div class="section-head">
                <h2 id="vaults-heading">"Vaults"</h2>
                <button
                    type="button"
                    class="button button-primary"
                    on:click=move |_| {
                        success.set(None);
                        create_open.set(true);
                    }
                >
                    "Create new vault"
                </button>
            </div>
            {move || load_error.get().map(|e| view! { <ErrorNotice error=e/> })}
            <VaultTable
                vaults=vaults
                on_default=Callback::new(set_default)
                on_test=Callback::new(test)
                on_replace=Callback::new(move |v: VaultSummary| {
                    success.set(None);
                    secret_for.set(Some(v));
                    secret_open.set(true);
                })
            />
        </section>
        <CreateVaultDialog
            open=create_open
            workspace=workspace
            on_created=Callback::new(move |v: VaultSummary| {
                create_open.set(false);
                success.set(Some(format!("The vault {} was created.", v.name)));
                refetch();
            })
        />
        <ReplaceSecretDialog
            open=secret_open
            workspace=workspace
            vault=secret_for
            on_replaced=Callback::new(move |v: VaultSummary| {
                secret_open.set(false);
                success.set(Some(format!(
                    "The client secret of {} was replaced and the connection tested.",
                    v.name
                )));
                refetch();
            })
        />
        <ItemsSection workspace=workspace vaults=vaults on_change=Callback::new(move |()| refetch())/>
    }
}

/// The table of vaults.
#[component]
fn VaultTable(
    /// The vaults, as the edge reported them.
    vaults: RwSignal<Vec<VaultSummary>>,
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
                                                    keyswitch_shared::vaults::SecretState::Set => "set",
                                                    keyswitch_shared::vaults::SecretState::NotSet => "not set",
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

/// **Create new vault**: name, strategy, default; then (Azure External Keys)
/// Client ID, Tenant ID, Client Secret, Vault URL, Vault Key Name.
#[component]
fn CreateVaultDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
    /// The workspace.
    workspace: Signal<String>,
    /// Called with the new vault.
    on_created: Callback<VaultSummary>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let strategy = RwSignal::new(VaultStrategy::AzureExternalKeys);
    let is_default = RwSignal::new(false);
    let step = RwSignal::new(1u8);
    let client_id = RwSignal::new(String::new());
    let tenant_id = RwSignal::new(String::new());
    let client_secret = RwSignal::new(String::new());
    let vault_uri = RwSignal::new(String::new());
    let key_name = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<CatalogError>);
    let server_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    // Closing resets the dialog (the secret is not kept around).
    Effect::new(move |_| {
        if !open.get() {
            step.set(1);
            client_secret.set(String::new());
            local_error.set(None);
            server_error.set(None);
        }
    });

    let err_for = move |field: &'static str| {
        Signal::derive(move || {
            local_error
                .get()
                .filter(|e| e.field().as_deref() == Some(field))
                .map(|e| field_error(&e))
                .or_else(|| refusal_for(server_error.get(), field))
        })
    };
    let form = move || CreateVaultForm {
        name: name.get_untracked(),
        strategy: strategy.get_untracked().as_str().to_owned(),
        is_default: is_default.get_untracked(),
        azure: (strategy.get_untracked() == VaultStrategy::AzureExternalKeys).then(|| AzureForm {
            client_id: client_id.get_untracked(),
            tenant_id: tenant_id.get_untracked(),
            client_secret: client_secret.get_untracked(),
            vault_uri: vault_uri.get_untracked(),
            key_name: key_name.get_untracked(),
        }),
    };
    let submit = move || {
        server_error.set(None);
        let form = form();
        if let Err(e) = form.parse() {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        busy.set(true);
        let ws = workspace.get_untracked();
        spawn_local(async move {
            let result = api::vaults::create(&ws, &form).await;
            busy.set(false);
            match result {
                Ok(v) => {
                    name.set(String::new());
                    client_id.set(String::new());
                    tenant_id.set(String::new());
                    vault_uri.set(String::new());
                    key_name.set(String::new());
                    is_default.set(false);
                    on_created.run(v);
                }
                Err(e) => server_error.set(Some(e)),
            }
        });
    };
    let next = move || {
        if let Err(e) = VaultName::new(&name.get_untracked()) {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        if strategy.get_untracked() == VaultStrategy::AzureExternalKeys {
            step.set(2);
        } else {
            submit();
        }
    };
    let title = Signal::derive(move || {
        if step.get() == 1 {
            "Create new vault".to_owned()
        } else {
            "Configure the Azure vault".to_owned()
        }
    });
    // Refusals that name no field of the visible step are shown as a notice.
    let general_error = Signal::derive(move || {
        server_error.get().filter(|e| {
            !matches!(
                e.field(),
                Some(
                    "name" | "client_id" | "tenant_id" | "client_secret" | "vault_uri" | "key_name"
                )
            )
        })
    });

    view! {
        <Dialog open=open id="create-vault" title=title>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if step.get_untracked() == 1 { next() } else { submit() }
            }>
                <Show when=move || step.get() == 1>
                    <TextField
                        label="Vault name"
                        id="vault-name"
                        value=name
                        error=err_for("name")
                        hint="How the vault appears in the vault list."
                    />
                    <div class="field">
                        <label for="vault-strategy">"Strategy"</label>
                        <select
                            id="vault-strategy"
                            on:change=move |ev| {
                                let chosen = VaultStrategy::parse(&event_target_value(&ev))
                                    .unwrap_or(VaultStrategy::Cloud);
                                strategy.set(chosen);
                            }
                            prop:value=move || strategy.get().as_str()
                        >
                            <option value="cloud">{VaultStrategy::Cloud.display_name()}</option>
                            <option value="azure_external_keys">{VaultStrategy::AzureExternalKeys.display_name()}</option>
                        </select>
                    </div>
                    <div class="field field-check">
                        <input
                            id="vault-default"
                            type="checkbox"
                            prop:checked=move || is_default.get()
                            on:change=move |ev| is_default.set(event_target_checked(&ev))
                        />
                        <label for="vault-default">"Set as default vault"</label>
                    </div>
                </Show>
                <Show when=move || step.get() == 2>
                    <TextField label="Client ID" id="azure-client-id" value=client_id error=err_for("client_id")
                        hint="Application (client) ID from the app registration's Overview page."
                        placeholder="00000000-0000-0000-0000-000000000000"/>
                    <TextField label="Tenant ID" id="azure-tenant-id" value=tenant_id error=err_for("tenant_id")
                        hint="Directory (tenant) ID from the same Overview page."
                        placeholder="00000000-0000-0000-0000-000000000000"/>
                    <SecretField label="Client Secret" id="azure-client-secret" value=client_secret error=err_for("client_secret")
                        hint="The secret's Value from Certificates & secrets. It is stored encrypted and never shown again."/>
                    <TextField label="Vault URL" id="azure-vault-uri" value=vault_uri error=err_for("vault_uri")
                        hint="The Vault URI from the key vault's Overview page."
                        placeholder="https://your-vault-name.vault.azure.net"/>
                    <TextField label="Vault Key Name" id="azure-key-name" value=key_name error=err_for("key_name")
                        hint="An RSA 4096 key in that vault."/>
                </Show>
                {move || local_error.get().filter(|e| e.field().as_deref() == Some("azure") || e.field().as_deref() == Some("strategy"))
                    .map(|e| view! { <CatalogNotice body=e.body()/> })}
                <MaybeError error=general_error/>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <Show when=move || step.get() == 2>
                        <button type="button" class="button" on:click=move |_| step.set(1)>"Back"</button>
                    </Show>
                    <Show
                        when=move || step.get() == 1 && strategy.get() == VaultStrategy::AzureExternalKeys
                        fallback=move || view! {
                            <button type="submit" class="button button-primary" disabled=move || busy.get()>
                                {move || if busy.get() { "Creating…" } else { "Create vault" }}
                            </button>
                        }
                    >
                        <button type="submit" class="button button-primary">"Next"</button>
                    </Show>
                </div>
            </form>
        </Dialog>
    }
}

/// Replace the client secret of an Azure External Keys vault.
#[component]
fn ReplaceSecretDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
    /// The workspace.
    workspace: Signal<String>,
    /// The vault.
    vault: RwSignal<Option<VaultSummary>>,
    /// Called with the updated vault.
    on_replaced: Callback<VaultSummary>,
) -> impl IntoView {
    let secret = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<CatalogError>);
    let server_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if !open.get() {
            secret.set(String::new());
            local_error.set(None);
            server_error.set(None);
        }
    });
    let error = Signal::derive(move || {
        local_error
            .get()
            .map(|e| field_error(&e))
            .or_else(|| refusal_for(server_error.get(), "client_secret"))
    });
    let general_error = Signal::derive(move || {
        server_error
            .get()
            .filter(|e| e.field() != Some("client_secret"))
    });
    let submit = move || {
        let form = ReplaceSecretForm {
            client_secret: secret.get_untracked(),
        };
        if let Err(e) = form.parse() {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        server_error.set(None);
        let Some(v) = vault.get_untracked() else {
            return;
        };
        busy.set(true);
        let ws = workspace.get_untracked();
        spawn_local(async move {
            let result = api::vaults::replace_secret(&ws, &v.id, &form).await;
            busy.set(false);
            match result {
                Ok(updated) => on_replaced.run(updated),
                Err(e) => server_error.set(Some(e)),
            }
        });
    };
    view! {
        <Dialog open=open id="replace-secret" title="Replace client secret".to_owned()>
            <p>{move || vault.get().map(|v| format!("Vault: {}. The connection is tested with the new secret before it is stored.", v.name))}</p>
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <SecretField label="New client secret" id="new-client-secret" value=secret error=error
                    hint="The new secret's Value from Certificates & secrets."/>
                <MaybeError error=general_error/>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button button-primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Testing…" } else { "Replace secret" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// Items of one vault: store a secret, reveal an item.
#[component]
fn ItemsSection(
    /// The workspace.
    workspace: Signal<String>,
    /// The vaults to choose from.
    vaults: RwSignal<Vec<VaultSummary>>,
    /// Called after a read or write (the key status may have changed).
    on_change: Callback<()>,
) -> impl IntoView {
    let chosen = RwSignal::new(None::<String>);
    // Default to the default vault.
    Effect::new(move |_| {
        let list = vaults.get();
        let keep = chosen
            .get_untracked()
            .is_some_and(|c| list.iter().any(|v| v.id == c));
        if !keep {
            chosen.set(
                list.iter()
                    .find(|v| v.is_default)
                    .or_else(|| list.first())
                    .map(|v| v.id.clone()),
            );
        }
    });
    let reload = RwSignal::new(0u32);
    let items = LocalResource::new(move || {
        reload.track();
        let ws = workspace.get();
        let vault = chosen.get();
        async move {
            match vault {
                Some(v) => api::vaults::items(&ws, &v).await.map(|l| l.items),
                None => Ok(Vec::new()),
            }
        }
    });
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let store_error = RwSignal::new(None::<ApiError>);
    let local_error = RwSignal::new(None::<CatalogError>);
    let revealed = RwSignal::new(None::<Item>);
    let read_error = RwSignal::new(None::<ApiError>);

    let store = move || {
        let form = ItemForm {
            kind: ItemKind::Secret,
            name: name.get_untracked(),
            username: None,
            secret: value.get_untracked(),
            url: None,
            notes: None,
        };
        let form = match form.parse() {
            Ok(content) => content.to_form(),
            Err(e) => {
                local_error.set(Some(e));
                return;
            }
        };
        local_error.set(None);
        let Some(vault) = chosen.get_untracked() else {
            return;
        };
        let ws = workspace.get_untracked();
        spawn_local(async move {
            match api::vaults::store_item(&ws, &vault, &form).await {
                Ok(_) => {
                    store_error.set(None);
                    name.set(String::new());
                    value.set(String::new());
                    reload.update(|v| *v += 1);
                }
                Err(e) => store_error.set(Some(e)),
            }
            on_change.run(());
        });
    };
    let reveal = move |item: ItemSummary| {
        let ws = workspace.get_untracked();
        spawn_local(async move {
            match api::vaults::read_item(&ws, &item.vault_id, &item.id).await {
                Ok(i) => {
                    read_error.set(None);
                    revealed.set(Some(i));
                }
                Err(e) => {
                    revealed.set(None);
                    read_error.set(Some(e));
                }
            }
            on_change.run(());
        });
    };
    let name_error = Signal::derive(move || {
        local_error
            .get()
            .filter(|e| e.field().as_deref() == Some("name"))
            .map(|e| field_error(&e))
    });
    let value_error = Signal::derive(move || {
        local_error
            .get()
            .filter(|e| e.field().as_deref() == Some("secret"))
            .map(|e| field_error(&e))
    });

    view! {
        <section aria-labelledby="items-heading" class="card">
            <h2 id="items-heading">"Items"</h2>
            <Show when=move || vaults.with(|v| !v.is_empty()) fallback=|| view! { <p class="muted">"Create a vault first."</p> }>
                <div class="field">
                    <label for="items-vault">"Vault"</label>
                    <select
                        id="items-vault"
                        prop:value=move || chosen.get().unwrap_or_default()
                        on:change=move |ev| {
                            revealed.set(None);
                            read_error.set(None);
                            chosen.set(Some(event_target_value(&ev)));
                        }
                    >
                        {move || vaults.get().into_iter().map(|v| view! {
                            <option value=v.id.clone()>{v.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); store(); }>
                    <TextField label="Secret name" id="item-name" value=name error=name_error hint="For example: API key."/>
                    <SecretField label="Secret value" id="item-value" value=value error=value_error
                        hint="Encrypted with a data key under the vault key."/>
                    <button type="submit" class="button button-primary">"Store secret"</button>
                </form>
                <MaybeError error=store_error/>
                <Transition fallback=|| view! { <p class="muted">"Loading items…"</p> }>
                    {move || items.get().map(|r| match r {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No items in this vault yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="link-list" aria-label="Stored items">
                                {list.into_iter().map(|i| {
                                    let label = format!("{} stored {} by {}", match i.kind { ItemKind::Account => "Account", ItemKind::Secret => "Secret" }, format_time(i.created_at_ms), i.created_by);
                                    let reveal_label = format!("Reveal {}", i.id);
                                    view! {
                                        <li>
                                            <span>{label}</span>" "
                                            <button type="button" class="button" aria-label=reveal_label on:click=move |_| reveal(i.clone())>"Reveal"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    })}
                </Transition>
                <MaybeError error=read_error/>
                {move || revealed.get().map(|i| view! {
                    <dl class="revealed" aria-label="Revealed item">
                        <dt>"Name"</dt><dd>{i.content.name.clone()}</dd>
                        <dt>"Value"</dt><dd><code>{i.content.secret.clone()}</code></dd>
                    </dl>
                })}
            </Show>
        </section>
    }
}
