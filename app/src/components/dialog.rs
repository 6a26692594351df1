//! A modal dialog on the native `<dialog>` (`showModal`: the rest of the page
//! is inert), with Tab kept inside, Escape to close, focus moved in on open
//! and given back to what had it on close.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What can take focus inside a dialog.
const FOCUSABLE: &str = "button:not([disabled]), a[href], input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

fn focusables(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        // Skip what is not rendered (hidden parts of the dialog).
        .filter(|e| e.offset_parent().is_some())
        .collect()
}

fn active_element() -> Option<web_sys::HtmlElement> {
    document()
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
}

/// A modal dialog whose accessible name is its title.
#[component]
pub fn Dialog(
    /// Open when `true`; the dialog sets it to `false` on Escape.
    open: RwSignal<bool>,
    /// Unique id; the title's id derives from it.
    id: &'static str,
    /// The heading, also the dialog's accessible name.
    #[prop(into)]
    title: Signal<String>,
    /// The dialog's content, buttons included.
    children: ChildrenFn,
) -> impl IntoView {
    let dialog_ref = NodeRef::<html::Dialog>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();

    Effect::new(move |_| {
        let want = open.get();
        let Some(dialog) = dialog_ref.get() else {
            return;
        };
        if want && !dialog.open() {
            opener.set_value(active_element());
            if dialog.show_modal().is_err() {
                // Not connected to the document: fall back to non-modal.
                dialog.set_open(true);
            }
            let el: &web_sys::HtmlElement = &dialog;
            let autofocus = el
                .query_selector("[autofocus]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(target) = autofocus.or_else(|| focusables(el).into_iter().next()) {
                let _focused = target.focus();
            }
        } else if !want && dialog.open() {
            dialog.close();
            if let Some(prev) = opener.get_value()
                && prev.is_connected()
            {
                let _focused = prev.focus();
            }
        }
    });

    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = dialog_ref.get() else {
            return;
        };
        let items = focusables(&dialog);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            ev.prevent_default();
            return;
        };
        let active = active_element();
        let on = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == e);
        let inside = items.iter().any(on);
        if ev.shift_key() && (on(first) || !inside) {
            ev.prevent_default();
            let _focused = last.focus();
        } else if !ev.shift_key() && (on(last) || !inside) {
            ev.prevent_default();
            let _focused = first.focus();
        }
    };

    view! {
        <dialog
            id=id
            class="dialog"
            node_ref=dialog_ref
            aria-labelledby=labelled_by
            on:keydown=on_keydown
            on:cancel=move |ev: web_sys::Event| {
                // Escape: close through our state so focus goes back.
                ev.prevent_default();
                open.set(false);
            }
        >
            <div class="dialog-body">
                <h2 id=title_id class="dialog-title">{move || title.get()}</h2>
                {children()}
            </div>
        </dialog>
    }
}

/// A confirmation before something that cannot be undone.
#[component]
pub fn ConfirmDialog(
    /// Open when `true`.
    open: RwSignal<bool>,
    /// Unique id.
    id: &'static str,
    /// The question, e.g. "Cancel pending setup?".
    title: &'static str,
    /// What will and will not happen.
    #[prop(into)]
    message: Signal<String>,
    /// The confirming button's label.
    confirm_label: &'static str,
    /// The label of the button that changes nothing.
    dismiss_label: &'static str,
    /// Called when the admin confirms (the dialog closes first).
    on_confirm: Callback<()>,
) -> impl IntoView {
    view! {
        <Dialog open=open id=id title=title.to_owned()>
            <p>{move || message.get()}</p>
            <div class="actions">
                <button type="button" class="button" autofocus on:click=move |_| open.set(false)>
                    {dismiss_label}
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {confirm_label}
                </button>
            </div>
        </Dialog>
    }
}
