//! The command wire between the worker and its Durable Objects: one JSON
//! object per command, `{"op": "<variant>", ...fields}` (`{"op": "view"}`,
//! `{"op": "start", "actor": …, …}`), unchanged since the commands were
//! internally tagged serde enums.
//!
//! The `Command` enums are now externally tagged for serde (`"view"`,
//! `{"start": {…}}`): serde decodes that form directly, while an internally
//! tagged enum buffers every command into serde's `Content` tree first and
//! decodes each variant a second time from it — about 26 KiB of the gzip
//! upload (issue 15). The two non-generic functions below move the `op`
//! key between the two forms, so the bytes between worker and object stay
//! exactly what they were: a worker and an object of different versions
//! (a deploy in progress) still understand each other.

use js_sys::{Object, Reflect};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use worker::Request;

const OP: &str = "op";

/// `command` as the wire's JSON text.
pub fn encode<C: Serialize>(command: &C) -> Result<String, serde_json::Error> {
    serde_json::to_string(&tagged(serde_json::to_value(command)?))
}

/// The name a Durable Object's request is addressed to: the first segment of
/// its path (`https://durable-object/<name>`, [`crate::do_client`]). From the
/// path workers-rs already cut from the URL, without parsing the URL again.
pub fn addressee(req: &Request) -> String {
    let path = req.path();
    let name = path.strip_prefix('/').unwrap_or(&path);
    name.split('/').next().unwrap_or_default().to_owned()
}

/// The command in a Durable Object's request body.
pub async fn decode<C: DeserializeOwned>(req: &mut Request) -> worker::Result<C> {
    let value = js_sys::JSON::parse(&req.text().await?)?;
    crate::stored::from_js(&untagged(value))
}

/// `"view"` → `{"op": "view"}`; `{"start": {…}}` → `{"op": "start", …}`.
fn tagged(value: Value) -> Value {
    match value {
        Value::String(op) => Value::Object(Map::from_iter([(OP.to_owned(), Value::String(op))])),
        Value::Object(outer) if outer.len() == 1 => {
            let Some((op, inner)) = outer.into_iter().next() else {
                return Value::Object(Map::new());
            };
            match inner {
                Value::Object(mut fields) => {
                    fields.insert(OP.to_owned(), Value::String(op));
                    Value::Object(fields)
                }
                other => Value::Object(Map::from_iter([(op, other)])),
            }
        }
        other => other,
    }
}

/// `{"op": "view"}` → `"view"`; `{"op": "start", …}` → `{"start": {…}}`.
/// Anything else is left as it is (serde then refuses it, as before).
fn untagged(value: JsValue) -> JsValue {
    let Some(fields) = value.dyn_ref::<Object>() else {
        return value;
    };
    let key = JsValue::from_str(OP);
    let Some(op) = Reflect::get(fields, &key).ok().and_then(|v| v.as_string()) else {
        return value;
    };
    if Reflect::delete_property(fields, &key).is_err() {
        return value;
    }
    if Object::keys(fields).length() == 0 {
        return JsValue::from_str(&op);
    }
    let outer = Object::new();
    if Reflect::set(&outer, &JsValue::from_str(&op), fields).is_err() {
        return value;
    }
    outer.into()
}
