//! Saving text the console received as a file in the admin's browser,
//! through a temporary object URL (nothing is kept by the console).

use wasm_bindgen::JsCast;

use crate::api::ApiError;

/// Saves `text` as the file `name` of media type `mime`.
pub fn save_text(name: &str, mime: &str, text: &str) -> Result<(), ApiError> {
    let fail = |what: &str| ApiError::Local(format!("the file could not be saved: {what}"));
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| fail("blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("url"))?;
    let anchor: web_sys::HtmlAnchorElement = leptos::prelude::document()
        .create_element("a")
        .map_err(|_| fail("link"))?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _revoked = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
