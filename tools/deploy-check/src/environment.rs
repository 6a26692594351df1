//! One deployed environment of `edge/wrangler.toml`, as wrangler resolves
//! it: `vars`, `kv_namespaces` and `durable_objects` are not inherited from
//! the top level; `triggers`, `migrations`, `workers_dev`, `preview_urls`
//! and `routes` are (wrangler's `inheritable` keys), so an environment
//! without its own takes the top level's.

use std::collections::BTreeMap;

use toml::{Table, Value};

/// A `[env.<name>]` section and the top level it may inherit from.
pub struct Environment {
    /// The environment's name (`production`, `staging`).
    pub name: String,
    top: Table,
    env: Table,
}

/// Why an environment could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The file is not TOML.
    NotToml(String),
    /// The file has no `[env.<name>]`.
    NoSuchEnvironment {
        /// The environment asked for.
        name: String,
        /// The environments the file has.
        known: Vec<String>,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotToml(e) => write!(f, "the configuration is not valid TOML: {e}"),
            Self::NoSuchEnvironment { name, known } => write!(
                f,
                "the configuration has no [env.{name}] (it has: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        }
    }
}

/// One route of the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route's pattern as written (`host/path*` or a custom domain).
    pub pattern: String,
    /// Its host name, lowercase.
    pub host: String,
}

