//! Commands for each tool an Azure admin may use (Azure CLI, Azure
//! PowerShell, Terraform, Bicep) as tabs: one tab shown at a time, each
//! block with its copy button, the tab's note under it. ARIA tabs: the
//! selected tab is in the tab order, the arrow keys (and Home/End) move
//! between tabs.

use keyswitch_shared::commands::{CommandBlock, CommandTab};
use leptos::prelude::*;

use wasm_bindgen::JsCast;

use crate::components::copy_button::CopyButton;

/// Moves focus to the (rendered) element with `id`.
fn focus_element_by_id(id: &str) {
    if let Some(el) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _focused = el.focus();
    }
}

/// The tabs, `id` naming this set (unique on the page).
#[component]
pub fn CommandTabs(
    /// Prefix of the element ids (unique on the page).
    #[prop(into)]
    id: String,
    /// What the commands do, for the tab list's accessible name.
    #[prop(into)]
    label: String,
    /// The tabs, in order.
    tabs: Vec<CommandTab>,
    /// The selected tab's index, when the caller keeps it (tabs rebuilt
    /// as values are typed stay on the tool the admin chose).
    #[prop(optional)]
    selected: Option<RwSignal<usize>>,
) -> impl IntoView {
    let selected = selected.unwrap_or_else(|| RwSignal::new(0usize));
    if selected.get_untracked() >= tabs.len() {
        selected.set(0);
    }
    let count = tabs.len();
    let tab_id = {
        let id = id.clone();
        move |i: usize| format!("{id}-tab-{i}")
    };
    let panel_id = {
        let id = id.clone();
        move |i: usize| format!("{id}-panel-{i}")
    };
    let go = {
        let tab_id = tab_id.clone();
        move |i: usize| {
            selected.set(i);
            focus_element_by_id(&tab_id(i));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let now = selected.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowRight" => (now + 1) % count.max(1),
            "ArrowLeft" => (now + count.max(1) - 1) % count.max(1),
            "Home" => 0,
            "End" => count.saturating_sub(1),
            _ => return,
        };
        ev.prevent_default();
        go(next);
    };
    let buttons = tabs
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let title = tab.tool.title();
            view! {
                <button
                    type="button"
                    role="tab"
                    class="command-tab"
                    id=tab_id(i)
                    aria-controls=panel_id(i)
                    aria-selected=move || if selected.get() == i { "true" } else { "false" }
                    tabindex=move || if selected.get() == i { "0" } else { "-1" }
                    data-tool=format!("{:?}", tab.tool)
                    on:click=move |_| selected.set(i)
                >
                    {title}
                </button>
            }
        })
        .collect_view();
    let panels = tabs
        .into_iter()
        .enumerate()
        .map(|(i, tab)| {
            let title = tab.tool.title();
            let many = tab.blocks.len() > 1;
            let blocks = tab
                .blocks
                .into_iter()
                .enumerate()
                .map(|(n, b)| block(title, n, many, b))
                .collect_view();
            view! {
                <div
                    role="tabpanel"
                    class="command-panel"
                    id=panel_id(i)
                    aria-labelledby=tab_id(i)
                    tabindex="0"
                    hidden=move || selected.get() != i
                >
                    {blocks}
                    {tab.note.map(|n| view! { <p class="muted command-note">{n}</p> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="command-tabs" id=id>
            <div role="tablist" aria-label=label class="command-tablist" on:keydown=on_key>
                {buttons}
            </div>
            {panels}
        </div>
    }
}

/// One block: its label (a file to save, or commands to run), the text and
/// its copy button.
fn block(tool: &'static str, n: usize, many: bool, b: CommandBlock) -> impl IntoView {
    let what = match (&b.file, many) {
        (Some(file), _) => format!("the {tool} file {file}"),
        (None, true) => format!("the {tool} commands, part {}", n + 1),
        (None, false) => format!("the {tool} commands"),
    };
    let text = b.text.clone();
    view! {
        <p class="command-label">{b.label}</p>
        <div class="code-block" data-lang=format!("{:?}", b.lang)>
            <pre><code>{b.text}</code></pre>
            <CopyButton text=text what=what/>
        </div>
    }
}
