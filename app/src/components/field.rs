//! A labelled text or secret input with its hint and an inline error that
//! names the fix; the error region is always present so it never shifts the
//! layout and screen readers hear changes.

use keyswitch_shared::validation::Suggestion;
use leptos::prelude::*;

/// What is wrong with a field's value, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The fix as one click (the shared parser's), when there is one.
    pub suggestion: Option<Suggestion>,
}

impl FieldError {
    /// A parser's verdict on a typed value, with its one-click fix.
    #[must_use]
    pub fn from_validation(e: &keyswitch_shared::ValidationError) -> Self {
        Self {
            message: e.to_string(),
            fix: e.fix(),
            suggestion: e.suggestion(),
        }
    }
}

/// The fixed texts of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldText {
    /// The input's id; hint and error ids derive from it.
    pub id: &'static str,
    /// The visible label, also the input's accessible name.
    pub label: &'static str,
    /// Help shown under the label.
    pub hint: &'static str,
    /// Example shown in the empty input (none for secrets).
    pub placeholder: &'static str,
}

/// A text field with label, hint and inline error; with `secret`, a
/// write-only secret input (`type=password`, never filled from the edge).
#[component]
pub fn TextField(
    /// Its id, label, hint and placeholder.
    text: FieldText,
    /// The value, written on every keystroke.
    value: RwSignal<String>,
    /// The current problem with the value, if any.
    #[prop(into)]
    error: Signal<Option<FieldError>>,
    /// Lets the form move focus to this input.
    #[prop(optional)]
    node_ref: NodeRef<leptos::html::Input>,
    /// Whether the input is read-only (while a call runs).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// A secret: typed, never shown, not offered for autofill.
    #[prop(optional)]
    secret: bool,
    /// Applies an error's one-click fix; without it, no button is offered.
    #[prop(optional)]
    on_suggestion: Option<Callback<Suggestion>>,
) -> impl IntoView {
    let FieldText {
        id,
        label,
        hint,
        placeholder,
    } = text;
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint_id} {error_id}");
    let (kind, autocomplete) = if secret {
        ("password", "new-password")
    } else {
        ("text", "off")
    };
    view! {
        <div
            class="field"
            class:field-invalid=move || error.with(Option::is_some)
            class:field-suggests=on_suggestion.is_some()
        >
            <label for=id>{label}</label>
            <p class="field-hint" id=hint_id>{hint}</p>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                spellcheck="false"
                autocapitalize="off"
                placeholder=(!placeholder.is_empty()).then_some(placeholder)
                node_ref=node_ref
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
                readonly=move || disabled.get()
            />
            <div class="field-error" id=error_id aria-live="polite">
                {move || error.get().map(|e| {
                    let apply = e.suggestion.zip(on_suggestion).map(|(s, run)| {
                        let label = s.label.clone();
                        view! {
                            <button
                                type="button"
                                class="button field-suggestion"
                                on:click=move |_| run.run(s.clone())
                            >
                                {label}
                            </button>
                        }
                    });
                    view! {
                        <p class="field-error-message">{e.message}</p>
                        <p class="field-error-fix">{e.fix}</p>
                        {apply}
                    }
                })}
            </div>
        </div>
    }
}
