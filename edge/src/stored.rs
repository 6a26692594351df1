//! Reads what a Durable Object holds, with one decoder: a JS value (a
//! stored record, or a command the object received) becomes JSON text in
//! the platform (`JSON.stringify`) and `serde_json` reads that text.
//!
//! Records are still written as `serde_wasm_bindgen` made them (`batch`),
//! so the stored bytes are unchanged; only the read side changed. Before,
//! `serde_wasm_bindgen` also decoded every stored type and every command:
//! a second serde decoder family beside the JSON one the worker needs for
//! HTTP answers anyway (issue 15: the worker's upload). The text says what
//! `serde_wasm_bindgen`'s reader would have read from the same value:
//!
//! * `undefined` (how `serde_wasm_bindgen` writes `None`, `()` and unit
//!   structs, also as an object's property) becomes `null`, which
//!   `serde_json` reads as the same `None`/unit — never a dropped key;
//! * a JS `Map` (how it writes maps and `#[serde(flatten)]` structs)
//!   becomes an object with the same entries (keys as strings: the stored
//!   maps have string keys);
//! * numbers, strings, booleans, arrays and objects are JSON already (64-bit
//!   integers were written as safe-integer numbers, never `BigInt`; nothing
//!   stored is written as bytes).

use std::cell::OnceCell;

use js_sys::{JSON, Map, Object};
use serde::de::DeserializeOwned;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::Storage;

thread_local! {
    /// The `JSON.stringify` replacer (one per isolate).
    static REPLACER: OnceCell<Closure<dyn Fn(JsValue, JsValue) -> JsValue>> =
        const { OnceCell::new() };
}

/// `JSON.stringify` replacer: `undefined` → `null`, `Map` → object.
fn plain(_key: JsValue, value: JsValue) -> JsValue {
    if value.is_undefined() {
        return JsValue::NULL;
    }
    match value.dyn_ref::<Map>() {
        Some(map) => Object::from_entries(map).map_or(value, JsValue::from),
        None => value,
    }
}

/// `value` as JSON text (see the module doc).
pub fn json_text(value: &JsValue) -> worker::Result<String> {
    let text = REPLACER.with(|cell| {
        let replacer = cell.get_or_init(|| Closure::new(plain));
        JSON::stringify_with_replacer(value, replacer.as_ref())
    })?;
    Ok(text.into())
}

/// Decodes a JS value into `T` through its JSON text.
pub fn from_js<T: DeserializeOwned>(value: &JsValue) -> worker::Result<T> {
    Ok(serde_json::from_str(&json_text(value)?)?)
}

/// Reads a stored record that may also be JSON text (how records were
/// stored before every value became a serde value).
pub fn record<T: DeserializeOwned>(value: &JsValue) -> worker::Result<T> {
    match value.as_string() {
        Some(text) => Ok(serde_json::from_str(&text)?),
        None => from_js(value),
    }
}

/// The raw value stored under `key` (`undefined` when there is none).
async fn raw(storage: &Storage, key: &str) -> worker::Result<JsValue> {
    Ok(storage
        .get_multiple(vec![key])
        .await?
        .get(&JsValue::from_str(key)))
}

/// The value stored under `key`, if any.
pub async fn get<T: DeserializeOwned>(storage: &Storage, key: &str) -> worker::Result<Option<T>> {
    let value = raw(storage, key).await?;
    if value.is_undefined() {
        return Ok(None);
    }
    Ok(Some(from_js(&value)?))
}

/// The record stored under `key`, if any, stored either way (see
/// [`record`]).
pub async fn get_record<T: DeserializeOwned>(
    storage: &Storage,
    key: &str,
) -> worker::Result<Option<T>> {
    let value = raw(storage, key).await?;
    if value.is_undefined() {
        return Ok(None);
    }
    record(&value).map(Some)
}
