//! Sleeping in the Workers runtime. `worker::Delay` passes `setTimeout`'s
//! answer through a binding that expects a number, which workerd's timer
//! object breaks; this calls `setTimeout` and ignores what it returns.

use wasm_bindgen::{JsCast, JsValue};

/// Resolves after `ms` milliseconds (at once if no timer is available).
pub async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let started = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| {
                #[allow(clippy::cast_precision_loss)]
                let delay = JsValue::from_f64(ms as f64);
                f.call2(&global, &resolve, &delay).ok()
            });
        if started.is_none() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
