//! A labelled text or secret input with its hint and an inline error that
//! names the fix. The error area is always present and keeps a fixed height
//! (public/app.css: lines for the message, the fix and, on a field that
//! offers one, the one-click fix), so an error appearing never moves what
//! follows the field, at any width; screen readers hear the whole text. A
//! text taller than the area (a long fix on a phone) shows its first lines
//! and a "Show the whole fix" button: only that click makes the area grow.

use keyswitch_shared::validation::Suggestion;
use leptos::html;
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
    // Whether the error's text is taller than its area (measured by the
    // browser after layout, again when the window changes size), and whether
    // the admin asked to see all of it.
    let area_ref = NodeRef::<html::Div>::new();
    let text_ref = NodeRef::<html::Div>::new();
    let clipped = RwSignal::new(false);
    let open = RwSignal::new(false);
    // Runs a frame later: the field may be gone by then (a dialog closed),
    // so nothing here may assume its signals still exist.
    let measure = move || {
        if open.try_get_untracked() != Some(false) {
            return;
        }
        let area = area_ref.try_get_untracked().flatten();
        let text = text_ref.try_get_untracked().flatten();
        if let (Some(area), Some(text)) = (area, text) {
            // The text against the whole area (the button's line included),
            // so a text that fits without the button shows none.
            let _ = clipped.try_set(text.scroll_height() > area.client_height() + 1);
        }
    };
    Effect::new(move |_| {
        error.track();
        open.set(false);
        request_animation_frame(measure);
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let more_controls = error_id.clone();
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
            <div
                class="field-error"
                node_ref=area_ref
                class:field-error-clipped=move || clipped.get() && !open.get()
                class:field-error-open=move || open.get()
            >
                <div class="field-error-text" id=error_id aria-live="polite" node_ref=text_ref>
                    {move || error.get().map(|e| {
                        // The one-click fix comes before the explanation, so
                        // it stays in view when the text is cut short.
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
                            {apply}
                            <p class="field-error-fix">{e.fix}</p>
                        }
                    })}
                </div>
                {move || clipped.get().then(|| {
                    let controls = more_controls.clone();
                    view! {
                        <button
                            type="button"
                            class="field-error-more"
                            aria-controls=controls
                            aria-expanded=move || if open.get() { "true" } else { "false" }
                            on:click=move |_| open.update(|o| *o = !*o)
                        >
                            {move || if open.get() { "Show less" } else { "Show the whole fix" }}
                        </button>
                    }
                })}
            </div>
        </div>
    }
}
