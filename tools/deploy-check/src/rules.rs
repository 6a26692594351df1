//! What must hold before `wrangler deploy --env <env>`: the worker's own
//! configuration guard ([`keyswitch_shared::config_guard::problems`], on the
//! environment's vars and the names `wrangler secret list` gives), plus what
//! only the deploy can get wrong (bindings and vars an environment does not
//! inherit, the KV namespace id, the Cron sweep, the routes and the
//! worker's public addresses).

use std::collections::BTreeSet;

use keyswitch_shared::config_guard::{self, Settings};
use toml::Value;

use crate::environment::Environment;
use crate::fixes;

/// One thing to fix before deploying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The var, secret, binding or key at fault.
    pub name: String,
    /// What is wrong with it (never a value of a secret).
    pub why: String,
    /// How to fix it.
    pub fix: String,
}

/// The environment's vars and the names of its worker's secrets, as the
/// guard reads them.
struct DeploySettings<'a> {
    env: &'a Environment,
    secrets: &'a BTreeSet<String>,
}

impl Settings for DeploySettings<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.env.vars().get(name).map(|v| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        })
    }
    fn secret(&self, name: &str) -> Option<String> {
        // `wrangler secret list` names a secret, never its value.
        self.secrets.contains(name).then(|| "(set)".to_owned())
    }
    fn secret_values_known(&self) -> bool {
        false
    }
}

/// Host names reserved for documentation and tests (RFC 2606, RFC 6761):
/// a route on one is the example left in place.
fn is_placeholder_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|tld| host.ends_with(tld))
        || host == "localhost"
}

