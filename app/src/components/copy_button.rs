//! Copies a text to the clipboard and says so (or says that it could not).

use leptos::prelude::*;
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
    let status = RwSignal::new(String::new());
    let copy = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            let outcome = match web_sys::window() {
                Some(w) => JsFuture::from(w.navigator().clipboard().write_text(&value))
                    .await
                    .map(|_| ()),
                None => Err(wasm_bindgen::JsValue::NULL),
            };
            status.set(match outcome {
                Ok(()) => "Copied".to_owned(),
                Err(_) => "Copy failed: select the text and press Ctrl+C".to_owned(),
            });
        });
    };
    view! {
        <span class="copy">
            <button type="button" class="button button-small" on:click=copy>
                "Copy"<span class="sr-only">" "{what}</span>
            </button>
            <span class="copy-status" role="status">{move || status.get()}</span>
        </span>
    }
}
