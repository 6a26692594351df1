//! A labelled text input with its hint and an inline error that names the
//! fix; the error region is always present so it never shifts the layout and
//! screen readers hear changes.

use leptos::prelude::*;

/// What is wrong with a field's value, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// A text field with label, hint and inline error.
#[component]
pub fn TextField(
    /// The visible label, also the input's accessible name.
    label: &'static str,
    /// The input's id; hint and error ids derive from it.
    id: &'static str,
    /// The value, written on every keystroke.
    value: RwSignal<String>,
    /// The current problem with the value, if any.
    #[prop(into)]
    error: Signal<Option<FieldError>>,
    /// Help shown under the label.
    hint: &'static str,
    /// Example shown in the empty input.
    #[prop(optional)]
    placeholder: &'static str,
    /// Lets the form move focus to this input.
    #[prop(optional)]
    node_ref: NodeRef<leptos::html::Input>,
    /// Whether the input is read-only (while a call runs).
    #[prop(optional, into)]
    disabled: Signal<bool>,
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
                type="text"
                autocomplete="off"
                spellcheck="false"
                autocapitalize="off"
                placeholder=placeholder
                node_ref=node_ref
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
                readonly=move || disabled.get()
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