fn is_namespace_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every finding for deploying `env` with a worker whose secrets are named
/// `secrets`.
#[must_use]
pub fn check(env: &Environment, secrets: &BTreeSet<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    let envn = env.name.as_str();
    let mut push = |name: &str, why: String, fix: String| {
        out.push(Finding {
            name: name.to_owned(),
            why,
            fix,
        });
    };

    if env.worker_name().is_none_or(str::is_empty) {
        push(
            "name",
            "is missing: the worker has no name in this environment".into(),
            format!("set name = \"keyswitch-{envn}\" under [env.{envn}] in edge/wrangler.toml"),
        );
    }

    // Vars: environments inherit none, so each must list every var the
    // worker reads; ENVIRONMENT would turn the guard off.
    let vars = env.vars();
    if vars.contains_key(config_guard::ENVIRONMENT) {
        push(
            config_guard::ENVIRONMENT,
            "is set: only the local run sets it (a deployed worker with it serves nothing but this machine)".into(),
            format!("remove ENVIRONMENT from [env.{envn}.vars] in edge/wrangler.toml"),
        );
    }
    for name in env.top_level_vars().keys() {
        if !vars.contains_key(name) {
            push(
                name,
                format!("is missing from [env.{envn}.vars] (environments inherit no vars)"),
                format!(
                    "copy {name} from [vars] into [env.{envn}.vars] of edge/wrangler.toml and set its {envn} value"
                ),
            );
        }
    }
    for (name, value) in &vars {
        if !matches!(value, Value::String(_)) {
            push(
                name,
                "is not a string (the worker reads every var as text)".into(),
                format!("quote it: {name} = \"…\" in [env.{envn}.vars]"),
            );
        }
    }

    // The worker's own guard, on these vars and the listed secret names.
    let settings = DeploySettings { env, secrets };
    for problem in config_guard::problems(&settings, false) {
        push(
            problem.name,
            problem.why.to_owned(),
            fixes::for_guard_problem(problem.name, envn),
        );
    }

    // Bindings that are not inherited.
    for binding in env.top_level_kv_bindings() {
        match env.kv_namespace_id(&binding) {
            None => push(
                &binding,
                format!("has no KV namespace in [env.{envn}] (bindings are not inherited)"),
                fixes::kv_namespace(&binding, envn),
            ),
            Some(id) if !is_namespace_id(&id) => push(
                &binding,
                "has a KV namespace id that is not one (32 hexadecimal characters): the placeholder is still there".into(),
                fixes::kv_namespace(&binding, envn),
            ),
            Some(_) => {}
        }
    }
    let top_dos = env.top_level_durable_object_bindings();
    let dos = env.durable_object_bindings();
    for (name, class) in &top_dos {
        if !dos.contains(&(name.clone(), class.clone())) {
            push(
                name,
                format!(
                    "is not bound to the Durable Object class {class} in [env.{envn}.durable_objects] (bindings are not inherited)"
                ),
                format!(
                    "add {{ name = \"{name}\", class_name = \"{class}\" }} to [env.{envn}.durable_objects] bindings"
                ),
            );
        }
    }
    if env.migrations() != env.top_level_migrations() {
        push(
            "migrations",
            format!(
                "of [env.{envn}] differ from the top level's: every environment must create the same Durable Object classes in the same order"
            ),
            format!(
                "make the [[env.{envn}.migrations]] the same list as the top level's [[migrations]] (or remove them: migrations are inherited)"
            ),
        );
    }

    // The Cron sweep that finds a company whose alarm was lost.
    if env.crons().is_empty() {
        push(
            "triggers",
            "has no Cron Trigger: nothing would find a company whose Durable Object alarm was lost"
                .into(),
            format!("set [env.{envn}.triggers] crons = [\"*/5 * * * *\"] in edge/wrangler.toml"),
        );
    }

    // The console has one public address: its route.
    for key in ["workers_dev", "preview_urls"] {
        if env.flag(key) != Some(false) {
            push(
                key,
                "is not false: the console would also answer on a *.workers.dev address, which is not its registered redirect origin nor in RedApp's frame-ancestors".into(),
                format!("set {key} = false under [env.{envn}] in edge/wrangler.toml"),
            );
        }
    }
    let routes = env.routes();
    if routes.is_empty() {
        push(
            "routes",
            "is empty: the worker would have no address".into(),
            format!(
                "set routes = [{{ pattern = \"<host>\", custom_domain = true }}] under [env.{envn}], the host of CONSENT_REDIRECT_URI"
            ),
        );
    }
    for route in &routes {
        if is_placeholder_host(&route.host) {
            push(
                "routes",
                format!(
                    "has the placeholder host {} (a reserved example name)",
                    route.host
                ),
                format!("set the {envn} host name of the console in routes under [env.{envn}]"),
            );
        }
    }
    let redirect_host = vars
        .get("CONSENT_REDIRECT_URI")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if let Some(host) = redirect_host
        && !routes.is_empty()
        && !routes.iter().any(|r| r.host == host)
    {
        push(
            "CONSENT_REDIRECT_URI",
            format!(
                "is on {host}, which none of the routes serves (the consent callback would never reach this worker)"
            ),
            format!(
                "make CONSENT_REDIRECT_URI https://<route host>/oauth/consent/callback, or add {host} to routes under [env.{envn}]"
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete staging environment, as an operator fills it in.
    fn complete() -> String {
        let mut text = String::from(
            r#"
name = "keyswitch"
main = "build/index.js"
[triggers]
crons = ["*/5 * * * *"]
[[kv_namespaces]]
binding = "KMS_CACHE"
id = "local"
[durable_objects]
bindings = [{ name = "COMPANY_KMS", class_name = "CompanyKms" }]
[[migrations]]
tag = "v1"
new_sqlite_classes = ["CompanyKms"]
[vars]
KEYVAULT_PROXY = ""
[env.staging]
name = "keyswitch-staging"
workers_dev = false
preview_urls = false
routes = [{ pattern = "keyswitch-staging.corp.net", custom_domain = true }]
[[env.staging.kv_namespaces]]
binding = "KMS_CACHE"
id = "0123456789abcdef0123456789abcdef"
[env.staging.durable_objects]
bindings = [{ name = "COMPANY_KMS", class_name = "CompanyKms" }]
[env.staging.vars]
KEYVAULT_PROXY = ""
ALLOWED_ORIGINS = "https://app.redapp.net"
ENVELOPE_COMPANIES = "*"
AWS_REGION = "eu-west-1"
CONSENT_REDIRECT_URI = "https://keyswitch-staging.corp.net/oauth/consent/callback"
"#,
        );
        for name in config_guard::OUTSIDE_ADDRESSES {
            if name != "CONSENT_REDIRECT_URI" {
                text.push_str(&format!(
                    "{name} = \"https://{}.corp.net/x\"\n",
                    name.to_lowercase()
                ));
            }
        }
        for name in [
            "CONNECTOR_CLIENT_ID",
            "GOOGLE_CLIENT_ID",
            "AWS_ACCESS_KEY_ID",
        ] {
            text.push_str(&format!("{name} = \"id-of-{name}\"\n"));
        }
        text
    }

    fn all_secrets() -> BTreeSet<String> {
        config_guard::REQUIRED_SECRETS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn names(text: &str, secrets: &BTreeSet<String>) -> Vec<String> {
        let env = Environment::parse(text, "staging").expect("staging");
        check(&env, secrets).into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn a_complete_environment_with_every_secret_passes() {
        assert_eq!(names(&complete(), &all_secrets()), Vec::<String>::new());
    }

    #[test]
    fn a_missing_secret_is_named_with_the_command_that_sets_it() {
        let mut secrets = all_secrets();
        secrets.remove("GOOGLE_CLIENT_SECRET");
        let env = Environment::parse(&complete(), "staging").expect("staging");
        let found = check(&env, &secrets);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name, "GOOGLE_CLIENT_SECRET");
        assert!(
            found[0]
                .fix
                .contains("scripts/wrangler secret put GOOGLE_CLIENT_SECRET --env staging"),
            "{}",
            found[0].fix
        );
    }

    #[test]
    fn an_empty_or_insecure_var_is_named() {
        let text = complete().replace(
            "ENTRA_AUTHORITY = \"https://entra_authority.corp.net/x\"",
            "ENTRA_AUTHORITY = \"http://login.microsoftonline.com\"",
        );
        assert_eq!(names(&text, &all_secrets()), vec!["ENTRA_AUTHORITY"]);
        let text = complete().replace(
            "GOOGLE_CLIENT_ID = \"id-of-GOOGLE_CLIENT_ID\"",
            "GOOGLE_CLIENT_ID = \"\"",
        );
        assert_eq!(names(&text, &all_secrets()), vec!["GOOGLE_CLIENT_ID"]);
        let text = complete().replace(
            "KEYVAULT_PROXY = \"\"\nALLOWED",
            "KEYVAULT_PROXY = \"https://proxy.corp.net/\"\nALLOWED",
        );
        assert_eq!(names(&text, &all_secrets()), vec!["KEYVAULT_PROXY"]);
    }

    #[test]
    fn what_only_a_deploy_gets_wrong_is_named() {
        let secrets = all_secrets();
        let cases: [(&str, &str, &[&str]); 9] = [
            (
                "id = \"0123456789abcdef0123456789abcdef\"",
                "id = \"keyswitch-kms-cache-staging\"",
                &["KMS_CACHE"],
            ),
            (
                "[env.staging.durable_objects]\nbindings = [{ name = \"COMPANY_KMS\", class_name = \"CompanyKms\" }]",
                "",
                &["COMPANY_KMS"],
            ),
            ("[triggers]\ncrons = [\"*/5 * * * *\"]", "", &["triggers"]),
            ("workers_dev = false\n", "", &["workers_dev"]),
            (
                "preview_urls = false\n",
                "preview_urls = true\n",
                &["preview_urls"],
            ),
            (
                "routes = [{ pattern = \"keyswitch-staging.corp.net\", custom_domain = true }]",
                "",
                &["routes"],
            ),
            (
                "pattern = \"keyswitch-staging.corp.net\"",
                "pattern = \"keyswitch.example.com\"",
                &["routes", "CONSENT_REDIRECT_URI"],
            ),
            (
                "[env.staging.vars]\n",
                "[env.staging.vars]\nENVIRONMENT = \"development\"\n",
                &["ENVIRONMENT"],
            ),
            ("[vars]\n", "[vars]\nNEW_VAR = \"x\"\n", &["NEW_VAR"]),
        ];
        for (from, to, expected) in cases {
            let text = complete().replacen(from, to, 1);
            assert_ne!(text, complete(), "{from}");
            assert_eq!(names(&text, &secrets), expected.to_vec(), "{from} -> {to}");
        }
        let text = complete()
            + "[[env.staging.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Other\"]\n";
        assert_eq!(names(&text, &secrets), vec!["migrations"]);
    }

    #[test]
    fn conditional_secrets_follow_their_vars() {
        let text = complete().replace(
            "AWS_REGION",
            "WEBHOOK_URL = \"https://hooks.redapp.net/k\"\nAWS_REGION",
        );
        assert_eq!(names(&text, &all_secrets()), vec!["WEBHOOK_SECRET"]);
        let mut secrets = all_secrets();
        secrets.insert("WEBHOOK_SECRET".into());
        assert!(names(&text, &secrets).is_empty());
    }

    #[test]
    fn placeholder_hosts_are_recognised() {
        for host in [
            "example.com",
            "keyswitch.example.com",
            "a.example",
            "x.test",
            "localhost",
        ] {
            assert!(is_placeholder_host(host), "{host}");
        }
        for host in ["keyswitch.corp.net", "notexample.com", "example.com.au"] {
            assert!(!is_placeholder_host(host), "{host}");
        }
    }
}
