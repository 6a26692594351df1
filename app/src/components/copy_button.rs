//! Copies a text to the clipboard and says so (or says that it could not).

use leptos::prelude::*;

use crate::job::Job;
use wasm_bindgen_futures::JsFuture;

/// A "Copy …" button with a polite status next to it.
#[component]
pub fn CopyButton(
    /// The text to copy.
    #[prop(into)]
    text: Signal<String>,
    /// What is copied, for the accessible name ("Copy <what>").
    #[prop(into)]
    what: String,
) -> impl IntoView {
    let copy = Job::new(move |value: &String| {
        let value = value.clone();
        async move {
            let window = web_sys::window().ok_or(())?;
            JsFuture::from(window.navigator().clipboard().write_text(&value))
                .await
                .map(|_| ())
                .map_err(|_| ())
        }
    });
    let status = move || {
        copy.value().get().map(|outcome| match outcome {
            Ok(()) => "Copied",
            Err(()) => "Copy failed: select the text and press Ctrl+C",
        })
    };
    view! {
        <span class="copy">
            <button type="button" class="button button-small" on:click=move |_| { copy.dispatch(text.get_untracked()); }>
                "Copy"<span class="sr-only">" "{what}</span>
            </button>
            <span class="copy-status" role="status">{status}</span>
        </span>
    }
}
