//! **Create new vault**: name, strategy and default first; for Azure External
//! Keys then Client ID, Tenant ID, Client Secret, Vault URL and Vault Key
//! Name. Checked with the `shared` rules before it is sent.

use keyswitch_shared::commands::role::Grant;
use keyswitch_shared::validation::Suggestion;
use keyswitch_shared::vaults::{AzureForm, CreateVaultForm, VaultName, VaultStrategy};
use keyswitch_shared::{CatalogError, ClientId, KeyName, VaultUri};
use leptos::prelude::*;

use crate::job::Job;

use super::{field_error, refusal_for, use_vaults};
use crate::api;
use crate::components::command_tabs::CommandTabs;
use crate::components::dialog::Dialog;
use crate::components::error_notice::{CatalogNotice, MaybeError};
use crate::components::field::{FieldError, FieldText, TextField};

const NAME: FieldText = FieldText {
    id: "vault-name",
    label: "Vault name",
    hint: "How the vault appears in the vault list.",
    placeholder: "",
};
const CLIENT_ID: FieldText = FieldText {
    id: "azure-client-id",
    label: "Client ID",
    hint: "Application (client) ID from the app registration's Overview page.",
    placeholder: "00000000-0000-0000-0000-000000000000",
};
const TENANT_ID: FieldText = FieldText {
    id: "azure-tenant-id",
    label: "Tenant ID",
    hint: "Directory (tenant) ID from the same Overview page.",
    placeholder: "00000000-0000-0000-0000-000000000000",
};
const CLIENT_SECRET: FieldText = FieldText {
    id: "azure-client-secret",
    label: "Client Secret",
    hint: "The secret's Value from Certificates & secrets. It is stored encrypted and never shown again.",
    placeholder: "",
};
const VAULT_URI: FieldText = FieldText {
    id: "azure-vault-uri",
    label: "Vault URL",
    hint: "The Vault URI from the key vault's Overview page.",
    placeholder: "https://your-vault-name.vault.azure.net",
};
const KEY_NAME: FieldText = FieldText {
    id: "azure-key-name",
    label: "Vault Key Name",
    hint: "An RSA 4096 key in that vault.",
    placeholder: "",
};

/// Fields whose refusals show at the field rather than as a notice.
const FIELDS: [&str; 6] = [
    "name",
    "client_id",
    "tenant_id",
    "client_secret",
    "vault_uri",
    "key_name",
];

/// What the dialog's form holds.
#[derive(Clone, Copy)]
struct Draft {
    name: RwSignal<String>,
    strategy: RwSignal<VaultStrategy>,
    is_default: RwSignal<bool>,
    client_id: RwSignal<String>,
    tenant_id: RwSignal<String>,
    client_secret: RwSignal<String>,
    vault_uri: RwSignal<String>,
    key_name: RwSignal<String>,
}

impl Draft {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            strategy: RwSignal::new(VaultStrategy::AzureExternalKeys),
            is_default: RwSignal::new(false),
            client_id: RwSignal::new(String::new()),
            tenant_id: RwSignal::new(String::new()),
            client_secret: RwSignal::new(String::new()),
            vault_uri: RwSignal::new(String::new()),
            key_name: RwSignal::new(String::new()),
        }
    }

    fn form(self) -> CreateVaultForm {
        let strategy = self.strategy.get_untracked();
        CreateVaultForm {
            name: self.name.get_untracked(),
            strategy: strategy.as_str().to_owned(),
            is_default: self.is_default.get_untracked(),
            azure: (strategy == VaultStrategy::AzureExternalKeys).then(|| AzureForm {
                client_id: self.client_id.get_untracked(),
                tenant_id: self.tenant_id.get_untracked(),
                client_secret: self.client_secret.get_untracked(),
                vault_uri: self.vault_uri.get_untracked(),
                key_name: self.key_name.get_untracked(),
            }),
        }
    }

    /// After a vault was created: a fresh form (strategy as chosen).
    fn clear(self) {
        for text in [
            self.name,
            self.client_id,
            self.tenant_id,
            self.vault_uri,
            self.key_name,
        ] {
            text.set(String::new());
        }
        self.is_default.set(false);
    }
}

