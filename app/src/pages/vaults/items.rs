//! *Items* of one vault: store a secret, list what is stored, reveal an
//! item. Reading or writing may change the vault's key status, so the vault
//! list is read again after each.

use keyswitch_shared::CatalogError;
use keyswitch_shared::vaults::{ItemForm, ItemKind, ItemSummary};
use leptos::prelude::*;

use crate::job::Job;

use super::{field_error, use_vaults};
use crate::api;
use crate::components::audit_table::format_time;
use crate::components::error_notice::{ErrorNotice, MaybeError};
use crate::components::field::{FieldText, TextField};
use crate::fetched::Fetched;

const NAME: FieldText = FieldText {
    id: "item-name",
    label: "Secret name",
    hint: "For example: API key.",
    placeholder: "",
};
const VALUE: FieldText = FieldText {
    id: "item-value",
    label: "Secret value",
    hint: "Encrypted with a data key under the vault key.",
    placeholder: "",
};

/// The items card: the vault chooser, the store form, the list and the
/// revealed item.
#[component]
pub fn ItemsSection() -> impl IntoView {
    let page = use_vaults();
    let vaults = page.vaults;
    // The vault picked by the admin; until then (or if it is gone), the one
    // shown before, else the default vault.
    let picked = RwSignal::new(None::<String>);
    let chosen = Memo::new(move |prev: Option<&Option<String>>| {
        vaults.with(|list| {
            let listed = |id: &String| list.iter().any(|v| &v.id == id);
            picked
                .get()
                .filter(listed)
                .or_else(|| prev.cloned().flatten().filter(listed))
                .or_else(|| {
                    list.iter()
                        .find(|v| v.is_default)
                        .or_else(|| list.first())
                        .map(|v| v.id.clone())
                })
        })
    });
    let items = Fetched::new(move || {
        let ws = page.workspace.get();
        let vault = chosen.get();
        async move {
            match vault {
                Some(v) => api::vaults::items(&ws, &v).await.map(|l| l.items),
                None => Ok(Vec::new()),
            }
        }
    });
    let reveal = Job::new(move |item: &ItemSummary| {
        let (item, ws) = (item.clone(), page.workspace.get_untracked());
        async move { api::vaults::read_item(&ws, &item.vault_id, &item.id).await }
    });
    Effect::new(move |_| {
        if reveal.value().with(Option::is_some) {
            page.refetch();
        }
    });
    let read_error = Signal::derive(move || reveal.value().get().and_then(Result::err));
    let revealed = move || {
        reveal.value().get().and_then(Result::ok).map(|i| {
            view! {
                <dl class="revealed" aria-label="Revealed item">
                    <dt>"Name"</dt><dd>{i.content.name.clone()}</dd>
                    <dt>"Value"</dt><dd><code>{i.content.secret.clone()}</code></dd>
                </dl>
            }
        })
    };
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
                            reveal.value().set(None);
                            picked.set(Some(event_target_value(&ev)));
                        }
                    >
                        {move || vaults.get().into_iter().map(|v| view! {
                            <option value=v.id.clone()>{v.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <StoreItemForm vault=chosen on_stored=Callback::new(move |()| items.refetch())/>
                {move || match items.get() {
                    None => view! { <p class="muted">"Loading items…"</p> }.into_any(),
                    Some(Ok(list)) => view! { <ItemList items=list on_reveal=Callback::new(move |i| { reveal.dispatch(i); })/> }.into_any(),
                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                }}
                <MaybeError error=read_error/>
                {revealed}
            </Show>
        </section>
    }
}

/// Store a secret in the chosen vault.
#[component]
fn StoreItemForm(
    /// The chosen vault.
    vault: Memo<Option<String>>,
    /// Called once the item is stored.
    on_stored: Callback<()>,
) -> impl IntoView {
    let page = use_vaults();
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<CatalogError>);
    let store = Job::new(move |(vault, form): &(String, ItemForm)| {
        let (vault, form, ws) = (vault.clone(), form.clone(), page.workspace.get_untracked());
        async move { api::vaults::store_item(&ws, &vault, &form).await }
    });
    Effect::new(move |_| {
        let Some(result) = store.value().get() else {
            return;
        };
        if result.is_ok() {
            name.set(String::new());
            value.set(String::new());
            on_stored.run(());
        }
        page.refetch();
    });
    let store_error = Signal::derive(move || store.value().get().and_then(Result::err));
    let submit = move || {
        let form = ItemForm {
            kind: ItemKind::Secret,
            name: name.get_untracked(),
            username: None,
            secret: value.get_untracked(),
            url: None,
            notes: None,
        };
        match form.parse() {
            Ok(content) => {
                local_error.set(None);
                if let Some(vault) = vault.get_untracked() {
                    store.dispatch((vault, content.to_form()));
                }
            }
            Err(e) => local_error.set(Some(e)),
        }
    };
    let error_at = move |field: &'static str| {
        Signal::derive(move || {
            local_error
                .get()
                .filter(|e| e.field().as_deref() == Some(field))
                .map(|e| field_error(&e))
        })
    };
    view! {
        <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <TextField text=NAME value=name error=error_at("name")/>
            <TextField text=VALUE value=value error=error_at("secret") secret=true/>
            <button type="submit" class="button button-primary">"Store secret"</button>
        </form>
        <MaybeError error=store_error/>
    }
}

/// The stored items, each with Reveal.
#[component]
fn ItemList(
    /// The items' metadata.
    items: Vec<ItemSummary>,
    /// Reveal clicked.
    on_reveal: Callback<ItemSummary>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">"No items in this vault yet."</p> }.into_any();
    }
    let rows = items.into_iter().map(|i| {
        let kind = match i.kind {
            ItemKind::Account => "Account",
            ItemKind::Secret => "Secret",
        };
        let label = format!("{kind} stored {} by {}", format_time(i.created_at_ms), i.created_by);
        let reveal_label = format!("Reveal {}", i.id);
        view! {
            <li>
                <span>{label}</span>" "
                <button type="button" class="button" aria-label=reveal_label on:click=move |_| on_reveal.run(i.clone())>"Reveal"</button>
            </li>
        }
    });
    view! { <ul class="link-list" aria-label="Stored items">{rows.collect_view()}</ul> }.into_any()
}
