//! *Switch to Azure Key Vault*: Vault URI and Key Name, checked as you type
//! by the `shared` parsers (the same rules and messages as the edge), and
//! Test Connection.

use std::str::FromStr;

use keyswitch_shared::switch::SetupField;
use keyswitch_shared::validation::Suggestion;
use keyswitch_shared::{Cloud, KeyName, ValidationError, VaultUri};
use leptos::html;
use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_notice::ErrorNotice;
use crate::components::field::{FieldError, FieldText, TextField};

const VAULT_URI: FieldText = FieldText {
    id: "vault-uri",
    label: "Vault URI",
    hint: "The vault's base URI from its Overview page in the Azure Portal, like https://your-vault-name.vault.azure.net/",
    placeholder: "https://your-vault-name.vault.azure.net/",
};

const KEY_NAME: FieldText = FieldText {
    id: "key-name",
    label: "Key Name",
    hint: "The name of the RSA key inside the vault (not the full URL).",
    placeholder: "company-kek",
};

/// The problem with a typed vault URI, as the shared parser reports it;
/// with `clouds` (those the deployment has a connector for), a vault of
/// another cloud too (the edge refuses it the same way).
#[must_use]
pub fn vault_uri_problem(input: &str, clouds: Option<&[Cloud]>) -> Option<ValidationError> {
    match clouds {
        Some(clouds) => VaultUri::parse_in(input, clouds).err(),
        None => VaultUri::from_str(input).err(),
    }
}

/// The problem with a typed key name, as the shared parser reports it.
#[must_use]
pub fn key_name_problem(input: &str) -> Option<ValidationError> {
    KeyName::from_str(input).err()
}

/// The form's values after both parsers accepted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTarget {
    /// The vault base URI as typed (the edge parses it again).
    pub vault_uri: String,
    /// The key name as typed.
    pub key_name: String,
}

/// The switch form. It shows the parsers' verdict once a field was edited or
/// a submit was tried, and a refusal from the edge at the field it names.
#[component]
pub fn SwitchForm(
    /// Vault URI to start with (a pending setup's).
    #[prop(optional, into)]
    initial_vault_uri: String,
    /// Key name to start with.
    #[prop(optional, into)]
    initial_key_name: String,
    /// Test Connection with valid values.
    on_submit: Callback<ValidTarget>,
    /// The last refusal or failure of Test Connection.
    #[prop(optional, into)]
    server_error: Signal<Option<ApiError>>,
    /// A call is running.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// The clouds with a connector (from the edge's state); unknown: any.
    #[prop(optional, into)]
    clouds: Signal<Option<Vec<Cloud>>>,
    /// The field to focus when the form appears (the field at fault).
    #[prop(optional)]
    focus: Option<SetupField>,
) -> impl IntoView {
    let vault_uri = RwSignal::new(initial_vault_uri);
    let key_name = RwSignal::new(initial_key_name);
    // Show "Enter the …" only after the admin touched the field or tried to
    // submit; every other problem shows as soon as it is typed.
    let uri_touched = RwSignal::new(false);
    let key_touched = RwSignal::new(false);
    Effect::new(move |first: Option<()>| {
        vault_uri.track();
        if first.is_some() {
            uri_touched.set(true);
        }
    });
    Effect::new(move |first: Option<()>| {
        key_name.track();
        if first.is_some() {
            key_touched.set(true);
        }
    });
    // A refusal from the edge names its field; it stays until that field
    // changes.
    let server_field_error = RwSignal::new(None::<(String, FieldError)>);
    Effect::new(move |_| {
        let next = server_error.get().and_then(|e| {
            let field = e.field()?.to_owned();
            let body = e.body()?;
            Some((
                field,
                FieldError {
                    message: body.message.clone(),
                    fix: body.fix.clone(),
                    suggestion: None,
                },
            ))
        });
        server_field_error.set(next);
    });
    // Not on the first run: a refusal given when the form appears (the
    // setup's failure at its field) stays until the admin edits.
    Effect::new(move |first: Option<()>| {
        vault_uri.track();
        key_name.track();
        if first.is_some() {
            server_field_error.set(None);
        }
    });

    let uri_error = Signal::derive(move || {
        let problem = clouds.with(|c| vault_uri.with(|v| vault_uri_problem(v, c.as_deref())));
        match problem {
            Some(ValidationError::VaultUriEmpty) if !uri_touched.get() => None,
            Some(e) => Some(FieldError::from_validation(&e)),
            None => server_field_error
                .get()
                .filter(|(f, _)| f == "vault_uri")
                .map(|(_, e)| e),
        }
    });
    let key_error = Signal::derive(move || {
        let problem = key_name.with(|v| key_name_problem(v));
        match problem {
            Some(ValidationError::KeyNameEmpty) if !key_touched.get() => None,
            Some(e) => Some(FieldError::from_validation(&e)),
            None => server_field_error
                .get()
                .filter(|(f, _)| f == "key_name")
                .map(|(_, e)| e),
        }
    });
    // A failure that names no field shows next to the button.
    let general_error = Signal::derive(move || {
        server_error
            .get()
            .filter(|e| !matches!(e.field(), Some("vault_uri" | "key_name")))
    });

    let uri_ref = NodeRef::<html::Input>::new();
    let key_ref = NodeRef::<html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        uri_touched.set(true);
        key_touched.set(true);
        let uri = vault_uri.get_untracked();
        let key = key_name.get_untracked();
        if clouds.with_untracked(|c| vault_uri_problem(&uri, c.as_deref()).is_some()) {
            if let Some(i) = uri_ref.get_untracked() {
                let _focused = i.focus();
            }
            return;
        }
        if key_name_problem(&key).is_some() {
            if let Some(i) = key_ref.get_untracked() {
                let _focused = i.focus();
            }
            return;
        }
        on_submit.run(ValidTarget {
            vault_uri: uri,
            key_name: key,
        });
    };

    if let Some(field) = focus {
        let input = match field {
            SetupField::VaultUri => uri_ref,
            SetupField::KeyName => key_ref,
        };
        request_animation_frame(move || {
            if let Some(i) = input.get_untracked() {
                let _focused = i.focus();
            }
        });
    }

    // A key URL in either field, or `name/version` in Key Name: one click
    // puts each part in its field (the shared parser found them), and focus
    // stays in the form, on Key Name.
    let apply = Callback::new(move |s: Suggestion| {
        if let Some(vault) = s.vault_uri {
            vault_uri.set(vault);
        }
        key_name.set(s.key_name);
        if let Some(i) = key_ref.get_untracked() {
            let _focused = i.focus();
        }
    });

    view! {
        <form class="form" on:submit=submit novalidate>
            <TextField text=VAULT_URI value=vault_uri error=uri_error node_ref=uri_ref disabled=busy on_suggestion=apply/>
            <TextField text=KEY_NAME value=key_name error=key_error node_ref=key_ref disabled=busy on_suggestion=apply/>
            <div class="actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    "Test Connection"
                </button>
                <span class="muted busy-note" aria-live="polite">
                    {move || busy.get().then_some("Contacting Azure…")}
                </span>
            </div>
            <div class="form-error">
                {move || general_error.get().map(|e| view! { <ErrorNotice error=e/> })}
            </div>
        </form>
    }
}