/// The dialog.
#[component]
pub fn CreateVaultDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
) -> impl IntoView {
    let page = use_vaults();
    let draft = Draft::new();
    let step = RwSignal::new(1u8);
    let local_error = RwSignal::new(None::<CatalogError>);
    let create = Job::new(move |form: &CreateVaultForm| {
        let (form, ws) = (form.clone(), page.workspace.get_untracked());
        async move { api::vaults::create(&ws, &form).await }
    });
    let server_error = Signal::derive(move || create.value().get().and_then(Result::err));
    let busy = create.pending();
    Effect::new(move |_| {
        if let Some(Ok(v)) = create.value().get() {
            draft.clear();
            open.set(false);
            page.success
                .set(Some(format!("The vault {} was created.", v.name)));
            page.refetch();
        }
    });
    // Closing resets the dialog (the secret is not kept around).
    Effect::new(move |_| {
        if !open.get() {
            step.set(1);
            draft.client_secret.set(String::new());
            local_error.set(None);
            create.value().set(None);
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
    let submit = move || {
        create.value().set(None);
        let form = draft.form();
        if let Err(e) = form.parse() {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        create.dispatch(form);
    };
    let next = move || {
        if let Err(e) = VaultName::new(&draft.name.get_untracked()) {
            local_error.set(Some(e));
            return;
        }
        local_error.set(None);
        if draft.strategy.get_untracked() == VaultStrategy::AzureExternalKeys {
            step.set(2);
        } else {
            submit();
        }
    };
    let title = Signal::derive(move || {
        if step.get() == 1 {
            "Create new vault"
        } else {
            "Configure the Azure vault"
        }
        .to_owned()
    });
    // Refusals that name no field of the form are shown as a notice.
    let general_error = Signal::derive(move || {
        server_error
            .get()
            .filter(|e| !e.field().is_some_and(|f| FIELDS.contains(&f)))
    });
    let form_error = move || {
        local_error
            .get()
            .filter(|e| matches!(e.field().as_deref(), Some("azure" | "strategy")))
            .map(|e| view! { <CatalogNotice body=e.body()/> })
    };

    view! {
        <Dialog open=open id="create-vault" title=title>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if step.get_untracked() == 1 { next() } else { submit() }
            }>
                <Show when=move || step.get() == 1>
                    <NameStep draft=draft name_error=err_for("name")/>
                </Show>
                <Show when=move || step.get() == 2>
                    <AzureStep
                        draft=draft
                        error_for=Callback::new(err_for)
                        on_fixed=Callback::new(move |()| local_error.set(None))
                    />
                </Show>
                {form_error}
                <MaybeError error=general_error/>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <Show when=move || step.get() == 2>
                        <button type="button" class="button" on:click=move |_| step.set(1)>"Back"</button>
                    </Show>
                    <Show
                        when=move || step.get() == 1 && draft.strategy.get() == VaultStrategy::AzureExternalKeys
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

/// Step 1: name, strategy, default.
#[component]
fn NameStep(
    /// The form.
    draft: Draft,
    /// The problem with the name.
    name_error: Signal<Option<FieldError>>,
) -> impl IntoView {
    let Draft {
        name,
        strategy,
        is_default,
        ..
    } = draft;
    view! {
        <TextField text=NAME value=name error=name_error/>
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
    }
}

/// Step 2 (Azure External Keys): the app registration and the vault key.
#[component]
fn AzureStep(
    /// The form.
    draft: Draft,
    /// The problem with a field (by its wire name), if any.
    error_for: Callback<&'static str, Signal<Option<FieldError>>>,
    /// A one-click fix was applied: the old verdict no longer holds.
    on_fixed: Callback<()>,
) -> impl IntoView {
    let e = move |field| error_for.run(field);
    // A key URL in either field, or `name/version` in Key Name: one click
    // puts each part where it belongs, and the checks run again on Create.
    let apply = Callback::new(move |s: Suggestion| {
        if let Some(vault) = s.vault_uri {
            draft.vault_uri.set(vault);
        }
        draft.key_name.set(s.key_name);
        on_fixed.run(());
    });
    view! {
        <TextField text=CLIENT_ID value=draft.client_id error=e("client_id")/>
        <TextField text=TENANT_ID value=draft.tenant_id error=e("tenant_id")/>
        <TextField text=CLIENT_SECRET value=draft.client_secret error=e("client_secret") secret=true/>
        <TextField text=VAULT_URI value=draft.vault_uri error=e("vault_uri") on_suggestion=apply/>
        <TextField text=KEY_NAME value=draft.key_name error=e("key_name") on_suggestion=apply/>
        <RoleCommands draft=draft/>
    }
}

/// The commands that give the service principal being entered the key-use
/// role on the vault and key being entered, rebuilt as they are typed (the
/// create's first check needs the role): shown once the Client ID, Vault
/// URL and Vault Key Name parse, else what is still missing.
#[component]
fn RoleCommands(
    /// The form.
    draft: Draft,
) -> impl IntoView {
    let values = Memo::new(move |_| {
        let client = draft.client_id.get().trim().parse::<ClientId>().ok();
        let vault = draft.vault_uri.get().trim().parse::<VaultUri>().ok();
        let key = draft.key_name.get().trim().parse::<KeyName>().ok();
        (client, vault, key)
    });
    let tool = RwSignal::new(0usize);
    let body = move || match values.get() {
        (Some(client), Some(vault), Some(key)) => {
            let grant = Grant::own(&vault, &key, &client);
            let summary = format!(
                "{} for client ID {} on {}",
                grant.role_name(),
                client.as_str(),
                vault.vault_name()
            );
            let tabs = grant.tabs();
            view! {
                <p class="muted" data-testid="create-role-for">{summary}</p>
                <CommandTabs
                    id="create-role-commands"
                    label="Commands that give the service principal the key"
                    tabs=tabs
                    selected=tool
                />
            }
            .into_any()
        }
        (client, vault, key) => {
            let missing: Vec<&str> = [
                (client.is_none(), CLIENT_ID.label),
                (vault.is_none(), VAULT_URI.label),
                (key.is_none(), KEY_NAME.label),
            ]
            .into_iter()
            .filter_map(|(m, label)| m.then_some(label))
            .collect();
            view! {
                <p class="muted" data-testid="create-role-missing">
                    {format!("Enter a valid {} to see the commands for them.", missing.join(", "))}
                </p>
            }
            .into_any()
        }
    };
    view! {
        <details class="vault-role" data-testid="create-role-commands">
            <summary>"Give this service principal the key first: the commands"</summary>
            <p class="muted">
                "Creating the vault checks the key with this service principal at once, so it needs the key-use role on the vault first. Your Azure admin can run these as they are."
            </p>
            {body}
        </details>
    }
}
