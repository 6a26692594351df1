//! HTML: the shared page layout, the user-picker cards and the index page.

use axum::extract::State;
use axum::response::Html;

use crate::server::Origin;
use crate::state::{AppState, BackupSet, Material, PermissionModel, directory_role_name};
use crate::util::{html_escape as esc, lock, now};

const CSS: &str = r#"
body{margin:0;font-family:"Segoe UI",system-ui,-apple-system,sans-serif;background:#f3f2f1;color:#1b1b1b}
.wrap{max-width:980px;margin:0 auto;padding:24px}
.brand{font-weight:600;font-size:15px;display:flex;align-items:center;gap:8px;margin-bottom:16px}
.brand i{display:inline-block;width:18px;height:18px;border-radius:3px}
.card{background:#fff;border-radius:6px;box-shadow:0 2px 6px rgba(0,0,0,.12);padding:28px 32px;margin:0 auto 18px;max-width:520px}
.wide{max-width:none}
h1{font-size:22px;font-weight:600;margin:0 0 12px}
h2{font-size:17px;margin:22px 0 8px}
p{line-height:1.45}
.muted{color:#605e5c;font-size:13px}
.err{color:#a4262c;font-weight:600}
.users{display:flex;flex-direction:column;gap:10px;margin:16px 0}
.user{display:flex;justify-content:space-between;align-items:center;border:1px solid #e1dfdd;border-radius:4px;padding:10px 14px}
.user .who{display:flex;flex-direction:column}
.user .upn{color:#605e5c;font-size:13px}
.badge{display:inline-block;background:#deecf9;color:#004578;border-radius:10px;padding:1px 8px;font-size:12px;margin:3px 4px 0 0}
.badge.none{background:#f3f2f1;color:#605e5c}
button{font:inherit;border:0;border-radius:2px;padding:7px 16px;cursor:pointer;background:#0067b8;color:#fff}
button.secondary{background:#e1dfdd;color:#1b1b1b}
.google button{background:#1a73e8;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:14px;margin-bottom:8px}
th,td{border-bottom:1px solid #e1dfdd;text-align:left;padding:6px 8px;vertical-align:top}
code{background:#f3f2f1;padding:1px 4px;border-radius:3px;font-size:13px}
ul.perm{padding-left:18px}
"#;

/// Wraps `body` in the page layout; `brand` is `entra`, `google` or `sim`.
pub fn layout(title: &str, brand: &str, body: &str) -> String {
    let (label, colors) = match brand {
        "entra" => (
            "Microsoft",
            "linear-gradient(90deg,#f25022 50%,#7fba00 50%)",
        ),
        "google" => (
            "Google",
            "conic-gradient(#4285f4 0 25%,#34a853 0 50%,#fbbc05 0 75%,#ea4335 0)",
        ),
        _ => ("keyswitch-sim", "#605e5c"),
    };
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>{title}</title><style>{CSS}</style></head>
<body class="{brand}"><div class="wrap"><div class="brand"><i style="background:{colors}"></i>{label} <span class="muted">(simulated by keyswitch-sim)</span></div>
{body}</div></body></html>"#,
        title = esc(title),
    )
}

/// Hidden inputs carrying the original request parameters through a form post.
pub fn hidden_fields(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(k, _)| k != "user" && k != "action")
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                esc(k),
                esc(v)
            )
        })
        .collect()
}

/// One user card with a submit button named `button` (`user` posted as the user id).
pub fn user_card(
    hidden: &str,
    user_id: &str,
    name: &str,
    sub: &str,
    badges: &[String],
    button: &str,
) -> String {
    let badges = if badges.is_empty() {
        r#"<span class="badge none">no admin role</span>"#.to_owned()
    } else {
        badges
            .iter()
            .map(|b| format!(r#"<span class="badge">{}</span>"#, esc(b)))
            .collect()
    };
    format!(
        r#"<form method="post" class="user"><div class="who"><strong>{}</strong><span class="upn">{}</span><div>{badges}</div></div>{hidden}<input type="hidden" name="user" value="{}"><input type="hidden" name="action" value="accept"><button type="submit">{}</button></form>"#,
        esc(name),
        esc(sub),
        esc(user_id),
        esc(button)
    )
}

/// The "Cancel" form.
pub fn cancel_form(hidden: &str) -> String {
    format!(
        r#"<form method="post">{hidden}<input type="hidden" name="action" value="cancel"><button type="submit" class="secondary">Cancel</button></form>"#
    )
}

fn ts(t: Option<i64>) -> String {
    t.map(crate::util::rfc3339)
        .unwrap_or_else(|| "—".to_owned())
}

/// `GET /`: everything a person needs to try the product against the simulator.
pub async fn index(State(sim): State<AppState>, Origin(origin): Origin) -> Html<String> {
    let w = lock(&sim.world);
    let mut b = String::new();
    b.push_str(r#"<div class="card wide"><h1>keyswitch-sim</h1><p>Simulated Microsoft Entra ID, Azure Key Vault, Google and the RedApp backup inventory. Control API: <code>/_control/…</code> (JSON), request log: <a href="/_control/requests"><code>/_control/requests</code></a>.</p>"#);
    b.push_str(&format!(
        "<h2>Base URLs</h2><table><tr><th>Stands for</th><th>Use</th></tr>\
<tr><td>https://login.microsoftonline.com</td><td><code>{o}/entra</code></td></tr>\
<tr><td>https://{{vault-host}}/…</td><td><code>{o}/kv/{{vault-host}}/…</code></td></tr>\
<tr><td>https://accounts.google.com</td><td><code>{o}/google/accounts</code></td></tr>\
<tr><td>https://oauth2.googleapis.com/token</td><td><code>{o}/google/oauth2/token</code></td></tr>\
<tr><td>https://admin.googleapis.com</td><td><code>{o}/google/admin</code></td></tr>\
<tr><td>https://www.googleapis.com/oauth2/v3/certs</td><td><code>{o}/google/oauth2/v3/certs</code></td></tr>\
<tr><td>RedApp API</td><td><code>{o}/redapp</code></td></tr></table>",
        o = esc(&origin)
    ));
    if let Some(c) = &w.connector {
        b.push_str(&format!(
            "<h2>The product's app: {}</h2><table><tr><th>client id</th><td><code>{}</code></td></tr><tr><th>secret</th><td><code>{}</code> (env <code>SIM_CONNECTOR_SECRET</code>)</td></tr><tr><th>redirect URIs</th><td>{}</td></tr><tr><th>consented in</th><td>{}</td></tr></table>",
            esc(&c.name),
            esc(&c.client_id),
            esc(&c.secret),
            if c.redirect_uris.is_empty() { "none registered (start with --redirect-uri)".to_owned() } else { c.redirect_uris.iter().map(|u| format!("<code>{}</code>", esc(u))).collect::<Vec<_>>().join("<br>") },
            {
                let list: Vec<String> = w
                    .service_principals
                    .iter()
                    .filter(|sp| sp.app_id == c.client_id)
                    .map(|sp| format!("{} (service principal <code>{}</code>)", esc(&sp.tenant_id), esc(&sp.object_id)))
                    .collect();
                if list.is_empty() { "no tenant yet — grant admin consent".to_owned() } else { list.join("<br>") }
            }
        ));
    }
    b.push_str("<h2>Entra tenants and users</h2><p class=\"muted\">On the Microsoft sign-in/consent pages pick a <b>Global Administrator</b> or <b>Privileged Role Administrator</b> to grant admin consent; anyone else gets the real error.</p><table><tr><th>Tenant</th><th>User</th><th>Roles</th></tr>");
    for t in &w.tenants {
        for u in w.users.iter().filter(|u| u.tenant_id == t.id) {
            let roles: Vec<&str> = u.roles.iter().map(|r| directory_role_name(r)).collect();
            b.push_str(&format!(
                "<tr><td>{} <code>{}</code><br><span class=muted>{}</span></td><td>{}<br><code>{}</code></td><td>{}</td></tr>",
                esc(&t.name),
                esc(&t.id),
                esc(&t.domain),
                esc(&u.name),
                esc(&u.upn),
                if roles.is_empty() { "—".to_owned() } else { esc(&roles.join(", ")) }
            ));
        }
    }
    b.push_str("</table><h2>Customer apps (service principals with a secret)</h2><table><tr><th>App</th><th>client id</th><th>tenant</th><th>secret</th><th>expires</th></tr>");
    for a in &w.customer_apps {
        for s in &a.secrets {
            b.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}{}</td></tr>",
                esc(&a.name),
                esc(&a.client_id),
                esc(&a.tenant_id),
                esc(&s.value),
                ts(Some(s.expires_at)),
                if s.expires_at <= now() { " <b>(expired)</b>" } else { "" }
            ));
        }
    }
    b.push_str("</table><h2>Key vaults</h2>");
    for v in &w.vaults {
        b.push_str(&format!(
            "<p><b>{}</b> — <code>https://{}</code> · tenant <code>{}</code> · {} · worker URL <code>{}/kv/{}</code>{}</p><table><tr><th>Key</th><th>Type</th><th>Versions</th><th>State</th></tr>",
            esc(&v.name),
            esc(&v.host),
            esc(&v.tenant_id),
            match v.model { PermissionModel::Rbac => "Azure RBAC", PermissionModel::AccessPolicy => "vault access policy" },
            esc(&origin),
            esc(&v.host),
            if v.aliases.is_empty() { String::new() } else { format!(" · aliases {}", esc(&v.aliases.join(", "))) }
        ));
        for (name, k) in &v.keys {
            if let Some(l) = k.latest() {
                let size = match &l.material {
                    Material::Rsa(r) => format!(" {}", r.bits()),
                    Material::Ec { crv, .. } => format!(" {crv}"),
                };
                b.push_str(&format!(
                    "<tr><td><code>{}</code></td><td>{}{}</td><td>{}</td><td>{} nbf {} exp {}</td></tr>",
                    esc(name),
                    l.kty.as_str(),
                    size,
                    k.versions.len(),
                    if l.enabled { "enabled" } else { "<b>disabled</b>" },
                    ts(l.nbf),
                    ts(l.exp)
                ));
            }
        }
        for s in v.secrets.keys() {
            b.push_str(&format!(
                "<tr><td><code>{}</code></td><td>secret (not a key)</td><td></td><td></td></tr>",
                esc(s)
            ));
        }
        b.push_str("</table>");
        let grants: Vec<String> = v
            .role_assignments
            .iter()
            .map(|r| {
                format!(
                    "{} → <code>{}</code>{}",
                    esc(&r.role_name),
                    esc(&r.principal_id),
                    r.key
                        .as_ref()
                        .map(|k| format!(" (key {})", esc(k)))
                        .unwrap_or_default()
                )
            })
            .chain(v.access_policies.iter().map(|p| {
                format!(
                    "policy <code>{}</code>: keys {}",
                    esc(&p.object_id),
                    esc(&p.keys.join(","))
                )
            }))
            .collect();
        if !grants.is_empty() {
            b.push_str(&format!("<p class=muted>{}</p>", grants.join("<br>")));
        }
    }
    b.push_str(
        "<h2>Google Workspace</h2><table><tr><th>User</th><th>Customer</th><th>Role</th></tr>",
    );
    for u in &w.google_users {
        b.push_str(&format!(
            "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&u.name),
            esc(&u.email),
            u.customer_id
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "consumer account".to_owned()),
            match u.role {
                crate::state::GoogleRole::SuperAdmin => "Super Admin (pick this to verify)",
                crate::state::GoogleRole::DelegatedAdmin => "Delegated admin",
                crate::state::GoogleRole::User => "User",
            }
        ));
    }
    if let Some(g) = &w.google_client {
        b.push_str(&format!("</table><p class=muted>Google OAuth client id <code>{}</code>, secret <code>{}</code> (env <code>SIM_GOOGLE_CLIENT_SECRET</code>).</p>", esc(&g.client_id), esc(&g.secret)));
    } else {
        b.push_str("</table>");
    }
    b.push_str("<h2>Companies (RedApp)</h2><table><tr><th>Company</th><th>Backup sets</th></tr>");
    for c in w.companies.values() {
        let sets: Vec<String> = c
            .backup_sets
            .iter()
            .map(|s| match s {
                BackupSet::Microsoft365 {
                    id,
                    name,
                    tenant_id,
                    ..
                } => format!(
                    "<code>{}</code> {} — Microsoft 365 <code>{}</code>",
                    esc(id),
                    esc(name),
                    esc(tenant_id)
                ),
                BackupSet::GoogleWorkspace {
                    id,
                    name,
                    customer_id,
                    domain,
                } => format!(
                    "<code>{}</code> {} — Google Workspace {} <code>{}</code>",
                    esc(id),
                    esc(name),
                    esc(domain),
                    esc(customer_id)
                ),
                BackupSet::Other { id, name, kind } => format!(
                    "<code>{}</code> {} — unknown kind <code>{}</code>",
                    esc(id),
                    esc(name),
                    esc(kind)
                ),
            })
            .collect();
        b.push_str(&format!(
            "<tr><td><code>{}</code><br>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.name),
            sets.join("<br>")
        ));
    }
    b.push_str("</table></div>");
    Html(layout("keyswitch-sim", "sim", &b))
}
