//! Helpers shared by the component tests: mount a view into a fresh host,
//! type into inputs like a person, wait for effects, read text.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Mounts `view` into a new `<div>` appended to the body.
pub fn mount<F, V>(view: F) -> web_sys::HtmlElement
where
    F: FnOnce() -> V + 'static,
    V: IntoView + 'static,
{
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let host: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    leptos::mount::mount_to(host.clone(), view).forget();
    host
}

/// Lets effects and microtasks run.
pub async fn tick() {
    sleep(10).await;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("timeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("timer");
}

/// The element matching `selector` inside `host`.
pub fn find(host: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    host.query_selector(selector)
        .expect("valid selector")
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into()
}

/// All elements matching `selector` inside `host`.
pub fn find_all(host: &web_sys::HtmlElement, selector: &str) -> Vec<web_sys::HtmlElement> {
    let list = host.query_selector_all(selector).expect("valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(JsCast::unchecked_into)
        .collect()
}

/// Text content of the element matching `selector`.
pub fn text(host: &web_sys::HtmlElement, selector: &str) -> String {
    find(host, selector).text_content().unwrap_or_default()
}

/// Types `value` into the input with `id`, firing `input` as a browser does.
pub async fn type_into(host: &web_sys::HtmlElement, id: &str, value: &str) {
    let input: web_sys::HtmlInputElement = find(host, &format!("#{id}")).unchecked_into();
    input.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    input.dispatch_event(&ev).expect("dispatch");
    tick().await;
}

/// Clicks the first element matching `selector`.
pub async fn click(host: &web_sys::HtmlElement, selector: &str) {
    find(host, selector).click();
    tick().await;
}

/// Clicks the button whose text is `label`.
pub async fn click_button(host: &web_sys::HtmlElement, label: &str) {
    let button = find_all(host, "button")
        .into_iter()
        .find(|b| {
            b.text_content()
                .unwrap_or_default()
                .trim()
                .starts_with(label)
        })
        .unwrap_or_else(|| panic!("no button {label}"));
    button.click();
    tick().await;
}

/// The id of the focused element.
pub fn active_id() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .map(|e| e.id())
        .unwrap_or_default()
}

/// The value of the input with `id`.
pub fn input_value(host: &web_sys::HtmlElement, id: &str) -> String {
    find(host, &format!("#{id}"))
        .dyn_into::<web_sys::HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}
