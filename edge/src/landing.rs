//! The HTML landing page of the admin-consent callback: says what happened
//! and what to do next, tells an opener (popup case) through `postMessage`
//! to the worker's own origin, and links back to Manage KMS (full page).

use keyswitch_shared::ErrorBody;
use serde_json::json;
use worker::{Env, Response};

use crate::error::EdgeError;

/// What the page reports.
pub struct Landing<'a> {
    /// The company whose setup the callback belonged to, when known.
    pub company: Option<&'a str>,
    /// The vault's name, when known.
    pub vault_name: Option<&'a str>,
    /// `None` on success.
    pub error: Option<(u16, ErrorBody)>,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe to embed in a `<script>`.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A failure as the console shows one: an error notice with the catalog's
/// message in its title and the detail (if any) under it.
fn failure(message: &str, detail: Option<&str>) -> String {
    let detail = detail
        .map(|d| format!("<p class=\"notice-detail\">{}</p>", esc(d)))
        .unwrap_or_default();
    format!(
        "<div class=\"notice notice-error\" role=\"alert\"><p class=\"notice-title\">{}</p>{detail}</div>",
        esc(message)
    )
}

/// Renders the page with its own security headers.
pub fn render(env: &Env, page: &Landing<'_>) -> Result<Response, EdgeError> {
    let origin = crate::config::own_origin(env)?;
    let back = match page.company {
        Some(c) => format!("{origin}/companies/{c}/kms"),
        None => format!("{origin}/"),
    };
    let (status, title, body_html, message) = match &page.error {
        None => {
            let vault = page.vault_name.unwrap_or("your vault");
            (
                200,
                "Admin consent granted".to_owned(),
                format!(
                    "<p>The CyberSentriq KMS Connector now has admin consent in your Microsoft Entra tenant. \
                     A service principal called <b>CyberSentriq KMS Connector</b> now appears under Enterprise applications.</p>\
                     <h2>What to do next</h2><ol>\
                     <li>Ask your Azure admin to assign the <b>Key Vault Crypto User</b> role to the CyberSentriq KMS Connector service principal on the vault <b>{}</b> (Manage KMS shows the exact steps).</li>\
                     <li>Back in Manage KMS, click <b>Completed</b> and wait for the green confirmation.</li></ol>",
                    esc(vault)
                ),
                json!({"type": "keyswitch:admin-consent", "status": "granted", "company": page.company}),
            )
        }
        Some((status, e)) => (
            *status,
            "Admin consent was not completed".to_owned(),
            format!(
                "{}<h2>What to do next</h2><p>{}</p>\
                     <p>Nothing about your current encryption has changed.</p>",
                failure(&e.message, e.detail.as_deref()),
                esc(&e.fix)
            ),
            json!({"type": "keyswitch:admin-consent", "status": "failed", "code": e.code, "company": page.company}),
        ),
    };
    finish(env, status, &title, &body_html, &message, &back)
}

/// A verification landing page: what happened to which tenant, what next.
pub struct VerificationLanding<'a> {
    /// The company, when the state was genuine.
    pub company: Option<&'a str>,
    /// "Microsoft 365 tenant …" / "Google Workspace customer …".
    pub tenant: Option<String>,
    /// `None` on success.
    pub error: Option<(u16, ErrorBody)>,
    /// Every tenant is verified and the switch is being finalized.
    pub finalizing: bool,
    /// The verification reopened the one-time export.
    pub export_open: bool,
}

/// Renders the landing page of a tenant verification.
pub fn render_verification(
    env: &Env,
    page: &VerificationLanding<'_>,
) -> Result<Response, EdgeError> {
    let origin = crate::config::own_origin(env)?;
    let back = match page.company {
        Some(c) => format!("{origin}/companies/{c}/kms"),
        None => format!("{origin}/"),
    };
    let tenant = page.tenant.as_deref().unwrap_or("The tenant");
    let (status, title, body_html, message) = match &page.error {
        None => {
            let next = if page.finalizing {
                "<p>Every tenant is now verified. keyswitch is finishing the switch on its own: your backup encryption keys are being re-protected with your Azure Key Vault key. Manage KMS shows the progress.</p>"
            } else if page.export_open {
                "<p>Every tenant is verified again. You can export the company encryption key once from Manage KMS.</p>"
            } else {
                "<p>Verify the remaining tenants in Manage KMS; the switch finishes by itself when all are verified.</p>"
            };
            (
                200,
                "Tenant verified".to_owned(),
                format!(
                    "<p><b>{}</b> is verified.</p><h2>What to do next</h2>{next}",
                    esc(tenant)
                ),
                json!({"type": "keyswitch:tenant-verification", "status": "verified", "company": page.company, "finalizing": page.finalizing}),
            )
        }
        Some((status, e)) => (
            *status,
            "The tenant was not verified".to_owned(),
            format!(
                "<p><b>{}</b> stays unverified.</p>{}<h2>What to do next</h2><p>{}</p>\
                     <p>Nothing about your current encryption has changed.</p>",
                esc(tenant),
                failure(&e.message, e.detail.as_deref()),
                esc(&e.fix)
            ),
            json!({"type": "keyswitch:tenant-verification", "status": "failed", "code": e.code, "company": page.company}),
        ),
    };
    finish(env, status, &title, &body_html, &message, &back)
}

fn finish(
    env: &Env,
    status: u16,
    title: &str,
    body_html: &str,
    message: &serde_json::Value,
    back: &str,
) -> Result<Response, EdgeError> {
    let origin = crate::config::own_origin(env)?;
    let mut nonce_bytes = [0u8; 16];
    getrandom::fill(&mut nonce_bytes)?;
    let nonce = hex::encode(nonce_bytes);
    // The console's own stylesheet (public/app.css, served unhashed as
    // /app.css by the worker's static assets): same colours, both colour
    // schemes, focus rings and buttons as the console. The opener is told
    // first, by a script *before* the stylesheet: a script after it would
    // wait for the stylesheet to load, and a popup closed quickly would
    // never tell Manage KMS.
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{title} · keyswitch</title>\
         <script nonce=\"{nonce}\">(function(){{var m={msg};var o={origin_js};\
         if(window.opener&&!window.opener.closed){{try{{window.opener.postMessage(m,o);\
         document.addEventListener('DOMContentLoaded',function(){{var n=document.getElementById('popup-note');if(n){{n.hidden=false;}}}});}}catch(e){{}}}}}})();</script>\
         <link rel=\"stylesheet\" href=\"/app.css\">\
         </head><body><header class=\"topbar\"><span class=\"brand\">RedApp</span>\
         <span class=\"nav-item\">Key Management</span></header>\
         <main class=\"page landing\"><div class=\"card\"><h1>{title}</h1>{body_html}\
         <p id=\"popup-note\" class=\"muted\" hidden>This window can be closed; Manage KMS continues in the window you came from.</p>\
         <p class=\"actions\"><a class=\"button button-primary\" href=\"{back}\">Back to Manage KMS</a></p></div></main>\
         </body></html>",
        title = esc(title),
        back = esc(back),
        msg = script_json(message),
        origin_js = script_json(&json!(origin)),
    );
    let resp = Response::from_html(html)?.with_status(status);
    let frame_ancestors = std::iter::once("'self'".to_owned())
        .chain(crate::config::allowed_origins(env))
        .collect::<Vec<_>>()
        .join(" ");
    let h = resp.headers();
    h.set(
        "Content-Security-Policy",
        &format!(
            "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
        ),
    )?;
    h.set("Referrer-Policy", "no-referrer")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    h.set("Cache-Control", "no-store")?;
    Ok(resp)
}
