//! `GET /api/sign-in?return_to=/path`: sends the admin to RedApp's sign-in
//! page, which comes back to this worker's `return_to` with `#session=<jwt>`.
//! Only paths of this worker are accepted, so the route cannot be used to
//! send anyone elsewhere (open redirect).

use worker::{Headers, Request, Response, Url};

use super::{Answer, Ctx};
use crate::config;
use crate::error::EdgeError;

/// Var: RedApp's sign-in page.
const REDAPP_SIGN_IN_URL: &str = "REDAPP_SIGN_IN_URL";

/// A same-origin path: starts with one `/` (not `//`, not `/\`), no scheme,
/// no control characters, bounded length.
fn same_origin_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && p.len() <= 2048
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// `GET`: 302 to RedApp's sign-in page with `return_to` = own origin + path.
pub fn get(req: Request, ctx: Ctx) -> Answer {
    let url = req.url()?;
    let path = url
        .query_pairs()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| "/".to_owned());
    if !same_origin_path(&path) {
        return Err(EdgeError::field(
            "return_to",
            "must be a path of this console, starting with a single /",
        ));
    }
    let origin = config::own_origin(&ctx.env)?;
    let mut target = Url::parse(config::var(&ctx.env, REDAPP_SIGN_IN_URL)?.trim())
        .map_err(|_| EdgeError::Config(REDAPP_SIGN_IN_URL))?;
    target
        .query_pairs_mut()
        .append_pair("return_to", &format!("{origin}{path}"));
    // Not Response::redirect: its headers are immutable, and the router
    // adds CORS headers to every /api/ answer.
    let headers = Headers::new();
    headers.set("Location", target.as_str())?;
    headers.set("Cache-Control", "no-store")?;
    Ok(Response::empty()?.with_status(302).with_headers(headers))
}
