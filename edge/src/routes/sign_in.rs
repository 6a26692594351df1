//! `GET /api/sign-in?return_to=/path&state=…`: sends the admin to RedApp's
//! sign-in page, which comes back to this worker's `return_to` with
//! `#session=<jwt>&state=…`. Only paths of this worker are accepted, so the
//! route cannot be used to send anyone elsewhere (open redirect). `state` is
//! the console's random sign-in state (kept in the tab's `sessionStorage`):
//! the console takes a session from the fragment only with its own state,
//! so a link carrying someone else's session is ignored (login CSRF).
//! `prompt=login` asks RedApp for a fresh sign-in (a recent `auth_time`).

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

/// A sign-in state: 16 to 128 URL-safe base64 characters.
fn valid_state(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET`: 302 to RedApp's sign-in page with `return_to` = own origin + path,
/// the console's `state`, and `prompt=login` when asked for.
pub fn get(req: Request, ctx: Ctx) -> Answer {
    let url = req.url()?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let path = query("return_to").unwrap_or_else(|| "/".to_owned());
    if !same_origin_path(&path) {
        return Err(EdgeError::field(
            "return_to",
            "must be a path of this console, starting with a single /",
        ));
    }
    let state = query("state");
    if state.as_deref().is_some_and(|s| !valid_state(s)) {
        return Err(EdgeError::field(
            "state",
            "must be 16 to 128 letters, digits, '-' or '_'",
        ));
    }
    let prompt = match query("prompt").as_deref() {
        None => None,
        Some("login") => Some("login"),
        Some(_) => return Err(EdgeError::field("prompt", "must be login")),
    };
    let origin = config::own_origin(&ctx.env)?;
    let mut target = Url::parse(config::var(&ctx.env, REDAPP_SIGN_IN_URL)?.trim())
        .map_err(|_| EdgeError::Config(REDAPP_SIGN_IN_URL))?;
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("return_to", &format!("{origin}{path}"));
        if let Some(state) = &state {
            pairs.append_pair("state", state);
        }
        if let Some(prompt) = prompt {
            pairs.append_pair("prompt", prompt);
        }
    }
    // Not Response::redirect: its headers are immutable, and the router
    // adds CORS headers to every /api/ answer.
    let headers = Headers::new();
    headers.set("Location", target.as_str())?;
    headers.set("Cache-Control", "no-store")?;
    Ok(Response::empty()?.with_status(302).with_headers(headers))
}