impl Environment {
    /// Reads environment `name` from the text of a `wrangler.toml`.
    ///
    /// # Errors
    /// When the text is not TOML or has no `[env.<name>]`.
    pub fn parse(text: &str, name: &str) -> Result<Self, ReadError> {
        let top: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ReadError::NotToml(e.message().to_owned()))?;
        let envs = top.get("env").and_then(Value::as_table);
        let Some(env) = envs.and_then(|e| e.get(name)).and_then(Value::as_table) else {
            return Err(ReadError::NoSuchEnvironment {
                name: name.to_owned(),
                known: envs
                    .map(|e| e.keys().cloned().collect())
                    .unwrap_or_default(),
            });
        };
        let env = env.clone();
        Ok(Self {
            name: name.to_owned(),
            top,
            env,
        })
    }

    /// An inheritable key: the environment's own value, else the top level's.
    fn inherited(&self, key: &str) -> Option<&Value> {
        self.env.get(key).or_else(|| self.top.get(key))
    }

    /// The worker's name in this environment (wrangler's `name`).
    #[must_use]
    pub fn worker_name(&self) -> Option<&str> {
        self.inherited("name").and_then(Value::as_str)
    }

    /// The environment's own vars (never the top level's).
    #[must_use]
    pub fn vars(&self) -> BTreeMap<String, Value> {
        table_of(self.env.get("vars"))
    }

    /// The top level's vars: what the worker reads.
    #[must_use]
    pub fn top_level_vars(&self) -> BTreeMap<String, Value> {
        table_of(self.top.get("vars"))
    }

    /// The id of KV namespace binding `binding` in this environment.
    #[must_use]
    pub fn kv_namespace_id(&self, binding: &str) -> Option<String> {
        self.env
            .get("kv_namespaces")
            .and_then(Value::as_array)?
            .iter()
            .find(|ns| ns.get("binding").and_then(Value::as_str) == Some(binding))
            .and_then(|ns| ns.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The KV binding names of the top level.
    #[must_use]
    pub fn top_level_kv_bindings(&self) -> Vec<String> {
        self.top
            .get("kv_namespaces")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|ns| ns.get("binding").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn durable_objects(table: &Table) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = table
            .get("durable_objects")
            .and_then(|d| d.get("bindings"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|b| {
                        let field = |k| {
                            b.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        (field("name"), field("class_name"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Durable Object bindings (name, class) of this environment, sorted.
    #[must_use]
    pub fn durable_object_bindings(&self) -> Vec<(String, String)> {
        Self::durable_objects(&self.env)
    }

    /// Durable Object bindings of the top level, sorted.
    #[must_use]
    pub fn top_level_durable_object_bindings(&self) -> Vec<(String, String)> {
        Self::durable_objects(&self.top)
    }

    /// The migrations this environment deploys (its own or inherited).
    #[must_use]
    pub fn migrations(&self) -> Option<&Value> {
        self.inherited("migrations")
    }

    /// The top level's migrations.
    #[must_use]
    pub fn top_level_migrations(&self) -> Option<&Value> {
        self.top.get("migrations")
    }

    /// The Cron Triggers this environment deploys (its own or inherited).
    #[must_use]
    pub fn crons(&self) -> Vec<String> {
        self.inherited("triggers")
            .and_then(|t| t.get("crons"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An inheritable boolean (`workers_dev`, `preview_urls`); `None` when
    /// neither level sets it.
    #[must_use]
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.inherited(key).and_then(Value::as_bool)
    }

    /// The routes this environment deploys (`route` or `routes`, its own or
    /// inherited); a pattern that names no host is left out.
    #[must_use]
    pub fn routes(&self) -> Vec<Route> {
        let mut values: Vec<&Value> = Vec::new();
        if let Some(r) = self.inherited("route") {
            values.push(r);
        }
        if let Some(rs) = self.inherited("routes").and_then(Value::as_array) {
            values.extend(rs);
        }
        values
            .into_iter()
            .filter_map(|v| {
                let pattern = v
                    .as_str()
                    .or_else(|| v.get("pattern").and_then(Value::as_str))?;
                let host = pattern
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                Some(Route {
                    pattern: pattern.to_owned(),
                    host,
                })
            })
            .collect()
    }
}

fn table_of(value: Option<&Value>) -> BTreeMap<String, Value> {
    value
        .and_then(Value::as_table)
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "keyswitch"
workers_dev = true
[triggers]
crons = ["*/5 * * * *"]
[vars]
A = "1"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["CompanyKms"]
[durable_objects]
bindings = [{ name = "COMPANY_KMS", class_name = "CompanyKms" }]
[env.staging]
name = "keyswitch-staging"
workers_dev = false
routes = [{ pattern = "ks.staging.corp.net", custom_domain = true }, "api.corp.net/keyswitch/*"]
[env.staging.vars]
B = "2"
[[env.staging.kv_namespaces]]
binding = "KMS_CACHE"
id = "abc"
"#;

    #[test]
    fn reads_what_wrangler_inherits_and_what_it_does_not() {
        let env = Environment::parse(TEXT, "staging").expect("staging");
        assert_eq!(env.worker_name(), Some("keyswitch-staging"));
        // vars: never inherited.
        assert_eq!(env.vars().keys().collect::<Vec<_>>(), vec!["B"]);
        assert_eq!(env.top_level_vars().keys().collect::<Vec<_>>(), vec!["A"]);
        // durable_objects: not inherited either.
        assert!(env.durable_object_bindings().is_empty());
        assert_eq!(env.top_level_durable_object_bindings().len(), 1);
        // triggers and migrations are.
        assert_eq!(env.crons(), vec!["*/5 * * * *"]);
        assert_eq!(env.migrations(), env.top_level_migrations());
        // the environment's own flag wins.
        assert_eq!(env.flag("workers_dev"), Some(false));
        assert_eq!(env.flag("preview_urls"), None);
        assert_eq!(env.kv_namespace_id("KMS_CACHE").as_deref(), Some("abc"));
        let hosts: Vec<_> = env.routes().into_iter().map(|r| r.host).collect();
        assert_eq!(hosts, vec!["ks.staging.corp.net", "api.corp.net"]);
    }

    #[test]
    fn an_unknown_environment_names_the_known_ones() {
        let err = Environment::parse(TEXT, "prod").err();
        assert_eq!(
            err,
            Some(ReadError::NoSuchEnvironment {
                name: "prod".into(),
                known: vec!["staging".into()]
            })
        );
        assert!(matches!(
            Environment::parse("name = ", "staging"),
            Err(ReadError::NotToml(_))
        ));
    }
}
